//! The browser half against the cases verified in Chromium 156 (research/browser.md §2.7): for
//! each, the verdict, the DevTools error name, the failed parameter and the console message,
//! byte for byte. Responses are scripted per request; no network is involved.

use corsgate::browser::{
    CredentialsMode, Fetch, Initiator, Outcome, OutgoingRequest, PageRequest, Stage, Step, Verdict,
};
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};

const PAGE: &str = "http://127.0.0.1:8001";
const TARGET: &str = "http://127.0.0.1:8002/t?n=1";

type Reply = (u16, Vec<(&'static str, &'static [u8])>);

fn request(
    method: &str,
    headers: &[(&str, &str)],
    credentials: CredentialsMode,
    initiator: Initiator,
) -> PageRequest {
    PageRequest {
        url: TARGET.to_string(),
        origin: PAGE.to_string(),
        method: method.to_string(),
        headers: headers
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect(),
        credentials,
        initiator,
        cookie: None,
    }
}

fn fetch(method: &str, headers: &[(&str, &str)]) -> PageRequest {
    request(
        method,
        headers,
        CredentialsMode::SameOrigin,
        Initiator::Fetch,
    )
}

fn include(method: &str) -> PageRequest {
    request(method, &[], CredentialsMode::Include, Initiator::Fetch)
}

/// Runs the fetch; `server` answers each request the browser sends.
fn run(req: PageRequest, mut server: impl FnMut(&OutgoingRequest) -> Reply) -> Outcome {
    let mut f = Fetch::new(req).expect("valid request");
    for _ in 0..50 {
        match f.step() {
            Step::Send(out) => {
                let (status, headers) = server(&out);
                let mut map = HeaderMap::new();
                for (n, v) in headers {
                    map.append(
                        HeaderName::from_static(n),
                        HeaderValue::from_bytes(v).unwrap(),
                    );
                }
                f.receive(StatusCode::from_u16(status).unwrap(), map);
            }
            Step::Done(outcome) => return outcome,
        }
    }
    panic!("fetch did not finish");
}

/// A server answering preflights with `pre` and actual requests with `act`.
fn split(pre: Reply, act: Reply) -> impl FnMut(&OutgoingRequest) -> Reply {
    move |r| {
        if r.stage == Stage::Preflight {
            pre.clone()
        } else {
            act.clone()
        }
    }
}

fn blocked(outcome: &Outcome) -> (String, String, String) {
    let f = outcome
        .failure()
        .unwrap_or_else(|| panic!("expected a CORS failure, got {:?}", outcome.verdict));
    (
        f.error.name().to_string(),
        f.failed_parameter.clone(),
        f.console_message.clone(),
    )
}

fn expect(outcome: Outcome, error: &str, param: &str, detail: &str) {
    let (e, p, m) = blocked(&outcome);
    assert_eq!(e, error);
    assert_eq!(p, param);
    let want = format!("Access to fetch at '{TARGET}' from origin '{PAGE}' has been blocked by CORS policy: {detail}");
    assert_eq!(m, want);
}

const OK_ORIGIN: (&str, &[u8]) = ("access-control-allow-origin", PAGE.as_bytes());
const STAR: (&str, &[u8]) = ("access-control-allow-origin", b"*");
const PREFLIGHT: &str = "Response to preflight request doesn't pass access control check: ";
const VALID: &str = " Have the server send the header with a valid value.";

#[test]
fn missing_allow_origin() {
    expect(
        run(fetch("GET", &[]), |_| (200, vec![])),
        "MissingAllowOriginHeader",
        "",
        "No 'Access-Control-Allow-Origin' header is present on the requested resource.",
    );
}

#[test]
fn wildcard_with_credentials() {
    expect(
        run(include("GET"), |_| (200, vec![STAR])),
        "WildcardOriginNotAllowed",
        "",
        "The value of the 'Access-Control-Allow-Origin' header in the response must not be the wildcard '*' when the request's credentials mode is 'include'.",
    );
}

