//! An in-process emulator of the Databricks REST endpoints this crate uses
//! (Libraries API 2.0 and the cluster calls around it), faithful enough for
//! the official SDKs and deterministic enough for tests.
//!
//! [`app`] builds the axum `Router` over an [`EmulatorState`] (test it with
//! `oneshot`); [`spawn`] serves it on a listener the caller bound and returns
//! an [`EmulatorHandle`]. Lifecycles (cluster start, library install) advance
//! by [`Pace`]: with wall-clock time, one step per status read, or only when
//! a test calls [`EmulatorHandle::tick`].
//!
//! Layout: `state` (shared state and pace), `store` (clusters and
//! libraries), `lifecycle` (the pure state machine), `catalogue` (what
//! resolves), `libraries` and `clusters` (handlers), `request` (body
//! parsing), `auth`, `journal` (middleware) and `errors` (error bodies).

use std::{fmt::Write as _, net::SocketAddr, time::Duration};

use axum::{Router, middleware};
use tokio::{net::TcpListener, sync::watch, task::JoinHandle};
use tracing::Instrument as _;

mod auth;
mod catalogue;
mod clusters;
mod errors;
mod journal;
mod libraries;
mod lifecycle;
mod request;
mod state;
mod store;

pub use journal::JournalEntry;
pub use state::EmulatorState;

/// The token the emulator accepts unless configured otherwise.
pub const DEFAULT_TOKEN: &str = "dapi-emulator-token";
/// A seeded cluster that is `RUNNING` (name `emulator-running`).
pub const RUNNING_CLUSTER_ID: &str = "0101-120000-running1";
/// A seeded cluster that is `TERMINATED` (name `emulator-terminated`).
pub const TERMINATED_CLUSTER_ID: &str = "0101-120000-stopped2";

/// How lifecycles advance. One step moves every cluster transition
/// (`PENDING`→`RUNNING`, `RESTARTING`→`RUNNING`, `TERMINATING`→`TERMINATED`)
/// and every library stage on a running cluster forward by one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pace {
    /// One step per period of wall-clock time, applied lazily when a request
    /// arrives; a zero period settles everything at the next request.
    Timed(Duration),
    /// Each status read (`libraries/cluster-status`,
    /// `libraries/all-cluster-statuses`, `clusters/get`) first steps once.
    PerRead,
    /// Only [`EmulatorHandle::tick`] steps.
    Manual,
}

/// How to run the emulator.
#[derive(Clone)]
pub struct EmulatorConfig {
    /// The one bearer token accepted.
    pub token: String,
    /// How lifecycles advance.
    pub pace: Pace,
}

/// A running emulator: its address, its state, and the means to stop it.
#[derive(Debug)]
pub struct EmulatorHandle {
    addr: SocketAddr,
    state: EmulatorState,
    shutdown: watch::Sender<bool>,
    task: JoinHandle<std::io::Result<()>>,
}

// === impl Pace ===

impl Default for Pace {
    /// Two seconds per step.
    fn default() -> Self {
        Self::Timed(Duration::from_secs(2))
    }
}

// === impl EmulatorConfig ===

impl Default for EmulatorConfig {
    /// [`DEFAULT_TOKEN`] and the default [`Pace`].
    fn default() -> Self {
        Self {
            token: DEFAULT_TOKEN.to_owned(),
            pace: Pace::default(),
        }
    }
}

impl EmulatorConfig {
    /// Accept `token` instead.
    pub fn with_token(mut self, token: impl Into<String>) -> Self {
        self.token = token.into();
        self
    }

    /// Advance lifecycles at `pace`.
    pub fn with_pace(mut self, pace: Pace) -> Self {
        self.pace = pace;
        self
    }
}

impl std::fmt::Debug for EmulatorConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmulatorConfig")
            .field("token", &"<redacted>")
            .field("pace", &self.pace)
            .finish()
    }
}

/// The emulator's routes over `state`: authentication on `/api/` paths,
/// Databricks-style 404s elsewhere, and every request journaled.
pub fn app(state: EmulatorState) -> Router {
    Router::new()
        .merge(libraries::routes())
        .merge(clusters::routes())
        .fallback(errors::no_endpoint)
        .method_not_allowed_fallback(errors::no_endpoint)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            auth::require_token,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            journal::record,
        ))
        .with_state(state)
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

    /// Every request served so far, oldest first.
    pub fn journal(&self) -> Vec<JournalEntry> {
        self.state.journal()
    }

    /// Advances every lifecycle by one step (meant for [`Pace::Manual`] and
    /// [`Pace::PerRead`]; in [`Pace::Timed`] it is one extra step).
    pub fn tick(&self) {
        self.state.tick();
    }

    /// Adds `clusters` running clusters whose `libraries_per_cluster`
    /// libraries are all `INSTALLED`; see [`EmulatorState::seed_workspace`].
    pub fn seed_workspace(&self, clusters: usize, libraries_per_cluster: usize) {
        self.state.seed_workspace(clusters, libraries_per_cluster);
    }

    /// Starts a graceful shutdown; [`join`](Self::join) waits for it.
    pub fn shutdown(&self) {
        self.shutdown.send_replace(true);
    }

    /// Waits for the server to stop, re-raising a panic of its task.
    ///
    /// # Errors
    ///
    /// What the server returned, or an error if its task was cancelled.
    pub async fn join(self) -> std::io::Result<()> {
        match self.task.await {
            Ok(result) => result,
            Err(error) if error.is_panic() => std::panic::resume_unwind(error.into_panic()),
            Err(error) => Err(std::io::Error::other(error)),
        }
    }
}

#[cfg(test)]
mod tests;
