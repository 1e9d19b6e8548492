//! `corsgate serve --upstream URL`: the CORS gateway's server half — the accept loop with its
//! connection limit, the per-connection HTTP/1.1 server (keep-alive, upgrades, header limits),
//! graceful shutdown, the admin endpoints, and the front service that counts each request and
//! carries the upstream time into the per-request log line.
//!
//! ```text
//! connection ─► Front (metrics, log span) ─► CorsLayer ─┬─ preflight: answered here
//!                                                        └─ Proxy ─► upstream (the worker's pool)
//! ```

use crate::config::{GatewaySettings, Loaded};
use crate::metrics::{self, Metrics};
use crate::proxy::{self, ConnInfo, Proxy, ProxyBody, Shared, Upstream};
use clap::Args;
use corsgate::{Cors, CorsBody, CorsLayer, Policy};
use http::{Method, Request, Response, StatusCode};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::mpsc::UnboundedReceiver;
use tokio::sync::{watch, OwnedSemaphorePermit, Semaphore};
use tower::Layer;
use tracing::Instrument;

/// Connections accepted beyond `max_connections` only to be told 503 (then closed); past this
/// many more, connections are closed unanswered.
const OVERFLOW_CONNECTIONS: usize = 64;
/// A client that has not sent a whole request head within this time is disconnected.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);
/// Idle upstream connections are kept this long for reuse.
const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(30);

/// `serve`'s gateway flags; each is parsed like its `corsgate.toml` key.
#[derive(Args, Debug)]
pub struct GatewayFlags {
    /// Run as a gateway in front of this http:// URL instead of serving the demo API.
    #[arg(long, value_name = "URL")]
    upstream: Option<String>,
    /// What to do with the upstream's own Access-Control-* headers: strip (default) or keep.
    #[arg(long = "upstream-cors", value_name = "strip|keep")]
    upstream_cors: Option<String>,
    /// Longest wait to connect to the upstream (e.g. 5s, 500ms).
    #[arg(long = "connect-timeout", value_name = "DURATION")]
    connect_timeout: Option<String>,
    /// Longest wait for the upstream without progress (e.g. 60s).
    #[arg(long = "read-timeout", value_name = "DURATION")]
    read_timeout: Option<String>,
    /// Largest request line + headers accepted, in bytes (431 beyond).
    #[arg(long = "max-header-bytes", value_name = "BYTES")]
    max_header_bytes: Option<String>,
    /// Most client connections served at once (503 beyond).
    #[arg(long = "max-connections", value_name = "N")]
    max_connections: Option<String>,
    /// Longest wait for in-flight requests at shutdown (e.g. 30s).
    #[arg(long = "shutdown-timeout", value_name = "DURATION")]
    shutdown_timeout: Option<String>,
    /// Path prefix of the health and metrics endpoints ("" turns them off).
    #[arg(long = "admin-prefix", value_name = "PATH")]
    admin_prefix: Option<String>,
    /// Worker threads, each with its own event loop and upstream pool (0 = one per core).
    #[arg(long, value_name = "N")]
    workers: Option<String>,
}

impl GatewayFlags {
    /// `(key, flag, value)` for each flag given.
    pub fn values(&self) -> Vec<(&'static str, &'static str, String)> {
        [
            ("upstream", "--upstream", &self.upstream),
            ("upstream_cors", "--upstream-cors", &self.upstream_cors),
            (
                "connect_timeout",
                "--connect-timeout",
                &self.connect_timeout,
            ),
            ("read_timeout", "--read-timeout", &self.read_timeout),
            (
                "max_header_bytes",
                "--max-header-bytes",
                &self.max_header_bytes,
            ),
            (
                "max_connections",
                "--max-connections",
                &self.max_connections,
            ),
            (
                "shutdown_timeout",
                "--shutdown-timeout",
                &self.shutdown_timeout,
            ),
            ("admin_prefix", "--admin-prefix", &self.admin_prefix),
            ("workers", "--workers", &self.workers),
        ]
        .into_iter()
        .filter_map(|(k, f, v)| v.clone().map(|v| (k, f, v)))
        .collect()
    }
}

