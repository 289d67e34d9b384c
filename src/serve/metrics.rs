//! The service's counters, rendered as Prometheus text (exposition format
//! 0.0.4) by hand: a few atomics, no metrics crate. Every label value comes
//! from a fixed set, so no client can grow the output.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::eval::Decision;

/// The endpoints counted apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// `POST /v1/authorize`.
    Authorize,
    /// `POST /v1/authorize/api`.
    AuthorizeApi,
    /// `/v1/auth-request`.
    AuthRequest,
    /// `/healthz`, `/metrics` and anything else.
    Other,
}

impl Endpoint {
    const ALL: [Endpoint; 4] = [
        Endpoint::Authorize,
        Endpoint::AuthorizeApi,
        Endpoint::AuthRequest,
        Endpoint::Other,
    ];

    /// The label value.
    pub fn name(self) -> &'static str {
        match self {
            Endpoint::Authorize => "authorize",
            Endpoint::AuthorizeApi => "authorize_api",
            Endpoint::AuthRequest => "auth_request",
            Endpoint::Other => "other",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// The status codes the service answers with; anything else counts as
/// `other`.
const CODES: [u16; 10] = [200, 400, 403, 404, 405, 408, 413, 415, 500, 503];

const DECISIONS: [Decision; 3] = [
    Decision::Allow,
    Decision::ImplicitDeny,
    Decision::ExplicitDeny,
];

/// Upper bounds of the latency buckets, in seconds (`+Inf` is implicit).
pub const BUCKETS: [f64; 14] = [
    0.000_005, 0.000_01, 0.000_025, 0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005,
    0.01, 0.025, 0.05, 0.1,
];

/// A histogram with the fixed [`BUCKETS`].
#[derive(Debug, Default)]
struct Histogram {
    /// Per bucket (not cumulative), the last one `+Inf`.
    counts: [AtomicU64; BUCKETS.len() + 1],
    sum_nanos: AtomicU64,
}

impl Histogram {
    fn observe(&self, elapsed: Duration) {
        let seconds = elapsed.as_secs_f64();
        let bucket = BUCKETS
            .iter()
            .position(|&le| seconds <= le)
            .unwrap_or(BUCKETS.len());
        self.counts[bucket].fetch_add(1, Ordering::Relaxed);
        let nanos = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
        self.sum_nanos.fetch_add(nanos, Ordering::Relaxed);
    }
}

/// Everything `/metrics` reports that the service counts itself.
#[derive(Debug, Default)]
pub struct Metrics {
    decisions: [AtomicU64; 3],
    latency: [Histogram; 4],
    /// By endpoint, then by code (the last slot: other codes).
    responses: [[AtomicU64; CODES.len() + 1]; 4],
}

/// What `/metrics` reports that other parts of the service count.
#[derive(Debug, Clone, Default)]
pub struct Gauges {
    /// Store reloads that succeeded and failed.
    pub reloads: (u64, u64),
    /// The revision in force.
    pub revision: String,
    /// The store's account.
    pub account: String,
    /// Decision log lines written, dropped because the queue was full, and
    /// lost to write errors; write errors. `None` without a log.
    pub log: Option<LogCounts>,
}

/// The decision log's counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LogCounts {
    /// Lines written.
    pub written: u64,
    /// Lines dropped because the writer fell behind (the queue was full).
    pub dropped: u64,
    /// Lines lost because writing them failed (a full disk).
    pub lost: u64,
    /// Writes that failed.
    pub write_errors: u64,
}

impl Metrics {
    /// Counts one decision.
    pub fn decision(&self, decision: Decision) {
        let i = DECISIONS.iter().position(|d| *d == decision).unwrap_or(0);
        self.decisions[i].fetch_add(1, Ordering::Relaxed);
    }

    /// Records the time an endpoint took to decide one request.
    pub fn latency(&self, endpoint: Endpoint, elapsed: Duration) {
        self.latency[endpoint.index()].observe(elapsed);
    }

    /// Counts one response.
    pub fn response(&self, endpoint: Endpoint, status: u16) {
        let i = CODES
            .iter()
            .position(|c| *c == status)
            .unwrap_or(CODES.len());
        self.responses[endpoint.index()][i].fetch_add(1, Ordering::Relaxed);
    }

    /// Decisions counted so far, as `(Allow, ImplicitDeny, ExplicitDeny)`.
    pub fn decisions(&self) -> (u64, u64, u64) {
        let n = |i: usize| self.decisions[i].load(Ordering::Relaxed);
        (n(0), n(1), n(2))
    }