#[test]
fn multiple_values() {
    let o = run(fetch("GET", &[]), |_| (200, vec![OK_ORIGIN, OK_ORIGIN]));
    let v = format!("{PAGE}, {PAGE}");
    expect(o, "MultipleAllowOriginValues", &v, &format!("The 'Access-Control-Allow-Origin' header contains multiple values '{v}', but only one is allowed.{VALID}"));
    let o = run(fetch("GET", &[]), |_| {
        (
            200,
            vec![("access-control-allow-origin", b"*, http://127.0.0.1:8001")],
        )
    });
    expect(o, "MultipleAllowOriginValues", "*, http://127.0.0.1:8001", &format!("The 'Access-Control-Allow-Origin' header contains multiple values '*, http://127.0.0.1:8001', but only one is allowed.{VALID}"));
    let o = run(fetch("GET", &[]), |_| {
        (
            200,
            vec![("access-control-allow-origin", b"http://127.0.0.1:8001,")],
        )
    });
    expect(o, "MultipleAllowOriginValues", "http://127.0.0.1:8001,", &format!("The 'Access-Control-Allow-Origin' header contains multiple values 'http://127.0.0.1:8001,', but only one is allowed.{VALID}"));
}

#[test]
fn null_and_invalid_values() {
    let o = run(fetch("GET", &[]), |_| {
        (200, vec![("access-control-allow-origin", b"null")])
    });
    expect(o, "AllowOriginMismatch", "null", &format!("The 'Access-Control-Allow-Origin' header has a value 'null' that is not equal to the supplied origin.{VALID}"));
    let o = run(fetch("GET", &[]), |_| {
        (200, vec![("access-control-allow-origin", b"foo")])
    });
    expect(
        o,
        "InvalidAllowOriginValue",
        "foo",
        &format!(
            "The 'Access-Control-Allow-Origin' header contains the invalid value 'foo'.{VALID}"
        ),
    );
    let o = run(fetch("GET", &[]), |_| {
        (200, vec![("access-control-allow-origin", b"")])
    });
    expect(
        o,
        "InvalidAllowOriginValue",
        "",
        &format!("The 'Access-Control-Allow-Origin' header contains the invalid value ''.{VALID}"),
    );
    // Non-ASCII bytes are printed through Chromium's EncodeHint.
    let o = run(fetch("GET", &[]), |_| {
        (
            200,
            vec![("access-control-allow-origin", b"http://ex\xe9.test")],
        )
    });
    // DevTools drops the invalid UTF-8 sequence; the console escapes each byte (both observed).
    expect(o, "InvalidAllowOriginValue", "http://exest", &format!("The 'Access-Control-Allow-Origin' header contains the invalid value 'http://ex\\u00E9.test'.{VALID}"));
}

#[test]
fn near_miss_origins_mismatch() {
    for value in [
        "http://127.0.0.1:8001/",
        "HTTP://127.0.0.1:8001",
        "https://127.0.0.1:8001",
        "http://127.0.0.1:8009",
    ] {
        let v: &'static [u8] = Box::leak(value.as_bytes().to_vec().into_boxed_slice());
        let o = run(fetch("GET", &[]), move |_| {
            (200, vec![("access-control-allow-origin", v)])
        });
        expect(o, "AllowOriginMismatch", value, &format!("The 'Access-Control-Allow-Origin' header has a value '{value}' that is not equal to the supplied origin.{VALID}"));
    }
}

#[test]
fn padded_values_are_trimmed() {
    let o = run(fetch("GET", &[]), |_| {
        (
            200,
            vec![("access-control-allow-origin", b"  http://127.0.0.1:8001\t")],
        )
    });
    assert!(o.allowed(), "{:?}", o.verdict);
    let o = run(include("GET"), |_| {
        (
            200,
            vec![OK_ORIGIN, ("access-control-allow-credentials", b" true ")],
        )
    });
    assert!(o.allowed(), "{:?}", o.verdict);
}

#[test]
fn credentials_must_be_exactly_true() {
    let detail = |v: &str| {
        format!("The value of the 'Access-Control-Allow-Credentials' header in the response is '{v}' which must be 'true' when the request's credentials mode is 'include'.")
    };
    expect(
        run(include("GET"), |_| (200, vec![OK_ORIGIN])),
        "InvalidAllowCredentials",
        "",
        &detail(""),
    );
    expect(
        run(include("GET"), |_| {
            (
                200,
                vec![OK_ORIGIN, ("access-control-allow-credentials", b"True")],
            )
        }),
        "InvalidAllowCredentials",
        "True",
        &detail("True"),
    );
    let two = run(include("GET"), |_| {
        (
            200,
            vec![
                OK_ORIGIN,
                ("access-control-allow-credentials", b"true"),
                ("access-control-allow-credentials", b"true"),
            ],
        )
    });
    expect(
        two,
        "InvalidAllowCredentials",
        "true, true",
        &detail("true, true"),
    );
}

