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
/// must be returned as it is: whatever
/// [`Transience::allows_resend`](super::error::Transience::allows_resend) allows
/// for `error`'s [`Error::transience`] and `resend`.
pub fn delay(error: &Error, resend: Resend, attempt: u32) -> Option<Duration> {
    error
        .transience()
        .allows_resend(resend)
        .then(|| backoff(attempt, error.retry_after()))
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
