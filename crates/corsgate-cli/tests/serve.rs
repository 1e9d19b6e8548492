//! `corsgate serve` as a user runs it: a real process on loopback with the demo API.

mod support;
use support::*;

const APP: &str = "http://localhost:3000";

fn scratch() -> tempfile::TempDir {
    tempfile::tempdir().expect("tempdir")
}

#[tokio::test]
async fn readme_curl_shows_acao_acac_and_vary() {
    let dir = scratch();
    let s = serve(&mut corsgate(dir.path()), &[]);
    let r = send("GET", &s.url("/api/users"), &[("Origin", APP)], "").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("access-control-allow-origin"), Some(APP));
    assert_eq!(r.header("access-control-allow-credentials"), Some("true"));
    assert!(r.vary().iter().any(|v| v == "Origin"), "{r:?}");
    let users = r.json();
    assert_eq!(users[0]["name"], "Alice");
    assert_eq!(users[1]["name"], "Bob");
}

#[tokio::test]
async fn preflight_from_untrusted_origin_is_403_without_policy_headers() {
    let dir = scratch();
    let s = serve(&mut corsgate(dir.path()), &[]);
    let r = send(
        "OPTIONS",
        &s.url("/api/users"),
        &[
            ("Origin", "http://evil.example"),
            ("Access-Control-Request-Method", "POST"),
        ],
        "",
    )
    .await;
    assert_eq!(r.status, 403);
    assert!(
        !r.headers
            .keys()
            .any(|k| k.as_str().starts_with("access-control-allow-")),
        "{r:?}"
    );
    assert!(r.vary().iter().any(|v| v == "Origin"));
    let line = s.wait_log("verdict=rejected");
    assert!(line.contains("origin=http://evil.example"), "{line}");
    assert!(
        line.contains("method=OPTIONS") && line.contains("path=/api/users"),
        "{line}"
    );
    assert!(
        line.contains("status=403") && line.contains("is not allowed"),
        "{line}"
    );
}

#[test]
fn wildcard_with_credentials_refuses_to_start() {
    let dir = scratch();
    let (out, stdout, stderr) = run(corsgate(dir.path()).args([
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--allow-origin",
        "*",
        "--allow-credentials",
    ]));
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(!stderr.contains("listening"), "{stderr}");
    assert!(stdout.is_empty());
    assert!(stderr.contains("allow_credentials = true"), "{stderr}");
    assert!(stderr.contains("list the origins"), "{stderr}");
    assert!(stderr.contains("pattern or regex"), "{stderr}");
    assert!(stderr.contains("allow_credentials = false"), "{stderr}");
    assert!(
        stderr.contains("allow_origins from flag --allow-origin"),
        "{stderr}"
    );
    // The same with credentials coming from the built-in development policy.
    let (out, _, stderr) =
        run(corsgate(dir.path()).args(["serve", "--listen", "127.0.0.1:0", "--allow-origin", "*"]));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr.contains("allow_credentials from built-in default"),
        "{stderr}"
    );
    // ...and the way out works.
    let s = serve(
        &mut corsgate(dir.path()),
        &["--allow-origin", "*", "--allow-credentials=false"],
    );
    drop(s);
}

#[tokio::test]
async fn fastapi_guide_tests_pass_against_serve() {
    let dir = scratch();
    let s = serve(&mut corsgate(dir.path()), &[]);
    let r = send("GET", &s.url("/api/users"), &[("Origin", APP)], "").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("access-control-allow-origin"), Some(APP));
    let r = send(
        "OPTIONS",
        &s.url("/api/users"),
        &[
            ("Origin", APP),
            ("Access-Control-Request-Method", "POST"),
            (
                "Access-Control-Request-Headers",
                "Content-Type,Authorization",
            ),
        ],
        "",
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("access-control-allow-methods"), Some("POST"));
    assert_eq!(
        r.header("access-control-allow-headers"),
        Some("Content-Type,Authorization")
    );
    assert_eq!(r.header("access-control-max-age"), Some("600"));
    assert_eq!(r.body, "");
}