#[test]
fn preflight_access_check_beats_status() {
    for status in [200, 500] {
        let o = run(
            fetch("PUT", &[]),
            split((status, vec![]), (200, vec![STAR])),
        );
        expect(o, "PreflightMissingAllowOriginHeader", "", &format!("{PREFLIGHT}No 'Access-Control-Allow-Origin' header is present on the requested resource."));
    }
    let o = run(
        fetch("PUT", &[]),
        split((404, vec![STAR]), (200, vec![STAR])),
    );
    expect(
        o,
        "PreflightInvalidStatus",
        "",
        &format!("{PREFLIGHT}It does not have HTTP ok status."),
    );
    let o = run(
        fetch("PUT", &[]),
        split(
            (
                404,
                vec![("access-control-allow-origin", b"http://other.test")],
            ),
            (200, vec![]),
        ),
    );
    expect(o, "PreflightAllowOriginMismatch", "http://other.test", &format!("{PREFLIGHT}The 'Access-Control-Allow-Origin' header has a value 'http://other.test' that is not equal to the supplied origin.{VALID}"));
    let o = run(
        fetch("PUT", &[]),
        split((200, vec![OK_ORIGIN, OK_ORIGIN]), (200, vec![])),
    );
    expect(o, "PreflightMultipleAllowOriginValues", &format!("{PAGE}, {PAGE}"), &format!("{PREFLIGHT}The 'Access-Control-Allow-Origin' header contains multiple values '{PAGE}, {PAGE}', but only one is allowed.{VALID}"));
    let o = run(
        fetch("PUT", &[]),
        split(
            (200, vec![("access-control-allow-origin", b"foo")]),
            (200, vec![]),
        ),
    );
    expect(o, "PreflightInvalidAllowOriginValue", "foo", &format!("{PREFLIGHT}The 'Access-Control-Allow-Origin' header contains the invalid value 'foo'.{VALID}"));
}

#[test]
fn preflight_credentials() {
    let o = run(include("PUT"), split((200, vec![STAR]), (200, vec![])));
    expect(o, "PreflightWildcardOriginNotAllowed", "", &format!("{PREFLIGHT}The value of the 'Access-Control-Allow-Origin' header in the response must not be the wildcard '*' when the request's credentials mode is 'include'."));
    let o = run(include("PUT"), split((200, vec![OK_ORIGIN]), (200, vec![])));
    expect(o, "PreflightInvalidAllowCredentials", "", &format!("{PREFLIGHT}The value of the 'Access-Control-Allow-Credentials' header in the response is '' which must be 'true' when the request's credentials mode is 'include'."));
}

#[test]
fn methods() {
    let o = run(
        fetch("PUT", &[]),
        split((200, vec![STAR]), (200, vec![STAR])),
    );
    expect(
        o,
        "MethodDisallowedByPreflightResponse",
        "PUT",
        "Method PUT is not allowed by Access-Control-Allow-Methods in preflight response.",
    );
    // With credentials `*` is a literal method name.
    let o = run(
        include("PUT"),
        split(
            (
                200,
                vec![
                    OK_ORIGIN,
                    ("access-control-allow-credentials", b"true"),
                    ("access-control-allow-methods", b"*"),
                ],
            ),
            (200, vec![]),
        ),
    );
    expect(
        o,
        "MethodDisallowedByPreflightResponse",
        "PUT",
        "Method PUT is not allowed by Access-Control-Allow-Methods in preflight response.",
    );
    // `patch` is sent as written; `put` is normalised to PUT; ACAM compares case-sensitively.
    let o = run(
        fetch("patch", &[]),
        split(
            (200, vec![STAR, ("access-control-allow-methods", b"PATCH")]),
            (200, vec![STAR]),
        ),
    );
    expect(
        o,
        "MethodDisallowedByPreflightResponse",
        "patch",
        "Method patch is not allowed by Access-Control-Allow-Methods in preflight response.",
    );
    let o = run(
        fetch("put", &[]),
        split(
            (200, vec![STAR, ("access-control-allow-methods", b"put")]),
            (200, vec![STAR]),
        ),
    );
    expect(
        o,
        "MethodDisallowedByPreflightResponse",
        "PUT",
        "Method PUT is not allowed by Access-Control-Allow-Methods in preflight response.",
    );
    let o = run(
        fetch("GET", &[("X-A", "1")]),
        split(
            (
                200,
                vec![
                    STAR,
                    ("access-control-allow-methods", b"GET PUT"),
                    ("access-control-allow-headers", b"x-a"),
                ],
            ),
            (200, vec![STAR]),
        ),
    );
    expect(
        o,
        "InvalidAllowMethodsPreflightResponse",
        "",
        "Cannot parse Access-Control-Allow-Methods response header field in preflight response.",
    );
    // Empty items are fine.
    let o = run(
        fetch("PUT", &[]),
        split(
            (200, vec![STAR, ("access-control-allow-methods", b",,PUT,")]),
            (200, vec![STAR]),
        ),
    );
    assert!(o.allowed(), "{:?}", o.verdict);
}

