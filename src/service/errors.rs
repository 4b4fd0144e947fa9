//! The only mapping from errors to gRPC `Status`: the Databricks `error_code`
//! wins, then the HTTP status. Every upstream error carries
//! `google.rpc.ErrorInfo` (reason = `error_code`, metadata = HTTP status and
//! endpoint), `RequestInfo` when Databricks gave a request id, and `RetryInfo`
//! when it asked us to wait. Invalid requests carry `google.rpc.BadRequest`.
//! Errors this server raises itself (shutdown, deadlines, managed contexts
//! that did not start, a full caller table) carry `ErrorInfo` in
//! [`LOCAL_DOMAIN`]; RESOURCE_EXHAUSTED ones also carry `RetryInfo`.

use std::collections::HashMap;

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};
use tracing::warn;

use super::{
    caps::{OVERLOAD_RETRY_AFTER, Overloaded, Refused},
    clusters::ClusterNotStartable,
    coalesce::DeadlinePassed,
    library_files::LibraryFileInUse,
    library_sets::LibrariesFailed,
    pagination::UnreadableSnapshot,
    shutdown::ShuttingDown,
    tenants::CallerTableFull,
    upload_spool::{SpoolFailed, TooLargeForDestination},
};
use crate::{
    convert::{ClusterTargetUnreachable, InvalidRequest},
    databricks::{ApiError, Error},
    managed_contexts::{ContextStartFailed, ContextStartTimedOut},
};

/// `ErrorInfo.domain` for errors that come from Databricks.
pub const UPSTREAM_DOMAIN: &str = "databricks.com";
/// `ErrorInfo.domain` for errors this server raises itself.
pub const LOCAL_DOMAIN: &str = "databricks-grpc";

// === impl From<InvalidRequest> ===

impl From<InvalidRequest> for Status {
    fn from(error: InvalidRequest) -> Self {
        let mut details = ErrorDetails::new();
        for violation in &error.violations {
            details.add_bad_request_violation(&violation.field, &violation.description);
        }
        details.set_error_info("INVALID_REQUEST", LOCAL_DOMAIN, HashMap::new());
        Status::with_error_details(Code::InvalidArgument, error.to_string(), details)
    }
}

// === impl From<ShuttingDown> ===

impl From<ShuttingDown> for Status {
    fn from(error: ShuttingDown) -> Self {
        local_status(Code::Unavailable, "SERVER_SHUTTING_DOWN", error.to_string())
    }
}

// === impl From<DeadlinePassed> ===

impl From<DeadlinePassed> for Status {
    fn from(error: DeadlinePassed) -> Self {
        local_status(
            Code::DeadlineExceeded,
            "DEADLINE_EXCEEDED",
            error.to_string(),
        )
    }
}

// === impl From<UnreadableSnapshot> ===

impl From<UnreadableSnapshot> for Status {
    fn from(error: UnreadableSnapshot) -> Self {
        warn!(%error, "page snapshot unreadable");
        local_status(Code::Internal, "SNAPSHOT_UNREADABLE", error.to_string())
    }
}

// === impl From<ContextStartFailed> ===

impl From<ContextStartFailed> for Status {
    fn from(error: ContextStartFailed) -> Self {
        local_status(Code::Unavailable, "CONTEXT_START_FAILED", error.to_string())
    }
}

// === impl From<ContextStartTimedOut> ===

impl From<ContextStartTimedOut> for Status {
    fn from(error: ContextStartTimedOut) -> Self {
        local_status(
            Code::DeadlineExceeded,
            "CONTEXT_START_TIMEOUT",
            error.to_string(),
        )
    }
}

// === impl From<CallerTableFull> ===

impl From<CallerTableFull> for Status {
    fn from(error: CallerTableFull) -> Self {
        let mut details = ErrorDetails::new();
        details.set_error_info("CALLER_TABLE_FULL", LOCAL_DOMAIN, HashMap::new());
        // No wait to suggest: a slot frees when some caller's state ends.
        details.set_retry_info(None);
        Status::with_error_details(Code::ResourceExhausted, error.to_string(), details)
    }
}

