//! CORS headers on actual (non-preflight) responses, whatever their status.

use crate::decision::ActualCors;
use crate::policy::{Expose, Policy};
use crate::safelist;
use crate::vary;
use http::header::{
    ACCESS_CONTROL_ALLOW_CREDENTIALS, ACCESS_CONTROL_ALLOW_ORIGIN, ACCESS_CONTROL_EXPOSE_HEADERS,
};
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};

const TRUE: HeaderValue = HeaderValue::from_static("true");
const STAR: HeaderValue = HeaderValue::from_static("*");
const VARY_ORIGIN: HeaderValue = HeaderValue::from_static("Origin");

impl Policy {
    /// Adds the CORS headers an actual response needs, given the decision made on its request.
    ///
    /// Allowed origins get ACAO (and ACAC, ACEH); disallowed origins and non-CORS requests get
    /// none, except that `*` without credentials answers every response with `ACAO: *`.
    /// `Vary: Origin` is appended whenever the answer depends on the origin.
    pub fn apply_actual(&self, cors: &ActualCors, out: &mut HeaderMap) {
        if self.acao_star {
            // Constant for every request, so no Vary.
            self.insert_expose(out);
            out.insert(ACCESS_CONTROL_ALLOW_ORIGIN, STAR);
            return;
        }
        if let ActualCors::Allowed(origin) = cors {
            self.insert_expose(out);
            out.insert(ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone());
            if self.credentials {
                out.insert(ACCESS_CONTROL_ALLOW_CREDENTIALS, TRUE);
            }
        }
        vary_origin(out);
    }

    /// Whether [`Policy::apply_actual`] does more than [`vary_origin`] for this request: the
    /// layer then keeps the policy for the response; otherwise it needs nothing of it.
    #[cfg(feature = "tower")]
    pub(crate) fn actual_needs_policy(&self, cors: &ActualCors) -> bool {
        self.acao_star || matches!(cors, ActualCors::Allowed(_))
    }

    /// Writes the headers of a blocked actual request (`block_disallowed`) and returns its
    /// status: no CORS headers, only `Vary: Origin`.
    pub fn write_rejection(&self, out: &mut HeaderMap) -> StatusCode {
        vary_origin(out);
        self.reject_status
    }

    fn insert_expose(&self, out: &mut HeaderMap) {
        match &self.expose {
            Expose::None => {}
            Expose::Value(v) => {
                out.insert(ACCESS_CONTROL_EXPOSE_HEADERS, v.clone());
            }
            Expose::ResponseHeaderNames => {
                if let Some(v) = response_header_names(out) {
                    out.insert(ACCESS_CONTROL_EXPOSE_HEADERS, v);
                }
            }
        }
    }
}

/// What an actual response gets when its request was not allowed (or not CORS) and the answer
/// depends on the origin: `Vary: Origin`, nothing else.
pub(crate) fn vary_origin(out: &mut HeaderMap) {
    vary::append(out, &[vary::ORIGIN], &VARY_ORIGIN);
}

/// The response's own header names, minus those scripts can always read or never read.
fn response_header_names(headers: &HeaderMap) -> Option<HeaderValue> {
    let names: Vec<&str> = headers
        .keys()
        .map(HeaderName::as_str)
        .filter(|n| {
            !safelist::SAFELISTED_RESPONSE_HEADERS.contains(n)
                && !safelist::is_forbidden_response_header(n)
                && *n != "vary"
                && !n.starts_with("access-control-")
        })
        .collect();
    if names.is_empty() {
        return None;
    }
    HeaderValue::from_str(&names.join(", ")).ok()
}
