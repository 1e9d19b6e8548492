//! The cause of a CORS failure in plain words, and the fix: the exact setting for the server
//! software recognised from its responses, or the headers to send when it is not recognised.

use super::error::CorsError;
use super::fetch::{Exchange, Outcome, Stage};
use super::{headers, CredentialsMode, PageRequest};
use http::HeaderMap;

/// Server software whose CORS configuration corsgate can write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServerKind {
    Corsgate,
    Starlette,
    TowerHttp,
    Express,
    Nginx,
    Unknown,
}

impl ServerKind {
    pub fn name(self) -> &'static str {
        match self {
            ServerKind::Corsgate => "corsgate",
            ServerKind::Starlette => "FastAPI/Starlette",
            ServerKind::TowerHttp => "axum/tower-http",
            ServerKind::Express => "Express",
            ServerKind::Nginx => "nginx",
            ServerKind::Unknown => "unknown server",
        }
    }

    /// Recognises the server from response headers; returns the evidence too.
    pub fn recognise(exchanges: &[Exchange]) -> (ServerKind, Option<String>) {
        for e in exchanges.iter().rev() {
            if let Some(found) = recognise_one(&e.response_headers) {
                return found;
            }
        }
        (ServerKind::Unknown, None)
    }
}

fn recognise_one(h: &HeaderMap) -> Option<(ServerKind, Option<String>)> {
    let get = |n: &str| {
        h.get(n)
            .and_then(|v| v.to_str().ok())
            .map(str::to_ascii_lowercase)
    };
    if let Some(server) = get("server") {
        let kind = if server.contains("corsgate") {
            Some(ServerKind::Corsgate)
        } else if ["uvicorn", "hypercorn", "daphne", "granian"]
            .iter()
            .any(|s| server.contains(s))
        {
            Some(ServerKind::Starlette)
        } else if server.starts_with("nginx") || server.starts_with("openresty") {
            Some(ServerKind::Nginx)
        } else {
            None
        };
        if let Some(kind) = kind {
            return Some((kind, Some(format!("server: {server}"))));
        }
    }
    if get("via").is_some_and(|v| v.contains("corsgate")) {
        return Some((ServerKind::Corsgate, Some("via: corsgate".into())));
    }
    if get("x-powered-by").is_some_and(|v| v.contains("express")) {
        return Some((ServerKind::Express, Some("x-powered-by: Express".into())));
    }
    let vary: Vec<String> = h
        .get_all("vary")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(str::to_string)
        .collect();
    if vary.iter().any(|v| {
        v == "Origin, Access-Control-Request-Method, Access-Control-Request-Headers, Access-Control-Request-Private-Network"
    }) {
        return Some((ServerKind::Corsgate, Some("corsgate's preflight Vary header".into())));
    }
    if vary
        .iter()
        .any(|v| v == "origin, access-control-request-method, access-control-request-headers")
    {
        return Some((
            ServerKind::TowerHttp,
            Some("tower-http's Vary header".into()),
        ));
    }
    None
}

/// Why the request was blocked, and what to change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Advice {
    pub server: ServerKind,
    /// What identified the server (e.g. `server: uvicorn`).
    pub evidence: Option<String>,
    pub cause: String,
    pub fix: String,
}

/// What the server must allow for this request to pass.
struct Needs {
    origin: String,
    methods: Vec<String>,
    headers: Vec<String>,
    credentials: bool,
}

