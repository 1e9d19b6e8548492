//! corsgate's tower layer against tower-http's `CorsLayer`, side by side in one run: the same
//! policy around the same trivial inner service, on each path of `fixture::PATHS`; then the
//! engine's decision (`Policy::decide`) alone. Ends with a table of medians and ratios.
//!
//! Run: `cargo bench -p corsgate --bench layer` (see BENCHMARKS.md).

mod fixture;

use bytes::Bytes;
use criterion::Criterion;
use fixture::{Path, PATHS};
use http::{Request, Response};
use http_body_util::Empty;
use std::convert::Infallible;
use std::future::{ready, Future, Ready};
use std::hint::black_box;
use std::path::PathBuf;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};
use tower::Service;

type Body = Empty<Bytes>;

/// The trivial application both layers wrap.
#[derive(Clone, Copy)]
struct Hello;

impl Service<Request<Body>> for Hello {
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = Ready<Result<Response<Body>, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _: Request<Body>) -> Self::Future {
        ready(Ok(Response::new(Body::new())))
    }
}

/// Drives one request through `svc` as a server would (`poll_ready`, `call`, poll the response
/// future); every future here is ready at once.
fn serve<S, R>(svc: &mut S, req: Request<Body>) -> R
where
    S: Service<Request<Body>, Response = R, Error = Infallible>,
{
    let mut cx = Context::from_waker(Waker::noop());
    match svc.poll_ready(&mut cx) {
        Poll::Ready(Ok(())) => {}
        _ => unreachable!("the services here are always ready"),
    }
    let mut fut = pin!(svc.call(req));
    match fut.as_mut().poll(&mut cx) {
        Poll::Ready(Ok(resp)) => resp,
        _ => unreachable!("the services here answer at once"),
    }
}

const CORSGATE: &str = "corsgate";
const TOWER_HTTP: &str = "tower-http";
const DECIDE: &str = "decide";

/// Times serving `iters` requests through `svc`. The requests are built before the clock starts,
/// in batches; each response is dropped inside the timed loop, as a server drops it once written,
/// so the allocator recycles memory as it does in a server (batching responses until the end
/// of the measurement would make every allocation fresh memory).
fn time_serving<S, R>(svc: &mut S, path: &Path, values: &fixture::Values, iters: u64) -> Duration
where
    S: Service<Request<Body>, Response = R, Error = Infallible>,
{
    const BATCH: u64 = 512;
    let mut total = Duration::ZERO;
    let mut left = iters;
    while left > 0 {
        let n = left.min(BATCH);
        let requests: Vec<Request<Body>> = (0..n).map(|_| path.request(values)).collect();
        let start = Instant::now();
        for req in requests {
            drop(black_box(serve(svc, req)));
        }
        total += start.elapsed();
        left -= n;
    }
    total
}

fn bench_layers(c: &mut Criterion) {
    let mut corsgate = tower::Layer::layer(&fixture::corsgate_layer(), Hello);
    let mut tower_http = tower::Layer::layer(&fixture::tower_http_layer(), Hello);
    for path in PATHS {
        let values = path.values();
        let mut group = c.benchmark_group(path.name);
        group.bench_function(CORSGATE, |b| {
            b.iter_custom(|iters| time_serving(&mut corsgate, &path, &values, iters))
        });
        group.bench_function(TOWER_HTTP, |b| {
            b.iter_custom(|iters| time_serving(&mut tower_http, &path, &values, iters))
        });
        group.finish();
    }
}

fn bench_decide(c: &mut Criterion) {
    let policy = fixture::policy();
    let mut group = c.benchmark_group(DECIDE);
    for path in PATHS {
        let values = path.values();
        let req: Request<Body> = path.request(&values);
        let method = req.method();
        let headers = req.headers();
        group.bench_function(path.name, |b| {
            b.iter(|| {
                let d = policy.decide(black_box(method), black_box(headers));
                black_box(d.reason);
            })
        });
    }
    group.finish();
}

