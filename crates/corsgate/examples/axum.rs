//! The corsgate layer in an axum app. Run: `cargo run -p corsgate --example axum`, then
//! `curl -si -H 'Origin: http://localhost:3000' http://127.0.0.1:8000/api/users`.

use axum::{routing::get, Router};
use corsgate::{CorsLayer, CorsOptions};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let policy = CorsOptions {
        allow_origins: vec!["http://localhost:3000".into(), "https://*.myapp.com".into()],
        allow_methods: vec!["*".into()],
        allow_headers: vec!["*".into()],
        allow_credentials: true,
        ..CorsOptions::default()
    }
    .build()?; // a bad policy is an error here, at start-up; never a panic later
    let app = Router::new()
        .route("/api/users", get(|| async { r#"[{"name":"Alice"}]"# }))
        .layer(CorsLayer::new(policy)); // last, so it wraps every route and the fallback
    let listener = tokio::net::TcpListener::bind("127.0.0.1:8000").await?;
    axum::serve(listener, app).await?;
    Ok(())
}
