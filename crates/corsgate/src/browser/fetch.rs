//! The Fetch standard's main fetch as Chromium runs it for a CORS request: preflight decision,
//! preflight, actual request, CORS check, and up to 20 redirects with redirect taint.

use super::cors_check::{self, CheckFailure};
use super::error::CorsError;
use super::headers;
use super::message;
use super::preflight;
use super::{CredentialsMode, Initiator, PageRequest, RequestError};
use crate::origin::{self, OriginEntry};
use crate::safelist;
use http::{HeaderMap, StatusCode};
use url::Url;

const MAX_REDIRECTS: usize = 20;

/// Which request of the exchange.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    Preflight,
    Actual,
}

/// A request the caller must send, exactly as given (no cookies or other headers added, except
/// what the HTTP client needs to frame the request, such as Host).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutgoingRequest {
    pub stage: Stage,
    pub method: String,
    pub url: Url,
    pub headers: Vec<(String, String)>,
}

/// One request and the response it got.
#[derive(Clone, Debug)]
pub struct Exchange {
    pub request: OutgoingRequest,
    pub status: StatusCode,
    pub response_headers: HeaderMap,
}

impl Exchange {
    pub fn is_redirect(&self) -> bool {
        preflight::is_redirect(self.status, &self.response_headers)
    }
}

/// Where the failure was detected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailureStage {
    Preflight,
    /// A redirect response of the actual request.
    Redirect,
    Actual,
}

impl FailureStage {
    pub fn as_str(self) -> &'static str {
        match self {
            FailureStage::Preflight => "preflight",
            FailureStage::Redirect => "redirect",
            FailureStage::Actual => "actual",
        }
    }
}

/// A CORS failure, with everything Chrome shows about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    pub stage: FailureStage,
    pub error: CorsError,
    /// DevTools' failed parameter (`Network.CorsErrorStatus.failedParameter`).
    pub failed_parameter: String,
    /// The URL the failing response came from.
    pub url: String,
    /// Chromium's console line, byte for byte.
    pub console_message: String,
}

/// How the fetch ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    Allowed,
    Blocked(Failure),
    /// Not a CORS verdict: the browser would fail the load for another reason (too many
    /// redirects, an unusable Location).
    NetworkError(String),
}

/// The end of a fetch.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub verdict: Verdict,
    /// True when CORS never applied (the URL stayed same-origin with the page).
    pub same_origin: bool,
    pub exchanges: Vec<Exchange>,
    /// Things worth knowing that did not decide the verdict.
    pub notes: Vec<String>,
    /// On success: the response headers a script can read.
    pub exposed_headers: Vec<String>,
    pub initial_url: String,
    pub final_url: String,
}

impl Outcome {
    pub fn allowed(&self) -> bool {
        self.verdict == Verdict::Allowed
    }

    pub fn failure(&self) -> Option<&Failure> {
        match &self.verdict {
            Verdict::Blocked(f) => Some(f),
            _ => None,
        }
    }

    pub fn preflight(&self) -> Option<&Exchange> {
        self.exchanges
            .iter()
            .find(|e| e.request.stage == Stage::Preflight)
    }

    /// The last actual-request exchange that was not a redirect.
    pub fn actual(&self) -> Option<&Exchange> {
        self.exchanges
            .iter()
            .rev()
            .find(|e| e.request.stage == Stage::Actual && !e.is_redirect())
    }

    pub fn redirects(&self) -> impl Iterator<Item = &Exchange> {
        self.exchanges.iter().filter(|e| e.is_redirect())
    }
}

/// What to do next.
#[derive(Clone, Debug)]
pub enum Step {
    Send(OutgoingRequest),
    Done(Outcome),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    SendPreflight,
    AwaitPreflight,
    SendActual,
    AwaitActual,
    Done,
}

/// A browser fetch in progress. See the [module docs](super).
#[derive(Debug)]
pub struct Fetch {
    initiator: Initiator,
    credentials: CredentialsMode,
    cookie: Option<String>,
    /// The page's serialised origin (`null` when opaque).
    origin: String,
    initial: Url,
    current: Url,
    method: String,
    headers: Vec<(String, String)>,
    /// Set once a hop is cross-origin; it stays set (tainting stays `cors`).
    cors_flag: bool,
    /// Redirect taint: the request's Origin serialises as `null` from now on.
    tainted: bool,
    redirects: usize,
    state: State,
    exchanges: Vec<Exchange>,
    notes: Vec<String>,
    outcome: Option<Outcome>,
}

