//! The Clusters API operations beyond start/restart/terminate: create (with
//! its idempotency token), edit, resize, permanent delete, pin and unpin,
//! the events each transition records, and list pages with filters.

use serde_json::{Map, Value, json};

use super::{Cluster, ClusterView, Store};
use crate::emulator::{
    clusters::{CREATOR, START_TIME_MS},
    errors::ErrorResponse,
    lifecycle::ClusterState,
};

/// The `filter_by.*` of `clusters/list`; empty lists match everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ListFilter {
    /// `filter_by.cluster_states`.
    pub(crate) states: Vec<String>,
    /// `filter_by.cluster_sources`.
    pub(crate) sources: Vec<String>,
    /// `filter_by.is_pinned`.
    pub(crate) pinned: Option<bool>,
    /// `filter_by.policy_id`.
    pub(crate) policy_id: Option<String>,
}

// === impl ListFilter ===

impl ListFilter {
    fn admits(&self, view: &ClusterView) -> bool {
        (self.states.is_empty() || self.states.iter().any(|s| s == view.state.as_str()))
            && (self.sources.is_empty() || self.sources.iter().any(|s| s == view.source))
            && self.pinned.is_none_or(|pinned| pinned == view.pinned)
            && self.policy_id.as_ref().is_none_or(|policy| {
                view.spec.get("policy_id").and_then(Value::as_str) == Some(policy.as_str())
            })
    }
}

// === impl Store ===

