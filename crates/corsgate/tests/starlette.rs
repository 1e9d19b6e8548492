//! The 16 black-box scenarios of Starlette's `tests/middleware/test_cors.py`, re-expressed for
//! corsgate and run over real HTTP through the tower layer.
//!
//! Each function carries the name of the Starlette test it covers. Where corsgate deliberately
//! answers differently, the comment at that assertion names the difference and the reason.
//! Differences that recur:
//! - an allowed preflight has an empty body (Starlette: `OK`) and always sends ACMA;
//! - `Access-Control-Allow-Methods` with `allow_methods = ["*"]` echoes the requested method
//!   (Starlette lists its 7 methods);
//! - `Access-Control-Allow-Headers` is the configured list lower-cased and sorted (Starlette
//!   title-cases it);
//! - every preflight answer, allowed or rejected, carries `Vary: Origin,
//!   Access-Control-Request-Method, Access-Control-Request-Headers,
//!   Access-Control-Request-Private-Network` (Starlette 1.3 derives a subset);
//! - a rejected preflight is `reject_status` (403) with an empty body and no
//!   `Access-Control-Allow-*` headers (Starlette: 400, a text body listing the failures, and
//!   ACAM/ACAH/ACMA/ACAC still sent);
//! - `"*"` with `allow_credentials = true` is a build error, so Starlette's tests of that
//!   combination assert the error and then run the nearest valid policy.

mod support;
use support::*;

use axum::http::header::VARY;
use axum::routing::any;
use axum::Router;
use corsgate::CorsOptions;

/// The `Vary` items of every corsgate preflight answer, allowed or rejected.
const PREFLIGHT_VARY: [&str; 4] = [
    "Origin",
    "Access-Control-Request-Method",
    "Access-Control-Request-Headers",
    "Access-Control-Request-Private-Network",
];

/// An app that sets its own `Vary: Accept-Encoding`, as Starlette's Vary tests do.
fn vary_app() -> Router {
    Router::new().route(
        "/",
        any(|| async { ([(VARY, "Accept-Encoding")], "Homepage") }),
    )
}

/// Asserts that `*` with credentials does not build, and that the error names the option, the
/// value and the three ways out.
fn assert_star_with_credentials_is_rejected(options: &CorsOptions) {
    let errors = options
        .build()
        .expect_err("\"*\" with allow_credentials = true must not build");
    let e = errors
        .0
        .iter()
        .find(|e| e.option == "allow_origins" && e.value == "*")
        .unwrap_or_else(|| panic!("no allow_origins \"*\" error in {errors:?}"));
    assert!(e.problem.contains("allow_credentials"), "{e:?}");
    for way in ["(1)", "(2)", "(3)"] {
        assert!(
            e.fix.contains(way),
            "fix should offer three ways out: {e:?}"
        );
    }
}

// ------------------------------------------------------------------------------------------------
// test_cors_allow_all
// ------------------------------------------------------------------------------------------------

