//! Heap allocations on the hot path, counted by a global allocator.
//!
//! The engine's decision allocates nothing (it borrows from the request), and neither does
//! writing the answer into a response whose header map has room: every header value that does
//! not depend on the request was computed when the policy was built. Through the tower layer the
//! only allocations left are the response's own header storage.
//!
//! Counts are per thread, so tests running in parallel on other threads do not disturb them.

#[path = "../benches/fixture/mod.rs"]
mod fixture;

use corsgate::{Policy, RequestKind, Verdict};
use fixture::{Path, PATHS};
use http::{HeaderMap, Request, Response};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::convert::Infallible;
use std::future::{ready, Future, Ready};
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use tower::{Layer, Service};

thread_local! {
    // `const` and no destructor: touching it never allocates.
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

struct Counting;

fn note() {
    // `try_with`: the allocator also runs while thread-locals are being torn down.
    let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
}

// SAFETY: every call is forwarded unchanged to the system allocator; counting touches only a
// thread-local `Cell`, which never allocates.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note();
        System.alloc(layout)
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note();
        System.alloc_zeroed(layout)
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note();
        System.realloc(ptr, layout, new_size)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Runs `f` and returns its result with the number of allocations it made on this thread.
fn counting<T>(f: impl FnOnce() -> T) -> (T, u64) {
    let before = ALLOCATIONS.with(Cell::get);
    let out = f();
    (out, ALLOCATIONS.with(Cell::get) - before)
}

fn path(name: &str) -> Path {
    *PATHS
        .iter()
        .find(|p| p.name == name)
        .expect("path defined in the fixture")
}

/// The expected kind and verdict of each fixture path.
fn expected(name: &str) -> (RequestKind, Verdict) {
    match name {
        "no_origin" => (RequestKind::NotCors, Verdict::NotCors),
        "actual_allowed" | "actual_pattern" => (RequestKind::Actual, Verdict::Allowed),
        "actual_rejected" => (RequestKind::Actual, Verdict::Rejected),
        "preflight_allowed" => (RequestKind::Preflight, Verdict::Allowed),
        "preflight_rejected" => (RequestKind::Preflight, Verdict::Rejected),
        other => panic!("no expectation for path {other}"),
    }
}

fn request(name: &str) -> Request<()> {
    let p = path(name);
    p.request(&p.values())
}

#[test]
fn decide_allocates_nothing() {
    let policy = fixture::policy();
    for p in PATHS {
        let req = request(p.name);
        let (decision, n) = counting(|| policy.decide(req.method(), req.headers()));
        assert_eq!(
            (decision.kind, decision.verdict()),
            expected(p.name),
            "{}: {:?}",
            p.name,
            decision.reason
        );
        assert_eq!(n, 0, "{}: decide() allocated {n} times", p.name);
    }
}

/// The three paths the issue names, spelled out: non-CORS, allowed actual, allowed preflight.
#[test]
fn the_allowed_and_non_cors_decisions_allocate_nothing() {
    let policy = fixture::policy();
    for name in ["no_origin", "actual_allowed", "preflight_allowed"] {
        let req = request(name);
        let (verdict, n) = counting(|| policy.decide(req.method(), req.headers()).verdict());
        assert_ne!(verdict, Verdict::Rejected, "{name}");
        assert_eq!(n, 0, "{name}: decide() allocated {n} times");
    }
}

/// Header values are precomputed and shared: writing them into a map with room copies nothing.
#[test]
fn writing_the_answer_allocates_nothing_when_the_map_has_room() {
    let policy = fixture::policy();
    for p in PATHS {
        let req = request(p.name);
        let decision = policy.decide(req.method(), req.headers());
        let mut out = HeaderMap::with_capacity(16);
        let ((), n) = counting(|| match decision.kind {
            RequestKind::Preflight => {
                policy.write_preflight(&decision, req.headers(), &mut out);
            }
            _ => {
                let cors = decision.actual();
                policy.apply_actual(&cors, &mut out);
            }
        });
        assert!(!out.is_empty(), "{}: nothing written", p.name);
        assert_eq!(n, 0, "{}: writing the answer allocated {n} times", p.name);
    }
}

/// A policy whose every precomputed value is in use (methods, headers, expose, max-age),
/// answered for the first time: nothing is copied lazily on first use either.
#[test]
fn the_first_answer_of_a_fresh_policy_allocates_nothing() {
    for name in ["preflight_allowed", "actual_allowed"] {
        let policy: Policy = fixture::policy();
        let req = request(name);
        let decision = policy.decide(req.method(), req.headers());
        let cors = decision.actual();
        let mut out = HeaderMap::with_capacity(16);
        let ((), n) = counting(|| {
            if decision.kind == RequestKind::Preflight {
                policy.write_preflight(&decision, req.headers(), &mut out);
            } else {
                policy.apply_actual(&cors, &mut out);
            }
        });
        assert_eq!(n, 0, "{name}: first answer allocated {n} times");
    }
}

#[derive(Clone, Copy)]
struct Hello;

impl Service<Request<()>> for Hello {
    type Response = Response<http_body_util::Empty<bytes::Bytes>>;
    type Error = Infallible;
    type Future = Ready<Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _: Request<()>) -> Self::Future {
        ready(Ok(Response::new(Default::default())))
    }
}

/// Through the layer (no tracing subscriber), a request costs only the response's header
/// storage: the index table and the entries of one `HeaderMap`, allocated once at its final size.
#[test]
fn the_layer_allocates_only_the_response_header_map() {
    let mut svc = fixture::corsgate_layer().layer(Hello);
    let mut cx = Context::from_waker(Waker::noop());
    for p in PATHS {
        let req = request(p.name);
        let (resp, n) = counting(|| {
            let mut fut = pin!(svc.call(req));
            match fut.as_mut().poll(&mut cx) {
                Poll::Ready(Ok(resp)) => resp,
                _ => panic!("the layer answers at once here"),
            }
        });
        assert!(!resp.headers().is_empty(), "{}", p.name);
        assert!(n <= 2, "{}: the layer allocated {n} times", p.name);
    }
}
