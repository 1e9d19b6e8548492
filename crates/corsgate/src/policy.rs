//! Building a validated, immutable [`Policy`] from [`CorsOptions`], with every header value that
//! does not depend on the request computed once, here.

use crate::allow_origin::{self, OriginSet};
use crate::error::{ConfigError, ConfigErrors, ConfigWarning};
use crate::options::{CorsOptions, Profile};
use crate::preflight::PreflightAnswers;
use crate::safelist;
use http::{HeaderValue, StatusCode};

/// A validated CORS policy. Cheap to share (wrap it in an `Arc`); never changes after building.
#[derive(Debug)]
pub struct Policy {
    pub(crate) options: CorsOptions,
    pub(crate) warnings: Vec<ConfigWarning>,
    pub(crate) origins: OriginSet,
    pub(crate) methods: AllowList,
    pub(crate) headers: AllowList,
    /// The allowed header names (when listed) ordered by length, then bytes, for the look-up of
    /// each requested name: most probes are settled by the length alone.
    pub(crate) header_index: Vec<Box<str>>,
    pub(crate) credentials: bool,
    pub(crate) expose: Expose,
    pub(crate) private_network: bool,
    pub(crate) preflight_status: StatusCode,
    pub(crate) reject_status: StatusCode,
    pub(crate) block_disallowed: bool,
    pub(crate) debug: bool,
    /// `*` without credentials: ACAO is the constant `*` on every response, so responses do not
    /// vary by origin.
    pub(crate) acao_star: bool,
    pub(crate) acam: Option<HeaderValue>,
    pub(crate) acah: Option<HeaderValue>,
    pub(crate) acma: HeaderValue,
    pub(crate) preflight_answers: PreflightAnswers,
}

#[derive(Debug)]
pub(crate) enum AllowList {
    Any,
    /// Methods: as written (compared case-sensitively). Headers: lower-case, sorted.
    List(Vec<Box<str>>),
}

#[derive(Debug)]
pub(crate) enum Expose {
    None,
    /// A fixed `Access-Control-Expose-Headers` value (a list, or `*` without credentials).
    Value(HeaderValue),
    /// `*` with credentials, where `*` is no wildcard: list the actual response's header names.
    ResponseHeaderNames,
}

impl CorsOptions {
    /// Validates the options into a [`Policy`] for development use.
    pub fn build(&self) -> Result<Policy, ConfigErrors> {
        self.build_for(Profile::Development)
    }

