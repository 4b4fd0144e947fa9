//! The single retry policy: what may be sent again, and when.
//!
//! Reads, Install, Uninstall, DestroyContext and CancelCommand are safe to
//! repeat ([`Resend::Safe`]) and are retried on 429, 502, 503, 504, the
//! transient messages both Databricks SDKs recognise, and broken or timed-out
//! connections. ExecuteCommand and CreateContext ([`Resend::OnlyIfNotSent`])
//! are retried only when the request provably never reached Databricks: the
//! connection was refused, or Databricks answered 429. Delays grow
//! exponentially with jitter, honour `Retry-After`, and stop at the call's
//! deadline.

use std::time::Duration;

use rand::Rng;

use super::Error;

/// First delay between attempts.
pub const BASE_DELAY: Duration = Duration::from_millis(250);
/// Longest delay between attempts (unless `Retry-After` asks for more).
pub const MAX_DELAY: Duration = Duration::from_secs(10);

/// Messages that mean "try again" in both SDKs.
const TRANSIENT_MESSAGES: &[&str] = &[
    "com.databricks.backend.manager.util.UnknownWorkerEnvironmentException",
    "does not have any associated worker environments",
    "There is no worker environment with id",
    "Unknown worker environment",
    "ClusterNotReadyException",
    "Please try again later or try a faster operation.",
    "RPC token bucket limit has been exceeded",
    "REQUEST_LIMIT_EXCEEDED",
];

/// Whether a request may be sent again after it may have reached Databricks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resend {
    /// Repeating it has no further effect.
    Safe,
    /// Repeating it could run code twice or leak a context: only when it
    /// provably never arrived.
    OnlyIfNotSent,
}

/// How long to wait before attempt `attempt + 1`, or `None` when `error`
/// must be returned as it is.
pub fn delay(error: &Error, resend: Resend, attempt: u32) -> Option<Duration> {
    let safe = resend == Resend::Safe;
    let (retryable, asked) = match error {
        Error::NotSent { source, .. } => (source.is_connect(), None),
        Error::Api(api) => {
            let throttled = api.http_status == 429
                || matches!(
                    api.error_code.as_str(),
                    "REQUEST_LIMIT_EXCEEDED" | "RESOURCE_EXHAUSTED"
                );
            let transient = matches!(api.http_status, 502..=504)
                || TRANSIENT_MESSAGES
                    .iter()
                    .any(|marker| api.message.contains(marker));
            (throttled || (safe && transient), api.retry_after)
        }
        Error::Timeout { .. } | Error::NoResponse { .. } => (safe, None),
        Error::BadResponseBody { .. }
        | Error::BodyTooLarge { .. }
        | Error::OutcomeUnknown { .. }
        | Error::TokenRefused { .. }
        | Error::TokenEndpointUnavailable { .. }
        | Error::NoCallerCredentials
        | Error::InvalidToken => (false, None),
    };
    retryable.then(|| backoff(attempt, asked))
}

/// The wait before attempt `attempt + 1`: exponential from [`BASE_DELAY`] to
/// [`MAX_DELAY`] with jitter, and never shorter than what the server `asked`.
pub fn backoff(attempt: u32, asked: Option<Duration>) -> Duration {
    let exponential = BASE_DELAY
        .saturating_mul(1 << attempt.min(10))
        .min(MAX_DELAY);
    // Full jitter in the upper half: spreads clients out, never waits ~0.
    let jittered = exponential.mul_f64(rand::rng().random_range(0.5..=1.0));
    asked.map_or(jittered, |asked| asked.max(jittered))
}

#[cfg(test)]
mod tests;
