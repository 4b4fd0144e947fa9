//! WatchCluster: a shared poll loop per (cluster, target) over
//! `clusters/get` (and, for READY, `libraries/cluster-status`), kept apart
//! from WatchClusterStatus's loops. It ends at the target, or at once with
//! FAILED_PRECONDITION when the target is out of reach.

use tonic::Status;

use super::super::{ResponseStream, Tenant, lasting::KeepsState};
use crate::{
    convert::{self, ClusterTargetUnreachable, InvalidRequest},
    databricks::{self, CallOptions},
    hub::PollFailure,
    proto::compute::{self as pb, ClusterTarget},
};

/// Why a poll of a watched cluster failed.
#[derive(Debug, thiserror::Error)]
enum WatchFailure {
    /// Reading the cluster failed; the hub decides whether to poll again.
    #[error(transparent)]
    Upstream(#[from] databricks::Error),
    /// The target is out of reach: the watch ends.
    #[error(transparent)]
    Unreachable(#[from] Box<ClusterTargetUnreachable>),
}

// === impl Tenant ===

impl Tenant {
    /// Subscribes to the shared WatchCluster loop of the cluster and target.
    pub(in crate::service) fn watch_cluster_until(
        &self,
        request: pb::WatchClusterRequest,
    ) -> Result<ResponseStream<pb::WatchClusterResponse>, Status> {
        let (cluster_id, target) = convert::watch_cluster(&request)?;
        let client = self.client.clone();
        let poll_id = cluster_id.clone();
        let poll = move || {
            let client = client.clone();
            let cluster_id = poll_id.clone();
            async move {
                let options = CallOptions::default();
                let (cluster, statuses) = if target == ClusterTarget::Ready {
                    let (cluster, statuses) = tokio::try_join!(
                        client.get_cluster(&cluster_id, options),
                        client.cluster_status(&cluster_id, options)
                    )?;
                    (cluster, Some(statuses))
                } else {
                    (client.get_cluster(&cluster_id, options).await?, None)
                };
                Ok::<_, WatchFailure>(convert::cluster_progress(target, cluster, statuses)?)
            }
        };
        Ok(Box::pin(self.cluster_targets.subscribe(
            (cluster_id, target as i32),
            poll,
            convert::is_reached,
        )))
    }
}

// === impl WatchFailure ===

impl PollFailure for WatchFailure {
    fn worth_another_poll(&self) -> bool {
        match self {
            Self::Upstream(error) => error.worth_another_poll(),
            Self::Unreachable(_) => false,
        }
    }
}

impl From<WatchFailure> for Status {
    fn from(failure: WatchFailure) -> Self {
        match failure {
            WatchFailure::Upstream(error) => error.into(),
            WatchFailure::Unreachable(unreachable) => (*unreachable).into(),
        }
    }
}

// === impl KeepsState ===

impl KeepsState for pb::WatchClusterRequest {
    fn lasting_cluster(&self) -> Result<Option<String>, InvalidRequest> {
        convert::watch_cluster(self).map(|(cluster_id, _)| Some(cluster_id))
    }
}
