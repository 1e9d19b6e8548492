//! `corsgate scan`: probes a live URL for CORS misconfigurations with crafted origins, with and
//! without a cookie, and with real preflights; reports each mistake with its class, severity,
//! evidence and fix. What the site trusts on purpose (`--origin`) is never reported.

mod classify;
mod probes;

use crate::client;
use bytes::Bytes;
use clap::{Args, ValueEnum};
use classify::{
    Baseline, Finding, Observed, ProbeResult, FOLLOW_UP_METHODS, PREFLIGHT_HEADERS,
    PREFLIGHT_METHOD,
};
use corsgate::CorsOptions;
use http::{HeaderMap, HeaderName, HeaderValue, Method, Request};
use http_body_util::{BodyExt, Empty, Limited};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use probes::{Probe, Trusted};
use serde_json::json;
use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Args, Debug)]
pub struct ScanArgs {
    /// The URL to scan (an API endpoint that answers GET).
    url: String,
    /// An origin the site is meant to allow (repeatable): exact, `https://*.example.com` or
    /// `http://localhost:*`. Probes are built from these and they are never reported. Default:
    /// the URL's own origin.
    #[arg(long = "origin", value_name = "TRUSTED")]
    origins: Vec<String>,
    /// A header sent with every request, 'Name: value' (repeatable), e.g. an API key.
    #[arg(short = 'H', long = "header", value_name = "HEADER")]
    headers: Vec<String>,
    /// The Cookie sent with the credentialed probes (default: a dummy `corsgate_scan=1`; some
    /// servers reflect any origin as soon as any cookie is present).
    #[arg(long, value_name = "COOKIE")]
    cookie: Option<String>,
    /// Print one JSON object instead of the report.
    #[arg(long)]
    json: bool,
    /// Exit 1 when a finding at this severity or above is found.
    #[arg(long, value_enum, value_name = "LEVEL", default_value = "medium")]
    fail_on: FailOn,
    /// Requests in flight at once.
    #[arg(long, value_name = "N", default_value_t = 8)]
    concurrency: usize,
    /// Requests per second at most (default: no limit).
    #[arg(long, value_name = "R")]
    rate: Option<f64>,
    /// Seconds to wait for each response.
    #[arg(long, value_name = "SECONDS", default_value_t = 10.0)]
    timeout: f64,
    /// Also trust the CA certificates in this PEM file for https URLs (a private CA).
    #[arg(long, value_name = "FILE")]
    cacert: Option<std::path::PathBuf>,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum FailOn {
    High,
    Medium,
    Low,
}

/// How bad a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
        }
    }
}

/// The classes of misconfiguration, in report order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Class {
    OriginReflection,
    PreflightReflection,
    WildcardWithCredentials,
    NullOrigin,
    PrefixMatch,
    SuffixMatch,
    SubstringMatch,
    UnescapedDot,
    UnanchoredRegex,
    SpecialCharBypass,
    ThirdPartyOrigin,
    AnySubdomain,
    HttpOriginTrusted,
    LocalhostOrigin,
    MissingVary,
    WildcardPublic,
}

