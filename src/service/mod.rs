//! The one `ComputeService`: each method finds the tenant the call acts as
//! (`tenants.rs`), converts the request in, calls the Databricks client, and
//! converts the answer out. Methods are split by concern; `errors.rs` holds
//! the only error → `Status` mapping.

mod caller_key;
mod cluster_locks;
mod cluster_watch;
mod clusters;
mod coalesce;
mod commands;
mod contexts;
mod deadline;
pub mod errors;
mod lasting;
mod libraries;
mod library_files;
mod library_sets;
mod limiter_caller;
pub mod pagination;
mod shutdown;
pub mod snapshots;
mod tenants;
mod upload_spool;

use std::{pin::Pin, sync::Arc, time::Duration};

use tokio::task::{JoinHandle, JoinSet};
use tokio_stream::Stream;
use tonic::{Request, Response, Status, Streaming};

pub use self::coalesce::DeadlinePassed;
pub use self::library_files::{FILES_API_MAX_BYTES, WORKSPACE_IMPORT_MAX_BYTES};
pub use self::shutdown::ShuttingDown;
pub use self::tenants::{CALLER_IDLE, MAX_CALLERS};
use self::{
    coalesce::Coalescer,
    libraries::ClusterStatusReads,
    shutdown::StopSwitch,
    tenants::{Tenant, Tenants},
};
use crate::{
    databricks::{CallOptions, Client},
    hub::Backoff,
    proto::compute as pb,
};

/// A boxed stream of messages for server-streaming RPCs.
pub type ResponseStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send>>;

/// Implements `databricks.compute.v1.ComputeService` over a Databricks client.
/// Clones share the same state.
#[derive(Debug, Clone)]
pub struct ComputeService {
    tenants: Arc<Tenants>,
    stop: Arc<StopSwitch>,
    /// Owned here rather than by each tenant: a pass-through caller without
    /// a registered tenant gets a new one per call, and its identical reads
    /// must still coalesce. The key holds the credential, so sharing the map
    /// never shares an answer between identities.
    cluster_status_reads: Arc<ClusterStatusReads>,
    /// UploadLibrary calls reading their client stream or storing it now.
    uploads: Arc<std::sync::atomic::AtomicUsize>,
}

/// Tuning of the streaming RPCs and managed contexts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServiceOptions {
    /// Poll interval of the shared poll loops: fast after a change, doubling
    /// up to a cap.
    pub poll: Backoff,
    /// How long a managed execution context may sit unused before it is
    /// destroyed.
    pub context_idle_timeout: Duration,
}

impl Default for ServiceOptions {
    fn default() -> Self {
        Self {
            poll: Backoff::default(),
            context_idle_timeout: Duration::from_secs(20 * 60),
        }
    }
}

// === impl ComputeService ===

impl ComputeService {
    /// A service that calls Databricks through `client`, with default options.
    pub fn new(client: Client) -> Self {
        Self::with_options(client, ServiceOptions::default())
    }

    /// A service with explicit options. With a pass-through client
    /// (`Credentials::PassThrough`) every call must carry its caller's
    /// `authorization`, and each caller's state is kept apart.
    pub fn with_options(client: Client, options: ServiceOptions) -> Self {
        Self::with_caller_limit(client, options, MAX_CALLERS)
    }

    /// A service that, in pass-through mode, keeps state for at most
    /// `max_callers` distinct caller credentials at once instead of
    /// [`MAX_CALLERS`] (tests use a small table to fill it quickly).
    pub fn with_caller_limit(client: Client, options: ServiceOptions, max_callers: usize) -> Self {
        Self {
            tenants: Arc::new(Tenants::new(client, options, max_callers)),
            stop: Arc::new(StopSwitch::new()),
            cluster_status_reads: Arc::new(Coalescer::new()),
            uploads: Arc::default(),
        }
    }

    /// The ids of the execution contexts this server created on callers'
    /// behalf, for tests and diagnostics.
    pub fn managed_context_ids(&self) -> Vec<String> {
        self.tenants
            .all()
            .iter()
            .flat_map(|tenant| tenant.contexts.context_ids())
            .collect()
    }

    /// Ends every open WatchClusterStatus and StreamCommandStatus stream
    /// (and any opened from now on) with UNAVAILABLE [`ShuttingDown`]: the
    /// server is stopping.
    pub fn begin_shutdown(&self) {
        self.stop.turn_on();
    }

