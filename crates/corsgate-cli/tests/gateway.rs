//! `corsgate serve --upstream`: the real binary as a gateway in front of an upstream that each
//! test starts itself on loopback (a small hyper server), exercised over real HTTP and raw TCP.

mod support;

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo};
use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use support::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const APP: &str = "http://localhost:3000";
const EVIL: &str = "http://evil.example";

type BoxError = Box<dyn std::error::Error + Send + Sync>;
type UpBody = BoxBody<Bytes, BoxError>;

fn full(s: impl Into<Bytes>) -> UpBody {
    Full::new(s.into()).map_err(|never| match never {}).boxed()
}

fn scratch() -> tempfile::TempDir {
    tempfile::tempdir().expect("tempdir")
}

/// What the upstream received.
#[derive(Clone, Debug)]
struct Seen {
    method: String,
    target: String,
    headers: http::HeaderMap,
}

impl Seen {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }
}

/// An upstream HTTP/1.1 server on 127.0.0.1, counting connections and recording requests.
struct TestUpstream {
    addr: SocketAddr,
    connections: Arc<AtomicUsize>,
    requests: Arc<Mutex<Vec<Seen>>>,
}

impl TestUpstream {
    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
    fn requests(&self) -> Vec<Seen> {
        self.requests.lock().unwrap().clone()
    }
    fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

async fn start_upstream<F, Fut>(handler: F) -> TestUpstream
where
    F: Fn(Request<Incoming>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Response<UpBody>> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let handler = Arc::new(handler);
    let connections = Arc::new(AtomicUsize::new(0));
    let requests = Arc::new(Mutex::new(Vec::new()));
    let (conns, reqs) = (connections.clone(), requests.clone());
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            conns.fetch_add(1, Ordering::SeqCst);
            let handler = handler.clone();
            let reqs = reqs.clone();
            tokio::spawn(async move {
                let svc = service_fn(move |req: Request<Incoming>| {
                    reqs.lock().unwrap().push(Seen {
                        method: req.method().to_string(),
                        target: req.uri().to_string(),
                        headers: req.headers().clone(),
                    });
                    let fut = (*handler)(req);
                    async move { Ok::<_, Infallible>(fut.await) }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), svc)
                    .with_upgrades()
                    .await;
            });
        }
    });
    TestUpstream {
        addr,
        connections,
        requests,
    }
}

/// An upstream that answers `{"ok":true}` with the request body echoed in `X-Echo-Len`.
async fn ok_upstream() -> TestUpstream {
    start_upstream(|req| async move {
        let body = req.into_body().collect().await.unwrap().to_bytes();
        let mut resp = Response::new(full(body.clone()));
        resp.headers_mut()
            .insert("x-echo-len", body.len().to_string().parse().unwrap());
        resp
    })
    .await
}

fn gateway(up: &str, extra: &[&str]) -> (tempfile::TempDir, Served) {
    let dir = scratch();
    let mut args = vec!["--upstream", up];
    args.extend_from_slice(extra);
    let s = serve(&mut corsgate(dir.path()), &args);
    (dir, s)
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

fn metric(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .unwrap_or_else(|| panic!("no {series} in\n{text}"))
        .trim()
        .parse()
        .unwrap()
}

async fn metrics(s: &Served) -> String {
    let r = send("GET", &s.url("/__corsgate/metrics"), &[], "").await;
    assert_eq!(r.status, 200);
    r.body
}

fn assert_no_panic(s: &Served) {
    let log = s.log().join("\n");
    assert!(!log.contains("panicked"), "{log}");
}

/// Writes raw bytes on a new connection and reads one response head (and its
/// Content-Length body). Returns the text and the still-open stream.
async fn raw_exchange(addr: &str, request: &str) -> (String, TcpStream) {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let text = read_response(&mut stream).await;
    (text, stream)
}

async fn read_response(stream: &mut TcpStream) -> String {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        let n = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut byte))
            .await
            .expect("response head in time")
            .unwrap();
        assert_eq!(
            n,
            1,
            "connection closed mid-head: {:?}",
            String::from_utf8_lossy(&buf)
        );
        buf.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&buf).to_string();
    let len = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse::<usize>().ok())?
        })
        .unwrap_or(0);
    let mut body = vec![0u8; len];
    stream.read_exact(&mut body).await.unwrap();
    head + &String::from_utf8_lossy(&body)
}

/// A TCP "upstream" that reads a request, writes `reply` (maybe nothing) and closes.
async fn raw_upstream(reply: &'static [u8]) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf).await;
            let _ = stream.write_all(reply).await;
        }
    });
    addr
}

fn addr_of(s: &Served) -> String {
    s.base.trim_start_matches("http://").to_string()
}

// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn preflights_are_answered_at_the_edge_and_requests_forwarded_with_proxy_headers() {
    let up = start_upstream(|req| async move {
        let body = req.into_body().collect().await.unwrap().to_bytes();
        Response::builder()
            .header("content-type", "application/json")
            .header("connection", "X-Upstream-Private")
            .header("x-upstream-private", "1")
            .header("keep-alive", "timeout=5")
            .header("proxy-authenticate", "Basic")
            .header("x-kept", "yes")
            .body(full(body))
            .unwrap()
    })
    .await;
    let (_dir, s) = gateway(&format!("{}/base/", up.url()), &[]);

    // A preflight is answered by the policy and never reaches the upstream.
    let r = send(
        "OPTIONS",
        &s.url("/api/users"),
        &[
            ("Origin", APP),
            ("Access-Control-Request-Method", "DELETE"),
            ("Access-Control-Request-Headers", "authorization, x-trace"),
        ],
        "",
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("access-control-allow-origin"), Some(APP));
    assert_eq!(r.header("access-control-allow-methods"), Some("DELETE"));
    assert_eq!(
        r.header("access-control-allow-headers"),
        Some("authorization, x-trace")
    );
    assert_eq!(r.header("access-control-allow-credentials"), Some("true"));
    assert!(up.requests().is_empty(), "{:?}", up.requests());

    // A rejected preflight does not reach it either.
    let r = send(
        "OPTIONS",
        &s.url("/api/users"),
        &[("Origin", EVIL), ("Access-Control-Request-Method", "POST")],
        "",
    )
    .await;
    assert_eq!(r.status, 403);
    assert!(up.requests().is_empty());

    // An OPTIONS that is not a preflight is the application's.
    let r = send("OPTIONS", &s.url("/api/users"), &[("Origin", APP)], "").await;
    assert_eq!(r.status, 200);
    assert_eq!(up.requests().len(), 1);

    // An actual request: forwarded with X-Forwarded-*, Via, the upstream's Host and base path;
    // hop-by-hop fields dropped both ways.
    let r = send(
        "POST",
        &s.url("/api/users?page=2"),
        &[
            ("Origin", APP),
            ("Content-Type", "application/json"),
            ("Connection", "X-Client-Private"),
            ("X-Client-Private", "1"),
            ("Keep-Alive", "timeout=9"),
            ("Proxy-Authorization", "Basic eDp5"),
            ("TE", "trailers"),
            ("X-Forwarded-For", "203.0.113.7"),
            ("Cookie", "session=abc"),
        ],
        r#"{"name":"Carol"}"#,
    )
    .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body, r#"{"name":"Carol"}"#);
    assert_eq!(r.header("access-control-allow-origin"), Some(APP));
    assert_eq!(r.header("x-kept"), Some("yes"));
    for gone in [
        "x-upstream-private",
        "keep-alive",
        "proxy-authenticate",
        "connection",
    ] {
        assert!(r.header(gone).is_none(), "{gone} reached the client: {r:?}");
    }

    let seen = up.requests().pop().unwrap();
    assert_eq!(seen.method, "POST");
    assert_eq!(seen.target, "/base/api/users?page=2");
    assert_eq!(seen.header("host"), Some(addr_of_upstream(&up).as_str()));
    assert_eq!(
        seen.header("x-forwarded-for"),
        Some("203.0.113.7, 127.0.0.1")
    );
    assert_eq!(seen.header("x-forwarded-proto"), Some("http"));
    assert_eq!(seen.header("x-forwarded-host"), Some(addr_of(&s).as_str()));
    assert_eq!(seen.header("via"), Some("1.1 corsgate"));
    assert_eq!(seen.header("origin"), Some(APP));
    assert_eq!(seen.header("cookie"), Some("session=abc"));
    assert_eq!(seen.header("content-type"), Some("application/json"));
    for gone in [
        "x-client-private",
        "keep-alive",
        "proxy-authorization",
        "te",
        "connection",
    ] {
        assert!(
            seen.header(gone).is_none(),
            "{gone} reached the upstream: {seen:?}"
        );
    }
    assert_no_panic(&s);
}

