//! Errors of the REST adapter: [`Error`], everything a call can fail with, and
//! [`ApiError`], an error response from Databricks. `parse.rs` turns any such
//! response into an [`ApiError`]; `transience.rs` says whether a failure
//! may pass and whether the call may be sent again.

use std::time::Duration;

use serde_json::Value;

mod parse;
mod transience;

pub(in crate::databricks) use parse::upstream_request_id;
pub use transience::Transience;

/// Everything that can go wrong calling Databricks.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The request never reached Databricks (connection refused, DNS, TLS).
    #[error("could not reach Databricks at {host}")]
    NotSent {
        /// The workspace host we tried.
        host: String,
        /// The transport error.
        #[source]
        source: reqwest::Error,
    },
    /// No complete answer arrived in time.
    #[error("Databricks did not answer {endpoint} within {after:?}")]
    Timeout {
        /// `METHOD path` of the call.
        endpoint: String,
        /// The time allowed.
        after: Duration,
    },
    /// The connection failed after the request may have been sent.
    #[error("the connection to Databricks broke during {endpoint}")]
    NoResponse {
        /// `METHOD path` of the call.
        endpoint: String,
        /// The transport error.
        #[source]
        source: reqwest::Error,
    },
    /// A request that must not be repeated (ExecuteCommand, CreateContext)
    /// may have reached Databricks, and then the call failed: the connection
    /// broke, no answer came in time, or the answer could not be read. It
    /// may have taken effect, and it was not sent again.
    #[error("{endpoint} was sent and may have taken effect: {cause}")]
    OutcomeUnknown {
        /// `METHOD path` of the call.
        endpoint: String,
        /// What went wrong after the request was sent.
        #[source]
        cause: Box<Error>,
    },
    /// A success response whose body is not what the API documents.
    #[error(
        "Databricks answered {endpoint} with HTTP {http_status} and a body that could not be read"
    )]
    BadResponseBody {
        /// `METHOD path` of the call.
        endpoint: String,
        /// The HTTP status of the response.
        http_status: u16,
        /// Why the body could not be decoded.
        #[source]
        source: serde_json::Error,
    },
    /// Databricks answered with a body larger than this server reads from
    /// the endpoint; the rest of it was not read.
    #[error("Databricks answered {endpoint} with a body over {limit} bytes, which is not read")]
    BodyTooLarge {
        /// `METHOD path` of the call.
        endpoint: String,
        /// The endpoint's body limit in bytes.
        limit: usize,
    },
    /// The OAuth token endpoint refused or failed to issue a token.
    #[error("no OAuth token from {token_url}: {message}")]
    TokenRefused {
        /// The token endpoint.
        token_url: String,
        /// What went wrong, without secrets.
        message: String,
    },
    /// The OAuth token endpoint kept failing transiently (429, 5xx, network)
    /// for as long as a fetch may retry.
    #[error("no OAuth token from {token_url}: {message}")]
    TokenEndpointUnavailable {
        /// The token endpoint.
        token_url: String,
        /// The last failure, without secrets.
        message: String,
    },
    /// The workspace rate limit could not grant this request a slot before
    /// its deadline: nothing was sent.
    #[error(
        "the workspace rate limit could not send this request before its deadline (next slot in about {wait:?}); nothing was sent"
    )]
    RateLimited {
        /// About how long until the limiter could serve a new request.
        wait: Duration,
    },
    /// Pass-through mode, and the call carried no credentials to forward.
    #[error("this server forwards each caller's own credentials, and the call carried none")]
    NoCallerCredentials,
    /// The configured token cannot be sent in an HTTP header.
    #[error("the Databricks token contains characters that cannot be sent in an HTTP header")]
    InvalidToken,
    /// Databricks answered with an error status.
    #[error(transparent)]
    Api(Box<ApiError>),
}

// === impl Error ===

impl Error {
    /// `Ok` when this is the refusal a resend met because the attempt whose
    /// answer was lost already did the work (`done_before(api)` says which
    /// refusal that is): the caller asked for that work, and it is done.
    pub fn done_by_lost_attempt(
        result: Result<(), Self>,
        done_before: impl FnOnce(&ApiError) -> bool,
    ) -> Result<(), Self> {
        match result {
            Err(Self::Api(api)) if api.after_lost_answer && done_before(&api) => {
                tracing::debug!(endpoint = %api.endpoint, "the lost attempt did the work; its resend was refused");
                Ok(())
            }
            other => other,
        }
    }

