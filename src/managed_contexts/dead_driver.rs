//! Dead managed contexts: telling a command that failed because its
//! context's driver died (the context will fail every later command too)
//! from one that failed on its own, checking an idle context before reuse,
//! and retiring a dead one.

use std::sync::PoisonError;

use tracing::{debug, info, warn};

use super::{DEAD_CONTEXT_DESTROY_BUDGET, Managed, ManagedContexts};
use crate::databricks::{
    CallOptions,
    models::{CommandStatusResponse, ContextRequest},
};

/// What Databricks (and the emulator) report for a command whose
/// execution context's driver died under it.
const DEAD_DRIVER_MARKERS: &[&str] = &[
    "the driver became unresponsive",
    "the python kernel is unresponsive",
    "driver has stopped unexpectedly",
];

/// True when `status` is a command that failed because its context's driver
/// died: the context will fail every later command too.
pub fn reports_dead_driver(status: &CommandStatusResponse) -> bool {
    // A user's own exception ends `Finished` with an error result; only a
    // command the platform failed ends `Error`.
    if status.status != "Error" {
        return false;
    }
    let Some(results) = &status.results else {
        return false;
    };
    if results.result_type.as_deref() != Some("error") {
        return false;
    }
    [&results.summary, &results.cause]
        .into_iter()
        .flatten()
        .any(|text| {
            let text = text.to_ascii_lowercase();
            DEAD_DRIVER_MARKERS
                .iter()
                .any(|marker| text.contains(marker))
        })
}

// === impl ManagedContexts ===

impl ManagedContexts {
    /// Records that the managed context `context_id` (if it is one) was seen
    /// dead: the next command for its cluster and language goes to a new
    /// context, and this one is destroyed.
    pub fn report_dead(&self, context_id: &str) {
        if !self.context_ids().iter().any(|id| id == context_id) {
            return;
        }
        warn!(
            context_id,
            "managed context is dead; the next command gets a new one"
        );
        self.dead
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(context_id.to_owned());
    }

    /// Whether `context` may take the next command: not reported dead, and,
    /// when it sat unused for [`VERIFY_AFTER_IDLE`], still `Running` by its
    /// status (a status read that fails for another reason does not condemn
    /// it: the command will say what is wrong).
    pub(super) async fn still_alive(&self, cluster_id: &str, context: &Managed) -> bool {
        let reported = self
            .dead
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&context.id);
        if reported {
            return false;
        }
        if context.last_used.elapsed() < self.verify_after_idle {
            return true;
        }
        let request = ContextRequest {
            cluster_id: cluster_id.to_owned(),
            context_id: context.id.clone(),
        };
        match self
            .client
            .context_status(&request, CallOptions::default())
            .await
        {
            Ok(status) if status.status == "Error" => {
                warn!(cluster_id, context_id = %context.id, "idle managed context is in Error; replacing it");
                false
            }
            Err(crate::databricks::Error::Api(api)) if api.is_context_not_found() => {
                warn!(cluster_id, context_id = %context.id, "idle managed context is gone; replacing it");
                false
            }
            _ => true,
        }
    }

    /// Destroys a dead managed context without holding up the command that
    /// replaces it; failures are only logged.
    pub(super) fn destroy_in_background(&self, context: ContextRequest) {
        let client = self.client.clone();
        tokio::spawn(async move {
            let options = CallOptions {
                timeout: Some(DEAD_CONTEXT_DESTROY_BUDGET),
                caller: None,
            };
            match client.destroy_context(&context, options).await {
                Ok(_) => {
                    info!(context_id = %context.context_id, "destroyed a dead managed context")
                }
                Err(error) => {
                    debug!(context_id = %context.context_id, error = %error, "could not destroy a dead managed context")
                }
            }
        });
    }
}