fn addr_of_upstream(up: &TestUpstream) -> String {
    up.addr.to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upstream_that_sends_its_own_acao_yields_exactly_one() {
    // The classic gateway trap: the app sets CORS headers and so does the proxy, and the browser
    // sees `ACAO: http://localhost:3000, *` ("contains multiple values").
    let up = start_upstream(|req| async move {
        let mut b = Response::builder()
            .header("access-control-allow-origin", "*")
            .header("access-control-allow-credentials", "true")
            .header("access-control-allow-methods", "GET")
            .header("access-control-expose-headers", "X-Upstream")
            .header("vary", "Accept-Encoding");
        if req.uri().path() == "/vary-origin" {
            b = b.header("vary", "origin");
        }
        b.body(full("{}")).unwrap()
    })
    .await;

    let (_d1, strip) = gateway(&up.url(), &[]);
    let r = send("GET", &strip.url("/x"), &[("Origin", APP)], "").await;
    assert_eq!(r.header("access-control-allow-origin"), Some(APP)); // exactly one
    assert_eq!(r.header("access-control-allow-credentials"), Some("true"));
    assert_eq!(r.header("access-control-expose-headers"), None);
    assert_eq!(r.header("access-control-allow-methods"), None);
    let vary = r.vary();
    assert_eq!(vary.iter().filter(|v| *v == "Accept-Encoding").count(), 1);
    assert_eq!(
        vary.iter().filter(|v| *v == "Origin").count(),
        1,
        "{vary:?}"
    );

    // An origin the policy does not allow gets no CORS headers at all: the upstream's `*`
    // would otherwise let every site read the response.
    let r = send("GET", &strip.url("/x"), &[("Origin", EVIL)], "").await;
    assert_eq!(r.status, 200);
    assert!(
        !r.headers
            .keys()
            .any(|k| k.as_str().starts_with("access-control-")),
        "{r:?}"
    );
    assert!(r.vary().iter().any(|v| v == "Origin"));

    // Vary: an upstream `Vary: origin` is not repeated.
    let r = send("GET", &strip.url("/vary-origin"), &[("Origin", APP)], "").await;
    let origin_count = r
        .vary()
        .iter()
        .filter(|v| v.eq_ignore_ascii_case("origin"))
        .count();
    assert_eq!(origin_count, 1, "{:?}", r.vary());

    // upstream_cors = "keep": the upstream's headers pass, but ACAO is still one value.
    let (_d2, keep) = gateway(&up.url(), &["--upstream-cors", "keep"]);
    let r = send("GET", &keep.url("/x"), &[("Origin", APP)], "").await;
    assert_eq!(r.header("access-control-allow-origin"), Some(APP));
    assert_eq!(
        r.header("access-control-expose-headers"),
        Some("X-Upstream")
    );
    let r = send("GET", &keep.url("/x"), &[("Origin", EVIL)], "").await;
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upstream_down_or_broken_is_a_502_with_cors_headers() {
    let port = free_port(); // nothing listens there
    let (_dir, s) = gateway(&format!("http://127.0.0.1:{port}"), &[]);
    let r = send("GET", &s.url("/api/users"), &[("Origin", APP)], "").await;
    assert_eq!(r.status, 502);
    assert_eq!(r.header("access-control-allow-origin"), Some(APP));
    assert_eq!(r.header("access-control-allow-credentials"), Some("true"));
    assert!(r.vary().iter().any(|v| v == "Origin"));
    assert_eq!(r.header("content-type"), Some("application/json"));
    let body = r.json();
    assert_eq!(body["error"], "bad_gateway");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("could not connect to the upstream"),
        "{body}"
    );
    let line = s.wait_log("status=502");
    assert!(line.contains("upstream_error="), "{line}");
    assert!(line.contains("origin=http://localhost:3000"), "{line}");

    // Preflights do not depend on the upstream at all.
    let r = send(
        "OPTIONS",
        &s.url("/api/users"),
        &[("Origin", APP), ("Access-Control-Request-Method", "PUT")],
        "",
    )
    .await;
    assert_eq!(r.status, 200);

    // Reset before any response, and garbage instead of HTTP: 502 too (a GET is sent twice
    // more first, in case the connection was a stale pooled one).
    let reset = raw_upstream(b"").await;
    let garbage = raw_upstream(b"SSH-2.0-not-http\r\n\r\n").await;
    let (_d2, s2) = gateway(&format!("http://{reset}"), &[]);
    let (_d3, s3) = gateway(&format!("http://{garbage}"), &[]);
    for (s, says) in [(&s2, "closed the connection"), (&s3, "not valid HTTP/1.1")] {
        let r = send("GET", &s.url("/x"), &[("Origin", APP)], "").await;
        assert_eq!(r.status, 502, "{r:?}");
        assert_eq!(r.header("access-control-allow-origin"), Some(APP));
        assert_eq!(r.json()["error"], "bad_gateway");
        assert!(
            r.json()["message"].as_str().unwrap().contains(says),
            "{r:?}"
        );
    }
    let m = metrics(&s).await;
    assert_eq!(
        metric(&m, "corsgate_upstream_errors_total{kind=\"connect\"}"),
        1.0
    );
    let m2 = metrics(&s2).await;
    assert_eq!(
        metric(&m2, "corsgate_upstream_errors_total{kind=\"reset\"}"),
        1.0
    );
    assert_eq!(metric(&m2, "corsgate_upstream_requests_total"), 3.0);
    let m3 = metrics(&s3).await;
    assert_eq!(
        metric(&m3, "corsgate_upstream_errors_total{kind=\"protocol\"}"),
        1.0
    );
    for s in [&s, &s2, &s3] {
        assert_no_panic(s);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_upstream_is_a_504_with_cors_headers_and_a_stalled_body_is_cut() {
    let up = start_upstream(|req| async move {
        if req.uri().path() == "/stall" {
            let (mut tx, body) = http_body_util::channel::Channel::<Bytes, BoxError>::new(1);
            tokio::spawn(async move {
                let _ = tx.send_data(Bytes::from_static(b"first")).await;
                tokio::time::sleep(Duration::from_secs(30)).await;
                let _ = tx.send_data(Bytes::from_static(b"never")).await;
            });
            return Response::new(body.boxed());
        }
        tokio::time::sleep(Duration::from_secs(30)).await;
        Response::new(full("too late"))
    })
    .await;
    let (_dir, s) = gateway(&up.url(), &["--read-timeout", "500ms"]);
    let r = send("GET", &s.url("/slow"), &[("Origin", APP)], "").await;
    assert_eq!(r.status, 504);
    assert_eq!(r.header("access-control-allow-origin"), Some(APP));
    let body = r.json();
    assert_eq!(body["error"], "gateway_timeout");
    assert!(
        body["message"].as_str().unwrap().contains("500ms"),
        "{body}"
    );

    // Headers arrived, then nothing: the client connection is cut instead of hanging forever.
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    let req = Request::get(s.url("/stall"))
        .header("origin", APP)
        .body(Full::new(Bytes::new()))
        .unwrap();
    let resp = client.request(req).await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["access-control-allow-origin"], APP);
    let collected = tokio::time::timeout(Duration::from_secs(10), resp.into_body().collect())
        .await
        .expect("the stalled body ends");
    assert!(collected.is_err(), "a truncated body must be an error");
    let m = metrics(&s).await;
    assert_eq!(
        metric(&m, "corsgate_upstream_errors_total{kind=\"timeout\"}"),
        1.0
    );
    assert_eq!(
        metric(&m, "corsgate_upstream_errors_total{kind=\"body_timeout\"}"),
        1.0
    );
    assert_no_panic(&s);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_stream_through_without_being_buffered() {
    // Response: the upstream sends one chunk and holds the rest until the test has received
    // it through the gateway. A gateway that buffered the body would never deliver it.
    let gate = Arc::new(tokio::sync::Notify::new());
    let up_gate = gate.clone();
    // Request: the upstream reports the first chunk it reads while the client still holds the
    // rest of the upload.
    let (first_tx, first_rx) = tokio::sync::mpsc::unbounded_channel::<Bytes>();
    let first_tx = Arc::new(first_tx);
    let up = start_upstream(move |req| {
        let gate = up_gate.clone();
        let first_tx = first_tx.clone();
        async move {
            if req.uri().path() == "/download" {
                let (mut tx, body) = http_body_util::channel::Channel::<Bytes, BoxError>::new(1);
                tokio::spawn(async move {
                    let _ = tx.send_data(Bytes::from_static(b"first|")).await;
                    gate.notified().await;
                    let _ = tx.send_data(Bytes::from_static(b"second")).await;
                });
                return Response::new(body.boxed());
            }
            let mut body = req.into_body();
            let mut all = Vec::new();
            while let Some(frame) = body.frame().await {
                let Ok(data) = frame.unwrap().into_data() else {
                    continue;
                };
                if all.is_empty() {
                    let _ = first_tx.send(data.clone());
                }
                all.extend_from_slice(&data);
            }
            Response::new(full(all))
        }
    })
    .await;
    let (_dir, s) = gateway(&up.url(), &[]);
    let client: Client<_, UpBody> = Client::builder(TokioExecutor::new()).build_http();

    let resp = client
        .request(
            Request::get(s.url("/download"))
                .header("origin", APP)
                .body(full(""))
                .unwrap(),
        )
        .await
        .unwrap();
    let mut body = resp.into_body();
    let first = tokio::time::timeout(Duration::from_secs(10), body.frame())
        .await
        .expect("the first chunk arrives before the upstream finishes")
        .unwrap()
        .unwrap();
    assert_eq!(first.into_data().unwrap(), "first|");
    gate.notify_one();
    let rest = body.collect().await.unwrap().to_bytes();
    assert_eq!(rest, "second");

    let (mut tx, upload) = http_body_util::channel::Channel::<Bytes, BoxError>::new(1);
    let pending = tokio::spawn(
        client.request(
            Request::post(s.url("/upload"))
                .header("origin", APP)
                .body(upload.boxed())
                .unwrap(),
        ),
    );
    tx.send_data(Bytes::from_static(b"part1|")).await.unwrap();
    let mut first_rx = first_rx;
    let seen_first = tokio::time::timeout(Duration::from_secs(10), first_rx.recv())
        .await
        .expect("the upstream reads the first chunk while the upload is still open")
        .unwrap();
    assert_eq!(seen_first, "part1|");
    tx.send_data(Bytes::from_static(b"part2")).await.unwrap();
    drop(tx);
    let resp = pending.await.unwrap().unwrap();
    assert_eq!(resp.headers()["access-control-allow-origin"], APP);
    let echoed = resp.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(echoed, "part1|part2");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_body_streams_both_ways_in_bounded_memory() {
    const MIB: usize = 1024 * 1024;
    const TOTAL: usize = 96 * MIB;
    fn chunk(i: usize) -> Bytes {
        Bytes::from(vec![(i % 251) as u8; MIB])
    }
    let up = start_upstream(|req| async move {
        if req.uri().path() == "/download" {
            let (mut tx, body) = http_body_util::channel::Channel::<Bytes, BoxError>::new(2);
            tokio::spawn(async move {
                for i in 0..TOTAL / MIB {
                    if tx.send_data(chunk(i)).await.is_err() {
                        return;
                    }
                }
            });
            return Response::builder()
                .header("content-length", TOTAL.to_string())
                .body(body.boxed())
                .unwrap();
        }
        // Upload: count bytes and add them up, never holding more than a frame.
        let mut body = req.into_body();
        let (mut n, mut sum) = (0usize, 0u64);
        while let Some(frame) = body.frame().await {
            if let Ok(data) = frame.unwrap().into_data() {
                n += data.len();
                sum += data.iter().map(|b| *b as u64).sum::<u64>();
            }
        }
        Response::new(full(format!("{n} {sum}")))
    })
    .await;
    let (_dir, s) = gateway(&up.url(), &[]);
    let client: Client<_, UpBody> = Client::builder(TokioExecutor::new()).build_http();

    let (mut tx, upload) = http_body_util::channel::Channel::<Bytes, BoxError>::new(2);
    let expected_sum: u64 = (0..TOTAL / MIB)
        .map(|i| (i % 251) as u64 * MIB as u64)
        .sum();
    tokio::spawn(async move {
        for i in 0..TOTAL / MIB {
            tx.send_data(chunk(i)).await.unwrap();
        }
    });
    let resp = client
        .request(
            Request::post(s.url("/upload"))
                .header("origin", APP)
                .body(upload.boxed())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let text = resp.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(text, format!("{TOTAL} {expected_sum}"));

    let resp = client
        .request(
            Request::get(s.url("/download"))
                .header("origin", APP)
                .body(full(""))
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(resp.headers()["content-length"], TOTAL.to_string());
    assert_eq!(resp.headers()["access-control-allow-origin"], APP);
    let mut body = resp.into_body();
    let (mut n, mut sum) = (0usize, 0u64);
    while let Some(frame) = body.frame().await {
        if let Ok(data) = frame.unwrap().into_data() {
            n += data.len();
            sum += data.iter().map(|b| *b as u64).sum::<u64>();
        }
    }
    assert_eq!((n, sum), (TOTAL, expected_sum));

    // 96 MiB went each way; the gateway's peak memory stayed far below one copy of it.
    #[cfg(target_os = "linux")]
    {
        let status = std::fs::read_to_string(format!("/proc/{}/status", s.child.id())).unwrap();
        let peak_kib: usize = status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
            .unwrap();
        eprintln!("corsgate's peak RSS after streaming {TOTAL} bytes each way: {peak_kib} KiB");
        assert!(
            peak_kib < 48 * 1024,
            "corsgate's peak RSS was {peak_kib} KiB after streaming {TOTAL} bytes each way"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keep_alive_is_used_on_both_sides() {
    let up = ok_upstream().await;
    // One worker thread (each worker keeps its own upstream pool).
    let (_dir, s) = gateway(&up.url(), &["--workers", "1"]);
    // Twenty requests, each on a new client connection: one upstream connection, reused.
    for _ in 0..20 {
        let r = send("GET", &s.url("/a"), &[("Origin", APP)], "").await;
        assert_eq!(r.status, 200);
    }
    assert_eq!(up.connections(), 1);

    // Twenty requests on one client connection: one more connection to the gateway, plus the
    // metrics request's.
    let before = metric(&metrics(&s).await, "corsgate_connections_total");
    let mut stream = TcpStream::connect(addr_of(&s)).await.unwrap();
    for i in 0..20 {
        let req = format!("GET /b{i} HTTP/1.1\r\nHost: x\r\nOrigin: {APP}\r\n\r\n");
        stream.write_all(req.as_bytes()).await.unwrap();
        let resp = read_response(&mut stream).await;
        assert!(resp.starts_with("HTTP/1.1 200"), "{resp}");
        assert!(
            resp.to_ascii_lowercase()
                .contains("access-control-allow-origin: http://localhost:3000"),
            "{resp}"
        );
    }
    let after = metric(&metrics(&s).await, "corsgate_connections_total");
    assert_eq!(after - before, 2.0);
    assert_eq!(up.connections(), 1);

    // An HTTP/1.0 upstream (one connection per request, like Python's http.server) does not
    // turn the client's connection into HTTP/1.0 or close it.
    let old = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let old_addr = old.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = old.accept().await {
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf).await;
            let _ = stream
                .write_all(b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok")
                .await;
        }
    });
    let (_d2, s2) = gateway(&format!("http://{old_addr}"), &[]);
    let mut stream = TcpStream::connect(addr_of(&s2)).await.unwrap();
    for _ in 0..2 {
        stream
            .write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .unwrap();
        let resp = read_response(&mut stream).await;
        assert!(resp.starts_with("HTTP/1.1 200"), "{resp}");
        assert!(resp.ends_with("ok"), "{resp}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_that_meets_a_dead_pooled_connection_is_sent_again_when_safe() {
    // Each upstream connection answers one request (keep-alive, no `Connection: close`) and
    // drops the next one unanswered, as uvicorn does after an unhandled exception.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let connections = Arc::new(AtomicUsize::new(0));
    let counted = connections.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            counted.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = stream.read(&mut buf).await;
                let _ = stream
                    .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                    .await;
                let _ = stream.read(&mut buf).await; // the next request: dropped
            });
        }
    });
    let (_dir, s) = gateway(&format!("http://{addr}"), &["--workers", "1"]);
    for _ in 0..3 {
        let r = send("GET", &s.url("/"), &[("Origin", APP)], "").await;
        assert_eq!(r.status, 200, "{r:?}");
        assert_eq!(r.body, "ok");
    }
    assert_eq!(connections.load(Ordering::SeqCst), 3);
    // A POST is not repeated (the upstream may have acted on it): 502 with CORS headers.
    let r = send("POST", &s.url("/"), &[("Origin", APP)], "data").await;
    assert_eq!(r.status, 502);
    assert_eq!(r.header("access-control-allow-origin"), Some(APP));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn websocket_upgrades_pass_through() {
    let up = start_upstream(|mut req| async move {
        let on_upgrade = hyper::upgrade::on(&mut req);
        tokio::spawn(async move {
            let Ok(upgraded) = on_upgrade.await else {
                return;
            };
            let mut io = TokioIo::new(upgraded);
            let mut buf = [0u8; 1024];
            while let Ok(n) = io.read(&mut buf).await {
                if n == 0 || io.write_all(&buf[..n].to_ascii_uppercase()).await.is_err() {
                    break;
                }
            }
        });
        Response::builder()
            .status(StatusCode::SWITCHING_PROTOCOLS)
            .header("upgrade", "websocket")
            .header("connection", "Upgrade")
            .header("sec-websocket-accept", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
            .body(full(""))
            .unwrap()
    })
    .await;
    let (_dir, s) = gateway(&up.url(), &[]);
    let (head, mut stream) = raw_exchange(
        &addr_of(&s),
        "GET /ws HTTP/1.1\r\nHost: x\r\nOrigin: http://localhost:3000\r\nConnection: Upgrade\r\n\
         Upgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
         Sec-WebSocket-Version: 13\r\n\r\n",
    )
    .await;
    let lower = head.to_ascii_lowercase();
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    assert!(lower.contains("upgrade: websocket"), "{head}");
    assert!(lower.contains("connection: upgrade"), "{head}");
    assert!(
        lower.contains("sec-websocket-accept: s3pplmbitxaq9kygzzhzrbk+xoo="),
        "{head}"
    );
    for msg in ["hello", "again"] {
        stream.write_all(msg.as_bytes()).await.unwrap();
        let mut buf = [0u8; 5];
        tokio::time::timeout(Duration::from_secs(10), stream.read_exact(&mut buf))
            .await
            .expect("echo in time")
            .unwrap();
        assert_eq!(&buf, msg.to_ascii_uppercase().as_bytes());
    }
    let seen = up.requests().pop().unwrap();
    assert_eq!(seen.header("upgrade"), Some("websocket"));
    assert_eq!(seen.header("connection"), Some("upgrade"));
    assert_eq!(
        seen.header("sec-websocket-key"),
        Some("dGhlIHNhbXBsZSBub25jZQ==")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_headers_are_a_431_with_cors_headers() {
    let up = ok_upstream().await;
    let (_dir, s) = gateway(&up.url(), &["--max-header-bytes", "2048"]);
    let big = "x".repeat(4000);
    let r = send(
        "GET",
        &s.url("/a"),
        &[("Origin", APP), ("X-Big", big.as_str())],
        "",
    )
    .await;
    assert_eq!(r.status, 431);
    assert_eq!(r.header("access-control-allow-origin"), Some(APP));
    assert_eq!(r.json()["error"], "request_header_fields_too_large");
    assert!(up.requests().is_empty());
    let small = "x".repeat(1000);
    let r = send(
        "GET",
        &s.url("/a"),
        &[("Origin", APP), ("X-Big", small.as_str())],
        "",
    )
    .await;
    assert_eq!(r.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_beyond_the_limit_get_a_503_with_cors_headers() {
    let up = ok_upstream().await;
    let (_dir, s) = gateway(&up.url(), &["--max-connections", "1"]);
    let (head, held) = raw_exchange(&addr_of(&s), "GET /a HTTP/1.1\r\nHost: x\r\n\r\n").await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");

    let r = send("GET", &s.url("/b"), &[("Origin", APP)], "").await;
    assert_eq!(r.status, 503);
    assert_eq!(r.header("access-control-allow-origin"), Some(APP));
    assert_eq!(r.header("retry-after"), Some("1"));
    assert_eq!(r.header("connection"), Some("close"));
    assert!(r.json()["message"]
        .as_str()
        .unwrap()
        .contains("max_connections"));

    drop(held);
    let mut status = StatusCode::SERVICE_UNAVAILABLE;
    for _ in 0..100 {
        status = send("GET", &s.url("/c"), &[("Origin", APP)], "")
            .await
            .status;
        if status == 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        status, 200,
        "the slot is free once the held connection closes"
    );
    assert!(metric(&metrics(&s).await, "corsgate_connections_overloaded_total") >= 1.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_drains_in_flight_requests() {
    let (arrived_tx, mut arrived_rx) = tokio::sync::mpsc::unbounded_channel::<()>();
    let up = start_upstream(move |_req| {
        let arrived = arrived_tx.clone();
        async move {
            let _ = arrived.send(());
            tokio::time::sleep(Duration::from_millis(1500)).await;
            Response::new(full("done"))
        }
    })
    .await;
    let (_dir, mut s) = gateway(&up.url(), &[]);
    let url = s.url("/slow");
    let in_flight = tokio::spawn(async move { send("GET", &url, &[("Origin", APP)], "").await });
    tokio::time::timeout(Duration::from_secs(10), arrived_rx.recv())
        .await
        .expect("request reached the upstream");

    let pid = s.child.id().to_string();
    assert!(std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    s.wait_log("shutting down");
    // No new connections once shutdown has begun.
    assert!(TcpStream::connect(addr_of(&s)).await.is_err());

    let r = in_flight.await.unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(r.body, "done");
    assert_eq!(r.header("access-control-allow-origin"), Some(APP));
    let mut status = None;
    for _ in 0..400 {
        status = s.child.try_wait().unwrap();
        if status.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(status.expect("corsgate exited").code(), Some(0));
    s.wait_log("all connections drained");
    assert_no_panic(&s);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_and_metrics_live_under_the_admin_prefix() {
    let up = ok_upstream().await;
    let (_dir, s) = gateway(&up.url(), &[]);
    let r = send("GET", &s.url("/__corsgate/health"), &[("Origin", APP)], "").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["status"], "ok");
    assert_eq!(r.header("access-control-allow-origin"), Some(APP));

    send("GET", &s.url("/api"), &[("Origin", APP)], "").await;
    send(
        "OPTIONS",
        &s.url("/api"),
        &[("Origin", EVIL), ("Access-Control-Request-Method", "GET")],
        "",
    )
    .await;
    send(
        "OPTIONS",
        &s.url("/api"),
        &[("Origin", APP), ("Access-Control-Request-Method", "PATCH")],
        "",
    )
    .await;
    let r = send("GET", &s.url("/__corsgate/metrics"), &[], "").await;
    assert!(r
        .header("content-type")
        .unwrap()
        .starts_with("text/plain; version=0.0.4"));
    let m = r.body;
    assert_eq!(
        metric(
            &m,
            r#"corsgate_requests_total{kind="preflight",verdict="rejected",reason="origin_not_allowed"}"#
        ),
        1.0
    );
    assert_eq!(
        metric(
            &m,
            r#"corsgate_requests_total{kind="preflight",verdict="allowed",reason="allowed_exact"}"#
        ),
        1.0
    );
    assert_eq!(
        metric(
            &m,
            r#"corsgate_requests_total{kind="actual",verdict="allowed",reason="allowed_exact"}"#
        ),
        2.0 // the health check and /api
    );
    assert_eq!(metric(&m, "corsgate_upstream_requests_total"), 1.0);
    assert_eq!(metric(&m, "corsgate_upstream_response_seconds_count"), 1.0);
    assert!(m.contains("# TYPE corsgate_upstream_errors_total counter"));

    // Other paths under the prefix are not forwarded.
    let r = send("GET", &s.url("/__corsgate/nope"), &[], "").await;
    assert_eq!(r.status, 404);
    assert!(r.json()["message"]
        .as_str()
        .unwrap()
        .contains("admin_prefix"));
    assert_eq!(up.requests().len(), 1);

    // A custom prefix frees /__corsgate/ for the upstream.
    let (_d2, s2) = gateway(&up.url(), &["--admin-prefix", "/_gw"]);
    assert_eq!(
        send("GET", &s2.url("/_gw/health"), &[], "").await.status,
        200
    );
    let r = send("GET", &s2.url("/__corsgate/health"), &[], "").await;
    assert_eq!(r.status, 200);
    assert_eq!(up.requests().pop().unwrap().target, "/__corsgate/health");
    // And "" turns the endpoints off.
    let (_d3, s3) = gateway(&up.url(), &["--admin-prefix", ""]);
    send("GET", &s3.url("/__corsgate/metrics"), &[], "").await;
    assert_eq!(up.requests().pop().unwrap().target, "/__corsgate/metrics");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_log_line_carries_the_upstream_time() {
    let up = ok_upstream().await;
    let (_dir, s) = gateway(&up.url(), &[]);
    send("GET", &s.url("/api/users"), &[("Origin", APP)], "").await;
    let line = s.wait_log("path=/api/users");
    for part in [
        "upstream_ms=",
        "origin=http://localhost:3000",
        "method=GET",
        "status=200",
        "verdict=allowed",
        "reason=origin allowed",
    ] {
        assert!(line.contains(part), "{part} missing: {line}");
    }
    assert_eq!(
        s.log()
            .iter()
            .filter(|l| l.contains("path=/api/users"))
            .count(),
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn misbehaving_clients_and_upstreams_never_take_the_gateway_down() {
    // An upstream that promises 100 bytes and sends 10.
    let short = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let short_addr = short.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = short.accept().await {
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf).await;
            let _ = stream
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789")
                .await;
        }
    });
    let (_dir, s) = gateway(&format!("http://{short_addr}"), &[]);
    let client: Client<_, UpBody> = Client::builder(TokioExecutor::new()).build_http();
    let resp = client
        .request(Request::get(s.url("/x")).body(full("")).unwrap())
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.into_body().collect().await.is_err());

    // Garbage, a half request, and a client that leaves mid-upload.
    for junk in [
        &b"\x00\x01\x02 not http\r\n\r\n"[..],
        b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n\r\nabc",
        b"GET /\xff\xfe HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: x\r\nOrigin: \xff\r\n\r\n",
    ] {
        let mut stream = TcpStream::connect(addr_of(&s)).await.unwrap();
        let _ = stream.write_all(junk).await;
        let mut buf = [0u8; 1024];
        let _ = tokio::time::timeout(Duration::from_millis(300), stream.read(&mut buf)).await;
    }
    // A forward-proxy tunnel request is refused, not forwarded.
    let (head, _) = raw_exchange(
        &addr_of(&s),
        "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
    )
    .await;
    assert!(head.starts_with("HTTP/1.1 501"), "{head}");
    let r = send("GET", &s.url("/__corsgate/health"), &[], "").await;
    assert_eq!(r.status, 200);
    assert_no_panic(&s);
}

/// A small deterministic generator (xorshift), so a failure can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// `valid` with a few bytes replaced, inserted or dropped, or cut short.
fn mutate(rng: &mut Rng, valid: &[u8]) -> Vec<u8> {
    const NASTY: &[u8] = b"\r\n:\0 \t,\x7f\xff0123456789abcdef-";
    let mut out = valid.to_vec();
    for _ in 0..1 + rng.below(4) {
        let byte = NASTY[rng.below(NASTY.len())];
        if out.is_empty() {
            out.push(byte);
            continue;
        }
        let at = rng.below(out.len());
        match rng.below(4) {
            0 => out[at] = byte,
            1 => out.insert(at, byte),
            2 => {
                out.remove(at);
            }
            _ => out.truncate(at),
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mangled_responses_and_requests_never_panic_the_gateway() {
    const VALID_RESPONSE: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\
        Content-Length: 11\r\nVary: Accept-Encoding\r\nAccess-Control-Allow-Origin: *\r\n\r\n{\"ok\":true}";
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        while let Ok((mut stream, _)) = listener.accept().await {
            let reply = mutate(&mut rng, VALID_RESPONSE);
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = stream.read(&mut buf).await;
                let _ = stream.write_all(&reply).await;
            });
        }
    });
    let (_dir, s) = gateway(&format!("http://{addr}"), &["--read-timeout", "2s"]);
    let client: Client<_, UpBody> = Client::builder(TokioExecutor::new()).build_http();
    for _ in 0..64 {
        let req = Request::post(s.url("/x"))
            .header("origin", APP)
            .body(full("data"))
            .unwrap();
        let answered = tokio::time::timeout(Duration::from_secs(10), async {
            match client.request(req).await {
                Ok(resp) => {
                    let status = resp.status();
                    let acao = resp
                        .headers()
                        .get_all("access-control-allow-origin")
                        .iter()
                        .count();
                    let _ = resp.into_body().collect().await;
                    Some((status, acao))
                }
                Err(_) => None,
            }
        })
        .await
        .expect("the gateway answers (or closes) in time");
        // Whatever status the mangled response carried (or 502 when it was not HTTP), exactly
        // one ACAO; or the connection closed when the damage was past the head.
        if let Some((status, acao)) = answered {
            assert_eq!(
                acao, 1,
                "{status}: exactly one ACAO whatever the upstream sent"
            );
        }
    }

    const VALID_REQUEST: &[u8] =
        b"POST /x?a=1 HTTP/1.1\r\nHost: gw\r\nOrigin: http://localhost:3000\r\n\
        Content-Length: 4\r\nConnection: keep-alive, X-A\r\nX-A: 1\r\n\r\ndata";
    let mut rng = Rng(0xD1B5_4A32_D192_ED03);
    for _ in 0..64 {
        let junk = mutate(&mut rng, VALID_REQUEST);
        let mut stream = TcpStream::connect(addr_of(&s)).await.unwrap();
        let _ = stream.write_all(&junk).await;
        let _ = stream.shutdown().await;
        let mut buf = Vec::new();
        let _ = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut buf)).await;
    }
    let r = send("GET", &s.url("/__corsgate/health"), &[], "").await;
    assert_eq!(r.status, 200);
    assert_no_panic(&s);
}

// --- configuration ---------------------------------------------------------------------------

#[test]
fn bad_upstream_settings_refuse_to_start_with_a_fix() {
    let dir = scratch();
    let cases: &[(&[&str], &[&str])] = &[
        (
            &["--upstream", "https://api.example.com"],
            &["plain HTTP", "http://api.example.com", "flag --upstream"],
        ),
        (
            &["--upstream", "localhost:8080"],
            &["no scheme", "write http://localhost:8080"],
        ),
        (&["--upstream", "http://u:p@host"], &["credentials"]),
        (
            &["--upstream", "http://127.0.0.1:9", "--upstream-cors", "kep"],
            &["\"strip\"", "\"keep\""],
        ),
        (
            &["--upstream", "http://127.0.0.1:9", "--read-timeout", "0"],
            &["zero timeout"],
        ),
        (
            &[
                "--upstream",
                "http://127.0.0.1:9",
                "--connect-timeout",
                "soon",
            ],
            &["not a duration", "500ms"],
        ),
        (
            &["--upstream", "http://127.0.0.1:9", "--admin-prefix", "/"],
            &["would hide every upstream path"],
        ),
        (
            &["--upstream", "http://127.0.0.1:9", "--max-connections", "0"],
            &["refuse every connection"],
        ),
        (
            &[
                "--upstream",
                "http://127.0.0.1:9",
                "--max-header-bytes",
                "10",
            ],
            &["between 1024 and 1048576"],
        ),
    ];
    for (args, says) in cases {
        let (out, stdout, stderr) = run(corsgate(dir.path())
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(*args));
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stdout.is_empty());
        assert!(!stderr.contains("listening"), "{stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
        for s in *says {
            assert!(stderr.contains(s), "{args:?}: {s:?} missing from: {stderr}");
        }
    }

    std::fs::write(
        dir.path().join("corsgate.toml"),
        "upstrem = \"http://127.0.0.1:9\"\n",
    )
    .unwrap();
    let (out, _, stderr) = run(corsgate(dir.path()).args(["serve", "--listen", "127.0.0.1:0"]));
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr.contains("did you mean `upstream`?"), "{stderr}");

    std::fs::write(
        dir.path().join("corsgate.toml"),
        "upstream = \"https://x.example\"\n",
    )
    .unwrap();
    let (out, _, stderr) = run(corsgate(dir.path()).args(["serve", "--listen", "127.0.0.1:0"]));
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr.contains("corsgate.toml: `upstream`"), "{stderr}");
}

#[test]
fn gateway_settings_come_from_every_source_and_config_shows_them() {
    let dir = scratch();
    std::fs::write(
        dir.path().join("corsgate.toml"),
        "upstream = \"http://127.0.0.1:9000/api/\"\nread_timeout = 15\nupstream_cors = \"keep\"\n",
    )
    .unwrap();
    let (out, stdout, stderr) = run(corsgate(dir.path())
        .env("CORSGATE_CONNECT_TIMEOUT", "250ms")
        .args(["config"]));
    assert!(out.status.success(), "{stderr}");
    let line = |key: &str| {
        stdout
            .lines()
            .find(|l| l.starts_with(&format!("{key} ")))
            .unwrap_or_else(|| panic!("{key} missing: {stdout}"))
            .to_string()
    };
    assert!(line("upstream").contains("\"http://127.0.0.1:9000/api\""));
    assert!(line("upstream").ends_with("# corsgate.toml"));
    assert!(line("read_timeout").contains("\"15s\""));
    assert!(line("upstream_cors").contains("\"keep\""));
    assert!(line("connect_timeout").contains("\"250ms\""));
    assert!(line("connect_timeout").ends_with("# environment CORSGATE_CONNECT_TIMEOUT"));
    assert!(line("admin_prefix").contains("\"/__corsgate/\""));
    assert!(line("max_connections").ends_with("# built-in default"));

    let (out, stdout, _) = run(corsgate(dir.path()).args(["config", "--json"]));
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        v["gateway"]["upstream"]["value"],
        "http://127.0.0.1:9000/api"
    );
    assert_eq!(v["gateway"]["max_header_bytes"]["value"], 65536);
    assert_eq!(v["gateway"]["workers"]["value"], 0);
}
