//! Chromium's `network::mojom::CorsError` (the DevTools `Network.CorsError` names), the detail
//! text each one prints, and the nearest Firefox error code.

use std::fmt;

/// The CORS errors a cross-origin `fetch()`/XHR/element load can end with, named as the Chrome
/// DevTools protocol names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CorsError {
    DisallowedByMode,
    InvalidResponse,
    WildcardOriginNotAllowed,
    MissingAllowOriginHeader,
    MultipleAllowOriginValues,
    InvalidAllowOriginValue,
    AllowOriginMismatch,
    InvalidAllowCredentials,
    CorsDisabledScheme,
    PreflightInvalidStatus,
    PreflightDisallowedRedirect,
    PreflightWildcardOriginNotAllowed,
    PreflightMissingAllowOriginHeader,
    PreflightMultipleAllowOriginValues,
    PreflightInvalidAllowOriginValue,
    PreflightAllowOriginMismatch,
    PreflightInvalidAllowCredentials,
    InvalidAllowMethodsPreflightResponse,
    InvalidAllowHeadersPreflightResponse,
    MethodDisallowedByPreflightResponse,
    HeaderDisallowedByPreflightResponse,
    RedirectContainsCredentials,
}

impl CorsError {
    pub const ALL: [CorsError; 22] = [
        CorsError::DisallowedByMode,
        CorsError::InvalidResponse,
        CorsError::WildcardOriginNotAllowed,
        CorsError::MissingAllowOriginHeader,
        CorsError::MultipleAllowOriginValues,
        CorsError::InvalidAllowOriginValue,
        CorsError::AllowOriginMismatch,
        CorsError::InvalidAllowCredentials,
        CorsError::CorsDisabledScheme,
        CorsError::PreflightInvalidStatus,
        CorsError::PreflightDisallowedRedirect,
        CorsError::PreflightWildcardOriginNotAllowed,
        CorsError::PreflightMissingAllowOriginHeader,
        CorsError::PreflightMultipleAllowOriginValues,
        CorsError::PreflightInvalidAllowOriginValue,
        CorsError::PreflightAllowOriginMismatch,
        CorsError::PreflightInvalidAllowCredentials,
        CorsError::InvalidAllowMethodsPreflightResponse,
        CorsError::InvalidAllowHeadersPreflightResponse,
        CorsError::MethodDisallowedByPreflightResponse,
        CorsError::HeaderDisallowedByPreflightResponse,
        CorsError::RedirectContainsCredentials,
    ];