    /// Validates the options into a [`Policy`]; `Profile::Production` adds production warnings.
    ///
    /// Every error is reported, not only the first. Warnings (normalisations and likely
    /// mistakes) are kept in [`Policy::warnings`].
    pub fn build_for(&self, profile: Profile) -> Result<Policy, ConfigErrors> {
        let mut errors = Vec::new();
        let mut warnings = Vec::new();
        let o = self;

        let (origins, normalised_origins) = allow_origin::build(
            &o.allow_origins,
            o.allow_origin_regex.as_deref(),
            o.allow_null_origin,
            &mut errors,
            &mut warnings,
        );
        if origins.any && o.allow_credentials {
            errors.push(ConfigError::new(
                "allow_origins",
                "*",
                "\"*\" together with allow_credentials = true: browsers reject `Access-Control-Allow-Origin: *` on credentialed requests, and reflecting every origin instead would let any website act with your users' cookies",
                "choose one of three: (1) list the origins that need credentials, e.g. allow_origins = [\"https://app.example.com\"]; (2) use a pattern or regex, e.g. \"https://*.example.com\" or allow_origin_regex; (3) set allow_credentials = false to keep \"*\"",
            ));
        }
        if origins.any && o.allow_origins.len() > 1 {
            warnings.push(ConfigWarning::new(
                "allow_origins",
                "*",
                "\"*\" allows every origin; the other entries are redundant",
            ));
        }
        if !origins.any
            && o.allow_origins.is_empty()
            && o.allow_origin_regex.is_none()
            && !o.allow_null_origin
        {
            warnings.push(ConfigWarning::new(
                "allow_origins",
                "",
                "is empty, so no cross-origin request is allowed; add your frontend's origin, e.g. \"http://localhost:3000\"",
            ));
        }
        if profile == Profile::Production {
            for origin in normalised_origins
                .iter()
                .filter(|o| o.starts_with("http://"))
            {
                warnings.push(ConfigWarning::new(
                    "allow_origins",
                    origin.clone(),
                    "plain http:// origin in the production profile: anyone on the network path can inject script into that page and use your API as it; serve the frontend over https",
                ));
            }
            if let Some(src) = &o.allow_origin_regex {
                if let Some(example) = origins.regex_http_example(src) {
                    warnings.push(ConfigWarning::new(
                        "allow_origin_regex",
                        src.clone(),
                        format!("matches plain http:// origins such as {example} in the production profile; start it with https:// (not https?)"),
                    ));
                }
            }
        }

        let (methods, normalised_methods) =
            build_methods(&o.allow_methods, &mut errors, &mut warnings);
        let (headers, normalised_headers) =
            build_headers(&o.allow_headers, &mut errors, &mut warnings);
        let expose = build_expose(&o.expose_headers, o.allow_credentials, &mut errors);

        if o.max_age > 7200 {
            warnings.push(ConfigWarning::new(
                "max_age",
                o.max_age.to_string(),
                "Chrome caches preflights for at most 7200 seconds (Firefox 86400); longer values have no further effect there",
            ));
        }
        let preflight_status = status_in(
            o.preflight_status,
            200..=299,
            "preflight_status",
            "200 or 204",
            &mut errors,
        );
        let reject_status = status_in(
            o.reject_status,
            400..=499,
            "reject_status",
            "403 or 400",
            &mut errors,
        );

        if !errors.is_empty() {
            return Err(ConfigErrors(errors));
        }

        let acam = match &methods {
            AllowList::Any => None,
            AllowList::List(list) => Some(join_value(list.iter().map(|s| &**s))),
        };
        let acah = match &headers {
            AllowList::Any => None,
            AllowList::List(list) => Some(join_value(list.iter().map(|s| &**s))),
        };
        let acao_star = origins.any && !o.allow_credentials;
        let mut header_index = match &headers {
            AllowList::Any => Vec::new(),
            AllowList::List(list) => list.clone(),
        };
        header_index.sort_by(|a, b| a.len().cmp(&b.len()).then_with(|| a.cmp(b)));
        let options = CorsOptions {
            allow_origins: normalised_origins,
            allow_methods: normalised_methods,
            allow_headers: normalised_headers,
            ..o.clone()
        };
        let mut policy = Policy {
            warnings,
            origins,
            methods,
            headers,
            header_index,
            credentials: o.allow_credentials,
            expose: match expose {
                Expose::Value(v) => Expose::Value(shared(v)),
                other => other,
            },
            private_network: o.allow_private_network,
            preflight_status: preflight_status.unwrap_or(StatusCode::OK),
            reject_status: reject_status.unwrap_or(StatusCode::FORBIDDEN),
            block_disallowed: o.block_disallowed,
            debug: o.debug,
            acao_star,
            acam: acam.map(shared),
            acah: acah.map(shared),
            acma: shared(HeaderValue::from(o.max_age)),
            options,
            preflight_answers: PreflightAnswers::default(),
        };
        policy.preflight_answers = policy.preflight_answers();
        Ok(policy)
    }
}

impl Policy {
    /// The options this policy was built from, normalised (e.g. trailing slashes removed).
    pub fn options(&self) -> &CorsOptions {
        &self.options
    }

    /// Warnings found while building: normalisations and likely mistakes.
    pub fn warnings(&self) -> &[ConfigWarning] {
        &self.warnings
    }

    /// Status of an allowed preflight.
    pub fn preflight_status(&self) -> StatusCode {
        self.preflight_status
    }

    /// Status of a rejected preflight (and of a blocked actual request).
    pub fn reject_status(&self) -> StatusCode {
        self.reject_status
    }

    /// Whether actual requests from disallowed origins are answered with `reject_status`.
    pub fn blocks_disallowed(&self) -> bool {
        self.block_disallowed
    }

    /// Whether rejection reasons go into response bodies.
    pub fn debug(&self) -> bool {
        self.debug
    }

    /// Whether CORS responses differ by request origin (everything but `*` without credentials).
    pub fn varies_by_origin(&self) -> bool {
        !self.acao_star
    }

    /// The exact origins, in sorted order.
    pub fn exact_origins(&self) -> impl Iterator<Item = &str> {
        self.origins.exact()
    }

    /// The `allow_origins` patterns, as normalised.
    pub fn origin_patterns(&self) -> impl Iterator<Item = &str> {
        self.origins.patterns()
    }
}

fn status_in(
    code: u16,
    range: std::ops::RangeInclusive<u16>,
    option: &str,
    example: &str,
    errors: &mut Vec<ConfigError>,
) -> Option<StatusCode> {
    match StatusCode::from_u16(code) {
        Ok(s) if range.contains(&code) => Some(s),
        _ => {
            errors.push(ConfigError::new(
                option,
                code.to_string(),
                format!(
                    "must be a status between {} and {}",
                    range.start(),
                    range.end()
                ),
                format!("use e.g. {example}"),
            ));
            None
        }
    }
}

/// A header value built at run time holds its bytes in a buffer that becomes shared, which
/// allocates, on its first clone. Take that clone now, so no request pays for it.
fn shared(value: HeaderValue) -> HeaderValue {
    drop(value.clone());
    value
}

