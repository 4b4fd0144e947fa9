//! `data "dbgrpc_cluster"`: one cluster, by `cluster_id` (GetCluster) or
//! by `cluster_name` (ListClusters with that exact name: exactly one match,
//! among the interactive clusters ListClusters lists by default).

use tonic::Code;

use crate::{
    proto::compute as pb,
    provider::{
        diagnostics::{self, error_at, from_status},
        proto::{Diagnostic, Schema},
        resource::{Ctx, DataSource, Outcome},
        schema_builder::{Mode, attribute, block, schema},
        value::{Type, Value},
    },
};

/// The `dbgrpc_cluster` data source.
#[derive(Debug, Default)]
pub struct ClusterData;

/// Its type name.
pub const TYPE_NAME: &str = "dbgrpc_cluster";

fn cluster_schema() -> Schema {
    let computed = |name, ty, description| attribute(name, ty, Mode::Computed, description);
    let string_map = || Type::map(Type::String);
    schema(block(
        vec![
            attribute(
                "cluster_id",
                Type::String,
                Mode::OptionalComputed,
                "The cluster's id. Give exactly one of cluster_id and cluster_name.",
            ),
            attribute(
                "cluster_name",
                Type::String,
                Mode::OptionalComputed,
                "The cluster's exact name; exactly one interactive (UI or API) cluster must \
                 have it.",
            ),
            computed("id", Type::String, "The same as cluster_id."),
            computed(
                "state",
                Type::String,
                "The state, e.g. RUNNING or TERMINATED.",
            ),
            computed(
                "state_message",
                Type::String,
                "Why the cluster is in its state (may be empty).",
            ),
            computed("spark_version", Type::String, "Runtime version key."),
            computed("node_type_id", Type::String, "Worker node type."),
            computed(
                "num_workers",
                Type::Number,
                "Number of workers of a fixed-size cluster; null when autoscaled.",
            ),
            computed(
                "autoscale",
                Type::object([("min_workers", Type::Number), ("max_workers", Type::Number)]),
                "Autoscaling bounds; null for a fixed-size cluster.",
            ),
            computed(
                "autotermination_minutes",
                Type::Number,
                "Minutes of inactivity before termination; 0 means never.",
            ),
            computed("spark_conf", string_map(), "Spark configuration."),
            computed(
                "spark_env_vars",
                string_map(),
                "Environment variables of every Spark process.",
            ),
            computed("custom_tags", string_map(), "Tags set by the user."),
            computed(
                "data_security_mode",
                Type::String,
                "Access mode; null when Databricks reports none.",
            ),
            computed(
                "single_user_name",
                Type::String,
                "The user of a SINGLE_USER cluster; null when none.",
            ),
            computed(
                "creator_user_name",
                Type::String,
                "Who created the cluster.",
            ),
        ],
        vec![],
        "One cluster, by id or by exact name.",
    ))
}

/// A string Databricks sends empty when unset, as null then.
fn optional(text: &str) -> Value {
    Value::optional_string((!text.is_empty()).then_some(text))
}

/// The data source's state for `cluster`.
pub(super) fn describe(cluster: &pb::Cluster) -> Value {
    let (num_workers, autoscale) = match &cluster.autoscale {
        Some(bounds) => (
            Value::Null,
            Value::object([
                ("min_workers", Value::int(bounds.min_workers.into())),
                ("max_workers", Value::int(bounds.max_workers.into())),
            ]),
        ),
        None => (Value::int(cluster.num_workers.into()), Value::Null),
    };
    Value::object([
        ("cluster_id", Value::string(&cluster.cluster_id)),
        ("cluster_name", Value::string(&cluster.cluster_name)),
        ("id", Value::string(&cluster.cluster_id)),
        ("state", Value::string(&cluster.raw_state)),
        ("state_message", Value::string(&cluster.state_message)),
        ("spark_version", Value::string(&cluster.spark_version)),
        ("node_type_id", Value::string(&cluster.node_type_id)),
        ("num_workers", num_workers),
        ("autoscale", autoscale),
        (
            "autotermination_minutes",
            Value::int(cluster.autotermination_minutes.into()),
        ),
        ("spark_conf", Value::string_map(&cluster.spark_conf)),
        ("spark_env_vars", Value::string_map(&cluster.spark_env_vars)),
        ("custom_tags", Value::string_map(&cluster.custom_tags)),
        ("data_security_mode", optional(&cluster.data_security_mode)),
        ("single_user_name", optional(&cluster.single_user_name)),
        (
            "creator_user_name",
            Value::string(&cluster.creator_user_name),
        ),
    ])
}

