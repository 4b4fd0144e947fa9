//! A failed service call as diagnostics: an INVALID_ARGUMENT whose
//! BadRequest names a field of the resource points at that attribute
//! (the service checks every field before any upstream call and names the
//! field as the resource does); anything else is one diagnostic with the
//! code and Databricks' message.

use tonic::Status;
use tonic_types::StatusExt;

use super::schema::cluster_schema;
use crate::provider::{
    diagnostics::{error_at, from_status},
    proto::Diagnostic,
};

/// The attribute a field such as `spark_conf["k"]` or `autoscale.min_workers`
/// is about, if it is one the configuration sets (an attribute or block of
/// the resource's schema that is not computed only).
fn attribute_of(field: &str) -> Option<String> {
    let head = field
        .split(|c: char| !(c.is_ascii_lowercase() || c == '_'))
        .next()
        .filter(|head| !head.is_empty())?;
    let block = cluster_schema().block?;
    let mut configurable = block
        .attributes
        .iter()
        .filter(|attribute| attribute.required || attribute.optional)
        .map(|attribute| attribute.name.as_str())
        .chain(
            block
                .block_types
                .iter()
                .map(|nested| nested.type_name.as_str()),
        );
    configurable.find(|name| *name == head).map(str::to_owned)
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
                &[attribute.as_str()],
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
        assert_eq!(
            attribute_of("cluster_name").as_deref(),
            Some("cluster_name")
        );
        assert_eq!(
            attribute_of("spark_conf[\"\"]").as_deref(),
            Some("spark_conf")
        );
        assert_eq!(
            attribute_of("autoscale.min_workers").as_deref(),
            Some("autoscale")
        );
        assert_eq!(attribute_of("policy_id"), None);
        assert_eq!(attribute_of(""), None);
        // Computed-only attributes are not the configuration's to fix.
        assert_eq!(attribute_of("cluster_id"), None);
    }
}
