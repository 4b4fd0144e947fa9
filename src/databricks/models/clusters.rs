//! Clusters API 2.1 wire types: the cluster as `clusters/get` and
//! `clusters/list` return it, the bodies of create, edit and resize, and
//! cluster events. Every field but `cluster_id` may be absent; unknown fields
//! are ignored and unknown enum strings kept raw.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A string → string map (`spark_conf`, `custom_tags`, ...), absent when empty.
pub type StringMap = BTreeMap<String, String>;

/// The fields of `ClusterDetails` (`clusters/get`, `clusters/list`) this
/// crate reads.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ClusterDetails {
    /// The cluster.
    pub cluster_id: String,
    /// Display name.
    #[serde(default)]
    pub cluster_name: String,
    /// Raw state string, e.g. `RUNNING`, `TERMINATED`.
    #[serde(default)]
    pub state: String,
    /// Why the cluster is in its state, when Databricks says.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub state_message: String,
    /// Why it stopped, once it is terminating or terminated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub termination_reason: Option<TerminationReason>,
    /// Fixed number of workers (absent with `autoscale`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub num_workers: Option<i32>,
    /// Autoscaling bounds (absent with a fixed size).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub autoscale: Option<Autoscale>,
    /// Runtime version key, e.g. `15.4.x-scala2.12`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spark_version: Option<String>,
    /// Worker node type, e.g. `i3.xlarge`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_type_id: Option<String>,
    /// Driver node type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub driver_node_type_id: Option<String>,
    /// Instance pool the nodes come from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_pool_id: Option<String>,
    /// Minutes of inactivity before termination; 0 means never.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub autotermination_minutes: Option<i32>,
    /// Spark configuration.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub spark_conf: StringMap,
    /// Environment variables of every Spark process.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub spark_env_vars: StringMap,
    /// Tags the user set.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub custom_tags: StringMap,
    /// Tags Databricks adds (`Vendor`, `Creator`, `ClusterId`, ...).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub default_tags: StringMap,
    /// Access mode, e.g. `SINGLE_USER`, `USER_ISOLATION`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_security_mode: Option<String>,
    /// The user of a `SINGLE_USER` cluster.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub single_user_name: Option<String>,
    /// Cluster policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy_id: Option<String>,
    /// What created it: `UI`, `API`, `JOB`, ...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_source: Option<String>,
    /// Who created it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creator_user_name: Option<String>,
    /// When it was created or last started (epoch ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_time: Option<i64>,
    /// When it was terminated (epoch ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub terminated_time: Option<i64>,
}

/// `TerminationReason`: raw `code` and `type` strings plus parameters.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TerminationReason {
    /// e.g. `USER_REQUEST`, `INACTIVITY`; unknown codes kept as sent.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub code: String,
    /// `SUCCESS`, `CLIENT_ERROR`, `SERVICE_FAULT` or `CLOUD_FAILURE`.
    #[serde(default, rename = "type", skip_serializing_if = "String::is_empty")]
    pub kind: String,
    /// Details, e.g. `{"username": ...}`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub parameters: StringMap,
}

/// `AutoScale`: the worker count stays within these bounds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Autoscale {
    /// Fewest workers.
    #[serde(default)]
    pub min_workers: i32,
    /// Most workers.
    #[serde(default)]
    pub max_workers: i32,
}

/// The settable attributes of a cluster, shared by `create` and `edit`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ClusterSpec {
    /// Display name.
    pub cluster_name: String,
    /// Runtime version key.
    pub spark_version: String,
    /// Worker node type (absent with an instance pool).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_type_id: Option<String>,
    /// Driver node type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub driver_node_type_id: Option<String>,
    /// Instance pool of the nodes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_pool_id: Option<String>,
    /// Fixed number of workers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub num_workers: Option<i32>,
    /// Autoscaling bounds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub autoscale: Option<Autoscale>,
    /// Minutes of inactivity before termination; 0 means never.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub autotermination_minutes: Option<i32>,
    /// Spark configuration.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub spark_conf: StringMap,
    /// Environment variables.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub spark_env_vars: StringMap,
    /// Tags.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub custom_tags: StringMap,
    /// Access mode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_security_mode: Option<String>,
    /// The user of a `SINGLE_USER` cluster.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub single_user_name: Option<String>,
    /// Cluster policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy_id: Option<String>,
}

/// Body of `POST /api/2.1/clusters/create`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CreateClusterRequest {
    /// What to create.
    #[serde(flatten)]
    pub spec: ClusterSpec,
    /// Databricks answers a repeated create carrying the same token with the
    /// cluster the first one made, so a create with one is safe to resend.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idempotency_token: Option<String>,
}

/// Body of `POST /api/2.1/clusters/edit`: the whole new spec.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EditClusterRequest {
    /// The cluster.
    pub cluster_id: String,
    /// Its new attributes.
    #[serde(flatten)]
    pub spec: ClusterSpec,
}

/// Body of `POST /api/2.1/clusters/resize`: a fixed size or autoscale bounds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ResizeClusterRequest {
    /// The cluster.
    pub cluster_id: String,
    /// New fixed number of workers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub num_workers: Option<i32>,
    /// New autoscaling bounds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub autoscale: Option<Autoscale>,
}

/// Body of the `create` answer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateClusterResponse {
    /// The new cluster (or, for a repeated token, the first one).
    pub cluster_id: String,
}

/// The query of `GET /api/2.1/clusters/list`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListClustersQuery {
    /// Clusters per page (Databricks allows at most 100).
    pub page_size: Option<u32>,
    /// `next_page_token` of the previous page.
    pub page_token: Option<String>,
    /// `filter_by.cluster_states`, raw strings.
    pub states: Vec<String>,
    /// `filter_by.cluster_sources`, raw strings.
    pub sources: Vec<String>,
    /// `filter_by.is_pinned`.
    pub is_pinned: Option<bool>,
    /// `filter_by.policy_id`.
    pub policy_id: Option<String>,
}

/// Body of `GET /api/2.1/clusters/list`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ListClustersResponse {
    /// One page of clusters; absent when there are none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub clusters: Vec<ClusterDetails>,
    /// Token of the next page; empty or absent on the last.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub next_page_token: String,
}

/// Body of `POST /api/2.1/clusters/events`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ClusterEventsRequest {
    /// The cluster.
    pub cluster_id: String,
    /// `ASC` or `DESC` (Databricks' default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order: Option<String>,
    /// Only these event types, raw strings.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub event_types: Vec<String>,
    /// Events after this time (epoch ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_time: Option<i64>,
    /// Events before this time (epoch ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_time: Option<i64>,
    /// Events per page (at most 500).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_size: Option<u32>,
    /// `next_page_token` of the previous page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_token: Option<String>,
}

/// Body of the `events` answer.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ClusterEventsResponse {
    /// One page of events.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<ClusterEvent>,
    /// Token of the next page; empty or absent on the last.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub next_page_token: String,
}

/// One `ClusterEvent`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ClusterEvent {
    /// The cluster.
    #[serde(default)]
    pub cluster_id: String,
    /// When it happened (epoch ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<i64>,
    /// The raw `EventType`, e.g. `RUNNING`.
    #[serde(default, rename = "type")]
    pub kind: String,
    /// `EventDetails`, kept as sent: it has dozens of optional fields.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<Value>,
}

/// Body of `POST /api/2.1/clusters/start`, `restart`, `delete`,
/// `permanent-delete`, `pin`, `unpin` and the query of `clusters/get`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClusterIdRequest {
    /// The cluster.
    pub cluster_id: String,
}