#[tokio::test]
async fn test_cors_allow_all() {
    let starlette = CorsOptions {
        allow_origins: strings(&["*"]),
        allow_headers: strings(&["*"]),
        allow_methods: strings(&["*"]),
        expose_headers: strings(&["X-Status"]),
        allow_credentials: true,
        ..CorsOptions::default()
    };
    // Starlette accepts this and reflects every origin with ACAC: true ("any site gets
    // credentialed access"); corsgate refuses to build it (SPEC: `*` + allow_credentials is an
    // error that names the three ways out).
    assert_star_with_credentials_is_rejected(&starlette);

    // Nearest valid policy: an explicit regex for the origins that get credentials (here every
    // https origin, which the user now has to write down).
    let server = serve(
        CorsOptions {
            allow_origins: Vec::new(),
            allow_origin_regex: Some("https://.*".into()),
            ..starlette
        },
        homepage(),
    )
    .await;

    // Pre-flight response.
    let r = send(
        "OPTIONS",
        &server.url("/"),
        &[
            ("Origin", "https://example.org"),
            ("Access-Control-Request-Method", "GET"),
            ("Access-Control-Request-Headers", "X-Example"),
        ],
    )
    .await;
    assert_eq!(r.status, 200);
    // Starlette answers the body `OK`; corsgate's allowed preflight has an empty body (SPEC).
    assert_eq!(r.body, "");
    assert_eq!(
        r.header("access-control-allow-origin"),
        Some("https://example.org")
    );
    assert_eq!(r.header("access-control-allow-headers"), Some("X-Example"));
    assert_eq!(r.header("access-control-allow-credentials"), Some("true"));
    // Starlette lists its 7 methods (DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT) for `*`;
    // corsgate echoes the requested method, as `*` is no wildcard on credentialed requests and
    // the full list would disclose the policy.
    assert_eq!(r.header("access-control-allow-methods"), Some("GET"));
    assert_eq!(r.header("access-control-max-age"), Some("600"));
    // Starlette 1.3 sends {Origin, ACRH, ACRPN} here (no ACRM because methods are `*`);
    // corsgate always names all four request headers a preflight answer can depend on.
    assert_eq!(r.vary(), PREFLIGHT_VARY);

    // Standard response, also with a cookie and with Authorization (Starlette 0.x reflected the
    // origin only when a Cookie was present; corsgate never looks at either).
    for extra in [
        None,
        Some(("Cookie", "star_cookie=sugar")),
        Some(("Authorization", "Some_token")),
    ] {
        let mut headers = vec![("Origin", "https://example.org")];
        headers.extend(extra);
        let r = send("GET", &server.url("/"), &headers).await;
        assert_eq!(r.status, 200, "{extra:?}");
        assert_eq!(r.body, "Homepage");
        assert_eq!(
            r.header("access-control-allow-origin"),
            Some("https://example.org")
        );
        assert_eq!(r.header("access-control-expose-headers"), Some("X-Status"));
        assert_eq!(r.header("access-control-allow-credentials"), Some("true"));
        assert_eq!(r.vary(), ["Origin"]);
    }

    // Non-CORS response.
    let r = send("GET", &server.url("/"), &[]).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body, "Homepage");
    assert!(r.has_no_cors_headers());
    // Starlette leaves non-CORS responses untouched (no Vary); corsgate appends Vary: Origin,
    // because the same URL answers differently when an Origin is sent (SPEC: Vary on every
    // response whose CORS headers could differ by origin, including non-CORS requests).
    assert_eq!(r.vary(), ["Origin"]);
}

// ------------------------------------------------------------------------------------------------
// test_cors_allow_all_except_credentials
// ------------------------------------------------------------------------------------------------

#[tokio::test]
async fn test_cors_allow_all_except_credentials() {
    let server = serve(
        CorsOptions {
            allow_origins: strings(&["*"]),
            allow_headers: strings(&["*"]),
            allow_methods: strings(&["*"]),
            expose_headers: strings(&["X-Status"]),
            ..CorsOptions::default()
        },
        homepage(),
    )
    .await;

    // Pre-flight response.
    let r = send(
        "OPTIONS",
        &server.url("/"),
        &[
            ("Origin", "https://example.org"),
            ("Access-Control-Request-Method", "GET"),
            ("Access-Control-Request-Headers", "X-Example"),
        ],
    )
    .await;
    assert_eq!(r.status, 200);
    // Starlette: body `OK`; corsgate: empty body.
    assert_eq!(r.body, "");
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    assert_eq!(r.header("access-control-allow-headers"), Some("X-Example"));
    assert!(!r.has("access-control-allow-credentials"));
    // Starlette lists its 7 methods; corsgate echoes the requested one.
    assert_eq!(r.header("access-control-allow-methods"), Some("GET"));
    // Starlette 0.x sent no Vary here and 1.3 sends {ACRH, ACRPN}; corsgate's preflight answer
    // always names all four request headers it can depend on.
    assert_eq!(r.vary(), PREFLIGHT_VARY);

    // Standard response: `*`, constant for every origin, so no Vary (same as Starlette).
    let r = send(
        "GET",
        &server.url("/"),
        &[("Origin", "https://example.org")],
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body, "Homepage");
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    assert_eq!(r.header("access-control-expose-headers"), Some("X-Status"));
    assert!(!r.has("access-control-allow-credentials"));
    assert!(r.vary().is_empty());

    // Non-CORS response.
    let r = send("GET", &server.url("/"), &[]).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body, "Homepage");
    // Starlette sends no ACAO without an Origin; corsgate's `*` without credentials is a
    // constant answer, sent on every response (ACAO `*` and ACEH), so it needs no Vary either.
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    assert_eq!(r.header("access-control-expose-headers"), Some("X-Status"));
    assert!(!r.has("access-control-allow-credentials"));
    assert!(r.vary().is_empty());
}