// === impl From<Overloaded> ===

impl From<Overloaded> for Status {
    fn from(error: Overloaded) -> Self {
        let metadata = HashMap::from([
            ("cap".to_owned(), error.cap.label().to_owned()),
            ("limit".to_owned(), error.limit.to_string()),
        ]);
        let mut details = ErrorDetails::new();
        details.set_error_info("SERVER_OVERLOADED", LOCAL_DOMAIN, metadata);
        details.set_retry_info(Some(OVERLOAD_RETRY_AFTER));
        Status::with_error_details(Code::ResourceExhausted, error.to_string(), details)
    }
}

// === impl From<Refused> ===

impl From<Refused> for Status {
    fn from(refused: Refused) -> Self {
        match refused {
            Refused::Overloaded(overloaded) => overloaded.into(),
            Refused::ShuttingDown(shutting_down) => shutting_down.into(),
        }
    }
}

// === impl From<LibraryFileInUse> ===

impl From<LibraryFileInUse> for Status {
    fn from(error: LibraryFileInUse) -> Self {
        let metadata = HashMap::from([("clusters".to_owned(), error.clusters.join(","))]);
        local_status_with(
            Code::FailedPrecondition,
            "LIBRARY_FILE_IN_USE",
            error.to_string(),
            metadata,
        )
    }
}

// === impl From<TooLargeForDestination> ===

impl From<TooLargeForDestination> for Status {
    fn from(error: TooLargeForDestination) -> Self {
        local_status(
            Code::FailedPrecondition,
            "UPLOAD_TOO_LARGE_FOR_DESTINATION",
            error.to_string(),
        )
    }
}

// === impl From<SpoolFailed> ===

impl From<SpoolFailed> for Status {
    fn from(error: SpoolFailed) -> Self {
        warn!(%error, "upload spool failed");
        local_status(
            Code::Unavailable,
            "UPLOAD_SPOOL_FAILED",
            "the server could not keep the upload on its local disk; nothing was written to Databricks"
                .to_owned(),
        )
    }
}

// === impl From<ClusterNotStartable> ===

impl From<ClusterNotStartable> for Status {
    fn from(error: ClusterNotStartable) -> Self {
        local_status(
            Code::FailedPrecondition,
            "CLUSTER_NOT_STARTABLE",
            error.to_string(),
        )
    }
}

// === impl From<ClusterTargetUnreachable> ===

impl From<ClusterTargetUnreachable> for Status {
    fn from(error: ClusterTargetUnreachable) -> Self {
        let metadata = HashMap::from([
            ("cluster_id".to_owned(), error.cluster_id.clone()),
            ("state".to_owned(), error.state.clone()),
            (
                "termination_code".to_owned(),
                error.termination_code.clone(),
            ),
            (
                "termination_type".to_owned(),
                error.termination_type.clone(),
            ),
        ]);
        local_status_with(
            Code::FailedPrecondition,
            "CLUSTER_TARGET_UNREACHABLE",
            error.to_string(),
            metadata,
        )
    }
}

// === impl From<LibrariesFailed> ===

impl From<LibrariesFailed> for Status {
    fn from(error: LibrariesFailed) -> Self {
        local_status(
            Code::FailedPrecondition,
            "LIBRARY_INSTALL_FAILED",
            error.to_string(),
        )
    }
}

// === impl From<Error> ===

