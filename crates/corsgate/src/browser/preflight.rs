//! The browser side of a preflight: building it as Chromium does, and judging its response in
//! Chromium's order (redirect → CORS check → ok status → parse ACAM/ACAH → method → headers).

use super::cors_check::{self, CheckFailure};
use super::error::CorsError;
use crate::safelist;
use http::{HeaderMap, StatusCode};

/// What a successful preflight established, beyond "allowed".
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct PreflightPass {
    /// `Authorization` was let through only by `Access-Control-Allow-Headers: *`, which Chromium
    /// still accepts but reports as deprecated (the Fetch standard says `*` never covers it).
    pub(crate) authorization_by_wildcard: bool,
}

pub(crate) fn is_redirect(status: StatusCode, headers: &HeaderMap) -> bool {
    matches!(status.as_u16(), 301 | 302 | 303 | 307 | 308) && headers.contains_key("location")
}

/// `Access-Control-Allow-Methods` / `-Headers` as Chromium parses them: comma-separated, empty
/// items skipped, whitespace trimmed, every item a token. `None` = parse failure.
fn parse_list(headers: &HeaderMap, name: &str, lower: bool) -> Option<Vec<String>> {
    let Some(value) = cors_check::normalized(headers, name) else {
        return Some(Vec::new());
    };
    let text = std::str::from_utf8(&value).ok()?;
    let mut items = Vec::new();
    for item in text.split(',').map(|i| i.trim_matches([' ', '\t'])) {
        if item.is_empty() {
            continue;
        }
        if !safelist::is_token(item) {
            return None;
        }
        items.push(if lower {
            item.to_ascii_lowercase()
        } else {
            item.to_string()
        });
    }
    Some(items)
}

/// Judges a preflight response for an actual request with `method` and CORS-unsafe header
/// `names` (sorted, lower-case).
pub(crate) fn judge(
    status: StatusCode,
    headers: &HeaderMap,
    request_origin: &str,
    include_credentials: bool,
    method: &str,
    names: &[String],
) -> Result<PreflightPass, CheckFailure> {
    if is_redirect(status, headers) {
        return Err((CorsError::PreflightDisallowedRedirect, Vec::new()));
    }
    // A CORS failure beats the status: a 500 without ACAO reports the missing header.
    cors_check::check_access(headers, request_origin, include_credentials)
        .map_err(|(e, hint)| (e.on_preflight(), hint))?;
    if !status.is_success() {
        return Err((CorsError::PreflightInvalidStatus, Vec::new()));
    }
    let methods = parse_list(headers, "access-control-allow-methods", false)
        .ok_or((CorsError::InvalidAllowMethodsPreflightResponse, Vec::new()))?;
    let allowed_headers = parse_list(headers, "access-control-allow-headers", true)
        .ok_or((CorsError::InvalidAllowHeadersPreflightResponse, Vec::new()))?;

    let method_ok = methods.iter().any(|m| m == method)
        || matches!(method, "GET" | "HEAD" | "POST")
        || (!include_credentials && methods.iter().any(|m| m == "*"));
    if !method_ok {
        return Err((
            CorsError::MethodDisallowedByPreflightResponse,
            method.as_bytes().to_vec(),
        ));
    }

    let wildcard = !include_credentials && allowed_headers.iter().any(|h| h == "*");
    let mut pass = PreflightPass::default();
    for name in names {
        if allowed_headers.iter().any(|h| h == name) {
            continue;
        }
        if wildcard {
            // Chromium 156 (CorsNonWildcardRequestHeadersSupport off) lets Authorization
            // through `*` with a deprecation issue; the standard would not.
            pass.authorization_by_wildcard |= name == "authorization";
            continue;
        }
        return Err((
            CorsError::HeaderDisallowedByPreflightResponse,
            name.as_bytes().to_vec(),
        ));
    }
    Ok(pass)
}