// ------------------------------------------------------------------------------------------------
// test_cors_allow_specific_origin
// ------------------------------------------------------------------------------------------------

#[tokio::test]
async fn test_cors_allow_specific_origin() {
    let server = serve(
        CorsOptions {
            allow_headers: strings(&["X-Example", "Content-Type"]),
            ..origins(&["https://example.org"])
        },
        homepage(),
    )
    .await;

    // Pre-flight response.
    let r = send(
        "OPTIONS",
        &server.url("/"),
        &[
            ("Origin", "https://example.org"),
            ("Access-Control-Request-Method", "GET"),
            ("Access-Control-Request-Headers", "X-Example, Content-Type"),
        ],
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body, "");
    assert_eq!(
        r.header("access-control-allow-origin"),
        Some("https://example.org")
    );
    // Starlette: "Accept, Accept-Language, Content-Language, Content-Type, X-Example" (title
    // case); corsgate: the same set lower-cased and sorted (header names are case-insensitive).
    assert_eq!(
        r.header("access-control-allow-headers"),
        Some("accept, accept-language, content-language, content-type, x-example")
    );
    assert!(!r.has("access-control-allow-credentials"));
    assert_eq!(r.header("access-control-allow-methods"), Some("GET"));
    assert_eq!(r.header("access-control-max-age"), Some("600"));
    assert_eq!(r.vary(), PREFLIGHT_VARY);

    // Standard response.
    let r = send(
        "GET",
        &server.url("/"),
        &[("Origin", "https://example.org")],
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body, "Homepage");
    assert_eq!(
        r.header("access-control-allow-origin"),
        Some("https://example.org")
    );
    assert!(!r.has("access-control-allow-credentials"));
    assert_eq!(r.vary(), ["Origin"]);

    // Disallowed standard response: the app runs, no CORS headers, Vary: Origin.
    let r = send(
        "GET",
        &server.url("/"),
        &[("Origin", "https://another.org")],
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body, "Homepage");
    assert!(r.has_no_cors_headers());
    assert_eq!(r.vary(), ["Origin"]);

    // Non-CORS response.
    let r = send("GET", &server.url("/"), &[]).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body, "Homepage");
    assert!(r.has_no_cors_headers());
    // Starlette adds no Vary without an Origin; corsgate appends Vary: Origin (SPEC).
    assert_eq!(r.vary(), ["Origin"]);
}

// ------------------------------------------------------------------------------------------------
// test_cors_disallowed_preflight
// ------------------------------------------------------------------------------------------------

#[tokio::test]
async fn test_cors_disallowed_preflight() {
    let options = CorsOptions {
        allow_headers: strings(&["X-Example"]),
        ..origins(&["https://example.org"])
    };
    let server = serve(options.clone(), homepage()).await;

    // Pre-flight response: wrong origin, wrong method, wrong header.
    let bad_everything = [
        ("Origin", "https://another.org"),
        ("Access-Control-Request-Method", "POST"),
        ("Access-Control-Request-Headers", "X-Nope"),
    ];
    let r = send("OPTIONS", &server.url("/"), &bad_everything).await;
    // Starlette answers 400 with the body "Disallowed CORS origin, method, headers" and still
    // sends ACAM/ACAH/ACMA; corsgate answers reject_status (403) with an empty body and no
    // Access-Control-* headers at all (SPEC: do not disclose the policy; the reason goes to the
    // log).
    assert_eq!(r.status, 403);
    assert_eq!(r.body, "", "the app must not be reached");
    assert!(r.has_no_cors_headers(), "{:?}", r.headers);
    assert_eq!(r.vary(), PREFLIGHT_VARY);

    // Bug-specific test (Starlette PR #1199): several disallowed headers are reported once.
    let two_bad_headers = [
        ("Origin", "https://example.org"),
        ("Access-Control-Request-Method", "GET"),
        ("Access-Control-Request-Headers", "X-Nope-1, X-Nope-2"),
    ];
    let r = send("OPTIONS", &server.url("/"), &two_bad_headers).await;
    // Starlette: 400 "Disallowed CORS headers"; corsgate: 403, empty body, nothing disclosed.
    assert_eq!(r.status, 403);
    assert_eq!(r.body, "");
    assert!(r.has_no_cors_headers());
    assert_eq!(r.vary(), PREFLIGHT_VARY);

    // The reason text lives in corsgate's debug mode: one line naming the first failure
    // (Starlette lists every failing part: "origin, method, headers").
    let debug = serve(
        CorsOptions {
            debug: true,
            ..options
        },
        homepage(),
    )
    .await;
    let r = send("OPTIONS", &debug.url("/"), &bad_everything).await;
    assert_eq!(r.status, 403);
    assert_eq!(
        r.body,
        "CORS request rejected: origin 'https://another.org' is not allowed: it matches no allow_origins entry or allow_origin_regex\n"
    );
    assert!(r.has_no_cors_headers());
    let r = send("OPTIONS", &debug.url("/"), &two_bad_headers).await;
    assert_eq!(r.status, 403);
    assert_eq!(
        r.body,
        "CORS request rejected: request header 'X-Nope-1' is not in allow_headers\n"
    );
    assert!(r.has_no_cors_headers());
}

