//! A headless Chromium driven over the DevTools protocol. Events are kept as raw JSON, so enum
//! values newer than any protocol snapshot (new CorsError names, for one) cannot break it.
//!
//! Debian's `/usr/bin/chromium`, started with the flags from DEVELOPERS.md, a fresh profile, and
//! `--remote-debugging-port=0`; the browser prints its WebSocket address on stderr.
#![allow(dead_code)]

use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tungstenite::{Message, WebSocket};

pub const CHROMIUM: &str = "/usr/bin/chromium";

pub struct Chromium {
    child: Child,
    ws: WebSocket<TcpStream>,
    next_id: u64,
    session: Option<String>,
    /// Events not yet consumed, in arrival order.
    pub events: Vec<Value>,
    pub version: String,
    _profile: tempfile::TempDir,
}

impl Drop for Chromium {
    fn drop(&mut self) {
        let _ = self.ws.close(None);
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Whether browser tests must run: under CI a missing Chromium is a failure, not a skip.
pub fn required() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

impl Chromium {
    /// Starts Chromium, or returns `None` (after saying why) when it is not installed and the
    /// tests are not running under CI.
    pub fn launch(extra_args: &[&str]) -> Option<Chromium> {
        if !std::path::Path::new(CHROMIUM).exists() {
            assert!(
                !required(),
                "{CHROMIUM} is missing, and CI=true makes browser tests mandatory (.ci/run installs Debian's chromium)"
            );
            eprintln!("SKIPPED: {CHROMIUM} is not installed (apt-get install chromium); browser tests did not run");
            return None;
        }
        let profile = tempfile::tempdir().expect("profile dir");
        let mut child = Command::new(CHROMIUM)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                // Pin the console output this suite compares (research/browser.md §5).
                "--disable-features=DevToolsImprovedNetworkError,CORSErrorsIssueOnly",
                "--remote-debugging-port=0",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .args(extra_args)
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start chromium");
        // Until the browser is owned by a `Chromium` (whose Drop kills it), a failed start
        // must not leave it running.
        let connected = (|| -> Result<WebSocket<TcpStream>, String> {
            let stderr = child.stderr.take().ok_or("no stderr")?;
            let (tx, rx) = std::sync::mpsc::channel();
            std::thread::spawn(move || {
                for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                    if let Some(url) = line.strip_prefix("DevTools listening on ") {
                        let _ = tx.send(url.trim().to_string());
                    }
                }
            });
            let ws_url = rx
                .recv_timeout(Duration::from_secs(30))
                .map_err(|_| "chromium did not print its DevTools address".to_string())?;
            let addr = ws_url
                .trim_start_matches("ws://")
                .split('/')
                .next()
                .unwrap_or_default()
                .to_string();
            let stream =
                TcpStream::connect(&addr).map_err(|e| format!("connect to DevTools: {e}"))?;
            let (ws, _) = tungstenite::client(ws_url.as_str(), stream)
                .map_err(|e| format!("DevTools handshake: {e}"))?;
            // Short reads from now on, so waiting for events can time out.
            ws.get_ref()
                .set_read_timeout(Some(Duration::from_millis(50)))
                .map_err(|e| format!("read timeout: {e}"))?;
            Ok(ws)
        })();
        let ws = match connected {
            Ok(ws) => ws,
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("cannot drive chromium: {e}");
            }
        };
        let mut chromium = Chromium {
            child,
            ws,
            next_id: 0,
            session: None,
            events: Vec::new(),
            version: String::new(),
            _profile: profile,
        };
        let version = chromium.call_browser("Browser.getVersion", json!({}));
        chromium.version = version["product"].as_str().unwrap_or("unknown").to_string();
        Some(chromium)
    }

    fn send(&mut self, method: &str, params: Value, session: Option<String>) -> u64 {
        self.next_id += 1;
        let mut msg = json!({"id": self.next_id, "method": method, "params": params});
        if let Some(s) = session {
            msg["sessionId"] = Value::String(s);
        }
        self.ws
            .send(Message::text(msg.to_string()))
            .expect("send to DevTools");
        self.next_id
    }

    /// Reads one message if any arrives within the socket's short read timeout.
    fn read_one(&mut self) -> Option<Value> {
        match self.ws.read() {
            Ok(Message::Text(t)) => serde_json::from_str(t.as_str()).ok(),
            Ok(_) => None,
            Err(tungstenite::Error::Io(e))
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                None
            }
            Err(e) => panic!("DevTools connection failed: {e}"),
        }
    }

    fn wait_result(&mut self, id: u64, timeout: Duration) -> Value {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Some(msg) = self.read_one() {
                if msg["id"].as_u64() == Some(id) {
                    if let Some(err) = msg.get("error") {
                        panic!("DevTools call {id} failed: {err}");
                    }
                    return msg["result"].clone();
                }
                if msg.get("method").is_some() {
                    self.events.push(msg);
                }
            }
        }
        panic!("no DevTools answer to call {id} within {timeout:?}");
    }

    fn call_browser(&mut self, method: &str, params: Value) -> Value {
        let id = self.send(method, params, None);
        self.wait_result(id, Duration::from_secs(30))
    }

    /// A call on the attached page.
    pub fn call(&mut self, method: &str, params: Value) -> Value {
        let id = self.send(method, params, self.session.clone());
        self.wait_result(id, Duration::from_secs(30))
    }

    /// Opens a page at `url` with Log, Network, Audits and Runtime enabled.
    pub fn open(&mut self, url: &str) {
        let target = self.call_browser("Target.createTarget", json!({"url": "about:blank"}));
        let target_id = target["targetId"].as_str().expect("targetId").to_string();
        let attached = self.call_browser(
            "Target.attachToTarget",
            json!({"targetId": target_id, "flatten": true}),
        );
        self.session = Some(
            attached["sessionId"]
                .as_str()
                .expect("sessionId")
                .to_string(),
        );
        for domain in ["Page", "Runtime", "Log", "Network", "Audits"] {
            self.call(&format!("{domain}.enable"), json!({}));
        }
        self.call("Page.navigate", json!({"url": url}));
        self.wait_event(Duration::from_secs(30), |e| {
            e["method"] == "Page.loadEventFired"
        })
        .expect("the page did not load");
        self.events.clear();
    }

    /// Evaluates an expression in the page, awaiting a promise; returns its JSON value.
    pub fn eval(&mut self, expression: &str) -> Value {
        let r = self.call(
            "Runtime.evaluate",
            json!({"expression": expression, "awaitPromise": true, "returnByValue": true}),
        );
        if let Some(e) = r.get("exceptionDetails") {
            panic!("page script failed: {e}");
        }
        r["result"]["value"].clone()
    }

    /// Waits until an event satisfies `pred` (already-received events included).
    pub fn wait_event(
        &mut self,
        timeout: Duration,
        pred: impl Fn(&Value) -> bool,
    ) -> Option<Value> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(e) = self.events.iter().find(|e| pred(e)) {
                return Some(e.clone());
            }
            if Instant::now() >= deadline {
                return None;
            }
            if let Some(msg) = self.read_one() {
                if msg.get("method").is_some() {
                    self.events.push(msg);
                }
            }
        }
    }

    /// Reads whatever arrives within `d`.
    pub fn settle(&mut self, d: Duration) {
        let deadline = Instant::now() + d;
        while Instant::now() < deadline {
            if let Some(msg) = self.read_one() {
                if msg.get("method").is_some() {
                    self.events.push(msg);
                }
            }
        }
    }
}
