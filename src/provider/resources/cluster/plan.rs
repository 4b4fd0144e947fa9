//! Planning a cluster, with no calls: the checks of a configuration (each
//! problem at its attribute), the planned state (unknowns for what only
//! the create or Databricks decides) and the private bytes that carry the
//! create's idempotency token from plan to apply.

use serde::{Deserialize, Serialize};

use crate::provider::{
    diagnostics::{self, error_at},
    proto::{AttributePath, Diagnostic, attribute_path},
    resource::{PlanRequest, Planned},
    value::Value,
};

/// The optional+computed attributes Databricks fills when the
/// configuration leaves them unset.
const DEFAULTED: [&str; 2] = ["autotermination_minutes", "data_security_mode"];

/// Shortest auto-termination other than 0 (never), as the API documents.
const MIN_AUTOTERMINATION: i64 = 10;
/// Longest auto-termination (30 days).
const MAX_AUTOTERMINATION: i64 = 43_200;

/// What the provider keeps in a plan's (and then the state's) private
/// bytes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct Private {
    /// Sent with CreateCluster: a retried apply of the same plan returns
    /// the cluster the first attempt made instead of making a second one.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub(super) idempotency_token: String,
}

impl Private {
    /// Reads private bytes; anything unreadable (or empty) is no token.
    pub(super) fn read(bytes: &[u8]) -> Self {
        serde_json::from_slice(bytes).unwrap_or_default()
    }

    /// The bytes handed to Terraform.
    pub(super) fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// A fresh token, at most 64 characters as Databricks allows.
    fn fresh() -> Self {
        Self {
            idempotency_token: format!("tf-{:032x}", rand::random::<u128>()),
        }
    }
}

/// Plans a create (prior null) or an update.
pub(super) fn plan(request: &PlanRequest) -> Planned {
    let diagnostics = validate(&request.config);
    let mut state = request.proposed.clone();
    let creating = request.prior.is_null();
    if creating {
        state.set_attr("cluster_id", Value::unknown());
        state.set_attr("id", Value::unknown());
    }
    for name in DEFAULTED {
        if request.config.attr(name).is_null() && state.attr(name).is_null() {
            state.set_attr(name, Value::unknown());
        }
    }
    let private = match Private::read(&request.prior_private) {
        // A replacement's second plan gets the first one's bytes: keep the
        // token so both plans create the same cluster.
        known if creating && !known.idempotency_token.is_empty() => known,
        _ if creating => Private::fresh(),
        known => known,
    };
    Planned {
        state,
        requires_replace: Vec::new(),
        private: private.to_bytes(),
        diagnostics,
    }
}

/// The path of the (one) autoscale block: Terraform shows an error at it
/// against the block's lines (a path without the index shows the whole
/// resource).
fn autoscale_block() -> AttributePath {
    use attribute_path::{Step, step::Selector};
    let mut path = diagnostics::attribute(&["autoscale"]);
    path.steps.push(Step {
        selector: Some(Selector::ElementKeyInt(0)),
    });
    path
}

/// The path of `name` inside the autoscale block.
fn in_autoscale(name: &str) -> AttributePath {
    use attribute_path::{Step, step::Selector};
    let mut path = autoscale_block();
    path.steps.push(Step {
        selector: Some(Selector::AttributeName(name.to_owned())),
    });
    path
}

/// A known count: whole, not negative, within i32; `None` when unknown or
/// null (nothing to check yet).
fn count(
    value: &Value,
    what: &str,
    at: impl Fn() -> AttributePath,
    errors: &mut Vec<Diagnostic>,
) -> Option<i64> {
    if value.is_null() || value.is_unknown() {
        return None;
    }
    let problem = match value.as_i64() {
        None => "must be a whole number",
        Some(number) if number < 0 => "must not be negative",
        Some(number) if number > i64::from(i32::MAX) => "is too large",
        Some(number) => return Some(number),
    };
    errors.push(Diagnostic {
        attribute: Some(at()),
        ..diagnostics::error(format!("Invalid {what}"), format!("{what} {problem}."))
    });
    None
}

