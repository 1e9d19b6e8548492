//! corsgate: a spec-exact CORS engine.
//!
//! The engine does no I/O. Build a [`Policy`] once from [`CorsOptions`] (validation reports
//! every problem with the option, the value, why, and the fix), then for each request call
//! [`Policy::decide`] and write the answer with [`Policy::write_preflight`] or
//! [`Policy::apply_actual`]. With the `tower` feature (on by default), [`CorsLayer`] does all of
//! that for axum, hyper and tonic services.
//!
//! ```
//! use corsgate::CorsOptions;
//! use http::{HeaderMap, Method};
//!
//! let policy = CorsOptions {
//!     allow_origins: vec!["http://localhost:3000".into()],
//!     allow_credentials: true,
//!     ..CorsOptions::default()
//! }
//! .build()?;
//!
//! let mut request = HeaderMap::new();
//! request.insert("origin", "http://localhost:3000".parse()?);
//! let decision = policy.decide(&Method::GET, &request);
//! assert!(decision.is_allowed());
//!
//! let mut response = HeaderMap::new();
//! policy.apply_actual(&decision.actual(), &mut response);
//! assert_eq!(response["access-control-allow-origin"], "http://localhost:3000");
//! assert_eq!(response["vary"], "Origin");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![forbid(unsafe_code)]
#![warn(missing_debug_implementations)]

mod actual;
mod allow_origin;
mod decision;
mod error;
mod options;
mod origin;
mod policy;
mod preflight;
mod safelist;
mod vary;

#[cfg(feature = "tower")]
pub mod layer;

pub use allow_origin::MatchedBy;
pub use decision::{ActualCors, Decision, Reason, RequestKind, Verdict};
pub use error::{ConfigError, ConfigErrors, ConfigWarning};
pub use options::{CorsOptions, Profile};
pub use policy::Policy;

#[cfg(feature = "tower")]
pub use layer::{Cors, CorsBody, CorsLayer};

#[cfg(feature = "browser")]
pub mod browser;
