//! `corsgate serve`: the demo API behind the CORS layer, or (with `upstream`) the CORS gateway of
//! `gateway.rs`; graceful shutdown either way.

use crate::config::Loaded;
use crate::demo;
use axum::response::IntoResponse;
use corsgate::{CorsBody, CorsLayer, Policy};
use std::process::ExitCode;
use tower::ServiceBuilder;
use tracing_subscriber::EnvFilter;

pub fn run(loaded: Loaded, policy: Policy) -> ExitCode {
    init_logging();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(serve(loaded, policy));
    // Whatever is still running (an upstream DNS lookup, a closing tunnel) gets a moment, no more.
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging() {
    // Per-request decisions are logged on target `corsgate` (rejections at info, the rest at
    // debug); CORSGATE_LOG or RUST_LOG override the default.
    let filter = std::env::var("CORSGATE_LOG")
        .or_else(|_| std::env::var("RUST_LOG"))
        .ok()
        .and_then(|f| EnvFilter::try_new(f).ok())
        .unwrap_or_else(|| EnvFilter::new("info,corsgate=debug"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(crate::use_colour())
        .init();
}

async fn serve(loaded: Loaded, policy: Policy) -> Result<(), String> {
    let listener = tokio::net::TcpListener::bind(loaded.listen.as_str())
        .await
        .map_err(|e| {
            format!(
                "cannot listen on {} ({}): {e}\n  fix: choose another address with --listen HOST:PORT (e.g. 127.0.0.1:8080), or stop what is using it",
                loaded.listen,
                loaded.source_of("listen")
            )
        })?;
    let local = listener
        .local_addr()
        .map_err(|e| format!("cannot read the listening address: {e}"))?;
    let o = policy.options();
    let upstream = loaded.gateway.upstream.clone();
    match &upstream {
        Some(up) => {
            let admin = &loaded.gateway.admin_prefix;
            tracing::info!(
                "corsgate listening on http://{local} (gateway to {up}{})",
                if admin.is_empty() {
                    String::new()
                } else {
                    format!("; health at {admin}health, metrics at {admin}metrics")
                }
            );
        }
        None => {
            tracing::info!(
                "corsgate listening on http://{local} (demo API: GET/POST /api/users, GET/DELETE /api/users/{{id}}, GET /health)"
            );
            let ignored = crate::gateway::ignored_without_upstream(&loaded);
            if !ignored.is_empty() {
                tracing::warn!(
                    "{} only apply with an upstream (--upstream URL); ignored for the demo API",
                    ignored.join(", ")
                );
            }
        }
    }
    tracing::info!(
        "policy: origins {:?}{}, methods {:?}, headers {:?}, credentials {}, max_age {}",
        o.allow_origins,
        o.allow_origin_regex
            .as_deref()
            .map(|r| format!(" + regex {r:?}"))
            .unwrap_or_default(),
        o.allow_methods,
        o.allow_headers,
        o.allow_credentials,
        o.max_age
    );
    if upstream.is_some() {
        crate::gateway::run(listener, &loaded, policy, shutdown_signal()).await?;
        tracing::info!("corsgate stopped");
        return Ok(());
    }

    // The CORS layer wraps the whole service, fallback included, so no response escapes it.
    let app = ServiceBuilder::new()
        .map_response(|r: http::Response<CorsBody<axum::body::Body>>| r.into_response())
        .layer(CorsLayer::new(policy))
        .service(demo::router(demo::Users::seeded()));
    axum::serve(
        listener,
        axum::ServiceExt::<axum::extract::Request>::into_make_service(app),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await
    .map_err(|e| format!("server error: {e}"))?;
    tracing::info!("corsgate stopped");
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM; in-flight requests then finish before the process exits.
pub(crate) async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => tracing::info!("Ctrl-C received, shutting down"),
        _ = term => tracing::info!("SIGTERM received, shutting down"),
    }
}
