//! A zoo of CORS servers on loopback for `corsgate scan`: each one makes one classic mistake
//! (as hand-written origin checks and misused middleware do), plus correct controls, one of
//! them corsgate's own layer. Every server answers any path.
#![allow(dead_code)]

use axum::body::Body;
use axum::extract::Request;
use axum::response::Response;
use http::{HeaderValue, StatusCode};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// The site every zoo server means to serve.
pub const APP: &str = "https://app.example.com";
pub const WWW: &str = "https://www.example.com";

/// What the handler sees of a request.
pub struct Seen<'a> {
    pub origin: Option<&'a str>,
    pub cookie: bool,
    pub preflight: bool,
}

/// What a zoo server answers; the generic handler turns it into headers. An allowed preflight
/// also gets `Access-Control-Allow-Methods: GET, POST, PUT, DELETE, PATCH` and the requested
/// headers mirrored.
#[derive(Clone, Debug, Default)]
pub struct Answer {
    pub acao: Option<String>,
    pub acac: bool,
    pub vary: bool,
}

impl Answer {
    pub fn reflect(origin: &str, credentials: bool) -> Answer {
        Answer {
            acao: Some(origin.to_string()),
            acac: credentials,
            vary: true,
        }
    }

    pub fn none() -> Answer {
        Answer {
            vary: true,
            ..Answer::default()
        }
    }
}

type Handler = Arc<dyn Fn(&Seen<'_>) -> Answer + Send + Sync>;

/// One zoo server: the mistake it makes, what to tell `corsgate scan`, what it must report.
pub struct Animal {
    pub name: &'static str,
    pub mistake: &'static str,
    /// `--origin` values: what the site means to allow.
    pub trusted: Vec<&'static str>,
    /// The finding classes the scan must report, and nothing else.
    pub expect: Vec<&'static str>,
    pub url: String,
}

/// An allowlist check: reflect with credentials when `ok`, nothing otherwise.
fn allow(ok: impl Fn(&str) -> bool + Send + Sync + 'static) -> Handler {
    Arc::new(move |s: &Seen<'_>| match s.origin {
        Some(o) if ok(o) => Answer::reflect(o, true),
        _ => Answer::none(),
    })
}

/// `scheme://host` as a sloppy hand-written parser reads it: the host stops at the first
/// character that is not a letter, digit, '.', '-' or ':'.
fn loose_host(origin: &str) -> Option<(&str, &str)> {
    let (scheme, rest) = origin.split_once("://")?;
    let end = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':')))
        .unwrap_or(rest.len());
    Some((scheme, &rest[..end]))
}

fn regex(re: &str) -> regex::Regex {
    regex::Regex::new(re).expect("zoo regex")
}

struct Spec {
    name: &'static str,
    mistake: &'static str,
    trusted: Vec<&'static str>,
    expect: Vec<&'static str>,
    handler: Option<Handler>,
}