/// Explains a blocked outcome; `None` when the request was allowed.
pub fn advise(outcome: &Outcome, req: &PageRequest) -> Option<Advice> {
    let failure = outcome.failure()?;
    let (server, evidence) = ServerKind::recognise(&outcome.exchanges);
    let origin = outcome_origin(req);
    let preflight = outcome.preflight();
    let header = |e: Option<&Exchange>, n: &str| {
        e.and_then(|e| e.response_headers.get(n))
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
    };
    let method = req.method.trim().to_string();
    let method = if crate::safelist::browser_normalises_method(&method) {
        method.to_ascii_uppercase()
    } else {
        method
    };
    let unsafe_names = headers::unsafe_names(&req.headers);
    let needs = Needs {
        origin: origin.clone(),
        methods: if matches!(method.as_str(), "GET" | "HEAD" | "POST") {
            vec![method.clone()]
        } else {
            vec!["GET".into(), method.clone()]
        },
        headers: unsafe_names.clone(),
        credentials: req.credentials == CredentialsMode::Include,
    };
    let hint = &failure.failed_parameter;
    let status = outcome
        .exchanges
        .iter()
        .rev()
        .find(|e| {
            match failure.error.has_preflight_prefix()
                || failure.error == CorsError::MethodDisallowedByPreflightResponse
                || failure.error == CorsError::HeaderDisallowedByPreflightResponse
            {
                true => e.request.stage == Stage::Preflight,
                false => e.request.stage == Stage::Actual,
            }
        })
        .map(|e| e.status.as_u16());
    let on = if failure.error.has_preflight_prefix() {
        "preflight (OPTIONS) response"
    } else {
        "response"
    };
    use CorsError::*;
    let (cause, lead) = match failure.error.base() {
        MissingAllowOriginHeader => {
            let mut cause = format!(
                "The {on} has no Access-Control-Allow-Origin header, so the browser hides it from the page. Either the server has no CORS configuration at all, or {} is not among its allowed origins (CORS middleware answers disallowed origins without the header).",
                if origin == "null" { "the opaque origin 'null'".to_string() } else { format!("'{origin}'") }
            );
            let preflight_failed = failure.error == PreflightMissingAllowOriginHeader;
            match status {
                Some(s @ (401 | 403)) if preflight_failed => cause.push_str(&format!(
                    " The preflight was refused with {s}: either the CORS policy rejects this origin, method or header set (corsgate answers rejected preflights with 403 and no CORS headers), or an authentication layer runs before CORS (preflights never carry cookies or Authorization)."
                )),
                Some(s) if preflight_failed && s >= 400 => cause.push_str(&format!(
                    " The preflight got {s}: nothing answered the OPTIONS request as a preflight; the router saw it instead (no CORS middleware, or the middleware is added after the routes)."
                )),
                Some(s) if s >= 500 => cause.push_str(&format!(
                    " The status was {s}: some frameworks add CORS headers only to handled responses (FastAPI/Starlette skip them on unhandled 500s), which turns a server error into a CORS error; the server's log has the real error."
                )),
                Some(s) if s >= 400 => cause.push_str(&format!(
                    " The status was {s}; if CORS is configured, check that the CORS layer also wraps error responses."
                )),
                _ => {}
            }
            (cause, format!("Allow the origin {origin}:"))
        }
        WildcardOriginNotAllowed => (
            format!("The {on} says `Access-Control-Allow-Origin: *`, but the request's credentials mode is 'include' (cookies or HTTP auth). With credentials the browser requires the exact origin and `Access-Control-Allow-Credentials: true`; `*` is refused."),
            "Answer with the exact origin and allow credentials — or, if the page does not need cookies, stop sending them (fetch credentials: 'same-origin', XHR withCredentials = false):".to_string(),
        ),
        MultipleAllowOriginValues => (
            format!("The {on} carries Access-Control-Allow-Origin with several values ('{hint}'). Usually two layers both add the header (e.g. nginx in front of an app that already sends it), or the server lists every allowed origin instead of the one that asked."),
            "Send exactly one value, the requesting origin; remove the duplicate layer (corsgate serve --upstream strips the upstream's own CORS headers):".to_string(),
        ),
        InvalidAllowOriginValue => (
            format!("The {on}'s Access-Control-Allow-Origin value '{hint}' is not an origin (it must be `*`, `null` or scheme://host[:port])."),
            format!("Send exactly '{origin}':"),
        ),
        AllowOriginMismatch => (
            format!("The {on} allows '{hint}', but the request came from '{}'. {}", request_origin_after_taint(outcome, &origin), mismatch_detail(hint, &origin, outcome)),
            format!("Allow exactly {origin} (as the browser writes it: lower case, no trailing slash, no default port):"),
        ),
        InvalidAllowCredentials => (
            format!("The request's credentials mode is 'include', so the {on} must carry `Access-Control-Allow-Credentials: true` (exactly, lower case); it carries '{hint}'."),
            "Turn credentials on in the server's CORS configuration:".to_string(),
        ),
        PreflightInvalidStatus => (
            format!("The preflight (OPTIONS) got status {}, not 2xx. Typical causes: the router has no OPTIONS route and answers 404/405 because no CORS middleware intercepts preflights, or an authentication layer answers 401/403 before CORS runs (preflights never carry credentials).", status.map_or("?".to_string(), |s| s.to_string())),
            "Let the CORS middleware answer preflights before routing and authentication:".to_string(),
        ),
        PreflightDisallowedRedirect => (
            format!("The preflight was answered with a redirect{}; browsers never follow redirects for preflights (common causes: http→https, or a trailing-slash redirect such as /api/users → /api/users/).", header(preflight, "location").map(|l| format!(" to '{l}'")).unwrap_or_default()),
            "Request the final URL directly, and make the server answer OPTIONS there without redirecting:".to_string(),
        ),
        InvalidAllowMethodsPreflightResponse => (
            format!("The preflight's Access-Control-Allow-Methods value '{}' cannot be parsed: it must be a comma-separated list of method names.", header(preflight, "access-control-allow-methods").unwrap_or_default()),
            "Send a comma-separated list, e.g. `Access-Control-Allow-Methods: GET, POST, PUT`:".to_string(),
        ),
        InvalidAllowHeadersPreflightResponse => (
            format!("The preflight's Access-Control-Allow-Headers value '{}' cannot be parsed: it must be a comma-separated list of header names.", header(preflight, "access-control-allow-headers").unwrap_or_default()),
            "Send a comma-separated list, e.g. `Access-Control-Allow-Headers: Authorization, Content-Type`:".to_string(),
        ),
        MethodDisallowedByPreflightResponse => (
            format!(
                "The request uses method {hint}, which needs the preflight to allow it, but Access-Control-Allow-Methods is '{}'. Method names are case-sensitive{}.",
                header(preflight, "access-control-allow-methods").unwrap_or_default(),
                if needs.credentials { ", and with credentials `*` is not a wildcard" } else { "" }
            ),
            format!("Add {hint} to the allowed methods:"),
        ),
        HeaderDisallowedByPreflightResponse => {
            let allowed = header(preflight, "access-control-allow-headers").unwrap_or_default();
            let allowed_lower: Vec<String> = allowed.split(',').map(|s| s.trim().to_ascii_lowercase()).collect();
            let missing: Vec<&String> = unsafe_names.iter().filter(|n| !allowed_lower.contains(n)).collect();
            (
                format!(
                    "The request sets header{} {} that the preflight does not allow (Access-Control-Allow-Headers is '{allowed}'){}. Chrome reports one of them: '{hint}'.",
                    if missing.len() > 1 { "s" } else { "" },
                    missing.iter().map(|m| format!("'{m}'")).collect::<Vec<_>>().join(", "),
                    if needs.credentials { "; with credentials `*` is not a wildcard" } else { "" }
                ),
                "Add the request headers to the allowed headers:".to_string(),
            )
        }
        RedirectContainsCredentials => (
            "A redirect's Location contains a user name and password (http://user:pass@host/...); browsers refuse such redirects for cross-origin requests.".to_string(),
            "Remove the credentials from the Location header; authenticate with a header or cookie instead.".to_string(),
        ),
        CorsDisabledScheme => (
            format!("fetch() only loads http: and https: URLs; '{hint}:' is not supported."),
            "Serve the resource over http or https.".to_string(),
        ),
        _ => (
            format!("The browser blocked the request ({}).", failure.error.name()),
            "Check the server's CORS configuration:".to_string(),
        ),
    };
    let snippet = match failure.error.base() {
        RedirectContainsCredentials | CorsDisabledScheme => String::new(),
        _ => format!(
            "\n  A configuration that allows this request (merge it into yours):\n{}",
            snippet(server, &needs)
        ),
    };
    Some(Advice {
        server,
        evidence,
        cause,
        fix: format!("{lead}{snippet}"),
    })
}