/// The ratio corsgate / tower-http measured in alternating batches (A, B, B, A, ...), so both
/// sides of each ratio see the same machine: the median, first and third quartile of the
/// per-round ratios. Robust against a machine whose speed drifts during the run.
fn paired_ratio(path: &Path, rounds: usize) -> (f64, f64, f64) {
    const BATCH: u64 = 128;
    let mut corsgate = tower::Layer::layer(&fixture::corsgate_layer(), Hello);
    let mut tower_http = tower::Layer::layer(&fixture::tower_http_layer(), Hello);
    let values = path.values();
    let mut ratios: Vec<f64> = (0..rounds)
        .map(|round| {
            let (a, b) = if round % 2 == 0 {
                let a = time_serving(&mut corsgate, path, &values, BATCH);
                (a, time_serving(&mut tower_http, path, &values, BATCH))
            } else {
                let b = time_serving(&mut tower_http, path, &values, BATCH);
                (time_serving(&mut corsgate, path, &values, BATCH), b)
            };
            a.as_secs_f64() / b.as_secs_f64().max(f64::MIN_POSITIVE)
        })
        .collect();
    ratios.sort_by(f64::total_cmp);
    let at = |q: f64| ratios[((ratios.len() - 1) as f64 * q).round() as usize];
    (at(0.5), at(0.25), at(0.75))
}

/// Criterion's output directory, found as criterion finds it.
fn criterion_dir() -> PathBuf {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return PathBuf::from(home);
    }
    if let Some(target) = std::env::var_os("CARGO_TARGET_DIR") {
        return PathBuf::from(target).join("criterion");
    }
    // CARGO_TARGET_TMPDIR is `<target dir>/tmp`.
    PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .map(|t| t.join("criterion"))
        .unwrap_or_else(|| PathBuf::from("target/criterion"))
}

/// The median estimate in nanoseconds, with its 95% confidence interval.
fn median(group: &str, function: &str) -> Option<(f64, f64, f64)> {
    let file = criterion_dir()
        .join(group)
        .join(function)
        .join("new/estimates.json");
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(file).ok()?).ok()?;
    let m = &json["median"];
    Some((
        m["point_estimate"].as_f64()?,
        m["confidence_interval"]["lower_bound"].as_f64()?,
        m["confidence_interval"]["upper_bound"].as_f64()?,
    ))
}

fn fmt_ns(v: Option<(f64, f64, f64)>) -> String {
    match v {
        Some((m, lo, hi)) => format!("{m:.1} ({lo:.1}–{hi:.1})"),
        None => "—".to_string(),
    }
}

/// The side-by-side table (markdown), printed and saved next to criterion's reports.
fn summary(paths: &[Path], rounds: usize) -> String {
    let mut out = String::new();
    out.push_str(
        "| path | corsgate ns | tower-http ns | ratio | paired ratio | decide() alone ns |\n",
    );
    out.push_str("|---|---:|---:|---:|---:|---:|\n");
    for p in paths {
        let cg = median(p.name, CORSGATE);
        let th = median(p.name, TOWER_HTTP);
        let ratio = match (cg, th) {
            (Some((a, ..)), Some((b, ..))) if b > 0.0 => format!("{:.2}×", a / b),
            _ => "—".to_string(),
        };
        let label = if p.required {
            p.label.to_string()
        } else {
            format!("{} (extra)", p.label)
        };
        let (m, q1, q3) = paired_ratio(p, rounds);
        out.push_str(&format!(
            "| {label} | {} | {} | {ratio} | {m:.2}× ({q1:.2}–{q3:.2}) | {} |\n",
            fmt_ns(cg),
            fmt_ns(th),
            fmt_ns(median(DECIDE, p.name)),
        ));
    }
    out.push_str(&format!(
        "\nCriterion medians per request, 95% confidence interval in brackets; ratio = corsgate / \
         tower-http. Paired ratio: median (quartiles) over {rounds} rounds of alternating batches \
         of 128 requests.\n"
    ));
    out
}

