//! The CORS check on a response (Fetch "CORS check", Chromium `cors::CheckAccess`), in
//! Chromium's order.

use super::error::CorsError;
use http::HeaderMap;

/// A header as Chromium's `GetNormalizedHeader` sees it: every line trimmed, joined by ", ".
pub(crate) fn normalized(headers: &HeaderMap, name: &str) -> Option<Vec<u8>> {
    let mut lines = headers.get_all(name).iter().peekable();
    lines.peek()?;
    let mut out = Vec::new();
    for (i, v) in lines.enumerate() {
        if i > 0 {
            out.extend_from_slice(b", ");
        }
        out.extend_from_slice(trim(v.as_bytes()));
    }
    Some(out)
}

pub(crate) fn trim(b: &[u8]) -> &[u8] {
    let start = b
        .iter()
        .position(|c| *c != b' ' && *c != b'\t')
        .unwrap_or(b.len());
    let end = b
        .iter()
        .rposition(|c| *c != b' ' && *c != b'\t')
        .map_or(start, |e| e + 1);
    &b[start..end]
}

/// The failure and Chromium's failed parameter (raw bytes; see `encode_hint`).
pub(crate) type CheckFailure = (CorsError, Vec<u8>);

/// Checks ACAO (and ACAC for credentialed requests) against the serialised request origin.
pub(crate) fn check_access(
    headers: &HeaderMap,
    request_origin: &str,
    include_credentials: bool,
) -> Result<(), CheckFailure> {
    let Some(acao) = normalized(headers, "access-control-allow-origin") else {
        return Err((CorsError::MissingAllowOriginHeader, Vec::new()));
    };
    if acao == b"*" {
        if !include_credentials {
            return Ok(());
        }
        return Err((CorsError::WildcardOriginNotAllowed, Vec::new()));
    }
    if acao != request_origin.as_bytes() {
        let error = if acao.iter().any(|b| *b == b' ' || *b == b',') {
            CorsError::MultipleAllowOriginValues
        } else if acao == b"null" || is_valid_url(&acao) {
            // `null` is a valid ACAO value that simply does not match a non-opaque origin.
            CorsError::AllowOriginMismatch
        } else {
            CorsError::InvalidAllowOriginValue
        };
        return Err((error, acao));
    }
    if include_credentials {
        let acac = normalized(headers, "access-control-allow-credentials").unwrap_or_default();
        if acac != b"true" {
            return Err((CorsError::InvalidAllowCredentials, acac));
        }
    }
    Ok(())
}

/// Whether Chromium's `GURL` would accept the value as a URL: absolute, ASCII, parsable.
fn is_valid_url(value: &[u8]) -> bool {
    let Ok(s) = std::str::from_utf8(value) else {
        return false;
    };
    s.is_ascii() && url::Url::parse(s).is_ok()
}