impl Fetch {
    /// Validates the request as `fetch()` (or XHR, or an element) would before sending anything.
    pub fn new(req: PageRequest) -> Result<Fetch, RequestError> {
        let origin = serialize_page_origin(&req.origin)?;
        let url = Url::parse(req.url.trim()).map_err(|e| RequestError {
            what: format!("'{}' is not a valid URL: {e}", req.url),
            fix: "pass an absolute URL such as http://localhost:8000/api/users".into(),
        })?;
        let method = normalise_method(&req.method)?;
        let mut notes = Vec::new();
        let mut headers: Vec<(String, String)> = Vec::new();
        for (name, value) in &req.headers {
            let name = name.trim();
            if !safelist::is_token(name) {
                return Err(RequestError {
                    what: format!("'{name}' is not a valid header name"),
                    fix: "write headers as -H 'Name: value'".into(),
                });
            }
            let value = value.trim_matches([' ', '\t']).to_string();
            if value.contains(['\r', '\n', '\0']) {
                return Err(RequestError {
                    what: format!("the value of header '{name}' contains a line break or NUL"),
                    fix: "remove the control characters from the value".into(),
                });
            }
            if safelist::is_forbidden_request_header(&name.to_ascii_lowercase()) {
                notes.push(format!(
                    "header '{name}' is ignored: browsers do not let scripts set it{}",
                    if name.eq_ignore_ascii_case("cookie") {
                        " (use --cookie with --credentials include to send cookies)"
                    } else {
                        ""
                    }
                ));
                continue;
            }
            // Headers.append joins repeated names with ", ".
            match headers
                .iter_mut()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
            {
                Some((_, v)) => {
                    v.push_str(", ");
                    v.push_str(&value);
                }
                None => headers.push((name.to_string(), value)),
            }
        }
        if req.initiator.is_element() && (method != "GET" || !headers.is_empty()) {
            return Err(RequestError {
                what: format!(
                    "an element load ({}) is always a GET without script-set headers",
                    req.initiator.kind()
                ),
                fix: "drop -X/-H, or use --initiator fetch".into(),
            });
        }
        let mut fetch = Fetch {
            initiator: req.initiator,
            credentials: req.credentials,
            cookie: req.cookie.filter(|c| !c.is_empty()),
            origin,
            initial: url.clone(),
            current: url.clone(),
            method,
            headers,
            cors_flag: false,
            tainted: false,
            redirects: 0,
            state: State::SendActual,
            exchanges: Vec::new(),
            notes,
            outcome: None,
        };
        if !matches!(url.scheme(), "http" | "https") {
            if req.initiator != Initiator::Fetch {
                return Err(RequestError {
                    what: format!(
                        "URL scheme \"{}\" cannot be checked for {}",
                        url.scheme(),
                        req.initiator.kind()
                    ),
                    fix: "use an http:// or https:// URL".into(),
                });
            }
            // fetch() refuses before any network activity, with its own message.
            fetch.cors_flag = true;
            let failure = Failure {
                stage: FailureStage::Actual,
                error: CorsError::CorsDisabledScheme,
                failed_parameter: url.scheme().to_string(),
                url: url.to_string(),
                console_message: message::unsupported_scheme_message(url.as_str(), url.scheme()),
            };
            fetch.finish(Verdict::Blocked(failure));
            return Ok(fetch);
        }
        fetch.cors_flag = !fetch.same_origin_with_page(&url);
        if fetch.cors_flag && fetch.needs_preflight() {
            fetch.state = State::SendPreflight;
        }
        if fetch.cookie.is_some() && !fetch.sends_credentials() {
            fetch.notes.push(format!(
                "the cookie is not sent: credentials mode '{}' sends cookies only to the page's own origin (use --credentials include)",
                fetch.credentials.as_str()
            ));
        }
        Ok(fetch)
    }

    /// What to send next, or the outcome.
    pub fn step(&mut self) -> Step {
        match self.state {
            State::SendPreflight => {
                self.state = State::AwaitPreflight;
                Step::Send(self.preflight_request())
            }
            State::SendActual => {
                self.state = State::AwaitActual;
                Step::Send(self.actual_request())
            }
            State::AwaitPreflight | State::AwaitActual => {
                // The caller skipped `receive`; treat it as a network failure, not a panic.
                self.finish(Verdict::NetworkError("no response was received".into()));
                self.step()
            }
            State::Done => match &self.outcome {
                Some(o) => Step::Done(o.clone()),
                None => Step::Done(
                    self.make_outcome(Verdict::NetworkError("fetch ended without outcome".into())),
                ),
            },
        }
    }

