//! The metric series the server records (names, help texts, units), and
//! [`Live`], a gauge that counts values for as long as they exist.
//!
//! Everything is recorded through the `metrics` facade: with no recorder
//! installed (no `--metrics-listen`) each record is a no-op. The exporter
//! (`exporter.rs`) describes every series listed here once at start-up.
//! Labels carry only bounded values: method names, status codes, endpoint
//! path templates, reasons. Never an id, a path, a host or a credential.

use ::metrics::{Unit, describe_counter, describe_gauge, describe_histogram, gauge};

/// Counter `{method, code}`: ComputeService calls, counted when they end.
pub const GRPC_CALLS: &str = "dbgrpc_grpc_calls_total";
/// Histogram `{method}`: ComputeService call latency, from the request to
/// the end of its response (a stream's whole life).
pub const GRPC_CALL_SECONDS: &str = "dbgrpc_grpc_call_seconds";
/// Counter `{endpoint, status}`: HTTP requests to Databricks, per attempt.
pub const UPSTREAM_REQUESTS: &str = "dbgrpc_upstream_requests_total";
/// Histogram `{endpoint}`: time from sending an upstream request to its
/// answer's headers, per attempt.
pub const UPSTREAM_REQUEST_SECONDS: &str = "dbgrpc_upstream_request_seconds";
/// Counter `{reason}`: upstream requests sent again.
pub const UPSTREAM_RETRIES: &str = "dbgrpc_upstream_retries_total";
/// Counter: reads answered by a request already in flight for the same
/// thing instead of a request of their own.
pub const COALESCED_READS: &str = "dbgrpc_coalesced_reads_total";
/// Gauge: shared poll loops running (behind the streaming RPCs).
pub const POLL_LOOPS: &str = "dbgrpc_poll_loops";
/// Gauge: execution contexts the server created and keeps.
pub const MANAGED_CONTEXTS: &str = "dbgrpc_managed_contexts";
/// Gauge: identities whose state the server keeps (1 with server
/// credentials; pass-through callers otherwise).
pub const TENANTS: &str = "dbgrpc_tenants";
/// Gauge `{version}`: always 1.
pub const BUILD_INFO: &str = "dbgrpc_build_info";

/// Describes every series (the server's own and those the workspace rate
/// limiter and the overload caps record), registers the unlabelled ones at
/// zero so they are listed before their first change, and sets build info.
pub(super) fn describe_all() {
    describe_counter!(
        GRPC_CALLS,
        "ComputeService calls by method and final gRPC code, counted when they end"
    );
    describe_histogram!(
        GRPC_CALL_SECONDS,
        Unit::Seconds,
        "ComputeService call latency by method (a stream: its whole life)"
    );
    describe_counter!(
        UPSTREAM_REQUESTS,
        "HTTP requests sent to Databricks by endpoint template and HTTP status (or transport failure), per attempt"
    );
    describe_histogram!(
        UPSTREAM_REQUEST_SECONDS,
        Unit::Seconds,
        "Time from sending a Databricks request to its answer's headers, by endpoint template, per attempt"
    );
    describe_counter!(
        UPSTREAM_RETRIES,
        "Databricks requests sent again, by reason"
    );
    describe_counter!(
        COALESCED_READS,
        "Reads answered by an identical request already in flight"
    );
    describe_gauge!(POLL_LOOPS, "Shared poll loops running behind streams");
    describe_gauge!(
        MANAGED_CONTEXTS,
        "Execution contexts the server created and keeps"
    );
    describe_gauge!(TENANTS, "Identities whose state the server keeps");
    describe_gauge!(BUILD_INFO, "Always 1; the version is a label");
    describe_others();
    ::metrics::counter!(COALESCED_READS).increment(0);
    for name in [POLL_LOOPS, MANAGED_CONTEXTS, TENANTS] {
        gauge!(name).increment(0.0);
    }
    gauge!(BUILD_INFO, "version" => env!("CARGO_PKG_VERSION")).set(1.0);
}

/// Help texts of the series the limiter and the caps record themselves.
fn describe_others() {
    describe_histogram!(
        "dbgrpc_limiter_wait_seconds",
        Unit::Seconds,
        "Time a Databricks request waited for a token of the workspace rate limiter"
    );
    describe_gauge!(
        "dbgrpc_limiter_queue_depth",
        "Requests waiting for a token of the workspace rate limiter"
    );
    describe_counter!(
        "dbgrpc_limiter_refused_total",
        "Requests refused because the rate limiter could not serve them before their deadline"
    );
    describe_gauge!(
        "dbgrpc_limiter_rate",
        "The rate limiter's current requests per second, after slow-downs"
    );
    describe_counter!(
        "dbgrpc_limiter_pauses_total",
        "Pauses of the whole rate limiter, by reason"
    );
    describe_counter!(
        "dbgrpc_upstream_throttled_total",
        "Throttling answers received from Databricks, by HTTP status"
    );
    describe_counter!(
        "dbgrpc_calls_refused_total",
        "Calls refused at once by an overload cap, by cap"
    );
    describe_gauge!("dbgrpc_calls_in_flight", "Unary calls in flight");
    describe_gauge!("dbgrpc_streams_open", "Streaming calls open");
}

/// One unit of a gauge for as long as it lives: +1 when made (or cloned),
/// -1 when dropped, however it is dropped (a task aborted, a value
/// replaced).
#[derive(Debug)]
pub struct Live(&'static str);

// === impl Live ===

impl Live {
    /// Counts one more in the gauge `name`.
    pub fn new(name: &'static str) -> Self {
        gauge!(name).increment(1.0);
        Self(name)
    }
}

impl Clone for Live {
    fn clone(&self) -> Self {
        Self::new(self.0)
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        gauge!(self.0).decrement(1.0);
    }
}

#[cfg(test)]
mod tests {
    use metrics_exporter_prometheus::PrometheusBuilder;

    use super::*;

    #[test]
    fn a_live_value_counts_while_it_exists() {
        let recorder = PrometheusBuilder::new().build_recorder();
        let handle = recorder.handle();
        let text = ::metrics::with_local_recorder(&recorder, || {
            let first = Live::new(POLL_LOOPS);
            let second = first.clone();
            let _third = Live::new(POLL_LOOPS);
            drop(first);
            drop(second);
            handle.render()
        });
        assert!(
            text.lines().any(|line| line == "dbgrpc_poll_loops 1"),
            "{text}"
        );
    }
}
