//! Chromium's console message, assembled as `GetErrorStringForConsoleMessage` does (Chromium 156):
//!
//! ```text
//! Access to {kind} at '{last url}' [(redirected from '{first url}') ]from origin '{origin}'
//! has been blocked by CORS policy: [Response to preflight request doesn't pass access control
//! check: ]{detail}
//! ```

use super::error::CorsError;
use super::Initiator;

/// Chromium's `EncodeHint`: printable ASCII is kept, anything else becomes `\uXXXX`.
/// Header bytes are taken as Latin-1, as Chromium's header strings are.
pub fn encode_hint(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        if (0x20..0x7f).contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("\\u{:04X}", b));
        }
    }
    out
}

/// The failed parameter as DevTools reports it: the header bytes decoded as UTF-8, an invalid
/// sequence dropped whole (its lead byte's length), as observed in Chromium 156 — the latin-1
/// value `http://ex\xE9.test` is reported as `http://exest`. The console uses [`encode_hint`].
pub fn devtools_parameter(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let len = match bytes[i] {
            0x00..=0x7f => 1,
            0xc2..=0xdf => 2,
            0xe0..=0xef => 3,
            0xf0..=0xf4 => 4,
            _ => {
                i += 1;
                continue;
            }
        };
        let end = (i + len).min(bytes.len());
        if let Ok(s) = std::str::from_utf8(&bytes[i..end]) {
            out.push_str(s);
        }
        i = end;
    }
    out
}

/// The text after "has been blocked by CORS policy: ", suffixes included.
pub fn detail(error: CorsError, hint: &str, initiator: Initiator) -> String {
    use CorsError::*;
    const VALID_VALUE: &str = " Have the server send the header with a valid value.";
    const XHR_CREDENTIALS: &str = " The credentials mode of requests initiated by the XMLHttpRequest is controlled by the withCredentials attribute.";
    let fetch_suffix = if initiator == Initiator::Fetch {
        VALID_VALUE
    } else {
        ""
    };
    let xhr_suffix = if initiator == Initiator::Xhr {
        XHR_CREDENTIALS
    } else {
        ""
    };
    let mut text = match error.base() {
        DisallowedByMode => "Cross origin requests are not allowed by request mode.".to_string(),
        InvalidResponse => "The response is invalid.".to_string(),
        WildcardOriginNotAllowed => format!("The value of the 'Access-Control-Allow-Origin' header in the response must not be the wildcard '*' when the request's credentials mode is 'include'.{xhr_suffix}"),
        MissingAllowOriginHeader => "No 'Access-Control-Allow-Origin' header is present on the requested resource.".to_string(),
        MultipleAllowOriginValues => format!("The 'Access-Control-Allow-Origin' header contains multiple values '{hint}', but only one is allowed.{fetch_suffix}"),
        InvalidAllowOriginValue => format!("The 'Access-Control-Allow-Origin' header contains the invalid value '{hint}'.{fetch_suffix}"),
        AllowOriginMismatch => format!("The 'Access-Control-Allow-Origin' header has a value '{hint}' that is not equal to the supplied origin.{fetch_suffix}"),
        InvalidAllowCredentials => format!("The value of the 'Access-Control-Allow-Credentials' header in the response is '{hint}' which must be 'true' when the request's credentials mode is 'include'.{xhr_suffix}"),
        CorsDisabledScheme => "Cross origin requests are only supported for protocol schemes: http, https.".to_string(),
        PreflightInvalidStatus => "It does not have HTTP ok status.".to_string(),
        PreflightDisallowedRedirect => "Redirect is not allowed for a preflight request.".to_string(),
        InvalidAllowMethodsPreflightResponse => "Cannot parse Access-Control-Allow-Methods response header field in preflight response.".to_string(),
        InvalidAllowHeadersPreflightResponse => "Cannot parse Access-Control-Allow-Headers response header field in preflight response.".to_string(),
        MethodDisallowedByPreflightResponse => format!("Method {hint} is not allowed by Access-Control-Allow-Methods in preflight response."),
        HeaderDisallowedByPreflightResponse => format!("Request header field {hint} is not allowed by Access-Control-Allow-Headers in preflight response."),
        RedirectContainsCredentials => format!("Redirect location '{hint}' contains a username and password, which is disallowed for cross-origin requests."),
        // `base()` maps every preflight variant onto the ones above.
        other => other.name().to_string(),
    };
    if error.has_preflight_prefix() {
        text.insert_str(
            0,
            "Response to preflight request doesn't pass access control check: ",
        );
    }
    text
}

/// The whole console line.
pub fn console_message(
    initiator: Initiator,
    last_url: &str,
    first_url: &str,
    origin: &str,
    error: CorsError,
    hint: &str,
) -> String {
    let redirected = if first_url != last_url {
        format!("(redirected from '{first_url}') ")
    } else {
        String::new()
    };
    format!(
        "Access to {} at '{last_url}' {redirected}from origin '{origin}' has been blocked by CORS policy: {}",
        initiator.kind(),
        detail(error, hint, initiator)
    )
}

/// fetch()'s renderer-side message for a URL scheme it cannot fetch.
pub fn unsupported_scheme_message(url: &str, scheme: &str) -> String {
    format!("Fetch API cannot load {url}. URL scheme \"{scheme}\" is not supported.")
}
