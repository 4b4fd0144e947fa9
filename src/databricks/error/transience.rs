//! The one answer to "may this failure pass, and may the call be sent
//! again": [`Error::transience`] classifies a failure, and
//! [`Transience::allows_resend`] combines that with what the request allows.
//! The client's retry loop, the OAuth token fetch and the stream poll loops
//! all ask these two, and nothing else.

use std::time::Duration;

use super::Error;
use crate::databricks::retry::Resend;

/// Messages that mean "try again" in both Databricks SDKs.
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

/// How a failure may pass, from what the failure itself says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transience {
    /// The request provably never reached Databricks (the connection was
    /// refused): sending it again is always safe.
    NeverArrived,
    /// Databricks refused for load (HTTP 429, `REQUEST_LIMIT_EXCEEDED`,
    /// `RESOURCE_EXHAUSTED`) without doing the work: sending it again is
    /// always safe, after any `Retry-After` it asked for.
    Throttled,
    /// A failure that usually passes (a gateway 502/503/504, a message both
    /// SDKs treat as "try again", a broken or timed-out connection), but the
    /// request may have done its work: send it again only if that is safe.
    Transient,
    /// Databricks failed on its side or answered unusably: another 5xx
    /// (except 501), a success body that could not be read or was over the
    /// limit, or an OAuth token endpoint that kept failing. Sending the same
    /// request again at once is not known to help, so no call does; but a
    /// later, independent read may see a healthy answer, so a stream's poll
    /// loop, which reads again anyway, tries again.
    ServerFault,
    /// Asking again gets the same answer (a refusal, bad input, missing
    /// credentials), or may repeat work whose outcome is unknown.
    Permanent,
}

// === impl Transience ===

impl Transience {
    /// Whether a request that failed like this may be sent again at once:
    /// always when it never arrived or was throttled, when it may have
    /// arrived only if `resend` is [`Resend::Safe`], otherwise never.
    pub fn allows_resend(self, resend: Resend) -> bool {
        match self {
            Self::NeverArrived | Self::Throttled => true,
            Self::Transient => resend == Resend::Safe,
            Self::ServerFault | Self::Permanent => false,
        }
    }

    /// Whether a stream's poll loop should poll again after this failure.
    ///
    /// A status read is [`Resend::Safe`], so everything
    /// [`Transience::allows_resend`] allows for it is ridden out; and so is a
    /// [`Transience::ServerFault`]: the client's own retries have already
    /// given up on that answer within the call, but the loop's next poll is
    /// a fresh read some time later, which may well be answered normally
    /// (an unreadable or truncated body is typically a one-off).
    pub fn worth_another_poll(self) -> bool {
        self.allows_resend(Resend::Safe) || self == Self::ServerFault
    }
}

// === impl Error ===

impl Error {
    /// How this failure may pass: the single classification every retry
    /// decision reads.
    pub fn transience(&self) -> Transience {
        match self {
            Self::NotSent { source, .. } if source.is_connect() => Transience::NeverArrived,
            Self::Api(api) => {
                let throttled = api.http_status == 429
                    || matches!(
                        api.error_code.as_str(),
                        "REQUEST_LIMIT_EXCEEDED" | "RESOURCE_EXHAUSTED"
                    );
                let transient = matches!(api.http_status, 502..=504)
                    || TRANSIENT_MESSAGES
                        .iter()
                        .any(|marker| api.message.contains(marker));
                if throttled {
                    Transience::Throttled
                } else if transient {
                    Transience::Transient
                } else if api.http_status >= 500 && api.http_status != 501 {
                    Transience::ServerFault
                } else {
                    Transience::Permanent
                }
            }
            // Nothing was sent; a later request may get a slot. The client
            // never resends it itself: the limiter already found no time.
            Self::RateLimited { .. } => Transience::Throttled,
            Self::Timeout { .. } | Self::NoResponse { .. } => Transience::Transient,
            Self::BadResponseBody { .. }
            | Self::BodyTooLarge { .. }
            | Self::TokenEndpointUnavailable { .. } => Transience::ServerFault,
            Self::NotSent { .. }
            | Self::OutcomeUnknown { .. }
            | Self::TokenRefused { .. }
            | Self::NoCallerCredentials
            | Self::InvalidToken => Transience::Permanent,
        }
    }

    /// How long Databricks asked us to wait before asking again, if it said.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::Api(api) => api.retry_after,
            Self::RateLimited { wait } => Some(*wait),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests;
