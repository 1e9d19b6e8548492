//! CORS preflights: checking the requested method, headers and private-network access, and
//! writing the answer.

use crate::decision::{Decision, Reason};
use crate::policy::{AllowList, Policy};
use crate::safelist;
use crate::vary;
use http::header::{
    ACCESS_CONTROL_ALLOW_CREDENTIALS, ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS,
    ACCESS_CONTROL_ALLOW_ORIGIN, ACCESS_CONTROL_MAX_AGE, ACCESS_CONTROL_REQUEST_HEADERS,
    ACCESS_CONTROL_REQUEST_METHOD, CONTENT_LENGTH, ORIGIN,
};
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};

pub(crate) const ACRPN: HeaderName =
    HeaderName::from_static("access-control-request-private-network");
pub(crate) const ACAPN: HeaderName =
    HeaderName::from_static("access-control-allow-private-network");
const TRUE: HeaderValue = HeaderValue::from_static("true");
const STAR: HeaderValue = HeaderValue::from_static("*");
const ZERO: HeaderValue = HeaderValue::from_static("0");
const VARY_PREFLIGHT: HeaderValue = HeaderValue::from_static(
    "Origin, Access-Control-Request-Method, Access-Control-Request-Headers, Access-Control-Request-Private-Network",
);

/// The request fields a preflight is decided on, found in one walk over the request's fields:
/// cheaper than a hashed look-up for each (one of them a 38-byte custom name).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Fields<'r> {
    /// The first value of each, as `HeaderMap::get` returns it.
    pub(crate) origin: Option<&'r HeaderValue>,
    pub(crate) acrm: Option<&'r HeaderValue>,
    acrpn: Option<&'r HeaderValue>,
    /// The first `Access-Control-Request-Headers` line, and whether there are more.
    acrh: Option<&'r HeaderValue>,
    more_acrh: bool,
}

impl<'r> Fields<'r> {
    pub(crate) fn of(headers: &'r HeaderMap) -> Self {
        let mut f = Fields {
            origin: None,
            acrm: None,
            acrpn: None,
            acrh: None,
            more_acrh: false,
        };
        for (name, value) in headers {
            let slot = if *name == ORIGIN {
                &mut f.origin
            } else if *name == ACCESS_CONTROL_REQUEST_METHOD {
                &mut f.acrm
            } else if *name == ACCESS_CONTROL_REQUEST_HEADERS {
                f.more_acrh |= f.acrh.is_some();
                &mut f.acrh
            } else if *name == ACRPN {
                &mut f.acrpn
            } else {
                continue;
            };
            slot.get_or_insert(value);
        }
        f
    }
}

/// Checks the parts of a preflight after the origin; the first failure wins.
pub(crate) fn check<'r>(
    policy: &Policy,
    fields: &Fields<'r>,
    headers: &'r HeaderMap,
) -> Result<(), Reason<'r>> {
    let Some(acrm) = fields.acrm else {
        return Ok(());
    };
    // Literal, case-sensitive, safelisted methods included: as Starlette does, and as Chromium
    // compares Access-Control-Allow-Methods. Listed methods are tokens, so a byte-for-byte hit
    // (what browsers send) is valid without further checks.
    let listed = match &policy.methods {
        AllowList::List(list) => list.iter().any(|m| m.as_bytes() == acrm.as_bytes()),
        AllowList::Any => false,
    };
    if !listed {
        let method = acrm
            .to_str()
            .map_err(|_| Reason::InvalidRequestMethod)?
            .trim_ascii();
        if !safelist::is_token(method) {
            return Err(Reason::InvalidRequestMethod);
        }
        if let AllowList::List(list) = &policy.methods {
            if !list.iter().any(|m| **m == *method) {
                return Err(Reason::MethodNotAllowed(method));
            }
        }
    }
    // Lines in order, as `get_all` yields them; the walk kept only the first.
    if fields.more_acrh {
        for line in headers.get_all(ACCESS_CONTROL_REQUEST_HEADERS) {
            check_header_line(policy, line)?;
        }
    } else if let Some(line) = fields.acrh {
        check_header_line(policy, line)?;
    }
    if !policy.private_network && fields.acrpn.is_some_and(is_true) {
        return Err(Reason::PrivateNetworkNotAllowed);
    }
    Ok(())
}

