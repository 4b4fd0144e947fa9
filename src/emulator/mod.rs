//! An in-process emulator of the Databricks REST endpoints this crate uses
//! (Libraries API 2.0, the cluster calls around it, and REST API 1.2 command
//! execution), faithful enough for the official SDKs and deterministic
//! enough for tests. Execution contexts are real local `python3` processes:
//! the emulator runs the code it is sent, so serve it on loopback only.
//!
//! [`app`] builds the axum `Router` over an [`EmulatorState`] (test it with
//! `oneshot`); [`spawn`] serves it on a listener the caller bound and returns
//! an [`EmulatorHandle`]. Lifecycles (cluster start, library install) advance
//! by [`Pace`]: with wall-clock time, one step per status read, or only when
//! a test calls [`EmulatorHandle::tick`].
//!
//! Layout: `state` (shared state and pace), `store` (clusters and
//! libraries), `lifecycle` (the pure state machine), `catalogue` (what
//! resolves), `libraries` and `clusters` (handlers), `execution` (1.2
//! contexts and commands, with their processes), `request` (body parsing),
//! `auth`, `journal` (middleware) and `errors` (error bodies).

use std::{fmt::Write as _, net::SocketAddr, time::Duration};

use axum::{Router, middleware};
use tokio::{net::TcpListener, sync::watch, task::JoinHandle};
use tracing::Instrument as _;

mod auth;
mod catalogue;
mod clusters;
mod errors;
mod execution;
mod faults;
mod journal;
mod libraries;
mod lifecycle;
mod oauth;
mod request;
mod state;
mod store;

pub use faults::Fault;
pub use journal::JournalEntry;
pub use oauth::{
    DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_PASSWORD, DEFAULT_USERNAME, Logins,
};
pub use state::EmulatorState;

/// The token the emulator accepts unless configured otherwise.
pub const DEFAULT_TOKEN: &str = "dapi-emulator-token";
/// A seeded cluster that is `RUNNING` (name `emulator-running`).
pub const RUNNING_CLUSTER_ID: &str = "0101-120000-running1";
/// A seeded cluster that is `TERMINATED` (name `emulator-terminated`).
pub const TERMINATED_CLUSTER_ID: &str = "0101-120000-stopped2";
/// The interpreter execution contexts run unless configured otherwise.
pub const DEFAULT_PYTHON: &str = "python3";
/// How long [`EmulatorHandle::join`] waits for context processes to die.
const STOP_CONTEXTS_TIMEOUT: Duration = Duration::from_secs(5);

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
    /// The Python 3.8+ interpreter that runs execution contexts: a path, or
    /// a name looked up on `PATH`.
    pub python: String,
    /// Basic-auth and OAuth M2M credentials accepted besides the token.
    pub logins: Logins,
    /// More users' bearer tokens, as (user name, token). The journal records
    /// which user each request authenticated as.
    pub user_tokens: Vec<(String, String)>,
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
    /// [`DEFAULT_TOKEN`], the default [`Pace`] and [`DEFAULT_PYTHON`].
    fn default() -> Self {
        Self {
            token: DEFAULT_TOKEN.to_owned(),
            pace: Pace::default(),
            python: DEFAULT_PYTHON.to_owned(),
            logins: Logins::default(),
            user_tokens: Vec::new(),
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

    /// Accept these basic-auth and OAuth credentials.
    pub fn with_logins(mut self, logins: Logins) -> Self {
        self.logins = logins;
        self
    }

    /// Also accept `token` as the personal access token of user `name`.
    pub fn with_user_token(mut self, name: impl Into<String>, token: impl Into<String>) -> Self {
        self.user_tokens.push((name.into(), token.into()));
        self
    }

    /// Run execution contexts with `python` (a path or a name on `PATH`).
    pub fn with_python(mut self, python: impl Into<String>) -> Self {
        self.python = python.into();
        self
    }
}

impl std::fmt::Debug for EmulatorConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmulatorConfig")
            .field("token", &"<redacted>")
            .field("pace", &self.pace)
            .field("python", &self.python)
            .finish()
    }
}

/// The emulator's routes over `state`: authentication on `/api/` paths,
/// Databricks-style 404s elsewhere, and every request journaled.
pub fn app(state: EmulatorState) -> Router {
    Router::new()
        .merge(libraries::routes())
        .merge(clusters::routes())
        .merge(execution::routes())
        .merge(oauth::routes())
        .fallback(errors::no_endpoint)
        .method_not_allowed_fallback(errors::no_endpoint)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            auth::require_token,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            faults::inject,
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

#[cfg(test)]
mod tests;