    /// Destroys every execution context this server created (on shutdown):
    /// all of them at once, for every caller, within `budget`.
    pub async fn destroy_managed_contexts(&self, budget: Duration) {
        let mut destroying = JoinSet::new();
        for tenant in self.tenants.all() {
            let contexts = tenant.contexts.clone();
            destroying.spawn(async move { contexts.destroy_all(budget).await });
        }
        destroying.join_all().await;
    }

    /// Starts the background task that destroys idle managed contexts and
    /// forgets idle pass-through callers; abort the handle to stop it.
    pub fn spawn_housekeeping(&self) -> JoinHandle<()> {
        self.tenants.spawn_housekeeping()
    }

    /// Number of upstream poll loops running (commands and clusters).
    pub fn active_poll_loops(&self) -> usize {
        self.tenants
            .all()
            .iter()
            .map(|tenant| tenant.active_poll_loops())
            .sum()
    }

    /// Number of ClusterStatus calls waiting now for an upstream read, each
    /// counted once whether it sent the read or joined one in flight.
    pub fn cluster_status_reads_waiting(&self) -> usize {
        self.cluster_status_reads.waiting()
    }

    /// Number of UploadLibrary calls in progress (reading their stream or
    /// storing the file).
    pub fn uploads_in_progress(&self) -> usize {
        self.uploads.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Number of identities with state here: 1, or in pass-through mode the
    /// callers whose managed contexts, poll loops or snapshots are kept.
    pub fn callers(&self) -> usize {
        self.tenants.all().len()
    }

    /// The tenant a call acts as, and the options its deadline gives.
    fn caller<T>(&self, request: &Request<T>) -> Result<(Arc<Tenant>, CallOptions), Status> {
        let tenant = self.tenants.for_call(request.metadata())?;
        let mut options = deadline::call_options(request.metadata());
        options.caller = limiter_caller::limiter_caller(
            tenant.caller_key(),
            request.remote_addr().map(|address| address.ip()),
        );
        Ok((tenant, options))
    }

    /// The tonic server wrapping this service.
    pub fn into_server(self) -> pb::compute_service_server::ComputeServiceServer<Self> {
        pb::compute_service_server::ComputeServiceServer::new(self)
    }
}

#[tonic::async_trait]
impl pb::compute_service_server::ComputeService for ComputeService {
    async fn install(
        &self,
        request: Request<pb::InstallRequest>,
    ) -> Result<Response<pb::InstallResponse>, Status> {
        let (tenant, options) = self.caller(&request)?;
        tenant
            .install_libraries(request.into_inner(), options)
            .await
            .map(Response::new)
    }

    async fn uninstall(
        &self,
        request: Request<pb::UninstallRequest>,
    ) -> Result<Response<pb::UninstallResponse>, Status> {
        let (tenant, options) = self.caller(&request)?;
        tenant
            .uninstall_libraries(request.into_inner(), options)
            .await
            .map(Response::new)
    }

    async fn cluster_status(
        &self,
        request: Request<pb::ClusterStatusRequest>,
    ) -> Result<Response<pb::ClusterStatusResponse>, Status> {
        let (tenant, options) = self.caller(&request)?;
        tenant
            .library_statuses(request.into_inner(), options, &self.cluster_status_reads)
            .await
            .map(Response::new)
    }

    async fn all_statuses(
        &self,
        request: Request<pb::AllStatusesRequest>,
    ) -> Result<Response<pb::AllStatusesResponse>, Status> {
        let (tenant, options) = self.caller(&request)?;
        tenant
            .all_library_statuses(request.into_inner(), options, &self.tenants)
            .await
            .map(Response::new)
    }

    type WatchClusterStatusStream = ResponseStream<pb::WatchClusterStatusResponse>;

    async fn watch_cluster_status(
        &self,
        request: Request<pb::WatchClusterStatusRequest>,
    ) -> Result<Response<Self::WatchClusterStatusStream>, Status> {
        let (tenant, _) = self.lasting_caller(&request).await?;
        let updates = tenant.watch_cluster(request.into_inner())?;
        Ok(Response::new(self.stop.guard(updates)))
    }

    async fn create_context(
        &self,
        request: Request<pb::CreateContextRequest>,
    ) -> Result<Response<pb::CreateContextResponse>, Status> {
        let (tenant, options) = self.caller(&request)?;
        tenant
            .create_caller_context(request.into_inner(), options)
            .await
            .map(Response::new)
    }

    async fn context_status(
        &self,
        request: Request<pb::ContextStatusRequest>,
    ) -> Result<Response<pb::ContextStatusResponse>, Status> {
        let (tenant, options) = self.caller(&request)?;
        tenant
            .read_context_status(request.into_inner(), options)
            .await
            .map(Response::new)
    }