/// What each layer answers on each path (`CORSGATE_BENCH_SHOW=1`), to check the comparison.
fn show() {
    let mut corsgate = tower::Layer::layer(&fixture::corsgate_layer(), Hello);
    let mut tower_http = tower::Layer::layer(&fixture::tower_http_layer(), Hello);
    for path in PATHS {
        let values = path.values();
        let a = serve(&mut corsgate, path.request(&values));
        let b = serve(&mut tower_http, path.request(&values));
        println!("== {} ({})", path.name, path.label);
        println!("  corsgate   {} {:?}", a.status(), a.headers());
        println!("  tower-http {} {:?}", b.status(), b.headers());
    }
}

/// One request served and its response dropped: what a profiler should count per request.
#[inline(never)]
fn serve_and_drop<S, R>(svc: &mut S, req: Request<Body>)
where
    S: Service<Request<Body>, Response = R, Error = Infallible>,
{
    drop(black_box(serve(svc, req)));
}

/// Runs one path `n` times with no measuring, for a profiler (callgrind) to count:
/// `CORSGATE_BENCH_PROFILE="<path> <corsgate|tower-http|decide> <n>"`.
fn profile(spec: &str) {
    let mut parts = spec.split_whitespace();
    let (Some(name), Some(which), Some(n)) = (parts.next(), parts.next(), parts.next()) else {
        eprintln!("CORSGATE_BENCH_PROFILE must be \"<path> <corsgate|tower-http|decide> <n>\"");
        return;
    };
    let Some(path) = PATHS.iter().find(|p| p.name == name) else {
        eprintln!("unknown path {name}");
        return;
    };
    let n: u64 = n.parse().unwrap_or(100_000);
    let values = path.values();
    let reqs = || (0..n).map(|_| path.request::<Body>(&values));
    match which {
        CORSGATE => {
            let mut svc = tower::Layer::layer(&fixture::corsgate_layer(), Hello);
            for req in reqs() {
                serve_and_drop(&mut svc, req);
            }
        }
        TOWER_HTTP => {
            let mut svc = tower::Layer::layer(&fixture::tower_http_layer(), Hello);
            for req in reqs() {
                serve_and_drop(&mut svc, req);
            }
        }
        _ => {
            let policy = fixture::policy();
            let req: Request<Body> = path.request(&values);
            for _ in 0..n {
                black_box(
                    policy
                        .decide(black_box(req.method()), black_box(req.headers()))
                        .reason,
                );
            }
        }
    }
}

fn main() {
    if std::env::var_os("CORSGATE_BENCH_SHOW").is_some() {
        show();
        return;
    }
    if let Some(rounds) = std::env::var_os("CORSGATE_BENCH_PAIRED") {
        // Only the paired ratios, quickly: `CORSGATE_BENCH_PAIRED=<rounds>`.
        let rounds = rounds.to_string_lossy().parse().unwrap_or(1000);
        for p in PATHS {
            let (m, q1, q3) = paired_ratio(&p, rounds);
            println!("{:<20} {m:.3} ({q1:.3}–{q3:.3})", p.name);
        }
        return;
    }
    if let Some(spec) = std::env::var_os("CORSGATE_BENCH_PROFILE") {
        profile(&spec.to_string_lossy());
        return;
    }
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    bench_layers(&mut c);
    bench_decide(&mut c);
    c.final_summary();
    // `cargo test --benches` runs each benchmark once without measuring: no table then.
    if std::env::args().any(|a| a == "--bench") {
        let table = summary(&PATHS, 1000);
        println!("\n{table}");
        let file = criterion_dir().join("corsgate-vs-tower-http.md");
        if std::fs::write(&file, &table).is_ok() {
            println!("(saved to {})", file.display());
        }
    }
}