    /// The Prometheus text.
    pub fn render(&self, gauges: &Gauges) -> String {
        let mut out = String::with_capacity(4096);
        let mut line = |text: std::fmt::Arguments| {
            let _ = out.write_fmt(text);
            out.push('\n');
        };
        line(format_args!(
            "# HELP ramcheck_decisions_total Decisions made, by decision (an IMM call counts one per resource)."
        ));
        line(format_args!("# TYPE ramcheck_decisions_total counter"));
        for (i, d) in DECISIONS.iter().enumerate() {
            line(format_args!(
                "ramcheck_decisions_total{{decision=\"{d}\"}} {}",
                self.decisions[i].load(Ordering::Relaxed)
            ));
        }
        line(format_args!(
            "# HELP ramcheck_decision_duration_seconds Time from a parsed request to its decision and explanation, by endpoint."
        ));
        line(format_args!(
            "# TYPE ramcheck_decision_duration_seconds histogram"
        ));
        for endpoint in &Endpoint::ALL[..3] {
            let h = &self.latency[endpoint.index()];
            let name = endpoint.name();
            let mut cumulative = 0;
            for (i, le) in BUCKETS.iter().enumerate() {
                cumulative += h.counts[i].load(Ordering::Relaxed);
                line(format_args!(
                    "ramcheck_decision_duration_seconds_bucket{{endpoint=\"{name}\",le=\"{le}\"}} {cumulative}"
                ));
            }
            cumulative += h.counts[BUCKETS.len()].load(Ordering::Relaxed);
            line(format_args!(
                "ramcheck_decision_duration_seconds_bucket{{endpoint=\"{name}\",le=\"+Inf\"}} {cumulative}"
            ));
            let sum = h.sum_nanos.load(Ordering::Relaxed) as f64 / 1e9;
            line(format_args!(
                "ramcheck_decision_duration_seconds_sum{{endpoint=\"{name}\"}} {sum}"
            ));
            line(format_args!(
                "ramcheck_decision_duration_seconds_count{{endpoint=\"{name}\"}} {cumulative}"
            ));
        }
        line(format_args!(
            "# HELP ramcheck_http_responses_total Responses sent, by endpoint and status code."
        ));
        line(format_args!("# TYPE ramcheck_http_responses_total counter"));
        for endpoint in Endpoint::ALL {
            let counts = &self.responses[endpoint.index()];
            for (i, count) in counts.iter().enumerate() {
                let n = count.load(Ordering::Relaxed);
                if n == 0 {
                    continue;
                }
                let code = CODES.get(i).map_or("other".to_string(), u16::to_string);
                line(format_args!(
                    "ramcheck_http_responses_total{{endpoint=\"{}\",code=\"{code}\"}} {n}",
                    endpoint.name()
                ));
            }
        }
        line(format_args!(
            "# HELP ramcheck_store_reloads_total Store reloads since start, by result (a failed one keeps the last good store)."
        ));
        line(format_args!("# TYPE ramcheck_store_reloads_total counter"));
        line(format_args!(
            "ramcheck_store_reloads_total{{result=\"ok\"}} {}",
            gauges.reloads.0
        ));
        line(format_args!(
            "ramcheck_store_reloads_total{{result=\"failed\"}} {}",
            gauges.reloads.1
        ));
        line(format_args!(
            "# HELP ramcheck_store_info The store in force: its revision and account."
        ));
        line(format_args!("# TYPE ramcheck_store_info gauge"));
        // Revisions are hex and accounts digits, so neither needs escaping.
        line(format_args!(
            "ramcheck_store_info{{revision=\"{}\",account=\"{}\"}} 1",
            gauges.revision, gauges.account
        ));
        if let Some(log) = gauges.log {
            let counters = [
                (
                    "ramcheck_decision_log_lines_total",
                    "Decision log lines written.",
                    log.written,
                ),
                (
                    "ramcheck_decision_log_dropped_total",
                    "Decision log lines dropped because the writer fell behind.",
                    log.dropped,
                ),
                (
                    "ramcheck_decision_log_lost_total",
                    "Decision log lines lost to write errors.",
                    log.lost,
                ),
                (
                    "ramcheck_decision_log_write_errors_total",
                    "Decision log writes that failed (e.g. a full disk).",
                    log.write_errors,
                ),
            ];
            for (name, help, value) in counters {
                line(format_args!("# HELP {name} {help}"));
                line(format_args!("# TYPE {name} counter"));
                line(format_args!("{name} {value}"));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_are_cumulative() {
        let m = Metrics::default();
        m.latency(Endpoint::Authorize, Duration::from_micros(3));
        m.latency(Endpoint::Authorize, Duration::from_micros(30));
        m.latency(Endpoint::Authorize, Duration::from_secs(1));
        m.decision(Decision::ExplicitDeny);
        m.response(Endpoint::Authorize, 200);
        m.response(Endpoint::Authorize, 299);
        let text = m.render(&Gauges::default());
        for expected in [
            "ramcheck_decision_duration_seconds_bucket{endpoint=\"authorize\",le=\"0.000005\"} 1",
            "ramcheck_decision_duration_seconds_bucket{endpoint=\"authorize\",le=\"0.00005\"} 2",
            "ramcheck_decision_duration_seconds_bucket{endpoint=\"authorize\",le=\"0.1\"} 2",
            "ramcheck_decision_duration_seconds_bucket{endpoint=\"authorize\",le=\"+Inf\"} 3",
            "ramcheck_decision_duration_seconds_count{endpoint=\"authorize\"} 3",
            "ramcheck_decisions_total{decision=\"ExplicitDeny\"} 1",
            "ramcheck_decisions_total{decision=\"Allow\"} 0",
            "ramcheck_http_responses_total{endpoint=\"authorize\",code=\"200\"} 1",
            "ramcheck_http_responses_total{endpoint=\"authorize\",code=\"other\"} 1",
        ] {
            assert!(text.contains(expected), "{expected} not in\n{text}");
        }
    }
}