impl Class {
    pub fn name(self) -> &'static str {
        match self {
            Class::OriginReflection => "origin-reflection",
            Class::PreflightReflection => "preflight-reflection",
            Class::WildcardWithCredentials => "wildcard-with-credentials",
            Class::NullOrigin => "null-origin",
            Class::PrefixMatch => "prefix-match",
            Class::SuffixMatch => "suffix-match",
            Class::SubstringMatch => "substring-match",
            Class::UnescapedDot => "unescaped-dot",
            Class::UnanchoredRegex => "unanchored-regex",
            Class::SpecialCharBypass => "special-char-bypass",
            Class::ThirdPartyOrigin => "third-party-origin",
            Class::AnySubdomain => "any-subdomain",
            Class::HttpOriginTrusted => "http-origin-trusted",
            Class::LocalhostOrigin => "localhost-origin",
            Class::MissingVary => "missing-vary",
            Class::WildcardPublic => "wildcard-public",
        }
    }

    /// What the mistake lets an attacker do.
    pub fn what(self) -> &'static str {
        match self {
            Class::OriginReflection => "the server copies any Origin into Access-Control-Allow-Origin: any website can read these responses",
            Class::PreflightReflection => "preflights from any origin are allowed although actual responses are not: the browser sends the PUT/DELETE/PATCH (with the user's cookies when credentials are allowed), so any site can make state-changing requests",
            Class::WildcardWithCredentials => "Access-Control-Allow-Origin: * together with Access-Control-Allow-Credentials: true; browsers refuse credentialed reads with *, so this was meant as 'every site, with cookies' (such servers often reflect the origin once a cookie arrives; the scan sends one)",
            Class::NullOrigin => "Origin: null is allowed; any site can send it from a sandboxed iframe (<iframe sandbox=\"allow-scripts\" srcdoc=...>), a data: or file: page, or after a cross-site redirect",
            Class::PrefixMatch => "the check accepts any origin that starts with a trusted one (startswith, or a regex without $): an attacker registers app.example.com.attacker.com",
            Class::SuffixMatch => "the check accepts any origin that ends with the trusted domain (endswith): an attacker registers attackerexample.com",
            Class::SubstringMatch => "the check accepts any origin contained in the allowlist string (`origin in \"https://a.com,https://b.com\"` on a string, not a list): a shortened origin passes",
            Class::UnescapedDot => "a regex has an unescaped '.', which matches any character: a look-alike name with the dot replaced passes",
            Class::UnanchoredRegex => "the trusted domain's pattern is not anchored at the end: anything may follow it (x.example.com.attacker.com passes)",
            Class::SpecialCharBypass => "the check extracts the host with a loose parser: app.example.com_.attacker.com (and `, $, !, ... in Safari) is taken for the trusted host",
            Class::ThirdPartyOrigin => "an origin on a shared hosting or sandbox platform is trusted; anyone can publish a page there",
            Class::AnySubdomain => "every subdomain is trusted: one XSS or dangling DNS record (subdomain takeover) on any of them reaches this API",
            Class::HttpOriginTrusted => "the plain-http twin of a trusted https origin is trusted: anyone on the user's network (public Wi-Fi) can inject a page there and read the https API",
            Class::LocalhostOrigin => "local development origins are trusted: any program serving a page on the user's machine (another dev server, a malicious package) can call the API",
            Class::MissingVary => "Access-Control-Allow-Origin depends on the request's Origin but the response has no Vary: Origin; a browser or shared cache can serve one origin's answer to another",
            Class::WildcardPublic => "any site can read these responses, without cookies: fine for public data, wrong for an intranet or IP-restricted service",
        }
    }

    pub fn fix(self) -> &'static str {
        match self {
            Class::OriginReflection => "compare the Origin with an exact allowlist and reflect only those (corsgate: allow_origins = [\"https://app.example.com\"]; Starlette: allow_origins=[...], never \"*\" with allow_credentials=True)",
            Class::PreflightReflection => "answer preflights from the same allowlist as actual requests; reject a preflight from an untrusted origin (403, no Access-Control-Allow-* headers)",
            Class::WildcardWithCredentials => "list the trusted origins, or turn credentials off if the endpoint is public",
            Class::NullOrigin => "remove null from the allowlist (corsgate: allow_null_origin = false); never allow it with credentials",
            Class::PrefixMatch => "compare whole origins for equality; anchor a regex at both ends (^...$, Python's re.fullmatch)",
            Class::SuffixMatch => "match exact origins, or subdomains with the dot and scheme included: corsgate's https://*.example.com, or ^https://([a-z0-9-]+\\.)*example\\.com$",
            Class::SubstringMatch => "keep the allowlist as a list or set and test membership of the whole origin",
            Class::UnescapedDot => "escape every literal dot in the regex (\\.), or list exact origins",
            Class::UnanchoredRegex => "anchor the regex at both ends and use a full match: ^https://([a-z0-9-]+\\.)*example\\.com$ (corsgate's allow_origin_regex and Starlette's allow_origin_regex anchor for you)",
            Class::SpecialCharBypass => "compare the whole Origin string with the allowlist instead of extracting its host by hand",
            Class::ThirdPartyOrigin => "trust only your own origins; on a shared platform list your exact site (https://you.github.io), never the platform's wildcard",
            Class::AnySubdomain => "list the subdomains that need access; if every subdomain is meant, say so with --origin 'https://*.example.com' and the scan stops reporting it",
            Class::HttpOriginTrusted => "trust only https:// origins in production",
            Class::LocalhostOrigin => "allow localhost origins in development only (corsgate: keep them out of [profile.production]); say --origin http://localhost:3000 when it is meant",
            Class::MissingVary => "add Vary: Origin to every response whose CORS headers depend on the origin (corsgate does this itself)",
            Class::WildcardPublic => "nothing, if the endpoint is public; otherwise list the origins that may read it",
        }
    }
}

