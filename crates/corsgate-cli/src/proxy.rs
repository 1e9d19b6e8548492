//! The gateway's request path (`serve --upstream`): one request in, one request to the upstream,
//! its response back, bodies streamed both ways (never buffered whole).
//!
//! This service runs *inside* the CORS layer: preflights are answered by the layer and never get
//! here; every response made here — the upstream's, or the 502/504/431/503 the gateway writes
//! itself — leaves through the layer and gets the policy's CORS headers. What is done here:
//!
//! - hop-by-hop headers (RFC 9110 §7.6.1) are removed both ways: `Connection` and every field it
//!   names, `Keep-Alive`, `Proxy-Connection`, `TE`, `Transfer-Encoding`, `Upgrade` (kept for an
//!   upgrade), plus `Proxy-Authorization` / `Proxy-Authenticate` (meant for a proxy, not the
//!   origin) and `Expect` (the gateway answers `100-continue` itself);
//! - `X-Forwarded-For` (appended), `X-Forwarded-Proto`, `X-Forwarded-Host` and `Via` are set; `Host`
//!   becomes the upstream's authority;
//! - the upstream's `Access-Control-*` headers are removed (unless `upstream_cors = "keep"`), so
//!   the policy's are the only ones: no `ACAO: X, *` duplicate, the classic nginx trap;
//! - `read_timeout` bounds the wait for the upstream without progress; connect failures and
//!   resets become 502, timeouts 504, each with a short JSON body;
//! - `Upgrade` requests (WebSocket) are passed through: after the upstream's `101`, bytes are
//!   copied both ways until either side closes or the gateway shuts down.

use crate::config::{GatewaySettings, UpstreamCors};
use crate::metrics::Metrics;
use crate::pool::{Pool, PoolError};
use bytes::Bytes;
use http::header::{self, HeaderName, HeaderValue};
use http::uri::{Authority, PathAndQuery, Uri};
use http::{HeaderMap, Method, Request, Response, StatusCode, Version};
use hyper::body::{Body, Frame, Incoming, SizeHint};
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::sync::{watch, OwnedSemaphorePermit};

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The upstream base URL: `http://host[:port][/base/path]`.
#[derive(Clone, Debug)]
pub struct Upstream {
    authority: Authority,
    /// `""` or a path without a trailing `/` (`/v1`), prepended to every request path.
    base_path: String,
    host: HeaderValue,
}

impl Upstream {
    /// Parses and checks an upstream URL; the error says what is wrong and how to write it.
    pub fn parse(text: &str) -> Result<Upstream, String> {
        const FORM: &str =
            "write http://HOST:PORT, optionally with a base path (http://127.0.0.1:8080/api)";
        let uri: Uri = text
            .parse()
            .map_err(|e| format!("{text:?} is not a URL ({e}); {FORM}"))?;
        match uri.scheme_str() {
            Some("http") => {}
            Some("https") => {
                return Err(format!(
                    "{text:?}: corsgate speaks plain HTTP to the upstream (no TLS yet); point it at the upstream's http:// address (usually on localhost or a private network), e.g. http://{}",
                    uri.authority().map_or("127.0.0.1:8080", |a| a.as_str())
                ))
            }
            Some(other) => {
                return Err(format!(
                    "{text:?}: the scheme {other:?} is not supported; {FORM}"
                ))
            }
            None => {
                return Err(format!(
                    "{text:?} has no scheme; write http://{}",
                    text.trim_start_matches('/')
                ))
            }
        }
        let Some(authority) = uri.authority().cloned() else {
            return Err(format!("{text:?} has no host; {FORM}"));
        };
        if authority.as_str().contains('@') {
            return Err(format!(
                "{text:?} contains user credentials, which corsgate does not send; remove the `user:password@` part"
            ));
        }
        if authority.host().is_empty() {
            return Err(format!("{text:?} has no host; {FORM}"));
        }
        if uri.query().is_some() {
            return Err(format!(
                "{text:?} has a query string; the request's own query is forwarded, so remove `?{}`",
                uri.query().unwrap_or_default()
            ));
        }
        let base_path = uri.path().trim_end_matches('/').to_string();
        let host = HeaderValue::from_str(authority.as_str())
            .map_err(|_| format!("{text:?}: the host is not a valid Host header; {FORM}"))?;
        Ok(Upstream {
            authority,
            base_path,
            host,
        })
    }

