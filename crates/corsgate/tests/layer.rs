//! The tower layer over real HTTP: every response that passes through it carries its CORS
//! headers — errors, panics and timeouts included — and `Vary` is appended, never duplicated.

mod support;

use axum::error_handling::HandleErrorLayer;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{any, get};
use axum::Router;
use std::time::Duration;
use support::*;

const APP: &str = "http://localhost:3000";

fn credentialed() -> corsgate::CorsOptions {
    corsgate::CorsOptions {
        allow_origins: strings(&[APP]),
        allow_credentials: true,
        allow_methods: strings(&["*"]),
        allow_headers: strings(&["*"]),
        ..Default::default()
    }
}

fn assert_cors_allowed(r: &Reply) {
    assert_eq!(r.header("access-control-allow-origin"), Some(APP), "{r:?}");
    assert_eq!(
        r.header("access-control-allow-credentials"),
        Some("true"),
        "{r:?}"
    );
    assert_eq!(
        r.vary()
            .iter()
            .filter(|v| v.eq_ignore_ascii_case("origin"))
            .count(),
        1,
        "{r:?}"
    );
}

fn failing_app() -> Router {
    Router::new()
        .route(
            "/404",
            get(|| async { (StatusCode::NOT_FOUND, "no such thing") }),
        )
        .route(
            "/401",
            get(|| async { (StatusCode::UNAUTHORIZED, "log in first") }),
        )
        .route(
            "/500",
            get(|| async { (StatusCode::INTERNAL_SERVER_ERROR, "database down") }),
        )
        .route(
            "/panic",
            get(|| async {
                let v: Vec<u8> = Vec::new();
                if v.is_empty() {
                    panic!("handler bug");
                }
                "unreachable"
            }),
        )
}

#[tokio::test]
async fn error_responses_carry_cors_headers() {
    let server = serve(credentialed(), failing_app()).await;
    for (path, status) in [
        ("/404", 404),
        ("/401", 401),
        ("/500", 500),
        ("/missing-route", 404),
    ] {
        let r = send("GET", &server.url(path), &[("Origin", APP)]).await;
        assert_eq!(r.status, status, "{path}");
        assert_cors_allowed(&r);
    }
}

#[tokio::test]
async fn panic_becomes_500_with_cors_headers_and_server_survives() {
    let server = serve(credentialed(), failing_app()).await;
    let r = send("GET", &server.url("/panic"), &[("Origin", APP)]).await;
    assert_eq!(r.status, 500);
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.body, r#"{"error":"internal server error"}"#);
    assert_cors_allowed(&r);
    // The connection task did not die with the handler: the next request is served.
    let r = send("GET", &server.url("/500"), &[("Origin", APP)]).await;
    assert_eq!(r.status, 500);
    assert_eq!(r.body, "database down");
}

#[tokio::test]
async fn timeout_inside_the_layer_gets_cors_headers() {
    // Documented layering: CorsLayer outermost, the timeout (turned into a response) inside it.
    let app = Router::new()
        .route(
            "/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(30)).await;
                "late"
            }),
        )
        .layer(
            tower::ServiceBuilder::new()
                .layer(HandleErrorLayer::new(|_: tower::BoxError| async {
                    (StatusCode::GATEWAY_TIMEOUT, "timed out").into_response()
                }))
                .timeout(Duration::from_millis(100)),
        );
    let server = serve(credentialed(), app).await;
    let r = send("GET", &server.url("/slow"), &[("Origin", APP)]).await;
    assert_eq!(r.status, 504);
    assert_eq!(r.body, "timed out");
    assert_cors_allowed(&r);
}

#[tokio::test]
async fn vary_is_appended_never_overwritten_never_duplicated() {
    let app = Router::new()
        .route(
            "/gzip",
            get(|| async { ([("vary", "Accept-Encoding")], "compressed") }),
        )
        .route("/already", get(|| async { ([("vary", "origin")], "mine") }))
        .route("/star", get(|| async { ([("vary", "*")], "uncacheable") }));
    let server = serve(credentialed(), app).await;
    for origin in [Some(APP), Some("http://evil.example"), None] {
        let headers: Vec<(&str, &str)> = origin.map(|o| ("Origin", o)).into_iter().collect();
        let r = send("GET", &server.url("/gzip"), &headers).await;
        assert_eq!(r.vary(), ["Accept-Encoding", "Origin"], "origin {origin:?}");
        let r = send("GET", &server.url("/already"), &headers).await;
        assert_eq!(r.vary(), ["origin"], "origin {origin:?}");
        let r = send("GET", &server.url("/star"), &headers).await;
        assert_eq!(r.vary(), ["*"], "origin {origin:?}");
    }
}

#[tokio::test]
async fn options_without_preflight_headers_reach_the_application() {
    let app = Router::new().route(
        "/",
        any(|method: axum::http::Method| async move { format!("app saw {method}") }),
    );
    let server = serve(credentialed(), app).await;
    // OPTIONS with Origin but no Access-Control-Request-Method: not a preflight.
    let r = send("OPTIONS", &server.url("/"), &[("Origin", APP)]).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body, "app saw OPTIONS");
    assert_cors_allowed(&r);
    // Plain OPTIONS (no Origin): the app answers, no CORS headers.
    let r = send("OPTIONS", &server.url("/"), &[]).await;
    assert_eq!(r.body, "app saw OPTIONS");
    assert!(r.has_no_cors_headers());
    // A real preflight never reaches the app.
    let r = send(
        "OPTIONS",
        &server.url("/"),
        &[("Origin", APP), ("Access-Control-Request-Method", "PUT")],
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body, "");
    assert_eq!(r.header("access-control-allow-methods"), Some("PUT"));
}

