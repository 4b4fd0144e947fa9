//! Databricks error responses: an HTTP status plus a JSON body,
//! `{"error_code": ..., "message": ...}` (the code a string, or a number for
//! authentication failures) or `{"error": ...}` for the REST API 1.2 failures
//! that Databricks reports that way, built by name so that every handler
//! words the same failure the same way.

use axum::{
    Json,
    http::{HeaderValue, Method, StatusCode, Uri},
    response::{IntoResponse, Response},
};
use serde_json::{Value, json};

use super::lifecycle::ClusterState;

/// A refused request, rendered as Databricks renders it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ErrorResponse {
    status: StatusCode,
    body: Body,
}

/// The two shapes of error body.
#[derive(Debug, Clone, PartialEq)]
enum Body {
    /// `{"error_code": <code>, "message": <message>}` (2.0 and most 1.2).
    Coded { error_code: Value, message: String },
    /// `{"error": <text>}` (some REST API 1.2 failures).
    Legacy { error: String },
}

// === impl ErrorResponse ===

impl ErrorResponse {
    fn new(status: StatusCode, error_code: Value, message: impl Into<String>) -> Self {
        let message = message.into();
        let body = Body::Coded {
            error_code,
            message,
        };
        Self { status, body }
    }

    fn text(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        Self::new(status, json!(code), message)
    }

    /// Any coded error (the file stores name theirs where they arise).
    pub(crate) fn coded(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        Self::text(status, code, message)
    }

    /// 400 `INVALID_PARAMETER_VALUE`.
    pub(crate) fn invalid_parameter(message: impl Into<String>) -> Self {
        Self::text(StatusCode::BAD_REQUEST, "INVALID_PARAMETER_VALUE", message)
    }

    /// 400 `INVALID_PARAMETER_VALUE` "Missing required field: `field`".
    pub(crate) fn missing_field(field: &str) -> Self {
        Self::invalid_parameter(format!("Missing required field: {field}"))
    }

    /// 400 `INVALID_PARAMETER_VALUE` "Cluster `id` does not exist".
    pub(crate) fn no_such_cluster(cluster_id: &str) -> Self {
        Self::invalid_parameter(format!("Cluster {cluster_id} does not exist"))
    }

    /// 400 `INVALID_STATE` "Cluster `id` is in unexpected state Running."
    pub(crate) fn unexpected_state(cluster_id: &str, state: ClusterState) -> Self {
        let message = format!(
            "Cluster {cluster_id} is in unexpected state {}.",
            state.word()
        );
        Self::text(StatusCode::BAD_REQUEST, "INVALID_STATE", message)
    }

    /// A REST API 1.2 failure: `{"error": "<text>"}` with no `error_code`.
    fn legacy(status: StatusCode, error: String) -> Self {
        let body = Body::Legacy { error };
        Self { status, body }
    }

    /// 400 `INVALID_STATE` "Cluster `id` is not running." (1.2 calls on a
    /// cluster that is not `RUNNING`).
    pub(crate) fn cluster_not_running(cluster_id: &str) -> Self {
        let message = format!("Cluster {cluster_id} is not running.");
        Self::text(StatusCode::BAD_REQUEST, "INVALID_STATE", message)
    }

    /// 400 `{"error": "ContextNotFound: ..."}`.
    pub(crate) fn context_not_found(cluster_id: &str, context_id: &str) -> Self {
        Self::legacy(
            StatusCode::BAD_REQUEST,
            format!(
                "ContextNotFound: Execution context {context_id} not found on cluster {cluster_id}"
            ),
        )
    }

    /// 400 `{"error": "CommandNotFound: ..."}`.
    pub(crate) fn command_not_found(cluster_id: &str, context_id: &str, command_id: &str) -> Self {
        Self::legacy(
            StatusCode::BAD_REQUEST,
            format!(
                "CommandNotFound: Command {command_id} not found in execution context \
                 {context_id} on cluster {cluster_id}"
            ),
        )
    }

    /// 400 `{"error": "Too many execution contexts ..."}`, the text the
    /// Databricks driver gives when a cluster already has `limit` contexts.
    pub(crate) fn too_many_contexts(limit: usize) -> Self {
        Self::legacy(
            StatusCode::BAD_REQUEST,
            format!(
                "Too many execution contexts are open right now.(Limit set currently to {limit})"
            ),
        )
    }

    /// 500 `{"error": ...}` when the context's interpreter cannot be started.
    pub(crate) fn no_interpreter(python: &str, detail: impl std::fmt::Display) -> Self {
        Self::legacy(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!(
                "ExecutionContextStartException: the emulator could not start the Python \
                 interpreter '{python}' that runs execution contexts: {detail}. Install python3 \
                 or choose an interpreter with EmulatorConfig::with_python."
            ),
        )
    }

    /// 400 `MALFORMED_REQUEST` for a body that is not the JSON object expected.
    pub(crate) fn malformed(detail: impl std::fmt::Display) -> Self {
        let message = format!("Invalid JSON given in the body of the request - {detail}");
        Self::text(StatusCode::BAD_REQUEST, "MALFORMED_REQUEST", message)
    }

    /// 500 `INTERNAL_ERROR` "Unexpected error", the historic answer to an
    /// empty uninstall list.
    pub(crate) fn unexpected() -> Self {
        Self::text(
            StatusCode::INTERNAL_SERVER_ERROR,
            "INTERNAL_ERROR",
            "Unexpected error",
        )
    }

    /// 404 `ENDPOINT_NOT_FOUND` "No API found for 'GET /path'".
    pub(crate) fn no_endpoint(method: &Method, path: &str) -> Self {
        let message = format!("No API found for '{method} {path}'");
        Self::text(StatusCode::NOT_FOUND, "ENDPOINT_NOT_FOUND", message)
    }

    /// 401 with the numeric `error_code` Databricks sends when no bearer
    /// token came with the request.
    pub(crate) fn unauthenticated() -> Self {
        let message = "Credential was not sent or was of an unsupported type for this API.";
        Self::new(StatusCode::UNAUTHORIZED, json!(401), message)
    }

    /// 403 with the numeric `error_code` Databricks sends for a bad token.
    pub(crate) fn invalid_token() -> Self {
        Self::new(StatusCode::FORBIDDEN, json!(403), "Invalid access token.")
    }
}

impl IntoResponse for ErrorResponse {
    fn into_response(self) -> Response {
        let (reason, body) = match self.body {
            Body::Coded {
                error_code,
                message,
            } => {
                let reason = HeaderValue::from_str(&message).ok();
                (
                    reason,
                    json!({"error_code": error_code, "message": message}),
                )
            }
            Body::Legacy { error } => {
                let reason = HeaderValue::from_str(&error).ok();
                (reason, json!({ "error": error }))
            }
        };
        let mut response = (self.status, Json(body)).into_response();
        // Databricks repeats the human reason in a header; SDKs may log it.
        if let Some(reason) = reason {
            response
                .headers_mut()
                .insert("x-databricks-reason-phrase", reason);
        }
        response
    }
}

/// The fallback for paths and methods no route serves.
pub(crate) async fn no_endpoint(method: Method, uri: Uri) -> ErrorResponse {
    ErrorResponse::no_endpoint(&method, uri.path())
}
