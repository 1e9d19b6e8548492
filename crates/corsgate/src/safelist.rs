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
    !s.is_empty()
        && s.bytes().all(|b| {
            b.is_ascii_alphanumeric()
                || matches!(
                    b,
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
        })
}
