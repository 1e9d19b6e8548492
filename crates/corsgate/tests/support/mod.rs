//! Test support: an axum app behind the corsgate layer on a real loopback port, and an HTTP
//! client that keeps every header line.
#![allow(dead_code)]

use axum::body::Body;
use axum::response::IntoResponse;
use axum::Router;
use bytes::Bytes;
use corsgate::{CorsLayer, CorsOptions};
use http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use std::net::SocketAddr;
use tower::ServiceBuilder;

/// A running server; shut down when dropped.
pub struct Server {
    pub addr: SocketAddr,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

impl Server {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }
}

/// Serves `app` wrapped (outermost) in a corsgate layer built from `options`.
pub async fn serve(options: CorsOptions, app: Router) -> Server {
    let policy = options.build().expect("test policy must be valid");
    serve_layer(CorsLayer::new(policy), app).await
}

pub async fn serve_layer(layer: CorsLayer, app: Router) -> Server {
    let svc = ServiceBuilder::new()
        .map_response(|r: http::Response<corsgate::CorsBody<Body>>| r.into_response())
        .layer(layer)
        .service(app);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        axum::serve(
            listener,
            axum::ServiceExt::<axum::extract::Request>::into_make_service(svc),
        )
        .with_graceful_shutdown(async {
            let _ = rx.await;
        })
        .await
        .unwrap();
    });
    Server {
        addr,
        shutdown: Some(tx),
    }
}

/// A simple app: `/` answers "Homepage" (200) to every method, including OPTIONS.
pub fn homepage() -> Router {
    Router::new().route("/", axum::routing::any(|| async { "Homepage" }))
}

#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Reply {
    /// The single value of a header; panics if it appears more than once.
    pub fn header(&self, name: &str) -> Option<&str> {
        let mut all = self.headers.get_all(name).iter();
        let first = all.next()?;
        assert!(
            all.next().is_none(),
            "{name} appears more than once: {:?}",
            self.headers
        );
        Some(first.to_str().unwrap())
    }

    pub fn has(&self, name: &str) -> bool {
        self.headers.contains_key(name)
    }

    /// Every Vary item, in order, from every Vary line.
    pub fn vary(&self) -> Vec<String> {
        self.headers
            .get_all("vary")
            .iter()
            .flat_map(|v| v.to_str().unwrap().split(','))
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect()
    }

    /// No header whose name starts with `access-control-`.
    pub fn has_no_cors_headers(&self) -> bool {
        !self
            .headers
            .keys()
            .any(|k| k.as_str().starts_with("access-control-"))
    }
}

/// Sends one request over a fresh connection; `headers` may repeat a name.
pub async fn send(method: &str, url: &str, headers: &[(&str, &str)]) -> Reply {
    send_body(method, url, headers, "").await
}

pub async fn send_body(method: &str, url: &str, headers: &[(&str, &str)], body: &str) -> Reply {
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    let mut req = Request::builder()
        .method(Method::from_bytes(method.as_bytes()).unwrap())
        .uri(url);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let req = req.body(Full::new(Bytes::from(body.to_string()))).unwrap();
    let resp = client.request(req).await.expect("request failed");
    let (parts, body) = resp.into_parts();
    let bytes = body.collect().await.unwrap().to_bytes();
    Reply {
        status: parts.status,
        headers: parts.headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

/// Options with the given origins and everything else at the library defaults.
pub fn origins(list: &[&str]) -> CorsOptions {
    CorsOptions {
        allow_origins: list.iter().map(|s| s.to_string()).collect(),
        ..CorsOptions::default()
    }
}

pub fn strings(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}
