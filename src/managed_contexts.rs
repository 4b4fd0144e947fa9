//! Execution contexts the server creates on callers' behalf (ExecuteCommand
//! without a `context_id`). Contexts are scarce: about 145 per cluster, no
//! list endpoint, lost on restart. So there is at most one managed context
//! per (cluster, language); it is reused, destroyed after it has been idle,
//! destroyed on shutdown, and recreated when Databricks says it is gone.
//! A managed context found dead (its status is `Error`, or a command in it
//! failed the way a dead driver fails) is replaced for the next command and
//! destroyed; the command that hit it is reported failed, never re-sent.
//! One that sat unused for [`VERIFY_AFTER_IDLE`] is checked before reuse.
//! Contexts a caller created with CreateContext are never touched.

use std::{
    collections::{HashMap, HashSet},
    sync::{Arc, Mutex, PoisonError},
    time::Duration,
};

use tokio::time::Instant;
use tonic::Status;
use tracing::{info, warn};

use crate::databricks::{
    CallOptions, Client,
    models::{ContextRequest, CreateContextRequest},
};

/// A managed context unused for this long is asked for its status before
/// the next command is sent to it, so a driver that died meanwhile is
/// replaced instead of failing that command.
pub const VERIFY_AFTER_IDLE: Duration = Duration::from_secs(30);

/// How long destroying a dead context may take, in the background.
const DEAD_CONTEXT_DESTROY_BUDGET: Duration = Duration::from_secs(30);

/// The pool of managed contexts.
#[derive(Debug)]
pub struct ManagedContexts {
    client: Client,
    idle_timeout: Duration,
    verify_after_idle: Duration,
    slots: Mutex<HashMap<Key, Arc<tokio::sync::Mutex<Option<Managed>>>>>,
    /// Managed contexts found dead, replaced at their next use.
    dead: Mutex<HashSet<String>>,
}