#[test]
fn headers() {
    let o = run(
        fetch("GET", &[("X-Foo", "1")]),
        split(
            (200, vec![STAR, ("access-control-allow-headers", b"x foo")]),
            (200, vec![STAR]),
        ),
    );
    expect(
        o,
        "InvalidAllowHeadersPreflightResponse",
        "",
        "Cannot parse Access-Control-Allow-Headers response header field in preflight response.",
    );
    let detail = |h: &str| {
        format!("Request header field {h} is not allowed by Access-Control-Allow-Headers in preflight response.")
    };
    let o = run(
        fetch("GET", &[("X-Foo", "1")]),
        split((200, vec![STAR]), (200, vec![STAR])),
    );
    expect(
        o,
        "HeaderDisallowedByPreflightResponse",
        "x-foo",
        &detail("x-foo"),
    );
    let o = run(
        fetch("POST", &[("Content-Type", "application/json")]),
        split((200, vec![STAR]), (200, vec![STAR])),
    );
    expect(
        o,
        "HeaderDisallowedByPreflightResponse",
        "content-type",
        &detail("content-type"),
    );
    let long = "a".repeat(129);
    let o = run(
        fetch("GET", &[("Accept", &long)]),
        split((200, vec![STAR]), (200, vec![STAR])),
    );
    expect(
        o,
        "HeaderDisallowedByPreflightResponse",
        "accept",
        &detail("accept"),
    );
    let o = run(
        fetch("GET", &[("Range", "bytes=-5")]),
        split((200, vec![STAR]), (200, vec![STAR])),
    );
    expect(
        o,
        "HeaderDisallowedByPreflightResponse",
        "range",
        &detail("range"),
    );
    // `bytes=0-` is safelisted: no preflight at all.
    let o = run(fetch("GET", &[("Range", "bytes=0-")]), |r| {
        assert_eq!(r.stage, Stage::Actual, "no preflight expected");
        (200, vec![STAR])
    });
    assert!(o.allowed());
}

#[test]
fn preflight_redirect() {
    let o = run(
        fetch("PUT", &[]),
        split(
            (
                302,
                vec![STAR, ("location", b"http://127.0.0.1:8002/elsewhere")],
            ),
            (200, vec![STAR]),
        ),
    );
    expect(
        o,
        "PreflightDisallowedRedirect",
        "",
        &format!("{PREFLIGHT}Redirect is not allowed for a preflight request."),
    );
}

#[test]
fn redirects_name_the_first_url() {
    // One hop to another origin that lacks ACAO.
    let o = run(fetch("GET", &[]), |r| match r.url.as_str() {
        TARGET => (
            302,
            vec![STAR, ("location", b"http://localhost:8003/t?n=190")],
        ),
        _ => (200, vec![]),
    });
    let (e, _, m) = blocked(&o);
    assert_eq!(e, "MissingAllowOriginHeader");
    assert_eq!(m, format!("Access to fetch at 'http://localhost:8003/t?n=190' (redirected from '{TARGET}') from origin '{PAGE}' has been blocked by CORS policy: No 'Access-Control-Allow-Origin' header is present on the requested resource."));
    // Two hops: still the initial URL, not the previous hop.
    let o = run(fetch("GET", &[]), |r| match r.url.path() {
        "/t" if r.url.port() == Some(8002) => (
            302,
            vec![STAR, ("location", b"http://127.0.0.1:8002/second")],
        ),
        "/second" => (302, vec![STAR, ("location", b"/third")]),
        _ => (200, vec![]),
    });
    let (_, _, m) = blocked(&o);
    assert!(
        m.starts_with(&format!(
            "Access to fetch at 'http://127.0.0.1:8002/third' (redirected from '{TARGET}') "
        )),
        "{m}"
    );
    // A redirect response itself lacking ACAO fails with the redirect's URL.
    let o = run(fetch("GET", &[]), |_| {
        (302, vec![("location", b"http://localhost:8003/x")])
    });
    expect(
        o,
        "MissingAllowOriginHeader",
        "",
        "No 'Access-Control-Allow-Origin' header is present on the requested resource.",
    );
}

