//! Clusters API 2.1 on [`Client`]. Every call but `create` is safe to resend:
//! start, delete, pin and unpin of a cluster already there do nothing, and
//! edit and resize set absolute values. Restart, edit and resize of a cluster
//! the lost attempt already set restarting or resizing are refused
//! (`INVALID_STATE`), and a permanent-delete it already did meets "does not
//! exist": a resend after a lost answer that meets that refusal succeeds,
//! since the work is done (StartCluster's own loop reads past its refusal).
//! A `create` is safe to resend only with an `idempotency_token`, since
//! Databricks answers a repeat of the token with the cluster the first
//! request made.

use serde::Serialize;
use tracing::instrument;

use super::{
    ApiError, CallOptions, Client, Error,
    models::{
        ClusterDetails, ClusterEventsRequest, ClusterEventsResponse, ClusterIdRequest,
        CreateClusterRequest, CreateClusterResponse, EditClusterRequest, ListClustersQuery,
        ListClustersResponse, ResizeClusterRequest,
    },
    retry::Resend,
};
use crate::telemetry::excerpt;

// === impl Client ===

impl Client {
    /// `GET /api/2.1/clusters/get?cluster_id=`.
    #[instrument(skip_all, fields(cluster_id = %excerpt(cluster_id)))]
    pub async fn get_cluster(
        &self,
        cluster_id: &str,
        options: CallOptions,
    ) -> Result<ClusterDetails, Error> {
        self.get(
            "/api/2.1/clusters/get",
            &[("cluster_id", cluster_id)],
            options,
        )
        .await
    }

    /// `GET /api/2.1/clusters/list`: one page, filters as `filter_by.*`.
    #[instrument(skip_all, fields(states = query.states.len(), sources = query.sources.len()))]
    pub async fn list_clusters(
        &self,
        query: &ListClustersQuery,
        options: CallOptions,
    ) -> Result<ListClustersResponse, Error> {
        let pairs = list_query(query);
        let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
        self.get("/api/2.1/clusters/list", &pairs, options).await
    }

    /// `POST /api/2.1/clusters/create`: resent after a lost answer only when
    /// `request` carries an `idempotency_token`.
    #[instrument(skip_all, fields(with_token = request.idempotency_token.is_some()))]
    pub async fn create_cluster(
        &self,
        request: &CreateClusterRequest,
        options: CallOptions,
    ) -> Result<CreateClusterResponse, Error> {
        let resend = if request.idempotency_token.is_some() {
            Resend::Safe
        } else {
            Resend::OnlyIfNotSent
        };
        self.post("/api/2.1/clusters/create", request, options, resend)
            .await
    }

    /// `POST /api/2.1/clusters/edit`.
    #[instrument(skip_all, fields(cluster_id = %excerpt(&request.cluster_id)))]
    pub async fn edit_cluster(
        &self,
        request: &EditClusterRequest,
        options: CallOptions,
    ) -> Result<(), Error> {
        let edited = self
            .post_safe("/api/2.1/clusters/edit", request, options)
            .await;
        Error::done_by_lost_attempt(edited, ApiError::is_invalid_state)
    }

    /// `POST /api/2.1/clusters/resize`.
    #[instrument(skip_all, fields(cluster_id = %excerpt(&request.cluster_id)))]
    pub async fn resize_cluster(
        &self,
        request: &ResizeClusterRequest,
        options: CallOptions,
    ) -> Result<(), Error> {
        let resized = self
            .post_safe("/api/2.1/clusters/resize", request, options)
            .await;
        Error::done_by_lost_attempt(resized, ApiError::is_invalid_state)
    }

    /// `POST /api/2.1/clusters/start`: 400 `INVALID_STATE` unless TERMINATED.
    #[instrument(skip_all, fields(cluster_id = %excerpt(cluster_id)))]
    pub async fn start_cluster(&self, cluster_id: &str, options: CallOptions) -> Result<(), Error> {
        self.cluster_action("/api/2.1/clusters/start", cluster_id, options)
            .await
    }

    /// `POST /api/2.1/clusters/restart`.
    #[instrument(skip_all, fields(cluster_id = %excerpt(cluster_id)))]
    pub async fn restart_cluster(
        &self,
        cluster_id: &str,
        options: CallOptions,
    ) -> Result<(), Error> {
        let restarted = self
            .cluster_action("/api/2.1/clusters/restart", cluster_id, options)
            .await;
        Error::done_by_lost_attempt(restarted, ApiError::is_invalid_state)
    }