// ------------------------------------------------------------------------------------------------
// test_preflight_allows_request_origin_if_origins_wildcard_and_credentials_allowed
// ------------------------------------------------------------------------------------------------

#[tokio::test]
async fn test_preflight_allows_request_origin_if_origins_wildcard_and_credentials_allowed() {
    let starlette = CorsOptions {
        allow_origins: strings(&["*"]),
        allow_methods: strings(&["POST"]),
        allow_credentials: true,
        ..CorsOptions::default()
    };
    // Starlette reflects any origin here; corsgate refuses to build `*` + credentials (SPEC).
    assert_star_with_credentials_is_rejected(&starlette);

    // Nearest valid policy: a subdomain pattern (one of the three ways out).
    let server = serve(
        CorsOptions {
            allow_origins: strings(&["https://*.example.org"]),
            ..starlette
        },
        homepage(),
    )
    .await;
    let r = send(
        "OPTIONS",
        &server.url("/"),
        &[
            ("Origin", "https://app.example.org"),
            ("Access-Control-Request-Method", "POST"),
        ],
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body, "");
    // The request origin is reflected, never `*`, next to ACAC: true.
    assert_eq!(
        r.header("access-control-allow-origin"),
        Some("https://app.example.org")
    );
    assert_eq!(r.header("access-control-allow-credentials"), Some("true"));
    assert_eq!(r.header("access-control-allow-methods"), Some("POST"));
    // Starlette: exactly "Origin"; corsgate names all four request headers it depends on.
    assert_eq!(r.vary(), PREFLIGHT_VARY);

    // The pattern never matches the bare domain: rejected, nothing disclosed.
    let r = send(
        "OPTIONS",
        &server.url("/"),
        &[
            ("Origin", "https://example.org"),
            ("Access-Control-Request-Method", "POST"),
        ],
    )
    .await;
    assert_eq!(r.status, 403);
    assert!(r.has_no_cors_headers());
    assert_eq!(r.vary(), PREFLIGHT_VARY);
}

// ------------------------------------------------------------------------------------------------
// test_cors_preflight_allow_all_methods
// ------------------------------------------------------------------------------------------------

#[tokio::test]
async fn test_cors_preflight_allow_all_methods() {
    let server = serve(
        CorsOptions {
            allow_methods: strings(&["*"]),
            ..origins(&["*"])
        },
        homepage(),
    )
    .await;
    for method in ["DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"] {
        let r = send(
            "OPTIONS",
            &server.url("/"),
            &[
                ("Origin", "https://example.org"),
                ("Access-Control-Request-Method", method),
            ],
        )
        .await;
        assert_eq!(r.status, 200, "{method}");
        assert_eq!(r.body, "");
        assert_eq!(r.header("access-control-allow-origin"), Some("*"));
        // Starlette answers every preflight with all 7 methods; corsgate echoes the requested
        // method, which allows exactly what was asked and discloses nothing else.
        assert_eq!(r.header("access-control-allow-methods"), Some(method));
    }
    // `*` means any method, not only Starlette's 7 (compared literally, so case is kept).
    for method in ["PROPFIND", "patch"] {
        let r = send(
            "OPTIONS",
            &server.url("/"),
            &[
                ("Origin", "https://example.org"),
                ("Access-Control-Request-Method", method),
            ],
        )
        .await;
        assert_eq!(r.status, 200, "{method}");
        assert_eq!(r.header("access-control-allow-methods"), Some(method));
    }
}

