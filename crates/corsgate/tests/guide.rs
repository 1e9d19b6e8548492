//! The two tests at the end of the FastAPI CORS guide, against the guide's GOOD configuration.

mod support;
use support::*;

fn guide_policy() -> corsgate::CorsOptions {
    corsgate::CorsOptions {
        allow_origins: strings(&["http://localhost:3000"]),
        allow_credentials: true,
        allow_methods: strings(&["*"]),
        allow_headers: strings(&["*"]),
        ..Default::default()
    }
}

fn users_app() -> axum::Router {
    axum::Router::new().route(
        "/api/users",
        axum::routing::get(|| async {
            axum::Json(serde_json::json!([{"name": "Alice"}, {"name": "Bob"}]))
        })
        .post(|body: String| async move { body }),
    )
}

#[tokio::test]
async fn test_cors_get_request() {
    let server = serve(guide_policy(), users_app()).await;
    let r = send(
        "GET",
        &server.url("/api/users"),
        &[("Origin", "http://localhost:3000")],
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("access-control-allow-origin"),
        Some("http://localhost:3000")
    );
}

#[tokio::test]
async fn test_cors_preflight() {
    let server = serve(guide_policy(), users_app()).await;
    let r = send(
        "OPTIONS",
        &server.url("/api/users"),
        &[
            ("Origin", "http://localhost:3000"),
            ("Access-Control-Request-Method", "POST"),
            (
                "Access-Control-Request-Headers",
                "Content-Type,Authorization",
            ),
        ],
    )
    .await;
    assert_eq!(r.status, 200);
    assert!(r.has("access-control-allow-methods"));
    assert_eq!(r.header("access-control-allow-methods"), Some("POST"));
    // `*` mirrors the request, so Authorization is named explicitly.
    assert_eq!(
        r.header("access-control-allow-headers"),
        Some("Content-Type,Authorization")
    );
    assert_eq!(r.header("access-control-allow-credentials"), Some("true"));
}