/// Serves the gateway on `listener` until Ctrl-C / SIGTERM, then drains.
///
/// One worker thread per core, each with its own single-threaded runtime and its own upstream
/// connection pool: a request and its upstream exchange stay on one thread, as in nginx's worker
/// processes, instead of hopping between the threads of a work-stealing pool. This task accepts
/// and hands each connection to the worker with the fewest open connections.
pub async fn run(
    listener: TcpListener,
    loaded: &Loaded,
    policy: Policy,
    shutdown_signal: impl Future<Output = ()>,
) -> Result<(), String> {
    let settings = loaded.gateway.clone();
    let text = settings.upstream.clone().unwrap_or_default();
    let upstream = Upstream::parse(&text).map_err(|e| format!("upstream: {e}"))?;
    let metrics = Arc::new(Metrics::new());
    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    let (finished_tx, finished_rx) = watch::channel(false);

    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT)
        // hyper answers a bare 431 past its buffer; keep that well above max_header_bytes so
        // the gateway's own 431 (with CORS headers) is the one clients normally see.
        .max_buf_size((2 * settings.max_header_bytes + 16 * 1024).max(8192))
        .keep_alive(true);

    let max = settings.max_connections.min(Semaphore::MAX_PERMITS);
    let common = Arc::new(Common {
        upstream,
        settings: settings.clone(),
        metrics,
        layer: CorsLayer::new(policy),
        http,
        slots: Arc::new(Semaphore::new(max)),
        overflow: Arc::new(Semaphore::new(OVERFLOW_CONNECTIONS)),
    });

    let threads = match settings.workers {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get().min(64)),
        n => n,
    };
    let mut workers = Vec::with_capacity(threads);
    let mut queues = Vec::with_capacity(threads);
    for i in 0..threads {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let load = Arc::new(AtomicUsize::new(0));
        let (common, stop, finished) = (common.clone(), shutdown_rx.clone(), finished_rx.clone());
        let handle = std::thread::Builder::new()
            .name(format!("corsgate-worker-{i}"))
            .spawn(move || worker(rx, common, stop, finished))
            .map_err(|e| format!("cannot start a worker thread: {e}"))?;
        workers.push(handle);
        queues.push((tx, load));
    }

    tokio::pin!(shutdown_signal);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    accept_failed(e).await;
                    continue;
                }
            },
            () = &mut shutdown_signal => break,
        };
        let metrics = &common.metrics;
        let (slot, overloaded) = match common.slots.clone().try_acquire_owned() {
            Ok(slot) => (slot, false),
            Err(_) => match common.overflow.clone().try_acquire_owned() {
                Ok(slot) => {
                    metrics.connections_overloaded.inc();
                    (slot, true)
                }
                Err(_) => {
                    metrics.connections_dropped.inc();
                    continue;
                }
            },
        };
        metrics.connections_total.inc();
        let _ = stream.set_nodelay(true);
        let Ok(stream) = stream.into_std() else {
            continue;
        };
        let Some((queue, load)) = queues
            .iter()
            .min_by_key(|(_, load)| load.load(Ordering::Relaxed))
        else {
            continue;
        };
        load.fetch_add(1, Ordering::Relaxed);
        let _ = queue.send(Accepted {
            stream,
            peer,
            slot,
            overloaded,
            load: LoadGuard(load.clone()),
        });
    }
    drop(listener);
    drop(queues);

    // Stopped accepting; let every connection finish what it is doing, then stop.
    let open = max - common.slots.available_permits();
    tracing::info!(
        "shutting down: no new connections; waiting for {open} open connection(s) to finish (up to {:?}, shutdown_timeout)",
        settings.shutdown_timeout
    );
    let _ = shutdown_tx.send(true);
    let drain = tokio::time::timeout(settings.shutdown_timeout, async {
        let all = u32::try_from(max).unwrap_or(u32::MAX);
        let _a = common.slots.acquire_many(all).await;
        let _b = common
            .overflow
            .acquire_many(OVERFLOW_CONNECTIONS as u32)
            .await;
    });
    tokio::select! {
        drained = drain => match drained {
            Ok(()) => tracing::info!("all connections drained"),
            Err(_) => tracing::warn!(
                "{} connection(s) still open after shutdown_timeout; closing them",
                max - common.slots.available_permits()
            ),
        },
        () = crate::serve::shutdown_signal() => tracing::warn!(
            "second signal: closing {} open connection(s) now",
            max - common.slots.available_permits()
        ),
    }
    let _ = finished_tx.send(true);
    let _ = tokio::task::spawn_blocking(move || {
        for w in workers {
            let _ = w.join();
        }
    })
    .await;
    Ok(())
}

