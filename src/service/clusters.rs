//! The Clusters RPCs as `Tenant` methods over Clusters API 2.1. Every
//! request is validated before any upstream call; the operations that change
//! one cluster hold its lock (`Tenant::lock_cluster`) for their whole run.

mod ensure;
mod watch;

use tokio::time::Instant;
use tonic::Status;

pub(crate) use ensure::{ClusterNotStartable, Ensured};

use super::{Tenant, coalesce::DeadlinePassed};
use crate::{
    convert,
    databricks::{CallOptions, Client, Error},
    proto::compute as pb,
};

// === impl Tenant ===

impl Tenant {
    /// ListClusters: one upstream page, or with `name` as many as it takes
    /// to fill the page (stopping at a page boundary, so no cluster is
    /// skipped), all within the caller's deadline.
    pub(super) async fn list_clusters(
        &self,
        request: pb::ListClustersRequest,
        options: CallOptions,
    ) -> Result<pb::ListClustersResponse, Status> {
        let convert::ListClusters { mut query, name } = convert::list_clusters(&request)?;
        let wanted = query.page_size.unwrap_or(convert::MAX_CLUSTER_LIST_PAGE) as usize;
        let budget = Budget::new(options);
        let mut clusters = Vec::new();
        loop {
            let page = self.client.list_clusters(&query, budget.left()?).await?;
            clusters.extend(
                page.clusters
                    .into_iter()
                    .filter(|cluster| {
                        name.as_ref()
                            .is_none_or(|name| cluster.cluster_name == *name)
                    })
                    .map(convert::cluster),
            );
            if name.is_none() || clusters.len() >= wanted || page.next_page_token.is_empty() {
                return Ok(pb::ListClustersResponse {
                    clusters,
                    next_page_token: page.next_page_token,
                });
            }
            query.page_token = Some(page.next_page_token);
        }
    }

    /// GetCluster: one read, never a wait.
    pub(super) async fn get_one_cluster(
        &self,
        request: pb::GetClusterRequest,
        options: CallOptions,
    ) -> Result<pb::GetClusterResponse, Status> {
        let cluster_id = convert::cluster_id(&request.cluster_id)?;
        let cluster = self.client.get_cluster(&cluster_id, options).await?;
        Ok(pb::GetClusterResponse {
            cluster: Some(convert::cluster(cluster)),
        })
    }

    /// CreateCluster: always with an idempotency token, so the client's
    /// retries (and the caller's, with their own token) create one cluster.
    pub(super) async fn create_cluster(
        &self,
        request: pb::CreateClusterRequest,
        options: CallOptions,
    ) -> Result<pb::CreateClusterResponse, Status> {
        let mut body = convert::create_cluster(&request)?;
        let token = body
            .idempotency_token
            .get_or_insert_with(new_idempotency_token)
            .clone();
        let created = self.client.create_cluster(&body, options).await?;
        Ok(pb::CreateClusterResponse {
            cluster_id: created.cluster_id,
            idempotency_token: token,
        })
    }

    /// EditCluster, under the cluster's lock.
    pub(super) async fn edit_cluster(
        &self,
        request: pb::EditClusterRequest,
        options: CallOptions,
    ) -> Result<pb::EditClusterResponse, Status> {
        let body = convert::edit_cluster(&request)?;
        let _held = self.lock_cluster(&body.cluster_id).await;
        self.client.edit_cluster(&body, options).await?;
        Ok(pb::EditClusterResponse {})
    }

    /// ResizeCluster, under the cluster's lock.
    pub(super) async fn resize_cluster(
        &self,
        request: pb::ResizeClusterRequest,
        options: CallOptions,
    ) -> Result<pb::ResizeClusterResponse, Status> {
        let body = convert::resize_cluster(&request)?;
        let _held = self.lock_cluster(&body.cluster_id).await;
        self.client.resize_cluster(&body, options).await?;
        Ok(pb::ResizeClusterResponse {})
    }

    /// StartCluster: "ensure running", under the cluster's lock.
    pub(super) async fn start_one_cluster(
        &self,
        request: pb::StartClusterRequest,
        options: CallOptions,
    ) -> Result<pb::StartClusterResponse, Status> {
        let cluster_id = convert::cluster_id(&request.cluster_id)?;
        let _held = self.lock_cluster(&cluster_id).await;
        let Ensured {
            cluster,
            start_sent,
        } = self.ensure_running(&cluster_id, options).await?;
        let message = if start_sent {
            format!("cluster {cluster_id} was {}; started it", cluster.state)
        } else {
            format!("cluster {cluster_id} is {}; nothing to do", cluster.state)
        };
        Ok(pb::StartClusterResponse {
            cluster: Some(convert::cluster(cluster)),
            start_sent,
            message,
        })
    }

    /// RestartCluster, TerminateCluster, PermanentDeleteCluster, PinCluster
    /// and UnpinCluster: one `{"cluster_id"}` call under the cluster's lock.
    pub(super) async fn cluster_action<F, Fut>(
        &self,
        cluster_id: &str,
        options: CallOptions,
        action: F,
    ) -> Result<(), Status>
    where
        F: FnOnce(Client, String, CallOptions) -> Fut,
        Fut: Future<Output = Result<(), Error>>,
    {
        let cluster_id = convert::cluster_id(cluster_id)?;
        let _held = self.lock_cluster(&cluster_id).await;
        action(self.client.clone(), cluster_id, options).await?;
        Ok(())
    }

    /// ClusterEvents: one page.
    pub(super) async fn cluster_events(
        &self,
        request: pb::ClusterEventsRequest,
        options: CallOptions,
    ) -> Result<pb::ClusterEventsResponse, Status> {
        let body = convert::cluster_events_request(&request)?;
        let page = self.client.cluster_events(&body, options).await?;
        Ok(convert::cluster_events(page))
    }
}

/// A fresh idempotency token: 32 random hex digits.
fn new_idempotency_token() -> String {
    format!("{:032x}", rand::random::<u128>())
}

/// What is left of a call's deadline across several upstream calls.
struct Budget {
    deadline: Option<Instant>,
    caller: Option<u64>,
}

impl Budget {
    fn new(options: CallOptions) -> Self {
        Self {
            deadline: options.timeout.map(|timeout| Instant::now() + timeout),
            caller: options.caller,
        }
    }

    /// Options for the next upstream call; DEADLINE_EXCEEDED once none is left.
    fn left(&self) -> Result<CallOptions, Status> {
        let Some(deadline) = self.deadline else {
            return Ok(CallOptions {
                timeout: None,
                caller: self.caller,
            });
        };
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(DeadlinePassed.into());
        }
        Ok(CallOptions {
            timeout: Some(left),
            caller: self.caller,
        })
    }
}