fn specs() -> Vec<Spec> {
    let app = || vec![APP];
    let mut z = Vec::new();
    let mut add = |name, mistake, trusted, expect: &[&'static str], handler: Handler| {
        z.push(Spec {
            name,
            mistake,
            trusted,
            expect: expect.to_vec(),
            handler: Some(handler),
        })
    };
    add(
        "reflect-any-credentials",
        "copies any Origin into ACAO, with credentials",
        app(),
        &["origin-reflection"],
        allow(|_| true),
    );
    add(
        "reflect-any-no-credentials",
        "copies any Origin into ACAO, without credentials",
        app(),
        &["origin-reflection"],
        Arc::new(|s: &Seen<'_>| match s.origin {
            Some(o) => Answer::reflect(o, false),
            None => Answer::none(),
        }),
    );
    add(
        "null-allowed",
        "allowlist [app, \"null\"]",
        app(),
        &["null-origin"],
        allow(|o| o == APP || o == "null"),
    );
    add(
        "startswith",
        "origin.startswith(\"https://app.example.com\")",
        app(),
        &["prefix-match"],
        allow(|o| o.starts_with(APP)),
    );
    let suffix = regex(r"^https://.*example\.com$");
    add(
        "endswith",
        "regex ^https://.*example\\.com$ (any name ending in example.com)",
        app(),
        &["suffix-match"],
        allow(move |o| suffix.is_match(o)),
    );
    add(
        "substring",
        "origin in \"https://app.example.com,https://www.example.com\" (a string, not a list)",
        vec![APP, WWW],
        &["substring-match"],
        allow(|o| !o.is_empty() && "https://app.example.com,https://www.example.com".contains(o)),
    );
    let dot = regex(r"^https://app.example\.com$");
    add(
        "unescaped-dot",
        "regex ^https://app.example\\.com$ (first dot unescaped)",
        app(),
        &["unescaped-dot"],
        allow(move |o| dot.is_match(o)),
    );
    let unanchored = regex(r"^https://([a-z0-9-]+\.)*example\.com");
    add(
        "unanchored-regex",
        "regex ^https://([a-z0-9-]+\\.)*example\\.com without $ (subdomains meant)",
        vec![APP, "https://*.example.com"],
        &["unanchored-regex"],
        allow(move |o| unanchored.is_match(o)),
    );
    let search = regex(r"example\.com");
    add(
        "regex-search",
        "regex example\\.com searched anywhere (Kong/Traefik style unanchored match)",
        app(),
        &["unanchored-regex", "suffix-match", "http-origin-trusted"],
        allow(move |o| search.is_match(o)),
    );
    let no_caret = regex(r"app\.example\.com$");
    add(
        "regex-no-caret",
        "regex app\\.example\\.com$ searched (no ^, no scheme): any name ending in app.example.com, any scheme",
        app(),
        &["any-subdomain", "http-origin-trusted"],
        allow(move |o| no_caret.is_match(o)),
    );
    add(
        "startswith-localhost",
        "development check origin.startswith(\"http://localhost\"), trusted http://localhost:3000",
        vec!["http://localhost:3000"],
        &["prefix-match", "localhost-origin"],
        allow(|o| o.starts_with("http://localhost")),
    );
    add(
        "any-subdomain",
        "origin.endswith(\".example.com\") over https",
        app(),
        &["any-subdomain"],
        allow(|o| o.starts_with("https://") && o.ends_with(".example.com")),
    );
    add(
        "http-trusted",
        "allowlist [https://app.example.com, http://app.example.com]",
        app(),
        &["http-origin-trusted"],
        allow(|o| o == APP || o == "http://app.example.com"),
    );
    add(
        "special-char",
        "hand-parsed host compared with app.example.com (the parser stops at '_', '`', '%', ...)",
        app(),
        &["special-char-bypass"],
        allow(|o| loose_host(o) == Some(("https", "app.example.com"))),
    );
    add(
        "third-party",
        "allowlist [app] plus any https://*.github.io",
        app(),
        &["third-party-origin"],
        allow(|o| o == APP || (o.starts_with("https://") && o.ends_with(".github.io"))),
    );
    add(
        "localhost-in-production",
        "allowlist [app, http://localhost:3000] in production",
        app(),
        &["localhost-origin"],
        allow(|o| o == APP || o == "http://localhost:3000"),
    );
    add(
        "wildcard-credentials",
        "ACAO * with ACAC true on every response",
        app(),
        &["wildcard-with-credentials"],
        Arc::new(|_: &Seen<'_>| Answer {
            acao: Some("*".into()),
            acac: true,
            vary: false,
        }),
    );
    add(
        "starlette-cookie-gated",
        "Starlette before 2026 with allow_origins=[\"*\"], allow_credentials=True: * + ACAC, but the origin reflected when a Cookie is present",
        app(),
        &["origin-reflection", "wildcard-with-credentials"],
        Arc::new(|s: &Seen<'_>| match s.origin {
            Some(o) if s.cookie || s.preflight => Answer::reflect(o, true),
            _ => Answer {
                acao: Some("*".into()),
                acac: true,
                vary: false,
            },
        }),
    );
    add(
        "preflight-only",
        "preflights reflect any origin (with credentials and PUT/DELETE/PATCH); actual responses use the allowlist",
        app(),
        &["preflight-reflection"],
        Arc::new(|s: &Seen<'_>| match s.origin {
            Some(o) if s.preflight || o == APP => Answer::reflect(o, true),
            _ => Answer::none(),
        }),
    );
    add(
        "missing-vary",
        "allowlist [app, www] reflected without Vary: Origin",
        vec![APP, WWW],
        &["missing-vary"],
        Arc::new(|s: &Seen<'_>| match s.origin {
            Some(o) if o == APP || o == WWW => Answer {
                vary: false,
                ..Answer::reflect(o, true)
            },
            _ => Answer::default(),
        }),
    );
    add(
        "wildcard-public",
        "ACAO * without credentials (a public API: reported as info)",
        app(),
        &["wildcard-public"],
        Arc::new(|_: &Seen<'_>| Answer {
            acao: Some("*".into()),
            acac: false,
            vary: false,
        }),
    );

    // Correct controls: nothing to report.
    add(
        "control-exact-allowlist",
        "exact allowlist in a set, Vary: Origin, preflights rejected for others",
        vec![APP, WWW],
        &[],
        allow(|o| o == APP || o == WWW),
    );
    let anchored = regex(r"^https://([a-z0-9-]+\.)*example\.com$");
    add(
        "control-anchored-regex",
        "regex ^https://([a-z0-9-]+\\.)*example\\.com$, subdomains meant",
        vec![APP, "https://*.example.com"],
        &[],
        allow(move |o| anchored.is_match(o)),
    );
    add(
        "control-static-origin",
        "one fixed ACAO for every response (needs no Vary)",
        app(),
        &[],
        Arc::new(|_: &Seen<'_>| Answer {
            acao: Some(APP.into()),
            acac: true,
            vary: false,
        }),
    );
    add(
        "control-no-cors",
        "no CORS headers at all",
        app(),
        &[],
        Arc::new(|_: &Seen<'_>| Answer::default()),
    );
    add(
        "control-starlette-allowlist",
        "Starlette with an allowlist: ACAC on every response, ACAO only for allowed origins; rejected preflights get 400 with ACAM/ACAH but no ACAO",
        app(),
        &[],
        Arc::new(|s: &Seen<'_>| match s.origin {
            Some(o) if o == APP => Answer::reflect(o, true),
            _ => Answer {
                acao: None,
                acac: true,
                vary: false,
            },
        }),
    );
    z.push(Spec {
        name: "control-corsgate-layer",
        mistake:
            "corsgate::CorsLayer, allow_origins [app, www], credentials, methods and headers *",
        trusted: vec![APP, WWW],
        expect: vec![],
        handler: None,
    });
    z.push(Spec {
        name: "control-corsgate-layer-subdomains",
        mistake: "corsgate::CorsLayer, allow_origins [https://*.example.com], credentials",
        trusted: vec!["https://*.example.com"],
        expect: vec![],
        handler: None,
    });
    z
}

