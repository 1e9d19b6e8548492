//! The FastAPI CORS guide's app *without* CORS middleware (tests/fixtures/fastapi_app.py), run by
//! uvicorn in a real Python, made usable from a browser origin by `corsgate serve --upstream`.
//!
//! Needs a Python with fastapi and uvicorn in `CORSGATE_TEST_PYTHON` (`.ci/run` creates
//! `.venv-ci` and sets it). Under `CI=true` a missing or broken Python fails the tests; locally
//! they are skipped with a notice.

mod support;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;
use support::*;

const APP: &str = "http://localhost:3000";

/// uvicorn serving the fixture on an ephemeral loopback port; killed when dropped.
struct FastApi {
    child: Child,
    base: String,
}

impl Drop for FastApi {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl FastApi {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

fn python() -> Option<String> {
    match std::env::var("CORSGATE_TEST_PYTHON") {
        Ok(p) if !p.is_empty() => Some(p),
        _ if std::env::var("CI").is_ok_and(|v| v == "true") => panic!(
            "CI=true but CORSGATE_TEST_PYTHON is not set: .ci/run must create the venv \
             (python3 -m venv .venv-ci && .venv-ci/bin/pip install fastapi uvicorn) and export it"
        ),
        _ => {
            eprintln!(
                "NOTICE: FastAPI gateway test skipped: set CORSGATE_TEST_PYTHON to a Python with \
                 fastapi and uvicorn (python3 -m venv .venv-ci && .venv-ci/bin/pip install fastapi \
                 uvicorn; CORSGATE_TEST_PYTHON=$PWD/.venv-ci/bin/python)"
            );
            None
        }
    }
}

/// Starts the fixture app; `None` when the test is to be skipped.
fn start_fastapi() -> Option<FastApi> {
    let python = python()?;
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fastapi_app.py");
    let mut child = Command::new(&python)
        .arg(&script)
        .env("PYTHONUNBUFFERED", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run CORSGATE_TEST_PYTHON={python}: {e}"));
    let stdout = child.stdout.take().unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(port) = line.strip_prefix("PORT=") {
                let _ = tx.send(port.trim().to_string());
            }
        }
    });
    // stderr is drained so uvicorn never blocks on it; tracebacks (the /api/boom route) land here.
    let errors = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let sink = errors.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            sink.lock().unwrap().push(line);
        }
    });
    let port = match rx.recv_timeout(Duration::from_secs(60)) {
        Ok(port) => port,
        Err(_) => {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "the FastAPI app did not start with {python} (are fastapi and uvicorn installed?):\n{}",
                errors.lock().unwrap().join("\n")
            );
        }
    };
    let app = FastApi {
        child,
        base: format!("http://127.0.0.1:{port}"),
    };
    // uvicorn prints nothing once it accepts; the port is bound before PORT= is printed, and
    // the socket listens as soon as the server starts: wait for a first answer.
    for _ in 0..200 {
        if std::net::TcpStream::connect(app.base.trim_start_matches("http://")).is_ok() {
            break;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    Some(app)
}

fn gateway(app: &FastApi) -> (tempfile::TempDir, Served) {
    let dir = tempfile::tempdir().unwrap();
    // The development policy (localhost:3000 and :5173, credentials, any method and header):
    // what the guide's "GOOD" CORSMiddleware configures, here without touching the app.
    let s = serve(&mut corsgate(dir.path()), &["--upstream", &app.base]);
    (dir, s)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_guides_two_tests_fail_direct_and_pass_through_the_gateway() {
    let Some(app) = start_fastapi() else { return };

    // Direct: the guide's "BAD" app. No ACAO, and its preflight is a 405.
    let r = send("GET", &app.url("/api/users"), &[("Origin", APP)], "").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("access-control-allow-origin"), None);
    let preflight_headers = [
        ("Origin", APP),
        ("Access-Control-Request-Method", "POST"),
        (
            "Access-Control-Request-Headers",
            "Content-Type,Authorization",
        ),
    ];
    let r = send("OPTIONS", &app.url("/api/users"), &preflight_headers, "").await;
    assert_eq!(r.status, 405);

    let (_dir, gw) = gateway(&app);

    // test_cors_get_request, through the gateway.
    let r = send("GET", &gw.url("/api/users"), &[("Origin", APP)], "").await;
    assert_eq!(r.status, 200);
    assert!(r.headers.contains_key("access-control-allow-origin"));
    assert_eq!(r.header("access-control-allow-origin"), Some(APP));
    assert_eq!(r.json()[0]["name"], "Alice");
    assert_eq!(r.json()[1]["name"], "Bob");
    assert!(r.vary().iter().any(|v| v == "Origin"));

    // test_cors_preflight, through the gateway: answered at the edge (FastAPI would say 405).
    let r = send("OPTIONS", &gw.url("/api/users"), &preflight_headers, "").await;
    assert_eq!(r.status, 200);
    assert!(r.headers.contains_key("access-control-allow-methods"));
    assert_eq!(r.header("access-control-allow-origin"), Some(APP));
    // `allow_headers = ["*"]` answers by naming the requested headers, as sent.
    assert_eq!(
        r.header("access-control-allow-headers"),
        Some("Content-Type,Authorization")
    );

    // The guide's /api/data example too; and an origin the policy does not list is refused.
    let r = send("GET", &gw.url("/api/data"), &[("Origin", APP)], "").await;
    assert_eq!(r.json()["message"], "Hello from FastAPI");
    assert_eq!(r.header("access-control-allow-origin"), Some(APP));
    let r = send(
        "OPTIONS",
        &gw.url("/api/users"),
        &[
            ("Origin", "https://localhost:3000"),
            ("Access-Control-Request-Method", "POST"),
        ],
        "",
    )
    .await;
    assert_eq!(
        r.status, 403,
        "https://localhost:3000 is not http://localhost:3000"
    );
    assert_eq!(r.header("access-control-allow-origin"), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_credentialed_preflight_and_post_work_through_the_gateway() {
    let Some(app) = start_fastapi() else { return };
    let (_dir, gw) = gateway(&app);

    // What fetch(url, {method: "POST", credentials: "include", headers: {"Content-Type":
    // "application/json", "Authorization": "Bearer token123"}}) sends first.
    let r = send(
        "OPTIONS",
        &gw.url("/api/users"),
        &[
            ("Origin", APP),
            ("Access-Control-Request-Method", "POST"),
            (
                "Access-Control-Request-Headers",
                "authorization,content-type",
            ),
        ],
        "",
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("access-control-allow-origin"), Some(APP));
    assert_eq!(r.header("access-control-allow-credentials"), Some("true"));
    assert_eq!(r.header("access-control-allow-methods"), Some("POST"));
    assert_eq!(
        r.header("access-control-allow-headers"),
        Some("authorization,content-type")
    );
    assert_eq!(r.header("access-control-max-age"), Some("600"));

    // Then the request itself, with the cookie the browser attaches.
    let r = send(
        "POST",
        &gw.url("/api/users"),
        &[
            ("Origin", APP),
            ("Content-Type", "application/json"),
            ("Authorization", "Bearer token123"),
            ("Cookie", "session=abc"),
        ],
        r#"{"name": "Carol"}"#,
    )
    .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.json()["name"], "Carol");
    assert_eq!(r.header("access-control-allow-origin"), Some(APP));
    assert_eq!(r.header("access-control-allow-credentials"), Some("true"));

    // The credentials and the forwarding headers reached the app.
    let r = send(
        "GET",
        &gw.url("/api/whoami"),
        &[
            ("Origin", APP),
            ("Authorization", "Bearer token123"),
            ("Cookie", "session=abc"),
        ],
        "",
    )
    .await;
    let who = r.json();
    assert_eq!(who["cookie"], "session=abc");
    assert_eq!(who["authorization"], "Bearer token123");
    assert_eq!(who["x_forwarded_for"], "127.0.0.1");
    assert_eq!(who["x_forwarded_proto"], "http");
    assert_eq!(who["host"], app.base.trim_start_matches("http://"));

    let r = send("GET", &gw.url("/api/users"), &[("Origin", APP)], "").await;
    assert_eq!(r.json()[2]["name"], "Carol");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fastapi_errors_reach_the_browser_with_cors_headers() {
    let Some(app) = start_fastapi() else { return };
    let (_dir, gw) = gateway(&app);
    // A crash (500), an unknown route (404) and a validation error (422): the page sees each
    // status instead of a CORS error.
    for (method, path, body, status) in [
        ("GET", "/api/boom", "", 500),
        ("GET", "/api/nope", "", 404),
        ("POST", "/api/users", "not json", 422),
    ] {
        let r = send(
            method,
            &gw.url(path),
            &[("Origin", APP), ("Content-Type", "application/json")],
            body,
        )
        .await;
        assert_eq!(r.status, status, "{path}: {r:?}");
        assert_eq!(r.header("access-control-allow-origin"), Some(APP), "{path}");
        assert_eq!(r.header("access-control-allow-credentials"), Some("true"));
    }
}

fn check_json(args: &[&str]) -> (i32, serde_json::Value) {
    let dir = tempfile::tempdir().unwrap();
    let (out, stdout, stderr) = run(corsgate(dir.path()).arg("check").args(args).arg("--json"));
    let v = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("no JSON ({e}): {stderr}"));
    (out.status.code().unwrap_or(-1), v)
}

/// `corsgate check` shows what the browser does: blocked direct (with the FastAPI fix), allowed
/// through the gateway.
#[test]
fn check_blocks_direct_and_allows_through_the_gateway() {
    let Some(app) = start_fastapi() else { return };
    let (_dir, gw) = gateway(&app);
    let request = |url: String| {
        vec![
            url,
            "--origin".into(),
            APP.into(),
            "-X".into(),
            "POST".into(),
            "-H".into(),
            "Content-Type: application/json".into(),
            "-H".into(),
            "Authorization: Bearer token123".into(),
            "--credentials".into(),
            "include".into(),
        ]
    };
    let direct = request(app.url("/api/users"));
    let (code, v) = check_json(&direct.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(code, 1, "{v}");
    assert_eq!(
        v["error"]["cors_error"],
        "PreflightMissingAllowOriginHeader"
    );
    assert_eq!(v["error"]["server"], "FastAPI/Starlette");
    assert!(v["error"]["fix"]
        .as_str()
        .unwrap()
        .contains("CORSMiddleware"));

    let through = request(gw.url("/api/users"));
    let (code, v) = check_json(&through.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["preflight"]["status"], 200);
    assert!(v["error"].is_null());
}

/// Real Chromium: a page's credentialed fetch() to the FastAPI app fails direct and works through
/// the gateway, and its console line for the direct call is the one `check` predicts.
#[test]
fn chromium_uses_the_fastapi_app_through_the_gateway() {
    let Some(app) = start_fastapi() else { return };
    let Some(mut chrome) = support::chromium::Chromium::launch(&[]) else {
        return;
    };
    let page = support::scripted::start();
    let origin = format!("http://{}", page.addr);
    let dir = tempfile::tempdir().unwrap();
    let gw = serve(
        &mut corsgate(dir.path()),
        &["--upstream", &app.base, "--allow-origin", &origin],
    );
    chrome.open(&page.url("/page?a_header=content-type:text/html"));
    let script = |url: &str| {
        format!(
            "(async () => {{ try {{ const r = await fetch({}, {{method: 'POST', credentials: 'include', headers: {{'Content-Type': 'application/json', 'Authorization': 'Bearer token123'}}, body: JSON.stringify({{name: 'Carol', email: 'carol@example.com'}})}}); return {{ok: true, status: r.status, body: await r.json()}}; }} catch (e) {{ return {{ok: false, error: String(e)}}; }} }})()",
            serde_json::json!(url)
        )
    };
    let through = chrome.eval(&script(&gw.url("/api/users")));
    assert_eq!(through["ok"], true, "{through}");
    assert_eq!(through["body"]["name"], "Carol", "{through}");
    let list = chrome.eval(&format!(
        "fetch({}, {{credentials: 'include'}}).then(r => r.json())",
        serde_json::json!(gw.url("/api/users"))
    ));
    assert_eq!(list[0]["name"], "Alice", "{list}");

    let direct_url = app.url("/api/users");
    let direct = chrome.eval(&script(&direct_url));
    assert_eq!(direct["ok"], false, "{direct}");
    let console = chrome
        .wait_event(Duration::from_secs(5), |e| {
            e["method"] == "Log.entryAdded"
                && e["params"]["entry"]["source"] == "javascript"
                && e["params"]["entry"]["text"]
                    .as_str()
                    .is_some_and(|t| t.contains(&direct_url))
        })
        .expect("Chromium logged the CORS error");
    let (code, v) = check_json(&[
        &direct_url,
        "--origin",
        &origin,
        "-X",
        "POST",
        "-H",
        "Content-Type: application/json",
        "-H",
        "Authorization: Bearer token123",
        "--credentials",
        "include",
    ]);
    assert_eq!(code, 1);
    assert_eq!(
        v["error"]["console_message"], console["params"]["entry"]["text"],
        "check predicts Chromium's console line"
    );
}