    /// The origin-form target sent upstream for a request's `/path?query`: the same, behind the
    /// base path if there is one.
    fn target(&self, pq: &PathAndQuery) -> Result<Uri, http::Error> {
        if self.base_path.is_empty() {
            return Ok(Uri::from(pq.clone()));
        }
        let mut joined = String::with_capacity(self.base_path.len() + pq.as_str().len());
        joined.push_str(&self.base_path);
        joined.push_str(pq.as_str());
        Ok(Uri::from(PathAndQuery::try_from(joined)?))
    }

    /// The upstream connection pool of one worker.
    pub fn pool(&self, connect_timeout: Duration, idle_timeout: Duration) -> Pool {
        Pool::new(&self.authority, connect_timeout, idle_timeout)
    }
}

impl fmt::Display for Upstream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "http://{}{}", self.authority, self.base_path)
    }
}

/// What a connection tells the proxy about itself (a request extension set per connection).
#[derive(Clone, Debug)]
pub struct ConnInfo {
    /// The peer's IP as a header value, made once per connection for `X-Forwarded-For`.
    pub peer_ip: HeaderValue,
    /// Accepted beyond `max_connections`: every request is answered 503.
    pub overloaded: bool,
    /// The connection's slot under `max_connections`; an upgraded tunnel keeps it.
    pub slot: Arc<OwnedSemaphorePermit>,
}

/// State shared by every request.
pub struct Shared {
    pub upstream: Upstream,
    pub pool: Pool,
    pub settings: GatewaySettings,
    pub metrics: Arc<Metrics>,
    /// Becomes `true` when shutdown starts; upgraded tunnels close then.
    pub shutdown: watch::Receiver<bool>,
}

/// The forwarding service (inside the CORS layer).
#[derive(Clone)]
pub struct Proxy {
    shared: Arc<Shared>,
}

impl Proxy {
    pub fn new(shared: Arc<Shared>) -> Self {
        Proxy { shared }
    }
}

impl fmt::Debug for Proxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Proxy")
            .field("upstream", &self.shared.upstream)
            .finish()
    }
}

type ProxyFuture = Pin<Box<dyn Future<Output = Result<Response<ProxyBody>, Infallible>> + Send>>;

impl tower::Service<Request<Incoming>> for Proxy {
    type Response = Response<ProxyBody>;
    type Error = Infallible;
    type Future = ProxyFuture;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request<Incoming>) -> ProxyFuture {
        let shared = self.shared.clone();
        Box::pin(async move { Ok(handle(shared, req).await) })
    }
}

async fn handle(shared: Arc<Shared>, mut req: Request<Incoming>) -> Response<ProxyBody> {
    let conn = req.extensions_mut().remove::<ConnInfo>();
    if let Some(resp) = crate::gateway::admin(&shared, &req) {
        return resp;
    }
    if conn.as_ref().is_some_and(|c| c.overloaded) {
        let mut resp = json_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "service_unavailable",
            &format!(
                "corsgate is serving its maximum of {} connections (max_connections); retry shortly",
                shared.settings.max_connections
            ),
        );
        resp.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        return resp;
    }
    if req.method() == Method::CONNECT {
        return json_error(
            StatusCode::NOT_IMPLEMENTED,
            "not_implemented",
            "corsgate is a reverse proxy in front of one upstream; it does not open CONNECT tunnels",
        );
    }
    let size = head_size(&req);
    if size > shared.settings.max_header_bytes {
        return json_error(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "request_header_fields_too_large",
            &format!(
                "the request line and headers take {size} bytes; the limit is {} (max_header_bytes)",
                shared.settings.max_header_bytes
            ),
        );
    }
    forward(&shared, conn, req).await
}

/// The size of the request line and header fields as they were sent (approximately).
fn head_size<B>(req: &Request<B>) -> usize {
    let uri = req.uri();
    let target = uri.path_and_query().map_or(1, |p| p.as_str().len())
        + uri.authority().map_or(0, |a| a.as_str().len() + 7);
    let line = req.method().as_str().len() + target + 12;
    req.headers()
        .iter()
        .fold(line, |n, (k, v)| n + k.as_str().len() + v.len() + 4)
}

