//! What a planned state asks of the cluster, as the fields CreateCluster,
//! EditCluster and ResizeCluster take.

use std::collections::HashMap;

use crate::{proto::compute as pb, provider::value::Value};

/// The cluster a (wholly known) state describes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Spec {
    pub(super) cluster_name: String,
    pub(super) spark_version: String,
    pub(super) node_type_id: String,
    pub(super) size: Size,
    pub(super) autotermination_minutes: Option<i32>,
    pub(super) spark_conf: HashMap<String, String>,
    pub(super) spark_env_vars: HashMap<String, String>,
    pub(super) custom_tags: HashMap<String, String>,
    pub(super) data_security_mode: String,
    pub(super) single_user_name: String,
}

/// How many workers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Size {
    /// A fixed number (0: single node).
    Fixed(i32),
    /// Autoscaling bounds.
    Autoscale { min_workers: i32, max_workers: i32 },
}

/// A whole number attribute within i32 (validation already refused
/// anything else).
fn int(value: &Value) -> Option<i32> {
    value.as_i64().and_then(|number| i32::try_from(number).ok())
}

fn text(value: &Value) -> String {
    value.as_str().unwrap_or_default().to_owned()
}

fn map(value: &Value) -> HashMap<String, String> {
    value.string_entries().into_iter().collect()
}

impl Spec {
    /// The spec of `state` (a planned or prior state).
    pub(super) fn of(state: &Value) -> Self {
        let size = match state.attr("autoscale").elements().first() {
            Some(bounds) => Size::Autoscale {
                min_workers: int(bounds.attr("min_workers")).unwrap_or_default(),
                max_workers: int(bounds.attr("max_workers")).unwrap_or_default(),
            },
            None => Size::Fixed(int(state.attr("num_workers")).unwrap_or(0)),
        };
        Self {
            cluster_name: text(state.attr("cluster_name")),
            spark_version: text(state.attr("spark_version")),
            node_type_id: text(state.attr("node_type_id")),
            size,
            autotermination_minutes: int(state.attr("autotermination_minutes")),
            spark_conf: map(state.attr("spark_conf")),
            spark_env_vars: map(state.attr("spark_env_vars")),
            custom_tags: map(state.attr("custom_tags")),
            data_security_mode: text(state.attr("data_security_mode")),
            single_user_name: text(state.attr("single_user_name")),
        }
    }

    /// Whether `other` differs from this in its size alone.
    pub(super) fn differs_only_in_size(&self, other: &Self) -> bool {
        self.size != other.size
            && Self {
                size: other.size,
                ..self.clone()
            } == *other
    }

    fn size_fields(&self) -> (Option<i32>, Option<pb::Autoscale>) {
        match self.size {
            Size::Fixed(workers) => (Some(workers), None),
            Size::Autoscale {
                min_workers,
                max_workers,
            } => (
                None,
                Some(pb::Autoscale {
                    min_workers,
                    max_workers,
                }),
            ),
        }
    }

    /// The CreateCluster request, with the plan's idempotency token.
    pub(super) fn create(&self, idempotency_token: &str) -> pb::CreateClusterRequest {
        let (num_workers, autoscale) = self.size_fields();
        pb::CreateClusterRequest {
            cluster_name: self.cluster_name.clone(),
            spark_version: self.spark_version.clone(),
            node_type_id: self.node_type_id.clone(),
            num_workers,
            autoscale,
            autotermination_minutes: self.autotermination_minutes,
            spark_conf: self.spark_conf.clone(),
            custom_tags: self.custom_tags.clone(),
            idempotency_token: idempotency_token.to_owned(),
            spark_env_vars: self.spark_env_vars.clone(),
            data_security_mode: self.data_security_mode.clone(),
            single_user_name: self.single_user_name.clone(),
            ..pb::CreateClusterRequest::default()
        }
    }

    /// The EditCluster request: the whole spec.
    pub(super) fn edit(&self, cluster_id: &str) -> pb::EditClusterRequest {
        let (num_workers, autoscale) = self.size_fields();
        pb::EditClusterRequest {
            cluster_id: cluster_id.to_owned(),
            cluster_name: self.cluster_name.clone(),
            spark_version: self.spark_version.clone(),
            node_type_id: self.node_type_id.clone(),
            num_workers,
            autoscale,
            autotermination_minutes: self.autotermination_minutes,
            spark_conf: self.spark_conf.clone(),
            custom_tags: self.custom_tags.clone(),
            spark_env_vars: self.spark_env_vars.clone(),
            data_security_mode: self.data_security_mode.clone(),
            single_user_name: self.single_user_name.clone(),
            ..pb::EditClusterRequest::default()
        }
    }

    /// The ResizeCluster request.
    pub(super) fn resize(&self, cluster_id: &str) -> pb::ResizeClusterRequest {
        let (num_workers, autoscale) = self.size_fields();
        pb::ResizeClusterRequest {
            cluster_id: cluster_id.to_owned(),
            num_workers,
            autoscale,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(workers: i64, tags: &[(&str, &str)]) -> Value {
        Value::object([
            ("cluster_name", Value::string("etl")),
            ("spark_version", Value::string("15.4.x-scala2.12")),
            ("node_type_id", Value::string("i3.xlarge")),
            ("num_workers", Value::int(workers)),
            ("autoscale", Value::List(Vec::new())),
            (
                "custom_tags",
                Value::object(tags.iter().map(|(k, v)| (*k, Value::string(*v)))),
            ),
        ])
    }

    #[test]
    fn a_change_of_size_alone_is_told_apart_from_any_other() {
        let two = Spec::of(&state(2, &[]));
        assert!(two.differs_only_in_size(&Spec::of(&state(3, &[]))));
        assert!(!two.differs_only_in_size(&Spec::of(&state(3, &[("team", "a")]))));
        assert!(!two.differs_only_in_size(&two.clone()), "no change at all");
        let mut autoscaled = state(0, &[]);
        autoscaled.set_attr("num_workers", Value::Null);
        autoscaled.set_attr(
            "autoscale",
            Value::List(vec![Value::object([
                ("min_workers", Value::int(1)),
                ("max_workers", Value::int(4)),
            ])]),
        );
        let autoscaled = Spec::of(&autoscaled);
        assert!(two.differs_only_in_size(&autoscaled));
        let request = autoscaled.resize("c");
        assert_eq!(request.num_workers, None);
        assert_eq!(request.autoscale.unwrap().max_workers, 4);
    }

    #[test]
    fn no_size_at_all_is_a_single_node_cluster_and_null_maps_are_empty() {
        let mut single = state(0, &[]);
        single.set_attr("num_workers", Value::Null);
        let spec = Spec::of(&single);
        assert_eq!(spec.size, Size::Fixed(0));
        let request = spec.create("tf-token");
        assert_eq!(request.num_workers, Some(0));
        assert_eq!(request.idempotency_token, "tf-token");
        assert!(request.spark_conf.is_empty());
        assert_eq!(request.autotermination_minutes, None);
    }
}
