//! Fetch's fixed lists of names: safelisted and forbidden request headers, forbidden methods.

/// Request headers a policy always allows in a preflight (as Starlette does). Browsers only ask
/// for these when their values fall outside the safelist (e.g. `Content-Type: application/json`).
pub(crate) const ALWAYS_ALLOWED_HEADERS: [&str; 4] = [
    "accept",
    "accept-language",
    "content-language",
    "content-type",
];

/// Fetch's forbidden request-header names: scripts cannot set them, so allowing one does nothing.
pub(crate) fn is_forbidden_request_header(lower: &str) -> bool {
    const FORBIDDEN: [&str; 21] = [
        "accept-charset",
        "accept-encoding",
        "access-control-request-headers",
        "access-control-request-method",
        "connection",
        "content-length",
        "cookie",
        "cookie2",
        "date",
        "dnt",
        "expect",
        "host",
        "keep-alive",
        "origin",
        "referer",
        "set-cookie",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "via",
    ];
    FORBIDDEN.contains(&lower) || lower.starts_with("proxy-") || lower.starts_with("sec-")
}

/// Fetch's CORS-safelisted response-header names: scripts can always read these.
pub(crate) const SAFELISTED_RESPONSE_HEADERS: [&str; 7] = [
    "cache-control",
    "content-language",
    "content-length",
    "content-type",
    "expires",
    "last-modified",
    "pragma",
];

/// Fetch's forbidden response-header names: scripts can never read these.
pub(crate) fn is_forbidden_response_header(lower: &str) -> bool {
    lower == "set-cookie" || lower == "set-cookie2"
}

/// Fetch's forbidden methods: `fetch()` throws before sending them.
pub(crate) fn is_forbidden_method(m: &str) -> bool {
    ["CONNECT", "TRACE", "TRACK"]
        .iter()
        .any(|f| f.eq_ignore_ascii_case(m))
}

/// Methods `fetch()` and XHR upper-case before sending; any other method is sent as written.
pub(crate) fn browser_normalises_method(m: &str) -> bool {
    ["DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"]
        .iter()
        .any(|f| f.eq_ignore_ascii_case(m))
}

/// RFC 9110 `token`: the syntax of method and header names.
pub(crate) fn is_token(s: &str) -> bool {
    token_case(s.as_bytes()).is_some()
}

/// `None` if `s` is not a token, else whether it holds an upper-case letter. One table look-up
/// per byte: request header names are checked on every preflight.
pub(crate) fn token_case(s: &[u8]) -> Option<bool> {
    if s.is_empty() {
        return None;
    }
    let mut all = TCHAR | UPPER;
    let mut any = 0u8;
    for &b in s {
        let c = CLASS[b as usize];
        all &= c;
        any |= c;
    }
    (all & TCHAR != 0).then_some(any & UPPER != 0)
}

/// Byte classes, as bit flags, for scanning header values in one pass.
pub(crate) const TCHAR: u8 = 1;
/// An upper-case letter (also a `TCHAR`).
pub(crate) const UPPER: u8 = 2;
/// Space or tab.
pub(crate) const OWS: u8 = 4;
pub(crate) const COMMA: u8 = 8;
/// Allowed by `HeaderValue::to_str`: visible ASCII, space or tab.
pub(crate) const VISIBLE: u8 = 16;
/// A lower-case `TCHAR` or a comma: what browsers' header lists are made of.
pub(crate) const PLAIN_LIST: u8 = 32;

/// RFC 9110 `tchar` (letters, digits and ``!#$%&'*+-.^_`|~``), whitespace, comma, and what
/// `HeaderValue::to_str` accepts, for every byte.
pub(crate) const CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        let mut class = 0;
        if c == b'\t' || (c >= 0x20 && c < 0x7f) {
            class |= VISIBLE;
        }
        if c == b' ' || c == b'\t' {
            class |= OWS;
        }
        if c == b',' {
            class |= COMMA;
        }
        if c.is_ascii_alphanumeric()
            || matches!(
                c,
                b'!' | b'#'
                    | b'$'
                    | b'%'
                    | b'&'
                    | b'\''
                    | b'*'
                    | b'+'
                    | b'-'
                    | b'.'
                    | b'^'
                    | b'_'
                    | b'`'
                    | b'|'
                    | b'~'
            )
        {
            class |= TCHAR;
        }
        if c.is_ascii_uppercase() {
            class |= UPPER;
        } else if class & TCHAR != 0 || c == b',' {
            class |= PLAIN_LIST;
        }
        t[b] = class;
        b += 1;
    }
    t
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_table_matches_rfc_9110_tchar() {
        for b in 0..=255u8 {
            let tchar = b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
            assert_eq!(
                is_token(&char::from(b).to_string()),
                tchar && b < 128,
                "{b}"
            );
            assert_eq!(
                token_case(&[b]),
                tchar.then_some(b.is_ascii_uppercase()),
                "{b}"
            );
        }
        assert!(!is_token(""));
        assert_eq!(token_case(b"x-Request-id"), Some(true));
        assert_eq!(token_case(b"x-request-id"), Some(false));
        assert_eq!(token_case(b"x request"), None);
        for b in 0..=255u8 {
            let visible = b == b'\t' || (0x20..0x7f).contains(&b);
            assert_eq!(CLASS[b as usize] & VISIBLE != 0, visible, "{b}");
            let plain =
                b == b',' || (is_token(&char::from(b).to_string()) && !b.is_ascii_uppercase());
            assert_eq!(CLASS[b as usize] & PLAIN_LIST != 0, plain, "{b}");
        }
    }
}