/// What every worker shares.
struct Common {
    upstream: Upstream,
    settings: GatewaySettings,
    metrics: Arc<Metrics>,
    layer: CorsLayer,
    http: hyper::server::conn::http1::Builder,
    /// One permit per connection under `max_connections`.
    slots: Arc<Semaphore>,
    /// Connections beyond it, answered 503.
    overflow: Arc<Semaphore>,
}

/// A connection handed to a worker.
struct Accepted {
    stream: std::net::TcpStream,
    peer: std::net::SocketAddr,
    slot: OwnedSemaphorePermit,
    overloaded: bool,
    load: LoadGuard,
}

/// Counts a worker's open connections; decremented when the connection ends.
struct LoadGuard(Arc<AtomicUsize>);

impl Drop for LoadGuard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A worker thread: serves the connections it is handed until shutdown, and returns once the
/// main thread says the drain is over.
fn worker(
    queue: UnboundedReceiver<Accepted>,
    common: Arc<Common>,
    stop: watch::Receiver<bool>,
    mut finished: watch::Receiver<bool>,
) {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            tracing::error!("cannot start a worker's runtime: {e}");
            return;
        }
    };
    runtime.block_on(async move {
        serve_connections(queue, &common, stop).await;
        let _ = finished.wait_for(|done| *done).await;
    });
    // Connections still open past shutdown_timeout end here.
    runtime.shutdown_timeout(Duration::from_millis(100));
}

async fn serve_connections(
    mut queue: UnboundedReceiver<Accepted>,
    common: &Common,
    stop: watch::Receiver<bool>,
) {
    let shared = Arc::new(Shared {
        upstream: common.upstream.clone(),
        pool: common
            .upstream
            .pool(common.settings.connect_timeout, POOL_IDLE_TIMEOUT),
        settings: common.settings.clone(),
        metrics: common.metrics.clone(),
        shutdown: stop.clone(),
    });
    let cors = common.layer.layer(Proxy::new(shared));
    let policy = common.layer.policy().clone();
    let mut overflow_http = common.http.clone();
    overflow_http.keep_alive(false);

    while let Some(accepted) = queue.recv().await {
        let Accepted {
            stream,
            peer,
            slot,
            overloaded,
            load,
        } = accepted;
        let Ok(stream) = tokio::net::TcpStream::from_std(stream) else {
            continue;
        };
        let front = Front {
            cors: cors.clone(),
            policy: policy.clone(),
            metrics: common.metrics.clone(),
            conn: ConnInfo {
                peer_ip: http::HeaderValue::from_str(&peer.ip().to_string())
                    .unwrap_or(http::HeaderValue::from_static("unknown")),
                overloaded,
                slot: Arc::new(slot),
            },
        };
        let builder = if overloaded {
            &overflow_http
        } else {
            &common.http
        };
        let conn = builder
            .serve_connection(TokioIo::new(stream), front)
            .with_upgrades();
        let mut conn_stop = stop.clone();
        let metrics = common.metrics.clone();
        tokio::spawn(async move {
            let _load = load;
            metrics.connections_open.inc();
            tokio::pin!(conn);
            let result = tokio::select! {
                r = conn.as_mut() => r,
                _ = conn_stop.changed() => {
                    conn.as_mut().graceful_shutdown();
                    conn.await
                }
            };
            if let Err(e) = result {
                tracing::debug!(target: "corsgate::gateway", "connection from {peer}: {e}");
            }
            metrics.connections_open.dec();
        });
    }
}

