//! Test support: runs the real `corsgate` binary in a scratch directory with a clean
//! environment, and talks to it over loopback HTTP.
#![allow(dead_code)]

pub mod cases;
pub mod chromium;
pub mod scripted;

use bytes::Bytes;
use http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub const BIN: &str = env!("CARGO_BIN_EXE_corsgate");

/// A `corsgate` command with no inherited environment, run in `dir`.
pub fn corsgate(dir: &Path) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.env_clear().current_dir(dir);
    cmd
}

pub fn run(cmd: &mut Command) -> (Output, String, String) {
    let out = cmd.stdin(Stdio::null()).output().expect("run corsgate");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    (out, stdout, stderr)
}

/// A running `corsgate serve`; killed when dropped.
pub struct Served {
    pub child: Child,
    pub base: String,
    log: Arc<Mutex<Vec<String>>>,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Served {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Log lines so far (stderr).
    pub fn log(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }

    /// Waits until a log line contains `needle`.
    pub fn wait_log(&self, needle: &str) -> String {
        for _ in 0..200 {
            if let Some(l) = self.log().into_iter().find(|l| l.contains(needle)) {
                return l;
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        panic!("no log line containing {needle:?}; log: {:#?}", self.log());
    }

    /// Sends SIGTERM and waits for the exit status.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill");
        assert!(status.success());
        for _ in 0..400 {
            if let Some(s) = self.child.try_wait().unwrap() {
                return s;
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        panic!("corsgate did not exit after SIGTERM");
    }
}

/// Starts `corsgate serve --listen 127.0.0.1:0 ARGS` and waits for its listening line.
pub fn serve(cmd: &mut Command, args: &[&str]) -> Served {
    let mut child = cmd
        .arg("serve")
        .args(["--listen", "127.0.0.1:0"])
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn corsgate serve");
    let stderr = child.stderr.take().expect("stderr");
    let log = Arc::new(Mutex::new(Vec::new()));
    let (tx, rx) = mpsc::channel();
    let sink = log.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(rest) = line.split("listening on http://").nth(1) {
                let addr = rest.split_whitespace().next().unwrap_or("").to_string();
                let _ = tx.send(addr);
            }
            sink.lock().unwrap().push(line);
        }
    });
    match rx.recv_timeout(Duration::from_secs(30)) {
        Ok(addr) => Served {
            child,
            base: format!("http://{addr}"),
            log,
        },
        Err(_) => {
            let _ = child.kill();
            panic!(
                "corsgate serve did not start; log: {:#?}",
                log.lock().unwrap()
            );
        }
    }
}

#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Reply {
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

    pub fn vary(&self) -> Vec<String> {
        self.headers
            .get_all("vary")
            .iter()
            .flat_map(|v| v.to_str().unwrap().split(','))
            .map(|s| s.trim().to_string())
            .collect()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

pub async fn send(method: &str, url: &str, headers: &[(&str, &str)], body: &str) -> Reply {
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    let mut req = Request::builder()
        .method(Method::from_bytes(method.as_bytes()).unwrap())
        .uri(url);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = client
        .request(req.body(Full::new(Bytes::from(body.to_string()))).unwrap())
        .await
        .expect("request failed");
    let (parts, body) = resp.into_parts();
    let bytes = body.collect().await.unwrap().to_bytes();
    Reply {
        status: parts.status,
        headers: parts.headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    }
}