/// Header fields never forwarded (besides those named by `Connection`): RFC 9110 §7.6.1's list.
/// (`Trailer` is end-to-end there, and hyper needs it to pass trailer fields on.)
const HOP_BY_HOP: [HeaderName; 6] = [
    header::CONNECTION,
    HeaderName::from_static("keep-alive"),
    HeaderName::from_static("proxy-connection"),
    header::TE,
    header::TRANSFER_ENCODING,
    header::UPGRADE,
];

/// Removes the hop-by-hop fields; returns the `Upgrade` value when the message asked for (or
/// agreed to) a protocol upgrade, so the caller can put it back.
fn strip_hop_by_hop(headers: &mut HeaderMap) -> Option<HeaderValue> {
    let mut upgrade = false;
    let mut named: Vec<HeaderName> = Vec::new();
    for value in headers.get_all(header::CONNECTION) {
        let Ok(s) = value.to_str() else { continue };
        for token in s.split(',').map(str::trim).filter(|t| !t.is_empty()) {
            if token.eq_ignore_ascii_case("upgrade") {
                upgrade = true;
            } else if let Ok(name) = HeaderName::from_bytes(token.as_bytes()) {
                named.push(name);
            }
        }
    }
    let upgrade_value = if upgrade {
        headers.get(header::UPGRADE).cloned()
    } else {
        None
    };
    for name in named.iter().chain(HOP_BY_HOP.iter()) {
        headers.remove(name);
    }
    upgrade_value
}

fn strip_access_control(headers: &mut HeaderMap) {
    let names: Vec<HeaderName> = headers
        .keys()
        .filter(|k| k.as_str().starts_with("access-control-"))
        .cloned()
        .collect();
    for name in names {
        headers.remove(name);
    }
}

const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
const X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");
const X_FORWARDED_HOST: HeaderName = HeaderName::from_static("x-forwarded-host");
const VIA_VALUE: HeaderValue = HeaderValue::from_static("1.1 corsgate");

/// Rewrites a client request's head into the upstream request's.
fn upstream_head(
    upstream: &Upstream,
    conn: Option<&ConnInfo>,
    parts: &mut http::request::Parts,
) -> Result<Option<HeaderValue>, String> {
    let root = PathAndQuery::from_static("/");
    let pq = match parts.uri.path_and_query() {
        Some(pq) if pq.as_str().starts_with('/') => pq,
        Some(other) => {
            return Err(format!(
                "the request target {other:?} cannot be forwarded; use an absolute path"
            ))
        }
        None => &root,
    };
    let target = upstream
        .target(pq)
        .map_err(|e| format!("the request target cannot be forwarded: {e}"))?;
    let original_host = parts
        .headers
        .get(header::HOST)
        .cloned()
        .or_else(|| parts.uri.authority().and_then(|a| a.as_str().parse().ok()));
    parts.uri = target;
    let upgrade = strip_hop_by_hop(&mut parts.headers);
    for name in [header::EXPECT, header::PROXY_AUTHORIZATION] {
        parts.headers.remove(name);
    }
    if let Some(u) = &upgrade {
        parts
            .headers
            .insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
        parts.headers.insert(header::UPGRADE, u.clone());
    }
    if let Some(conn) = conn {
        if parts.headers.contains_key(&X_FORWARDED_FOR) {
            let mut chain = String::new();
            for v in parts.headers.get_all(&X_FORWARDED_FOR) {
                if let Ok(s) = v.to_str() {
                    chain.push_str(s);
                    chain.push_str(", ");
                }
            }
            chain.push_str(conn.peer_ip.to_str().unwrap_or_default());
            if let Ok(v) = HeaderValue::from_str(&chain) {
                parts.headers.insert(X_FORWARDED_FOR, v);
            }
        } else {
            parts.headers.insert(X_FORWARDED_FOR, conn.peer_ip.clone());
        }
    }
    parts
        .headers
        .insert(X_FORWARDED_PROTO, HeaderValue::from_static("http"));
    match original_host {
        Some(h) => {
            parts.headers.insert(X_FORWARDED_HOST, h);
        }
        None => {
            parts.headers.remove(X_FORWARDED_HOST);
        }
    }
    parts.headers.insert(header::HOST, upstream.host.clone());
    parts.headers.append(header::VIA, VIA_VALUE);
    parts.version = Version::HTTP_11;
    Ok(upgrade)
}