/// The cookie sent when `--cookie` is not given.
const DEFAULT_COOKIE: &str = "corsgate_scan=1";

pub fn run(args: ScanArgs) -> ExitCode {
    match prepare(&args) {
        Ok(plan) => execute(&args, plan),
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

/// Everything decided before the first request.
struct Plan {
    url: String,
    trusted: Vec<String>,
    trusted_concrete: Vec<Trusted>,
    probes: Vec<Probe>,
    headers: Vec<(HeaderName, HeaderValue)>,
    cookie: HeaderValue,
    timeout: Duration,
    connector: client::Connector,
}

fn prepare(args: &ScanArgs) -> Result<Plan, String> {
    let url = url::Url::parse(&args.url).map_err(|e| {
        format!(
            "{:?} is not a URL ({e})\n  fix: write the full URL, e.g. http://127.0.0.1:8000/api/users",
            args.url
        )
    })?;
    match url.scheme() {
        "http" | "https" => {}
        other => {
            return Err(format!(
                "{} uses {other}:, not http\n  fix: give an http:// URL",
                args.url
            ))
        }
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(format!("{} has no host", args.url));
    }
    if !(args.timeout.is_finite() && args.timeout > 0.0) {
        return Err("--timeout must be a positive number of seconds".to_string());
    }
    if args.concurrency == 0 {
        return Err("--concurrency must be at least 1".to_string());
    }
    if let Some(r) = args.rate {
        if !(r.is_finite() && r > 0.0) {
            return Err("--rate must be a positive number of requests per second".to_string());
        }
    }

    let mut headers = Vec::new();
    for h in &args.headers {
        let (n, v) = h
            .split_once(':')
            .filter(|(n, _)| !n.trim().is_empty())
            .ok_or_else(|| {
                format!("-H {h:?} is not a header\n  fix: write it as -H 'Name: value'")
            })?;
        let name = HeaderName::from_bytes(n.trim().as_bytes())
            .map_err(|_| format!("-H {h:?}: {:?} is not a header name", n.trim()))?;
        if matches!(name.as_str(), "origin" | "cookie")
            || name.as_str().starts_with("access-control-request-")
        {
            return Err(format!(
                "-H {h:?}: the scan sets {} itself\n  fix: {}",
                name.as_str(),
                if name == "cookie" {
                    "give the cookie with --cookie; the scan sends it on the credentialed probes only"
                } else {
                    "leave it out; say what the site trusts with --origin"
                }
            ));
        }
        let value = HeaderValue::from_str(v.trim())
            .map_err(|_| format!("-H {h:?}: the value is not a valid header value"))?;
        headers.push((name, value));
    }
    let cookie_text = args.cookie.as_deref().unwrap_or(DEFAULT_COOKIE);
    let cookie = HeaderValue::from_str(cookie_text)
        .map_err(|_| format!("--cookie {cookie_text:?} is not a valid header value"))?;

    // The trusted set, validated by the engine: the same syntax and errors as allow_origins.
    let own = url.origin().ascii_serialization();
    let given: Vec<String> = if args.origins.is_empty() {
        vec![own]
    } else {
        args.origins.clone()
    };
    if given.iter().any(|o| o.trim() == "*") {
        return Err(
            "--origin * would trust every origin, leaving nothing to find\n  fix: give the origins the site is meant to allow, e.g. --origin https://app.example.com"
                .to_string(),
        );
    }
    let null = given.iter().any(|o| o.trim() == "null");
    let options = CorsOptions {
        allow_origins: given
            .iter()
            .filter(|o| o.trim() != "null")
            .cloned()
            .collect(),
        allow_null_origin: null,
        ..CorsOptions::default()
    };
    let policy = options.build().map_err(|errors| {
        errors
            .0
            .iter()
            .map(|e| format!("--origin {:?}: {}\n  fix: {}", e.value, e.problem, e.fix))
            .collect::<Vec<_>>()
            .join("\nerror: ")
    })?;
    for w in policy.warnings() {
        if w.option == "allow_origins" {
            eprintln!("warning: --origin {:?}: {}", w.value, w.message);
        }
    }
    let mut trusted: Vec<String> = policy
        .exact_origins()
        .chain(policy.origin_patterns())
        .map(String::from)
        .collect();
    if null {
        trusted.push("null".to_string());
    }
    let trusted_concrete: Vec<Trusted> = policy
        .exact_origins()
        .filter_map(Trusted::parse)
        .chain(policy.origin_patterns().filter_map(Trusted::from_pattern))
        .collect();
    let is_trusted = |origin: &str| {
        let mut h = HeaderMap::new();
        match HeaderValue::from_str(origin) {
            Ok(v) => {
                h.insert(http::header::ORIGIN, v);
                policy.decide(&Method::GET, &h).is_allowed()
            }
            Err(_) => false,
        }
    };
    let probes: Vec<Probe> = probes::probes(&trusted_concrete)
        .into_iter()
        .filter(|p| !is_trusted(&p.origin) && !trusted.contains(&p.origin))
        .collect();
    Ok(Plan {
        url: url.to_string(),
        trusted,
        trusted_concrete,
        probes,
        headers,
        cookie,
        timeout: Duration::from_secs_f64(args.timeout),
        connector: client::https_connector(args.cacert.as_deref())?,
    })
}

fn execute(args: &ScanArgs, plan: Plan) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    let progress = Progress::new(std::io::stderr().is_terminal());
    let sender = Arc::new(Sender {
        client: Client::builder(TokioExecutor::new()).build(plan.connector.clone()),
        url: plan.url.clone(),
        headers: plan.headers.clone(),
        cookie: plan.cookie.clone(),
        timeout: plan.timeout,
        gate: tokio::sync::Semaphore::new(args.concurrency),
        rate: args.rate.map(|r| RateLimit {
            interval: Duration::from_secs_f64(1.0 / r),
            next: Mutex::new(None),
        }),
        sent: AtomicUsize::new(0),
        failed: AtomicUsize::new(0),
        progress,
    });
    let outcome = runtime.block_on(scan(sender.clone(), &plan));
    sender.progress.finish();
    let (baseline, results) = match outcome {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: could not scan {}: {e}", plan.url);
            return ExitCode::from(2);
        }
    };
    let sent = sender.sent.load(Ordering::Relaxed);
    let failed = sender.failed.load(Ordering::Relaxed);
    let findings = classify::classify(&baseline, &results);
    if args.json {
        let value = json!({
            "url": plan.url,
            "trusted": plan.trusted,
            "findings": findings.iter().map(|f| json!({
                "class": f.class.name(),
                "severity": f.severity.as_str(),
                "origin_sent": f.origin_sent,
                "evidence": f.evidence,
                "what": f.class.what(),
                "fix": f.class.fix(),
            })).collect::<Vec<_>>(),
            "requests_sent": sent,
            "requests_failed": failed,
            "probe_origins": plan.probes.len(),
        });
        println!(
            "{}",
            serde_json::to_string_pretty(&value).unwrap_or_default()
        );
    } else {
        print!("{}", report(&plan, &findings, sent, failed, colour()));
    }
    if failed > 0 {
        eprintln!(
            "warning: {failed} of {sent} requests failed (timeout or connection error); findings may be incomplete"
        );
    }
    let threshold = match args.fail_on {
        FailOn::High => Severity::High,
        FailOn::Medium => Severity::Medium,
        FailOn::Low => Severity::Low,
    };
    if findings.iter().any(|f| f.severity >= threshold) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// Sends everything: a GET without Origin first (it must answer, or there is nothing to scan),
/// then the trusted origins and every probe concurrently, then follow-up preflights.
async fn scan(sender: Arc<Sender>, plan: &Plan) -> Result<(Baseline, Vec<ProbeResult>), String> {
    let per_probe = 3;
    sender
        .progress
        .add(1 + 2 * plan.trusted_concrete.len() + per_probe * plan.probes.len());
    let no_origin = sender.send(None, false, None).await?;

    let mut tasks = tokio::task::JoinSet::new();
    for t in &plan.trusted_concrete {
        let origin = t.origin();
        for cookie in [false, true] {
            let s = sender.clone();
            let o = origin.clone();
            tasks.spawn(async move {
                (
                    Job::Trusted(o.clone(), cookie),
                    s.send(Some(&o), cookie, None).await,
                )
            });
        }
    }
    for (i, p) in plan.probes.iter().enumerate() {
        for kind in 0..per_probe {
            let s = sender.clone();
            let o = p.origin.clone();
            tasks.spawn(async move {
                let r = match kind {
                    0 => s.send(Some(&o), false, None).await,
                    1 => s.send(Some(&o), true, None).await,
                    _ => s.send(Some(&o), false, Some(PREFLIGHT_METHOD)).await,
                };
                (Job::Probe(i, kind), r)
            });
        }
    }
    let mut baseline = Baseline {
        no_origin: Some(no_origin),
        trusted: plan
            .trusted_concrete
            .iter()
            .map(|t| (t.origin(), None, None))
            .collect(),
    };
    let mut results: Vec<ProbeResult> = plan
        .probes
        .iter()
        .map(|p| ProbeResult {
            probe: p.clone(),
            actual: None,
            with_cookie: None,
            preflight: None,
            follow_ups: Vec::new(),
        })
        .collect();
    while let Some(joined) = tasks.join_next().await {
        let Ok((job, answer)) = joined else { continue };
        let Ok(observed) = answer else { continue };
        match job {
            Job::Trusted(origin, cookie) => {
                if let Some(slot) = baseline.trusted.iter_mut().find(|(o, _, _)| *o == origin) {
                    if cookie {
                        slot.2 = Some(observed);
                    } else {
                        slot.1 = Some(observed);
                    }
                }
            }
            Job::Probe(i, kind) => {
                if let Some(r) = results.get_mut(i) {
                    match kind {
                        0 => r.actual = Some(observed),
                        1 => r.with_cookie = Some(observed),
                        _ => r.preflight = Some(observed),
                    }
                }
            }
        }
    }
    if sender.sent.load(Ordering::Relaxed) > 1
        && sender.failed.load(Ordering::Relaxed) + 1 >= sender.sent.load(Ordering::Relaxed)
    {
        return Err("every probe request failed (timeouts or connection errors)".to_string());
    }

    // Which other methods an untrusted origin's preflight opens: asked of each origin that a
    // finding reports, when its preflight was allowed.
    let reported: Vec<String> = classify::classify(&baseline, &results)
        .into_iter()
        .map(|f| f.origin_sent)
        .collect();
    let follow: Vec<usize> = results
        .iter()
        .enumerate()
        .filter(|(_, r)| {
            reported.contains(&r.probe.origin)
                && r.preflight
                    .as_ref()
                    .is_some_and(|o| o.acao.len() == 1 && o.acao[0] == r.probe.origin)
        })
        .map(|(i, _)| i)
        .collect();
    sender.progress.add(follow.len() * FOLLOW_UP_METHODS.len());
    let mut tasks = tokio::task::JoinSet::new();
    for i in follow {
        for m in FOLLOW_UP_METHODS {
            let s = sender.clone();
            let o = results[i].probe.origin.clone();
            tasks.spawn(async move { (i, *m, s.send(Some(&o), false, Some(m)).await) });
        }
    }
    while let Some(joined) = tasks.join_next().await {
        if let Ok((i, m, Ok(observed))) = joined {
            if let Some(r) = results.get_mut(i) {
                r.follow_ups.push((m.to_string(), observed));
            }
        }
    }
    for r in &mut results {
        r.follow_ups
            .sort_by_key(|(m, _)| FOLLOW_UP_METHODS.iter().position(|x| x == m));
    }
    Ok((baseline, results))
}

enum Job {
    Trusted(String, bool),
    Probe(usize, usize),
}

struct RateLimit {
    interval: Duration,
    next: Mutex<Option<Instant>>,
}

struct Sender {
    client: Client<client::Connector, Empty<Bytes>>,
    url: String,
    headers: Vec<(HeaderName, HeaderValue)>,
    cookie: HeaderValue,
    timeout: Duration,
    gate: tokio::sync::Semaphore,
    rate: Option<RateLimit>,
    sent: AtomicUsize,
    failed: AtomicUsize,
    progress: Progress,
}

impl Sender {
    /// One request: GET (with `Origin` and, when asked, the cookie) or a preflight for `method`.
    async fn send(
        &self,
        origin: Option<&str>,
        cookie: bool,
        preflight: Option<&str>,
    ) -> Result<Observed, String> {
        let _permit = self
            .gate
            .acquire()
            .await
            .map_err(|_| "the scan was stopped".to_string())?;
        if let Some(rate) = &self.rate {
            let wait = {
                let mut next = rate.next.lock().unwrap_or_else(|p| p.into_inner());
                let now = Instant::now();
                let slot = next.map_or(now, |n| n.max(now));
                *next = Some(slot + rate.interval);
                slot - now
            };
            tokio::time::sleep(wait).await;
        }
        let result = self.exchange(origin, cookie, preflight).await;
        self.sent.fetch_add(1, Ordering::Relaxed);
        if result.is_err() {
            self.failed.fetch_add(1, Ordering::Relaxed);
        }
        self.progress.step();
        result
    }

    async fn exchange(
        &self,
        origin: Option<&str>,
        cookie: bool,
        preflight: Option<&str>,
    ) -> Result<Observed, String> {
        let method = if preflight.is_some() {
            Method::OPTIONS
        } else {
            Method::GET
        };
        let mut req = Request::builder()
            .method(method)
            .uri(self.url.as_str())
            .header(
                http::header::USER_AGENT,
                concat!("corsgate-scan/", env!("CARGO_PKG_VERSION")),
            );
        for (n, v) in &self.headers {
            req = req.header(n, v);
        }
        if let Some(o) = origin {
            let v = HeaderValue::from_str(o).map_err(|_| format!("bad origin {o:?}"))?;
            req = req.header(http::header::ORIGIN, v);
        }
        if cookie {
            req = req.header(http::header::COOKIE, self.cookie.clone());
        }
        if let Some(m) = preflight {
            req = req
                .header("access-control-request-method", m)
                .header("access-control-request-headers", PREFLIGHT_HEADERS);
        }
        let req = req
            .body(Empty::new())
            .map_err(|e| format!("cannot build the request: {e}"))?;
        let response = tokio::time::timeout(self.timeout, self.client.request(req))
            .await
            .map_err(|_| format!("no response within {} s", self.timeout.as_secs_f64()))?
            .map_err(|e| client::describe_error(&e, &self.url))?;
        let (parts, body) = response.into_parts();
        // The body does not matter; drain a bounded amount so the connection can be reused.
        let _ = tokio::time::timeout(self.timeout, Limited::new(body, 1 << 20).collect()).await;
        let all = |name: &str| -> Vec<String> {
            parts
                .headers
                .get_all(name)
                .iter()
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
                .collect()
        };
        let joined = |name: &str| Some(all(name).join(", ")).filter(|s| !s.is_empty());
        Ok(Observed {
            status: parts.status.as_u16(),
            acao: all("access-control-allow-origin"),
            acac: joined("access-control-allow-credentials"),
            vary: joined("vary"),
            acam: joined("access-control-allow-methods"),
            acah: joined("access-control-allow-headers"),
        })
    }
}

/// A one-line progress bar on stderr, only when stderr is a terminal.
struct Progress {
    on: bool,
    total: AtomicUsize,
    done: AtomicUsize,
    last_draw: Mutex<Option<Instant>>,
}

impl Progress {
    fn new(on: bool) -> Progress {
        Progress {
            on,
            total: AtomicUsize::new(0),
            done: AtomicUsize::new(0),
            last_draw: Mutex::new(None),
        }
    }

    fn add(&self, n: usize) {
        self.total.fetch_add(n, Ordering::Relaxed);
    }

    fn step(&self) {
        let done = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        if !self.on {
            return;
        }
        let total = self.total.load(Ordering::Relaxed).max(done);
        let mut last = self.last_draw.lock().unwrap_or_else(|p| p.into_inner());
        if last.is_some_and(|t| t.elapsed() < Duration::from_millis(80)) && done < total {
            return;
        }
        *last = Some(Instant::now());
        let width = 30;
        let filled = width * done / total;
        let bar = format!("{}{}", "#".repeat(filled), "-".repeat(width - filled));
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "\rscanning [{bar}] {done}/{total} requests ");
        let _ = err.flush();
    }

    fn finish(&self) {
        if self.on && self.done.load(Ordering::Relaxed) > 0 {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r{}\r", " ".repeat(60));
            let _ = err.flush();
        }
    }
}