    async fn destroy_context(
        &self,
        request: Request<pb::DestroyContextRequest>,
    ) -> Result<Response<pb::DestroyContextResponse>, Status> {
        let (tenant, options) = self.caller(&request)?;
        tenant
            .destroy_caller_context(request.into_inner(), options)
            .await
            .map(Response::new)
    }

    async fn execute_command(
        &self,
        request: Request<pb::ExecuteCommandRequest>,
    ) -> Result<Response<pb::ExecuteCommandResponse>, Status> {
        let (tenant, options) = self.lasting_caller(&request).await?;
        tenant
            .execute(request.into_inner(), options)
            .await
            .map(Response::new)
    }

    async fn command_status(
        &self,
        request: Request<pb::CommandStatusRequest>,
    ) -> Result<Response<pb::CommandStatusResponse>, Status> {
        let (tenant, options) = self.caller(&request)?;
        tenant
            .read_command_status(request.into_inner(), options)
            .await
            .map(Response::new)
    }

    async fn cancel_command(
        &self,
        request: Request<pb::CancelCommandRequest>,
    ) -> Result<Response<pb::CancelCommandResponse>, Status> {
        let (tenant, options) = self.caller(&request)?;
        tenant
            .cancel(request.into_inner(), options)
            .await
            .map(Response::new)
    }

    type StreamCommandStatusStream = ResponseStream<pb::StreamCommandStatusResponse>;

    async fn stream_command_status(
        &self,
        request: Request<pb::StreamCommandStatusRequest>,
    ) -> Result<Response<Self::StreamCommandStatusStream>, Status> {
        let (tenant, _) = self.lasting_caller(&request).await?;
        let updates = tenant.stream_command(request.into_inner())?;
        Ok(Response::new(self.stop.guard(updates)))
    }

    // ─── Library files ───

    async fn upload_library(
        &self,
        request: Request<Streaming<pb::UploadLibraryRequest>>,
    ) -> Result<Response<pb::UploadLibraryResponse>, Status> {
        let (tenant, options) = self.caller(&request)?;
        let _counted = library_files::InProgress::count(&self.uploads);
        tenant
            .upload_library(request.into_inner(), options)
            .await
            .map(Response::new)
    }

    async fn list_library_files(
        &self,
        request: Request<pb::ListLibraryFilesRequest>,
    ) -> Result<Response<pb::ListLibraryFilesResponse>, Status> {
        let (tenant, options) = self.caller(&request)?;
        tenant
            .list_library_files(request.into_inner(), options)
            .await
            .map(Response::new)
    }

    async fn delete_library_file(
        &self,
        request: Request<pb::DeleteLibraryFileRequest>,
    ) -> Result<Response<pb::DeleteLibraryFileResponse>, Status> {
        let (tenant, options) = self.caller(&request)?;
        tenant
            .delete_library_file(request.into_inner(), options)
            .await
            .map(Response::new)
    }

    // ─── Clusters ───

    async fn list_clusters(
        &self,
        request: Request<pb::ListClustersRequest>,
    ) -> Result<Response<pb::ListClustersResponse>, Status> {
        let (tenant, options) = self.caller(&request)?;
        tenant
            .list_clusters(request.into_inner(), options)
            .await
            .map(Response::new)
    }

    async fn get_cluster(
        &self,
        request: Request<pb::GetClusterRequest>,
    ) -> Result<Response<pb::GetClusterResponse>, Status> {
        let (tenant, options) = self.caller(&request)?;
        tenant
            .get_one_cluster(request.into_inner(), options)
            .await
            .map(Response::new)
    }

    async fn create_cluster(
        &self,
        request: Request<pb::CreateClusterRequest>,
    ) -> Result<Response<pb::CreateClusterResponse>, Status> {
        let (tenant, options) = self.caller(&request)?;
        tenant
            .create_cluster(request.into_inner(), options)
            .await
            .map(Response::new)
    }

    async fn edit_cluster(
        &self,
        request: Request<pb::EditClusterRequest>,
    ) -> Result<Response<pb::EditClusterResponse>, Status> {
        let (tenant, options) = self.caller(&request)?;
        tenant
            .edit_cluster(request.into_inner(), options)
            .await
            .map(Response::new)
    }

    async fn resize_cluster(
        &self,
        request: Request<pb::ResizeClusterRequest>,
    ) -> Result<Response<pb::ResizeClusterResponse>, Status> {
        let (tenant, options) = self.caller(&request)?;
        tenant
            .resize_cluster(request.into_inner(), options)
            .await
            .map(Response::new)
    }

