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

pub struct Metrics {
    registry: Registry,
    requests: Family<Labels<3>, Counter>,
    responses: Family<Labels<1>, Counter>,
    upstream_requests: Counter,
    upstream_errors: Family<Labels<1>, Counter>,
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
        let responses = Family::<Labels<1>, Counter>::default();
        registry.register(
            "responses",
            "Responses sent, by status class",
            responses.clone(),
        );
        let upstream_requests = Counter::default();
        registry.register(
            "upstream_requests",
            "Requests forwarded to the upstream",
            upstream_requests.clone(),
        );
        let upstream_errors = Family::<Labels<1>, Counter>::default();
        for kind in UPSTREAM_ERRORS {
            let _ = upstream_errors.get_or_create(&[("kind", kind)]);
        }
        registry.register(
            "upstream_errors",
            "Upstream failures: connect (refused/unreachable), connect_timeout, timeout (no response within read_timeout), reset (closed before a response head), protocol, body (failed mid-body), body_timeout",
            upstream_errors.clone(),
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
        let (verdict, reason) = reason_labels(reason);
        self.requests
            .get_or_create(&[
                ("kind", kind_label(kind)),
                ("verdict", verdict),
                ("reason", reason),
            ])
            .inc();
    }

    pub fn response(&self, status: StatusCode) {
        let class = match status.as_u16() {
            100..=199 => "1xx",
            200..=299 => "2xx",
            300..=399 => "3xx",
            400..=499 => "4xx",
            _ => "5xx",
        };
        self.responses.get_or_create(&[("class", class)]).inc();
    }

    pub fn upstream_request(&self) {
        self.upstream_requests.inc();
    }

    pub fn upstream_error(&self, kind: &'static str) {
        self.upstream_errors.get_or_create(&[("kind", kind)]).inc();
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

fn kind_label(kind: RequestKind) -> &'static str {
    match kind {
        RequestKind::NotCors => "not-cors",
        RequestKind::Preflight => "preflight",
        RequestKind::Actual => "actual",
    }
}

/// `(verdict, reason)` labels; the reason names the rule, never the request's values, so the
/// number of series stays fixed.
fn reason_labels(reason: &Reason<'_>) -> (&'static str, &'static str) {
    match reason {
        Reason::NoOrigin => ("not-cors", "no_origin"),
        Reason::Allowed(by) => (
            "allowed",
            match by {
                MatchedBy::Any => "allowed_any",
                MatchedBy::Exact => "allowed_exact",
                MatchedBy::Pattern => "allowed_pattern",
                MatchedBy::Regex => "allowed_regex",
                MatchedBy::Null => "allowed_null",
            },
        ),
        Reason::InvalidOrigin => ("rejected", "invalid_origin"),
        Reason::OriginNotAllowed(_) => ("rejected", "origin_not_allowed"),
        Reason::NullOriginNotAllowed => ("rejected", "null_origin_not_allowed"),
        Reason::InvalidRequestMethod => ("rejected", "invalid_request_method"),
        Reason::MethodNotAllowed(_) => ("rejected", "method_not_allowed"),
        Reason::InvalidRequestHeaders => ("rejected", "invalid_request_headers"),
        Reason::HeaderNotAllowed(_) => ("rejected", "header_not_allowed"),
        Reason::PrivateNetworkNotAllowed => ("rejected", "private_network_not_allowed"),
    }
}