fn is_true(value: &HeaderValue) -> bool {
    value.as_bytes().eq_ignore_ascii_case(b"true")
}

/// Checks one `Access-Control-Request-Headers` line, name by name; the first invalid or
/// disallowed name wins, unless the line is not printable ASCII at all (then it is invalid).
///
/// Browsers send `a,b,c`; intermediaries add spaces or empty items, which are tolerated. One pass
/// over the bytes with a class table: this runs on every preflight, on items a dozen bytes long,
/// where `to_str`, `split`, `trim` and a token check would each walk them again.
fn check_header_line<'r>(policy: &Policy, line: &'r HeaderValue) -> Result<(), Reason<'r>> {
    use safelist::{CLASS, OWS, PLAIN_LIST, TCHAR, UPPER, VISIBLE};
    let bytes = line.as_bytes();
    let any = matches!(policy.headers, AllowList::Any);
    // What browsers send: lower-case names and commas only. Every item is then a token, so
    // only the look-ups remain; one branch-free pass over the bytes tells.
    if bytes
        .iter()
        .fold(PLAIN_LIST, |all, &b| all & CLASS[b as usize])
        != 0
    {
        for name in bytes.split(|&b| b == b',') {
            if !(name.is_empty() || any || is_allowed_header(&policy.header_index, name, false)) {
                return Err(std::str::from_utf8(name)
                    .map_or(Reason::InvalidRequestHeaders, Reason::HeaderNotAllowed));
            }
        }
        return Ok(());
    }
    let n = bytes.len();
    let class = |i: usize| CLASS[bytes[i] as usize];
    let mut i = 0;
    loop {
        while i < n && class(i) & OWS != 0 {
            i += 1;
        }
        let (lo, mut classes) = (i, 0);
        while i < n && class(i) & TCHAR != 0 {
            classes |= class(i);
            i += 1;
        }
        let hi = i;
        while i < n && class(i) & OWS != 0 {
            i += 1;
        }
        // Anything but a comma or the end here (a separator, a space inside the name, a byte
        // `to_str` rejects) makes the line invalid, as it would the whole line.
        if i < n && bytes[i] != b',' {
            return Err(Reason::InvalidRequestHeaders);
        }
        let name = &bytes[lo..hi];
        if !(name.is_empty()
            || any
            || is_allowed_header(&policy.header_index, name, classes & UPPER != 0))
        {
            // A line that is not printable ASCII is invalid as a whole, whatever came first.
            let printable = bytes[hi..]
                .iter()
                .all(|&b| CLASS[b as usize] & VISIBLE != 0);
            return Err(match std::str::from_utf8(name) {
                // A token is ASCII, so the conversion never fails.
                Ok(name) if printable => Reason::HeaderNotAllowed(name),
                _ => Reason::InvalidRequestHeaders,
            });
        }
        if i >= n {
            return Ok(());
        }
        i += 1;
    }
}

/// Looks `name` up in the allowed names, lower-case and ordered by length: a binary search on the
/// length, then a comparison with the (few) names of that length.
fn is_allowed_header(index: &[Box<str>], name: &[u8], has_upper: bool) -> bool {
    let first = index.partition_point(|a| a.len() < name.len());
    let mut same_len = index[first..].iter().take_while(|a| a.len() == name.len());
    if has_upper {
        same_len.any(|a| a.as_bytes().eq_ignore_ascii_case(name))
    } else {
        // Browsers send lower-case names, which compare byte for byte.
        same_len.any(|a| a.as_bytes() == name)
    }
}

/// Whether the request carries `Access-Control-Request-Private-Network: true`.
fn requests_private_network(headers: &HeaderMap) -> bool {
    // A scan of the names beats hashing this 38-byte custom name for the lookup, and most
    // requests do not carry it.
    headers.keys().any(|k| k == ACRPN) && headers.get(ACRPN).is_some_and(is_true)
}

