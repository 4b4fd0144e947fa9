//! A failed service call as diagnostics: an INVALID_ARGUMENT whose
//! BadRequest names a field of the resource points at that attribute
//! (the service checks every field before any upstream call and names the
//! field as the resource does); anything else is one diagnostic with the
//! code and Databricks' message.

use tonic::Status;
use tonic_types::StatusExt;

use crate::provider::{
    diagnostics::{error_at, from_status},
    proto::Diagnostic,
};

/// The attributes a service field name can point at.
const ATTRIBUTES: [&str; 11] = [
    "cluster_name",
    "spark_version",
    "node_type_id",
    "num_workers",
    "autoscale",
    "autotermination_minutes",
    "spark_conf",
    "spark_env_vars",
    "custom_tags",
    "data_security_mode",
    "single_user_name",
];

/// The attribute a field such as `spark_conf["k"]` or `autoscale.min_workers`
/// is about, if it is one of the resource's.
fn attribute_of(field: &str) -> Option<&'static str> {
    let head = field
        .split(|c: char| !(c.is_ascii_lowercase() || c == '_'))
        .next()?;
    ATTRIBUTES.into_iter().find(|name| *name == head)
}

/// The diagnostics of `status`, from a call made while `doing`.
pub(super) fn from_service(doing: &str, status: &Status) -> Vec<Diagnostic> {
    let violations = status
        .get_details_bad_request()
        .map(|bad| bad.field_violations)
        .unwrap_or_default();
    let pointed: Vec<Diagnostic> = violations
        .iter()
        .filter_map(|violation| {
            let attribute = attribute_of(&violation.field)?;
            Some(error_at(
                &[attribute],
                format!("Invalid {}", violation.field),
                format!(
                    "{} {} (while {doing}).",
                    violation.field, violation.description
                ),
            ))
        })
        .collect();
    if pointed.len() == violations.len() && !pointed.is_empty() {
        pointed
    } else {
        vec![from_status(doing, status)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_field_names_map_to_attributes() {
        assert_eq!(attribute_of("cluster_name"), Some("cluster_name"));
        assert_eq!(attribute_of("spark_conf[\"\"]"), Some("spark_conf"));
        assert_eq!(attribute_of("autoscale.min_workers"), Some("autoscale"));
        assert_eq!(attribute_of("policy_id"), None);
        assert_eq!(attribute_of(""), None);
    }
}
