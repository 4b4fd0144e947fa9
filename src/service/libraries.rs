//! Install, Uninstall, ClusterStatus and AllStatuses (Libraries API 2.0).

use tonic::Status;
use tracing::{info, instrument};

use super::{Tenant, pagination::PageRequest};
use crate::{convert, databricks::CallOptions, proto::compute as pb, telemetry::excerpt};

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

    #[instrument(skip_all, fields(cluster_id = %excerpt(&request.cluster_id)))]
    pub(super) async fn library_statuses(
        &self,
        request: pb::ClusterStatusRequest,
        options: CallOptions,
    ) -> Result<pb::ClusterStatusResponse, Status> {
        let cluster_id = convert::cluster_id(&request.cluster_id)?;
        let statuses = self.client.cluster_status(&cluster_id, options).await?;
        let statuses = convert::cluster_library_statuses(statuses);
        Ok(pb::ClusterStatusResponse {
            cluster_id: statuses.cluster_id,
            library_statuses: statuses.library_statuses,
        })
    }

    #[instrument(skip_all, fields(page_size = request.page_size))]
    pub(super) async fn all_library_statuses(
        &self,
        request: pb::AllStatusesRequest,
        options: CallOptions,
    ) -> Result<pb::AllStatusesResponse, Status> {
        let page = PageRequest::parse(request.page_size, &request.page_token)?;
        let cached = page
            .snapshot()
            .and_then(|id| Some((id, self.snapshots.get(id)?)));
        let (id, snapshot) = match cached {
            Some(cached) => cached,
            None => {
                let all = self.client.all_cluster_statuses(options).await?;
                let all = all.statuses.into_iter();
                self.snapshots
                    .insert(all.map(convert::cluster_library_statuses).collect())
            }
        };
        Ok(page.page(id, &snapshot))
    }
}
