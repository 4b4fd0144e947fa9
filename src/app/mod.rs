//! The one assembly: [`App::build`] turns an [`AppConfig`] into a running
//! core (an embedded emulator when asked for, the resolved Databricks
//! configuration, the client and the [`ComputeService`]); [`App::serve`] and
//! [`App::serve_plugin`] put it behind a front end and stop it in order: the
//! server (which destroys its managed contexts) first, then the emulator and
//! its processes. `serve`, `plugin` and every integration test go through
//! here; a front end without a gRPC listener builds and takes
//! [`App::service`].
//!
//! Layout: `config` (the plain-data [`AppConfig`]), `rules` (what it must
//! pass before anything starts), `backend` (which Databricks, with which
//! credentials), `emulator` (start with banner, stop).

use std::future::Future;
#[cfg(unix)]
use std::io::Write;

use tokio::net::TcpListener;
use tracing::info;

#[cfg(unix)]
use crate::plugin::{self, PluginEnv};
use crate::{
    databricks::Client,
    emulator::EmulatorHandle,
    server::{self, ServerOptions},
    service::ComputeService,
    telemetry::exporter::MetricsEndpoint,
};

mod backend;
mod config;
mod emulator;
mod rules;

pub use config::{AppConfig, Backend, Banner, EmbeddedEmulator, FrontDoor};
pub use emulator::{print_stdout, start_emulator, stop_emulator};

/// The assembled application: the service, the emulator it runs against
/// (if it started one), and the front door it was checked for.
#[derive(Debug)]
pub struct App {
    service: ComputeService,
    emulator: Option<EmulatorHandle>,
    front_door: FrontDoor,
    /// The metrics listener, if asked for; it stops when the app is done.
    metrics: Option<MetricsEndpoint>,
}

// === impl App ===

impl App {
    /// Checks `config`, starts the embedded emulator if asked (with its
    /// banner), resolves and logs the Databricks configuration, and builds
    /// the client and the service. Nothing listens for callers yet.
    ///
    /// # Errors
    ///
    /// A rule `config` breaks, an emulator that cannot start, a Databricks
    /// configuration that does not resolve, or a client that cannot be built.
    pub async fn build(config: AppConfig) -> anyhow::Result<Self> {
        rules::check(&config)?;
        let AppConfig {
            backend,
            front_door,
            pass_through,
            request_timeout,
            retry_timeout,
            rate_limit,
            rate_burst,
            service: options,
            max_callers,
            metrics_listen,
        } = config;
        // First, so that what the build makes (the shared tenant) is counted.
        let metrics = match metrics_listen {
            Some(address) => Some(MetricsEndpoint::start(address).await?),
            None => None,
        };
        let timeouts = backend::Given {
            request_timeout,
            retry_timeout,
            rate_limit,
            rate_burst,
        };
        let (databricks, emulator) = backend::connect(backend, pass_through, timeouts).await?;
        // The binary's start-up lines keep the target they always had.
        info!(
            target: "databricks_grpc",
            host = %databricks.host,
            auth = databricks.credentials.auth_type(),
            source = %databricks.source,
            request_timeout = ?databricks.request_timeout,
            retry_timeout = ?databricks.retry_timeout,
            rate_limit = databricks.rate_limit.per_second,
            rate_burst = databricks.rate_limit.burst_size(),
            "Databricks configuration resolved"
        );
        let client = match Client::new(&databricks) {
            Ok(client) => client,
            Err(error) => {
                // Nothing will serve it: do not leave it running.
                stop_emulator(emulator).await?;
                return Err(error.into());
            }
        };
        Ok(Self {
            service: ComputeService::with_caller_limit(client, options, max_callers),
            emulator,
            front_door,
            metrics,
        })
    }

    /// The address the metrics listener bound, when there is one.
    pub fn metrics_address(&self) -> Option<std::net::SocketAddr> {
        self.metrics.as_ref().map(MetricsEndpoint::address)
    }

    /// The service: a front end without a gRPC listener calls it directly,
    /// tests inspect its poll loops and contexts. Clones share its state.
    pub fn service(&self) -> &ComputeService {
        &self.service
    }

    /// The emulator this app started, if any.
    pub fn emulator(&self) -> Option<&EmulatorHandle> {
        self.emulator.as_ref()
    }

    /// Takes the emulator out: serving then leaves it running, and the
    /// caller stops it (with [`stop_emulator`]) once done inspecting it.
    pub fn take_emulator(&mut self) -> Option<EmulatorHandle> {
        self.emulator.take()
    }

    /// Serves gRPC on `listener` (with the front door's TLS, within
    /// `options`) until `shutdown` completes and the server has stopped,
    /// then stops the emulator.
    ///
    /// # Errors
    ///
    /// What stopped the server, or the emulator's failure to stop.
    pub async fn serve(
        self,
        listener: TcpListener,
        options: ServerOptions,
        shutdown: impl Future<Output = ()> + Send,
    ) -> anyhow::Result<()> {
        let tls = match self.front_door {
            FrontDoor::Tcp { tls, .. } => tls,
            #[cfg(unix)]
            FrontDoor::Plugin(_) => None,
            FrontDoor::InProcess => {
                anyhow::bail!("this app was built for an in-process front end, not a listener")
            }
        };
        let served = server::serve(listener, self.service, tls, options, shutdown).await;
        stop_emulator(self.emulator).await?;
        Ok(served?)
    }

    /// Plugin mode: serves on the front door's network, writing the
    /// handshake to `handshake_out`, until `shutdown` completes and the
    /// server has stopped; then stops the emulator.
    ///
    /// # Errors
    ///
    /// An app built for a TCP front door, what stopped the plugin, or the
    /// emulator's failure to stop.
    #[cfg(unix)]
    pub async fn serve_plugin(
        self,
        env: &PluginEnv,
        shutdown: impl Future<Output = ()> + Send,
        handshake_out: &mut (dyn Write + Send),
    ) -> anyhow::Result<()> {
        let FrontDoor::Plugin(network) = self.front_door else {
            anyhow::bail!("this app was checked for a TCP front door, not plugin mode");
        };
        let served = plugin::serve(env, network, self.service, shutdown, handshake_out).await;
        stop_emulator(self.emulator).await?;
        Ok(served?)
    }
}
