//! The one `ComputeService`: each method converts the request in, calls the
//! Databricks client, and converts the answer out. Methods are split by
//! concern; `status.rs` holds the only error → `Status` mapping.

mod commands;
mod contexts;
mod deadline;
mod libraries;
pub mod pagination;
pub mod snapshots;
pub mod status;
mod watch;

use std::{pin::Pin, sync::Arc, time::Duration};

use tokio_stream::Stream;
use tonic::{Request, Response, Status};

use crate::{
    databricks::{Client, execution::CommandRequest},
    hub::{Backoff, Hub},
    managed_contexts::ManagedContexts,
    proto::compute as pb,
};

/// A boxed stream of messages for server-streaming RPCs.
pub type ResponseStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send>>;

/// Implements `databricks.compute.v1.ComputeService` over a Databricks client.
/// Clones share the same state.
#[derive(Debug, Clone)]
pub struct ComputeService {
    client: Client,
    snapshots: Arc<snapshots::Snapshots>,
    contexts: Arc<ManagedContexts>,
    commands: Arc<Hub<CommandRequest, pb::Command>>,
    clusters: Arc<Hub<String, pb::WatchClusterStatusResponse>>,
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

    /// A service with explicit options.
    pub fn with_options(client: Client, options: ServiceOptions) -> Self {
        Self {
            contexts: Arc::new(ManagedContexts::new(
                client.clone(),
                options.context_idle_timeout,
            )),
            client,
            snapshots: Arc::default(),
            commands: Arc::new(Hub::new(options.poll)),
            clusters: Arc::new(Hub::new(options.poll)),
        }
    }

    /// The execution contexts this server created on callers' behalf.
    pub fn managed_contexts(&self) -> &Arc<ManagedContexts> {
        &self.contexts
    }

    /// Number of upstream poll loops running (commands and clusters).
    pub fn active_poll_loops(&self) -> usize {
        self.commands.active_loops() + self.clusters.active_loops()
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
        let options = deadline::call_options(request.metadata());
        self.install_libraries(request.into_inner(), options)
            .await
            .map(Response::new)
    }

    async fn uninstall(
        &self,
        request: Request<pb::UninstallRequest>,
    ) -> Result<Response<pb::UninstallResponse>, Status> {
        let options = deadline::call_options(request.metadata());
        self.uninstall_libraries(request.into_inner(), options)
            .await
            .map(Response::new)
    }

    async fn cluster_status(
        &self,
        request: Request<pb::ClusterStatusRequest>,
    ) -> Result<Response<pb::ClusterStatusResponse>, Status> {
        let options = deadline::call_options(request.metadata());
        self.library_statuses(request.into_inner(), options)
            .await
            .map(Response::new)
    }

    async fn all_statuses(
        &self,
        request: Request<pb::AllStatusesRequest>,
    ) -> Result<Response<pb::AllStatusesResponse>, Status> {
        let options = deadline::call_options(request.metadata());
        self.all_library_statuses(request.into_inner(), options)
            .await
            .map(Response::new)
    }

    type WatchClusterStatusStream = ResponseStream<pb::WatchClusterStatusResponse>;

    async fn watch_cluster_status(
        &self,
        request: Request<pb::WatchClusterStatusRequest>,
    ) -> Result<Response<Self::WatchClusterStatusStream>, Status> {
        self.watch_cluster(request.into_inner()).map(Response::new)
    }

    async fn create_context(
        &self,
        request: Request<pb::CreateContextRequest>,
    ) -> Result<Response<pb::CreateContextResponse>, Status> {
        let options = deadline::call_options(request.metadata());
        self.create_caller_context(request.into_inner(), options)
            .await
            .map(Response::new)
    }

    async fn context_status(
        &self,
        request: Request<pb::ContextStatusRequest>,
    ) -> Result<Response<pb::ContextStatusResponse>, Status> {
        let options = deadline::call_options(request.metadata());
        self.read_context_status(request.into_inner(), options)
            .await
            .map(Response::new)
    }

    async fn destroy_context(
        &self,
        request: Request<pb::DestroyContextRequest>,
    ) -> Result<Response<pb::DestroyContextResponse>, Status> {
        let options = deadline::call_options(request.metadata());
        self.destroy_caller_context(request.into_inner(), options)
            .await
            .map(Response::new)
    }

    async fn execute_command(
        &self,
        request: Request<pb::ExecuteCommandRequest>,
    ) -> Result<Response<pb::ExecuteCommandResponse>, Status> {
        let options = deadline::call_options(request.metadata());
        self.execute(request.into_inner(), options)
            .await
            .map(Response::new)
    }

    async fn command_status(
        &self,
        request: Request<pb::CommandStatusRequest>,
    ) -> Result<Response<pb::CommandStatusResponse>, Status> {
        let options = deadline::call_options(request.metadata());
        self.read_command_status(request.into_inner(), options)
            .await
            .map(Response::new)
    }

    async fn cancel_command(
        &self,
        request: Request<pb::CancelCommandRequest>,
    ) -> Result<Response<pb::CancelCommandResponse>, Status> {
        let options = deadline::call_options(request.metadata());
        self.cancel(request.into_inner(), options)
            .await
            .map(Response::new)
    }

    type StreamCommandStatusStream = ResponseStream<pb::StreamCommandStatusResponse>;

    async fn stream_command_status(
        &self,
        request: Request<pb::StreamCommandStatusRequest>,
    ) -> Result<Response<Self::StreamCommandStatusStream>, Status> {
        self.stream_command(request.into_inner()).map(Response::new)
    }
}
