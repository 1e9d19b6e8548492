//! Which request headers make a browser preflight: Fetch's CORS-safelisted request-header rules
//! (with Chromium's `range` handling) and the 128/1024-byte limits.

use crate::safelist;

/// Fetch's CORS-unsafe request-header byte.
fn unsafe_byte(b: u8) -> bool {
    (b < 0x20 && b != b'\t')
        || matches!(
            b,
            b'"' | b'('
                | b')'
                | b':'
                | b'<'
                | b'>'
                | b'?'
                | b'@'
                | b'['
                | b'\\'
                | b']'
                | b'{'
                | b'}'
                | 0x7f
        )
}

/// CORS-safelisted request-header (name, value); `name` is lower-case.
pub(crate) fn is_safelisted(name: &str, value: &str) -> bool {
    if value.len() > 128 {
        return false;
    }
    match name {
        "accept" => !value.bytes().any(unsafe_byte),
        "accept-language" | "content-language" => value.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b' ' | b'*' | b',' | b'-' | b'.' | b';' | b'=')
        }),
        "content-type" => {
            if value.bytes().any(unsafe_byte) {
                return false;
            }
            let lower = value.to_ascii_lowercase();
            let essence = lower.split(';').next().unwrap_or("").trim();
            matches!(
                essence,
                "application/x-www-form-urlencoded" | "multipart/form-data" | "text/plain"
            )
        }
        "range" => is_simple_range(value),
        _ => false,
    }
}

/// A single `bytes=start-[end]` range with a start: Fetch's "simple range header value".
fn is_simple_range(value: &str) -> bool {
    let Some(spec) = value.strip_prefix("bytes=") else {
        return false;
    };
    let Some((start, end)) = spec.split_once('-') else {
        return false;
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(start) || !(end.is_empty() || digits(end)) {
        return false;
    }
    match (start.parse::<u64>(), end.parse::<u64>()) {
        (Ok(s), Ok(e)) => s <= e,
        (Ok(_), Err(_)) => end.is_empty(),
        _ => false,
    }
}

/// The sorted, lower-case, de-duplicated CORS-unsafe request-header names of `headers`
/// (name as written, value), forbidden headers excluded since scripts cannot set them.
pub(crate) fn unsafe_names(headers: &[(String, String)]) -> Vec<String> {
    let mut unsafe_: Vec<String> = Vec::new();
    let mut potentially: Vec<String> = Vec::new();
    let mut size = 0usize;
    for (name, value) in headers {
        let lower = name.to_ascii_lowercase();
        if safelist::is_forbidden_request_header(&lower) {
            continue;
        }
        if is_safelisted(&lower, value) {
            size += value.len();
            potentially.push(lower);
        } else {
            unsafe_.push(lower);
        }
    }
    if size > 1024 {
        unsafe_.extend(potentially);
    }
    unsafe_.sort();
    unsafe_.dedup();
    unsafe_
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(h: &[(&str, &str)]) -> Vec<String> {
        unsafe_names(
            &h.iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect::<Vec<_>>(),
        )
    }

    #[test]
    fn safelist_rules() {
        assert!(names(&[("Content-Type", "text/plain;charset=utf-8")]).is_empty());
        assert_eq!(
            names(&[("Content-Type", "application/json")]),
            ["content-type"]
        );
        assert_eq!(names(&[("Accept", &"a".repeat(129))]), ["accept"]);
        assert!(names(&[("Accept", &"a".repeat(128))]).is_empty());
        assert_eq!(names(&[("Accept", "x\"y")]), ["accept"]);
        assert!(names(&[("Range", "bytes=0-")]).is_empty());
        assert!(names(&[("Range", "bytes=0-5")]).is_empty());
        assert_eq!(names(&[("Range", "bytes=-5")]), ["range"]);
        assert_eq!(names(&[("Range", "bytes=5-1")]), ["range"]);
        assert_eq!(
            names(&[("X-B", "1"), ("Authorization", "x"), ("X-A", "2")]),
            ["authorization", "x-a", "x-b"]
        );
        assert!(names(&[("Cookie", "a=b"), ("Sec-Foo", "1")]).is_empty());
        let big = "a".repeat(120);
        let many: Vec<(&str, &str)> = (0..9).map(|_| ("Accept", big.as_str())).collect();
        assert_eq!(names(&many), ["accept"]);
        assert_eq!(
            names(&[("Accept-Language", "en-US,en;q=0.9")]),
            Vec::<String>::new()
        );
        assert_eq!(
            names(&[("Content-Language", "de_DE")]),
            ["content-language"]
        );
    }
}
