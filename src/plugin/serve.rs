//! Plugin mode end to end: listener, AutoMTLS, services, handshake line,
//! serving until Shutdown (or the caller's shutdown), clean-up.

use std::{future::Future, io, io::Write, time::Duration};

use tokio::sync::watch;
use tracing::info;

use super::{
    MAX_MESSAGE_SIZE, Network, PluginEnv,
    endpoint::{Endpoint, until_stopped},
    negotiate_version,
    services::host_services,
    tls::TlsError,
};
use crate::{
    server::{Routes, ServeError, ServerOptions, connections::Admission},
    service::ComputeService,
};

/// How long calls still running at shutdown may take to finish: a
/// go-plugin host (Terraform too) SIGKILLs a plugin that has not exited 2 s
/// after Shutdown. Plugin mode and the Terraform provider both use it.
pub const DRAIN_LIMIT: Duration = Duration::from_secs(1);

/// How long destroying managed contexts may take after the drain, within
/// the same 2 s.
const CONTEXT_CLEANUP_BUDGET: Duration = Duration::from_millis(500);

/// Plugin mode could not start, or the server failed.
#[derive(Debug, thiserror::Error)]
pub enum PluginError {
    /// No socket could be bound (or given its group).
    #[error("could not listen for the host")]
    Listen(#[source] io::Error),
    /// AutoMTLS could not be set up.
    #[error("could not set up AutoMTLS")]
    Tls(#[from] TlsError),
    /// The handshake line could not be written.
    #[error("could not write the handshake line")]
    Handshake(#[source] io::Error),
    /// The gRPC server failed.
    #[error(transparent)]
    Serve(#[from] ServeError),
}

/// Runs `service` as a go-plugin plugin on `network` as `env` asks, writing
/// the handshake line to `handshake_out` once everything listens. Stops when
/// the host calls `GRPCController/Shutdown` or `shutdown` completes; then
/// drains calls (bounded), destroys managed contexts and removes the socket.
///
/// # Errors
///
/// [`PluginError`] when start-up fails or the server fails.
pub async fn serve(
    env: &PluginEnv,
    network: Network,
    service: ComputeService,
    shutdown: impl Future<Output = ()> + Send,
    handshake_out: &mut (dyn Write + Send),
) -> Result<(), PluginError> {
    let app_version = negotiate_version(&env.protocol_versions);
    let options = ServerOptions::default();
    let admission = Admission::new(&options);
    let (endpoint, incoming) = Endpoint::open(env, network, app_version, admission)?;
    let (stop, _) = watch::channel(false);
    let routes = mount(service, options, &stop).await?;
    endpoint.announce(handshake_out)?;
    let served = routes
        .serve_with_incoming(incoming, until_stopped(stop, shutdown))
        .await;
    endpoint.close();
    info!("plugin stopped");
    Ok(served?)
}

/// ComputeService (256 MiB messages), health with `plugin` and `""`
/// SERVING, and the go-plugin host services.
async fn mount(
    service: ComputeService,
    options: ServerOptions,
    stop: &watch::Sender<bool>,
) -> Result<Routes, ServeError> {
    let (controller, stdio, broker) = host_services(stop);
    let options = options
        .with_drain_limit(DRAIN_LIMIT)
        .with_context_cleanup_budget(CONTEXT_CLEANUP_BUDGET);
    let mut routes = Routes::new(service, Some(MAX_MESSAGE_SIZE), None, options)
        .await?
        .map_router(|router| {
            router
                .add_service(controller)
                .add_service(stdio)
                .add_service(broker)
        });
    routes.set_serving("plugin").await;
    Ok(routes)
}