type Key = (String, &'static str);

#[derive(Debug, Clone)]
struct Managed {
    id: String,
    last_used: Instant,
}

// === impl ManagedContexts ===

impl ManagedContexts {
    /// A pool destroying contexts unused for `idle_timeout`.
    pub fn new(client: Client, idle_timeout: Duration) -> Self {
        Self {
            client,
            idle_timeout,
            verify_after_idle: VERIFY_AFTER_IDLE,
            slots: Mutex::default(),
            dead: Mutex::default(),
        }
    }

    /// The same pool, checking a context's status before reusing it once it
    /// has been unused for `idle` (instead of [`VERIFY_AFTER_IDLE`]).
    #[cfg(test)]
    fn verifying_after(mut self, idle: Duration) -> Self {
        self.verify_after_idle = idle;
        self
    }

    /// The managed context for `cluster_id` and `language`, created (once,
    /// never re-sent) and waited for if there is none.
    pub async fn context_for(
        &self,
        cluster_id: &str,
        language: &'static str,
    ) -> Result<String, Status> {
        let slot = self.slot((cluster_id.to_owned(), language));
        let mut managed = slot.lock().await;
        if let Some(context) = managed.take() {
            if self.still_alive(cluster_id, &context).await {
                let id = context.id.clone();
                *managed = Some(Managed {
                    last_used: Instant::now(),
                    ..context
                });
                return Ok(id);
            }
            self.destroy_in_background(ContextRequest {
                cluster_id: cluster_id.to_owned(),
                context_id: context.id,
            });
        }
        let request = CreateContextRequest {
            cluster_id: cluster_id.to_owned(),
            language: language.to_owned(),
        };
        let created = self
            .client
            .create_context(&request, CallOptions::default())
            .await?;
        info!(cluster_id, language, context_id = %created.id, "created a managed execution context");
        let context = ContextRequest {
            cluster_id: cluster_id.to_owned(),
            context_id: created.id.clone(),
        };
        if let Err(status) = wait_until_running(&self.client, &context).await {
            self.destroy(&context).await;
            return Err(status);
        }
        *managed = Some(Managed {
            id: created.id.clone(),
            last_used: Instant::now(),
        });
        Ok(created.id)
    }

    /// Forgets `context_id` after Databricks said it no longer exists.
    pub async fn forget(&self, cluster_id: &str, language: &'static str, context_id: &str) {
        let slot = self.slot((cluster_id.to_owned(), language));
        let mut managed = slot.lock().await;
        if managed.as_ref().is_some_and(|m| m.id == context_id) {
            warn!(
                cluster_id,
                context_id, "managed context is gone; a new one will be created"
            );
            *managed = None;
        }
    }

    /// Marks the managed context `context_id` as in use, if it is one.
    pub fn touch(&self, context_id: &str) {
        for slot in self.all_slots() {
            if let Ok(mut managed) = slot.try_lock() {
                if let Some(context) = managed.as_mut().filter(|m| m.id == context_id) {
                    context.last_used = Instant::now();
                }
            }
        }
    }

    /// The ids of the managed contexts, for tests and diagnostics.
    pub fn context_ids(&self) -> Vec<String> {
        self.all_slots()
            .iter()
            .filter_map(|slot| {
                slot.try_lock()
                    .ok()
                    .and_then(|m| m.as_ref().map(|m| m.id.clone()))
            })
            .collect()
    }

    /// Destroys every managed context (on shutdown): all at once, each
    /// destroy call (retries included) within `budget`, and gives up on the
    /// ones still going when `budget` has passed.
    pub async fn destroy_all(&self, budget: Duration) {
        let slots: Vec<_> = self
            .slots
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .drain()
            .collect();
        let options = CallOptions {
            timeout: Some(budget),
            caller: None,
        };
        let mut destroying = tokio::task::JoinSet::new();
        for ((cluster_id, _), slot) in slots {
            let client = self.client.clone();
            destroying.spawn(async move {
                let Some(context) = slot.lock().await.take() else {
                    return;
                };
                let context = ContextRequest {
                    cluster_id,
                    context_id: context.id,
                };
                destroy(&client, &context, options).await;
            });
        }
        let all_done = async { while destroying.join_next().await.is_some() {} };
        if tokio::time::timeout(budget, all_done).await.is_err() {
            warn!(
                left_behind = destroying.len(),
                ?budget,
                "managed contexts not destroyed within the clean-up budget were left behind"
            );
        }
    }

    /// How long a context may sit unused before it is destroyed.
    pub fn idle_timeout(&self) -> Duration {
        self.idle_timeout
    }

    /// True when no managed context exists or is being created.
    pub fn is_empty(&self) -> bool {
        self.all_slots()
            .iter()
            .all(|slot| slot.try_lock().is_ok_and(|managed| managed.is_none()))
    }

    /// Destroys the contexts idle for longer than the idle timeout.
    pub async fn reap_idle(&self) {
        let entries: Vec<_> = self
            .slots
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
            .into_iter()
            .collect();
        for ((cluster_id, _), slot) in entries {
            let Ok(mut managed) = slot.try_lock() else {
                continue;
            };
            if managed
                .as_ref()
                .is_some_and(|m| m.last_used.elapsed() >= self.idle_timeout)
            {
                if let Some(context) = managed.take() {
                    info!(%cluster_id, context_id = %context.id, "destroying an idle managed context");
                    self.destroy(&ContextRequest {
                        cluster_id: cluster_id.clone(),
                        context_id: context.id,
                    })
                    .await;
                }
            }
        }
    }

    async fn destroy(&self, context: &ContextRequest) {
        destroy(&self.client, context, CallOptions::default()).await;
    }

    fn slot(&self, key: Key) -> Arc<tokio::sync::Mutex<Option<Managed>>> {
        self.slots
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(key)
            .or_default()
            .clone()
    }

    fn all_slots(&self) -> Vec<Arc<tokio::sync::Mutex<Option<Managed>>>> {
        self.slots
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .values()
            .cloned()
            .collect()
    }
}

/// Destroys `context`, logging the outcome: nobody waits for the answer.
async fn destroy(client: &Client, context: &ContextRequest, options: CallOptions) {
    match client.destroy_context(context, options).await {
        Ok(_) => {
            info!(cluster_id = %context.cluster_id, context_id = %context.context_id, "destroyed a managed context")
        }
        Err(error) => {
            warn!(context_id = %context.context_id, error = %error, "could not destroy a managed context")
        }
    }
}

mod dead_driver;
mod startup;

pub use dead_driver::reports_dead_driver;
pub use startup::{
    CONTEXT_START_TIMEOUT, ContextStartFailed, ContextStartTimedOut, wait_until_running,
};

#[cfg(test)]
mod tests;