impl Policy {
    /// Writes the answer to a preflight into `out` and returns its status. An allowed preflight
    /// gets the full set of `Access-Control-Allow-*` headers; a rejected one gets only `Vary`, so
    /// the policy is not disclosed to origins it does not trust.
    pub fn write_preflight(
        &self,
        decision: &Decision<'_>,
        request: &HeaderMap,
        out: &mut HeaderMap,
    ) -> StatusCode {
        let allowed = decision.is_allowed();
        if out.capacity() == 0 {
            // No storage yet (a new response): copy the answer built with the policy, much
            // cheaper than growing a map one insertion at a time. A map with room is filled
            // in place instead, without allocating.
            let templates = &self.preflight_answers;
            if !allowed {
                *out = templates.rejected.clone();
                return self.reject_status;
            }
            if let (Some(answer), Some(origin)) = (&templates.allowed, decision.origin) {
                *out = answer.clone();
                if !self.acao_star {
                    // Replace the placeholder in place. It is the third entry: walking to it is
                    // cheaper than hashing the name to find it.
                    if let Some((_, v)) = out
                        .iter_mut()
                        .find(|(name, _)| *name == ACCESS_CONTROL_ALLOW_ORIGIN)
                    {
                        *v = origin.clone();
                    }
                }
                self.insert_private_network(request, out);
                return self.preflight_status;
            }
        }
        vary::append(out, &vary::PREFLIGHT, &VARY_PREFLIGHT);
        if !allowed {
            return self.reject_status;
        }
        self.write_allowed(decision.origin, request, out);
        self.preflight_status
    }

    /// The headers of an allowed preflight after `Vary`, in their order on the wire.
    fn write_allowed(
        &self,
        origin: Option<&HeaderValue>,
        request: &HeaderMap,
        out: &mut HeaderMap,
    ) {
        out.insert(CONTENT_LENGTH, ZERO);
        match (self.acao_star, origin) {
            (true, _) => {
                out.insert(ACCESS_CONTROL_ALLOW_ORIGIN, STAR);
            }
            (false, Some(origin)) => {
                out.insert(ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone());
            }
            (false, None) => {}
        }
        if self.credentials {
            out.insert(ACCESS_CONTROL_ALLOW_CREDENTIALS, TRUE);
        }
        match &self.acam {
            Some(list) => {
                out.insert(ACCESS_CONTROL_ALLOW_METHODS, list.clone());
            }
            // `*` would be a literal method name for credentialed requests: echo the method.
            None => {
                if let Some(m) = request.get(ACCESS_CONTROL_REQUEST_METHOD) {
                    out.insert(ACCESS_CONTROL_ALLOW_METHODS, m.clone());
                }
            }
        }
        match &self.acah {
            Some(list) => {
                out.insert(ACCESS_CONTROL_ALLOW_HEADERS, list.clone());
            }
            // Mirror what was asked, so Authorization is always named (never covered by `*`).
            None => mirror_request_headers(request, out),
        }
        out.insert(ACCESS_CONTROL_MAX_AGE, self.acma.clone());
        self.insert_private_network(request, out);
    }

    fn insert_private_network(&self, request: &HeaderMap, out: &mut HeaderMap) {
        if self.private_network && requests_private_network(request) {
            out.insert(ACAPN, TRUE);
        }
    }

    /// Builds the preflight answers that do not depend on the request, written by the same code
    /// as the general path so the two cannot differ.
    pub(crate) fn preflight_answers(&self) -> PreflightAnswers {
        let mut rejected = HeaderMap::with_capacity(1);
        vary::append(&mut rejected, &vary::PREFLIGHT, &VARY_PREFLIGHT);
        // Mirrored methods or headers depend on the request: no template then.
        let allowed = (self.acam.is_some() && self.acah.is_some()).then(|| {
            let mut answer = HeaderMap::with_capacity(7);
            vary::append(&mut answer, &vary::PREFLIGHT, &VARY_PREFLIGHT);
            // A request without private-network access; the origin is a placeholder, replaced
            // by the request's (or already `*`).
            let origin = HeaderValue::from_static("null");
            self.write_allowed(Some(&origin), &HeaderMap::new(), &mut answer);
            answer
        });
        PreflightAnswers { rejected, allowed }
    }
}