impl Store {
    /// `clusters/create` of an already validated `spec`: a new PENDING
    /// cluster, or the one an earlier create with the same `token` made.
    pub(crate) fn create(&mut self, spec: Map<String, Value>, token: Option<String>) -> String {
        if let Some(existing) = token.as_ref().and_then(|t| self.idempotency.get(t)) {
            if self.clusters.contains_key(existing) {
                return existing.clone();
            }
        }
        self.created_clusters += 1;
        let id = format!("0303-000000-c{:07}", self.created_clusters);
        let name = spec
            .get("cluster_name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        self.add_cluster(&id, &name, ClusterState::Pending, Vec::new());
        if let Some(cluster) = self.clusters.get_mut(&id) {
            cluster.view.spec = spec;
            cluster.view.source = "API";
        }
        if let Some(token) = token {
            self.idempotency.insert(token, id.clone());
        }
        self.settled = false;
        self.record(&id, "CREATING", json!({"user": CREATOR}));
        id
    }

    /// Adds `count` clusters for tests of listing: names `seeded-NNNN`,
    /// every third TERMINATED (the rest RUNNING), sources cycling UI, API,
    /// JOB, every fifth pinned, every fourth under policy `policy-a`.
    pub(crate) fn seed_clusters(&mut self, count: usize) {
        for index in 0..count {
            self.created_clusters += 1;
            let id = format!("0303-000000-s{:07}", self.created_clusters);
            let state = if index % 3 == 2 {
                ClusterState::Terminated
            } else {
                ClusterState::Running
            };
            self.add_cluster(&id, &format!("seeded-{index:04}"), state, Vec::new());
            if let Some(cluster) = self.clusters.get_mut(&id) {
                cluster.view.source = ["UI", "API", "JOB"][index % 3];
                cluster.view.pinned = index % 5 == 0;
                if index % 4 == 0 {
                    cluster
                        .view
                        .spec
                        .insert("policy_id".into(), json!("policy-a"));
                }
            }
        }
    }

    /// `clusters/edit`: a RUNNING cluster restarts with the new spec, a
    /// TERMINATED one keeps it for its next start; other states refuse.
    pub(crate) fn edit(
        &mut self,
        cluster_id: &str,
        spec: Map<String, Value>,
    ) -> Result<(), ErrorResponse> {
        let cluster = self.cluster_mut(cluster_id)?;
        let state = cluster.view.state;
        if !matches!(state, ClusterState::Running | ClusterState::Terminated) {
            return Err(ErrorResponse::unexpected_state(cluster_id, state));
        }
        if let Some(name) = spec.get("cluster_name").and_then(Value::as_str) {
            cluster.view.name = name.to_owned();
        }
        let previous = std::mem::replace(&mut cluster.view.spec, spec);
        let attributes = Value::Object(cluster.view.spec.clone());
        if state == ClusterState::Running {
            cluster.begin(ClusterState::Restarting);
        }
        self.record(
            cluster_id,
            "EDITED",
            json!({"user": CREATOR, "attributes": attributes, "previous_attributes": previous}),
        );
        if state == ClusterState::Running {
            self.record(cluster_id, "RESTARTING", json!({"user": CREATOR}));
        }
        Ok(())
    }

    /// `clusters/resize` of a RUNNING cluster to `size` (`num_workers` or
    /// `autoscale`, already validated).
    pub(crate) fn resize(
        &mut self,
        cluster_id: &str,
        size: Map<String, Value>,
    ) -> Result<(), ErrorResponse> {
        let cluster = self.cluster_mut(cluster_id)?;
        cluster.expect_state(ClusterState::Running)?;
        cluster.view.spec.remove("num_workers");
        cluster.view.spec.remove("autoscale");
        let target = size.get("num_workers").cloned();
        cluster.view.spec.extend(size);
        cluster.view.state = ClusterState::Resizing;
        let details = match target {
            Some(workers) => json!({"user": CREATOR, "target_num_workers": workers}),
            None => json!({"user": CREATOR}),
        };
        self.record(cluster_id, "RESIZING", details);
        Ok(())
    }

    /// `clusters/permanent-delete`: the cluster and its libraries are gone;
    /// later calls about it answer "does not exist".
    pub(crate) fn permanent_delete(&mut self, cluster_id: &str) -> Result<(), ErrorResponse> {
        self.cluster_mut(cluster_id)?;
        self.clusters.remove(cluster_id);
        self.idempotency.retain(|_, id| id != cluster_id);
        Ok(())
    }

    /// `clusters/pin` (`true`) and `clusters/unpin` (`false`).
    pub(crate) fn pin(&mut self, cluster_id: &str, pinned: bool) -> Result<(), ErrorResponse> {
        let cluster = self.cluster_mut(cluster_id)?;
        cluster.view.pinned = pinned;
        let kind = if pinned { "PINNED" } else { "UNPINNED" };
        self.record(cluster_id, kind, json!({"user": CREATOR}));
        Ok(())
    }

    /// The clusters `filter` admits after the one with id `after`, at most
    /// `limit`, and whether more follow.
    pub(crate) fn list_page(
        &self,
        filter: &ListFilter,
        after: Option<&str>,
        limit: usize,
    ) -> (Vec<ClusterView>, bool) {
        let mut admitted = self
            .clusters
            .values()
            .filter(|cluster| after.is_none_or(|after| cluster.view.id.as_str() > after))
            .map(|cluster| &cluster.view)
            .filter(|view| filter.admits(view));
        let page: Vec<ClusterView> = admitted.by_ref().take(limit).cloned().collect();
        (page, admitted.next().is_some())
    }

    /// Every event of `cluster_id`, oldest first.
    pub(crate) fn events(&self, cluster_id: &str) -> Result<Vec<Value>, ErrorResponse> {
        self.clusters
            .get(cluster_id)
            .map(|cluster| cluster.events.clone())
            .ok_or_else(|| ErrorResponse::no_such_cluster(cluster_id))
    }

    /// Records an event of `kind` for `cluster_id`, one second after the last.
    pub(super) fn record(&mut self, cluster_id: &str, kind: &str, details: Value) {
        self.events_recorded += 1;
        let timestamp = START_TIME_MS + self.events_recorded * 1000;
        if let Some(cluster) = self.clusters.get_mut(cluster_id) {
            cluster.events.push(json!({
                "cluster_id": cluster_id,
                "timestamp": timestamp,
                "type": kind,
                "details": details,
            }));
        }
    }

    /// Records the event of a transition a step completed.
    pub(super) fn record_arrival(
        &mut self,
        cluster_id: &str,
        before: ClusterState,
        after: ClusterState,
    ) {
        let workers = self
            .clusters
            .get(cluster_id)
            .map(Cluster::workers)
            .unwrap_or_default();
        let details = json!({"current_num_workers": workers, "target_num_workers": workers});
        match (before, after) {
            (ClusterState::Pending | ClusterState::Restarting, ClusterState::Running) => {
                self.record(cluster_id, "RUNNING", details);
            }
            (ClusterState::Resizing, ClusterState::Running) => {
                self.record(cluster_id, "UPSIZE_COMPLETED", details);
            }
            _ => {}
        }
    }
}

// === impl Cluster ===

impl Cluster {
    /// The worker count shown: `num_workers`, autoscale's minimum, or 2.
    pub(crate) fn workers(&self) -> u64 {
        let spec = &self.view.spec;
        spec.get("num_workers")
            .and_then(Value::as_u64)
            .or_else(|| spec.get("autoscale")?.get("min_workers")?.as_u64())
            .unwrap_or(2)
    }
}
