//! `corsgate scan` as a user runs it: the real binary against a zoo of misconfigured servers on
//! loopback (each one mistake), correct controls, and `corsgate serve` itself.

mod support;
#[path = "support/zoo.rs"]
mod zoo;

use serde_json::Value;
use std::collections::BTreeSet;
use std::time::{Duration, Instant};
use support::*;

fn scan(args: &[&str]) -> (i32, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let (out, stdout, stderr) = run(corsgate(dir.path()).arg("scan").args(args));
    assert!(!stderr.contains("panicked"), "{stderr}");
    (out.status.code().unwrap_or(-1), stdout, stderr)
}

fn scan_json(args: &[&str]) -> (i32, Value) {
    let mut all = args.to_vec();
    all.push("--json");
    let (code, stdout, stderr) = scan(&all);
    let v = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}\n{stderr}"));
    (code, v)
}

fn classes(v: &Value) -> BTreeSet<String> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["class"].as_str().unwrap().to_string())
        .collect()
}

fn finding<'a>(v: &'a Value, class: &str) -> &'a Value {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["class"] == class)
        .unwrap_or_else(|| panic!("no {class} finding in {v:#}"))
}

fn trusted_args(animal: &zoo::Animal) -> Vec<&str> {
    let mut args = vec![animal.url.as_str()];
    for t in &animal.trusted {
        args.extend(["--origin", t]);
    }
    args
}

