//! Real Chromium as the judge. A page on http://127.0.0.1:PORT makes each request with fetch(),
//! XMLHttpRequest or a `crossorigin` element against a scripted server; Chromium's verdict,
//! DevTools error, failed parameter and console line are compared with `corsgate check --json`
//! for the same request. Then policies served by `corsgate serve` and by the tower layer are
//! exercised from the page: Chromium's verdict must match what the policy intends, and `check`
//! must predict it.
//!
//! One command runs it with its summary table:
//! `cargo test -p corsgate-cli --test browser -- --nocapture`

mod support;

use serde_json::{json, Value};
use std::fmt::Write as _;
use std::time::Duration;
use support::cases::{self, cases};
use support::chromium::Chromium;
use support::scripted;
use support::*;

/// What one side (Chromium or check) concluded.
#[derive(Clone, Debug, PartialEq)]
struct Verdict {
    allowed: bool,
    error: Option<String>,
    param: Option<String>,
    message: Option<String>,
    /// Response headers a script can read (allowed fetch/XHR only).
    exposed: Option<Vec<String>>,
}

struct Row {
    name: String,
    chrome: Verdict,
    check: Verdict,
    matched: bool,
}

/// A request from the page.
struct PageCall {
    url: String,
    method: String,
    headers: Vec<(String, String)>,
    credentials: String,
    initiator: String,
}

impl PageCall {
    fn script(&self) -> String {
        let headers: serde_json::Map<String, Value> = self
            .headers
            .iter()
            .map(|(n, v)| (n.clone(), Value::String(v.clone())))
            .collect();
        let (url, method, headers, creds) = (
            json!(self.url),
            json!(self.method),
            Value::Object(headers),
            json!(self.credentials),
        );
        match self.initiator.as_str() {
            "fetch" => format!(
                "(async () => {{ try {{ const r = await fetch({url}, {{method: {method}, headers: {headers}, credentials: {creds}, mode: 'cors'}}); const names = []; r.headers.forEach((v, k) => names.push(k)); await r.text(); return {{ok: true, status: r.status, headers: names}}; }} catch (e) {{ return {{ok: false, error: String(e)}}; }} }})()"
            ),
            "xhr" => format!(
                "new Promise(resolve => {{ const x = new XMLHttpRequest(); x.open({method}, {url}); x.withCredentials = {creds} === 'include'; for (const [k, v] of Object.entries({headers})) x.setRequestHeader(k, v); x.onload = () => resolve({{ok: true, status: x.status, headers: x.getAllResponseHeaders().trim().split(/\\r?\\n/).filter(Boolean).map(l => l.split(':')[0].trim().toLowerCase())}}); x.onerror = () => resolve({{ok: false, error: 'xhr error'}}); x.send(); }})"
            ),
            tag @ ("image" | "script") => format!(
                "new Promise(resolve => {{ const el = document.createElement({}); el.crossOrigin = {creds} === 'include' ? 'use-credentials' : 'anonymous'; el.onload = () => resolve({{ok: true}}); el.onerror = () => resolve({{ok: false, error: 'element error'}}); el.src = {url}; document.body.appendChild(el); }})",
                json!(if tag == "image" { "img" } else { "script" })
            ),
            other => panic!("unknown initiator {other}"),
        }
    }

    fn check_args(&self, origin: &str) -> Vec<String> {
        let mut a = vec![
            self.url.clone(),
            "--origin".into(),
            origin.into(),
            "-X".into(),
            self.method.clone(),
        ];
        for (n, v) in &self.headers {
            a.push("-H".into());
            a.push(format!("{n}: {v}"));
        }
        a.extend([
            "--credentials".into(),
            self.credentials.clone(),
            "--initiator".into(),
            self.initiator.clone(),
            "--json".into(),
        ]);
        a
    }
}