/// Every cluster ListClusters answers for `request`, following every page.
pub(super) async fn list_all(
    ctx: &Ctx,
    mut request: pb::ListClustersRequest,
) -> Result<Vec<pb::Cluster>, tonic::Status> {
    let mut clusters = Vec::new();
    loop {
        let page = ctx
            .client
            .clone()
            .list_clusters(request.clone())
            .await?
            .into_inner();
        clusters.extend(page.clusters);
        if page.next_page_token.is_empty() || page.next_page_token == request.page_token {
            return Ok(clusters);
        }
        request.page_token = page.next_page_token;
    }
}

async fn by_id(ctx: &Ctx, cluster_id: &str) -> Result<pb::Cluster, Diagnostic> {
    let request = pb::GetClusterRequest {
        cluster_id: cluster_id.to_owned(),
    };
    match ctx.client.clone().get_cluster(request).await {
        Ok(answer) => answer.into_inner().cluster.ok_or_else(|| {
            diagnostics::error(
                format!("Failed reading cluster {cluster_id}"),
                "GetCluster answered no cluster.",
            )
        }),
        Err(status) if status.code() == Code::NotFound => Err(error_at(
            &["cluster_id"],
            format!("No cluster {cluster_id}"),
            format!("No cluster has the id {cluster_id:?} (or it was purged)."),
        )),
        Err(status) => Err(from_status(
            &format!("reading cluster {cluster_id}"),
            &status,
        )),
    }
}

async fn by_name(ctx: &Ctx, name: &str) -> Result<pb::Cluster, Diagnostic> {
    let request = pb::ListClustersRequest {
        name: name.to_owned(),
        ..pb::ListClustersRequest::default()
    };
    let mut found = list_all(ctx, request)
        .await
        .map_err(|status| from_status(&format!("listing clusters named {name:?}"), &status))?;
    found.retain(|cluster| cluster.cluster_name == name);
    match found.len() {
        1 => Ok(found.remove(0)),
        0 => Err(error_at(
            &["cluster_name"],
            format!("No cluster named {name:?}"),
            "No interactive (UI or API) cluster has exactly this name.",
        )),
        _ => Err(error_at(
            &["cluster_name"],
            format!("{} clusters are named {name:?}", found.len()),
            format!(
                "The name must match exactly one cluster; use cluster_id instead. These match: {}.",
                found
                    .iter()
                    .map(|cluster| cluster.cluster_id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )),
    }
}

#[tonic::async_trait]
impl DataSource for ClusterData {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        cluster_schema()
    }

    fn validate(&self, config: &Value) -> Vec<Diagnostic> {
        let (id, name) = (config.attr("cluster_id"), config.attr("cluster_name"));
        match (id.is_null(), name.is_null()) {
            (true, true) => vec![error_at(
                &["cluster_id"],
                "No cluster_id or cluster_name",
                "Give exactly one of cluster_id and cluster_name.",
            )],
            (false, false) => vec![error_at(
                &["cluster_name"],
                "Both cluster_id and cluster_name",
                "Give exactly one of cluster_id and cluster_name.",
            )],
            _ => Vec::new(),
        }
    }

    async fn read(&self, ctx: &Ctx, config: Value) -> Outcome {
        let invalid = self.validate(&config);
        if !invalid.is_empty() {
            return Outcome::failed(invalid);
        }
        let found = match config.attr("cluster_id").as_str() {
            Some(cluster_id) => by_id(ctx, cluster_id).await,
            None => {
                by_name(
                    ctx,
                    config.attr("cluster_name").as_str().unwrap_or_default(),
                )
                .await
            }
        };
        match found {
            Ok(cluster) => Outcome::state(describe(&cluster)),
            Err(error) => Outcome::failed(vec![error]),
        }
    }
}