/// A real corsgate layer around a plain route.
fn corsgate_app(origins: &[&str]) -> axum::Router {
    let policy = corsgate::CorsOptions {
        allow_origins: origins.iter().map(|s| s.to_string()).collect(),
        allow_methods: vec!["*".into()],
        allow_headers: vec!["*".into()],
        allow_credentials: true,
        ..corsgate::CorsOptions::default()
    }
    .build()
    .expect("zoo policy");
    axum::Router::new()
        .fallback(|| async { "[{\"name\":\"Alice\"}]" })
        .layer(corsgate::CorsLayer::new(policy))
}

async fn respond(req: Request, handler: Handler) -> Response {
    let header = |n: &str| req.headers().get(n).and_then(|v| v.to_str().ok());
    let preflight = req.method() == http::Method::OPTIONS
        && req.headers().contains_key("access-control-request-method");
    let seen = Seen {
        origin: header("origin"),
        cookie: req.headers().contains_key("cookie"),
        preflight,
    };
    let answer = handler(&seen);
    let acrh = header("access-control-request-headers").map(String::from);
    let mut resp = Response::new(Body::from(if preflight {
        ""
    } else {
        "[{\"name\":\"Alice\"}]"
    }));
    if preflight {
        *resp.status_mut() = if answer.acao.is_some() {
            StatusCode::NO_CONTENT
        } else {
            StatusCode::FORBIDDEN
        };
    }
    let h = resp.headers_mut();
    let set = |h: &mut http::HeaderMap, name: &'static str, value: &str| {
        // Zoo answers only hold what the scanner sent (valid header values) or constants.
        if let Ok(v) = HeaderValue::from_str(value) {
            h.insert(name, v);
        }
    };
    if let Some(acao) = &answer.acao {
        set(h, "access-control-allow-origin", acao);
        if preflight {
            set(
                h,
                "access-control-allow-methods",
                "GET, POST, PUT, DELETE, PATCH",
            );
            if let Some(acrh) = &acrh {
                set(h, "access-control-allow-headers", acrh);
            }
        }
    }
    if answer.acac {
        set(h, "access-control-allow-credentials", "true");
    }
    if answer.vary {
        set(h, "vary", "Origin");
    }
    resp
}