fn colour() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

fn paint(on: bool, code: &str, text: &str) -> String {
    if on {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_string()
    }
}

fn report(plan: &Plan, findings: &[Finding], sent: usize, failed: usize, colour: bool) -> String {
    let mut s = format!("corsgate scan {}\n", plan.url);
    s.push_str(&format!("trusted: {}\n\n", plan.trusted.join(", ")));
    for f in findings {
        let code = match f.severity {
            Severity::High => "1;31",
            Severity::Medium => "1;33",
            Severity::Low => "1;36",
            Severity::Info => "2",
        };
        let label = format!("{:<6}", f.severity.as_str().to_ascii_uppercase());
        s.push_str(&format!(
            "{}  {}  Origin: {}\n",
            paint(colour, code, &label),
            paint(colour, "1", f.class.name()),
            if f.origin_sent.is_empty() {
                "(none)"
            } else {
                &f.origin_sent
            }
        ));
        let ev = &f.evidence;
        let text = |k: &str| ev.get(k).and_then(|v| v.as_str()).map(String::from);
        let mut seen = vec![format!(
            "{} → {}",
            text("request").unwrap_or_default(),
            ev.get("status").map(|v| v.to_string()).unwrap_or_default()
        )];
        match ev.get("acao") {
            Some(serde_json::Value::String(a)) => {
                seen.push(format!("Access-Control-Allow-Origin: {a}"))
            }
            Some(serde_json::Value::Array(a)) => seen.push(format!(
                "Access-Control-Allow-Origin (several): {}",
                a.iter()
                    .filter_map(|v| v.as_str())
                    .collect::<Vec<_>>()
                    .join(" | ")
            )),
            _ => {}
        }
        if let Some(a) = text("acac") {
            seen.push(format!("Access-Control-Allow-Credentials: {a}"));
        }
        seen.push(match text("vary") {
            Some(v) => format!("Vary: {v}"),
            None => "no Vary".to_string(),
        });
        s.push_str(&format!("        {}\n", seen.join(", ")));
        if let Some(p) = ev.get("preflight_allows") {
            let list = |k: &str| {
                p.get(k)
                    .and_then(|v| v.as_array())
                    .map(|a| {
                        a.iter()
                            .filter_map(|v| v.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    })
                    .filter(|s| !s.is_empty())
                    .unwrap_or_else(|| "none".to_string())
            };
            s.push_str(&format!(
                "        preflight grants methods: {}; headers: {}\n",
                list("methods"),
                list("headers")
            ));
        }
        if let Some(also) = ev.get("also_allowed").and_then(|v| v.as_array()) {
            let shown: Vec<&str> = also.iter().filter_map(|v| v.as_str()).take(6).collect();
            let more = also.len().saturating_sub(shown.len());
            s.push_str(&format!(
                "        also allowed: {}{}\n",
                shown.join(", "),
                if more > 0 {
                    format!(" (+{more} more)")
                } else {
                    String::new()
                }
            ));
        }
        if let Some(n) = text("note") {
            s.push_str(&format!("        note: {n}\n"));
        }
        s.push_str(&format!("        {}\n", f.class.what()));
        s.push_str(&format!("        fix: {}\n\n", f.class.fix()));
    }
    let count = |sev: Severity| findings.iter().filter(|f| f.severity == sev).count();
    if findings.is_empty() {
        s.push_str(&format!(
            "no findings: {} probe origins, {sent} requests; no untrusted origin was allowed\n",
            plan.probes.len()
        ));
    } else {
        s.push_str(&format!(
            "{} finding{} ({} high, {} medium, {} low, {} info) from {sent} requests ({} probe origins)\n",
            findings.len(),
            if findings.len() == 1 { "" } else { "s" },
            count(Severity::High),
            count(Severity::Medium),
            count(Severity::Low),
            count(Severity::Info),
            plan.probes.len()
        ));
    }
    if failed > 0 {
        s.push_str(&format!("{failed} requests failed\n"));
    }
    s
}
