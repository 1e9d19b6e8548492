//! The tower layer: a thin adapter that runs the engine on every request and response.
//!
//! Put it outermost, around everything that can produce a response (routers, fallbacks, auth,
//! timeouts), so that every response, 4xx and 5xx included, carries the CORS headers. A panic in
//! the wrapped service is caught inside the layer and becomes a 500 with CORS headers: the
//! browser then shows the real error instead of a CORS error that hides it.

mod body;

pub use body::CorsBody;

use crate::decision::{ActualCors, Decision, RequestKind, Verdict};
use crate::policy::Policy;
use bytes::Bytes;
use http::header::CONTENT_TYPE;
use http::{HeaderValue, Method, Request, Response, StatusCode};
use http_body::Body;
use pin_project_lite::pin_project;
use std::any::Any;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use tower_layer::Layer;
use tower_service::Service;

/// Applies a [`Policy`] to a service. Cloning is cheap (the policy is shared).
#[derive(Clone, Debug)]
pub struct CorsLayer {
    policy: Arc<Policy>,
}

impl CorsLayer {
    pub fn new(policy: Policy) -> Self {
        CorsLayer {
            policy: Arc::new(policy),
        }
    }

    pub fn from_shared(policy: Arc<Policy>) -> Self {
        CorsLayer { policy }
    }

    pub fn policy(&self) -> &Arc<Policy> {
        &self.policy
    }
}

impl<S> Layer<S> for CorsLayer {
    type Service = Cors<S>;

    fn layer(&self, inner: S) -> Cors<S> {
        Cors {
            inner,
            policy: self.policy.clone(),
        }
    }
}

/// The service produced by [`CorsLayer`].
#[derive(Clone, Debug)]
pub struct Cors<S> {
    inner: S,
    policy: Arc<Policy>,
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for Cors<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    ResBody: Body<Data = Bytes>,
{
    type Response = Response<CorsBody<ResBody>>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future, ResBody>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<ReqBody>) -> Self::Future {
        let policy = &self.policy;
        let decision = policy.decide(req.method(), req.headers());
        let log = LogEvent::capture(&req, &decision);
        match decision.kind {
            // Preflights are answered here and never reach the application.
            RequestKind::Preflight => {
                let mut resp = Response::new(CorsBody::empty());
                *resp.status_mut() =
                    policy.write_preflight(&decision, req.headers(), resp.headers_mut());
                if !decision.is_allowed() && policy.debug() {
                    set_debug_body(&mut resp, &decision);
                }
                ResponseFuture::ready(resp, log)
            }
            RequestKind::Actual if !decision.is_allowed() && policy.blocks_disallowed() => {
                let mut resp = Response::new(CorsBody::empty());
                *resp.status_mut() = policy.write_rejection(resp.headers_mut());
                if policy.debug() {
                    set_debug_body(&mut resp, &decision);
                }
                ResponseFuture::ready(resp, log)
            }
            // Actual requests from disallowed origins still run: same-origin pages and
            // non-browser clients must keep working; they just get no CORS headers.
            _ => {
                let cors = decision.actual();
                // Without an allowed origin the response needs only `Vary: Origin` (in most
                // policies): then no shared reference count is touched per request.
                let finish = Finish {
                    policy: policy.actual_needs_policy(&cors).then(|| policy.clone()),
                    cors,
                };
                match catch_unwind(AssertUnwindSafe(|| self.inner.call(req))) {
                    Ok(fut) => ResponseFuture {
                        state: State::Inner { fut, finish, log },
                    },
                    Err(panic) => ResponseFuture::ready(panic_response(&finish, panic), log),
                }
            }
        }
    }
}

fn set_debug_body<B>(resp: &mut Response<CorsBody<B>>, decision: &Decision<'_>) {
    let line = format!("CORS request rejected: {}\n", decision.reason);
    resp.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    resp.headers_mut()
        .insert(http::header::CONTENT_LENGTH, HeaderValue::from(line.len()));
    *resp.body_mut() = CorsBody::full(line);
}

/// What an actual response is finished with: the policy when its headers need it.
#[derive(Debug)]
struct Finish {
    policy: Option<Arc<Policy>>,
    cors: ActualCors,
}

impl Finish {
    fn apply(&self, out: &mut http::HeaderMap) {
        match &self.policy {
            Some(policy) => policy.apply_actual(&self.cors, out),
            None => crate::actual::vary_origin(out),
        }
    }
}