#[tokio::test]
async fn demo_api_behaves() {
    let dir = scratch();
    let s = serve(&mut corsgate(dir.path()), &[]);
    let json = [("Origin", APP), ("Content-Type", "application/json")];

    let r = send("GET", &s.url("/health"), &[], "").await;
    assert_eq!(
        (r.status.as_u16(), r.json()["status"].as_str()),
        (200, Some("ok"))
    );

    let r = send(
        "POST",
        &s.url("/api/users"),
        &json,
        r#"{"name": "Carol", "email": "carol@example.com"}"#,
    )
    .await;
    assert_eq!(r.status, 201);
    assert_eq!(r.header("access-control-allow-origin"), Some(APP));
    let id = r.json()["id"].as_u64().unwrap();
    assert_eq!(
        r.header("location"),
        Some(format!("/api/users/{id}").as_str())
    );

    let r = send(
        "GET",
        &s.url(&format!("/api/users/{id}")),
        &[("Origin", APP)],
        "",
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["name"], "Carol");

    for (body, field) in [
        ("{not json", "body"),
        ("[1, 2]", "body"),
        (r#"{"email": "x@example.com"}"#, "name"),
        (r#"{"name": "  ", "email": "x@example.com"}"#, "name"),
        (r#"{"name": "Dan"}"#, "email"),
        (r#"{"name": "Dan", "email": ""}"#, "email"),
        (r#"{"name": "Dan", "email": 5}"#, "email"),
    ] {
        let r = send("POST", &s.url("/api/users"), &json, body).await;
        assert_eq!(r.status, 422, "{body}");
        assert_eq!(r.json()["field"], field, "{body}");
        assert!(r.json()["error"].as_str().is_some_and(|e| !e.is_empty()));
        // Errors carry CORS headers too, so the browser shows the 422 rather than a CORS error.
        assert_eq!(r.header("access-control-allow-origin"), Some(APP));
    }

    let r = send(
        "DELETE",
        &s.url(&format!("/api/users/{id}")),
        &[("Origin", APP)],
        "",
    )
    .await;
    assert_eq!(r.status, 204);
    assert_eq!(r.header("access-control-allow-origin"), Some(APP));
    for path in [format!("/api/users/{id}"), "/api/users/abc".to_string()] {
        let r = send("GET", &s.url(&path), &[("Origin", APP)], "").await;
        assert_eq!(r.status, 404, "{path}");
        assert!(r.json()["error"].as_str().unwrap().contains("not found"));
        assert_eq!(r.header("access-control-allow-origin"), Some(APP));
    }
    let r = send(
        "DELETE",
        &s.url(&format!("/api/users/{id}")),
        &[("Origin", APP)],
        "",
    )
    .await;
    assert_eq!(r.status, 404);

    // Unknown routes and wrong methods still pass through the CORS layer.
    let r = send("GET", &s.url("/nope"), &[("Origin", APP)], "").await;
    assert_eq!(r.status, 404);
    assert_eq!(r.header("access-control-allow-origin"), Some(APP));
    let r = send("PATCH", &s.url("/health"), &[("Origin", APP)], "").await;
    assert_eq!(r.status, 405);
    assert_eq!(r.header("access-control-allow-origin"), Some(APP));
}

#[tokio::test]
async fn policy_flags_replace_the_development_policy() {
    let dir = scratch();
    let s = serve(
        &mut corsgate(dir.path()),
        &[
            "--allow-origin",
            "https://app.example.com",
            "--allow-origin",
            "https://*.preview.example.com",
            "--allow-method",
            "GET",
            "--allow-method",
            "POST",
            "--allow-header",
            "X-Request-ID",
            "--expose-header",
            "X-Total-Count",
            "--max-age",
            "120",
            "--allow-credentials=false",
        ],
    );
    let r = send("GET", &s.url("/api/users"), &[("Origin", APP)], "").await;
    assert_eq!(
        r.header("access-control-allow-origin"),
        None,
        "dev origins were replaced"
    );
    let r = send(
        "GET",
        &s.url("/api/users"),
        &[("Origin", "https://pr-7.preview.example.com")],
        "",
    )
    .await;
    assert_eq!(
        r.header("access-control-allow-origin"),
        Some("https://pr-7.preview.example.com")
    );
    assert_eq!(r.header("access-control-allow-credentials"), None);
    assert_eq!(
        r.header("access-control-expose-headers"),
        Some("X-Total-Count")
    );
    let pre = |method: &'static str, headers: &'static str| {
        let url = s.url("/api/users");
        async move {
            send(
                "OPTIONS",
                &url,
                &[
                    ("Origin", "https://app.example.com"),
                    ("Access-Control-Request-Method", method),
                    ("Access-Control-Request-Headers", headers),
                ],
                "",
            )
            .await
        }
    };
    let r = pre("POST", "content-type,x-request-id").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("access-control-allow-methods"), Some("GET, POST"));
    assert_eq!(
        r.header("access-control-allow-headers"),
        Some("accept, accept-language, content-language, content-type, x-request-id")
    );
    assert_eq!(r.header("access-control-max-age"), Some("120"));
    assert_eq!(pre("PUT", "content-type").await.status, 403);
    assert_eq!(pre("POST", "authorization").await.status, 403);
}

#[tokio::test]
async fn config_file_in_working_directory_is_used() {
    let dir = scratch();
    std::fs::write(
        dir.path().join("corsgate.toml"),
        "allow_origins = [\"https://myapp.com\"]\nallow_methods = [\"GET\"]\n",
    )
    .unwrap();
    let s = serve(&mut corsgate(dir.path()), &[]);
    let r = send(
        "GET",
        &s.url("/api/users"),
        &[("Origin", "https://myapp.com")],
        "",
    )
    .await;
    assert_eq!(
        r.header("access-control-allow-origin"),
        Some("https://myapp.com")
    );
    let r = send("GET", &s.url("/api/users"), &[("Origin", APP)], "").await;
    assert_eq!(r.header("access-control-allow-origin"), None);
}

#[test]
fn bad_configuration_never_half_starts() {
    let dir = scratch();
    std::fs::write(
        dir.path().join("corsgate.toml"),
        "allow_origin = [\"https://myapp.com\"]\n",
    )
    .unwrap();
    let (out, _, stderr) = run(corsgate(dir.path()).args(["serve", "--listen", "127.0.0.1:0"]));
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr.contains("unknown option `allow_origin`"), "{stderr}");
    assert!(stderr.contains("did you mean `allow_origins`?"), "{stderr}");
    assert!(!stderr.contains("listening"));

    let (out, _, stderr) = run(corsgate(dir.path()).args([
        "serve",
        "--config",
        "missing.toml",
        "--listen",
        "127.0.0.1:0",
    ]));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr.contains("cannot read configuration file"),
        "{stderr}"
    );
}

#[test]
fn address_in_use_is_a_clear_error() {
    let dir = scratch();
    let holder = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = holder.local_addr().unwrap().to_string();
    let (out, _, stderr) = run(corsgate(dir.path()).args(["serve", "--listen", &addr]));
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("cannot listen on {addr}")),
        "{stderr}"
    );
    assert!(stderr.contains("--listen"), "{stderr}");
    assert!(!stderr.contains("panicked"));

    let (out, _, stderr) = run(corsgate(dir.path()).args(["serve", "--listen", "not-an-address"]));
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr.contains("cannot listen on not-an-address"),
        "{stderr}"
    );
}