    async fn start_cluster(
        &self,
        request: Request<pb::StartClusterRequest>,
    ) -> Result<Response<pb::StartClusterResponse>, Status> {
        let (tenant, options) = self.caller(&request)?;
        tenant
            .start_one_cluster(request.into_inner(), options)
            .await
            .map(Response::new)
    }

    async fn restart_cluster(
        &self,
        request: Request<pb::RestartClusterRequest>,
    ) -> Result<Response<pb::RestartClusterResponse>, Status> {
        let (tenant, options) = self.caller(&request)?;
        let id = request.into_inner().cluster_id;
        tenant
            .cluster_action(&id, options, |client, id, options| async move {
                client.restart_cluster(&id, options).await
            })
            .await?;
        Ok(Response::new(pb::RestartClusterResponse {}))
    }

    async fn terminate_cluster(
        &self,
        request: Request<pb::TerminateClusterRequest>,
    ) -> Result<Response<pb::TerminateClusterResponse>, Status> {
        let (tenant, options) = self.caller(&request)?;
        let id = request.into_inner().cluster_id;
        tenant
            .cluster_action(&id, options, |client, id, options| async move {
                client.terminate_cluster(&id, options).await
            })
            .await?;
        Ok(Response::new(pb::TerminateClusterResponse {}))
    }

    async fn permanent_delete_cluster(
        &self,
        request: Request<pb::PermanentDeleteClusterRequest>,
    ) -> Result<Response<pb::PermanentDeleteClusterResponse>, Status> {
        let (tenant, options) = self.caller(&request)?;
        let id = request.into_inner().cluster_id;
        tenant
            .cluster_action(&id, options, |client, id, options| async move {
                client.permanent_delete_cluster(&id, options).await
            })
            .await?;
        Ok(Response::new(pb::PermanentDeleteClusterResponse {}))
    }

    async fn pin_cluster(
        &self,
        request: Request<pb::PinClusterRequest>,
    ) -> Result<Response<pb::PinClusterResponse>, Status> {
        let (tenant, options) = self.caller(&request)?;
        let id = request.into_inner().cluster_id;
        tenant
            .cluster_action(&id, options, |client, id, options| async move {
                client.pin_cluster(&id, options).await
            })
            .await?;
        Ok(Response::new(pb::PinClusterResponse {}))
    }

    async fn unpin_cluster(
        &self,
        request: Request<pb::UnpinClusterRequest>,
    ) -> Result<Response<pb::UnpinClusterResponse>, Status> {
        let (tenant, options) = self.caller(&request)?;
        let id = request.into_inner().cluster_id;
        tenant
            .cluster_action(&id, options, |client, id, options| async move {
                client.unpin_cluster(&id, options).await
            })
            .await?;
        Ok(Response::new(pb::UnpinClusterResponse {}))
    }

    async fn cluster_events(
        &self,
        request: Request<pb::ClusterEventsRequest>,
    ) -> Result<Response<pb::ClusterEventsResponse>, Status> {
        let (tenant, options) = self.caller(&request)?;
        tenant
            .cluster_events(request.into_inner(), options)
            .await
            .map(Response::new)
    }

    type WatchClusterStream = ResponseStream<pb::WatchClusterResponse>;

    async fn watch_cluster(
        &self,
        request: Request<pb::WatchClusterRequest>,
    ) -> Result<Response<Self::WatchClusterStream>, Status> {
        let (tenant, _) = self.lasting_caller(&request).await?;
        let updates = tenant.watch_cluster_until(request.into_inner())?;
        Ok(Response::new(self.stop.guard(updates)))
    }

    type ApplyLibrariesStream = ResponseStream<pb::ApplyLibrariesResponse>;

    async fn apply_libraries(
        &self,
        request: Request<pb::ApplyLibrariesRequest>,
    ) -> Result<Response<Self::ApplyLibrariesStream>, Status> {
        let (tenant, options) = self.caller(&request)?;
        let progress = tenant.apply_libraries(request.into_inner(), options)?;
        Ok(Response::new(self.stop.guard(progress)))
    }

    type ReplaceLibraryStream = ResponseStream<pb::ReplaceLibraryResponse>;

    async fn replace_library(
        &self,
        request: Request<pb::ReplaceLibraryRequest>,
    ) -> Result<Response<Self::ReplaceLibraryStream>, Status> {
        let (tenant, options) = self.caller(&request)?;
        let progress = tenant.replace_library(request.into_inner(), options)?;
        Ok(Response::new(self.stop.guard(progress)))
    }
}
