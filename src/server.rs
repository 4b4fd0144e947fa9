//! Mounts `ComputeService`, `grpc.health.v1.Health` and reflection (v1 and
//! v1alpha, so grpcurl and buf curl both work) on a listener the caller bound.
//! Reflection lists only ComputeService and health; it still answers itself.

use std::future::Future;

use tokio::net::TcpListener;
use tokio_stream::wrappers::TcpListenerStream;
use tonic::transport::Server;
use tracing::info;

use crate::{proto, service::ComputeService};

/// Errors that stop the gRPC server.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// Reflection could not load our descriptor set (a build defect).
    #[error("could not build the reflection service")]
    Reflection(#[from] tonic_reflection::server::Error),
    /// The transport failed.
    #[error("the gRPC server failed")]
    Transport(#[from] tonic::transport::Error),
}

/// Serves `service` on `listener` until `shutdown` completes, then drains
/// in-flight calls and destroys the execution contexts the server created.
/// Health reports SERVING once the server is mounted.
pub async fn serve(
    listener: TcpListener,
    service: ComputeService,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), ServeError> {
    let (health_reporter, health_service) = tonic_health::server::health_reporter();
    let reflection_v1 = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(proto::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .include_reflection_service(false)
        .build_v1()?;
    let reflection_v1alpha = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(proto::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .include_reflection_service(false)
        .build_v1alpha()?;
    let contexts = service.managed_contexts().clone();
    let router = Server::builder()
        .add_service(health_service)
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha)
        .add_service(service.into_server());
    health_reporter
        .set_serving::<proto::compute::compute_service_server::ComputeServiceServer<ComputeService>>()
        .await;
    let reaper = contexts.spawn_reaper();
    info!(address = ?listener.local_addr().ok(), "gRPC server ready");
    let served = router
        .serve_with_incoming_shutdown(TcpListenerStream::new(listener), shutdown)
        .await;
    reaper.abort();
    contexts.destroy_all().await;
    info!("gRPC server stopped");
    Ok(served?)
}