impl From<Error> for Status {
    fn from(error: Error) -> Self {
        match error {
            Error::Api(api) => api_status(&api),
            Error::Timeout { endpoint, after } => local_status(
                Code::DeadlineExceeded,
                "UPSTREAM_TIMEOUT",
                format!("Databricks did not answer {endpoint} within {after:?}"),
            ),
            Error::NotSent { host, source } => {
                warn!(%host, error = %source, "could not reach Databricks");
                local_status(
                    Code::Unavailable,
                    "UPSTREAM_UNREACHABLE",
                    format!("could not reach Databricks at {host}; the request was not sent"),
                )
            }
            Error::NoResponse { endpoint, source } => {
                warn!(%endpoint, error = %source, "connection to Databricks broke");
                local_status(
                    Code::Unavailable,
                    "UPSTREAM_CONNECTION_LOST",
                    format!(
                        "the connection to Databricks broke during {endpoint}; the request may or may not have taken effect"
                    ),
                )
            }
            Error::OutcomeUnknown { endpoint, cause } => {
                warn!(
                    %endpoint,
                    error = %cause,
                    detail = std::error::Error::source(&*cause).map(tracing::field::display),
                    "a call that is never repeated failed after it was sent"
                );
                local_status(
                    Code::Unknown,
                    "UPSTREAM_OUTCOME_UNKNOWN",
                    format!(
                        "{cause}; the request had been sent, so it may or may not have taken effect, \
                         and it was not sent again because repeating it could run it twice: check its \
                         effects before retrying"
                    ),
                )
            }
            Error::BadResponseBody {
                endpoint,
                http_status,
                source,
            } => {
                warn!(%endpoint, http_status, error = %source, "unreadable Databricks response");
                local_status(
                    Code::Internal,
                    "UPSTREAM_BAD_RESPONSE",
                    format!(
                        "Databricks answered {endpoint} with a response this server could not read; the request may or may not have taken effect"
                    ),
                )
            }
            Error::BodyTooLarge { endpoint, limit } => {
                warn!(%endpoint, limit, "Databricks answer over the body limit; not read");
                local_status(
                    Code::ResourceExhausted,
                    "UPSTREAM_BODY_TOO_LARGE",
                    format!(
                        "Databricks answered {endpoint} with more than {limit} bytes, the most this server reads from it, \
                         so the answer was dropped unread; the request reached Databricks and may have taken effect. \
                         Repeating it returns the same answer: make it return less (e.g. a command's output)"
                    ),
                )
            }
            Error::TokenRefused { token_url, message } => local_status(
                Code::Unauthenticated,
                "OAUTH_TOKEN_REFUSED",
                format!(
                    "Databricks issued no OAuth token at {token_url} ({message}); check the client id and secret"
                ),
            ),
            Error::TokenEndpointUnavailable { token_url, message } => local_status(
                Code::Unavailable,
                "OAUTH_TOKEN_ENDPOINT_UNAVAILABLE",
                format!(
                    "Databricks' OAuth token endpoint {token_url} kept failing while this call could wait ({message}); try again later"
                ),
            ),
            Error::RateLimited { wait } => {
                let mut details = ErrorDetails::new();
                details.set_error_info("WORKSPACE_RATE_LIMITED", LOCAL_DOMAIN, HashMap::new());
                details.set_retry_info(Some(wait));
                Status::with_error_details(
                    Code::ResourceExhausted,
                    format!(
                        "this server's rate limit for the Databricks workspace could not send the request \
                         before the call's deadline (the next slot is about {wait:?} away); nothing was sent: \
                         retry later, or with a longer deadline"
                    ),
                    details,
                )
            }
            Error::NoCallerCredentials => local_status(
                Code::Unauthenticated,
                "CALLER_CREDENTIALS_REQUIRED",
                CALLER_CREDENTIALS_REQUIRED.to_owned(),
            ),
            Error::InvalidToken => local_status(
                Code::FailedPrecondition,
                "INVALID_TOKEN",
                "the configured Databricks token contains characters that cannot be sent"
                    .to_owned(),
            ),
        }
    }
}

/// What a caller of a pass-through server is told when its call carries no
/// usable `authorization` metadata.
pub const CALLER_CREDENTIALS_REQUIRED: &str = "this server forwards each caller's own Databricks credentials (--auth-passthrough): \
     send metadata `authorization: Bearer <token>` (or `Basic <base64 user:password>`)";

