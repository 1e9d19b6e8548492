//! `corsgate check`: sends what a browser would send, judges it with the engine's browser half,
//! and prints Chrome's verdict, its exact console message, the cause and the fix.

use crate::client;
use bytes::Bytes;
use clap::{Args, ValueEnum};
use corsgate::browser::{
    advise, CredentialsMode, Exchange, Fetch, Initiator, Outcome, OutgoingRequest, PageRequest,
    Step, Verdict,
};
use http::{HeaderMap, HeaderName, HeaderValue, Method, Request};
use http_body_util::{BodyExt, Empty, Limited};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::{json, Map, Value};
use std::io::IsTerminal;
use std::process::ExitCode;
use std::time::Duration;

#[derive(Args, Debug)]
pub struct CheckArgs {
    /// The URL the page fetches.
    url: String,
    /// The page's origin, e.g. http://localhost:3000 (or `null` for a sandboxed page).
    #[arg(long, value_name = "ORIGIN")]
    origin: String,
    /// Request method.
    #[arg(
        short = 'X',
        long = "request",
        value_name = "METHOD",
        default_value = "GET"
    )]
    method: String,
    /// A header the script sets, 'Name: value' (repeatable).
    #[arg(short = 'H', long = "header", value_name = "HEADER")]
    headers: Vec<String>,
    /// The request's credentials mode (fetch's `credentials`; XHR withCredentials = include).
    #[arg(long, value_enum, default_value = "same-origin")]
    credentials: Credentials,
    /// What makes the request: fetch(), XMLHttpRequest, or an element with `crossorigin`.
    #[arg(long, value_enum, default_value = "fetch")]
    initiator: InitiatorArg,
    /// Cookies the browser holds for the API, sent when the credentials mode allows it.
    #[arg(long, value_name = "COOKIE")]
    cookie: Option<String>,
    /// Print one JSON object instead of the report.
    #[arg(long)]
    json: bool,
    /// Show every request and response exchanged.
    #[arg(short, long)]
    verbose: bool,
    /// Seconds to wait for each response.
    #[arg(long, value_name = "SECONDS", default_value_t = 10.0)]
    timeout: f64,
    /// Also trust the CA certificates in this PEM file (for https servers with a private CA).
    #[arg(long, value_name = "FILE")]
    cacert: Option<std::path::PathBuf>,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Credentials {
    Omit,
    SameOrigin,
    Include,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum InitiatorArg {
    Fetch,
    Xhr,
    Image,
    Script,
    Font,
    Stylesheet,
}

pub fn run(args: CheckArgs) -> ExitCode {
    let mut headers = Vec::new();
    for h in &args.headers {
        match h.split_once(':') {
            Some((n, v)) if !n.trim().is_empty() => {
                headers.push((n.trim().to_string(), v.trim().to_string()))
            }
            _ => {
                eprintln!("error: -H '{h}' is not a header\n  fix: write it as -H 'Name: value'");
                return ExitCode::from(2);
            }
        }
    }
    let request = PageRequest {
        url: args.url.clone(),
        origin: args.origin.clone(),
        method: args.method.clone(),
        headers,
        credentials: match args.credentials {
            Credentials::Omit => CredentialsMode::Omit,
            Credentials::SameOrigin => CredentialsMode::SameOrigin,
            Credentials::Include => CredentialsMode::Include,
        },
        initiator: match args.initiator {
            InitiatorArg::Fetch => Initiator::Fetch,
            InitiatorArg::Xhr => Initiator::Xhr,
            InitiatorArg::Image => Initiator::Image,
            InitiatorArg::Script => Initiator::Script,
            InitiatorArg::Font => Initiator::Font,
            InitiatorArg::Stylesheet => Initiator::Stylesheet,
        },
        cookie: args.cookie.clone(),
    };
    let fetch = match Fetch::new(request.clone()) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    if !(args.timeout.is_finite() && args.timeout > 0.0) {
        eprintln!("error: --timeout must be a positive number of seconds");
        return ExitCode::from(2);
    }
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
    let connector = match client::https_connector(args.cacert.as_deref()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let outcome = match runtime.block_on(drive(
        fetch,
        connector,
        Duration::from_secs_f64(args.timeout),
    )) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("error: could not check {}: {e}", args.url);
            return ExitCode::from(2);
        }
    };
    if let Verdict::NetworkError(e) = &outcome.verdict {
        if args.json {
            println!("{}", to_json(&outcome, &request, Some(e)));
        }
        eprintln!(
            "error: could not check {}: the browser would fail the load: {e}",
            args.url
        );
        return ExitCode::from(2);
    }
    if args.json {
        println!("{}", to_json(&outcome, &request, None));
    } else {
        print!("{}", report(&outcome, &request, args.verbose, colour()));
    }
    if outcome.allowed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// Runs the state machine, sending each request it asks for.
async fn drive(
    mut fetch: Fetch,
    connector: client::Connector,
    timeout: Duration,
) -> Result<Outcome, String> {
    let client: Client<_, Empty<Bytes>> = Client::builder(TokioExecutor::new()).build(connector);
    loop {
        match fetch.step() {
            Step::Done(outcome) => return Ok(outcome),
            Step::Send(out) => {
                let (status, headers) = send(&client, &out, timeout).await?;
                fetch.receive(status, headers);
            }
        }
    }
}

async fn send<C>(
    client: &Client<C, Empty<Bytes>>,
    out: &OutgoingRequest,
    timeout: Duration,
) -> Result<(http::StatusCode, HeaderMap), String>
where
    C: hyper_util::client::legacy::connect::Connect + Clone + Send + Sync + 'static,
{
    let method =
        Method::from_bytes(out.method.as_bytes()).map_err(|e| format!("bad method: {e}"))?;
    let mut req = Request::builder().method(method).uri(out.url.as_str());
    for (n, v) in &out.headers {
        let name = HeaderName::from_bytes(n.as_bytes())
            .map_err(|e| format!("bad header name {n}: {e}"))?;
        let value = HeaderValue::from_str(v).map_err(|e| format!("bad value for {n}: {e}"))?;
        req = req.header(name, value);
    }
    let req = req
        .body(Empty::new())
        .map_err(|e| format!("cannot build the request: {e}"))?;
    let host = out.url.host_str().unwrap_or("").to_string();
    let port = out.url.port_or_known_default().unwrap_or(80);
    let response = tokio::time::timeout(timeout, client.request(req))
        .await
        .map_err(|_| {
            format!(
                "no response from {host}:{port} within {} s",
                timeout.as_secs_f64()
            )
        })?
        .map_err(|e| client::describe_error(&e, &format!("{host}:{port}")))?;
    let (parts, body) = response.into_parts();
    // The body does not matter to CORS; drain a bounded amount so the connection closes cleanly.
    let _ = tokio::time::timeout(timeout, Limited::new(body, 1 << 20).collect()).await;
    Ok((parts.status, parts.headers))
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

fn report(outcome: &Outcome, req: &PageRequest, verbose: bool, colour: bool) -> String {
    let mut s = String::new();
    let what = format!(
        "{} {} from origin {} (credentials: {}, {})",
        outcome
            .exchanges
            .iter()
            .find(|e| e.request.stage == corsgate::browser::Stage::Actual)
            .map_or(req.method.to_ascii_uppercase(), |e| e
                .request
                .method
                .clone()),
        outcome.initial_url,
        req.origin,
        req.credentials.as_str(),
        req.initiator.kind()
    );
    if verbose {
        for e in &outcome.exchanges {
            s.push_str(&exchange_text(e));
        }
    }
    match outcome.failure() {
        None => {
            s.push_str(&format!("{}  {what}\n", paint(colour, "1;32", "ALLOWED")));
            if outcome.same_origin {
                s.push_str("  same-origin request: CORS does not apply\n");
            } else {
                let preflight = outcome
                    .preflight()
                    .map(|p| format!("preflight {} → ", p.status.as_u16()))
                    .unwrap_or_else(|| "no preflight needed → ".to_string());
                let actual = outcome
                    .actual()
                    .map(|a| a.status.as_u16().to_string())
                    .unwrap_or_default();
                s.push_str(&format!(
                    "  {preflight}response {actual}; the page can read it\n"
                ));
                if !outcome.exposed_headers.is_empty() {
                    s.push_str(&format!(
                        "  response headers the script can read: {}\n",
                        outcome.exposed_headers.join(", ")
                    ));
                }
            }
        }
        Some(f) => {
            s.push_str(&format!(
                "{}  {what}\n\n",
                paint(colour, "1;31", "BLOCKED by CORS")
            ));
            s.push_str(&format!("Chrome's console:\n  {}\n\n", f.console_message));
            let param = if f.failed_parameter.is_empty() {
                String::new()
            } else {
                format!(" (failed parameter: {})", f.failed_parameter)
            };
            s.push_str(&format!("DevTools: {}{param}\n", f.error.name()));
            s.push_str(&format!("Firefox:  {}\n", f.error.firefox_code()));
            if let Some(advice) = advise(outcome, req) {
                let server = match &advice.evidence {
                    Some(ev) => format!("{} (recognised from {ev})", advice.server.name()),
                    None => "not recognised; generic fix".to_string(),
                };
                s.push_str(&format!("Server:   {server}\n\n"));
                s.push_str(&format!(
                    "{}\n  {}\n\n",
                    paint(colour, "1", "Cause:"),
                    advice.cause
                ));
                s.push_str(&format!(
                    "{}\n  {}\n",
                    paint(colour, "1", "Fix:"),
                    advice.fix
                ));
            }
        }
    }
    for note in &outcome.notes {
        s.push_str(&format!("note: {note}\n"));
    }
    s
}

fn exchange_text(e: &Exchange) -> String {
    let mut s = format!("> {} {}\n", e.request.method, e.request.url);
    for (n, v) in &e.request.headers {
        s.push_str(&format!("> {n}: {v}\n"));
    }
    s.push_str(&format!("< {}\n", e.status));
    for (n, v) in &e.response_headers {
        s.push_str(&format!(
            "< {n}: {}\n",
            String::from_utf8_lossy(v.as_bytes())
        ));
    }
    s.push('\n');
    s
}

fn header_object(headers: impl Iterator<Item = (String, String)>) -> Value {
    let mut map = Map::new();
    for (n, v) in headers {
        match map.get_mut(&n) {
            Some(Value::String(existing)) => {
                existing.push_str(", ");
                existing.push_str(&v);
            }
            _ => {
                map.insert(n, Value::String(v));
            }
        }
    }
    Value::Object(map)
}

fn exchange_json(e: Option<&Exchange>) -> Value {
    match e {
        None => {
            json!({"sent": false, "status": null, "request_headers": {}, "response_headers": {}})
        }
        Some(e) => json!({
            "sent": true,
            "method": e.request.method,
            "url": e.request.url.as_str(),
            "status": e.status.as_u16(),
            "request_headers": header_object(e.request.headers.iter().map(|(n, v)| (n.to_ascii_lowercase(), v.clone()))),
            "response_headers": response_headers(&e.response_headers),
        }),
    }
}

fn response_headers(h: &HeaderMap) -> Value {
    header_object(h.iter().map(|(n, v)| {
        (
            n.as_str().to_string(),
            String::from_utf8_lossy(v.as_bytes()).into_owned(),
        )
    }))
}

fn to_json(outcome: &Outcome, req: &PageRequest, network_error: Option<&String>) -> String {
    let redirects: Vec<Value> = outcome
        .redirects()
        .map(|e| {
            json!({
                "url": e.request.url.as_str(),
                "status": e.status.as_u16(),
                "location": e.response_headers.get("location").map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned()),
                "response_headers": response_headers(&e.response_headers),
            })
        })
        .collect();
    let error = match (outcome.failure(), network_error) {
        (Some(f), _) => {
            let advice = advise(outcome, req);
            json!({
                "stage": f.stage.as_str(),
                "cors_error": f.error.name(),
                "failed_parameter": f.failed_parameter,
                "console_message": f.console_message,
                "firefox_code": f.error.firefox_code(),
                "cause": advice.as_ref().map(|a| a.cause.clone()),
                "fix": advice.as_ref().map(|a| a.fix.clone()),
                "server": advice.as_ref().map(|a| a.server.name()),
            })
        }
        (None, Some(e)) => json!({"stage": "network", "cors_error": null, "message": e}),
        (None, None) => Value::Null,
    };
    let value = json!({
        "allowed": outcome.allowed(),
        "url": outcome.initial_url,
        "origin": req.origin,
        "method": req.method,
        "credentials": req.credentials.as_str(),
        "initiator": req.initiator.as_str(),
        "same_origin": outcome.same_origin,
        "preflight": exchange_json(outcome.preflight()),
        "actual": exchange_json(outcome.actual()),
        "redirects": redirects,
        "exposed_headers": outcome.exposed_headers,
        "notes": outcome.notes,
        "error": error,
    });
    serde_json::to_string_pretty(&value).unwrap_or_default()
}
