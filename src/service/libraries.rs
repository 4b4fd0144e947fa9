//! Install, Uninstall, ClusterStatus and AllStatuses (Libraries API 2.0).

use std::sync::Arc;

use tonic::Status;
use tracing::{debug, info, instrument};

use super::{
    Tenant, Tenants,
    caller_key::CallerKey,
    coalesce::Coalescer,
    pagination::PageRequest,
    snapshots::{EncodedList, NO_SNAPSHOT},
};
use crate::{convert, databricks::CallOptions, proto::compute as pb, telemetry::excerpt};

/// ClusterStatus reads in flight, keyed by the caller's credential (none for
/// the server's own) and the cluster: callers share an answer only when they
/// would have sent the very same request as the very same identity.
pub(super) type ClusterStatusReads =
    Coalescer<(Option<CallerKey>, String), Result<pb::ClusterStatusResponse, Status>>;

// === impl Tenant ===

impl Tenant {
    #[instrument(skip_all, fields(cluster_id = %excerpt(&request.cluster_id)))]
    pub(super) async fn install_libraries(
        &self,
        request: pb::InstallRequest,
        options: CallOptions,
    ) -> Result<pb::InstallResponse, Status> {
        let body = convert::libraries_request(&request.cluster_id, &request.libraries)?;
        self.client.install(&body, options).await?;
        info!(libraries = body.libraries.len(), "install requested");
        Ok(pb::InstallResponse {})
    }

    #[instrument(skip_all, fields(cluster_id = %excerpt(&request.cluster_id)))]
    pub(super) async fn uninstall_libraries(
        &self,
        request: pb::UninstallRequest,
        options: CallOptions,
    ) -> Result<pb::UninstallResponse, Status> {
        let body = convert::libraries_request(&request.cluster_id, &request.libraries)?;
        self.client.uninstall(&body, options).await?;
        info!(libraries = body.libraries.len(), "uninstall requested");
        Ok(pb::UninstallResponse {})
    }

    /// The statuses on one cluster, from the read in flight for the same
    /// caller and cluster if there is one (see [`Coalescer`]). The shared
    /// read runs within the server's own timeouts, not any one caller's
    /// deadline (it carries the caller and trace context of the call that
    /// started it); each caller stops waiting at its own.
    #[instrument(skip_all, fields(cluster_id = %excerpt(&request.cluster_id)))]
    pub(super) async fn library_statuses(
        self: Arc<Self>,
        request: pb::ClusterStatusRequest,
        options: CallOptions,
        reads: &ClusterStatusReads,
    ) -> Result<pb::ClusterStatusResponse, Status> {
        let cluster_id = convert::cluster_id(&request.cluster_id)?;
        let key = (self.caller_key().cloned(), cluster_id.clone());
        let shared = CallOptions {
            timeout: None,
            ..options
        };
        let read = || async move { self.read_library_statuses(&cluster_id, shared).await };
        reads.read(key, options.timeout, read).await?
    }

    /// One upstream ClusterStatus read, within the server's own timeouts
    /// (`options` has no deadline).
    async fn read_library_statuses(
        &self,
        cluster_id: &str,
        options: CallOptions,
    ) -> Result<pb::ClusterStatusResponse, Status> {
        let statuses = self.client.cluster_status(cluster_id, options).await?;
        let statuses = convert::cluster_library_statuses(statuses);
        Ok(pb::ClusterStatusResponse {
            cluster_id: statuses.cluster_id,
            library_statuses: statuses.library_statuses,
        })
    }

    /// A page of every cluster's statuses. A page with more after it keeps
    /// its list as a snapshot for the next, in the caller's registered
    /// tenant: the fetch has just shown Databricks accepts the credential.
    /// When no slot is free, later pages read a fresh list instead. Serving
    /// a snapshot's last page drops it: its listing is complete.
    #[instrument(skip_all, fields(page_size = request.page_size))]
    pub(super) async fn all_library_statuses(
        self: Arc<Self>,
        request: pb::AllStatusesRequest,
        options: CallOptions,
        tenants: &Tenants,
    ) -> Result<pb::AllStatusesResponse, Status> {
        let page = PageRequest::parse(request.page_size, &request.page_token)?;
        let cached = page
            .snapshot()
            .and_then(|id| Some((id, self.snapshots.get(id)?)));
        if let Some((id, snapshot)) = cached {
            let cut = page.cut(&snapshot);
            if cut.is_last {
                self.snapshots.remove(id);
            }
            return Ok(cut.page(id, &snapshot)?);
        }
        let all = self
            .client
            .all_cluster_statuses_into::<EncodedList>(options)
            .await?
            .sorted();
        let cut = page.cut(&all);
        if cut.is_last {
            return Ok(cut.page(NO_SNAPSHOT, &all)?);
        }
        match tenants.keep(self) {
            Ok(keeper) => {
                let (id, snapshot) = keeper.snapshots.insert(all);
                Ok(cut.page(id, &snapshot)?)
            }
            Err(status) => {
                debug!(reason = status.message(), "page snapshot not kept");
                Ok(cut.page(NO_SNAPSHOT, &all)?)
            }
        }
    }
}
