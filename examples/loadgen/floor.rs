//! The floor P1 is measured against: the least an adapter can do for
//! ClusterStatus. tonic in front, reqwest behind, the body parsed into an
//! untyped `serde_json::Value` and copied into the proto message: no
//! models, no retries, no deadlines, no tenants. Every other method is
//! UNIMPLEMENTED.

use std::net::SocketAddr;

use databricks_grpc::{
    emulator,
    proto::compute::{self as pb, compute_service_server::ComputeServiceServer, library::Kind},
};
use serde_json::Value;
use tokio::net::TcpListener;
use tonic::{Request, Response, Status, transport::server::TcpIncoming};

use crate::ResponseStream;

/// The floor adapter's state: one pooled HTTP client and the upstream URL.
struct Floor {
    http: reqwest::Client,
    url: String,
}

/// Serves the floor against `upstream` on an ephemeral loopback port
/// (TCP_NODELAY on accepted connections, as tonic's own `serve` sets).
pub(crate) async fn spawn(upstream: &str) -> anyhow::Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let floor = Floor {
        http: reqwest::Client::new(),
        url: format!("{upstream}/api/2.0/libraries/cluster-status"),
    };
    let incoming = TcpIncoming::from(listener).with_nodelay(Some(true));
    let router = tonic::transport::Server::builder().add_service(ComputeServiceServer::new(floor));
    tokio::spawn(router.serve_with_incoming(incoming));
    Ok(addr)
}

#[tonic::async_trait]
impl pb::compute_service_server::ComputeService for Floor {
    async fn cluster_status(
        &self,
        request: Request<pb::ClusterStatusRequest>,
    ) -> Result<Response<pb::ClusterStatusResponse>, Status> {
        let cluster_id = request.into_inner().cluster_id;
        let answer = self
            .http
            .get(&self.url)
            .query(&[("cluster_id", &cluster_id)])
            .bearer_auth(emulator::DEFAULT_TOKEN)
            .send()
            .await
            .map_err(|error| Status::unavailable(error.to_string()))?;
        let body = answer
            .bytes()
            .await
            .map_err(|error| Status::unavailable(error.to_string()))?;
        let value: Value =
            serde_json::from_slice(&body).map_err(|error| Status::internal(error.to_string()))?;
        Ok(Response::new(cluster_status(&value)))
    }

    async fn install(
        &self,
        _: Request<pb::InstallRequest>,
    ) -> Result<Response<pb::InstallResponse>, Status> {
        Err(unimplemented())
    }

    async fn uninstall(
        &self,
        _: Request<pb::UninstallRequest>,
    ) -> Result<Response<pb::UninstallResponse>, Status> {
        Err(unimplemented())
    }

    async fn all_statuses(
        &self,
        _: Request<pb::AllStatusesRequest>,
    ) -> Result<Response<pb::AllStatusesResponse>, Status> {
        Err(unimplemented())
    }

    async fn create_context(
        &self,
        _: Request<pb::CreateContextRequest>,
    ) -> Result<Response<pb::CreateContextResponse>, Status> {
        Err(unimplemented())
    }

    async fn context_status(
        &self,
        _: Request<pb::ContextStatusRequest>,
    ) -> Result<Response<pb::ContextStatusResponse>, Status> {
        Err(unimplemented())
    }

    async fn destroy_context(
        &self,
        _: Request<pb::DestroyContextRequest>,
    ) -> Result<Response<pb::DestroyContextResponse>, Status> {
        Err(unimplemented())
    }

    async fn execute_command(
        &self,
        _: Request<pb::ExecuteCommandRequest>,
    ) -> Result<Response<pb::ExecuteCommandResponse>, Status> {
        Err(unimplemented())
    }

    async fn command_status(
        &self,
        _: Request<pb::CommandStatusRequest>,
    ) -> Result<Response<pb::CommandStatusResponse>, Status> {
        Err(unimplemented())
    }

    async fn cancel_command(
        &self,
        _: Request<pb::CancelCommandRequest>,
    ) -> Result<Response<pb::CancelCommandResponse>, Status> {
        Err(unimplemented())
    }

    type WatchClusterStatusStream = ResponseStream<pb::WatchClusterStatusResponse>;

    async fn watch_cluster_status(
        &self,
        _: Request<pb::WatchClusterStatusRequest>,
    ) -> Result<Response<Self::WatchClusterStatusStream>, Status> {
        Err(unimplemented())
    }

    type StreamCommandStatusStream = ResponseStream<pb::StreamCommandStatusResponse>;

    async fn stream_command_status(
        &self,
        _: Request<pb::StreamCommandStatusRequest>,
    ) -> Result<Response<Self::StreamCommandStatusStream>, Status> {
        Err(unimplemented())
    }

    // ─── Library files ───

    async fn upload_library(
        &self,
        _: Request<tonic::Streaming<pb::UploadLibraryRequest>>,
    ) -> Result<Response<pb::UploadLibraryResponse>, Status> {
        Err(unimplemented())
    }

    async fn list_library_files(
        &self,
        _: Request<pb::ListLibraryFilesRequest>,
    ) -> Result<Response<pb::ListLibraryFilesResponse>, Status> {
        Err(unimplemented())
    }

    async fn delete_library_file(
        &self,
        _: Request<pb::DeleteLibraryFileRequest>,
    ) -> Result<Response<pb::DeleteLibraryFileResponse>, Status> {
        Err(unimplemented())
    }

    // ─── Clusters ───

    async fn list_clusters(
        &self,
        _: Request<pb::ListClustersRequest>,
    ) -> Result<Response<pb::ListClustersResponse>, Status> {
        Err(unimplemented())
    }