    /// The DevTools protocol name, e.g. `MethodDisallowedByPreflightResponse`.
    pub fn name(self) -> &'static str {
        use CorsError::*;
        match self {
            DisallowedByMode => "DisallowedByMode",
            InvalidResponse => "InvalidResponse",
            WildcardOriginNotAllowed => "WildcardOriginNotAllowed",
            MissingAllowOriginHeader => "MissingAllowOriginHeader",
            MultipleAllowOriginValues => "MultipleAllowOriginValues",
            InvalidAllowOriginValue => "InvalidAllowOriginValue",
            AllowOriginMismatch => "AllowOriginMismatch",
            InvalidAllowCredentials => "InvalidAllowCredentials",
            CorsDisabledScheme => "CorsDisabledScheme",
            PreflightInvalidStatus => "PreflightInvalidStatus",
            PreflightDisallowedRedirect => "PreflightDisallowedRedirect",
            PreflightWildcardOriginNotAllowed => "PreflightWildcardOriginNotAllowed",
            PreflightMissingAllowOriginHeader => "PreflightMissingAllowOriginHeader",
            PreflightMultipleAllowOriginValues => "PreflightMultipleAllowOriginValues",
            PreflightInvalidAllowOriginValue => "PreflightInvalidAllowOriginValue",
            PreflightAllowOriginMismatch => "PreflightAllowOriginMismatch",
            PreflightInvalidAllowCredentials => "PreflightInvalidAllowCredentials",
            InvalidAllowMethodsPreflightResponse => "InvalidAllowMethodsPreflightResponse",
            InvalidAllowHeadersPreflightResponse => "InvalidAllowHeadersPreflightResponse",
            MethodDisallowedByPreflightResponse => "MethodDisallowedByPreflightResponse",
            HeaderDisallowedByPreflightResponse => "HeaderDisallowedByPreflightResponse",
            RedirectContainsCredentials => "RedirectContainsCredentials",
        }
    }

    /// Parses a DevTools name back (for tests and tools reading Chrome's output).
    pub fn from_name(name: &str) -> Option<CorsError> {
        CorsError::ALL.into_iter().find(|e| e.name() == name)
    }

    /// The errors Chromium prefixes with "Response to preflight request doesn't pass access
    /// control check: " (the method, header and parse errors are not among them).
    pub fn has_preflight_prefix(self) -> bool {
        use CorsError::*;
        matches!(
            self,
            PreflightWildcardOriginNotAllowed
                | PreflightMissingAllowOriginHeader
                | PreflightMultipleAllowOriginValues
                | PreflightInvalidAllowOriginValue
                | PreflightAllowOriginMismatch
                | PreflightInvalidAllowCredentials
                | PreflightInvalidStatus
                | PreflightDisallowedRedirect
        )
    }

    /// The preflight twin of an access-check error.
    pub(crate) fn on_preflight(self) -> CorsError {
        use CorsError::*;
        match self {
            WildcardOriginNotAllowed => PreflightWildcardOriginNotAllowed,
            MissingAllowOriginHeader => PreflightMissingAllowOriginHeader,
            MultipleAllowOriginValues => PreflightMultipleAllowOriginValues,
            InvalidAllowOriginValue => PreflightInvalidAllowOriginValue,
            AllowOriginMismatch => PreflightAllowOriginMismatch,
            InvalidAllowCredentials => PreflightInvalidAllowCredentials,
            other => other,
        }
    }

    /// The same error seen on a non-preflight response.
    pub fn base(self) -> CorsError {
        use CorsError::*;
        match self {
            PreflightWildcardOriginNotAllowed => WildcardOriginNotAllowed,
            PreflightMissingAllowOriginHeader => MissingAllowOriginHeader,
            PreflightMultipleAllowOriginValues => MultipleAllowOriginValues,
            PreflightInvalidAllowOriginValue => InvalidAllowOriginValue,
            PreflightAllowOriginMismatch => AllowOriginMismatch,
            PreflightInvalidAllowCredentials => InvalidAllowCredentials,
            other => other,
        }
    }

    /// The nearest Firefox error code (the names of MDN's CORS error pages).
    pub fn firefox_code(self) -> &'static str {
        use CorsError::*;
        match self.base() {
            DisallowedByMode => "CORSDisabled",
            InvalidResponse => "CORSDidNotSucceed",
            WildcardOriginNotAllowed => "CORSNotSupportingCredentials",
            MissingAllowOriginHeader => "CORSMissingAllowOrigin",
            MultipleAllowOriginValues => "CORSMultipleAllowOriginNotAllowed",
            InvalidAllowOriginValue | AllowOriginMismatch => "CORSAllowOriginNotMatchingOrigin",
            InvalidAllowCredentials => "CORSMissingAllowCredentials",
            CorsDisabledScheme => "CORSRequestNotHttp",
            PreflightInvalidStatus | PreflightDisallowedRedirect => "CORSPreflightDidNotSucceed",
            InvalidAllowMethodsPreflightResponse => "CORSInvalidAllowMethod",
            InvalidAllowHeadersPreflightResponse => "CORSInvalidAllowHeader",
            MethodDisallowedByPreflightResponse => "CORSMethodNotFound",
            HeaderDisallowedByPreflightResponse => "CORSMissingAllowHeaderFromPreflight",
            RedirectContainsCredentials => "CORSExternalRedirectNotAllowed",
            _ => "CORSDidNotSucceed",
        }
    }
}

impl fmt::Display for CorsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