async fn forward(
    shared: &Shared,
    conn: Option<ConnInfo>,
    mut req: Request<Incoming>,
) -> Response<ProxyBody> {
    let span = tracing::Span::current();
    let wants_upgrade = req.method() == Method::GET && is_upgrade(req.headers());
    let client_upgrade = wants_upgrade.then(|| hyper::upgrade::on(&mut req));
    let (mut parts, body) = req.into_parts();
    let upgrade = match upstream_head(&shared.upstream, conn.as_ref(), &mut parts) {
        Ok(u) => u.filter(|_| wants_upgrade),
        Err(why) => return json_error(StatusCode::BAD_REQUEST, "bad_request", &why),
    };

    // A pooled connection can die between two requests (an upstream that closes after an error
    // without saying `Connection: close`, or at its keep-alive timeout): a request that has no
    // body and may be repeated is then sent again, on another connection, as nginx does.
    let mut replay = (body.is_end_stream() && is_idempotent(&parts.method)).then(|| {
        (
            parts.method.clone(),
            parts.uri.clone(),
            parts.headers.clone(),
        )
    });
    let start = Instant::now();
    let read_timeout = shared.settings.read_timeout;
    let mut request = Request::from_parts(parts, ProgressBody::new(Some(body), start));
    let mut retries = 0;
    let (result, progress) = loop {
        let progress = request.body().progress.clone();
        shared.metrics.upstream_request();
        let result = send_within(shared, request, &progress).await;
        match (&result, &replay) {
            (Some(Err(e)), Some((method, uri, headers))) if retries < 2 && is_stale(e) => {
                tracing::debug!(target: "corsgate::gateway", "upstream connection closed under a request ({}); sending it again", root_cause(e));
                retries += 1;
                let mut again = Request::new(ProgressBody::new(None, Instant::now()));
                *again.method_mut() = method.clone();
                *again.uri_mut() = uri.clone();
                *again.headers_mut() = headers.clone();
                request = again;
                if retries == 2 {
                    replay = None;
                }
            }
            _ => break (result, progress),
        }
    };
    let elapsed = start.elapsed();
    span.record(
        "upstream_ms",
        (elapsed.as_secs_f64() * 1e6).round() / 1000.0, // milliseconds, to the microsecond
    );

    let resp = match result {
        None => {
            shared.metrics.upstream_error("timeout");
            span.record("upstream_error", "timeout");
            return json_error(
                StatusCode::GATEWAY_TIMEOUT,
                "gateway_timeout",
                &format!(
                    "the upstream sent no response within {} (read_timeout)",
                    show(read_timeout)
                ),
            );
        }
        Some(Err(e)) => return upstream_failure(shared, &progress, &e, &span),
        Some(Ok(resp)) => resp,
    };
    shared.metrics.upstream_seconds(elapsed);

    let mut resp = resp;
    let tunnel = match (resp.status(), client_upgrade) {
        (StatusCode::SWITCHING_PROTOCOLS, Some(client)) => {
            Some((client, hyper::upgrade::on(&mut resp)))
        }
        (StatusCode::SWITCHING_PROTOCOLS, None) => {
            shared.metrics.upstream_error("protocol");
            span.record("upstream_error", "unrequested 101");
            return json_error(
                StatusCode::BAD_GATEWAY,
                "bad_gateway",
                "the upstream switched protocols without being asked to",
            );
        }
        _ => None,
    };
    let (mut parts, body) = resp.into_parts();
    // The client gets HTTP/1.1 from the gateway whatever the upstream spoke (an HTTP/1.0
    // upstream must not turn off the client's keep-alive).
    parts.version = Version::HTTP_11;
    let upstream_upgrade = strip_hop_by_hop(&mut parts.headers);
    parts.headers.remove(header::PROXY_AUTHENTICATE);
    if shared.settings.upstream_cors == UpstreamCors::Strip {
        strip_access_control(&mut parts.headers);
    }
    if let Some((client, upstream_side)) = tunnel {
        let value = upstream_upgrade.or(upgrade);
        if let Some(v) = value {
            parts.headers.insert(header::UPGRADE, v);
        }
        parts
            .headers
            .insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
        let shutdown = shared.shutdown.clone();
        let slot = conn.map(|c| c.slot);
        tokio::spawn(run_tunnel(client, upstream_side, shutdown, slot));
        return Response::from_parts(parts, ProxyBody::empty());
    }
    let body = ProxyBody::Upstream(UpstreamBody {
        inner: body,
        read_timeout,
        timer: None,
        armed: false,
        metrics: shared.metrics.clone(),
    });
    Response::from_parts(parts, body)
}

