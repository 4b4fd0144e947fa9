//! A cluster as GetCluster describes it, back into the resource's state:
//! only the schema's attributes, normalised against the state it refreshes
//! so an unchanged cluster reads back exactly as it was planned (an empty
//! map stays null when the configuration had none, 0 workers stays an
//! unset num_workers).

use std::collections::HashMap;

use crate::{proto::compute as pb, provider::value::Value};

/// A map of strings: null when empty and `reference` is null (the
/// configuration set none), the entries otherwise.
fn string_map(entries: &HashMap<String, String>, reference: &Value) -> Value {
    if entries.is_empty() && reference.is_null() {
        Value::Null
    } else {
        Value::string_map(entries)
    }
}

/// A string Databricks sends empty when unset: null then, unless
/// `reference` is the empty string too.
fn optional_text(text: &str, reference: &Value) -> Value {
    if text.is_empty() && reference.as_str() != Some("") {
        Value::Null
    } else {
        Value::string(text)
    }
}

/// The state of `cluster`, normalised against `reference` (the state
/// before, the planned state, or null for an import).
pub(super) fn state_of(cluster: &pb::Cluster, reference: &Value) -> Value {
    let (num_workers, autoscale) = match &cluster.autoscale {
        Some(bounds) => (
            Value::Null,
            vec![Value::object([
                ("min_workers", Value::int(bounds.min_workers.into())),
                ("max_workers", Value::int(bounds.max_workers.into())),
            ])],
        ),
        // No workers is what an unset num_workers means: keep it unset
        // unless the configuration said 0.
        None if cluster.num_workers == 0 && reference.attr("num_workers").as_i64() != Some(0) => {
            (Value::Null, Vec::new())
        }
        None => (Value::int(cluster.num_workers.into()), Vec::new()),
    };
    Value::object([
        ("cluster_id", Value::string(&cluster.cluster_id)),
        ("id", Value::string(&cluster.cluster_id)),
        ("cluster_name", Value::string(&cluster.cluster_name)),
        ("spark_version", Value::string(&cluster.spark_version)),
        ("node_type_id", Value::string(&cluster.node_type_id)),
        ("num_workers", num_workers),
        ("autoscale", Value::List(autoscale)),
        (
            "autotermination_minutes",
            Value::int(cluster.autotermination_minutes.into()),
        ),
        (
            "spark_conf",
            string_map(&cluster.spark_conf, reference.attr("spark_conf")),
        ),
        (
            "spark_env_vars",
            string_map(&cluster.spark_env_vars, reference.attr("spark_env_vars")),
        ),
        (
            "custom_tags",
            string_map(&cluster.custom_tags, reference.attr("custom_tags")),
        ),
        (
            "data_security_mode",
            optional_text(
                &cluster.data_security_mode,
                reference.attr("data_security_mode"),
            ),
        ),
        (
            "single_user_name",
            optional_text(
                &cluster.single_user_name,
                reference.attr("single_user_name"),
            ),
        ),
    ])
}

/// What is known of a cluster whose create was sent but whose wait or
/// read failed: the planned state with its id, and null where the plan
/// had unknowns (the next refresh fills them).
pub(super) fn partial(planned: &Value, cluster_id: &str) -> Value {
    let mut state = planned.clone();
    state.set_attr("cluster_id", Value::string(cluster_id));
    state.set_attr("id", Value::string(cluster_id));
    if let Value::Map(attributes) = &mut state {
        for value in attributes.values_mut() {
            if value.is_unknown() {
                *value = Value::Null;
            }
        }
    }
    state
}

#[cfg(test)]
mod tests {
    use super::*;

    fn remote() -> pb::Cluster {
        pb::Cluster {
            cluster_id: "c-1".into(),
            cluster_name: "etl".into(),
            spark_version: "15.4.x-scala2.12".into(),
            node_type_id: "i3.xlarge".into(),
            num_workers: 0,
            autotermination_minutes: 120,
            data_security_mode: "USER_ISOLATION".into(),
            ..pb::Cluster::default()
        }
    }

    #[test]
    fn empty_remote_values_read_back_as_the_configuration_wrote_them() {
        let unset = state_of(&remote(), &Value::Null);
        assert!(unset.attr("num_workers").is_null());
        assert!(unset.attr("spark_conf").is_null());
        assert!(unset.attr("single_user_name").is_null());
        assert_eq!(unset.attr("autotermination_minutes"), &Value::int(120));
        let written = Value::object([
            ("num_workers", Value::int(0)),
            ("spark_conf", Value::Map(Default::default())),
        ]);
        let kept = state_of(&remote(), &written);
        assert_eq!(kept.attr("num_workers"), &Value::int(0));
        assert_eq!(kept.attr("spark_conf"), &Value::Map(Default::default()));
    }

    #[test]
    fn an_autoscaled_cluster_has_an_autoscale_block_and_no_num_workers() {
        let scaled = pb::Cluster {
            autoscale: Some(pb::Autoscale {
                min_workers: 1,
                max_workers: 4,
            }),
            ..remote()
        };
        let state = state_of(&scaled, &Value::Null);
        assert!(state.attr("num_workers").is_null());
        let [bounds] = state.attr("autoscale").elements() else {
            panic!("{state:?}")
        };
        assert_eq!(bounds.attr("max_workers"), &Value::int(4));
    }

    #[test]
    fn a_partial_state_has_the_id_and_no_unknowns() {
        let planned = Value::object([
            ("cluster_id", Value::unknown()),
            ("id", Value::unknown()),
            ("autotermination_minutes", Value::unknown()),
            ("cluster_name", Value::string("etl")),
        ]);
        let state = partial(&planned, "c-9");
        assert!(state.is_wholly_known());
        assert_eq!(state.attr("id"), &Value::string("c-9"));
        assert_eq!(state.attr("cluster_name"), &Value::string("etl"));
    }
}