fn outcome_origin(req: &PageRequest) -> String {
    let o = req.origin.trim();
    o.trim_end_matches('/').to_ascii_lowercase()
}

fn request_origin_after_taint(outcome: &Outcome, origin: &str) -> String {
    let tainted = outcome
        .exchanges
        .last()
        .and_then(|e| e.request.headers.iter().find(|(n, _)| n == "Origin"))
        .is_some_and(|(_, v)| v == "null");
    if tainted {
        "null".into()
    } else {
        origin.into()
    }
}

fn mismatch_detail(allowed: &str, origin: &str, outcome: &Outcome) -> String {
    if request_origin_after_taint(outcome, origin) == "null" {
        return "A redirect to a third origin tainted the request, so the browser sent `Origin: null` and compares the header against `null`.".into();
    }
    if allowed.trim_end_matches('/') == origin && allowed.ends_with('/') {
        return "They differ only by the trailing slash, which origins never have.".into();
    }
    if allowed.eq_ignore_ascii_case(origin) {
        return "They differ only in letter case; the comparison is exact.".into();
    }
    let split = |o: &str| {
        o.split_once("://")
            .map(|(s, r)| (s.to_ascii_lowercase(), r.to_ascii_lowercase()))
    };
    match (split(allowed), split(origin)) {
        (Some((s1, r1)), Some((s2, r2))) if s1 != s2 && r1 == r2 => {
            format!("They differ in scheme ({s1} vs {s2}).")
        }
        (Some((_, r1)), Some((_, r2))) if r1.split(':').next() == r2.split(':').next() => {
            "They differ in port; the port is part of the origin.".into()
        }
        _ => "The server allows a different origin.".into(),
    }
}