/// Sends a request; `None` when the upstream made no progress for `read_timeout`. The wait is
/// bounded *without progress*: a long upload that keeps sending is not cut off, a silent
/// upstream is.
async fn send_within(
    shared: &Shared,
    request: Request<ProgressBody>,
    progress: &Progress,
) -> Option<Result<Response<Incoming>, PoolError>> {
    let read_timeout = shared.settings.read_timeout;
    let sent = shared.pool.send(request);
    tokio::pin!(sent);
    loop {
        let deadline = progress.last_activity() + read_timeout;
        tokio::select! {
            r = &mut sent => return Some(r),
            _ = tokio::time::sleep_until(deadline.into()) => {
                if progress.last_activity() + read_timeout <= Instant::now() {
                    return None;
                }
            }
        }
    }
}

fn is_idempotent(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::PUT | Method::DELETE | Method::TRACE
    )
}

/// The connection was closed or reset before any response: typical of a stale pooled
/// connection, so the request can be sent again.
fn is_stale(e: &PoolError) -> bool {
    let PoolError::Http(e) = e else {
        return false;
    };
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        if let Some(h) = err.downcast_ref::<hyper::Error>() {
            if h.is_incomplete_message() || h.is_canceled() || h.is_closed() {
                return true;
            }
        }
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            use std::io::ErrorKind::*;
            if matches!(io.kind(), ConnectionReset | ConnectionAborted | BrokenPipe) {
                return true;
            }
        }
        cur = err.source();
    }
    false
}

fn is_upgrade(headers: &HeaderMap) -> bool {
    headers.contains_key(header::UPGRADE)
        && headers.get_all(header::CONNECTION).iter().any(|v| {
            v.to_str().is_ok_and(|s| {
                s.split(',')
                    .any(|t| t.trim().eq_ignore_ascii_case("upgrade"))
            })
        })
}

/// 502 (refused, reset, garbage) or 504 (connect timeout) for a request the upstream did not
/// answer; 400 when it was the client whose body failed.
fn upstream_failure(
    shared: &Shared,
    progress: &Progress,
    e: &PoolError,
    span: &tracing::Span,
) -> Response<ProxyBody> {
    let detail = e.to_string();
    span.record("upstream_error", detail.as_str());
    if progress.client_failed.load(Ordering::Relaxed) {
        return json_error(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "the request body could not be read from the client",
        );
    }
    if !matches!(e, PoolError::Http(_)) {
        if matches!(e, PoolError::ConnectTimeout) {
            shared.metrics.upstream_error("connect_timeout");
            return json_error(
                StatusCode::GATEWAY_TIMEOUT,
                "gateway_timeout",
                &format!(
                    "could not connect to the upstream within {} (connect_timeout)",
                    show(shared.settings.connect_timeout)
                ),
            );
        }
        shared.metrics.upstream_error("connect");
        return json_error(
            StatusCode::BAD_GATEWAY,
            "bad_gateway",
            &format!("could not connect to the upstream: {detail}"),
        );
    }
    if is_parse_error(e) {
        shared.metrics.upstream_error("protocol");
        return json_error(
            StatusCode::BAD_GATEWAY,
            "bad_gateway",
            &format!("the upstream's response is not valid HTTP/1.1: {detail}"),
        );
    }
    shared.metrics.upstream_error("reset");
    json_error(
        StatusCode::BAD_GATEWAY,
        "bad_gateway",
        &format!("the upstream closed the connection before a complete response head: {detail}"),
    )
}

fn is_parse_error(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cur = Some(e);
    while let Some(err) = cur {
        if err
            .downcast_ref::<hyper::Error>()
            .is_some_and(|h| h.is_parse())
        {
            return true;
        }
        cur = err.source();
    }
    false
}

