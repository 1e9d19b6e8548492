//! A scripted HTTP server on loopback: each request's URL query chooses the response, separately
//! for preflights (`p_*`) and actual requests (`a_*`), so a test can produce any header set.
//!
//! Parameters (repeat a header parameter to send several lines; `_hex` variants take raw bytes
//! as hex so non-ASCII values can be sent):
//! `{p,a}_status`, `{p,a}_acao`, `{p,a}_acao_hex`, `{p,a}_acac`, `{p,a}_acam`, `{p,a}_acah`,
//! `{p,a}_aceh`, `{p,a}_location`, `{p,a}_server`, `{p,a}_vary`, `{p,a}_delay_ms`.
#![allow(dead_code)]

use axum::body::Body;
use axum::extract::Request;
use axum::response::Response;
use http::{HeaderName, HeaderValue, StatusCode};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One request the server saw.
#[derive(Clone, Debug)]
pub struct Seen {
    pub method: String,
    pub path_and_query: String,
    pub headers: Vec<(String, String)>,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

pub struct Scripted {
    pub addr: SocketAddr,
    pub seen: Arc<Mutex<Vec<Seen>>>,
}

impl Scripted {
    pub fn url(&self, path_and_query: &str) -> String {
        format!("http://{}{}", self.addr, path_and_query)
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

/// Starts the server on a background thread with its own runtime (tests that run the `corsgate`
/// binary are synchronous).
pub fn start() -> Scripted {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(listener.local_addr().unwrap()).unwrap();
            let app = axum::Router::new().fallback(move |req: Request| {
                let log = log.clone();
                async move { respond(req, log).await }
            });
            axum::serve(listener, app).await.unwrap();
        });
    });
    let addr = rx.recv().unwrap();
    Scripted { addr, seen }
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .filter_map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).ok())
        .collect()
}

async fn respond(req: Request, log: Arc<Mutex<Vec<Seen>>>) -> Response {
    let preflight = req.method() == http::Method::OPTIONS
        && req.headers().contains_key("access-control-request-method");
    let path_and_query = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_default();
    log.lock().unwrap().push(Seen {
        method: req.method().to_string(),
        path_and_query: path_and_query.clone(),
        headers: req
            .headers()
            .iter()
            .map(|(n, v)| {
                (
                    n.to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
    });
    let prefix = if preflight { "p_" } else { "a_" };
    let query = req.uri().query().unwrap_or("").to_string();
    let params: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .filter_map(|(k, v)| k.strip_prefix(prefix).map(|k| (k.to_string(), v)))
        .collect();
    let mut resp = Response::new(Body::from("scripted body"));
    for (key, value) in &params {
        let (name, bytes): (&str, Vec<u8>) = match key.as_str() {
            "status" => {
                *resp.status_mut() = StatusCode::from_u16(value.parse().unwrap()).unwrap();
                continue;
            }
            "delay_ms" => {
                tokio::time::sleep(Duration::from_millis(value.parse().unwrap())).await;
                continue;
            }
            "acao" => ("access-control-allow-origin", value.clone().into_bytes()),
            "acao_hex" => ("access-control-allow-origin", unhex(value)),
            "acac" => (
                "access-control-allow-credentials",
                value.clone().into_bytes(),
            ),
            "acam" => ("access-control-allow-methods", value.clone().into_bytes()),
            "acah" => ("access-control-allow-headers", value.clone().into_bytes()),
            "aceh" => ("access-control-expose-headers", value.clone().into_bytes()),
            "location" => ("location", value.clone().into_bytes()),
            "server" => ("server", value.clone().into_bytes()),
            "vary" => ("vary", value.clone().into_bytes()),
            "header" => {
                let (n, v) = value.split_once(':').unwrap();
                resp.headers_mut().append(
                    HeaderName::from_bytes(n.trim().as_bytes()).unwrap(),
                    HeaderValue::from_str(v.trim()).unwrap(),
                );
                continue;
            }
            other => panic!("unknown scripted parameter {prefix}{other}"),
        };
        resp.headers_mut().append(
            HeaderName::from_static(name),
            HeaderValue::from_bytes(&bytes).unwrap(),
        );
    }
    resp
}