fn quoted(items: &[String], q: char) -> String {
    items
        .iter()
        .map(|i| format!("{q}{i}{q}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn snippet(server: ServerKind, n: &Needs) -> String {
    let o = &n.origin;
    let methods = &n.methods;
    let headers = &n.headers;
    match server {
        ServerKind::Corsgate => {
            let mut s = format!("  # corsgate.toml (or --allow-origin / CORSGATE_ALLOW_ORIGINS)\n  allow_origins = [\"{o}\"]\n  allow_methods = [{}]\n", quoted(methods, '"'));
            if !headers.is_empty() {
                s.push_str(&format!("  allow_headers = [{}]\n", quoted(headers, '"')));
            }
            if n.credentials {
                s.push_str("  allow_credentials = true\n");
            }
            s
        }
        ServerKind::Starlette => {
            let mut s = format!("  from fastapi.middleware.cors import CORSMiddleware\n\n  app.add_middleware(\n      CORSMiddleware,\n      allow_origins=[\"{o}\"],\n");
            if n.credentials {
                s.push_str("      allow_credentials=True,\n");
            }
            s.push_str(&format!(
                "      allow_methods=[{}],\n",
                quoted(methods, '"')
            ));
            if !headers.is_empty() {
                s.push_str(&format!(
                    "      allow_headers=[{}],\n",
                    quoted(headers, '"')
                ));
            }
            s.push_str("  )\n  # For CORS headers on unhandled 500s too, wrap the whole app: app = CORSMiddleware(app, ...)\n");
            s
        }
        ServerKind::TowerHttp => {
            let m = methods
                .iter()
                .map(|m| match m.as_str() {
                    "GET" | "POST" | "PUT" | "DELETE" | "HEAD" | "PATCH" | "OPTIONS" => {
                        format!("Method::{m}")
                    }
                    other => format!("Method::from_bytes(b\"{other}\")?"),
                })
                .collect::<Vec<_>>()
                .join(", ");
            let mut s = format!("  let cors = CorsLayer::new()\n      .allow_origin(\"{o}\".parse::<HeaderValue>()?)\n      .allow_methods([{m}])\n");
            if !headers.is_empty() {
                let h = headers
                    .iter()
                    .map(|h| format!("HeaderName::from_static(\"{h}\")"))
                    .collect::<Vec<_>>()
                    .join(", ");
                s.push_str(&format!("      .allow_headers([{h}])\n"));
            }
            if n.credentials {
                s.push_str("      .allow_credentials(true)\n");
            }
            s.push_str("  ;\n  let app = Router::new() /* routes */ .layer(cors); // add the layer last, so it wraps every route\n");
            s
        }
        ServerKind::Express => {
            let mut s = format!("  const cors = require('cors');\n  app.use(cors({{\n    origin: '{o}',\n    methods: [{}],\n", quoted(methods, '\''));
            if !headers.is_empty() {
                s.push_str(&format!(
                    "    allowedHeaders: [{}],\n",
                    quoted(headers, '\'')
                ));
            }
            if n.credentials {
                s.push_str("    credentials: true,\n");
            }
            s.push_str("  }));  // before the routes\n");
            s
        }
        ServerKind::Nginx => {
            let mut cors = vec![format!(
                "add_header 'Access-Control-Allow-Origin' '{o}' always;"
            )];
            if n.credentials {
                cors.push("add_header 'Access-Control-Allow-Credentials' 'true' always;".into());
            }
            let mut pre = cors.clone();
            pre.push(format!(
                "add_header 'Access-Control-Allow-Methods' '{}' always;",
                methods.join(", ")
            ));
            if !headers.is_empty() {
                pre.push(format!(
                    "add_header 'Access-Control-Allow-Headers' '{}' always;",
                    headers.join(", ")
                ));
            }
            pre.push("add_header 'Access-Control-Max-Age' 600 always;".into());
            pre.push("return 204;".into());
            cors.push("add_header 'Vary' 'Origin' always;".into());
            let indent = |lines: &[String], pad: &str| {
                lines
                    .iter()
                    .map(|l| format!("{pad}{l}\n"))
                    .collect::<String>()
            };
            format!(
                "  location /api/ {{\n      if ($request_method = OPTIONS) {{\n{}      }}\n{}      # ... proxy_pass etc.\n  }}\n  # Only one layer may add these headers: if the app behind nginx sends them too, remove one.\n",
                indent(&pre, "          "),
                indent(&cors, "      ")
            )
        }
        ServerKind::Unknown => {
            let mut s = format!("  Preflight (OPTIONS) response, status 200 or 204:\n    Access-Control-Allow-Origin: {o}\n    Access-Control-Allow-Methods: {}\n", methods.join(", "));
            if !headers.is_empty() {
                s.push_str(&format!(
                    "    Access-Control-Allow-Headers: {}\n",
                    headers.join(", ")
                ));
            }
            if n.credentials {
                s.push_str("    Access-Control-Allow-Credentials: true\n");
            }
            s.push_str(&format!("    Vary: Origin\n  Actual response (every status, errors included):\n    Access-Control-Allow-Origin: {o}\n"));
            if n.credentials {
                s.push_str("    Access-Control-Allow-Credentials: true\n");
            }
            s.push_str("    Vary: Origin\n");
            s
        }
    }
}