/// The innermost error's message ("Connection refused (os error 111)"), for logs and bodies.
fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut last = e;
    while let Some(next) = last.source() {
        last = next;
    }
    last.to_string()
}

fn show(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{}s", d.as_secs())
    } else {
        format!("{}ms", d.as_millis())
    }
}

async fn run_tunnel(
    client: hyper::upgrade::OnUpgrade,
    upstream: hyper::upgrade::OnUpgrade,
    mut shutdown: watch::Receiver<bool>,
    _slot: Option<Arc<OwnedSemaphorePermit>>,
) {
    let (client, upstream) = match tokio::try_join!(client, upstream) {
        Ok(pair) => pair,
        Err(e) => {
            tracing::debug!(target: "corsgate::gateway", "upgrade failed: {e}");
            return;
        }
    };
    let mut client = TokioIo::new(client);
    let mut upstream = TokioIo::new(upstream);
    tokio::select! {
        r = tokio::io::copy_bidirectional(&mut client, &mut upstream) => {
            if let Err(e) = r {
                tracing::debug!(target: "corsgate::gateway", "upgraded connection ended: {e}");
            }
        }
        _ = shutdown.changed() => {}
    }
}

/// A JSON error written by the gateway itself: `{"error": code, "message": ...}`.
pub fn json_error(status: StatusCode, code: &str, message: &str) -> Response<ProxyBody> {
    let body = serde_json::json!({"error": code, "status": status.as_u16(), "message": message});
    json_response(status, body.to_string())
}

pub fn json_response(status: StatusCode, body: String) -> Response<ProxyBody> {
    full_response(status, "application/json", body)
}

pub fn full_response(
    status: StatusCode,
    content_type: &'static str,
    body: String,
) -> Response<ProxyBody> {
    let len = body.len();
    let mut resp = Response::new(ProxyBody::full(body));
    *resp.status_mut() = status;
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

/// When the request's upload last made progress, and whether reading it failed.
#[derive(Debug)]
struct Progress {
    start: Instant,
    last_ms: AtomicU64,
    client_failed: AtomicBool,
}

impl Progress {
    fn new(start: Instant) -> Self {
        Progress {
            start,
            last_ms: AtomicU64::new(0),
            client_failed: AtomicBool::new(false),
        }
    }

    fn touch(&self) {
        let ms = u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_ms.store(ms, Ordering::Relaxed);
    }

    fn last_activity(&self) -> Instant {
        self.start + Duration::from_millis(self.last_ms.load(Ordering::Relaxed))
    }
}

/// The client's request body on its way to the upstream, streamed frame by frame; each frame
/// counts as progress for `read_timeout`. `None`: no body (a replayed request).
#[derive(Debug)]
pub struct ProgressBody {
    inner: Option<Incoming>,
    progress: Arc<Progress>,
}

impl ProgressBody {
    fn new(inner: Option<Incoming>, start: Instant) -> Self {
        ProgressBody {
            inner,
            progress: Arc::new(Progress::new(start)),
        }
    }
}

impl Body for ProgressBody {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        let Some(inner) = self.inner.as_mut() else {
            return Poll::Ready(None);
        };
        let polled = Pin::new(inner).poll_frame(cx);
        match &polled {
            Poll::Ready(Some(Ok(_))) => self.progress.touch(),
            Poll::Ready(Some(Err(_))) => self.progress.client_failed.store(true, Ordering::Relaxed),
            _ => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.as_ref().is_none_or(Incoming::is_end_stream)
    }

    fn size_hint(&self) -> SizeHint {
        self.inner
            .as_ref()
            .map_or_else(|| SizeHint::with_exact(0), Incoming::size_hint)
    }
}

/// A response body: the upstream's, streamed, or a small one the gateway wrote.
#[derive(Debug)]
pub enum ProxyBody {
    Upstream(UpstreamBody),
    Full(Option<Bytes>),
}

impl ProxyBody {
    pub fn empty() -> Self {
        ProxyBody::Full(None)
    }

    pub fn full(data: impl Into<Bytes>) -> Self {
        let data: Bytes = data.into();
        ProxyBody::Full((!data.is_empty()).then_some(data))
    }
}

impl Body for ProxyBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        match self.get_mut() {
            ProxyBody::Upstream(b) => b.poll(cx),
            ProxyBody::Full(data) => Poll::Ready(data.take().map(|d| Ok(Frame::data(d)))),
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            ProxyBody::Upstream(b) => b.inner.is_end_stream(),
            ProxyBody::Full(data) => data.is_none(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            ProxyBody::Upstream(b) => b.inner.size_hint(),
            ProxyBody::Full(data) => {
                SizeHint::with_exact(data.as_ref().map_or(0, |d| d.len() as u64))
            }
        }
    }
}

