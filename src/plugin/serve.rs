//! Plugin mode end to end: listener, AutoMTLS, services, handshake line,
//! serving until Shutdown (or the caller's shutdown), clean-up.

use std::{future::Future, io, io::Write, time::Duration};

use tokio::sync::{mpsc, watch};
use tokio_rustls::TlsAcceptor;
use tokio_stream::{StreamExt as _, wrappers::ReceiverStream};
use tracing::{Instrument as _, debug, info, warn};

use super::{
    Handshake, MAX_MESSAGE_SIZE, Network, PluginEnv,
    listener::{Conn, Listener},
    negotiate_version,
    services::host_services,
    tls::{AutoTls, TlsError},
};
use crate::{
    server::{Routes, ServeError, ServerOptions, connections::Admission},
    service::ComputeService,
};

/// How long calls still running at shutdown may take to finish: the host
/// SIGKILLs a plugin that has not exited 2 s after Shutdown.
const DRAIN_LIMIT: Duration = Duration::from_secs(1);

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
    let tls = env.client_cert.as_deref().map(AutoTls::new).transpose()?;
    let (listener, socket_file) = Listener::bind(network, env).map_err(PluginError::Listen)?;
    let address = listener.address().map_err(PluginError::Listen)?;
    let (stop, _) = watch::channel(false);
    let options = ServerOptions::default();
    let admission = Admission::new(&options);
    let routes = mount(service, options, &stop).await?;
    let handshake = Handshake {
        app_version,
        network,
        address,
        server_cert: tls.as_ref().map(|tls| tls.server_cert.to_vec()),
        multiplex: env.multiplex_requested.then_some(false),
    };
    let (conns, incoming) = mpsc::channel(16);
    let acceptor = tls.map(|tls| tls.acceptor);
    let accepting =
        tokio::spawn(accept_loop(listener, admission, acceptor, conns).in_current_span());
    writeln!(handshake_out, "{handshake}")
        .and_then(|()| handshake_out.flush())
        .map_err(PluginError::Handshake)?;
    info!(
        version = app_version,
        network = network.as_str(),
        address = %handshake.address,
        auto_mtls = env.auto_mtls(),
        "plugin serving; handshake sent"
    );
    let incoming = ReceiverStream::new(incoming).map(Ok::<Conn, io::Error>);
    let served = routes
        .serve_with_incoming(incoming, stopped(stop, shutdown))
        .await;
    accepting.abort();
    drop(socket_file);
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

/// Completes when the host called Shutdown or `shutdown` completed; flips
/// the stop switch either way so held-open streams end.
async fn stopped(stop: watch::Sender<bool>, shutdown: impl Future<Output = ()>) {
    let mut stopping = stop.subscribe();
    tokio::select! {
        () = shutdown => {}
        _ = stopping.wait_for(|stopping| *stopping) => {}
    }
    stop.send_replace(true);
}

/// Accepts connections (completing TLS handshakes off the accept path)
/// within the slots of `admission` and hands them to the server until the
/// server drops the receiver.
async fn accept_loop(
    listener: Listener,
    admission: Admission,
    tls: Option<TlsAcceptor>,
    conns: mpsc::Sender<Conn>,
) {
    loop {
        let stream = match listener.accept().await {
            Ok(stream) => stream,
            Err(error) => {
                warn!(%error, "could not accept a connection");
                // Back off a little so a persistent error (EMFILE) cannot spin.
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        // Over the cap: dropping the connection closes it.
        let Some(stream) = admission.admit(stream) else {
            continue;
        };
        let Some(acceptor) = tls.clone() else {
            if conns.send(Conn(Box::new(stream))).await.is_err() {
                return;
            }
            continue;
        };
        let conns = conns.clone();
        let handshake = async move {
            match acceptor.accept(stream).await {
                Ok(stream) => {
                    let _ = conns.send(Conn(Box::new(stream))).await;
                }
                // A peer that hangs up mid-handshake (the host shutting
                // down) is routine; a refused certificate is worth a warning.
                Err(error) if peer_went_away(&error) => {
                    debug!(%error, "a client left during the TLS handshake")
                }
                Err(error) => warn!(%error, "TLS handshake with a client failed"),
            }
        };
        tokio::spawn(handshake.in_current_span());
    }
}

/// True for I/O errors that only mean the other side closed the connection.
fn peer_went_away(error: &std::io::Error) -> bool {
    use std::io::ErrorKind::{BrokenPipe, ConnectionAborted, ConnectionReset, UnexpectedEof};
    matches!(
        error.kind(),
        BrokenPipe | ConnectionReset | ConnectionAborted | UnexpectedEof
    )
}
