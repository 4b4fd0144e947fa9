//! The pure half of `dbgrpc_cluster_libraries`: validation and planning,
//! which make no call.

use super::library::kinds_set;
use crate::provider::{
    diagnostics,
    proto::Diagnostic,
    resource::{PlanRequest, Planned},
    value::Value,
};

/// The restart policies, as written in a configuration.
pub(super) const RESTART_NEVER: &str = "never";
/// Restart once when the change needs it.
pub(super) const RESTART_IF_NEEDED: &str = "if_needed";

/// Checks a configuration (unknowns are left for later): each library
/// sets exactly one kind, `restart` is a known policy, `cluster_id` is
/// not empty.
pub(super) fn validate(config: &Value) -> Vec<Diagnostic> {
    let mut problems = Vec::new();
    if config.attr("cluster_id").as_str() == Some("") {
        problems.push(diagnostics::error_at(
            &["cluster_id"],
            "Empty cluster_id",
            "Set cluster_id to the id of the cluster, e.g. dbgrpc_cluster.etl.cluster_id.",
        ));
    }
    if let Some(restart) = config.attr("restart").as_str() {
        if ![RESTART_NEVER, RESTART_IF_NEEDED].contains(&restart) {
            problems.push(diagnostics::error_at(
                &["restart"],
                "Unknown restart policy",
                format!(
                    "restart is {restart:?}; it must be \"{RESTART_NEVER}\" (report that a restart \
                     is needed) or \"{RESTART_IF_NEEDED}\" (restart the cluster once when needed)."
                ),
            ));
        }
    }
    for library in config.attr("library").elements() {
        if !library.is_wholly_known() && kinds_set(library) < 2 {
            // What is unknown may still turn out null or set.
            continue;
        }
        let count = kinds_set(library);
        if count != 1 {
            problems.push(diagnostics::error_at(
                &["library"],
                if count == 0 {
                    "A library block sets no library"
                } else {
                    "A library block sets more than one library"
                },
                "Each library block sets exactly one of jar, whl, egg, requirements, pypi, maven \
                 or cran; write one block per library.",
            ));
        }
    }
    problems
}

/// Plans a create or an update: the libraries exactly as configured,
/// `restart` "never" and `start_cluster` false when unset, `id` the
/// cluster id (unknown while the cluster id is). Changing the cluster
/// replaces the resource.
pub(super) fn plan(request: &PlanRequest) -> Planned {
    let config = &request.config;
    let mut state = request.proposed.clone();
    state.set_attr("library", config.attr("library").clone());
    state.set_attr("cluster_id", config.attr("cluster_id").clone());
    state.set_attr("id", config.attr("cluster_id").clone());
    state.set_attr(
        "restart",
        or_default(config.attr("restart"), Value::string(RESTART_NEVER)),
    );
    state.set_attr(
        "start_cluster",
        or_default(config.attr("start_cluster"), Value::Bool(false)),
    );
    Planned {
        state,
        requires_replace: vec![vec!["cluster_id"]],
        private: request.prior_private.clone(),
        diagnostics: Vec::new(),
    }
}

fn or_default(configured: &Value, default: Value) -> Value {
    if configured.is_null() {
        default
    } else {
        configured.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jar(uri: Value) -> Value {
        Value::object([
            ("jar", uri),
            ("whl", Value::Null),
            ("egg", Value::Null),
            ("requirements", Value::Null),
            ("pypi", Value::List(vec![])),
            ("maven", Value::List(vec![])),
            ("cran", Value::List(vec![])),
        ])
    }

    fn config(cluster_id: Value, libraries: Vec<Value>) -> Value {
        Value::object([
            ("cluster_id", cluster_id),
            ("id", Value::Null),
            ("restart", Value::Null),
            ("start_cluster", Value::Null),
            ("library", Value::List(libraries)),
        ])
    }

    fn request(prior: Value, config: Value) -> PlanRequest {
        let mut proposed = config.clone();
        for name in ["id", "restart", "start_cluster"] {
            if config.attr(name).is_null() {
                proposed.set_attr(name, prior.attr(name).clone());
            }
        }
        PlanRequest {
            prior,
            proposed,
            config,
            prior_private: b"owned".to_vec(),
        }
    }

    #[test]
    fn unset_policies_plan_their_defaults_even_over_a_prior_value() {
        let config = config(Value::string("c-1"), vec![jar(Value::string("/a.jar"))]);
        let mut prior = config.clone();
        prior.set_attr("restart", Value::string(RESTART_IF_NEEDED));
        prior.set_attr("start_cluster", Value::Bool(true));
        prior.set_attr("id", Value::string("c-1"));
        let planned = plan(&request(prior, config.clone()));
        assert_eq!(planned.state.attr("restart"), &Value::string(RESTART_NEVER));
        assert_eq!(planned.state.attr("start_cluster"), &Value::Bool(false));
        assert_eq!(planned.state.attr("id"), &Value::string("c-1"));
        assert_eq!(planned.state.attr("library"), config.attr("library"));
        assert_eq!(planned.requires_replace, vec![vec!["cluster_id"]]);
        assert_eq!(planned.private, b"owned");
    }

    #[test]
    fn an_unknown_cluster_id_plans_an_unknown_id() {
        let config = config(Value::unknown(), vec![jar(Value::unknown())]);
        let planned = plan(&request(Value::Null, config));
        assert!(planned.state.attr("id").is_unknown());
        assert!(planned.state.attr("cluster_id").is_unknown());
        assert!(!planned.state.attr("library").is_wholly_known());
    }

    #[test]
    fn validation_points_at_the_library_and_the_restart() {
        let mut two = jar(Value::string("/a.jar"));
        two.set_attr("whl", Value::string("/a.whl"));
        let none = jar(Value::Null);
        let mut bad = config(Value::string("c-1"), vec![two, none]);
        bad.set_attr("restart", Value::string("always"));
        let problems = validate(&bad);
        let paths: Vec<_> = problems
            .iter()
            .map(|d| d.attribute.clone().unwrap())
            .collect();
        assert_eq!(
            paths,
            [
                diagnostics::attribute(&["restart"]),
                diagnostics::attribute(&["library"]),
                diagnostics::attribute(&["library"]),
            ]
        );
        // Unknowns are not judged yet; one known kind is enough.
        let pending = config(Value::unknown(), vec![jar(Value::unknown())]);
        assert!(validate(&pending).is_empty());
        assert!(
            validate(&config(
                Value::string("c-1"),
                vec![jar(Value::string("/a.jar"))]
            ))
            .is_empty()
        );
    }
}