// ------------------------------------------------------------------------------------------------
// test_cors_allow_all_methods
// ------------------------------------------------------------------------------------------------

#[tokio::test]
async fn test_cors_allow_all_methods() {
    let server = serve(
        CorsOptions {
            allow_methods: strings(&["*"]),
            ..origins(&["*"])
        },
        homepage(),
    )
    .await;
    let origin = ("Origin", "https://example.org");
    for method in ["PATCH", "POST", "PUT"] {
        let r = send_body(
            method,
            &server.url("/"),
            &[origin, ("Content-Type", "application/json")],
            "{}",
        )
        .await;
        assert_eq!(r.status, 200, "{method}");
        assert_eq!(r.body, "Homepage", "{method}");
        assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    }
    // OPTIONS without Access-Control-Request-Method is no preflight: it reaches the app.
    for method in ["DELETE", "GET", "HEAD", "OPTIONS"] {
        let r = send(method, &server.url("/"), &[origin]).await;
        assert_eq!(r.status, 200, "{method}");
        let expected = if method == "HEAD" { "" } else { "Homepage" };
        assert_eq!(r.body, expected, "{method}");
        assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    }
}

// ------------------------------------------------------------------------------------------------
// test_cors_allow_origin_regex
// ------------------------------------------------------------------------------------------------

#[tokio::test]
async fn test_cors_allow_origin_regex() {
    let server = serve(
        CorsOptions {
            allow_headers: strings(&["X-Example", "Content-Type"]),
            allow_origin_regex: Some("https://.*".into()),
            allow_credentials: true,
            ..CorsOptions::default()
        },
        homepage(),
    )
    .await;

    // Standard response, with and without a cookie.
    for extra in [None, Some(("Cookie", "star_cookie=sugar"))] {
        let mut headers = vec![("Origin", "https://example.org")];
        headers.extend(extra);
        let r = send("GET", &server.url("/"), &headers).await;
        assert_eq!(r.status, 200, "{extra:?}");
        assert_eq!(r.body, "Homepage");
        assert_eq!(
            r.header("access-control-allow-origin"),
            Some("https://example.org")
        );
        assert_eq!(r.header("access-control-allow-credentials"), Some("true"));
        assert_eq!(r.vary(), ["Origin"]);
    }

    // Disallowed standard response: enforcement is the browser's; the app runs.
    let r = send("GET", &server.url("/"), &[("Origin", "http://example.org")]).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body, "Homepage");
    assert!(!r.has("access-control-allow-origin"));
    // Starlette still adds ACAC: true (and ACEH) for a disallowed origin; corsgate adds no CORS
    // header at all to a disallowed origin's response (SPEC: no CORS headers are added).
    assert!(r.has_no_cors_headers(), "{:?}", r.headers);
    assert_eq!(r.vary(), ["Origin"]);

    // Pre-flight response.
    let r = send(
        "OPTIONS",
        &server.url("/"),
        &[
            ("Origin", "https://another.com"),
            ("Access-Control-Request-Method", "GET"),
            ("Access-Control-Request-Headers", "X-Example, content-type"),
        ],
    )
    .await;
    assert_eq!(r.status, 200);
    // Starlette: body `OK`; corsgate: empty.
    assert_eq!(r.body, "");
    assert_eq!(
        r.header("access-control-allow-origin"),
        Some("https://another.com")
    );
    // Starlette title-cases the list; corsgate lower-cases and sorts it.
    assert_eq!(
        r.header("access-control-allow-headers"),
        Some("accept, accept-language, content-language, content-type, x-example")
    );
    assert_eq!(r.header("access-control-allow-credentials"), Some("true"));
    assert_eq!(r.vary(), PREFLIGHT_VARY);

    // Disallowed pre-flight response.
    let r = send(
        "OPTIONS",
        &server.url("/"),
        &[
            ("Origin", "http://another.com"),
            ("Access-Control-Request-Method", "GET"),
            ("Access-Control-Request-Headers", "X-Example"),
        ],
    )
    .await;
    // Starlette: 400 "Disallowed CORS origin" with ACAM/ACAH/ACAC still sent; corsgate:
    // reject_status (403), empty body, no Access-Control-* headers (SPEC: do not disclose).
    assert_eq!(r.status, 403);
    assert_eq!(r.body, "");
    assert!(r.has_no_cors_headers(), "{:?}", r.headers);
    assert_eq!(r.vary(), PREFLIGHT_VARY);
}