fn panic_response<B>(finish: &Finish, panic: Box<dyn Any + Send>) -> Response<CorsBody<B>> {
    let msg = panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(non-string panic payload)");
    tracing::error!(target: "corsgate", panic = msg, "the wrapped service panicked; answering 500 with CORS headers");
    let body = r#"{"error":"internal server error"}"#;
    let mut resp = Response::new(CorsBody::full(body));
    *resp.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
    resp.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    resp.headers_mut()
        .insert(http::header::CONTENT_LENGTH, HeaderValue::from(body.len()));
    finish.apply(resp.headers_mut());
    resp
}

/// One structured event per decision, emitted when the response is known. Captured only when
/// the `corsgate` target is enabled at the event's level, so a silent layer costs nothing.
#[derive(Debug)]
struct LogEvent {
    method: Method,
    path: String,
    origin: String,
    verdict: Verdict,
    kind: RequestKind,
    reason: String,
}

impl LogEvent {
    fn capture<B>(req: &Request<B>, decision: &Decision<'_>) -> Option<Box<LogEvent>> {
        let verdict = decision.verdict();
        let enabled = if verdict == Verdict::Rejected {
            tracing::enabled!(target: "corsgate", tracing::Level::INFO)
        } else {
            tracing::enabled!(target: "corsgate", tracing::Level::DEBUG)
        };
        if !enabled {
            return None;
        }
        Some(Box::new(LogEvent {
            method: req.method().clone(),
            path: req.uri().path().to_string(),
            origin: decision.origin().unwrap_or("-").to_string(),
            verdict,
            kind: decision.kind,
            reason: decision.reason.to_string(),
        }))
    }

    fn emit(&self, status: StatusCode) {
        let kind = match self.kind {
            RequestKind::NotCors => "not-cors",
            RequestKind::Preflight => "preflight",
            RequestKind::Actual => "actual",
        };
        macro_rules! event {
            ($lvl:ident) => {
                tracing::$lvl!(
                    target: "corsgate",
                    origin = %self.origin,
                    method = %self.method,
                    path = %self.path,
                    status = status.as_u16(),
                    kind = %kind,
                    verdict = %self.verdict,
                    reason = %self.reason,
                )
            };
        }
        if self.verdict == Verdict::Rejected {
            event!(info)
        } else {
            event!(debug)
        }
    }
}

pin_project! {
    /// Response future of [`Cors`].
    pub struct ResponseFuture<F, B> {
        #[pin]
        state: State<F, B>,
    }
}

pin_project! {
    #[project = StateProj]
    enum State<F, B> {
        Inner {
            #[pin]
            fut: F,
            finish: Finish,
            log: Option<Box<LogEvent>>,
        },
        Ready {
            resp: Option<Response<CorsBody<B>>>,
            log: Option<Box<LogEvent>>,
        },
        Done,
    }
}

impl<F, B> ResponseFuture<F, B> {
    fn ready(resp: Response<CorsBody<B>>, log: Option<Box<LogEvent>>) -> Self {
        ResponseFuture {
            state: State::Ready {
                resp: Some(resp),
                log,
            },
        }
    }
}

impl<F, B, E> Future for ResponseFuture<F, B>
where
    F: Future<Output = Result<Response<B>, E>>,
{
    type Output = Result<Response<CorsBody<B>>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut state = self.project().state;
        let (result, log) = match state.as_mut().project() {
            StateProj::Inner { fut, finish, log } => {
                let result = match catch_unwind(AssertUnwindSafe(|| fut.poll(cx))) {
                    Ok(Poll::Pending) => return Poll::Pending,
                    Ok(Poll::Ready(Ok(resp))) => {
                        let (mut parts, body) = resp.into_parts();
                        finish.apply(&mut parts.headers);
                        Ok(Response::from_parts(parts, CorsBody::inner(body)))
                    }
                    Ok(Poll::Ready(Err(e))) => Err(e),
                    Err(panic) => Ok(panic_response(finish, panic)),
                };
                (result, log.take())
            }
            StateProj::Ready { resp, log } => match resp.take() {
                Some(resp) => (Ok(resp), log.take()),
                None => unreachable_poll(),
            },
            StateProj::Done => unreachable_poll(),
        };
        if let (Some(log), Ok(resp)) = (&log, &result) {
            log.emit(resp.status());
        }
        state.set(State::Done);
        Poll::Ready(result)
    }
}

#[cold]
fn unreachable_poll() -> ! {
    panic!("corsgate ResponseFuture polled after completion")
}