fn join_value<'a>(items: impl Iterator<Item = &'a str>) -> HeaderValue {
    let joined = items.collect::<Vec<_>>().join(", ");
    // Items are validated tokens, so this cannot fail; fall back to empty rather than panic.
    HeaderValue::from_str(&joined).unwrap_or_else(|_| HeaderValue::from_static(""))
}

fn build_methods(
    raw: &[String],
    errors: &mut Vec<ConfigError>,
    warnings: &mut Vec<ConfigWarning>,
) -> (AllowList, Vec<String>) {
    let mut list: Vec<Box<str>> = Vec::new();
    let mut any = false;
    for m in raw {
        let t = m.trim();
        if t == "*" {
            any = true;
            continue;
        }
        if !safelist::is_token(t) {
            errors.push(ConfigError::new(
                "allow_methods",
                m.clone(),
                "not a valid HTTP method name (a token: letters, digits and !#$%&'*+-.^_`|~)",
                "write method names such as \"GET\", \"POST\", \"PUT\", \"DELETE\", \"PATCH\", or \"*\" for any",
            ));
            continue;
        }
        let method = if safelist::browser_normalises_method(t) && t != t.to_ascii_uppercase() {
            warnings.push(ConfigWarning::new(
                "allow_methods",
                m.clone(),
                format!(
                    "browsers always send this method upper-case; using \"{}\"",
                    t.to_ascii_uppercase()
                ),
            ));
            t.to_ascii_uppercase()
        } else {
            if t != t.to_ascii_uppercase() {
                warnings.push(ConfigWarning::new(
                    "allow_methods",
                    m.clone(),
                    format!("methods are compared case-sensitively and browsers send this one exactly as the page wrote it; fetch(url, {{method: \"{}\"}}) would not be allowed", t.to_ascii_uppercase()),
                ));
            }
            t.to_string()
        };
        if safelist::is_forbidden_method(&method) {
            warnings.push(ConfigWarning::new(
                "allow_methods",
                m.clone(),
                "browsers never send this method (it is forbidden by the Fetch standard); allowing it has no effect",
            ));
        }
        if !list.iter().any(|x| **x == *method) {
            list.push(method.into_boxed_str());
        }
    }
    if any {
        (AllowList::Any, vec!["*".to_string()])
    } else {
        let names = list.iter().map(|s| s.to_string()).collect();
        (AllowList::List(list), names)
    }
}

fn build_headers(
    raw: &[String],
    errors: &mut Vec<ConfigError>,
    warnings: &mut Vec<ConfigWarning>,
) -> (AllowList, Vec<String>) {
    let mut list: Vec<Box<str>> = safelist::ALWAYS_ALLOWED_HEADERS
        .iter()
        .map(|s| Box::from(*s))
        .collect();
    let mut any = false;
    let mut written = Vec::new();
    for h in raw {
        let t = h.trim();
        if t == "*" {
            any = true;
            continue;
        }
        if !safelist::is_token(t) {
            errors.push(ConfigError::new(
                "allow_headers",
                h.clone(),
                "not a valid header name (a token: letters, digits and !#$%&'*+-.^_`|~, no spaces or colons)",
                "write header names such as \"Authorization\", \"X-Request-ID\", or \"*\" for any",
            ));
            continue;
        }
        let lower = t.to_ascii_lowercase();
        if safelist::is_forbidden_request_header(&lower) {
            warnings.push(ConfigWarning::new(
                "allow_headers",
                h.clone(),
                "scripts can never set this header (it is forbidden by the Fetch standard), so browsers never ask for it; allowing it has no effect",
            ));
        }
        written.push(t.to_string());
        list.push(lower.into_boxed_str());
    }
    list.sort();
    list.dedup();
    if any {
        (AllowList::Any, vec!["*".to_string()])
    } else {
        (AllowList::List(list), written)
    }
}

fn build_expose(raw: &[String], credentials: bool, errors: &mut Vec<ConfigError>) -> Expose {
    let mut names = Vec::new();
    let mut star = false;
    for h in raw {
        let t = h.trim();
        if t == "*" {
            star = true;
        } else if safelist::is_token(t) {
            if !names.iter().any(|n: &String| n.eq_ignore_ascii_case(t)) {
                names.push(t.to_string());
            }
        } else {
            errors.push(ConfigError::new(
                "expose_headers",
                h.clone(),
                "not a valid header name",
                "write response header names such as \"X-Total-Count\", or \"*\" for all",
            ));
        }
    }
    match (star, credentials) {
        (true, false) => Expose::Value(HeaderValue::from_static("*")),
        (true, true) => Expose::ResponseHeaderNames,
        (false, _) if names.is_empty() => Expose::None,
        (false, _) => Expose::Value(join_value(names.iter().map(String::as_str))),
    }
}
