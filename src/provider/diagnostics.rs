//! Diagnostics a person can act on: one that points at the attribute it is
//! about, and one that carries a Databricks (or service) error's code and
//! message.

use tonic::Status;
use tonic_types::StatusExt;

use super::proto::{AttributePath, Diagnostic, attribute_path, diagnostic::Severity};

/// An error about the whole resource or the provider.
pub fn error(summary: impl Into<String>, detail: impl Into<String>) -> Diagnostic {
    Diagnostic {
        severity: Severity::Error.into(),
        summary: summary.into(),
        detail: detail.into(),
        attribute: None,
    }
}

/// An error shown against the attribute at `path` (attribute names from
/// the top: `["autoscale", "min_workers"]`).
pub fn error_at(
    path: &[&str],
    summary: impl Into<String>,
    detail: impl Into<String>,
) -> Diagnostic {
    Diagnostic {
        attribute: Some(attribute(path)),
        ..error(summary, detail)
    }
}

/// A warning about the whole resource.
pub fn warning(summary: impl Into<String>, detail: impl Into<String>) -> Diagnostic {
    Diagnostic {
        severity: Severity::Warning.into(),
        ..error(summary, detail)
    }
}

/// The path of an attribute, for a diagnostic or `requires_replace`.
pub fn attribute(path: &[&str]) -> AttributePath {
    AttributePath {
        steps: path
            .iter()
            .map(|name| attribute_path::Step {
                selector: Some(attribute_path::step::Selector::AttributeName(
                    (*name).to_owned(),
                )),
            })
            .collect(),
    }
}

/// The error of a failed service call made while `doing` (e.g. "creating
/// cluster etl"): the summary names what failed, the detail carries the
/// gRPC code, the message (which holds Databricks' error code and
/// message), and the reason of its ErrorInfo when there is one.
pub fn from_status(doing: &str, status: &Status) -> Diagnostic {
    let mut detail = format!("{:?}: {}", status.code(), status.message());
    if let Some(info) = status.get_details_error_info() {
        detail.push_str(&format!(
            " (reason {}, domain {})",
            info.reason, info.domain
        ));
    }
    error(format!("Failed {doing}"), detail)
}
