//! The axum hello-world of `bench/wrk-layer.sh`: `wrk_hello plain|corsgate|tower-http`.
//!
//! Serves `GET /` on a free port of 127.0.0.1 (printed as `listening on ADDR`), bare or behind a
//! CORS layer with the benchmark policy (`benches/fixture`), on one thread so that wrk gets the
//! machine's other core. Stops on Ctrl-C or SIGTERM.

#[path = "../benches/fixture/mod.rs"]
mod fixture;

use axum::{routing::get, Router};
use std::io::Write;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let variant = std::env::args().nth(1).unwrap_or_default();
    let app = Router::new().route("/", get(|| async { "Hello, World!" }));
    let app = match variant.as_str() {
        "plain" => app,
        "corsgate" => app.layer(fixture::corsgate_layer()),
        "tower-http" => app.layer(fixture::tower_http_layer()),
        other => {
            eprintln!("usage: wrk_hello plain|corsgate|tower-http (got {other:?})");
            std::process::exit(2);
        }
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let mut out = std::io::stdout();
    writeln!(out, "listening on {}", listener.local_addr()?)?;
    out.flush()?;
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown())
        .await?;
    Ok(())
}

async fn shutdown() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    if let Ok(mut term) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
    {
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
        return;
    }
    let _ = ctrl_c.await;
}
