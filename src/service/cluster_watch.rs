//! WatchClusterStatus: a shared poll loop per cluster over
//! `libraries/cluster-status` and `clusters/get`, until every library settles.

use tonic::Status;

use super::{ResponseStream, Tenant};
use crate::{
    convert,
    databricks::{self, CallOptions},
    proto::compute as pb,
};

// === impl Tenant ===

impl Tenant {
    /// Subscribes to the shared poll loop of the cluster.
    pub(super) fn watch_cluster(
        &self,
        request: pb::WatchClusterStatusRequest,
    ) -> Result<ResponseStream<pb::WatchClusterStatusResponse>, Status> {
        let cluster_id = convert::cluster_id(&request.cluster_id)?;
        let client = self.client.clone();
        let poll_id = cluster_id.clone();
        let poll = move || {
            let client = client.clone();
            let cluster_id = poll_id.clone();
            async move {
                let options = CallOptions::default();
                let (statuses, cluster) = tokio::try_join!(
                    client.cluster_status(&cluster_id, options),
                    client.get_cluster(&cluster_id, options)
                )?;
                // The typed error goes to the poll loop, which decides
                // whether to ride it out before any caller hears of it.
                Ok::<_, databricks::Error>(convert::cluster_watch(statuses, cluster))
            }
        };
        Ok(Box::pin(self.clusters.subscribe(
            cluster_id,
            poll,
            convert::is_settled,
        )))
    }
}