/// Runs the call in Chromium and collects its verdict, keyed by a marker unique to the call.
fn in_chrome(chrome: &mut Chromium, call: &PageCall, marker: &str) -> Verdict {
    chrome.events.clear();
    let result = chrome.eval(&call.script());
    if result["ok"] == true {
        let exposed = result["headers"].as_array().map(|h| {
            let mut v: Vec<String> = h
                .iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect();
            v.sort();
            v.dedup();
            v
        });
        return Verdict {
            allowed: true,
            error: None,
            param: None,
            message: None,
            exposed,
        };
    }
    let log = chrome.wait_event(Duration::from_secs(5), |e| {
        e["method"] == "Log.entryAdded"
            && e["params"]["entry"]["source"] == "javascript"
            && e["params"]["entry"]["text"]
                .as_str()
                .is_some_and(|t| t.contains(marker))
    });
    let issue = chrome.wait_event(Duration::from_secs(5), |e| {
        e["method"] == "Audits.issueAdded"
            && e["params"]["issue"]["code"] == "CorsIssue"
            && e["params"]["issue"]["details"]["corsIssueDetails"]["request"]["url"]
                .as_str()
                .is_some_and(|u| u.contains(marker))
    });
    let status = issue
        .as_ref()
        .map(|i| i["params"]["issue"]["details"]["corsIssueDetails"]["corsErrorStatus"].clone());
    Verdict {
        allowed: false,
        error: status
            .as_ref()
            .and_then(|s| s["corsError"].as_str().map(str::to_string)),
        param: status
            .as_ref()
            .and_then(|s| s["failedParameter"].as_str().map(str::to_string)),
        message: log.and_then(|l| l["params"]["entry"]["text"].as_str().map(str::to_string)),
        exposed: None,
    }
}

fn in_check(call: &PageCall, origin: &str) -> Verdict {
    let dir = tempfile::tempdir().unwrap();
    let args = call.check_args(origin);
    let (out, stdout, stderr) = run(corsgate(dir.path()).arg("check").args(&args));
    let v: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "check gave no JSON ({e}), exit {:?}: {stderr}",
            out.status.code()
        )
    });
    let s = |p: &Value| p.as_str().map(str::to_string);
    Verdict {
        allowed: v["allowed"] == true,
        error: s(&v["error"]["cors_error"]),
        param: s(&v["error"]["failed_parameter"]),
        message: s(&v["error"]["console_message"]),
        exposed: (v["allowed"] == true && matches!(call.initiator.as_str(), "fetch" | "xhr")).then(
            || {
                let mut e: Vec<String> = v["exposed_headers"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect();
                e.sort();
                e.dedup();
                e
            },
        ),
    }
}

/// Chromium and check agree. When several headers are disallowed Chromium names one by its
/// internal hash order, so any of the request's header names is accepted there.
fn agree(chrome: &Verdict, check: &Verdict, call: &PageCall) -> bool {
    if chrome.allowed != check.allowed || chrome.error != check.error {
        return false;
    }
    if chrome.allowed {
        return chrome.exposed == check.exposed
            || !matches!(call.initiator.as_str(), "fetch" | "xhr");
    }
    if chrome.error.as_deref() == Some("HeaderDisallowedByPreflightResponse") {
        let names: Vec<String> = call
            .headers
            .iter()
            .map(|(n, _)| n.to_ascii_lowercase())
            .collect();
        let (Some(cp), Some(kp), Some(cm), Some(km)) =
            (&chrome.param, &check.param, &chrome.message, &check.message)
        else {
            return false;
        };
        return names.contains(cp)
            && km.replace(&format!("field {kp} "), &format!("field {cp} ")) == *cm;
    }
    chrome.param == check.param && chrome.message == check.message
}

fn record(rows: &mut Vec<Row>, name: String, chrome: Verdict, check: Verdict, call: &PageCall) {
    let matched = agree(&chrome, &check, call);
    rows.push(Row {
        name,
        chrome,
        check,
        matched,
    });
}

fn summary(title: &str, rows: &[Row], version: &str) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "\n{title} — {version}");
    let _ = writeln!(
        s,
        "{:<58} {:<10} {:<40} match",
        "case", "chromium", "DevTools error (chromium)"
    );
    for r in rows {
        let verdict = if r.chrome.allowed {
            "allowed"
        } else {
            "blocked"
        };
        let _ = writeln!(
            s,
            "{:<58} {:<10} {:<40} {}",
            r.name,
            verdict,
            r.chrome.error.as_deref().unwrap_or("-"),
            if r.matched { "yes" } else { "NO" }
        );
    }
    let matched = rows.iter().filter(|r| r.matched).count();
    let _ = writeln!(
        s,
        "cases: {}, matches: {}, mismatches: {}, chromium: {version}",
        rows.len(),
        matched,
        rows.len() - matched
    );
    s
}

fn publish(text: &str, file: &str) {
    println!("{text}");
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(file);
    let _ = std::fs::write(path, text);
}

