//! What the client and the OAuth token fetch record per attempt and per
//! retry (series names in `telemetry/series.rs`). The endpoint label is the
//! request's path template (`GET /api/2.0/libraries/cluster-status`): ids
//! travel in the query or in a file path the template leaves out.

use std::time::Duration;

use http::StatusCode;
use metrics::{counter, histogram};

use crate::{
    databricks::error::{Error, Transience},
    telemetry::series,
};

/// The retry reason of a token refused and fetched again.
pub(super) const TOKEN_REFRESH: &str = "token_refresh";

/// Records one attempt at `endpoint`: its HTTP status (or how the transport
/// failed) and the time until its answer's headers.
pub(super) fn attempt(endpoint: &str, answered: Result<StatusCode, &Error>, elapsed: Duration) {
    let status = match answered {
        Ok(status) => status.as_u16().to_string(),
        Err(error) => transport_failure(error).to_owned(),
    };
    counter!(series::UPSTREAM_REQUESTS, "endpoint" => endpoint.to_owned(), "status" => status)
        .increment(1);
    histogram!(series::UPSTREAM_REQUEST_SECONDS, "endpoint" => endpoint.to_owned())
        .record(elapsed.as_secs_f64());
}

/// Records one request sent again, for `reason`.
pub(super) fn retry(reason: &'static str) {
    counter!(series::UPSTREAM_RETRIES, "reason" => reason).increment(1);
}

/// Why a request that failed with `error` is sent again: `timeout`, else its
/// [`Transience`] (`not_sent`, `throttled`, `transient`, `server_fault`).
pub(super) fn retry_reason(error: &Error) -> &'static str {
    if matches!(error, Error::Timeout { .. }) {
        return "timeout";
    }
    match error.transience() {
        Transience::NeverArrived => "not_sent",
        Transience::Throttled => "throttled",
        Transience::Transient => "transient",
        Transience::ServerFault => "server_fault",
        Transience::Permanent => "permanent",
    }
}

/// The status label of an attempt without an answer.
fn transport_failure(error: &Error) -> &'static str {
    match error {
        Error::Timeout { .. } => "timeout",
        Error::NotSent { .. } => "not_sent",
        _ => "no_response",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_timeout_is_its_own_reason() {
        let error = Error::Timeout {
            endpoint: "GET /x".to_owned(),
            after: Duration::from_secs(1),
        };
        assert_eq!(retry_reason(&error), "timeout");
        assert_eq!(transport_failure(&error), "timeout");
    }
}
