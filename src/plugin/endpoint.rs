//! What every go-plugin server in this crate shares, whatever service it
//! mounts: AutoMTLS when the host sent its certificate, the listener, the
//! accept loop (TLS handshakes off the accept path), the handshake line,
//! and the stop switch that `GRPCController/Shutdown` flips.

use std::{future::Future, io, io::Write, time::Duration};

use tokio::{
    sync::{mpsc, watch},
    task::JoinHandle,
};
use tokio_rustls::TlsAcceptor;
use tokio_stream::{Stream, StreamExt as _, wrappers::ReceiverStream};
use tracing::{Instrument as _, debug, info, warn};

use super::{
    Handshake, Network, PluginEnv, PluginError,
    listener::{Conn, Listener, SocketFile},
    tls::AutoTls,
};
use crate::server::connections::Admission;

/// One launch's listening side, until [`Endpoint::close`].
pub struct Endpoint {
    handshake: Handshake,
    auto_mtls: bool,
    accepting: JoinHandle<()>,
    socket_file: Option<SocketFile>,
}

// === impl Endpoint ===

impl Endpoint {
    /// Sets up AutoMTLS (when `env` carries the host's certificate), binds
    /// `network` and starts accepting within the slots of `admission`.
    /// Returns the endpoint and its stream of ready connections; nothing
    /// is written anywhere yet.
    ///
    /// # Errors
    ///
    /// [`PluginError`] when TLS cannot be set up or nothing can be bound.
    pub fn open(
        env: &PluginEnv,
        network: Network,
        app_version: u32,
        admission: Admission,
    ) -> Result<(Self, impl Stream<Item = Result<Conn, io::Error>> + use<>), PluginError> {
        let tls = env.client_cert.as_deref().map(AutoTls::new).transpose()?;
        let (listener, socket_file) = Listener::bind(network, env).map_err(PluginError::Listen)?;
        let address = listener.address().map_err(PluginError::Listen)?;
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
        let endpoint = Self {
            handshake,
            auto_mtls: env.auto_mtls(),
            accepting,
            socket_file,
        };
        let incoming = ReceiverStream::new(incoming).map(Ok::<Conn, io::Error>);
        Ok((endpoint, incoming))
    }

    /// Writes the handshake line to `out` (the host reads it on our
    /// stdout): call it once everything is mounted, and write nothing else.
    ///
    /// # Errors
    ///
    /// [`PluginError::Handshake`] when the line cannot be written.
    pub fn announce(&self, out: &mut (dyn Write + Send)) -> Result<(), PluginError> {
        writeln!(out, "{}", self.handshake)
            .and_then(|()| out.flush())
            .map_err(PluginError::Handshake)?;
        info!(
            version = self.handshake.app_version,
            network = self.handshake.network.as_str(),
            address = %self.handshake.address,
            auto_mtls = self.auto_mtls,
            "plugin serving; handshake sent"
        );
        Ok(())
    }

    /// Stops accepting and removes the socket file.
    pub fn close(self) {
        self.accepting.abort();
        drop(self.socket_file);
    }
}

/// Completes when the host called Shutdown (`stop` turned true) or
/// `shutdown` completed; flips the stop switch either way so held-open
/// streams end.
pub async fn until_stopped(stop: watch::Sender<bool>, shutdown: impl Future<Output = ()>) {
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