/// The checks of a configuration (which may hold unknowns: those are
/// checked at plan, once known). Each error points at its attribute.
pub(super) fn validate(config: &Value) -> Vec<Diagnostic> {
    let mut errors = Vec::new();
    let at = |name: &'static str| move || diagnostics::attribute(&[name]);
    count(
        config.attr("num_workers"),
        "num_workers",
        at("num_workers"),
        &mut errors,
    );
    let autoscale = config.attr("autoscale");
    if !config.attr("num_workers").is_null() && !autoscale.elements().is_empty() {
        errors.push(Diagnostic {
            attribute: Some(autoscale_block()),
            ..diagnostics::error(
                "num_workers and autoscale together",
                "Set either num_workers (a fixed size) or an autoscale block, not both.",
            )
        });
    }
    if let Some(bounds) = autoscale.elements().first() {
        let min = count(
            bounds.attr("min_workers"),
            "min_workers",
            || in_autoscale("min_workers"),
            &mut errors,
        );
        let max = count(
            bounds.attr("max_workers"),
            "max_workers",
            || in_autoscale("max_workers"),
            &mut errors,
        );
        if min == Some(0) {
            errors.push(Diagnostic {
                attribute: Some(in_autoscale("min_workers")),
                ..diagnostics::error(
                    "Invalid min_workers",
                    "An autoscaled cluster has at least 1 worker: min_workers must be 1 or more \
                     (for no workers, leave autoscale out and num_workers unset or 0).",
                )
            });
        }
        if let (Some(min), Some(max)) = (min, max) {
            if min > max {
                errors.push(Diagnostic {
                    attribute: Some(in_autoscale("min_workers")),
                    ..diagnostics::error(
                        "min_workers above max_workers",
                        format!("min_workers ({min}) must not be more than max_workers ({max})."),
                    )
                });
            }
        }
    }
    let minutes = count(
        config.attr("autotermination_minutes"),
        "autotermination_minutes",
        at("autotermination_minutes"),
        &mut errors,
    );
    if let Some(minutes) = minutes {
        if minutes != 0 && !(MIN_AUTOTERMINATION..=MAX_AUTOTERMINATION).contains(&minutes) {
            errors.push(error_at(
                &["autotermination_minutes"],
                "Invalid autotermination_minutes",
                format!(
                    "autotermination_minutes must be 0 (never) or between \
                     {MIN_AUTOTERMINATION} and {MAX_AUTOTERMINATION}; it is {minutes}."
                ),
            ));
        }
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::proto::attribute_path::step::Selector;

    fn config(given: Vec<(&str, Value)>) -> Value {
        let mut config = Value::object([
            ("cluster_id", Value::Null),
            ("id", Value::Null),
            ("cluster_name", Value::string("etl")),
            ("spark_version", Value::string("15.4.x-scala2.12")),
            ("node_type_id", Value::string("i3.xlarge")),
            ("num_workers", Value::Null),
            ("autoscale", Value::List(Vec::new())),
            ("autotermination_minutes", Value::Null),
            ("spark_conf", Value::Null),
            ("spark_env_vars", Value::Null),
            ("custom_tags", Value::Null),
            ("data_security_mode", Value::Null),
            ("single_user_name", Value::Null),
        ]);
        for (name, value) in given {
            config.set_attr(name, value);
        }
        config
    }

    fn autoscale(min: i64, max: i64) -> Value {
        Value::List(vec![Value::object([
            ("min_workers", Value::int(min)),
            ("max_workers", Value::int(max)),
        ])])
    }

    fn names(diagnostic: &Diagnostic) -> Vec<String> {
        let path = diagnostic.attribute.as_ref().unwrap();
        path.steps
            .iter()
            .filter_map(|step| match &step.selector {
                Some(Selector::AttributeName(name)) => Some(name.clone()),
                _ => None,
            })
            .collect()
    }

    fn one_error_at(config: &Value) -> Vec<String> {
        let errors = validate(config);
        assert_eq!(errors.len(), 1, "{errors:?}");
        names(&errors[0])
    }

    #[test]
    fn each_bad_value_is_an_error_at_its_attribute() {
        assert!(validate(&config(vec![("num_workers", Value::int(2))])).is_empty());
        assert!(validate(&config(vec![("autoscale", autoscale(1, 4))])).is_empty());
        let both = config(vec![
            ("num_workers", Value::int(2)),
            ("autoscale", autoscale(1, 4)),
        ]);
        assert_eq!(one_error_at(&both), ["autoscale"]);
        let negative = config(vec![("num_workers", Value::int(-1))]);
        assert_eq!(one_error_at(&negative), ["num_workers"]);
        let fractional = config(vec![(
            "num_workers",
            Value::Number(crate::provider::value::Number::Float(1.5)),
        )]);
        assert_eq!(one_error_at(&fractional), ["num_workers"]);
        let inverted = config(vec![("autoscale", autoscale(5, 2))]);
        assert_eq!(one_error_at(&inverted), ["autoscale", "min_workers"]);
        let negative_max = config(vec![("autoscale", autoscale(1, -2))]);
        assert_eq!(one_error_at(&negative_max), ["autoscale", "max_workers"]);
        let zero_min = config(vec![("autoscale", autoscale(0, 2))]);
        assert_eq!(one_error_at(&zero_min), ["autoscale", "min_workers"]);
        let minutes = config(vec![("autotermination_minutes", Value::int(5))]);
        assert_eq!(one_error_at(&minutes), ["autotermination_minutes"]);
        let never = config(vec![("autotermination_minutes", Value::int(0))]);
        assert!(validate(&never).is_empty());
    }

    #[test]
    fn unknown_values_are_checked_later() {
        let unknown = config(vec![
            ("num_workers", Value::unknown()),
            ("autotermination_minutes", Value::unknown()),
        ]);
        assert!(validate(&unknown).is_empty());
    }

    #[test]
    fn a_create_plans_unknown_ids_and_defaults_and_a_token() {
        let config = config(vec![]);
        let planned = plan(&PlanRequest {
            prior: Value::Null,
            proposed: config.clone(),
            config: config.clone(),
            prior_private: Vec::new(),
        });
        for name in [
            "cluster_id",
            "id",
            "autotermination_minutes",
            "data_security_mode",
        ] {
            assert!(planned.state.attr(name).is_unknown(), "{name}");
        }
        assert_eq!(
            planned.state.attr("cluster_name"),
            config.attr("cluster_name")
        );
        assert!(planned.state.attr("num_workers").is_null());
        let token = Private::read(&planned.private).idempotency_token;
        assert!(token.starts_with("tf-") && token.len() <= 64, "{token}");
        // The second plan of a replacement keeps the first one's token.
        let again = plan(&PlanRequest {
            prior: Value::Null,
            proposed: config.clone(),
            config,
            prior_private: planned.private.clone(),
        });
        assert_eq!(Private::read(&again.private).idempotency_token, token);
    }

    #[test]
    fn a_create_keeps_configured_defaults_and_an_update_keeps_prior_values() {
        let configured = config(vec![
            ("autotermination_minutes", Value::int(30)),
            ("data_security_mode", Value::string("SINGLE_USER")),
        ]);
        let planned = plan(&PlanRequest {
            prior: Value::Null,
            proposed: configured.clone(),
            config: configured.clone(),
            prior_private: Vec::new(),
        });
        assert_eq!(
            planned.state.attr("autotermination_minutes"),
            &Value::int(30)
        );
        assert_eq!(
            planned.state.attr("data_security_mode"),
            &Value::string("SINGLE_USER")
        );
        let mut prior = config(vec![
            ("cluster_id", Value::string("c-1")),
            ("id", Value::string("c-1")),
            ("autotermination_minutes", Value::int(120)),
            ("data_security_mode", Value::string("USER_ISOLATION")),
        ]);
        let bigger = config(vec![("num_workers", Value::int(3))]);
        // Terraform's proposal: computed values the config leaves null come
        // from the prior state.
        let mut proposed = bigger.clone();
        for name in [
            "cluster_id",
            "id",
            "autotermination_minutes",
            "data_security_mode",
        ] {
            proposed.set_attr(name, prior.attr(name).clone());
        }
        let planned = plan(&PlanRequest {
            prior: prior.clone(),
            proposed: proposed.clone(),
            config: bigger,
            prior_private: Vec::new(),
        });
        assert_eq!(planned.state, proposed, "nothing unknown in a resize");
        prior.set_attr("num_workers", Value::int(3));
        assert_eq!(planned.state, prior);
    }
}
