//! The provider's channel to the gRPC service in its own process: each
//! connection is an in-memory pipe handed to a tonic server that serves
//! only [`ComputeService`]. The provider is then a gRPC client like any
//! other, and the workspace credentials are never reachable from outside
//! the process (no socket, not even on loopback).

use std::io;

use hyper_util::rt::TokioIo;
use tokio::{io::DuplexStream, sync::mpsc};
use tokio_stream::wrappers::UnboundedReceiverStream;
use tonic::transport::{Channel, Endpoint, Server, Uri};
use tracing::warn;

use crate::{
    plugin::MAX_MESSAGE_SIZE, proto::compute::compute_service_client::ComputeServiceClient,
    service::ComputeService,
};

/// A client of the in-process service.
pub type Compute = ComputeServiceClient<Channel>;

/// Bytes an in-memory pipe buffers each way before its writer waits.
const PIPE_BUFFER: usize = 256 * 1024;

/// Serves `service` on in-memory pipes and returns a client connected to
/// it. The server runs until the process ends.
///
/// # Errors
///
/// The channel could not be set up (the URI is fixed, so in practice never).
pub async fn connect(service: ComputeService) -> Result<Compute, tonic::transport::Error> {
    let (pipes, incoming) = mpsc::unbounded_channel::<io::Result<DuplexStream>>();
    let server = service
        .into_server()
        .max_decoding_message_size(MAX_MESSAGE_SIZE)
        .max_encoding_message_size(MAX_MESSAGE_SIZE);
    tokio::spawn(async move {
        let served = Server::builder()
            .add_service(server)
            .serve_with_incoming(UnboundedReceiverStream::new(incoming))
            .await;
        if let Err(error) = served {
            warn!(%error, "the in-process gRPC service stopped");
        }
    });
    // The address is never dialled: the connector below makes a pipe.
    let channel = Endpoint::from_static("http://in-process.invalid")
        .connect_with_connector(tower::service_fn(move |_: Uri| {
            let pipes = pipes.clone();
            async move {
                let (client_end, server_end) = tokio::io::duplex(PIPE_BUFFER);
                pipes.send(Ok(server_end)).map_err(|_| {
                    io::Error::new(io::ErrorKind::BrokenPipe, "the in-process server stopped")
                })?;
                Ok::<_, io::Error>(TokioIo::new(client_end))
            }
        }))
        .await?;
    Ok(ComputeServiceClient::new(channel)
        .max_decoding_message_size(MAX_MESSAGE_SIZE)
        .max_encoding_message_size(MAX_MESSAGE_SIZE))
}
