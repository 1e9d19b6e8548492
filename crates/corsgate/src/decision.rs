//! The server half's verdict for one request: what kind of request it is, whether the policy
//! allows it, and why. Deciding borrows from the request and allocates nothing.

use crate::allow_origin::{MatchedBy, OriginVerdict};
use crate::policy::Policy;
use crate::preflight;
use http::header::ORIGIN;
use http::{HeaderMap, HeaderValue, Method};
use std::fmt;

/// What Fetch would call the request, from the server's point of view.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RequestKind {
    /// No `Origin` header: same-origin GET/HEAD or a non-browser client.
    NotCors,
    /// `OPTIONS` with `Origin` and `Access-Control-Request-Method`.
    Preflight,
    /// Any other request with an `Origin` header.
    Actual,
}

/// The outcome, for logs and metrics.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    NotCors,
    Allowed,
    Rejected,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::NotCors => "not-cors",
            Verdict::Allowed => "allowed",
            Verdict::Rejected => "rejected",
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why the policy decided as it did. Borrowed strings point into the request headers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason<'r> {
    /// No `Origin` header.
    NoOrigin,
    /// The origin (and, for a preflight, the method and headers) are allowed.
    Allowed(MatchedBy),
    /// The `Origin` header is not printable ASCII.
    InvalidOrigin,
    /// The origin matches no `allow_origins` entry and not `allow_origin_regex`.
    OriginNotAllowed(&'r str),
    /// `Origin: null` without `allow_null_origin`.
    NullOriginNotAllowed,
    /// `Access-Control-Request-Method` is not a method name.
    InvalidRequestMethod,
    /// The requested method is not in `allow_methods`.
    MethodNotAllowed(&'r str),
    /// `Access-Control-Request-Headers` is not a list of header names.
    InvalidRequestHeaders,
    /// A requested header is not in `allow_headers`.
    HeaderNotAllowed(&'r str),
    /// `Access-Control-Request-Private-Network: true` without `allow_private_network`.
    PrivateNetworkNotAllowed,
}

impl fmt::Display for Reason<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::NoOrigin => f.write_str("no Origin header (not a CORS request)"),
            Reason::Allowed(by) => write!(
                f,
                "origin allowed by {}",
                match by {
                    MatchedBy::Any => "allow_origins \"*\"",
                    MatchedBy::Exact => "an exact allow_origins entry",
                    MatchedBy::Pattern => "an allow_origins pattern",
                    MatchedBy::Regex => "allow_origin_regex",
                    MatchedBy::Null => "allow_null_origin",
                }
            ),
            Reason::InvalidOrigin => f.write_str("the Origin header is not a valid origin"),
            Reason::OriginNotAllowed(o) => write!(
                f,
                "origin '{o}' is not allowed: it matches no allow_origins entry or allow_origin_regex"
            ),
            Reason::NullOriginNotAllowed => f.write_str(
                "origin 'null' is not allowed (sandboxed or file: page, or a redirect); it needs allow_null_origin",
            ),
            Reason::InvalidRequestMethod => {
                f.write_str("Access-Control-Request-Method is not a valid method name")
            }
            Reason::MethodNotAllowed(m) => write!(f, "method '{m}' is not in allow_methods"),
            Reason::InvalidRequestHeaders => {
                f.write_str("Access-Control-Request-Headers is not a valid list of header names")
            }
            Reason::HeaderNotAllowed(h) => write!(f, "request header '{h}' is not in allow_headers"),
            Reason::PrivateNetworkNotAllowed => f.write_str(
                "private network access was requested but allow_private_network is off",
            ),
        }
    }
}

/// The policy's decision for one request.
#[derive(Clone, Copy, Debug)]
pub struct Decision<'r> {
    pub kind: RequestKind,
    pub reason: Reason<'r>,
    pub(crate) origin: Option<&'r HeaderValue>,
}

impl<'r> Decision<'r> {
    pub fn verdict(&self) -> Verdict {
        match self.reason {
            Reason::NoOrigin => Verdict::NotCors,
            Reason::Allowed(_) => Verdict::Allowed,
            _ => Verdict::Rejected,
        }
    }

    pub fn is_allowed(&self) -> bool {
        matches!(self.reason, Reason::Allowed(_))
    }

    /// The request's `Origin` value, when it is printable ASCII.
    pub fn origin(&self) -> Option<&'r str> {
        self.origin.and_then(|v| v.to_str().ok())
    }

    /// What an actual request needs once its response exists; owns only a cheap clone of the
    /// `Origin` value, so it can travel into a response future.
    pub fn actual(&self) -> ActualCors {
        match (self.reason, self.origin) {
            (Reason::NoOrigin, _) => ActualCors::NotCors,
            (Reason::Allowed(_), Some(o)) => ActualCors::Allowed(o.clone()),
            _ => ActualCors::Disallowed,
        }
    }
}

/// The CORS state an actual response is finished with; see [`Policy::apply_actual`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ActualCors {
    NotCors,
    /// Allowed; holds the request's `Origin` to reflect.
    Allowed(HeaderValue),
    Disallowed,
}

impl Policy {
    /// Decides a request from its method and headers. Allocation-free.
    pub fn decide<'r>(&self, method: &Method, headers: &'r HeaderMap) -> Decision<'r> {
        // An OPTIONS request may be a preflight, which reads four request headers: one walk over
        // the fields finds them all (see `preflight::Fields`). Any other request reads one.
        let (origin, fields) = if method == Method::OPTIONS {
            let fields = preflight::Fields::of(headers);
            (fields.origin, Some(fields))
        } else {
            (headers.get(ORIGIN), None)
        };
        let Some(origin_value) = origin else {
            return Decision {
                kind: RequestKind::NotCors,
                reason: Reason::NoOrigin,
                origin: None,
            };
        };
        let preflight = fields.filter(|f| f.acrm.is_some());
        let kind = if preflight.is_some() {
            RequestKind::Preflight
        } else {
            RequestKind::Actual
        };
        let reason = match self.check_origin(origin_value) {
            Err(r) => r,
            Ok(by) => match preflight {
                Some(fields) => preflight::check(self, &fields, headers)
                    .map_or_else(|r| r, |()| Reason::Allowed(by)),
                None => Reason::Allowed(by),
            },
        };
        Decision {
            kind,
            reason,
            origin: Some(origin_value),
        }
    }

    fn check_origin<'r>(&self, value: &'r HeaderValue) -> Result<MatchedBy, Reason<'r>> {
        match self.origins.check(value) {
            OriginVerdict::Allowed(by) => Ok(by),
            OriginVerdict::NullNotAllowed => Err(Reason::NullOriginNotAllowed),
            OriginVerdict::Invalid => Err(Reason::InvalidOrigin),
            OriginVerdict::NotAllowed("") => Err(Reason::InvalidOrigin),
            OriginVerdict::NotAllowed(origin) => Err(Reason::OriginNotAllowed(origin)),
        }
    }
}
