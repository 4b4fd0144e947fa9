//! REST API 1.2 command execution, for real: each execution context is a
//! long-lived `python3` process (so variables persist between commands like
//! in a notebook) that runs Python, and SQL in its own in-memory sqlite3
//! database.
//!
//! Layout: [`Execution`] (here) is the registry of contexts, `teardown` how
//! they end; `context` holds one context's status and command queue;
//! `process` starts its process and `driver` drives it (running
//! `driver.py`); `results` is a command's results and status report, and
//! words the results the emulator writes itself; `ids` makes identifiers
//! and holds the address of a context; `handlers` serves the six endpoints.

use std::{
    collections::HashMap,
    path::PathBuf,
    sync::{Arc, Mutex, MutexGuard, PoisonError},
};

use tokio::sync::{OnceCell, watch};

use self::{
    context::{Cancel, Shared, Work},
    ids::ContextAddress,
    process::Process,
    results::Report,
};
use super::errors::ErrorResponse;

mod context;
pub(super) mod descendants;
mod driver;
mod handlers;
mod ids;
mod process;
mod results;
mod teardown;

pub(crate) use handlers::routes;

/// The most execution contexts one cluster holds (fixed on Databricks).
pub(crate) const MAX_CONTEXTS_PER_CLUSTER: usize = 145;

/// Every execution context of the workspace, and the processes behind them.
#[derive(Debug)]
pub(crate) struct Execution {
    /// The interpreter as configured (e.g. `python3`, looked up on `PATH`).
    python: String,
    /// The interpreter as resolved by the first successful probe.
    interpreter: OnceCell<PathBuf>,
    contexts: Mutex<HashMap<String, Context>>,
    /// How many context processes are alive.
    live: Arc<watch::Sender<usize>>,
    /// Marks this emulator's processes (see `descendants`).
    instance: String,
}

#[derive(Debug)]
struct Context {
    cluster_id: String,
    shared: Arc<Mutex<Shared>>,
    /// `None` once the context was shut down with its cluster: it only
    /// answers status reads then (until its cluster stops again).
    process: Option<Process>,
}

// === impl Execution ===

impl Execution {
    /// No contexts yet; they will run `python`.
    pub(crate) fn new(python: String) -> Self {
        Self {
            python,
            interpreter: OnceCell::new(),
            contexts: Mutex::new(HashMap::new()),
            live: Arc::new(watch::Sender::new(0)),
            instance: format!("{:016x}", rand::random::<u64>()),
        }
    }

    /// `contexts/create` on `cluster_id` (known to be running): starts a
    /// process and answers the new context's id.
    pub(crate) async fn create(&self, cluster_id: &str) -> Result<String, ErrorResponse> {
        self.check_room(&self.lock(), cluster_id)?;
        let interpreter = self
            .interpreter
            .get_or_try_init(|| process::resolve_interpreter(&self.python))
            .await
            .map_err(|error| ErrorResponse::no_interpreter(&self.python, error))?;
        let id = ids::context_id();
        let shared = Arc::new(Mutex::new(Shared::new()));
        let marker = descendants::context_marker(&self.instance, &id);
        let process = Process::start(interpreter, &id, marker, Arc::clone(&shared), &self.live)
            .map_err(|error| ErrorResponse::no_interpreter(&self.python, error))?;
        let mut contexts = self.lock();
        // Checked again: other creations may have raced this one. A refused
        // process dies with its dropped mailbox.
        self.check_room(&contexts, cluster_id)?;
        let context = Context {
            cluster_id: cluster_id.to_owned(),
            shared,
            process: Some(process),
        };
        contexts.insert(id.clone(), context);
        Ok(id)
    }

    /// `contexts/status`: the context's status word, e.g. `Running`.
    pub(crate) fn context_status(
        &self,
        request: &ContextAddress,
    ) -> Result<&'static str, ErrorResponse> {
        self.with_context(&request.cluster_id, &request.context_id, |context| {
            Ok(context.lock().status().as_str())
        })
    }

    /// `commands/execute`: queues `command` and answers its id.
    pub(crate) fn execute(
        &self,
        request: &ContextAddress,
        language: String,
        command: String,
    ) -> Result<String, ErrorResponse> {
        self.with_context(&request.cluster_id, &request.context_id, |context| {
            let Some(process) = &context.process else {
                return Err(not_found(request));
            };
            let id = ids::command_id();
            context.lock().enqueue(Work {
                id: id.clone(),
                language,
                command,
            });
            process.wake();
            Ok(id)
        })
    }

    /// `commands/status`.
    pub(crate) fn command_status(
        &self,
        address: &ContextAddress,
        command_id: &str,
    ) -> Result<Report, ErrorResponse> {
        self.with_context(&address.cluster_id, &address.context_id, |context| {
            context
                .lock()
                .report(command_id)
                .ok_or_else(|| command_not_found(address, command_id))
        })
    }

    /// `commands/cancel`: a queued command is cancelled at once, a running
    /// one is interrupted, an ended one is left alone.
    pub(crate) fn cancel(
        &self,
        address: &ContextAddress,
        command_id: &str,
    ) -> Result<(), ErrorResponse> {
        self.with_context(&address.cluster_id, &address.context_id, |context| {
            let cancel = context.lock().cancel(command_id);
            match (cancel, &context.process) {
                (None, _) => return Err(command_not_found(address, command_id)),
                (Some(Cancel::Interrupt), Some(process)) => process.interrupt(command_id),
                (Some(_), _) => {}
            }
            Ok(())
        })
    }

    fn check_room(
        &self,
        contexts: &HashMap<String, Context>,
        cluster_id: &str,
    ) -> Result<(), ErrorResponse> {
        let open = contexts
            .values()
            .filter(|c| c.cluster_id == cluster_id && c.process.is_some())
            .count();
        if open < MAX_CONTEXTS_PER_CLUSTER {
            Ok(())
        } else {
            tracing::debug!(cluster_id, open, "too many execution contexts");
            Err(ErrorResponse::too_many_contexts(MAX_CONTEXTS_PER_CLUSTER))
        }
    }

    fn with_context<R>(
        &self,
        cluster_id: &str,
        context_id: &str,
        f: impl FnOnce(&Context) -> Result<R, ErrorResponse>,
    ) -> Result<R, ErrorResponse> {
        match self.lock().get(context_id) {
            Some(context) if context.cluster_id == cluster_id => f(context),
            _ => Err(ErrorResponse::context_not_found(cluster_id, context_id)),
        }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, Context>> {
        self.contexts.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

// === impl Context ===

impl Context {
    fn lock(&self) -> MutexGuard<'_, Shared> {
        self.shared.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn not_found(request: &ContextAddress) -> ErrorResponse {
    ErrorResponse::context_not_found(&request.cluster_id, &request.context_id)
}

fn command_not_found(address: &ContextAddress, command_id: &str) -> ErrorResponse {
    ErrorResponse::command_not_found(&address.cluster_id, &address.context_id, command_id)
}