/// The gRPC code for a Databricks error: `error_code` first, then HTTP status.
pub fn code_for(error: &ApiError) -> Code {
    match error.error_code.as_str() {
        "INVALID_PARAMETER_VALUE" if names_a_gone_cluster(&error.message) => Code::NotFound,
        "INVALID_PARAMETER_VALUE" | "MALFORMED_REQUEST" | "BAD_REQUEST" => Code::InvalidArgument,
        "INVALID_STATE" => Code::FailedPrecondition,
        "RESOURCE_DOES_NOT_EXIST" | "NOT_FOUND" | "ENDPOINT_NOT_FOUND" => Code::NotFound,
        _ if names_a_missing_thing(&error.message) => Code::NotFound,
        "ABORTED" => Code::Aborted,
        "ALREADY_EXISTS" | "RESOURCE_ALREADY_EXISTS" => Code::AlreadyExists,
        "RESOURCE_EXHAUSTED" | "REQUEST_LIMIT_EXCEEDED" => Code::ResourceExhausted,
        "PERMISSION_DENIED" => Code::PermissionDenied,
        "UNAUTHENTICATED" => Code::Unauthenticated,
        "DATA_LOSS" => Code::DataLoss,
        _ => code_for_http_status(error.http_status),
    }
}

/// The two ways `clusters/get` (and calls about a cluster) say "no such
/// cluster" with a 400: `Cluster X does not exist`, and `Cannot access cluster
/// X that was terminated or unpinned more than 30 days ago` (a purged one).
fn names_a_gone_cluster(message: &str) -> bool {
    message.contains("does not exist")
        || (message.starts_with("Cannot access cluster")
            && message.contains("terminated or unpinned more than"))
}

/// REST 1.2 errors such as `{"error": "ContextNotFound: ..."}` name the
/// exception class before a colon.
fn names_a_missing_thing(message: &str) -> bool {
    message
        .split_once(':')
        .is_some_and(|(class, _)| class.ends_with("NotFound") && !class.contains(' '))
}

fn code_for_http_status(status: u16) -> Code {
    match status {
        400 => Code::InvalidArgument,
        401 => Code::Unauthenticated,
        403 => Code::PermissionDenied,
        404 => Code::NotFound,
        409 => Code::FailedPrecondition,
        429 => Code::ResourceExhausted,
        499 => Code::Cancelled,
        501 => Code::Unimplemented,
        500..=599 => Code::Unavailable,
        _ => Code::Unknown,
    }
}

fn api_status(error: &ApiError) -> Status {
    let code = code_for(error);
    let message = match code {
        Code::Unauthenticated | Code::PermissionDenied
            if error.error_code.chars().all(|c| c.is_ascii_digit()) =>
        {
            format!(
                "Databricks refused the credentials: {} (check the server's configured credentials, \
                 or with --auth-passthrough the call's `authorization` metadata)",
                error.message
            )
        }
        _ => format!(
            "Databricks: {} ({}, HTTP {})",
            error.message, error.error_code, error.http_status
        ),
    };
    if code == Code::Unavailable {
        warn!(endpoint = %error.endpoint, http_status = error.http_status, error_code = %error.error_code,
              message = %error.message, "Databricks is unavailable");
    }
    let metadata = HashMap::from([
        ("http_status".to_owned(), error.http_status.to_string()),
        ("endpoint".to_owned(), error.endpoint.clone()),
    ]);
    let mut details = ErrorDetails::new();
    details.set_error_info(&error.error_code, UPSTREAM_DOMAIN, metadata);
    if let Some(request_id) = &error.request_id {
        details.set_request_info(request_id, "");
    }
    if error.retry_after.is_some() || code == Code::ResourceExhausted {
        details.set_retry_info(error.retry_after);
    }
    Status::with_error_details(code, message, details)
}

fn local_status(code: Code, reason: &str, message: String) -> Status {
    local_status_with(code, reason, message, HashMap::new())
}

/// A status this server raises, with `ErrorInfo` carrying `metadata`.
fn local_status_with(
    code: Code,
    reason: &str,
    message: String,
    metadata: HashMap<String, String>,
) -> Status {
    let mut details = ErrorDetails::new();
    details.set_error_info(reason, LOCAL_DOMAIN, metadata);
    Status::with_error_details(code, message, details)
}

#[cfg(test)]
mod tests;