/// Accept errors are about one connection or a momentary shortage (too many open files): log,
/// back off briefly, keep serving.
async fn accept_failed(e: std::io::Error) {
    use std::io::ErrorKind::*;
    if matches!(e.kind(), ConnectionAborted | ConnectionReset | Interrupted) {
        return;
    }
    tracing::warn!(target: "corsgate::gateway", "accept failed: {e}; retrying");
    tokio::time::sleep(Duration::from_millis(50)).await;
}

/// The outermost service of a connection: counts the request's CORS verdict, opens the span
/// that carries `upstream_ms` into the layer's per-request log line, counts the response.
#[derive(Clone)]
struct Front {
    cors: Cors<Proxy>,
    policy: Arc<Policy>,
    metrics: Arc<Metrics>,
    conn: ConnInfo,
}

type FrontFuture =
    Pin<Box<dyn Future<Output = Result<Response<CorsBody<ProxyBody>>, Infallible>> + Send>>;

impl hyper::service::Service<Request<Incoming>> for Front {
    type Response = Response<CorsBody<ProxyBody>>;
    type Error = Infallible;
    type Future = FrontFuture;

    fn call(&self, mut req: Request<Incoming>) -> FrontFuture {
        let decision = self.policy.decide(req.method(), req.headers());
        self.metrics.request(decision.kind, &decision.reason);
        req.extensions_mut().insert(self.conn.clone());
        let span = tracing::info_span!(
            target: "corsgate",
            "gateway",
            upstream_ms = tracing::field::Empty,
            upstream_error = tracing::field::Empty
        );
        let mut cors = self.cors.clone();
        let fut = tower::Service::call(&mut cors, req).instrument(span);
        let metrics = self.metrics.clone();
        Box::pin(async move {
            let resp = fut.await?;
            metrics.response(resp.status());
            Ok(resp)
        })
    }
}

/// The admin endpoints under `admin_prefix`: `health` and `metrics`; `None` for any other path.
pub fn admin<B>(shared: &Shared, req: &Request<B>) -> Option<Response<ProxyBody>> {
    let prefix = shared.settings.admin_prefix.as_str();
    if prefix.is_empty() {
        return None;
    }
    let rest = req.uri().path().strip_prefix(prefix)?;
    let readable = req.method() == Method::GET || req.method() == Method::HEAD;
    Some(match rest {
        "health" if readable => {
            proxy::json_response(StatusCode::OK, r#"{"status":"ok"}"#.to_string())
        }
        "metrics" if readable => proxy::full_response(
            StatusCode::OK,
            metrics::CONTENT_TYPE,
            shared.metrics.render(),
        ),
        "health" | "metrics" => {
            let mut resp = proxy::json_error(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "use GET",
            );
            resp.headers_mut()
                .insert(http::header::ALLOW, http::HeaderValue::from_static("GET, HEAD"));
            resp
        }
        _ => proxy::json_error(
            StatusCode::NOT_FOUND,
            "not_found",
            &format!(
                "corsgate's endpoints here are {prefix}health and {prefix}metrics; the rest of {prefix} is not forwarded (change admin_prefix if the upstream uses it)"
            ),
        ),
    })
}

/// Settings that only matter with an upstream, and were set.
pub fn ignored_without_upstream(loaded: &Loaded) -> Vec<&'static str> {
    crate::config::SERVE_KEYS
        .iter()
        .copied()
        .filter(|k| *k != "listen" && *k != "upstream" && loaded.sources.contains_key(k))
        .collect()
}