#[test]
fn redirect_taint_makes_origin_null() {
    let hop = |final_acao: &'static [u8]| {
        move |r: &OutgoingRequest| match r.url.host_str() {
            Some("127.0.0.1") => (
                302,
                vec![STAR, ("location", b"http://localhost:8003/t" as &[u8])],
            ),
            _ => {
                let origin = r
                    .headers
                    .iter()
                    .find(|(n, _)| n == "Origin")
                    .map(|(_, v)| v.clone());
                assert_eq!(
                    origin.as_deref(),
                    Some("null"),
                    "tainted requests send Origin: null"
                );
                (200, vec![("access-control-allow-origin", final_acao)])
            }
        }
    };
    let o = run(fetch("GET", &[]), hop(PAGE.as_bytes()));
    let (e, p, m) = blocked(&o);
    assert_eq!((e.as_str(), p.as_str()), ("AllowOriginMismatch", PAGE));
    // The message still names the page's origin.
    assert!(m.contains(&format!("from origin '{PAGE}'")), "{m}");
    assert!(run(fetch("GET", &[]), hop(b"null")).allowed());
}

#[test]
fn redirect_with_credentials_in_location() {
    let o = run(fetch("GET", &[]), |_| {
        (
            302,
            vec![STAR, ("location", b"http://user:pass@127.0.0.1:8002/x")],
        )
    });
    let (e, p, m) = blocked(&o);
    assert_eq!(
        (e.as_str(), p.as_str()),
        ("RedirectContainsCredentials", "")
    );
    assert!(m.ends_with("has been blocked by CORS policy: Redirect location '' contains a username and password, which is disallowed for cross-origin requests."), "{m}");
}

#[test]
fn xhr_and_elements() {
    let o = run(
        request("GET", &[], CredentialsMode::SameOrigin, Initiator::Xhr),
        |_| (200, vec![]),
    );
    assert_eq!(blocked(&o).2, format!("Access to XMLHttpRequest at '{TARGET}' from origin '{PAGE}' has been blocked by CORS policy: No 'Access-Control-Allow-Origin' header is present on the requested resource."));
    let o = run(
        request("GET", &[], CredentialsMode::Include, Initiator::Xhr),
        |_| (200, vec![STAR]),
    );
    assert_eq!(blocked(&o).2, format!("Access to XMLHttpRequest at '{TARGET}' from origin '{PAGE}' has been blocked by CORS policy: The value of the 'Access-Control-Allow-Origin' header in the response must not be the wildcard '*' when the request's credentials mode is 'include'. The credentials mode of requests initiated by the XMLHttpRequest is controlled by the withCredentials attribute."));
    // XHR gets no "valid value" suffix.
    let o = run(
        request("GET", &[], CredentialsMode::SameOrigin, Initiator::Xhr),
        |_| (200, vec![("access-control-allow-origin", b"foo")]),
    );
    assert!(blocked(&o).2.ends_with("contains the invalid value 'foo'."));
    for (initiator, word) in [
        (Initiator::Image, "image"),
        (Initiator::Script, "script"),
        (Initiator::Font, "font"),
        (Initiator::Stylesheet, "CSS stylesheet"),
    ] {
        let o = run(
            request("GET", &[], CredentialsMode::SameOrigin, initiator),
            |_| (200, vec![]),
        );
        assert!(
            blocked(&o)
                .2
                .starts_with(&format!("Access to {word} at '{TARGET}' from origin")),
            "{word}"
        );
    }
}

