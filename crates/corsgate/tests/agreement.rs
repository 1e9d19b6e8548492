//! The two halves agree: for random policies and random page requests, the browser half accepts
//! the server half's responses exactly when the policy allows the request. "Allows" is computed
//! here from the SPEC's rules, independently of the engine.

use corsgate::browser::{CredentialsMode, Fetch, Initiator, PageRequest, Stage, Step};
use corsgate::{CorsOptions, RequestKind};
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use proptest::prelude::*;
use proptest::sample::subsequence;

const ORIGIN_ENTRIES: [&str; 4] = [
    "http://localhost:3000",
    "https://app.example.com",
    "https://*.example.com",
    "http://localhost:*",
];
const PAGE_ORIGINS: [&str; 7] = [
    "http://localhost:3000",
    "http://localhost:4000",
    "https://app.example.com",
    "https://a.b.example.com",
    "https://example.com",
    "https://evil.test",
    "null",
];
const METHODS: [&str; 6] = ["GET", "POST", "PUT", "DELETE", "PATCH", "patch"];
const HEADERS: [(&str, &str); 6] = [
    ("X-Custom", "1"),
    ("Authorization", "Bearer x"),
    ("Content-Type", "application/json"),
    ("Content-Type", "text/plain"),
    ("X-Request-ID", "5"),
    ("Accept-Language", "de"),
];

#[derive(Clone, Debug)]
struct Policy {
    any_origin: bool,
    origins: Vec<&'static str>,
    credentials: bool,
    methods: Option<Vec<&'static str>>,
    headers: Option<Vec<&'static str>>,
}

fn policy() -> impl Strategy<Value = Policy> {
    (
        any::<bool>(),
        subsequence(ORIGIN_ENTRIES.to_vec(), 0..=4),
        any::<bool>(),
        proptest::option::of(subsequence(
            vec!["GET", "POST", "PUT", "DELETE", "PATCH"],
            0..=5,
        )),
        proptest::option::of(subsequence(
            vec!["X-Custom", "Authorization", "x-request-id"],
            0..=3,
        )),
    )
        .prop_map(
            |(any_origin, origins, credentials, methods, headers)| Policy {
                // `*` with credentials does not build; keep the generated policies valid.
                any_origin: any_origin && !credentials,
                origins,
                credentials,
                methods,
                headers,
            },
        )
}

fn options(p: &Policy) -> CorsOptions {
    let mut origins: Vec<String> = p.origins.iter().map(|s| s.to_string()).collect();
    if p.any_origin {
        origins.push("*".into());
    }
    let list = |l: &Option<Vec<&str>>| match l {
        None => vec!["*".to_string()],
        Some(v) => v.iter().map(|s| s.to_string()).collect(),
    };
    CorsOptions {
        allow_origins: origins,
        allow_credentials: p.credentials,
        allow_methods: list(&p.methods),
        allow_headers: list(&p.headers),
        ..CorsOptions::default()
    }
}

/// The SPEC's rules, written out independently of the engine.
fn policy_allows(
    p: &Policy,
    origin: &str,
    method: &str,
    headers: &[(&str, &str)],
    creds: CredentialsMode,
) -> bool {
    let origin_ok = p.any_origin
        || (origin != "null"
            && p.origins.iter().any(|e| match *e {
                "https://*.example.com" => origin
                    .strip_prefix("https://")
                    .and_then(|h| h.strip_suffix(".example.com"))
                    .is_some_and(|labels| !labels.is_empty()),
                "http://localhost:*" => {
                    origin == "http://localhost" || origin.starts_with("http://localhost:")
                }
                exact => exact == origin,
            }));
    let unsafe_headers: Vec<String> = headers
        .iter()
        .filter(|(n, v)| {
            !(n.eq_ignore_ascii_case("accept-language")
                || (n.eq_ignore_ascii_case("content-type") && *v == "text/plain"))
        })
        .map(|(n, _)| n.to_ascii_lowercase())
        .collect();
    let preflight = !matches!(method, "GET" | "HEAD" | "POST") || !unsafe_headers.is_empty();
    let method_ok = p.methods.as_ref().is_none_or(|m| m.contains(&method));
    let always = [
        "accept",
        "accept-language",
        "content-language",
        "content-type",
    ];
    let headers_ok = unsafe_headers.iter().all(|h| {
        always.contains(&h.as_str())
            || p.headers
                .as_ref()
                .is_none_or(|l| l.iter().any(|a| a.eq_ignore_ascii_case(h)))
    });
    let credentials_ok = creds != CredentialsMode::Include || p.credentials;
    origin_ok && (!preflight || (method_ok && headers_ok)) && credentials_ok
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn browser_accepts_exactly_what_the_policy_allows(
        p in policy(),
        origin in proptest::sample::select(PAGE_ORIGINS.to_vec()),
        method in proptest::sample::select(METHODS.to_vec()),
        headers in subsequence(HEADERS.to_vec(), 0..=3),
        creds in proptest::sample::select(vec![CredentialsMode::Omit, CredentialsMode::SameOrigin, CredentialsMode::Include]),
    ) {
        // Two Content-Type values would be joined by the browser; keep one.
        let mut headers = headers;
        if headers.iter().filter(|(n, _)| *n == "Content-Type").count() > 1 {
            headers.retain(|(_, v)| *v != "text/plain");
        }
        let server = options(&p).build().unwrap();
        let mut fetch = Fetch::new(PageRequest {
            url: "http://api.test:8000/api/users".into(),
            origin: origin.into(),
            method: method.into(),
            headers: headers.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect(),
            credentials: creds,
            initiator: Initiator::Fetch,
            cookie: None,
        }).unwrap();
        let outcome = loop {
            match fetch.step() {
                Step::Send(out) => {
                    let mut req = HeaderMap::new();
                    for (n, v) in &out.headers {
                        req.append(HeaderName::from_bytes(n.as_bytes()).unwrap(), HeaderValue::from_str(v).unwrap());
                    }
                    let m = Method::from_bytes(out.method.as_bytes()).unwrap();
                    let decision = server.decide(&m, &req);
                    let mut resp = HeaderMap::new();
                    let status = match (out.stage, decision.kind) {
                        (Stage::Preflight, RequestKind::Preflight) => server.write_preflight(&decision, &req, &mut resp),
                        (Stage::Actual, RequestKind::Actual) => {
                            server.apply_actual(&decision.actual(), &mut resp);
                            StatusCode::OK
                        }
                        other => panic!("server saw {other:?}"),
                    };
                    fetch.receive(status, resp);
                }
                Step::Done(o) => break o,
            }
        };
        let expected = policy_allows(&p, origin, method, &headers, creds);
        prop_assert_eq!(
            outcome.allowed(),
            expected,
            "policy {:?}\nrequest {} {} {:?} {:?}\nverdict {:?}",
            p, origin, method, headers, creds, outcome.verdict
        );
    }
}