    /// `POST /api/2.1/clusters/delete`: terminates; the cluster stays listed.
    #[instrument(skip_all, fields(cluster_id = %excerpt(cluster_id)))]
    pub async fn terminate_cluster(
        &self,
        cluster_id: &str,
        options: CallOptions,
    ) -> Result<(), Error> {
        self.cluster_action("/api/2.1/clusters/delete", cluster_id, options)
            .await
    }

    /// `POST /api/2.1/clusters/permanent-delete`.
    #[instrument(skip_all, fields(cluster_id = %excerpt(cluster_id)))]
    pub async fn permanent_delete_cluster(
        &self,
        cluster_id: &str,
        options: CallOptions,
    ) -> Result<(), Error> {
        let deleted = self
            .cluster_action("/api/2.1/clusters/permanent-delete", cluster_id, options)
            .await;
        Error::done_by_lost_attempt(deleted, ApiError::is_not_found)
    }

    /// `POST /api/2.1/clusters/pin`.
    #[instrument(skip_all, fields(cluster_id = %excerpt(cluster_id)))]
    pub async fn pin_cluster(&self, cluster_id: &str, options: CallOptions) -> Result<(), Error> {
        self.cluster_action("/api/2.1/clusters/pin", cluster_id, options)
            .await
    }

    /// `POST /api/2.1/clusters/unpin`.
    #[instrument(skip_all, fields(cluster_id = %excerpt(cluster_id)))]
    pub async fn unpin_cluster(&self, cluster_id: &str, options: CallOptions) -> Result<(), Error> {
        self.cluster_action("/api/2.1/clusters/unpin", cluster_id, options)
            .await
    }

    /// `POST /api/2.1/clusters/events` (a read, sent as a POST).
    #[instrument(skip_all, fields(cluster_id = %excerpt(&request.cluster_id)))]
    pub async fn cluster_events(
        &self,
        request: &ClusterEventsRequest,
        options: CallOptions,
    ) -> Result<ClusterEventsResponse, Error> {
        self.post("/api/2.1/clusters/events", request, options, Resend::Safe)
            .await
    }

    async fn cluster_action(
        &self,
        path: &str,
        cluster_id: &str,
        options: CallOptions,
    ) -> Result<(), Error> {
        let request = ClusterIdRequest {
            cluster_id: cluster_id.to_owned(),
        };
        self.post_safe(path, &request, options).await
    }

    async fn post_safe<B: Serialize>(
        &self,
        path: &str,
        body: &B,
        options: CallOptions,
    ) -> Result<(), Error> {
        self.post::<_, serde_json::Value>(path, body, options, Resend::Safe)
            .await
            .map(drop)
    }
}

/// `query` as query pairs: lists as repeated keys, booleans as `true`/`false`.
fn list_query(query: &ListClustersQuery) -> Vec<(&'static str, String)> {
    let mut pairs = Vec::new();
    if let Some(size) = query.page_size {
        pairs.push(("page_size", size.to_string()));
    }
    if let Some(token) = &query.page_token {
        pairs.push(("page_token", token.clone()));
    }
    for state in &query.states {
        pairs.push(("filter_by.cluster_states", state.clone()));
    }
    for source in &query.sources {
        pairs.push(("filter_by.cluster_sources", source.clone()));
    }
    if let Some(pinned) = query.is_pinned {
        pairs.push(("filter_by.is_pinned", pinned.to_string()));
    }
    if let Some(policy) = &query.policy_id {
        pairs.push(("filter_by.policy_id", policy.clone()));
    }
    pairs
}

#[cfg(test)]
mod tests {
    use super::list_query;
    use crate::databricks::models::ListClustersQuery;

    #[test]
    fn filters_become_repeated_dotted_keys() {
        let query = ListClustersQuery {
            page_size: Some(100),
            page_token: Some("t".into()),
            states: vec!["RUNNING".into(), "PENDING".into()],
            sources: vec!["UI".into(), "API".into()],
            is_pinned: Some(true),
            policy_id: Some("p".into()),
        };
        let pairs = list_query(&query);
        let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
        assert_eq!(
            pairs,
            [
                ("page_size", "100"),
                ("page_token", "t"),
                ("filter_by.cluster_states", "RUNNING"),
                ("filter_by.cluster_states", "PENDING"),
                ("filter_by.cluster_sources", "UI"),
                ("filter_by.cluster_sources", "API"),
                ("filter_by.is_pinned", "true"),
                ("filter_by.policy_id", "p"),
            ]
        );
    }

    #[test]
    fn an_empty_query_sends_nothing() {
        assert!(list_query(&ListClustersQuery::default()).is_empty());
    }
}
