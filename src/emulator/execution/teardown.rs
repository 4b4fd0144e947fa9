//! How contexts end: destroyed one at a time, shut down with their cluster,
//! or all at once when the emulator stops; and how to tell that their
//! processes are gone.

use std::time::Duration;

use super::{
    Context, Execution, context::CommandStatus, descendants, ids::ContextAddress, not_found,
    process::Process, results,
};
use crate::emulator::errors::ErrorResponse;

// === impl Execution ===

impl Execution {
    /// `contexts/destroy`: forgets the context and kills its process.
    pub(crate) async fn destroy(&self, request: &ContextAddress) -> Result<(), ErrorResponse> {
        let context = {
            let mut contexts = self.lock();
            match contexts.get(&request.context_id) {
                Some(context) if context.cluster_id == request.cluster_id => {}
                _ => return Err(not_found(request)),
            }
            contexts.remove(&request.context_id)
        };
        if let Some(mut context) = context {
            if let Some(process) = context.shut_down("the execution context was destroyed") {
                process.stop().await;
            }
        }
        Ok(())
    }

    /// The cluster is restarting or terminating: its contexts turn `Error`,
    /// their commands end `Cancelled`, and their processes are killed.
    pub(crate) async fn end_cluster(&self, cluster_id: &str, why: &str) {
        let processes: Vec<Process> = {
            let mut contexts = self.lock();
            // Contexts shut down by an earlier restart are gone for good now.
            contexts.retain(|_, c| c.cluster_id != cluster_id || c.process.is_some());
            contexts
                .values_mut()
                .filter(|context| context.cluster_id == cluster_id)
                .filter_map(|context| context.shut_down(why))
                .collect()
        };
        tracing::debug!(
            cluster_id,
            contexts = processes.len(),
            why,
            "contexts shut down"
        );
        for process in processes {
            process.stop().await;
        }
    }

    /// Forgets every context; their processes are killed in the background
    /// ([`wait_stopped`](Self::wait_stopped) waits for that).
    pub(crate) fn shutdown(&self) {
        let drained: Vec<Context> = self.lock().drain().map(|(_, context)| context).collect();
        for mut context in drained {
            drop(context.shut_down("the emulator is shutting down"));
        }
    }

    /// Waits (at most `timeout`) until no context process is alive, then
    /// kills whatever any of them left behind.
    pub(crate) async fn wait_stopped(&self, timeout: Duration) {
        let mut live = self.live.subscribe();
        let _ = tokio::time::timeout(timeout, live.wait_for(|count| *count == 0)).await;
        descendants::end_marked(descendants::instance_prefix(&self.instance)).await;
    }

    /// How many context processes are alive.
    pub(crate) fn live(&self) -> usize {
        *self.live.borrow()
    }

    /// The process ids of the contexts that have a process.
    pub(crate) fn pids(&self) -> Vec<u32> {
        let contexts = self.lock();
        let processes = contexts.values().filter_map(|c| c.process.as_ref());
        processes.filter_map(Process::pid).collect()
    }
}

// === impl Context ===

impl Context {
    /// Fails the context's commands with `why` and hands back its process.
    fn shut_down(&mut self, why: &str) -> Option<Process> {
        let results = results::shut_down(why);
        self.lock().fail(CommandStatus::Cancelled, results);
        self.process.take()
    }
}
