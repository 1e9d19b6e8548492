//! `corsgate check` as a user runs it: real requests to a scripted server (whose headers each
//! case chooses) and to `corsgate serve`, with the verdict, exit code and Chrome's exact message.

mod support;
use serde_json::Value;
use support::cases::{cases, PRE};
use support::scripted::{self, Scripted};
use support::*;

const PAGE: &str = "http://127.0.0.1:8001";

fn check(args: &[&str]) -> (i32, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let (out, stdout, stderr) = run(corsgate(dir.path()).arg("check").args(args));
    (out.status.code().unwrap_or(-1), stdout, stderr)
}

fn check_json(args: &[&str]) -> (i32, Value) {
    let mut all = args.to_vec();
    all.push("--json");
    let (code, stdout, stderr) = check(&all);
    let v = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}\n{stderr}"));
    (code, v)
}

fn kind_word(flags: &[&str]) -> &'static str {
    match flags
        .iter()
        .position(|f| *f == "--initiator")
        .map(|i| flags[i + 1])
    {
        Some("xhr") => "XMLHttpRequest",
        Some("image") => "image",
        Some("script") => "script",
        _ => "fetch",
    }
}

#[test]
fn chromium_156_cases_byte_for_byte() {
    let server = scripted::start();
    let mut failures = Vec::new();
    for (i, case) in cases().iter().enumerate() {
        let url = server.url(&format!("/t?n={i}&{}", case.query));
        let mut args = vec![url.as_str(), "--origin", PAGE];
        args.extend_from_slice(case.flags);
        let (code, v) = check_json(&args);
        match case.expect {
            None => {
                if code != 0 || v["allowed"] != true || !v["error"].is_null() {
                    failures.push(format!(
                        "{}: expected allowed, got exit {code}: {}",
                        case.name, v["error"]
                    ));
                }
            }
            Some((error, detail)) => {
                let message = format!(
                    "Access to {} at '{url}' from origin '{PAGE}' has been blocked by CORS policy: {}{detail}",
                    kind_word(case.flags),
                    if error.starts_with("Preflight") { PRE } else { "" }
                );
                if code != 1
                    || v["allowed"] != false
                    || v["error"]["cors_error"] != error
                    || v["error"]["console_message"] != message.as_str()
                {
                    failures.push(format!(
                        "{}: exit {code}\n  want {error}: {message}\n  got  {}: {}",
                        case.name, v["error"]["cors_error"], v["error"]["console_message"]
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n{}",
        failures.len(),
        cases().len(),
        failures.join("\n")
    );
}

fn redirect_server() -> (Scripted, Scripted) {
    (scripted::start(), scripted::start())
}

#[test]
fn redirects_and_taint() {
    let (first, second) = redirect_server();
    // Another origin lacking ACAO: the message names the final URL and the first one.
    let target = second.url("/t?n=190");
    let start = first.url(&format!(
        "/t?n=19&a_status=302&a_acao=*&a_location={}",
        urlencode(&target)
    ));
    let (code, v) = check_json(&[&start, "--origin", PAGE]);
    assert_eq!(code, 1);
    assert_eq!(
        v["error"]["console_message"],
        format!("Access to fetch at '{target}' (redirected from '{start}') from origin '{PAGE}' has been blocked by CORS policy: No 'Access-Control-Allow-Origin' header is present on the requested resource.")
    );
    assert_eq!(v["redirects"].as_array().unwrap().len(), 1);
    assert_eq!(v["error"]["stage"], "actual");
    // Tainted: the third origin sees Origin: null, and ACAO null is then allowed.
    let target = second.url("/t?a_acao=null");
    let start = first.url(&format!(
        "/t?a_status=302&a_acao=*&a_location={}",
        urlencode(&target)
    ));
    let (code, _) = check_json(&[&start, "--origin", PAGE]);
    assert_eq!(code, 0);
    assert_eq!(second.seen().last().unwrap().header("origin"), Some("null"));
    // Credentials in the Location.
    let start = first.url("/t?a_status=302&a_acao=*&a_location=http://user:pass@127.0.0.1:1/x");
    let (code, v) = check_json(&[&start, "--origin", PAGE]);
    assert_eq!(code, 1);
    assert_eq!(v["error"]["cors_error"], "RedirectContainsCredentials");
    assert!(v["error"]["console_message"].as_str().unwrap().ends_with("Redirect location '' contains a username and password, which is disallowed for cross-origin requests."));
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[test]
fn json_matches_the_spec_shape() {
    let server = scripted::start();
    let url =
        server.url("/api/users?p_acao=http://localhost:3000&p_acam=GET,%20POST&p_server=uvicorn");
    let (code, v) = check_json(&[&url, "--origin", "http://localhost:3000", "-X", "PUT"]);
    assert_eq!(code, 1);
    assert_eq!(v["allowed"], false);
    assert_eq!(v["url"], url);
    assert_eq!(v["origin"], "http://localhost:3000");
    assert_eq!(v["preflight"]["sent"], true);
    assert_eq!(v["preflight"]["status"], 200);
    assert_eq!(
        v["preflight"]["request_headers"]["access-control-request-method"],
        "PUT"
    );
    assert_eq!(
        v["preflight"]["response_headers"]["access-control-allow-methods"],
        "GET, POST"
    );
    assert_eq!(v["actual"]["sent"], false);
    assert!(v["actual"]["status"].is_null());
    assert_eq!(v["redirects"], serde_json::json!([]));
    let e = &v["error"];
    assert_eq!(e["stage"], "preflight");
    assert_eq!(e["cors_error"], "MethodDisallowedByPreflightResponse");
    assert_eq!(e["failed_parameter"], "PUT");
    assert_eq!(e["firefox_code"], "CORSMethodNotFound");
    assert_eq!(
        e["console_message"],
        format!("Access to fetch at '{url}' from origin 'http://localhost:3000' has been blocked by CORS policy: Method PUT is not allowed by Access-Control-Allow-Methods in preflight response.")
    );
    // Recognised as FastAPI from `server: uvicorn`: the fix is the CORSMiddleware line to write.
    assert_eq!(e["server"], "FastAPI/Starlette");
    let fix = e["fix"].as_str().unwrap();
    assert!(
        fix.contains("app.add_middleware(") && fix.contains("CORSMiddleware"),
        "{fix}"
    );
    assert!(fix.contains(r#"allow_methods=["GET", "PUT"]"#), "{fix}");
    assert!(e["cause"].as_str().unwrap().contains("GET, POST"));
    // Only the preflight went out: the browser never sends the actual request.
    assert_eq!(server.seen().len(), 1);
    assert_eq!(server.seen()[0].method, "OPTIONS");
}

#[test]
fn fixes_name_the_recognised_server() {
    let server = scripted::start();
    for (query, name, needle) in [
        ("p_acao=*&p_server=nginx/1.24", "nginx", "add_header 'Access-Control-Allow-Methods' 'GET, PUT' always;"),
        ("p_acao=*&p_header=x-powered-by:Express", "Express", "methods: ['GET', 'PUT']"),
        ("p_acao=*&p_vary=origin,%20access-control-request-method,%20access-control-request-headers", "axum/tower-http", ".allow_methods([Method::GET, Method::PUT])"),
        ("p_acao=*", "unknown server", "Access-Control-Allow-Methods: GET, PUT"),
    ] {
        let url = server.url(&format!("/x?{query}"));
        let (code, v) = check_json(&[&url, "--origin", PAGE, "-X", "PUT"]);
        assert_eq!(code, 1);
        assert_eq!(v["error"]["server"], name, "{query}");
        let fix = v["error"]["fix"].as_str().unwrap();
        assert!(fix.contains(needle), "{name}: {fix}");
    }
}

#[test]
fn against_corsgate_serve() {
    let dir = tempfile::tempdir().unwrap();
    let s = serve(&mut corsgate(dir.path()), &[]);
    let url = s.url("/api/users");
    let (code, stdout, _) = check(&[
        &url,
        "--origin",
        "http://localhost:3000",
        "-X",
        "PUT",
        "-H",
        "Authorization: Bearer x",
        "--credentials",
        "include",
    ]);
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.starts_with("ALLOWED"), "{stdout}");

    let (code, stdout, _) = check(&[
        &url,
        "--origin",
        "http://localhost:3001",
        "-X",
        "PUT",
        "-H",
        "Authorization: Bearer x",
        "--credentials",
        "include",
    ]);
    assert_eq!(code, 1, "{stdout}");
    assert!(stdout.starts_with("BLOCKED by CORS"), "{stdout}");
    let message = format!("Access to fetch at '{url}' from origin 'http://localhost:3001' has been blocked by CORS policy: Response to preflight request doesn't pass access control check: No 'Access-Control-Allow-Origin' header is present on the requested resource.");
    assert!(stdout.contains(&format!("\n  {message}\n")), "{stdout}");
    assert!(
        stdout.contains("DevTools: PreflightMissingAllowOriginHeader"),
        "{stdout}"
    );
    assert!(
        stdout.contains("Firefox:  CORSMissingAllowOrigin"),
        "{stdout}"
    );
    assert!(stdout.contains("Server:   corsgate"), "{stdout}");
    assert!(
        stdout.contains(r#"allow_origins = ["http://localhost:3001"]"#),
        "{stdout}"
    );
    // Not a terminal: no colour codes.
    assert!(!stdout.contains('\x1b'));
}

#[test]
fn cookies_follow_the_credentials_mode() {
    let server = scripted::start();
    let url = server.url("/c?p_acao=http://127.0.0.1:8001&p_acac=true&p_acah=x-a&a_acao=http://127.0.0.1:8001&a_acac=true");
    let (code, _, _) = check(&[
        &url,
        "--origin",
        PAGE,
        "-H",
        "X-A: 1",
        "--credentials",
        "include",
        "--cookie",
        "session=abc",
    ]);
    assert_eq!(code, 0);
    let seen = server.seen();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].method, "OPTIONS");
    assert_eq!(
        seen[0].header("cookie"),
        None,
        "preflights never carry cookies"
    );
    assert_eq!(
        seen[0].header("access-control-request-headers"),
        Some("x-a")
    );
    assert_eq!(seen[1].header("cookie"), Some("session=abc"));
    assert_eq!(seen[1].header("origin"), Some(PAGE));

    let (code, stdout, _) = check(&[
        &server.url("/c?a_acao=*"),
        "--origin",
        PAGE,
        "--cookie",
        "session=abc",
    ]);
    assert_eq!(code, 0);
    assert!(stdout.contains("the cookie is not sent"), "{stdout}");
    assert_eq!(server.seen().last().unwrap().header("cookie"), None);
}

#[test]
fn verbose_shows_every_exchange() {
    let server = scripted::start();
    let url = server.url("/v?p_acao=*&p_acam=PUT&a_acao=*");
    let (code, stdout, _) = check(&[&url, "--origin", PAGE, "-X", "PUT", "-v"]);
    assert_eq!(code, 0);
    assert!(stdout.contains(&format!("> OPTIONS {url}")), "{stdout}");
    assert!(
        stdout.contains("> Access-Control-Request-Method: PUT"),
        "{stdout}"
    );
    assert!(stdout.contains(&format!("> PUT {url}")), "{stdout}");
    assert!(
        stdout.contains("< access-control-allow-methods: PUT"),
        "{stdout}"
    );
}

#[test]
fn could_not_check_is_exit_2_never_a_verdict() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let (code, stdout, stderr) = check(&[&format!("http://{closed}/x"), "--origin", PAGE]);
    assert_eq!(code, 2);
    assert!(stdout.is_empty());
    assert!(
        stderr.contains("cannot connect") && stderr.contains("is the server running?"),
        "{stderr}"
    );
    assert!(!stderr.contains("CORS policy"));

    let server = scripted::start();
    let (code, _, stderr) = check(&[
        &server.url("/slow?a_delay_ms=3000"),
        "--origin",
        PAGE,
        "--timeout",
        "0.3",
    ]);
    assert_eq!(code, 2);
    assert!(stderr.contains("no response"), "{stderr}");

    for (args, needle) in [
        (vec!["not a url", "--origin", PAGE], "is not a valid URL"),
        (
            vec!["http://127.0.0.1:1/x", "--origin", "localhost:3000"],
            "is not an origin",
        ),
        (
            vec!["http://127.0.0.1:1/x", "--origin", PAGE, "-X", "TRACE"],
            "forbidden method",
        ),
        (
            vec!["http://127.0.0.1:1/x", "--origin", PAGE, "-H", "no colon"],
            "-H 'no colon'",
        ),
        (
            vec![
                "http://127.0.0.1:1/x",
                "--origin",
                PAGE,
                "--initiator",
                "image",
                "-X",
                "PUT",
            ],
            "always a GET",
        ),
    ] {
        let (code, _, stderr) = check(&args);
        assert_eq!(code, 2, "{args:?}");
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
        assert!(stderr.contains("fix:"), "{stderr}");
    }
    // fetch() of an unsupported scheme is Chrome's own message, not a network failure.
    let (code, v) = check_json(&["ftp://127.0.0.1:8002/x", "--origin", PAGE]);
    assert_eq!(code, 1);
    assert_eq!(
        v["error"]["console_message"],
        "Fetch API cannot load ftp://127.0.0.1:8002/x. URL scheme \"ftp\" is not supported."
    );
}

/// An https server on loopback whose certificate comes from a CA made for the test.
fn tls_server() -> (std::net::SocketAddr, String) {
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![rcgen::KeyUsagePurpose::KeyCertSign];
    ca_params.distinguished_name = rcgen::DistinguishedName::new();
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "corsgate test CA");
    let ca = rcgen::CertifiedIssuer::self_signed(ca_params, rcgen::KeyPair::generate().unwrap())
        .unwrap();
    let key = rcgen::KeyPair::generate().unwrap();
    let mut leaf = rcgen::CertificateParams::new(vec!["127.0.0.1".to_string()]).unwrap();
    leaf.distinguished_name = rcgen::DistinguishedName::new();
    leaf.distinguished_name
        .push(rcgen::DnType::CommonName, "corsgate test server");
    let cert = leaf.signed_by(&key, &ca).unwrap();
    let config = rustls::ServerConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(
        vec![cert.der().clone()],
        rustls_pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
    )
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(std::sync::Arc::new(config));
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(listener.local_addr().unwrap()).unwrap();
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    continue;
                };
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    let Ok(tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let svc = hyper::service::service_fn(|_req| async {
                        Ok::<_, std::convert::Infallible>(
                            http::Response::builder()
                                .header("access-control-allow-origin", "*")
                                .body(http_body_util::Full::new(bytes::Bytes::from_static(b"ok")))
                                .unwrap(),
                        )
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(hyper_util::rt::TokioIo::new(tls), svc)
                        .await;
                });
            }
        });
    });
    (rx.recv().unwrap(), ca.pem())
}

