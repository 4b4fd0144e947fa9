//! The one `ComputeService`: each method converts the request in, calls the
//! Databricks client, and converts the answer out. Methods are split by
//! concern; `status.rs` holds the only error → `Status` mapping.

mod libraries;
pub mod pagination;
pub mod snapshots;
pub mod status;

use std::{pin::Pin, sync::Arc};

use tokio_stream::Stream;
use tonic::{Request, Response, Status};

use crate::{databricks::Client, proto::compute as pb};

/// A boxed stream of messages for server-streaming RPCs.
pub type ResponseStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send>>;

/// Implements `databricks.compute.v1.ComputeService` over a Databricks client.
#[derive(Debug, Clone)]
pub struct ComputeService {
    client: Client,
    snapshots: Arc<snapshots::Snapshots>,
}

// === impl ComputeService ===

impl ComputeService {
    /// A service that calls Databricks through `client`.
    pub fn new(client: Client) -> Self {
        Self {
            client,
            snapshots: Arc::default(),
        }
    }

    /// The tonic server wrapping this service.
    pub fn into_server(self) -> pb::compute_service_server::ComputeServiceServer<Self> {
        pb::compute_service_server::ComputeServiceServer::new(self)
    }
}

/// The answer of RPCs that a later release implements.
fn not_yet(rpc: &str) -> Status {
    Status::unimplemented(format!(
        "{rpc} is part of the databricks.compute.v1 contract but this server does not implement it yet"
    ))
}

#[tonic::async_trait]
impl pb::compute_service_server::ComputeService for ComputeService {
    async fn install(
        &self,
        request: Request<pb::InstallRequest>,
    ) -> Result<Response<pb::InstallResponse>, Status> {
        self.install_libraries(request.into_inner())
            .await
            .map(Response::new)
    }

    async fn uninstall(
        &self,
        request: Request<pb::UninstallRequest>,
    ) -> Result<Response<pb::UninstallResponse>, Status> {
        self.uninstall_libraries(request.into_inner())
            .await
            .map(Response::new)
    }

    async fn cluster_status(
        &self,
        request: Request<pb::ClusterStatusRequest>,
    ) -> Result<Response<pb::ClusterStatusResponse>, Status> {
        self.library_statuses(request.into_inner())
            .await
            .map(Response::new)
    }

    async fn all_statuses(
        &self,
        request: Request<pb::AllStatusesRequest>,
    ) -> Result<Response<pb::AllStatusesResponse>, Status> {
        self.all_library_statuses(request.into_inner())
            .await
            .map(Response::new)
    }

    type WatchClusterStatusStream = ResponseStream<pb::WatchClusterStatusResponse>;

    async fn watch_cluster_status(
        &self,
        _request: Request<pb::WatchClusterStatusRequest>,
    ) -> Result<Response<Self::WatchClusterStatusStream>, Status> {
        Err(not_yet("WatchClusterStatus"))
    }

    async fn create_context(
        &self,
        _request: Request<pb::CreateContextRequest>,
    ) -> Result<Response<pb::CreateContextResponse>, Status> {
        Err(not_yet("CreateContext"))
    }

    async fn context_status(
        &self,
        _request: Request<pb::ContextStatusRequest>,
    ) -> Result<Response<pb::ContextStatusResponse>, Status> {
        Err(not_yet("ContextStatus"))
    }

    async fn destroy_context(
        &self,
        _request: Request<pb::DestroyContextRequest>,
    ) -> Result<Response<pb::DestroyContextResponse>, Status> {
        Err(not_yet("DestroyContext"))
    }

    async fn execute_command(
        &self,
        _request: Request<pb::ExecuteCommandRequest>,
    ) -> Result<Response<pb::ExecuteCommandResponse>, Status> {
        Err(not_yet("ExecuteCommand"))
    }

    async fn command_status(
        &self,
        _request: Request<pb::CommandStatusRequest>,
    ) -> Result<Response<pb::CommandStatusResponse>, Status> {
        Err(not_yet("CommandStatus"))
    }

    async fn cancel_command(
        &self,
        _request: Request<pb::CancelCommandRequest>,
    ) -> Result<Response<pb::CancelCommandResponse>, Status> {
        Err(not_yet("CancelCommand"))
    }

    type StreamCommandStatusStream = ResponseStream<pb::StreamCommandStatusResponse>;

    async fn stream_command_status(
        &self,
        _request: Request<pb::StreamCommandStatusRequest>,
    ) -> Result<Response<Self::StreamCommandStatusStream>, Status> {
        Err(not_yet("StreamCommandStatus"))
    }
}