// ------------------------------------------------------------------------------------------------
// test_cors_allow_origin_regex_fullmatch
// ------------------------------------------------------------------------------------------------

#[tokio::test]
async fn test_cors_allow_origin_regex_fullmatch() {
    let options = CorsOptions {
        allow_headers: strings(&["X-Example", "Content-Type"]),
        allow_origin_regex: Some(r"https://.*\.example.org".into()),
        ..CorsOptions::default()
    };
    // Beyond Starlette: corsgate warns at start-up that the last `.` is unescaped (it also
    // matches e.g. `https://a.examplexorg`).
    let policy = options.build().expect("valid policy");
    assert!(
        policy
            .warnings()
            .iter()
            .any(|w| w.option == "allow_origin_regex" && w.message.contains("unescaped")),
        "{:?}",
        policy.warnings()
    );
    let server = serve(options, homepage()).await;

    // Standard response.
    let r = send(
        "GET",
        &server.url("/"),
        &[("Origin", "https://subdomain.example.org")],
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body, "Homepage");
    assert_eq!(
        r.header("access-control-allow-origin"),
        Some("https://subdomain.example.org")
    );
    assert!(!r.has("access-control-allow-credentials"));
    assert_eq!(r.vary(), ["Origin"]);

    // Disallowed standard response: the regex must match the whole origin.
    let r = send(
        "GET",
        &server.url("/"),
        &[("Origin", "https://subdomain.example.org.hacker.com")],
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body, "Homepage");
    assert!(r.has_no_cors_headers());
    assert_eq!(r.vary(), ["Origin"]);

    // The same holds for a preflight (not in Starlette's test).
    let r = send(
        "OPTIONS",
        &server.url("/"),
        &[
            ("Origin", "https://subdomain.example.org.hacker.com"),
            ("Access-Control-Request-Method", "GET"),
        ],
    )
    .await;
    assert_eq!(r.status, 403);
    assert!(r.has_no_cors_headers());
}

// ------------------------------------------------------------------------------------------------
// The four Vary tests
// ------------------------------------------------------------------------------------------------

/// test_cors_vary_header_defaults_to_origin
#[tokio::test]
async fn test_cors_vary_header_defaults_to_origin() {
    let server = serve(origins(&["https://example.org"]), homepage()).await;
    let r = send(
        "GET",
        &server.url("/"),
        &[("Origin", "https://example.org")],
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("vary"), Some("Origin"));
}

