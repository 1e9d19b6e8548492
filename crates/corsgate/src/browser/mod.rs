//! The browser half: what Chromium does with a cross-origin request, without doing any I/O.
//!
//! A [`Fetch`] is a state machine. Create it from the [`PageRequest`] a page would make, then
//! alternate [`Fetch::step`] (which says what to send next, or that it is done) and
//! [`Fetch::receive`] (the response to what was sent):
//!
//! ```
//! use corsgate::browser::{CredentialsMode, Fetch, Initiator, PageRequest, Step};
//! use http::{HeaderMap, StatusCode};
//!
//! let mut fetch = Fetch::new(PageRequest {
//!     url: "http://localhost:8000/api/users".into(),
//!     origin: "http://localhost:3000".into(),
//!     method: "PUT".into(),
//!     headers: vec![],
//!     credentials: CredentialsMode::SameOrigin,
//!     initiator: Initiator::Fetch,
//!     cookie: None,
//! })?;
//! let Step::Send(preflight) = fetch.step() else { unreachable!() };
//! assert_eq!(preflight.method, "OPTIONS");
//! fetch.receive(StatusCode::OK, HeaderMap::new()); // no Access-Control-Allow-Origin
//! let Step::Done(outcome) = fetch.step() else { unreachable!() };
//! let failure = outcome.failure().unwrap();
//! assert_eq!(failure.error.name(), "PreflightMissingAllowOriginHeader");
//! assert!(failure.console_message.ends_with("Response to preflight request doesn't pass access control check: No 'Access-Control-Allow-Origin' header is present on the requested resource."));
//! # Ok::<(), corsgate::browser::RequestError>(())
//! ```

mod advice;
mod cors_check;
mod error;
mod fetch;
mod headers;
pub mod message;
mod preflight;

pub use advice::{advise, Advice, ServerKind};
pub use error::CorsError;
pub use fetch::{
    Exchange, Failure, FailureStage, Fetch, Outcome, OutgoingRequest, Stage, Step, Verdict,
};

use std::fmt;

/// The request's credentials mode (`fetch(url, {credentials})`, XHR `withCredentials`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CredentialsMode {
    Omit,
    SameOrigin,
    Include,
}

impl CredentialsMode {
    pub fn as_str(self) -> &'static str {
        match self {
            CredentialsMode::Omit => "omit",
            CredentialsMode::SameOrigin => "same-origin",
            CredentialsMode::Include => "include",
        }
    }
}

/// What started the request; it decides the word in Chrome's message ("Access to fetch at").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Initiator {
    Fetch,
    Xhr,
    Image,
    Script,
    Font,
    Stylesheet,
}

impl Initiator {
    /// The resource-kind word Chromium prints.
    pub fn kind(self) -> &'static str {
        match self {
            Initiator::Fetch => "fetch",
            Initiator::Xhr => "XMLHttpRequest",
            Initiator::Image => "image",
            Initiator::Script => "script",
            Initiator::Font => "font",
            Initiator::Stylesheet => "CSS stylesheet",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Initiator::Fetch => "fetch",
            Initiator::Xhr => "xhr",
            Initiator::Image => "image",
            Initiator::Script => "script",
            Initiator::Font => "font",
            Initiator::Stylesheet => "stylesheet",
        }
    }

    /// Elements (`<img crossorigin>` and the like) only ever GET, with no script headers.
    pub fn is_element(self) -> bool {
        !matches!(self, Initiator::Fetch | Initiator::Xhr)
    }
}

/// The request a page would make.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PageRequest {
    /// The URL passed to `fetch()`.
    pub url: String,
    /// The page's origin (`http://localhost:3000`), or `null` for an opaque one.
    pub origin: String,
    pub method: String,
    /// Headers the script sets, as (name, value); forbidden ones are dropped as browsers do.
    pub headers: Vec<(String, String)>,
    pub credentials: CredentialsMode,
    pub initiator: Initiator,
    /// Cookies the browser holds for the target, sent when the credentials mode allows.
    pub cookie: Option<String>,
}

/// A request no browser would make; `fix` says what to pass instead.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestError {
    pub what: String,
    pub fix: String,
}

impl fmt::Display for RequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}\n  fix: {}", self.what, self.fix)
    }
}

impl std::error::Error for RequestError {}
