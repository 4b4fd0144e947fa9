//! A served emulator: [`spawn`] serves the routes on a listener the caller
//! bound and returns the [`EmulatorHandle`] that inspects, steers and stops it.

use std::{fmt::Write as _, net::SocketAddr, time::Duration};

use tokio::{net::TcpListener, sync::watch, task::JoinHandle};
use tracing::Instrument as _;

use super::{EmulatorConfig, EmulatorState, Fault, JournalEntry, app, state};

/// How long [`EmulatorHandle::join`] waits for context processes to die.
const STOP_CONTEXTS_TIMEOUT: Duration = Duration::from_secs(5);

/// A running emulator: its address, its state, and the means to stop it.
#[derive(Debug)]
pub struct EmulatorHandle {
    addr: SocketAddr,
    state: EmulatorState,
    shutdown: watch::Sender<bool>,
    task: JoinHandle<std::io::Result<()>>,
}

/// Serves a fresh emulator on `listener` in a background task.
///
/// # Errors
///
/// When the listener's local address cannot be read.
pub async fn spawn(
    listener: TcpListener,
    config: EmulatorConfig,
) -> std::io::Result<EmulatorHandle> {
    let addr = listener.local_addr()?;
    let state = EmulatorState::new(config);
    let (shutdown, mut signal) = watch::channel(false);
    let router = app(state.clone());
    let serve = async move {
        let stop = async move {
            // A dropped handle must not stop the server: only `shutdown()` does.
            if signal.wait_for(|stop| *stop).await.is_err() {
                std::future::pending::<()>().await;
            }
        };
        axum::serve(listener, router)
            .with_graceful_shutdown(stop)
            .await
    };
    let task = tokio::spawn(serve.instrument(tracing::debug_span!("emulator", %addr)));
    tracing::debug!(%addr, pace = ?state.pace(), "emulator listening");
    Ok(EmulatorHandle {
        addr,
        state,
        shutdown,
        task,
    })
}

// === impl EmulatorHandle ===

impl EmulatorHandle {
    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The base URL for clients, e.g. `http://127.0.0.1:PORT` (a wildcard
    /// bind is reported as loopback).
    pub fn url(&self) -> String {
        let mut addr = self.addr;
        if addr.ip().is_unspecified() {
            addr.set_ip(match addr {
                SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
                SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
            });
        }
        format!("http://{addr}")
    }

    /// Expires every OAuth access token issued so far, as if their hour had
    /// passed, so tests can watch clients fetch new ones.
    pub fn expire_oauth_tokens(&self) {
        self.state.issued_tokens().expire_all();
    }

    /// The one token the emulator accepts.
    pub fn token(&self) -> &str {
        self.state.token()
    }

    /// The state behind the server.
    pub fn state(&self) -> &EmulatorState {
        &self.state
    }

    /// The start-up text: the URL, the `DATABRICKS_HOST=`/`DATABRICKS_TOKEN=`
    /// lines, then one `cluster <id>  <STATE>  <name>` line per cluster in
    /// id order.
    pub fn banner(&self) -> String {
        let url = self.url();
        let mut banner = format!(
            "Databricks emulator listening on {url}\n  \
             DATABRICKS_HOST={url}\n  DATABRICKS_TOKEN={}\n",
            self.token()
        );
        for cluster in self
            .state
            .with_store(state::Access::Other, |store| store.clusters())
        {
            let _ = writeln!(
                banner,
                "  cluster {}  {:<10}  {}",
                cluster.id,
                cluster.state.as_str(),
                cluster.name
            );
        }
        banner
    }

    /// Injects `fault` into the next `times` requests to `path`.
    pub fn inject_fault(&self, path: &str, fault: Fault, times: usize) {
        self.state.faults().inject(path, fault, times);
    }

    /// Gives every request to `path` probability `rate` of one of `faults`.
    pub fn inject_faults_randomly(&self, path: &str, rate: f64, faults: Vec<Fault>) {
        self.state.faults().inject_randomly(path, rate, faults);
    }

    /// Removes every planned fault.
    pub fn clear_faults(&self) {
        self.state.faults().clear();
    }

    /// How many faults have been injected so far.
    pub fn injected_faults(&self) -> usize {
        self.state.faults().injected()
    }

    /// Every request served so far, oldest first.
    pub fn journal(&self) -> Vec<JournalEntry> {
        self.state.journal()
    }

    /// Advances every lifecycle by one step (meant for
    /// [`Pace::Manual`](super::Pace::Manual) and
    /// [`Pace::PerRead`](super::Pace::PerRead); in
    /// [`Pace::Timed`](super::Pace::Timed) it is one extra step).
    pub fn tick(&self) {
        self.state.tick();
    }

    /// Adds `clusters` running clusters whose `libraries_per_cluster`
    /// libraries are all `INSTALLED`; see [`EmulatorState::seed_workspace`].
    pub fn seed_workspace(&self, clusters: usize, libraries_per_cluster: usize) {
        self.state.seed_workspace(clusters, libraries_per_cluster);
    }

    /// How many execution-context processes are alive (each context has
    /// one until it is destroyed, its cluster stops, or its process dies).
    pub fn live_contexts(&self) -> usize {
        self.state.live_contexts()
    }

    /// The process ids of the contexts that have a process, to prove in
    /// tests that none outlives its context.
    pub fn context_pids(&self) -> Vec<u32> {
        self.state.execution().pids()
    }

    /// Starts a graceful shutdown and kills every execution-context process;
    /// [`join`](Self::join) waits for both.
    pub fn shutdown(&self) {
        self.shutdown.send_replace(true);
        self.state.execution().shutdown();
    }

    /// Waits for the server to stop and (for a few seconds at most) for the
    /// context processes to be reaped, re-raising a panic of the server task.
    ///
    /// # Errors
    ///
    /// What the server returned, or an error if its task was cancelled.
    pub async fn join(self) -> std::io::Result<()> {
        let served = self.task.await;
        // Contexts created by requests in flight at shutdown go too.
        self.state.execution().shutdown();
        self.state
            .execution()
            .wait_stopped(STOP_CONTEXTS_TIMEOUT)
            .await;
        match served {
            Ok(result) => result,
            Err(error) if error.is_panic() => std::panic::resume_unwind(error.into_panic()),
            Err(error) => Err(std::io::Error::other(error)),
        }
    }
}