#[tokio::test]
async fn sigterm_shuts_down_gracefully() {
    let dir = scratch();
    let mut s = serve(&mut corsgate(dir.path()), &[]);
    let r = send("GET", &s.url("/health"), &[], "").await;
    assert_eq!(r.status, 200);
    let status = s.terminate();
    assert!(status.success(), "{status:?}");
    s.wait_log("SIGTERM received");
    s.wait_log("corsgate stopped");
}

#[tokio::test]
async fn one_log_line_per_request_with_the_verdict() {
    let dir = scratch();
    let s = serve(&mut corsgate(dir.path()), &[]);
    send("GET", &s.url("/api/users/1"), &[("Origin", APP)], "").await;
    send("GET", &s.url("/health"), &[], "").await;
    let line = s.wait_log("path=/api/users/1");
    for part in [
        "origin=http://localhost:3000",
        "method=GET",
        "status=200",
        "verdict=allowed",
        "reason=origin allowed by an exact allow_origins entry",
    ] {
        assert!(line.contains(part), "{part} missing in {line}");
    }
    let line = s.wait_log("path=/health");
    assert!(
        line.contains("verdict=not-cors") && line.contains("status=200"),
        "{line}"
    );
    assert_eq!(
        s.log()
            .iter()
            .filter(|l| l.contains("path=/api/users/1"))
            .count(),
        1
    );
}