#[test]
fn https_with_a_private_ca_and_tls_errors() {
    let (addr, ca_pem) = tls_server();
    let dir = tempfile::tempdir().unwrap();
    let ca_file = dir.path().join("ca.pem");
    std::fs::write(&ca_file, ca_pem).unwrap();
    let ca = ca_file.to_str().unwrap();
    let url = format!("https://{addr}/x");

    let (code, v) = check_json(&[&url, "--origin", PAGE, "--cacert", ca]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["allowed"], true);

    // Without the CA the certificate is untrusted: could not check, never a CORS verdict.
    let (code, stdout, stderr) = check(&[&url, "--origin", PAGE]);
    assert_eq!(code, 2);
    assert!(stdout.is_empty());
    assert!(
        stderr.contains("TLS error") && stderr.contains("--cacert"),
        "{stderr}"
    );

    // https to a port that speaks plain HTTP.
    let plain = scripted::start();
    let (code, _, stderr) = check(&[&format!("https://{}/x", plain.addr), "--origin", PAGE]);
    assert_eq!(code, 2);
    assert!(stderr.contains("TLS error"), "{stderr}");

    let (code, _, stderr) = check(&[&url, "--origin", PAGE, "--cacert", "/nonexistent/ca.pem"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("cannot read CA certificates"), "{stderr}");
}