/// test_cors_vary_header_is_not_set_for_non_credentialed_request
#[tokio::test]
async fn test_cors_vary_header_is_not_set_for_non_credentialed_request() {
    let server = serve(origins(&["*"]), vary_app()).await;
    let r = send(
        "GET",
        &server.url("/"),
        &[("Origin", "https://someplace.org")],
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    // The app's own Vary is kept as it is; `*` is constant, so no Origin is added.
    assert_eq!(r.header("vary"), Some("Accept-Encoding"));
}

/// test_cors_vary_header_is_properly_set_for_credentialed_request
#[tokio::test]
async fn test_cors_vary_header_is_properly_set_for_credentialed_request() {
    // Starlette 0.x: `allow_origins=["*"]` without allow_credentials, but a request carrying a
    // Cookie got its origin reflected and `Vary: Accept-Encoding, Origin`. corsgate does not
    // look at cookies: `*` without credentials stays `*`, and the app's Vary is untouched.
    let server = serve(origins(&["*"]), vary_app()).await;
    let r = send(
        "GET",
        &server.url("/"),
        &[("Cookie", "foo=bar"), ("Origin", "https://someplace.org")],
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    assert!(!r.has("access-control-allow-credentials"));
    assert_eq!(r.vary(), ["Accept-Encoding"]);

    // Starlette 1.3: `*` with allow_credentials=True reflects the origin; corsgate refuses to
    // build that (SPEC), and the nearest valid credentialed policy (a regex) reflects the
    // origin and appends Origin to the app's Vary.
    assert_star_with_credentials_is_rejected(&CorsOptions {
        allow_credentials: true,
        ..origins(&["*"])
    });
    let server = serve(
        CorsOptions {
            allow_origin_regex: Some("https://.*".into()),
            allow_credentials: true,
            ..CorsOptions::default()
        },
        vary_app(),
    )
    .await;
    let r = send(
        "GET",
        &server.url("/"),
        &[("Cookie", "foo=bar"), ("Origin", "https://someplace.org")],
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("access-control-allow-origin"),
        Some("https://someplace.org")
    );
    assert_eq!(r.header("access-control-allow-credentials"), Some("true"));
    // Starlette rewrites the app's header into one line "Accept-Encoding, Origin"; corsgate
    // appends a second `Vary: Origin` field line and leaves the app's line as it was. Both mean
    // the same list (RFC 9110 §5.3).
    assert_eq!(r.vary(), ["Accept-Encoding", "Origin"]);
    let lines: Vec<_> = r.headers.get_all(VARY).iter().collect();
    assert_eq!(lines, ["Accept-Encoding", "Origin"]);
}

/// test_cors_vary_header_is_properly_set_when_allow_origins_is_not_wildcard
#[tokio::test]
async fn test_cors_vary_header_is_properly_set_when_allow_origins_is_not_wildcard() {
    let server = serve(origins(&["https://example.org"]), vary_app()).await;
    let r = send(
        "GET",
        &server.url("/"),
        &[("Origin", "https://example.org")],
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("access-control-allow-origin"),
        Some("https://example.org")
    );
    // Starlette: one line "Accept-Encoding, Origin"; corsgate appends Origin as its own line
    // (same list, RFC 9110 §5.3) and never overwrites or duplicates.
    assert_eq!(r.vary(), ["Accept-Encoding", "Origin"]);

    // Disallowed origins and non-CORS requests get the append too (beyond Starlette, which
    // leaves them at "Accept-Encoding"; SPEC: Vary on every response that could differ).
    for headers in [&[("Origin", "https://another.org")][..], &[]] {
        let r = send("GET", &server.url("/"), headers).await;
        assert!(r.has_no_cors_headers());
        assert_eq!(r.vary(), ["Accept-Encoding", "Origin"], "{headers:?}");
    }
}

// ------------------------------------------------------------------------------------------------
// test_cors_allowed_origin_does_not_leak_between_requests
// ------------------------------------------------------------------------------------------------

#[tokio::test]
async fn test_cors_allowed_origin_does_not_leak_between_requests() {
    // Starlette 0.x version: `*` everything without credentials; a Cookie request briefly got
    // its origin reflected and must not leave it behind (class-level state bug, PR #511).
    let server = serve(
        CorsOptions {
            allow_headers: strings(&["*"]),
            allow_methods: strings(&["*"]),
            ..origins(&["*"])
        },
        homepage(),
    )
    .await;
    let origin = ("Origin", "https://someplace.org");
    for headers in [&[origin][..], &[("Cookie", "foo=bar"), origin], &[origin]] {
        let r = send("GET", &server.url("/"), headers).await;
        // Starlette 0.x reflects the origin for the Cookie request; corsgate answers `*` to
        // all three, since cookies are only sent with credentials, which this policy refuses.
        assert_eq!(r.header("access-control-allow-origin"), Some("*"));
        assert!(!r.has("access-control-allow-credentials"));
    }

    // Starlette 1.3 version: `*` + credentials, two origins alternating. corsgate: build
    // error (SPEC), so the nearest valid policy is a credentialed regex.
    assert_star_with_credentials_is_rejected(&CorsOptions {
        allow_headers: strings(&["*"]),
        allow_methods: strings(&["*"]),
        allow_credentials: true,
        ..origins(&["*"])
    });
    let server = serve(
        CorsOptions {
            allow_origin_regex: Some(r"https://(first|second)\.example".into()),
            allow_headers: strings(&["*"]),
            allow_methods: strings(&["*"]),
            allow_credentials: true,
            ..CorsOptions::default()
        },
        homepage(),
    )
    .await;
    let first = "https://first.example";
    let second = "https://second.example";
    for (origin, cookie) in [(first, false), (second, true), (first, false)] {
        let mut headers = vec![("Origin", origin)];
        if cookie {
            headers.push(("Cookie", "foo=bar"));
        }
        let r = send("GET", &server.url("/"), &headers).await;
        assert_eq!(r.header("access-control-allow-origin"), Some(origin));
        assert_eq!(r.header("access-control-allow-credentials"), Some("true"));
    }

    // And concurrently (the policy is shared between in-flight requests), including a
    // disallowed origin that must never receive another request's origin.
    let url = server.url("/");
    let tasks: Vec<_> = (0..24)
        .map(|i| {
            let url = url.clone();
            tokio::spawn(async move {
                let origin = [
                    "https://first.example",
                    "https://second.example",
                    "https://third.example",
                ][i % 3];
                let r = send("GET", &url, &[("Origin", origin)]).await;
                (origin, r)
            })
        })
        .collect();
    for task in tasks {
        let (origin, r) = task.await.unwrap();
        if origin == "https://third.example" {
            assert!(r.has_no_cors_headers(), "{origin}: {:?}", r.headers);
        } else {
            assert_eq!(r.header("access-control-allow-origin"), Some(origin));
        }
        assert_eq!(r.vary(), ["Origin"]);
    }
}

// ------------------------------------------------------------------------------------------------
// test_cors_private_network_access_allowed / _disallowed
// ------------------------------------------------------------------------------------------------

#[tokio::test]
async fn test_cors_private_network_access_allowed() {
    let server = serve(
        CorsOptions {
            allow_methods: strings(&["*"]),
            allow_private_network: true,
            ..origins(&["*"])
        },
        homepage(),
    )
    .await;
    let without_pna = [
        ("Origin", "https://example.org"),
        ("Access-Control-Request-Method", "GET"),
    ];
    let with_pna = [
        without_pna[0],
        without_pna[1],
        ("Access-Control-Request-Private-Network", "true"),
    ];

    // Preflight with a Private Network Access request.
    let r = send("OPTIONS", &server.url("/"), &with_pna).await;
    assert_eq!(r.status, 200);
    // Starlette: body `OK`; corsgate: empty.
    assert_eq!(r.body, "");
    assert_eq!(
        r.header("access-control-allow-private-network"),
        Some("true")
    );
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    // Starlette 1.3: {ACRH, ACRPN}; corsgate: all four request headers it depends on.
    assert_eq!(r.vary(), PREFLIGHT_VARY);

    // Preflight without it.
    let r = send("OPTIONS", &server.url("/"), &without_pna).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body, "");
    assert!(!r.has("access-control-allow-private-network"));
    assert_eq!(r.vary(), PREFLIGHT_VARY);

    // ACAPN is never sent on non-preflight requests.
    let r = send("GET", &server.url("/"), &with_pna).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body, "Homepage");
    assert!(!r.has("access-control-allow-private-network"));
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
}

