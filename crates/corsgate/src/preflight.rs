//! CORS preflights: checking the requested method, headers and private-network access, and
//! writing the answer.

use crate::decision::{Decision, Reason};
use crate::policy::{AllowList, Policy};
use crate::safelist;
use crate::vary;
use http::header::{
    ACCESS_CONTROL_ALLOW_CREDENTIALS, ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS,
    ACCESS_CONTROL_ALLOW_ORIGIN, ACCESS_CONTROL_MAX_AGE, ACCESS_CONTROL_REQUEST_HEADERS,
    ACCESS_CONTROL_REQUEST_METHOD, CONTENT_LENGTH,
};
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use std::cmp::Ordering;

pub(crate) const ACRPN: HeaderName =
    HeaderName::from_static("access-control-request-private-network");
pub(crate) const ACAPN: HeaderName =
    HeaderName::from_static("access-control-allow-private-network");
const TRUE: HeaderValue = HeaderValue::from_static("true");
const STAR: HeaderValue = HeaderValue::from_static("*");
const ZERO: HeaderValue = HeaderValue::from_static("0");
const VARY_PREFLIGHT: HeaderValue = HeaderValue::from_static(
    "Origin, Access-Control-Request-Method, Access-Control-Request-Headers, Access-Control-Request-Private-Network",
);

/// Checks the parts of a preflight after the origin; the first failure wins.
pub(crate) fn check<'r>(
    policy: &Policy,
    acrm: &'r HeaderValue,
    headers: &'r HeaderMap,
) -> Result<(), Reason<'r>> {
    let method = acrm
        .to_str()
        .map_err(|_| Reason::InvalidRequestMethod)?
        .trim();
    if !safelist::is_token(method) {
        return Err(Reason::InvalidRequestMethod);
    }
    // Literal, case-sensitive, safelisted methods included: as Starlette does, and as Chromium
    // compares Access-Control-Allow-Methods.
    if let AllowList::List(list) = &policy.methods {
        if !list.iter().any(|m| **m == *method) {
            return Err(Reason::MethodNotAllowed(method));
        }
    }
    for line in headers.get_all(ACCESS_CONTROL_REQUEST_HEADERS) {
        let line = line.to_str().map_err(|_| Reason::InvalidRequestHeaders)?;
        // Browsers send `a,b,c`; intermediaries add spaces or empty items, which are tolerated.
        for name in line.split(',').map(|n| n.trim_matches([' ', '\t'])) {
            if name.is_empty() {
                continue;
            }
            if !safelist::is_token(name) {
                return Err(Reason::InvalidRequestHeaders);
            }
            if let AllowList::List(list) = &policy.headers {
                if list
                    .binary_search_by(|allowed| cmp_lower(allowed, name))
                    .is_err()
                {
                    return Err(Reason::HeaderNotAllowed(name));
                }
            }
        }
    }
    if requests_private_network(headers) && !policy.private_network {
        return Err(Reason::PrivateNetworkNotAllowed);
    }
    Ok(())
}

fn requests_private_network(headers: &HeaderMap) -> bool {
    headers
        .get(ACRPN)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"true"))
}

/// Orders an already lower-case name against an arbitrary-case one, without allocating.
fn cmp_lower(lower: &str, other: &str) -> Ordering {
    lower
        .bytes()
        .cmp(other.bytes().map(|b| b.to_ascii_lowercase()))
}

impl Policy {
    /// Writes the answer to a preflight into `out` and returns its status. An allowed preflight
    /// gets the full set of `Access-Control-Allow-*` headers; a rejected one gets only `Vary`, so
    /// the policy is not disclosed to origins it does not trust.
    pub fn write_preflight(
        &self,
        decision: &Decision<'_>,
        request: &HeaderMap,
        out: &mut HeaderMap,
    ) -> StatusCode {
        vary::append(out, &vary::PREFLIGHT, &VARY_PREFLIGHT);
        if !decision.is_allowed() {
            return self.reject_status;
        }
        out.insert(CONTENT_LENGTH, ZERO);
        match (self.acao_star, decision.origin) {
            (true, _) => {
                out.insert(ACCESS_CONTROL_ALLOW_ORIGIN, STAR);
            }
            (false, Some(origin)) => {
                out.insert(ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone());
            }
            (false, None) => {}
        }
        if self.credentials {
            out.insert(ACCESS_CONTROL_ALLOW_CREDENTIALS, TRUE);
        }
        match &self.acam {
            Some(list) => {
                out.insert(ACCESS_CONTROL_ALLOW_METHODS, list.clone());
            }
            // `*` would be a literal method name for credentialed requests: echo the method.
            None => {
                if let Some(m) = request.get(ACCESS_CONTROL_REQUEST_METHOD) {
                    out.insert(ACCESS_CONTROL_ALLOW_METHODS, m.clone());
                }
            }
        }
        match &self.acah {
            Some(list) => {
                out.insert(ACCESS_CONTROL_ALLOW_HEADERS, list.clone());
            }
            // Mirror what was asked, so Authorization is always named (never covered by `*`).
            None => mirror_request_headers(request, out),
        }
        out.insert(ACCESS_CONTROL_MAX_AGE, self.acma.clone());
        if self.private_network && requests_private_network(request) {
            out.insert(ACAPN, TRUE);
        }
        self.preflight_status
    }
}

fn mirror_request_headers(request: &HeaderMap, out: &mut HeaderMap) {
    let mut lines = request.get_all(ACCESS_CONTROL_REQUEST_HEADERS).iter();
    let Some(first) = lines.next() else { return };
    match lines.next() {
        None => {
            out.insert(ACCESS_CONTROL_ALLOW_HEADERS, first.clone());
        }
        Some(_) => {
            let joined = request
                .get_all(ACCESS_CONTROL_REQUEST_HEADERS)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .collect::<Vec<_>>()
                .join(",");
            if let Ok(v) = HeaderValue::from_str(&joined) {
                out.insert(ACCESS_CONTROL_ALLOW_HEADERS, v);
            }
        }
    }
}
