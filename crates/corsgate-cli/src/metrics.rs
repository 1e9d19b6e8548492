//! The gateway's counters, served in the Prometheus text format (0.0.4) at
//! `{admin_prefix}metrics`.

use corsgate::{MatchedBy, Reason, RequestKind};
use http::StatusCode;
use prometheus_client::encoding::prometheus_text;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use std::fmt;
use std::sync::OnceLock;
use std::time::Duration;

type Labels<const N: usize> = [(&'static str, &'static str); N];

/// Upstream failure kinds, listed (at 0) from the start so alerts can be written before the
/// first failure.
pub const UPSTREAM_ERRORS: [&str; 7] = [
    "connect",
    "connect_timeout",
    "timeout",
    "reset",
    "protocol",
    "body",
    "body_timeout",
];

/// The `reason` labels, in [`reason_index`] order, with their verdict.
const REASONS: [(&str, &str); 14] = [
    ("not-cors", "no_origin"),
    ("allowed", "allowed_any"),
    ("allowed", "allowed_exact"),
    ("allowed", "allowed_pattern"),
    ("allowed", "allowed_regex"),
    ("allowed", "allowed_null"),
    ("rejected", "invalid_origin"),
    ("rejected", "origin_not_allowed"),
    ("rejected", "null_origin_not_allowed"),
    ("rejected", "invalid_request_method"),
    ("rejected", "method_not_allowed"),
    ("rejected", "invalid_request_headers"),
    ("rejected", "header_not_allowed"),
    ("rejected", "private_network_not_allowed"),
];
const KINDS: [&str; 3] = ["not-cors", "preflight", "actual"];
const CLASSES: [&str; 5] = ["1xx", "2xx", "3xx", "4xx", "5xx"];

pub struct Metrics {
    registry: Registry,
    requests: Family<Labels<3>, Counter>,
    /// Each (kind, reason) series, looked up once and then counted without the family's lock.
    request_series: [OnceLock<Counter>; KINDS.len() * REASONS.len()],
    responses: [Counter; CLASSES.len()],
    upstream_requests: Counter,
    upstream_errors: [Counter; UPSTREAM_ERRORS.len()],
    upstream_seconds: Histogram,
    pub connections_open: Gauge,
    pub connections_total: Counter,
    pub connections_overloaded: Counter,
    pub connections_dropped: Counter,
}

impl fmt::Debug for Metrics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("corsgate");
        let requests = Family::<Labels<3>, Counter>::default();
        registry.register(
            "requests",
            "Requests received, by CORS kind (preflight, actual, not-cors), verdict and reason",
            requests.clone(),
        );
        let response_family = Family::<Labels<1>, Counter>::default();
        let responses = CLASSES.map(|c| response_family.get_or_create(&[("class", c)]).clone());
        registry.register(
            "responses",
            "Responses sent, by status class",
            response_family,
        );
        let upstream_requests = Counter::default();
        registry.register(
            "upstream_requests",
            "Requests forwarded to the upstream",
            upstream_requests.clone(),
        );
        let error_family = Family::<Labels<1>, Counter>::default();
        let upstream_errors =
            UPSTREAM_ERRORS.map(|kind| error_family.get_or_create(&[("kind", kind)]).clone());
        registry.register(
            "upstream_errors",
            "Upstream failures: connect (refused/unreachable), connect_timeout, timeout (no response within read_timeout), reset (closed before a response head), protocol (not HTTP/1.1), body (failed mid-body), body_timeout",
            error_family,
        );
        let upstream_seconds = Histogram::new(exponential_buckets(0.0005, 2.0, 16));
        registry.register(
            "upstream_response_seconds",
            "Time from forwarding a request to the upstream's response head",
            upstream_seconds.clone(),
        );
        let connections_open = Gauge::default();
        registry.register(
            "connections_open",
            "Client connections open now",
            connections_open.clone(),
        );
        let connections_total = Counter::default();
        registry.register(
            "connections",
            "Client connections accepted",
            connections_total.clone(),
        );
        let connections_overloaded = Counter::default();
        registry.register(
            "connections_overloaded",
            "Client connections beyond max_connections, answered 503 and closed",
            connections_overloaded.clone(),
        );
        let connections_dropped = Counter::default();
        registry.register(
            "connections_dropped",
            "Client connections closed unanswered because even the 503 allowance was used up",
            connections_dropped.clone(),
        );
        Metrics {
            registry,
            requests,
            request_series: std::array::from_fn(|_| OnceLock::new()),
            responses,
            upstream_requests,
            upstream_errors,
            upstream_seconds,
            connections_open,
            connections_total,
            connections_overloaded,
            connections_dropped,
        }
    }

    pub fn request(&self, kind: RequestKind, reason: &Reason<'_>) {
        let k = match kind {
            RequestKind::NotCors => 0,
            RequestKind::Preflight => 1,
            RequestKind::Actual => 2,
        };
        let r = reason_index(reason);
        self.request_series[k * REASONS.len() + r]
            .get_or_init(|| {
                let (verdict, reason) = REASONS[r];
                self.requests
                    .get_or_create(&[("kind", KINDS[k]), ("verdict", verdict), ("reason", reason)])
                    .clone()
            })
            .inc();
    }

    pub fn response(&self, status: StatusCode) {
        let class = usize::from(status.as_u16() / 100).clamp(1, 5) - 1;
        self.responses[class].inc();
    }

    pub fn upstream_request(&self) {
        self.upstream_requests.inc();
    }

    /// Counts an upstream failure; `kind` is one of [`UPSTREAM_ERRORS`].
    pub fn upstream_error(&self, kind: &'static str) {
        if let Some(i) = UPSTREAM_ERRORS.iter().position(|k| *k == kind) {
            self.upstream_errors[i].inc();
        }
    }

    pub fn upstream_seconds(&self, d: Duration) {
        self.upstream_seconds.observe(d.as_secs_f64());
    }

    /// The exposition text.
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(4096);
        // Writing into a String cannot fail.
        let _ = prometheus_text::encode(&mut out, &self.registry);
        out
    }
}

pub const CONTENT_TYPE: &str = prometheus_text::CONTENT_TYPE;

/// The index of a reason's labels in [`REASONS`]; the reason names the rule, never the
/// request's values, so the number of series stays fixed.
fn reason_index(reason: &Reason<'_>) -> usize {
    match reason {
        Reason::NoOrigin => 0,
        Reason::Allowed(by) => match by {
            MatchedBy::Any => 1,
            MatchedBy::Exact => 2,
            MatchedBy::Pattern => 3,
            MatchedBy::Regex => 4,
            MatchedBy::Null => 5,
        },
        Reason::InvalidOrigin => 6,
        Reason::OriginNotAllowed(_) => 7,
        Reason::NullOriginNotAllowed => 8,
        Reason::InvalidRequestMethod => 9,
        Reason::MethodNotAllowed(_) => 10,
        Reason::InvalidRequestHeaders => 11,
        Reason::HeaderNotAllowed(_) => 12,
        Reason::PrivateNetworkNotAllowed => 13,
    }
}