/// The upstream's response body with an idle timeout: no frame for `read_timeout` ends it with
/// an error, which makes hyper abort the client connection (the status is already sent).
pub struct UpstreamBody {
    inner: Incoming,
    read_timeout: Duration,
    timer: Option<Pin<Box<tokio::time::Sleep>>>,
    armed: bool,
    metrics: Arc<Metrics>,
}

impl fmt::Debug for UpstreamBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UpstreamBody").finish_non_exhaustive()
    }
}

impl UpstreamBody {
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        match Pin::new(&mut self.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                self.armed = false;
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(Some(Err(e))) => {
                self.metrics.upstream_error("body");
                tracing::info!(target: "corsgate::gateway", "the upstream's response body failed: {e}");
                Poll::Ready(Some(Err(e.into())))
            }
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => {
                let deadline = tokio::time::Instant::now() + self.read_timeout;
                let timer = self
                    .timer
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
                if !self.armed {
                    timer.as_mut().reset(deadline);
                    self.armed = true;
                }
                if timer.as_mut().poll(cx).is_ready() {
                    self.metrics.upstream_error("body_timeout");
                    tracing::info!(
                        target: "corsgate::gateway",
                        "the upstream's response body stalled for {} (read_timeout); closing the client connection",
                        show(self.read_timeout)
                    );
                    return Poll::Ready(Some(Err(
                        "upstream response body stalled (read_timeout)".into()
                    )));
                }
                Poll::Pending
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upstream_urls() {
        let pq = |s: &'static str| PathAndQuery::from_static(s);
        let u = Upstream::parse("http://127.0.0.1:8080").unwrap();
        assert_eq!(u.to_string(), "http://127.0.0.1:8080");
        assert_eq!(
            u.target(&pq("/api/users?x=1")).unwrap().to_string(),
            "/api/users?x=1"
        );
        let u = Upstream::parse("http://localhost:8000/v1/").unwrap();
        assert_eq!(u.to_string(), "http://localhost:8000/v1");
        assert_eq!(
            u.target(&pq("/users?a")).unwrap().to_string(),
            "/v1/users?a"
        );
        for (bad, says) in [
            ("https://api.example.com", "plain HTTP"),
            ("127.0.0.1:8080", "no scheme"),
            ("localhost", "no scheme"),
            ("ftp://x", "not supported"),
            ("http://user:pw@host", "credentials"),
            ("http://host/?a=1", "query"),
            ("http://exa mple", "not a URL"),
            ("", "not a URL"),
        ] {
            let e = Upstream::parse(bad).unwrap_err();
            assert!(e.contains(says), "{bad}: {e}");
        }
    }

    #[test]
    fn hop_by_hop_fields_go_and_named_ones_too() {
        let mut h = HeaderMap::new();
        h.insert(header::CONNECTION, "keep-alive, X-Secret".parse().unwrap());
        h.insert("x-secret", "1".parse().unwrap());
        h.insert("keep-alive", "timeout=5".parse().unwrap());
        h.insert(header::TE, "trailers".parse().unwrap());
        h.insert("x-kept", "1".parse().unwrap());
        assert!(strip_hop_by_hop(&mut h).is_none());
        assert_eq!(h.len(), 1, "{h:?}");
        assert!(h.contains_key("x-kept"));

        let mut h = HeaderMap::new();
        h.insert(header::CONNECTION, "Upgrade".parse().unwrap());
        h.insert(header::UPGRADE, "websocket".parse().unwrap());
        assert_eq!(strip_hop_by_hop(&mut h).unwrap(), "websocket");
        assert!(h.is_empty());
    }
}