#[test]
fn unsupported_scheme() {
    let mut req = fetch("GET", &[]);
    req.url = "ftp://127.0.0.1:8002/x".into();
    let o = run(req, |_| panic!("nothing is sent"));
    let (e, p, m) = blocked(&o);
    assert_eq!((e.as_str(), p.as_str()), ("CorsDisabledScheme", "ftp"));
    assert_eq!(
        m,
        "Fetch API cannot load ftp://127.0.0.1:8002/x. URL scheme \"ftp\" is not supported."
    );
}

#[test]
fn allowed_cases() {
    // Custom method with ACAM `*` and no credentials.
    assert!(run(
        fetch("FOO", &[]),
        split(
            (200, vec![STAR, ("access-control-allow-methods", b"*")]),
            (200, vec![STAR])
        )
    )
    .allowed());
    // ACAH is compared case-insensitively.
    assert!(run(
        fetch("GET", &[("X-Foo", "1")]),
        split(
            (200, vec![STAR, ("access-control-allow-headers", b"X-FOO")]),
            (200, vec![STAR])
        )
    )
    .allowed());
    // A safelisted content type needs no preflight.
    let o = run(
        fetch("POST", &[("Content-Type", "text/plain;charset=utf-8")]),
        |r| {
            assert_eq!(r.stage, Stage::Actual);
            (200, vec![STAR])
        },
    );
    assert!(o.allowed());
    // A 204 preflight is an ok status.
    assert!(run(
        fetch("PUT", &[]),
        split(
            (204, vec![STAR, ("access-control-allow-methods", b"PUT")]),
            (200, vec![STAR])
        )
    )
    .allowed());
    // Authorization through `*`: allowed by Chrome 156, with a deprecation note.
    let o = run(
        fetch("GET", &[("Authorization", "Bearer x")]),
        split(
            (200, vec![STAR, ("access-control-allow-headers", b"*")]),
            (200, vec![STAR]),
        ),
    );
    assert_eq!(o.verdict, Verdict::Allowed);
    assert!(
        o.notes
            .iter()
            .any(|n| n.contains("AuthorizationCoveredByWildcard")),
        "{:?}",
        o.notes
    );
    // An opaque (null) page origin with ACAO null or `*`.
    for acao in [b"null" as &[u8], b"*"] {
        let mut req = fetch("GET", &[]);
        req.origin = "null".into();
        assert!(run(req, move |_| (
            200,
            vec![("access-control-allow-origin", acao)]
        ))
        .allowed());
    }
}

#[test]
fn preflight_request_is_built_like_chromium() {
    let mut seen = None;
    run(
        fetch(
            "PUT",
            &[
                ("X-Custom-Header", "1"),
                ("Authorization", "Bearer x"),
                ("Content-Type", "application/json"),
            ],
        ),
        |r| {
            if r.stage == Stage::Preflight {
                seen = Some(r.clone());
            }
            (
                200,
                vec![
                    STAR,
                    ("access-control-allow-methods", b"PUT"),
                    (
                        "access-control-allow-headers",
                        b"authorization, content-type, x-custom-header",
                    ),
                ],
            )
        },
    );
    let pre = seen.expect("a preflight");
    assert_eq!(pre.method, "OPTIONS");
    let h = |n: &str| {
        pre.headers
            .iter()
            .find(|(k, _)| k == n)
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(h("Accept"), Some("*/*"));
    assert_eq!(h("Access-Control-Request-Method"), Some("PUT"));
    assert_eq!(
        h("Access-Control-Request-Headers"),
        Some("authorization,content-type,x-custom-header")
    );
    assert_eq!(h("Origin"), Some(PAGE));
    assert_eq!(h("Authorization"), None, "preflights carry no credentials");
    assert_eq!(h("Cookie"), None);
}

#[test]
fn every_message_has_the_chromium_shape() {
    for e in corsgate::browser::CorsError::ALL {
        let m = corsgate::browser::message::console_message(
            Initiator::Fetch,
            TARGET,
            TARGET,
            PAGE,
            e,
            "x",
        );
        assert!(m.starts_with(&format!("Access to fetch at '{TARGET}' from origin '{PAGE}' has been blocked by CORS policy: ")), "{m}");
        assert_eq!(m.contains(PREFLIGHT), e.has_preflight_prefix(), "{m}");
        assert!(!e.firefox_code().is_empty());
        assert_eq!(corsgate::browser::CorsError::from_name(e.name()), Some(e));
    }
}