fn mismatches(rows: &[Row]) -> String {
    rows.iter()
        .filter(|r| !r.matched)
        .map(|r| {
            format!(
                "{}\n  chromium: {:?}\n  check:    {:?}",
                r.name, r.chrome, r.check
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[test]
fn chromium_agrees_with_check() {
    let Some(mut chrome) = Chromium::launch(&[]) else {
        return;
    };
    let page = scripted::start();
    let target = scripted::start();
    let third = scripted::start();
    let origin = format!("http://{}", page.addr);
    chrome.open(&page.url("/page?a_header=content-type:text/html"));
    let mut rows = Vec::new();
    let mut n = 0;
    let mut next = |prefix: &str| {
        n += 1;
        format!("{prefix}c{n}x")
    };

    // The §2.7 table with the page's real origin substituted, as fetch() (or its element), then
    // every fetch case again through XMLHttpRequest.
    let table = cases();
    for initiator_override in [None, Some("xhr")] {
        for case in &table {
            let req = cases::request(case.flags);
            if initiator_override.is_some() && req.initiator != "fetch" {
                continue;
            }
            // Elements that load successfully need a real image or script body; only their
            // failures are compared.
            if req.initiator != "fetch" && case.expect.is_none() {
                continue;
            }
            let marker = next("");
            let query = case.query.replace("127.0.0.1:8001", &page.addr.to_string());
            let call = PageCall {
                url: target.url(&format!("/t?m={marker}&{query}")),
                method: req.method,
                headers: req.headers,
                credentials: req.credentials,
                initiator: initiator_override.unwrap_or(&req.initiator).to_string(),
            };
            let c = in_chrome(&mut chrome, &call, &marker);
            let k = in_check(&call, &origin);
            let mut name = format!("{} [{}]", case.name, call.initiator);
            if c.allowed != case.expect.is_none() || c.error.as_deref() != case.expect.map(|e| e.0)
            {
                name.push_str(" (table expectation differs)");
                rows.push(Row {
                    name,
                    chrome: c,
                    check: k,
                    matched: false,
                });
                continue;
            }
            record(&mut rows, name, c, k, &call);
        }
    }

    // Redirects, taint and credentials in Location, for fetch and XHR.
    for initiator in ["fetch", "xhr"] {
        let redirect_cases: Vec<(&str, UrlFor)> = vec![
            (
                "redirect to an origin without ACAO",
                Box::new(|m: &str| {
                    let end = third.url(&format!("/end?m={m}"));
                    target.url(&format!(
                        "/r?m={m}&a_status=302&a_acao=*&a_location={}",
                        encode(&end)
                    ))
                }),
            ),
            (
                "redirect response without ACAO",
                Box::new(|m: &str| target.url(&format!("/r?m={m}&a_status=302&a_location=/x"))),
            ),
            (
                "tainted redirect, final ACAO = page origin",
                Box::new(|m: &str| {
                    let end = third.url(&format!(
                        "/end?m={m}&a_acao={}",
                        encode(&format!("http://{}", page.addr))
                    ));
                    target.url(&format!(
                        "/r?m={m}&a_status=302&a_acao=*&a_location={}",
                        encode(&end)
                    ))
                }),
            ),
            (
                "tainted redirect, final ACAO null",
                Box::new(|m: &str| {
                    let end = third.url(&format!("/end?m={m}&a_acao=null"));
                    target.url(&format!(
                        "/r?m={m}&a_status=302&a_acao=*&a_location={}",
                        encode(&end)
                    ))
                }),
            ),
            (
                "two hops, same target",
                Box::new(|m: &str| {
                    let end = target.url(&format!("/end?m={m}&a_acao=*"));
                    let mid = target.url(&format!(
                        "/mid?m={m}&a_status=307&a_acao=*&a_location={}",
                        encode(&end)
                    ));
                    target.url(&format!(
                        "/r?m={m}&a_status=301&a_acao=*&a_location={}",
                        encode(&mid)
                    ))
                }),
            ),
            (
                "two hops, last without ACAO",
                Box::new(|m: &str| {
                    let end = third.url(&format!("/end?m={m}"));
                    let mid = target.url(&format!(
                        "/mid?m={m}&a_status=302&a_acao=*&a_location={}",
                        encode(&end)
                    ));
                    target.url(&format!(
                        "/r?m={m}&a_status=302&a_acao=*&a_location={}",
                        encode(&mid)
                    ))
                }),
            ),
            (
                "Location with credentials",
                Box::new(|m: &str| {
                    let end = format!("http://user:pass@{}/end?m={m}&a_acao=*", target.addr);
                    target.url(&format!(
                        "/r?m={m}&a_status=302&a_acao=*&a_location={}",
                        encode(&end)
                    ))
                }),
            ),
            (
                "303 after POST becomes GET",
                Box::new(|m: &str| {
                    let end = target.url(&format!("/end?m={m}&a_acao=*"));
                    target.url(&format!(
                        "/r?m={m}&a_status=303&a_acao=*&a_location={}",
                        encode(&end)
                    ))
                }),
            ),
        ];
        for (name, build) in &redirect_cases {
            let marker = next("");
            let call = PageCall {
                url: build(&marker),
                method: if name.contains("POST") {
                    "POST".into()
                } else {
                    "GET".into()
                },
                headers: vec![],
                credentials: "same-origin".into(),
                initiator: initiator.into(),
            };
            let c = in_chrome(&mut chrome, &call, &marker);
            let k = in_check(&call, &origin);
            record(&mut rows, format!("{name} [{initiator}]"), c, k, &call);
        }
    }

    // Exposed headers read back by the script.
    for (name, query, creds) in [
        (
            "no ACEH: safelisted response headers only",
            "a_acao=*&a_header=x-total-count:7",
            "same-origin",
        ),
        (
            "ACEH lists one header",
            "a_acao=*&a_header=x-total-count:7&a_header=x-other:1&a_aceh=X-Total-Count",
            "same-origin",
        ),
        (
            "ACEH * without credentials",
            "a_acao=*&a_header=x-total-count:7&a_aceh=*",
            "same-origin",
        ),
        (
            "ACEH * with credentials is literal",
            "a_acao=ORIGIN&a_acac=true&a_header=x-total-count:7&a_aceh=*",
            "include",
        ),
    ] {
        for initiator in ["fetch", "xhr"] {
            let marker = next("");
            let q = query.replace("ORIGIN", &encode(&origin));
            let call = PageCall {
                url: target.url(&format!("/e?m={marker}&{q}")),
                method: "GET".into(),
                headers: vec![],
                credentials: creds.into(),
                initiator: initiator.into(),
            };
            let c = in_chrome(&mut chrome, &call, &marker);
            let k = in_check(&call, &origin);
            record(&mut rows, format!("{name} [{initiator}]"), c, k, &call);
        }
    }

    let text = summary("Chromium vs corsgate check", &rows, &chrome.version);
    publish(&text, "browser-suite-cases.txt");
    assert!(rows.len() >= 80, "only {} cases", rows.len());
    assert!(
        rows.iter().all(|r| r.matched),
        "mismatches:\n{}",
        mismatches(&rows)
    );
    drop((page, target, third));
}

/// Builds a case's URL from its marker.
type UrlFor<'a> = Box<dyn Fn(&str) -> String + 'a>;

/// A request against a policy: method, script headers, credentials mode, whether it is intended
/// to be allowed.
type PolicyRequest = (
    &'static str,
    Vec<(&'static str, &'static str)>,
    &'static str,
    bool,
);

/// A policy and the requests made against it, with what the policy intends.
struct PolicyCase {
    name: &'static str,
    flags: Vec<String>,
    requests: Vec<PolicyRequest>,
}

#[test]
fn chromium_enforces_corsgate_policies() {
    // Real host names for origin patterns: every *.corsgate.test resolves to 127.0.0.1.
    let Some(mut chrome) =
        Chromium::launch(&["--host-resolver-rules=MAP *.corsgate.test 127.0.0.1"])
    else {
        return;
    };
    let page = scripted::start();
    let port = page.addr.port();
    let origin = format!("http://app.corsgate.test:{port}");
    chrome.open(&format!("{origin}/page?a_header=content-type:text/html"));
    let o = |s: &str| s.replace("PORT", &port.to_string());
    let get = |creds: &'static str, ok: bool| ("GET", vec![], creds, ok);
    let policies = vec![
        PolicyCase {
            name: "development default + page origin",
            flags: vec![
                "--allow-origin".into(),
                origin.clone(),
                "--allow-method".into(),
                "*".into(),
                "--allow-header".into(),
                "*".into(),
                "--allow-credentials".into(),
            ],
            requests: vec![
                get("include", true),
                ("PUT", vec![("Authorization", "Bearer x")], "include", true),
                ("DELETE", vec![("X-Custom", "1")], "include", true),
            ],
        },
        PolicyCase {
            name: "exact origin, another page",
            flags: vec![
                "--allow-origin".into(),
                o("http://other.corsgate.test:PORT"),
            ],
            requests: vec![
                get("same-origin", false),
                ("PUT", vec![], "same-origin", false),
            ],
        },
        PolicyCase {
            name: "subdomain pattern",
            flags: vec![
                "--allow-origin".into(),
                o("http://*.corsgate.test:PORT"),
                "--allow-method".into(),
                "PUT".into(),
            ],
            requests: vec![
                get("same-origin", true),
                ("PUT", vec![], "same-origin", true),
            ],
        },
        PolicyCase {
            name: "pattern for another domain",
            flags: vec!["--allow-origin".into(), o("http://*.example.test:PORT")],
            requests: vec![get("same-origin", false)],
        },
        PolicyCase {
            name: "any-port pattern",
            flags: vec!["--allow-origin".into(), "http://app.corsgate.test:*".into()],
            requests: vec![get("same-origin", true)],
        },
        PolicyCase {
            name: "anchored regex",
            flags: vec![
                "--allow-origin-regex".into(),
                r"http://[a-z]+\.corsgate\.test:\d+".into(),
                "--allow-credentials".into(),
            ],
            requests: vec![get("include", true)],
        },
        PolicyCase {
            name: "regex for https only",
            flags: vec![
                "--allow-origin-regex".into(),
                r"https://[a-z]+\.corsgate\.test(:\d+)?".into(),
            ],
            requests: vec![get("same-origin", false)],
        },
        PolicyCase {
            name: "* without credentials, GET only",
            flags: vec![
                "--allow-origin".into(),
                "*".into(),
                "--allow-credentials=false".into(),
                "--allow-method".into(),
                "GET".into(),
            ],
            requests: vec![
                get("same-origin", true),
                get("include", false),
                ("PATCH", vec![], "same-origin", false),
            ],
        },
        PolicyCase {
            name: "* with every method and header",
            flags: vec![
                "--allow-origin".into(),
                "*".into(),
                "--allow-credentials=false".into(),
                "--allow-method".into(),
                "*".into(),
                "--allow-header".into(),
                "*".into(),
            ],
            requests: vec![
                ("PATCH", vec![("X-Custom", "1")], "same-origin", true),
                (
                    "PUT",
                    vec![("Authorization", "Bearer x")],
                    "same-origin",
                    true,
                ),
            ],
        },
        PolicyCase {
            name: "explicit headers",
            flags: vec![
                "--allow-origin".into(),
                origin.clone(),
                "--allow-header".into(),
                "X-Custom".into(),
            ],
            requests: vec![
                ("GET", vec![("X-Custom", "1")], "same-origin", true),
                ("GET", vec![("X-Other", "1")], "same-origin", false),
                (
                    "POST",
                    vec![("Content-Type", "application/json")],
                    "same-origin",
                    true,
                ),
            ],
        },
        PolicyCase {
            name: "methods compared literally",
            flags: vec![
                "--allow-origin".into(),
                origin.clone(),
                "--allow-method".into(),
                "GET".into(),
                "--allow-method".into(),
                "PATCH".into(),
            ],
            requests: vec![
                ("PATCH", vec![], "same-origin", true),
                ("patch", vec![], "same-origin", false),
                ("DELETE", vec![], "same-origin", false),
            ],
        },
        PolicyCase {
            name: "credentials off",
            flags: vec![
                "--allow-origin".into(),
                origin.clone(),
                "--allow-credentials=false".into(),
            ],
            requests: vec![get("same-origin", true), get("include", false)],
        },
        PolicyCase {
            name: "block_disallowed",
            flags: vec![
                "--allow-origin".into(),
                o("http://other.corsgate.test:PORT"),
                "--block-disallowed".into(),
            ],
            requests: vec![get("same-origin", false)],
        },
        PolicyCase {
            name: "private network access off (Chrome 156 sends no PNA preflight)",
            flags: vec![
                "--allow-origin".into(),
                origin.clone(),
                "--allow-private-network=false".into(),
            ],
            requests: vec![get("same-origin", true)],
        },
        PolicyCase {
            name: "preflight 204, reject 400",
            flags: vec![
                "--allow-origin".into(),
                origin.clone(),
                "--allow-method".into(),
                "PUT".into(),
                "--preflight-status".into(),
                "204".into(),
                "--reject-status".into(),
                "400".into(),
            ],
            requests: vec![
                ("PUT", vec![], "same-origin", true),
                ("DELETE", vec![], "same-origin", false),
            ],
        },
    ];
    let mut rows = Vec::new();
    let dir = tempfile::tempdir().unwrap();
    let mut n = 0;
    for policy in &policies {
        let flags: Vec<&str> = policy.flags.iter().map(String::as_str).collect();
        let served = serve(&mut corsgate(dir.path()), &flags);
        for (method, headers, creds, intended) in &policy.requests {
            n += 1;
            let marker = format!("p{n}x");
            let call = PageCall {
                url: served.url(&format!("/api/users?m={marker}")),
                method: method.to_string(),
                headers: headers
                    .iter()
                    .map(|(a, b)| (a.to_string(), b.to_string()))
                    .collect(),
                credentials: creds.to_string(),
                initiator: "fetch".into(),
            };
            let c = in_chrome(&mut chrome, &call, &marker);
            let k = in_check(&call, &origin);
            let matched = c.allowed == *intended && agree(&c, &k, &call);
            rows.push(Row {
                name: format!("serve: {} — {method} {creds}", policy.name),
                chrome: c,
                check: k,
                matched,
            });
        }
    }

    // The tower layer in a small axum app, with exposed headers read back by the page.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let layer_cases: Vec<(&str, corsgate::CorsOptions, &str, Vec<&str>)> = vec![
        (
            "layer: expose one header",
            corsgate::CorsOptions {
                allow_origins: vec![origin.clone()],
                expose_headers: vec!["X-Total-Count".into()],
                ..Default::default()
            },
            "same-origin",
            vec!["content-type", "x-total-count"],
        ),
        (
            "layer: expose * without credentials",
            corsgate::CorsOptions {
                allow_origins: vec!["*".into()],
                expose_headers: vec!["*".into()],
                ..Default::default()
            },
            "same-origin",
            vec![
                "content-length",
                "content-type",
                "x-request-id",
                "x-total-count",
            ],
        ),
        (
            "layer: expose * with credentials lists the names",
            corsgate::CorsOptions {
                allow_origins: vec![origin.clone()],
                allow_credentials: true,
                expose_headers: vec!["*".into()],
                ..Default::default()
            },
            "include",
            vec!["content-type", "x-request-id", "x-total-count"],
        ),
        (
            "layer: nothing exposed",
            corsgate::CorsOptions {
                allow_origins: vec![origin.clone()],
                ..Default::default()
            },
            "same-origin",
            vec!["content-type"],
        ),
    ];
    for (name, options, creds, expect_exposed) in layer_cases {
        let policy = options.build().expect("policy");
        let app = axum::Router::new()
            .route(
                "/data",
                axum::routing::get(|| async {
                    (
                        [
                            ("x-total-count", "2"),
                            ("x-request-id", "abc"),
                            ("content-type", "application/json"),
                        ],
                        "[]",
                    )
                }),
            )
            .layer(corsgate::CorsLayer::new(policy));
        let listener = rt
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let addr = listener.local_addr().unwrap();
        rt.spawn(async move { axum::serve(listener, app).await });
        n += 1;
        let marker = format!("p{n}x");
        let call = PageCall {
            url: format!("http://{addr}/data?m={marker}"),
            method: "GET".into(),
            headers: vec![],
            credentials: creds.into(),
            initiator: "fetch".into(),
        };
        let c = in_chrome(&mut chrome, &call, &marker);
        let k = in_check(&call, &origin);
        let readable_ok = expect_exposed
            .iter()
            .all(|h| c.exposed.as_ref().is_some_and(|e| e.iter().any(|x| x == h)));
        let matched = c.allowed && readable_ok && agree(&c, &k, &call);
        rows.push(Row {
            name: name.to_string(),
            chrome: c,
            check: k,
            matched,
        });
    }

    let text = summary(
        "Chromium enforcing corsgate policies",
        &rows,
        &chrome.version,
    );
    publish(&text, "browser-suite-policies.txt");
    assert!(policies.len() >= 15, "only {} policies", policies.len());
    assert!(
        rows.iter().all(|r| r.matched),
        "mismatches:\n{}",
        mismatches(&rows)
    );
}