#[tokio::test]
async fn disallowed_origin_runs_the_app_without_cors_headers() {
    let server = serve(credentialed(), homepage()).await;
    let r = send(
        "GET",
        &server.url("/"),
        &[("Origin", "http://evil.example")],
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body, "Homepage");
    assert!(r.has_no_cors_headers(), "{r:?}");
    assert_eq!(r.vary(), ["Origin"]);
}

#[tokio::test]
async fn block_disallowed_answers_reject_status_without_running_the_app() {
    let options = corsgate::CorsOptions {
        block_disallowed: true,
        reject_status: 451,
        ..credentialed()
    };
    let server = serve(options, homepage()).await;
    let r = send(
        "POST",
        &server.url("/"),
        &[("Origin", "http://evil.example")],
    )
    .await;
    assert_eq!(r.status, 451);
    assert_eq!(r.body, "");
    assert!(r.has_no_cors_headers());
    assert_eq!(r.vary(), ["Origin"]);
    // Same-origin and non-browser clients (no Origin) are never blocked.
    let r = send("POST", &server.url("/"), &[]).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body, "Homepage");
}

#[tokio::test]
async fn debug_mode_puts_the_reason_in_the_body() {
    let options = corsgate::CorsOptions {
        debug: true,
        allow_methods: strings(&["GET", "POST"]),
        ..credentialed()
    };
    let server = serve(options, homepage()).await;
    let r = send(
        "OPTIONS",
        &server.url("/"),
        &[("Origin", APP), ("Access-Control-Request-Method", "DELETE")],
    )
    .await;
    assert_eq!(r.status, 403);
    assert_eq!(
        r.body,
        "CORS request rejected: method 'DELETE' is not in allow_methods\n"
    );
    assert!(r.has_no_cors_headers());

    let quiet = serve(credentialed(), homepage()).await;
    let r = send(
        "OPTIONS",
        &quiet.url("/"),
        &[
            ("Origin", "http://evil.example"),
            ("Access-Control-Request-Method", "GET"),
        ],
    )
    .await;
    assert_eq!(r.status, 403);
    assert_eq!(r.body, "", "without debug the reason stays in the log");
}

#[tokio::test]
async fn expose_star_with_credentials_lists_the_response_headers() {
    let app = Router::new().route(
        "/",
        get(|| async { ([("x-total-count", "2"), ("x-request-id", "abc")], "[]") }),
    );
    let options = corsgate::CorsOptions {
        expose_headers: strings(&["*"]),
        ..credentialed()
    };
    let server = serve(options, app).await;
    let r = send("GET", &server.url("/"), &[("Origin", APP)]).await;
    let exposed: Vec<&str> = r
        .header("access-control-expose-headers")
        .unwrap()
        .split(", ")
        .collect();
    // With credentials a literal `*` would name a header called "*"; list the real ones.
    assert!(
        exposed.contains(&"x-total-count") && exposed.contains(&"x-request-id"),
        "{exposed:?}"
    );
    assert!(!exposed.contains(&"*"));

    let public = corsgate::CorsOptions {
        allow_origins: strings(&["*"]),
        expose_headers: strings(&["*"]),
        ..Default::default()
    };
    let server = serve(public, homepage()).await;
    let r = send("GET", &server.url("/"), &[("Origin", APP)]).await;
    assert_eq!(r.header("access-control-expose-headers"), Some("*"));
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
}

#[tokio::test]
async fn works_as_a_plain_hyper_service() {
    use hyper_util::rt::TokioIo;
    use hyper_util::service::TowerToHyperService;
    use tower::Layer;

    let policy = credentialed().build().unwrap();
    let inner = tower::service_fn(|_req: http::Request<hyper::body::Incoming>| async {
        Ok::<_, std::convert::Infallible>(http::Response::new(http_body_util::Full::new(
            bytes::Bytes::from_static(b"plain hyper"),
        )))
    });
    let svc = corsgate::CorsLayer::new(policy).layer(inner);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        let _ = hyper::server::conn::http1::Builder::new()
            .serve_connection(TokioIo::new(stream), TowerToHyperService::new(svc))
            .await;
    });
    let r = send("GET", &format!("http://{addr}/"), &[("Origin", APP)]).await;
    assert_eq!(r.body, "plain hyper");
    assert_cors_allowed(&r);
}

/// The README's axum usage: `Router::layer` added last also covers the fallback and 405s.
#[tokio::test]
async fn router_layer_covers_fallback_and_method_not_allowed() {
    let policy = credentialed().build().unwrap();
    let app = Router::new()
        .route("/api/users", get(|| async { "[]" }))
        .layer(corsgate::CorsLayer::new(policy));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    for (method, path, status) in [
        ("GET", "/api/users", 200),
        ("GET", "/nope", 404),
        ("DELETE", "/api/users", 405),
    ] {
        let r = send(method, &format!("http://{addr}{path}"), &[("Origin", APP)]).await;
        assert_eq!(r.status, status, "{method} {path}");
        assert_cors_allowed(&r);
    }
}