#[tokio::test]
async fn test_cors_private_network_access_disallowed() {
    let server = serve(
        CorsOptions {
            allow_methods: strings(&["*"]),
            allow_private_network: false,
            ..origins(&["*"])
        },
        homepage(),
    )
    .await;
    let without_pna = [
        ("Origin", "https://example.org"),
        ("Access-Control-Request-Method", "GET"),
    ];
    let with_pna = [
        without_pna[0],
        without_pna[1],
        ("Access-Control-Request-Private-Network", "true"),
    ];

    let r = send("OPTIONS", &server.url("/"), &without_pna).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body, "");
    assert!(!r.has("access-control-allow-private-network"));
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));

    let r = send("OPTIONS", &server.url("/"), &with_pna).await;
    // Starlette: 400 "Disallowed CORS private-network"; corsgate: reject_status (403), empty
    // body, no Access-Control-* headers at all (SPEC: do not disclose the policy).
    assert_eq!(r.status, 403);
    assert_eq!(r.body, "", "the app must not be reached");
    assert!(!r.has("access-control-allow-private-network"));
    assert!(r.has_no_cors_headers(), "{:?}", r.headers);
    // Starlette 1.3: {ACRH, ACRPN}; corsgate: all four.
    assert_eq!(r.vary(), PREFLIGHT_VARY);
}