/// Preflight answers computed when the policy is built.
#[derive(Debug, Default)]
pub(crate) struct PreflightAnswers {
    /// `Vary` alone.
    rejected: HeaderMap,
    /// An allowed answer with a placeholder origin, when methods and headers are listed.
    allowed: Option<HeaderMap>,
}

fn mirror_request_headers(request: &HeaderMap, out: &mut HeaderMap) {
    let mut lines = request.get_all(ACCESS_CONTROL_REQUEST_HEADERS).iter();
    let Some(first) = lines.next() else { return };
    match lines.next() {
        None => {
            out.insert(ACCESS_CONTROL_ALLOW_HEADERS, first.clone());
        }
        Some(_) => {
            let joined = request
                .get_all(ACCESS_CONTROL_REQUEST_HEADERS)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .collect::<Vec<_>>()
                .join(",");
            if let Ok(v) = HeaderValue::from_str(&joined) {
                out.insert(ACCESS_CONTROL_ALLOW_HEADERS, v);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::CorsOptions;
    use proptest::prelude::*;

    /// The straightforward check the one-pass scanner replaced: `to_str`, `split`, `trim`, a
    /// token check and a case-insensitive search.
    fn reference<'r>(allowed: &AllowList, line: &'r HeaderValue) -> Result<(), Reason<'r>> {
        let line = line.to_str().map_err(|_| Reason::InvalidRequestHeaders)?;
        for name in line.split(',').map(|n| n.trim_matches([' ', '\t'])) {
            if name.is_empty() {
                continue;
            }
            let token = name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
            if !token {
                return Err(Reason::InvalidRequestHeaders);
            }
            if let AllowList::List(list) = allowed {
                let lower = name.to_ascii_lowercase();
                if !list.iter().any(|a| **a == *lower) {
                    return Err(Reason::HeaderNotAllowed(name));
                }
            }
        }
        Ok(())
    }

    fn policy(headers: &[&str]) -> Policy {
        CorsOptions {
            allow_origins: vec!["https://a.example".into()],
            allow_headers: headers.iter().map(|h| h.to_string()).collect(),
            ..CorsOptions::default()
        }
        .build()
        .expect("valid test policy")
    }

    fn line() -> impl Strategy<Value = Vec<u8>> {
        let item = prop_oneof![
            Just("x-request-id"),
            Just("X-Request-ID"),
            Just("authorization"),
            Just("content-type"),
            Just("x-b"),
            Just("accept"),
            Just(""),
            Just(" "),
            Just("a b"),
            Just("a\"b"),
            Just("\tx-b "),
            Just("é"),
        ];
        let sep = prop_oneof![Just(","), Just(", "), Just(" ,"), Just(",,")];
        prop_oneof![
            proptest::collection::vec((item, sep), 0..5).prop_map(|parts| {
                parts
                    .into_iter()
                    .flat_map(|(i, s)| [i, s])
                    .collect::<String>()
                    .into_bytes()
            }),
            proptest::collection::vec(
                proptest::sample::select(vec![
                    b'a', b'x', b'X', b'-', b',', b' ', b'\t', b'"', b';', 0x80, 0xff,
                ]),
                0..30,
            ),
        ]
    }

    proptest! {
        #[test]
        fn one_pass_scan_agrees_with_the_straightforward_check(bytes in line()) {
            let Ok(value) = HeaderValue::from_bytes(&bytes) else { return Ok(()) };
            for headers in [&["X-Request-ID", "x-b"][..], &["*"][..], &[][..]] {
                let policy = policy(headers);
                prop_assert_eq!(
                    check_header_line(&policy, &value),
                    reference(&policy.headers, &value),
                    "{:?} with {:?}", value, headers
                );
            }
        }
    }
}