    async fn get_cluster(
        &self,
        _: Request<pb::GetClusterRequest>,
    ) -> Result<Response<pb::GetClusterResponse>, Status> {
        Err(unimplemented())
    }

    async fn create_cluster(
        &self,
        _: Request<pb::CreateClusterRequest>,
    ) -> Result<Response<pb::CreateClusterResponse>, Status> {
        Err(unimplemented())
    }

    async fn edit_cluster(
        &self,
        _: Request<pb::EditClusterRequest>,
    ) -> Result<Response<pb::EditClusterResponse>, Status> {
        Err(unimplemented())
    }

    async fn resize_cluster(
        &self,
        _: Request<pb::ResizeClusterRequest>,
    ) -> Result<Response<pb::ResizeClusterResponse>, Status> {
        Err(unimplemented())
    }

    async fn start_cluster(
        &self,
        _: Request<pb::StartClusterRequest>,
    ) -> Result<Response<pb::StartClusterResponse>, Status> {
        Err(unimplemented())
    }

    async fn restart_cluster(
        &self,
        _: Request<pb::RestartClusterRequest>,
    ) -> Result<Response<pb::RestartClusterResponse>, Status> {
        Err(unimplemented())
    }

    async fn terminate_cluster(
        &self,
        _: Request<pb::TerminateClusterRequest>,
    ) -> Result<Response<pb::TerminateClusterResponse>, Status> {
        Err(unimplemented())
    }

    async fn permanent_delete_cluster(
        &self,
        _: Request<pb::PermanentDeleteClusterRequest>,
    ) -> Result<Response<pb::PermanentDeleteClusterResponse>, Status> {
        Err(unimplemented())
    }

    async fn pin_cluster(
        &self,
        _: Request<pb::PinClusterRequest>,
    ) -> Result<Response<pb::PinClusterResponse>, Status> {
        Err(unimplemented())
    }

    async fn unpin_cluster(
        &self,
        _: Request<pb::UnpinClusterRequest>,
    ) -> Result<Response<pb::UnpinClusterResponse>, Status> {
        Err(unimplemented())
    }

    async fn cluster_events(
        &self,
        _: Request<pb::ClusterEventsRequest>,
    ) -> Result<Response<pb::ClusterEventsResponse>, Status> {
        Err(unimplemented())
    }

    type WatchClusterStream = ResponseStream<pb::WatchClusterResponse>;

    async fn watch_cluster(
        &self,
        _: Request<pb::WatchClusterRequest>,
    ) -> Result<Response<Self::WatchClusterStream>, Status> {
        Err(unimplemented())
    }

    type ApplyLibrariesStream = ResponseStream<pb::ApplyLibrariesResponse>;

    async fn apply_libraries(
        &self,
        _: Request<pb::ApplyLibrariesRequest>,
    ) -> Result<Response<Self::ApplyLibrariesStream>, Status> {
        Err(unimplemented())
    }

    type ReplaceLibraryStream = ResponseStream<pb::ReplaceLibraryResponse>;

    async fn replace_library(
        &self,
        _: Request<pb::ReplaceLibraryRequest>,
    ) -> Result<Response<Self::ReplaceLibraryStream>, Status> {
        Err(unimplemented())
    }
}

/// What the floor answers to every other method.
fn unimplemented() -> Status {
    Status::unimplemented("not in the floor")
}

/// The proto message for a `cluster-status` body, read field by field.
fn cluster_status(value: &Value) -> pb::ClusterStatusResponse {
    let statuses = value["library_statuses"]
        .as_array()
        .map_or(&[][..], Vec::as_slice);
    pb::ClusterStatusResponse {
        cluster_id: text(&value["cluster_id"]),
        library_statuses: statuses.iter().map(library_status).collect(),
    }
}

fn library_status(value: &Value) -> pb::LibraryFullStatus {
    let raw_status = text(&value["status"]);
    let status =
        pb::LibraryInstallStatus::from_str_name(&format!("LIBRARY_INSTALL_STATUS_{raw_status}"))
            .unwrap_or_default();
    pb::LibraryFullStatus {
        library: library(&value["library"]).map(|kind| pb::Library { kind: Some(kind) }),
        status: status.into(),
        messages: value["messages"]
            .as_array()
            .map(|messages| messages.iter().map(text).collect())
            .unwrap_or_default(),
        is_library_for_all_clusters: value["is_library_for_all_clusters"]
            .as_bool()
            .unwrap_or_default(),
        raw_status,
        unrecognized_library_json: String::new(),
    }
}

fn library(value: &Value) -> Option<Kind> {
    let (kind, spec) = value.as_object()?.iter().next()?;
    Some(match kind.as_str() {
        "jar" => Kind::Jar(text(spec)),
        "egg" => Kind::Egg(text(spec)),
        "whl" => Kind::Whl(text(spec)),
        "requirements" => Kind::Requirements(text(spec)),
        "pypi" => Kind::Pypi(pb::PythonPyPiLibrary {
            package: text(&spec["package"]),
            repo: text(&spec["repo"]),
        }),
        "maven" => Kind::Maven(pb::MavenLibrary {
            coordinates: text(&spec["coordinates"]),
            repo: text(&spec["repo"]),
            exclusions: spec["exclusions"]
                .as_array()
                .map(|exclusions| exclusions.iter().map(text).collect())
                .unwrap_or_default(),
        }),
        "cran" => Kind::Cran(pb::RCranLibrary {
            package: text(&spec["package"]),
            repo: text(&spec["repo"]),
        }),
        _ => return None,
    })
}

fn text(value: &Value) -> String {
    value.as_str().unwrap_or_default().to_owned()
}