    /// True when the request may have reached Databricks and done its work
    /// although the call failed: the connection broke after sending, no
    /// answer came in time, or an answer came that could not be read (or
    /// was too large to read).
    pub fn may_have_arrived(&self) -> bool {
        matches!(
            self,
            Self::Timeout { .. }
                | Self::NoResponse { .. }
                | Self::BadResponseBody { .. }
                | Self::BodyTooLarge { .. }
                | Self::OutcomeUnknown { .. }
        )
    }
}

impl From<super::limiter::Refused> for Error {
    fn from(refused: super::limiter::Refused) -> Self {
        Self::RateLimited { wait: refused.wait }
    }
}

impl From<ApiError> for Error {
    fn from(error: ApiError) -> Self {
        Self::Api(Box::new(error))
    }
}

/// An error response from Databricks, whatever its body looked like.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("Databricks refused {endpoint} with HTTP {http_status} {error_code}: {message}")]
pub struct ApiError {
    /// `METHOD path` of the call.
    pub endpoint: String,
    /// The HTTP status code.
    pub http_status: u16,
    /// The Databricks `error_code` (numeric codes as their digits), or one
    /// derived from the reason phrase when the body had none.
    pub error_code: String,
    /// The message for people.
    pub message: String,
    /// The request id Databricks assigned, when it said.
    pub request_id: Option<String>,
    /// google.rpc-style detail objects from the body.
    pub details: Vec<Value>,
    /// How long Databricks asked us to wait (`Retry-After`).
    pub retry_after: Option<Duration>,
    /// This answered a resend of a request whose earlier answer was lost
    /// (broken connection, timeout): that attempt may have done the work.
    pub after_lost_answer: bool,
}

// === impl ApiError ===

impl ApiError {
    /// Databricks says the thing asked about is not there (404,
    /// `RESOURCE_DOES_NOT_EXIST`, `NOT_FOUND`, or "... does not exist").
    pub fn is_not_found(&self) -> bool {
        self.http_status == 404
            || matches!(
                self.error_code.as_str(),
                "RESOURCE_DOES_NOT_EXIST" | "NOT_FOUND"
            )
            || self.message.contains("does not exist")
    }

    /// Databricks refused because of the resource's state (`INVALID_STATE`),
    /// e.g. a restart of a cluster that is already restarting.
    pub fn is_invalid_state(&self) -> bool {
        self.error_code == "INVALID_STATE"
    }

    /// Databricks refused because the execution context does not exist
    /// (REST 1.2 `ContextNotFound`, or a message saying so).
    pub fn is_context_not_found(&self) -> bool {
        let message = self.message.to_ascii_lowercase();
        message.contains("contextnotfound")
            || (message.contains("context")
                && (message.contains("not found") || message.contains("does not exist")))
    }
}

#[cfg(test)]
mod tests {
    use super::{ApiError, Error};

    fn refusal(code: &str, message: &str, after_lost_answer: bool) -> Result<(), Error> {
        Err(ApiError {
            endpoint: "POST /api/2.1/clusters/restart".into(),
            http_status: 400,
            error_code: code.into(),
            message: message.into(),
            request_id: None,
            details: Vec::new(),
            retry_after: None,
            after_lost_answer,
        }
        .into())
    }

    #[test]
    fn only_the_named_refusal_of_a_resend_after_a_lost_answer_is_success() {
        let restarting = "Cluster c is in unexpected state Restarting.";
        let done = Error::done_by_lost_attempt(
            refusal("INVALID_STATE", restarting, true),
            ApiError::is_invalid_state,
        );
        assert!(done.is_ok());
        // The first attempt's own refusal stays a refusal.
        let first = Error::done_by_lost_attempt(
            refusal("INVALID_STATE", restarting, false),
            ApiError::is_invalid_state,
        );
        assert!(first.is_err());
        // Another refusal of the resend stays a refusal.
        let other = Error::done_by_lost_attempt(
            refusal("INVALID_PARAMETER_VALUE", "bad", true),
            ApiError::is_invalid_state,
        );
        assert!(other.is_err());
        let gone = Error::done_by_lost_attempt(
            refusal("INVALID_PARAMETER_VALUE", "Cluster c does not exist", true),
            ApiError::is_not_found,
        );
        assert!(gone.is_ok());
    }
}
