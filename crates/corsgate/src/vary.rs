//! `Vary`: appended, never overwritten, never duplicated. Caches key stored responses on the
//! request headers named here; a missing `Origin` lets one origin's answer be served to another.

use http::header::VARY;
use http::{HeaderMap, HeaderValue};

pub(crate) const ORIGIN: &str = "Origin";
pub(crate) const PREFLIGHT: [&str; 4] = [
    "Origin",
    "Access-Control-Request-Method",
    "Access-Control-Request-Headers",
    "Access-Control-Request-Private-Network",
];

/// Appends the `names` missing from the response's `Vary` header(s). `joined` is the precomputed
/// value holding all of them, used (without allocating) when none is present yet.
pub(crate) fn append(headers: &mut HeaderMap, names: &[&str], joined: &HeaderValue) {
    let mut present = 0u32;
    let mut any_vary = false;
    for value in headers.get_all(VARY) {
        any_vary = true;
        let Ok(s) = value.to_str() else { continue };
        for item in s.split(',') {
            let item = item.trim();
            if item == "*" {
                // `Vary: *` already makes every request distinct.
                return;
            }
            for (i, n) in names.iter().enumerate() {
                if item.eq_ignore_ascii_case(n) {
                    present |= 1 << i;
                }
            }
        }
    }
    if !any_vary || present == 0 {
        headers.append(VARY, joined.clone());
        return;
    }
    let missing: Vec<&str> = names
        .iter()
        .enumerate()
        .filter(|(i, _)| present & (1 << i) == 0)
        .map(|(_, n)| *n)
        .collect();
    if missing.is_empty() {
        return;
    }
    if let Ok(v) = HeaderValue::from_str(&missing.join(", ")) {
        headers.append(VARY, v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vary(headers: &HeaderMap) -> Vec<&str> {
        headers
            .get_all(VARY)
            .iter()
            .map(|v| v.to_str().unwrap())
            .collect()
    }

    #[test]
    fn appends_without_duplicates() {
        let joined = HeaderValue::from_static("Origin");
        let mut h = HeaderMap::new();
        append(&mut h, &[ORIGIN], &joined);
        assert_eq!(vary(&h), ["Origin"]);
        append(&mut h, &[ORIGIN], &joined);
        assert_eq!(vary(&h), ["Origin"]);

        let mut h = HeaderMap::new();
        h.insert(VARY, HeaderValue::from_static("Accept-Encoding"));
        append(&mut h, &[ORIGIN], &joined);
        assert_eq!(vary(&h), ["Accept-Encoding", "Origin"]);

        let mut h = HeaderMap::new();
        h.insert(VARY, HeaderValue::from_static("accept-encoding, origin"));
        append(&mut h, &[ORIGIN], &joined);
        assert_eq!(vary(&h), ["accept-encoding, origin"]);

        let mut h = HeaderMap::new();
        h.insert(VARY, HeaderValue::from_static("*"));
        append(&mut h, &[ORIGIN], &joined);
        assert_eq!(vary(&h), ["*"]);

        let pre = HeaderValue::from_static("Origin, Access-Control-Request-Method");
        let mut h = HeaderMap::new();
        h.insert(VARY, HeaderValue::from_static("origin"));
        append(&mut h, &PREFLIGHT[..2], &pre);
        assert_eq!(vary(&h), ["origin", "Access-Control-Request-Method"]);
    }
}