/// Starts every zoo server on its own loopback port (one background runtime); returns them
/// with their URLs.
pub fn start() -> Vec<Animal> {
    let specs = specs();
    let (tx, rx) = std::sync::mpsc::channel();
    let servers: Vec<(Option<Handler>, &'static str)> =
        specs.iter().map(|s| (s.handler.clone(), s.name)).collect();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("zoo runtime");
        rt.block_on(async move {
            let mut addrs = Vec::new();
            for (handler, name) in servers {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                    .await
                    .expect("bind");
                addrs.push(listener.local_addr().expect("addr"));
                let app = match handler {
                    Some(handler) => axum::Router::new().fallback(move |req: Request| {
                        let handler = handler.clone();
                        async move { respond(req, handler).await }
                    }),
                    None if name == "control-corsgate-layer-subdomains" => {
                        corsgate_app(&["https://*.example.com"])
                    }
                    None => corsgate_app(&[APP, WWW]),
                };
                tokio::spawn(async move {
                    let _ = axum::serve(listener, app).await;
                });
            }
            tx.send(addrs).expect("send addrs");
            std::future::pending::<()>().await;
        });
    });
    let addrs: Vec<SocketAddr> = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("zoo started");
    specs
        .into_iter()
        .zip(addrs)
        .map(|(s, addr)| Animal {
            name: s.name,
            mistake: s.mistake,
            trusted: s.trusted,
            expect: s.expect,
            url: format!("http://{addr}/api/users"),
        })
        .collect()
}

/// A server that counts requests and how many were in flight at once (each takes `delay`),
/// and reflects any origin.
pub struct Counting {
    pub url: String,
    pub requests: Arc<AtomicUsize>,
    pub max_in_flight: Arc<AtomicUsize>,
}

pub fn counting(delay: Duration) -> Counting {
    let requests = Arc::new(AtomicUsize::new(0));
    let max_in_flight = Arc::new(AtomicUsize::new(0));
    let in_flight = Arc::new(AtomicUsize::new(0));
    let (r, m) = (requests.clone(), max_in_flight.clone());
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind");
            tx.send(listener.local_addr().expect("addr")).expect("send");
            let handler = allow(|_| true);
            let app = axum::Router::new().fallback(move |req: Request| {
                let (r, m, f, handler) = (r.clone(), m.clone(), in_flight.clone(), handler.clone());
                async move {
                    r.fetch_add(1, Ordering::SeqCst);
                    let now = f.fetch_add(1, Ordering::SeqCst) + 1;
                    m.fetch_max(now, Ordering::SeqCst);
                    tokio::time::sleep(delay).await;
                    f.fetch_sub(1, Ordering::SeqCst);
                    respond(req, handler).await
                }
            });
            let _ = axum::serve(listener, app).await;
        });
    });
    let addr = rx.recv_timeout(Duration::from_secs(30)).expect("started");
    Counting {
        url: format!("http://{addr}/api/users"),
        requests,
        max_in_flight,
    }
}

/// An https server on loopback that reflects any origin with credentials; its certificate comes
/// from a CA made for the test (returned as PEM).
pub fn tls_reflecting() -> (SocketAddr, String) {
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("ca params");
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![rcgen::KeyUsagePurpose::KeyCertSign];
    ca_params.distinguished_name = rcgen::DistinguishedName::new();
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "corsgate scan test CA");
    let ca =
        rcgen::CertifiedIssuer::self_signed(ca_params, rcgen::KeyPair::generate().expect("key"))
            .expect("ca");
    let key = rcgen::KeyPair::generate().expect("key");
    let mut leaf = rcgen::CertificateParams::new(vec!["127.0.0.1".to_string()]).expect("leaf");
    leaf.distinguished_name = rcgen::DistinguishedName::new();
    let cert = leaf.signed_by(&key, &ca).expect("signed");
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("tls versions")
    .with_no_client_auth()
    .with_single_cert(
        vec![cert.der().clone()],
        rustls_pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
    )
    .expect("tls config");
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind");
            tx.send(listener.local_addr().expect("addr")).expect("send");
            let handler = allow(|_| true);
            let app = axum::Router::new().fallback(move |req: Request| {
                let handler = handler.clone();
                async move { respond(req, handler).await }
            });
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    continue;
                };
                let (acceptor, app) = (acceptor.clone(), app.clone());
                tokio::spawn(async move {
                    let Ok(tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let svc = hyper_util::service::TowerToHyperService::new(app);
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(hyper_util::rt::TokioIo::new(tls), svc)
                        .await;
                });
            }
        });
    });
    let addr = rx.recv_timeout(Duration::from_secs(30)).expect("started");
    (addr, ca.pem())
}