    /// The response to the request `step` returned last.
    pub fn receive(&mut self, status: StatusCode, response_headers: HeaderMap) {
        let stage = match self.state {
            State::AwaitPreflight => Stage::Preflight,
            State::AwaitActual => Stage::Actual,
            _ => return,
        };
        let request = match stage {
            Stage::Preflight => self.preflight_request(),
            Stage::Actual => self.actual_request(),
        };
        self.exchanges.push(Exchange {
            request,
            status,
            response_headers: response_headers.clone(),
        });
        let include = self.credentials == CredentialsMode::Include;
        let request_origin = self.request_origin().to_string();
        match stage {
            Stage::Preflight => {
                let names = headers::unsafe_names(&self.headers);
                match preflight::judge(
                    status,
                    &response_headers,
                    &request_origin,
                    include,
                    &self.method,
                    &names,
                ) {
                    Ok(pass) => {
                        if pass.authorization_by_wildcard {
                            self.notes.push("Authorization passed only through `Access-Control-Allow-Headers: *`: Chrome allows it but reports it as deprecated (DevTools issue AuthorizationCoveredByWildcard), and the Fetch standard and future browsers do not; name Authorization explicitly".into());
                        }
                        self.state = State::SendActual;
                    }
                    Err(failure) => self.fail(FailureStage::Preflight, failure),
                }
            }
            Stage::Actual => {
                if preflight::is_redirect(status, &response_headers) {
                    if self.cors_flag {
                        if let Err(failure) =
                            cors_check::check_access(&response_headers, &request_origin, include)
                        {
                            self.fail(FailureStage::Redirect, failure);
                            return;
                        }
                    }
                    self.follow_redirect(status, &response_headers);
                } else if self.cors_flag {
                    match cors_check::check_access(&response_headers, &request_origin, include) {
                        Ok(()) => {
                            let exposed = exposed_headers(&response_headers, include);
                            let mut outcome = self.make_outcome(Verdict::Allowed);
                            outcome.exposed_headers = exposed;
                            self.outcome = Some(outcome);
                            self.state = State::Done;
                        }
                        Err(failure) => self.fail(FailureStage::Actual, failure),
                    }
                } else {
                    self.notes
                        .push("same-origin request: CORS does not apply".into());
                    self.finish(Verdict::Allowed);
                }
            }
        }
    }

    fn follow_redirect(&mut self, status: StatusCode, response_headers: &HeaderMap) {
        self.redirects += 1;
        if self.redirects > MAX_REDIRECTS {
            self.finish(Verdict::NetworkError(
                "more than 20 redirects (net::ERR_TOO_MANY_REDIRECTS)".into(),
            ));
            return;
        }
        let location = response_headers
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let next = match self.current.join(location) {
            Ok(u) if matches!(u.scheme(), "http" | "https") => u,
            _ => {
                self.finish(Verdict::NetworkError(format!(
                    "the redirect Location '{location}' is not an http(s) URL (net::ERR_INVALID_REDIRECT)"
                )));
                return;
            }
        };
        let has_userinfo = !next.username().is_empty() || next.password().is_some();
        if has_userinfo && (self.cors_flag || !self.same_origin_with_page(&next)) {
            // Observed in Chromium 156: the location is printed empty.
            let failure = (CorsError::RedirectContainsCredentials, Vec::new());
            self.fail(FailureStage::Redirect, failure);
            return;
        }
        let code = status.as_u16();
        if ((code == 301 || code == 302) && self.method == "POST")
            || (code == 303 && self.method != "GET" && self.method != "HEAD")
        {
            self.method = "GET".into();
            self.headers.retain(|(n, _)| {
                ![
                    "content-encoding",
                    "content-language",
                    "content-location",
                    "content-type",
                ]
                .iter()
                .any(|b| n.eq_ignore_ascii_case(b))
            });
        }
        if next.origin() != self.current.origin() {
            self.headers
                .retain(|(n, _)| !n.eq_ignore_ascii_case("authorization"));
            if next.origin().ascii_serialization() != self.origin {
                self.tainted = true;
            }
        }
        self.current = next;
        if !self.cors_flag && !self.same_origin_with_page(&self.current.clone()) {
            self.cors_flag = true;
        }
        // A new URL means a new preflight-cache key: preflight again when one is needed.
        self.state = if self.cors_flag && self.needs_preflight() {
            State::SendPreflight
        } else {
            State::SendActual
        };
    }

    fn same_origin_with_page(&self, url: &Url) -> bool {
        !self.tainted && url.origin().ascii_serialization() == self.origin
    }

    fn needs_preflight(&self) -> bool {
        !matches!(self.method.as_str(), "GET" | "HEAD" | "POST")
            || !headers::unsafe_names(&self.headers).is_empty()
    }

    /// The serialised request origin: the page's, or `null` once redirect-tainted.
    fn request_origin(&self) -> &str {
        if self.tainted {
            "null"
        } else {
            &self.origin
        }
    }

    fn sends_credentials(&self) -> bool {
        match self.credentials {
            CredentialsMode::Include => true,
            CredentialsMode::SameOrigin => !self.cors_flag,
            CredentialsMode::Omit => false,
        }
    }

