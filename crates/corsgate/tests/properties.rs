//! Properties of the engine over generated inputs: building and deciding never panic, rejections
//! never disclose the policy, and origin matching is exact.

use corsgate::{CorsOptions, RequestKind, Verdict};
use http::{HeaderMap, HeaderValue, Method};
use proptest::prelude::*;

fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![
        ".{0,40}",
        "(https?|capacitor|HTTP|ftp)://[a-zA-Z0-9.*:\\[\\]@/?#%-]{0,30}",
        "[ a-z*.:/]{0,20}",
    ]
}

fn header_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..40),
        "(https?://[a-z0-9.-]{1,20}(:[0-9]{1,5})?|null|\\*|[A-Za-z, -]{0,30})"
            .prop_map(String::into_bytes),
    ]
}

fn label() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9-]{0,8}"
}

fn origin() -> impl Strategy<Value = String> {
    (
        prop_oneof![Just("http"), Just("https")],
        proptest::collection::vec(label(), 1..4),
        proptest::option::of(1u16..=65535),
    )
        .prop_map(|(scheme, labels, port)| {
            let port = port
                .filter(|p| !matches!((scheme, *p), ("http", 80) | ("https", 443)))
                .map(|p| format!(":{p}"))
                .unwrap_or_default();
            format!("{scheme}://{}{port}", labels.join("."))
        })
}

fn request(method: &Method, pairs: &[(&'static str, Vec<u8>)]) -> Option<(Method, HeaderMap)> {
    let mut h = HeaderMap::new();
    for (name, value) in pairs {
        h.append(*name, HeaderValue::from_bytes(value).ok()?);
    }
    Some((method.clone(), h))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn building_never_panics(
        origins in proptest::collection::vec(any_text(), 0..4),
        regex in proptest::option::of(any_text()),
        methods in proptest::collection::vec(any_text(), 0..3),
        headers in proptest::collection::vec(any_text(), 0..3),
        expose in proptest::collection::vec(any_text(), 0..3),
        credentials in any::<bool>(),
        preflight_status in any::<u16>(),
        reject_status in any::<u16>(),
    ) {
        let options = CorsOptions {
            allow_origins: origins,
            allow_origin_regex: regex,
            allow_methods: methods,
            allow_headers: headers,
            expose_headers: expose,
            allow_credentials: credentials,
            preflight_status,
            reject_status,
            ..CorsOptions::default()
        };
        match options.build() {
            Ok(policy) => {
                for w in policy.warnings() { prop_assert!(!w.to_string().is_empty()); }
            }
            Err(errors) => {
                prop_assert!(!errors.0.is_empty());
                for e in &errors.0 {
                    prop_assert!(!e.problem.is_empty() && !e.fix.is_empty(), "{e}");
                }
            }
        }
    }

    #[test]
    fn deciding_never_panics_and_rejections_disclose_nothing(
        which in 0usize..4,
        origin in header_bytes(),
        acrm in header_bytes(),
        acrh in header_bytes(),
        preflight in any::<bool>(),
    ) {
        let policies = [
            CorsOptions::development(),
            CorsOptions { allow_origins: vec!["*".into()], ..CorsOptions::default() },
            CorsOptions {
                allow_origins: vec!["https://*.example.com".into(), "http://localhost:*".into()],
                allow_origin_regex: Some(r"https://[a-z]+\.test".into()),
                allow_methods: vec!["GET".into(), "PUT".into()],
                allow_headers: vec!["X-Custom".into()],
                allow_credentials: true,
                allow_null_origin: true,
                ..CorsOptions::default()
            },
            CorsOptions { allow_origins: vec!["capacitor://localhost".into()], block_disallowed: true, ..CorsOptions::default() },
        ];
        let policy = policies[which].build().unwrap();
        let method = if preflight { Method::OPTIONS } else { Method::POST };
        let mut pairs = vec![("origin", origin)];
        if preflight {
            pairs.push(("access-control-request-method", acrm));
            pairs.push(("access-control-request-headers", acrh));
        }
        let Some((method, headers)) = request(&method, &pairs) else { return Ok(()) };
        let decision = policy.decide(&method, &headers);
        let mut out = HeaderMap::new();
        match decision.kind {
            RequestKind::Preflight => {
                let status = policy.write_preflight(&decision, &headers, &mut out);
                let vary = out.get("vary").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
                prop_assert!(vary.starts_with("Origin, Access-Control-Request-Method"), "{vary}");
                if decision.verdict() == Verdict::Rejected {
                    prop_assert_eq!(status, policy.reject_status());
                    prop_assert!(!out.keys().any(|k| k.as_str().starts_with("access-control-")), "{out:?}");
                } else {
                    prop_assert_eq!(status, policy.preflight_status());
                    prop_assert!(out.contains_key("access-control-allow-origin"));
                    prop_assert!(out.contains_key("access-control-allow-methods"));
                }
            }
            _ => {
                policy.apply_actual(&decision.actual(), &mut out);
                let acao = out.get("access-control-allow-origin");
                match decision.verdict() {
                    Verdict::Allowed => prop_assert!(acao.is_some()),
                    // Only `*` without credentials answers a disallowed or non-CORS request.
                    _ => prop_assert!(acao.is_none() || acao == Some(&HeaderValue::from_static("*"))),
                }
                if policy.varies_by_origin() {
                    prop_assert_eq!(out.get_all("vary").iter().count(), 1);
                }
            }
        }
        // A decision is deterministic.
        prop_assert_eq!(policy.decide(&method, &headers).verdict(), decision.verdict());
    }

    #[test]
    fn exact_origins_match_exactly(
        listed in proptest::collection::vec(origin(), 1..6),
        other in origin(),
        pick in any::<prop::sample::Index>(),
    ) {
        let policy = CorsOptions { allow_origins: listed.clone(), ..CorsOptions::default() }.build().unwrap();
        let allowed = |o: &str| {
            let mut h = HeaderMap::new();
            h.insert("origin", HeaderValue::from_str(o).unwrap());
            policy.decide(&Method::GET, &h).is_allowed()
        };
        let chosen = pick.get(&listed);
        prop_assert!(allowed(chosen));
        prop_assert_eq!(allowed(&other), listed.contains(&other));
        // Browsers serialise origins exactly; near misses never match.
        let slash = format!("{chosen}/");
        let upper = chosen.to_uppercase();
        let suffixed = format!("{chosen}.evil.example");
        prop_assert!(!allowed(&slash));
        prop_assert!(!allowed(&upper));
        prop_assert_eq!(allowed(&suffixed), listed.contains(&suffixed));
    }

    #[test]
    fn subdomain_patterns_need_at_least_one_label(
        labels in proptest::collection::vec(label(), 0..4),
        tail in prop_oneof![Just(".example.com"), Just("example.com"), Just("-example.com"), Just(".example.com.evil.net")],
    ) {
        let policy = CorsOptions { allow_origins: vec!["https://*.example.com".into()], ..CorsOptions::default() }.build().unwrap();
        let host = format!("{}{tail}", labels.join("."));
        let origin = format!("https://{host}");
        let mut h = HeaderMap::new();
        let Ok(v) = HeaderValue::from_str(&origin) else { return Ok(()) };
        h.insert("origin", v);
        let expected = !labels.is_empty() && tail == ".example.com";
        prop_assert_eq!(policy.decide(&Method::GET, &h).is_allowed(), expected, "{}", origin);
    }
}