#[test]
fn the_zoo_every_mistake_found_and_nothing_on_the_controls() {
    let animals = zoo::start();
    let mistakes = animals.iter().filter(|a| !a.expect.is_empty()).count();
    let controls = animals.len() - mistakes;
    assert!(
        mistakes >= 15 && controls >= 5,
        "{mistakes} mistakes, {controls} controls"
    );

    // Scans run two at a time; each is the real binary with its own concurrency.
    let results: Vec<(usize, i32, Value)> = std::thread::scope(|s| {
        let handles: Vec<_> = animals
            .chunks(animals.len().div_ceil(2))
            .enumerate()
            .map(|(chunk, group)| {
                let offset = chunk * animals.len().div_ceil(2);
                s.spawn(move || {
                    group
                        .iter()
                        .enumerate()
                        .map(|(i, a)| {
                            let (code, v) = scan_json(&trusted_args(a));
                            (offset + i, code, v)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });

    let mut failures = Vec::new();
    let mut table = Vec::new();
    let (mut found, mut false_positives, mut requests) = (0, 0, 0);
    for (i, code, v) in &results {
        let a = &animals[*i];
        let got = classes(v);
        let want: BTreeSet<String> = a.expect.iter().map(|s| s.to_string()).collect();
        requests += v["requests_sent"].as_u64().unwrap();
        assert_eq!(v["requests_failed"], 0, "{}: {v:#}", a.name);
        assert_eq!(v["url"], a.url.as_str());
        if a.expect.is_empty() {
            false_positives += got.len();
        } else if want.is_subset(&got) {
            found += 1;
        }
        if got != want {
            failures.push(format!(
                "{} ({}): expected {want:?}, got {got:?}\n{:#}",
                a.name, a.mistake, v["findings"]
            ));
        }
        // The exit status follows the worst severity (default --fail-on medium).
        let worst_fails = v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["severity"] == "high" || f["severity"] == "medium");
        if *code != if worst_fails { 1 } else { 0 } {
            failures.push(format!("{}: exit {code} for {:#}", a.name, v["findings"]));
        }
        // What is trusted is never reported.
        for f in v["findings"].as_array().unwrap() {
            let sent = f["origin_sent"].as_str().unwrap();
            if f["class"] != "missing-vary" && a.trusted.contains(&sent) {
                failures.push(format!("{}: reported the trusted origin {sent}", a.name));
            }
            for key in ["class", "severity", "origin_sent", "evidence", "fix"] {
                assert!(!f[key].is_null(), "{}: {key} missing in {f}", a.name);
            }
        }
        table.push(format!(
            "{:<34} {:>4} requests  {}",
            a.name,
            v["requests_sent"],
            if got.is_empty() {
                "nothing".to_string()
            } else {
                got.iter().cloned().collect::<Vec<_>>().join(", ")
            }
        ));
    }
    println!("{}", table.join("\n"));
    println!(
        "mistakes found: {found}/{mistakes}; false positives on {controls} controls: {false_positives}; requests sent: {requests}"
    );
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    assert_eq!(found, mistakes);
    assert_eq!(false_positives, 0);
}

#[test]
fn evidence_severity_and_cookie_gated_reflection() {
    let animals = zoo::start();
    let by = |name: &str| animals.iter().find(|a| a.name == name).unwrap();

    let a = by("reflect-any-credentials");
    let (code, v) = scan_json(&trusted_args(a));
    assert_eq!(code, 1);
    let f = finding(&v, "origin-reflection");
    assert_eq!(f["severity"], "high");
    assert_eq!(f["origin_sent"], "https://corsgate-attacker.com");
    assert_eq!(f["evidence"]["acao"], "https://corsgate-attacker.com");
    assert_eq!(f["evidence"]["acac"], "true");
    assert_eq!(f["evidence"]["vary"], "Origin");
    // The real preflights found what an untrusted origin may send.
    assert_eq!(
        f["evidence"]["preflight_allows"],
        serde_json::json!({"methods": ["PUT", "DELETE", "PATCH"], "headers": ["authorization", "x-corsgate-probe"]})
    );
    assert_eq!(v["trusted"], serde_json::json!([zoo::APP]));

    let (_, v) = scan_json(&trusted_args(by("reflect-any-no-credentials")));
    assert_eq!(finding(&v, "origin-reflection")["severity"], "medium");

    // Older Starlette: `*` without a cookie, the origin reflected with one.
    let (_, v) = scan_json(&trusted_args(by("starlette-cookie-gated")));
    let f = finding(&v, "origin-reflection");
    assert_eq!(f["severity"], "high");
    assert_eq!(f["evidence"]["request"], "GET with Cookie");
    assert!(f["evidence"]["note"].as_str().unwrap().contains("Cookie"));
    assert_eq!(finding(&v, "wildcard-with-credentials")["severity"], "low");

    let (_, v) = scan_json(&trusted_args(by("preflight-only")));
    let f = finding(&v, "preflight-reflection");
    assert_eq!(f["severity"], "high");
    assert!(f["evidence"]["request"]
        .as_str()
        .unwrap()
        .starts_with("OPTIONS preflight for PUT"));
    assert_eq!(
        f["evidence"]["preflight_allows"]["methods"],
        serde_json::json!(["PUT", "DELETE", "PATCH"])
    );

    for (name, class, severity) in [
        ("null-allowed", "null-origin", "high"),
        ("any-subdomain", "any-subdomain", "medium"),
        ("http-trusted", "http-origin-trusted", "medium"),
        ("localhost-in-production", "localhost-origin", "low"),
        ("missing-vary", "missing-vary", "low"),
        ("wildcard-public", "wildcard-public", "info"),
        ("special-char", "special-char-bypass", "high"),
    ] {
        let (_, v) = scan_json(&trusted_args(by(name)));
        assert_eq!(finding(&v, class)["severity"], severity, "{name}");
    }
    let (_, v) = scan_json(&trusted_args(by("missing-vary")));
    let f = finding(&v, "missing-vary");
    assert!(f["evidence"]["vary"].is_null());
    assert!([zoo::APP, zoo::WWW].contains(&f["origin_sent"].as_str().unwrap()));
}

#[test]
fn telling_the_scan_what_is_meant_silences_it() {
    let animals = zoo::start();
    let a = animals.iter().find(|a| a.name == "any-subdomain").unwrap();
    let (code, v) = scan_json(&[&a.url, "--origin", "https://*.example.com"]);
    assert_eq!(code, 0);
    assert!(classes(&v).is_empty(), "{v:#}");
    let a = animals
        .iter()
        .find(|a| a.name == "localhost-in-production")
        .unwrap();
    let (code, v) = scan_json(&[
        &a.url,
        "--origin",
        zoo::APP,
        "--origin",
        "http://localhost:3000",
        "--fail-on",
        "low",
    ]);
    assert_eq!(code, 0, "{v:#}");
    assert!(classes(&v).is_empty());
}

#[test]
fn corsgate_serve_development_default_and_production_policy() {
    let dir = tempfile::tempdir().unwrap();
    let served = serve(&mut corsgate(dir.path()), &[]);
    let url = served.url("/api/users");
    // The development default trusts localhost origins on purpose: low at most.
    let (code, v) = scan_json(&[&url]);
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(
        classes(&v),
        BTreeSet::from(["localhost-origin".to_string()])
    );
    assert_eq!(finding(&v, "localhost-origin")["severity"], "low");
    let (code, _) = scan_json(&[&url, "--fail-on", "low"]);
    assert_eq!(code, 1);
    // Said to be meant: nothing.
    let (code, v) = scan_json(&[
        &url,
        "--origin",
        "http://localhost:3000",
        "--origin",
        "http://localhost:5173",
        "--origin",
        "http://127.0.0.1:3000",
        "--origin",
        "http://127.0.0.1:5173",
        "--fail-on",
        "low",
    ]);
    assert_eq!(code, 0, "{v:#}");
    assert!(classes(&v).is_empty());

    let served = serve(
        &mut corsgate(dir.path()),
        &[
            "--allow-origin",
            "https://app.example.com",
            "--allow-origin",
            "https://www.example.com",
        ],
    );
    let url = served.url("/api/users");
    for trusted in [
        vec![],
        vec![
            "--origin",
            "https://app.example.com",
            "--origin",
            "https://www.example.com",
        ],
    ] {
        let mut args = vec![url.as_str(), "--fail-on", "low"];
        args.extend(trusted);
        let (code, v) = scan_json(&args);
        assert_eq!(code, 0, "{v:#}");
        assert!(classes(&v).is_empty(), "{v:#}");
        assert!(v["requests_sent"].as_u64().unwrap() > 100);
    }
}

#[test]
fn human_report_without_progress_or_colour_when_piped() {
    let animals = zoo::start();
    let a = animals.iter().find(|a| a.name == "startswith").unwrap();
    let (code, stdout, stderr) = scan(&trusted_args(a));
    assert_eq!(code, 1);
    assert!(
        stdout.contains(
            "HIGH    prefix-match  Origin: https://app.example.com.corsgate-attacker.com"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("Access-Control-Allow-Credentials: true"),
        "{stdout}"
    );
    assert!(stdout.contains("fix: compare whole origins"), "{stdout}");
    assert!(
        stdout.contains("1 finding (1 high, 0 medium, 0 low, 0 info)"),
        "{stdout}"
    );
    assert!(!stdout.contains('\x1b') && !stderr.contains('\x1b'));
    assert!(
        !stderr.contains('\r') && !stderr.contains("scanning"),
        "{stderr}"
    );

    let a = animals
        .iter()
        .find(|a| a.name == "control-exact-allowlist")
        .unwrap();
    let (code, stdout, _) = scan(&trusted_args(a));
    assert_eq!(code, 0);
    assert!(stdout.contains("no findings:"), "{stdout}");

    // --fail-on: a medium finding fails by default, not with --fail-on high.
    let a = animals.iter().find(|a| a.name == "http-trusted").unwrap();
    assert_eq!(scan(&trusted_args(a)).0, 1);
    let mut args = trusted_args(a);
    args.extend(["--fail-on", "high"]);
    assert_eq!(scan(&args).0, 0);
}

/// Runs the scan on a pseudo-terminal (util-linux `script`) and returns what the terminal got.
fn on_a_terminal(args: &[&str], no_colour: bool) -> String {
    let dir = tempfile::tempdir().unwrap();
    let mut line = format!("{} scan", BIN);
    for a in args {
        line.push_str(&format!(" '{a}'"));
    }
    let mut cmd = std::process::Command::new("script");
    cmd.env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("TERM", "xterm")
        .current_dir(dir.path())
        .args(["-qec", &line, "/dev/null"]);
    if no_colour {
        cmd.env("NO_COLOR", "1");
    }
    let (_, stdout, _) = run(&mut cmd);
    stdout
}

#[test]
fn progress_bar_and_colour_on_a_terminal() {
    let animals = zoo::start();
    let a = animals.iter().find(|a| a.name == "startswith").unwrap();
    let args = trusted_args(a);
    let tty = on_a_terminal(&args, false);
    assert!(
        tty.contains("scanning [") && tty.contains("requests"),
        "{tty}"
    );
    assert!(tty.contains("\x1b[1;31mHIGH"), "{tty}");
    let plain = on_a_terminal(&args, true);
    assert!(plain.contains("scanning ["), "{plain}");
    assert!(!plain.contains("\x1b[1;31m"), "{plain}");
    assert!(plain.contains("HIGH    prefix-match"), "{plain}");
}

#[test]
fn concurrency_is_bounded_and_the_rate_limited() {
    let server = zoo::counting(Duration::from_millis(25));
    let (code, v) = scan_json(&[&server.url, "--origin", zoo::APP, "--concurrency", "3"]);
    assert_eq!(code, 1);
    let sent = v["requests_sent"].as_u64().unwrap() as usize;
    assert_eq!(
        sent,
        server.requests.load(std::sync::atomic::Ordering::SeqCst)
    );
    let max = server
        .max_in_flight
        .load(std::sync::atomic::Ordering::SeqCst);
    assert!((2..=3).contains(&max), "max in flight {max}");

    let server = zoo::counting(Duration::from_millis(0));
    let start = Instant::now();
    let (_, v) = scan_json(&[&server.url, "--origin", zoo::APP, "--rate", "200"]);
    let elapsed = start.elapsed();
    let sent = v["requests_sent"].as_u64().unwrap() as f64;
    assert!(
        elapsed.as_secs_f64() >= (sent - 1.0) / 200.0,
        "{sent} requests in {elapsed:?} at --rate 200"
    );
}

#[test]
fn what_is_sent_cookies_headers_and_real_preflights() {
    let server = support::scripted::start();
    let url = server.url("/api/users");
    let (code, v) = scan_json(&[
        &url,
        "--origin",
        zoo::APP,
        "-H",
        "X-Api-Key: k1",
        "--cookie",
        "session=abc",
    ]);
    assert_eq!(code, 0);
    assert!(classes(&v).is_empty());
    let seen = server.seen();
    assert_eq!(seen.len() as u64, v["requests_sent"].as_u64().unwrap());
    assert!(seen.iter().all(|s| s.header("x-api-key") == Some("k1")));
    assert!(seen.iter().all(|s| s
        .header("user-agent")
        .unwrap()
        .starts_with("corsgate-scan/")));
    let gets: Vec<_> = seen.iter().filter(|s| s.method == "GET").collect();
    let preflights: Vec<_> = seen.iter().filter(|s| s.method == "OPTIONS").collect();
    // One GET without Origin; every other origin both with and without the cookie.
    assert_eq!(
        gets.iter().filter(|s| s.header("origin").is_none()).count(),
        1
    );
    let with_cookie = gets.iter().filter(|s| s.header("cookie").is_some()).count();
    assert!(with_cookie > 40);
    assert_eq!(with_cookie * 2 + 1, gets.len());
    assert!(gets
        .iter()
        .filter_map(|s| s.header("cookie"))
        .all(|c| c == "session=abc"));
    // Real preflights: PUT with Authorization and a custom header, never with a cookie.
    assert_eq!(preflights.len(), with_cookie - 1, "one per probe origin");
    for p in &preflights {
        assert_eq!(p.header("access-control-request-method"), Some("PUT"));
        assert_eq!(
            p.header("access-control-request-headers"),
            Some("authorization,x-corsgate-probe")
        );
        assert!(p.header("cookie").is_none());
    }
    // Every class's probe went out.
    let origins: BTreeSet<&str> = seen.iter().filter_map(|s| s.header("origin")).collect();
    for o in [
        "https://corsgate-attacker.com",
        "null",
        "https://app.example.com.corsgate-attacker.com",
        "https://corsgate-attackerexample.com",
        "https://app.example.co",
        "https://appxexample.com",
        "https://corsgate-probe.example.com.corsgate-attacker.com",
        "https://corsgate-probe.app.example.com",
        "http://app.example.com",
        "https://app.example.com_.corsgate-attacker.com",
        "https://app.example.com`.corsgate-attacker.com",
        "https://corsgate-probe.github.io",
        "http://localhost:3000",
        zoo::APP,
    ] {
        assert!(origins.contains(o), "{o} not sent");
    }
}

#[test]
fn https_with_a_private_ca() {
    let (addr, ca_pem) = zoo::tls_reflecting();
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, ca_pem).unwrap();
    let url = format!("https://{addr}/api/users");
    let (code, v) = scan_json(&[&url, "--origin", zoo::APP, "--cacert", ca.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert_eq!(
        classes(&v),
        BTreeSet::from(["origin-reflection".to_string()])
    );
    // Without the CA: could not scan, never "no findings".
    let (code, stdout, stderr) = scan(&[&url, "--origin", zoo::APP]);
    assert_eq!(code, 2);
    assert!(stdout.is_empty());
    assert!(stderr.contains("error: could not scan"), "{stderr}");
}

#[test]
fn bad_input_is_a_clear_error() {
    for (args, needle) in [
        (vec!["not a url"], "is not a URL"),
        (vec!["ftp://127.0.0.1:1/x"], "not http"),
        (
            vec!["http://127.0.0.1:1/x", "--origin", "*"],
            "--origin * would trust every origin",
        ),
        (
            vec!["http://127.0.0.1:1/x", "--origin", "https://a.example/path"],
            "--origin \"https://a.example/path\"",
        ),
        (
            vec!["http://127.0.0.1:1/x", "--origin", "localhost:3000"],
            "--origin",
        ),
        (
            vec!["http://127.0.0.1:1/x", "-H", "no colon"],
            "-H \"no colon\" is not a header",
        ),
        (
            vec!["http://127.0.0.1:1/x", "-H", "Cookie: a=b"],
            "--cookie",
        ),
        (
            vec!["http://127.0.0.1:1/x", "--concurrency", "0"],
            "--concurrency",
        ),
        (vec!["http://127.0.0.1:1/x", "--rate", "0"], "--rate"),
        (vec!["http://127.0.0.1:1/x", "--timeout=-1"], "--timeout"),
    ] {
        let (code, stdout, stderr) = scan(&args);
        assert_eq!(code, 2, "{args:?}: {stderr}");
        assert!(stdout.is_empty(), "{args:?}");
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
        assert!(stderr.starts_with("error: "), "{args:?}: {stderr}");
    }
    // Nothing listening: could not scan, exit 2.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let (code, _, stderr) = scan(&[&format!("http://127.0.0.1:{port}/x")]);
    assert_eq!(code, 2);
    assert!(stderr.contains("cannot connect"), "{stderr}");
}
