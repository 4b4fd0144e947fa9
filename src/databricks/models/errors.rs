//! The error body Databricks sends in any of its JSON shapes.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A Databricks error body in any of its JSON shapes: 2.0
/// `{"error_code", "message", "details"}` (with `error_code` a string or a
/// number) or 1.2 `{"error": "..."}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ApiErrorBody {
    /// Error code; a string such as `INVALID_PARAMETER_VALUE`, or a number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<ErrorCode>,
    /// Human-readable message (2.0 style).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Human-readable message (1.2 style).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// google.rpc-style detail objects with an `@type`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<Value>,
}

/// An `error_code` that Databricks sends as a string or, for some auth
/// failures, as a JSON number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ErrorCode {
    /// The usual form, e.g. `RESOURCE_DOES_NOT_EXIST`.
    Text(String),
    /// The numeric form, e.g. `403`.
    Number(i64),
}

// === impl ErrorCode ===

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ErrorCode::Text(text) => f.write_str(text),
            ErrorCode::Number(number) => write!(f, "{number}"),
        }
    }
}
