//! The provider process end to end: the shared go-plugin endpoint (TLS,
//! listener, handshake line) with `tfplugin6.Provider` and the go-plugin
//! host services mounted, until Shutdown or the caller's shutdown.

use std::{future::Future, io::Write};

use tokio::sync::watch;
use tonic::transport::Server;
use tracing::{info, warn};

use super::{SUPPORTED_VERSIONS, proto::provider_server::ProviderServer, service::DbgrpcProvider};
use crate::{
    plugin::{
        DRAIN_LIMIT, MAX_MESSAGE_SIZE, Network, PluginEnv, PluginError,
        endpoint::{Endpoint, until_stopped},
        negotiate_version_among,
        services::host_services,
    },
    server::{ServeError, ServerOptions, connections::Admission},
};

/// Serves the provider as `env` asks (Terraform always uses a unix
/// socket), writing the handshake line to `handshake_out` once everything
/// listens. Returns when Terraform called `GRPCController/Shutdown` or
/// `shutdown` completed, after in-flight calls finished (bounded).
///
/// # Errors
///
/// [`PluginError`] when start-up fails or the server fails.
pub async fn serve(
    env: &PluginEnv,
    shutdown: impl Future<Output = ()> + Send,
    handshake_out: &mut (dyn Write + Send),
) -> Result<(), PluginError> {
    let app_version = negotiate_version_among(SUPPORTED_VERSIONS, &env.protocol_versions);
    let options = ServerOptions::default();
    let admission = Admission::new(&options);
    let (endpoint, incoming) = Endpoint::open(env, Network::Unix, app_version, admission)?;
    let (stop, _) = watch::channel(false);
    let (controller, stdio, broker) = host_services(&stop);
    let provider = ProviderServer::new(DbgrpcProvider::default())
        .max_decoding_message_size(MAX_MESSAGE_SIZE)
        .max_encoding_message_size(MAX_MESSAGE_SIZE);
    let router = Server::builder()
        .max_concurrent_streams(options.max_concurrent_streams)
        .add_service(provider)
        .add_service(controller)
        .add_service(stdio)
        .add_service(broker);
    endpoint.announce(handshake_out)?;
    let mut stopping = stop.subscribe();
    // The borrow `wait_for` returns must be gone before the stop switch is
    // flipped again (it holds the channel's read lock).
    let stop_asked = async move {
        let _ = stopping.wait_for(|stopping| *stopping).await;
    };
    let served = router.serve_with_incoming_shutdown(incoming, until_stopped(stop, shutdown));
    tokio::pin!(served);
    let served = tokio::select! {
        served = &mut served => served,
        () = stop_asked => {
            match tokio::time::timeout(DRAIN_LIMIT, &mut served).await {
                Ok(served) => served,
                Err(_) => {
                    warn!(drain_limit = ?DRAIN_LIMIT, "calls still running after the drain limit; stopping anyway");
                    Ok(())
                }
            }
        }
    };
    endpoint.close();
    info!("provider stopped");
    served.map_err(|error| PluginError::Serve(ServeError::Transport(error)))
}
