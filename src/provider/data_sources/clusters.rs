//! `data "dbgrpc_clusters"`: every cluster ListClusters answers for the
//! filters (all pages), as ids and short descriptions.

use crate::{
    proto::compute::{self as pb, ClusterSource, ClusterState},
    provider::{
        diagnostics::{error_at, from_status},
        proto::{Diagnostic, Schema},
        resource::{Ctx, DataSource, Outcome},
        schema_builder::{Mode, attribute, block, schema},
        value::{Type, Value},
    },
};

use super::cluster::list_all;

/// The `dbgrpc_clusters` data source.
#[derive(Debug, Default)]
pub struct ClustersData;

/// Its type name.
pub const TYPE_NAME: &str = "dbgrpc_clusters";

/// The type of one element of `clusters`.
fn summary_type() -> Type {
    Type::object([
        ("cluster_id", Type::String),
        ("cluster_name", Type::String),
        ("state", Type::String),
        ("spark_version", Type::String),
        ("node_type_id", Type::String),
        ("num_workers", Type::Number),
    ])
}

fn clusters_schema() -> Schema {
    schema(block(
        vec![
            attribute(
                "name",
                Type::String,
                Mode::Optional,
                "Only clusters with exactly this name (as ListClusters' name filter).",
            ),
            attribute(
                "states",
                Type::set(Type::String),
                Mode::Optional,
                "Only clusters in these states, e.g. RUNNING, TERMINATED.",
            ),
            attribute(
                "sources",
                Type::set(Type::String),
                Mode::Optional,
                "Only clusters with these sources, e.g. UI, API, JOB. Unset: UI and API \
                 (the interactive clusters).",
            ),
            attribute(
                "pinned",
                Type::Bool,
                Mode::Optional,
                "Only pinned clusters when true, only unpinned ones when false.",
            ),
            attribute(
                "policy_id",
                Type::String,
                Mode::Optional,
                "Only clusters under this policy.",
            ),
            attribute(
                "ids",
                Type::list(Type::String),
                Mode::Computed,
                "The ids of the clusters found, in ListClusters' order.",
            ),
            attribute(
                "clusters",
                Type::list(summary_type()),
                Mode::Computed,
                "The clusters found: cluster_id, cluster_name, state, spark_version, \
                 node_type_id, num_workers.",
            ),
            attribute("id", Type::String, Mode::Computed, "Always \"clusters\"."),
        ],
        vec![],
        "The clusters ListClusters finds for the filters.",
    ))
}

/// The enum values of the names in a set attribute: `Err` with the
/// diagnostic at `attribute` naming the first unknown name.
fn enum_values(
    config: &Value,
    attribute: &'static str,
    parse: impl Fn(&str) -> Option<i32>,
    known: &str,
) -> Result<Vec<i32>, Diagnostic> {
    config
        .attr(attribute)
        .strings()
        .iter()
        .map(|name| {
            parse(name).ok_or_else(|| {
                error_at(
                    &[attribute],
                    format!("Unknown value {name:?} in {attribute}"),
                    format!("Each of {attribute} must be one of {known}."),
                )
            })
        })
        .collect()
}

fn states(config: &Value) -> Result<Vec<i32>, Diagnostic> {
    enum_values(
        config,
        "states",
        |name| match ClusterState::from_str_name(&format!("CLUSTER_STATE_{name}")) {
            Some(ClusterState::Unspecified) | None => None,
            Some(state) => Some(state.into()),
        },
        "PENDING, RUNNING, RESTARTING, RESIZING, TERMINATING, TERMINATED, ERROR, UNKNOWN",
    )
}

fn sources(config: &Value) -> Result<Vec<i32>, Diagnostic> {
    enum_values(
        config,
        "sources",
        |name| match ClusterSource::from_str_name(&format!("CLUSTER_SOURCE_{name}")) {
            Some(ClusterSource::Unspecified) | None => None,
            Some(source) => Some(source.into()),
        },
        "UI, API, JOB, MODELS, PIPELINE, PIPELINE_MAINTENANCE, SQL",
    )
}

fn summary(cluster: &pb::Cluster) -> Value {
    Value::object([
        ("cluster_id", Value::string(&cluster.cluster_id)),
        ("cluster_name", Value::string(&cluster.cluster_name)),
        ("state", Value::string(&cluster.raw_state)),
        ("spark_version", Value::string(&cluster.spark_version)),
        ("node_type_id", Value::string(&cluster.node_type_id)),
        ("num_workers", Value::int(cluster.num_workers.into())),
    ])
}

#[tonic::async_trait]
impl DataSource for ClustersData {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        clusters_schema()
    }

    fn validate(&self, config: &Value) -> Vec<Diagnostic> {
        [states(config).err(), sources(config).err()]
            .into_iter()
            .flatten()
            .collect()
    }

    async fn read(&self, ctx: &Ctx, config: Value) -> Outcome {
        let (states, sources) = match (states(&config), sources(&config)) {
            (Ok(states), Ok(sources)) => (states, sources),
            _ => return Outcome::failed(self.validate(&config)),
        };
        let request = pb::ListClustersRequest {
            states,
            sources,
            name: config.attr("name").as_str().unwrap_or_default().to_owned(),
            pinned: config.attr("pinned").as_bool(),
            policy_id: config
                .attr("policy_id")
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            ..pb::ListClustersRequest::default()
        };
        let clusters = match list_all(ctx, request).await {
            Ok(clusters) => clusters,
            Err(status) => return Outcome::failed(vec![from_status("listing clusters", &status)]),
        };
        let mut state = config;
        state.set_attr(
            "ids",
            Value::List(
                clusters
                    .iter()
                    .map(|cluster| Value::string(&cluster.cluster_id))
                    .collect(),
            ),
        );
        state.set_attr(
            "clusters",
            Value::List(clusters.iter().map(summary).collect()),
        );
        state.set_attr("id", Value::string("clusters"));
        Outcome::state(state)
    }
}