    fn preflight_request(&self) -> OutgoingRequest {
        let mut headers = vec![
            ("Accept".to_string(), "*/*".to_string()),
            (
                "Access-Control-Request-Method".to_string(),
                self.method.clone(),
            ),
        ];
        let names = headers::unsafe_names(&self.headers);
        if !names.is_empty() {
            headers.push((
                "Access-Control-Request-Headers".to_string(),
                names.join(","),
            ));
        }
        headers.push(("Origin".to_string(), self.request_origin().to_string()));
        headers.push(("Sec-Fetch-Mode".to_string(), "cors".to_string()));
        OutgoingRequest {
            stage: Stage::Preflight,
            method: "OPTIONS".into(),
            url: self.current.clone(),
            headers,
        }
    }

    fn actual_request(&self) -> OutgoingRequest {
        let mut headers = self.headers.clone();
        if !headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case("accept"))
        {
            headers.insert(0, ("Accept".to_string(), "*/*".to_string()));
        }
        if self.cors_flag || !matches!(self.method.as_str(), "GET" | "HEAD") {
            headers.push(("Origin".to_string(), self.request_origin().to_string()));
        }
        headers.push((
            "Sec-Fetch-Mode".to_string(),
            if self.cors_flag {
                "cors"
            } else {
                "same-origin"
            }
            .to_string(),
        ));
        if let (Some(cookie), true) = (&self.cookie, self.sends_credentials()) {
            headers.push(("Cookie".to_string(), cookie.clone()));
        }
        OutgoingRequest {
            stage: Stage::Actual,
            method: self.method.clone(),
            url: self.current.clone(),
            headers,
        }
    }

    fn fail(&mut self, stage: FailureStage, (error, hint): CheckFailure) {
        let failed_parameter = message::devtools_parameter(&hint);
        let url = self.current.to_string();
        let console_message = message::console_message(
            self.initiator,
            &url,
            self.initial.as_str(),
            &self.origin,
            error,
            &message::encode_hint(&hint),
        );
        self.finish(Verdict::Blocked(Failure {
            stage,
            error,
            failed_parameter,
            url,
            console_message,
        }));
    }

    fn finish(&mut self, verdict: Verdict) {
        self.outcome = Some(self.make_outcome(verdict));
        self.state = State::Done;
    }

    fn make_outcome(&self, verdict: Verdict) -> Outcome {
        Outcome {
            verdict,
            same_origin: !self.cors_flag,
            exchanges: self.exchanges.clone(),
            notes: self.notes.clone(),
            exposed_headers: Vec::new(),
            initial_url: self.initial.to_string(),
            final_url: self.current.to_string(),
        }
    }
}

fn normalise_method(m: &str) -> Result<String, RequestError> {
    let m = m.trim();
    if !safelist::is_token(m) {
        return Err(RequestError {
            what: format!("'{m}' is not a valid HTTP method"),
            fix: "pass a method such as -X PUT".into(),
        });
    }
    if safelist::is_forbidden_method(m) {
        return Err(RequestError {
            what: format!("browsers refuse to send {m} requests (a forbidden method: fetch() throws before sending)"),
            fix: "use another method".into(),
        });
    }
    Ok(if safelist::browser_normalises_method(m) {
        m.to_ascii_uppercase()
    } else {
        m.to_string()
    })
}

fn serialize_page_origin(origin: &str) -> Result<String, RequestError> {
    let o = origin.trim();
    if o == "null" {
        return Ok("null".into());
    }
    match origin::parse_entry(o) {
        Ok((OriginEntry::Exact(s), _)) => Ok(s),
        Ok(_) => Err(RequestError {
            what: format!("--origin '{o}' is a pattern; a page has one concrete origin"),
            fix: "pass the page's origin, e.g. --origin http://localhost:3000".into(),
        }),
        Err(e) => Err(RequestError {
            what: format!("--origin '{o}' is not an origin: {}", e.why),
            fix: e.fix,
        }),
    }
}

/// The response headers a script can read (CORS-safelisted response headers plus the exposed
/// ones; `*` is a wildcard only without credentials).
fn exposed_headers(headers: &HeaderMap, include_credentials: bool) -> Vec<String> {
    let listed: Vec<String> = cors_check::normalized(headers, "access-control-expose-headers")
        .and_then(|v| String::from_utf8(v).ok())
        .map(|s| {
            s.split(',')
                .map(|i| i.trim().to_ascii_lowercase())
                .filter(|i| !i.is_empty())
                .collect()
        })
        .unwrap_or_default();
    let all = !include_credentials && listed.iter().any(|l| l == "*");
    let mut out: Vec<String> = headers
        .keys()
        .map(|k| k.as_str().to_string())
        .filter(|k| !safelist::is_forbidden_response_header(k))
        .filter(|k| {
            all || safelist::SAFELISTED_RESPONSE_HEADERS.contains(&k.as_str()) || listed.contains(k)
        })
        .collect();
    out.dedup();
    out
}
