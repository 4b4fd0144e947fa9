//! "Ensure running": the state machine behind StartCluster, also used by
//! other operations that need a live cluster. RUNNING is done at once;
//! PENDING, RESTARTING and RESIZING are on their way, so done too; TERMINATED
//! is started; TERMINATING is waited out, then started; an `INVALID_STATE`
//! answer from `clusters/start` (someone else started it first) means read
//! again and go round. Everything ends at the caller's deadline. Callers hold
//! the cluster's lock (`Tenant::lock_cluster`).

use std::time::Duration;

use tokio::time::Instant;
use tonic::Status;
use tracing::debug;

use super::super::{Tenant, coalesce::DeadlinePassed};
use crate::databricks::{CallOptions, Error, models::ClusterDetails};

/// How long "ensure running" may wait for a TERMINATING cluster when the
/// caller set no deadline.
pub(crate) const DEFAULT_ENSURE_WAIT: Duration = Duration::from_secs(30 * 60);

/// The cluster is in a state from which starting it is not possible without
/// someone acting (ERROR, UNKNOWN, or a state this server does not know).
#[derive(Debug, Clone, thiserror::Error)]
#[error("cluster {cluster_id} is {state}{}, so it cannot be started", describe(.state_message))]
pub(crate) struct ClusterNotStartable {
    /// The cluster.
    pub(crate) cluster_id: String,
    /// Its raw state.
    pub(crate) state: String,
    /// What Databricks says about it.
    pub(crate) state_message: String,
}

/// What "ensure running" saw and did.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Ensured {
    /// The last read of the cluster (its state before any start this call sent).
    pub(crate) cluster: ClusterDetails,
    /// True when this call sent `clusters/start`.
    pub(crate) start_sent: bool,
}

// === impl Tenant ===

impl Tenant {
    /// Makes sure `cluster_id` is running or on its way there; see the module
    /// docs. Hold the cluster's lock while calling it.
    pub(crate) async fn ensure_running(
        &self,
        cluster_id: &str,
        options: CallOptions,
    ) -> Result<Ensured, Status> {
        let deadline = Instant::now() + options.timeout.unwrap_or(DEFAULT_ENSURE_WAIT);
        let mut wait = self.poll.initial;
        loop {
            let cluster = self
                .client
                .get_cluster(cluster_id, remaining(deadline, options.caller)?)
                .await?;
            match cluster.state.as_str() {
                "RUNNING" | "PENDING" | "RESTARTING" | "RESIZING" => {
                    return Ok(Ensured {
                        cluster,
                        start_sent: false,
                    });
                }
                "TERMINATED" => match self
                    .client
                    .start_cluster(cluster_id, remaining(deadline, options.caller)?)
                    .await
                {
                    Ok(()) => {
                        return Ok(Ensured {
                            cluster,
                            start_sent: true,
                        });
                    }
                    Err(Error::Api(api)) if api.error_code == "INVALID_STATE" => {
                        debug!(message = %api.message, "start raced another caller; reading again");
                    }
                    Err(error) => return Err(error.into()),
                },
                "TERMINATING" => debug!("cluster is terminating; waiting for TERMINATED"),
                _ => {
                    return Err(ClusterNotStartable {
                        cluster_id: cluster.cluster_id,
                        state: cluster.state,
                        state_message: cluster.state_message,
                    }
                    .into());
                }
            }
            if Instant::now() + wait >= deadline {
                return Err(DeadlinePassed.into());
            }
            tokio::time::sleep(wait).await;
            wait = (wait * 2).min(self.poll.max);
        }
    }
}

/// Options for one upstream call: the time left before `deadline`.
fn remaining(deadline: Instant, caller: Option<u64>) -> Result<CallOptions, Status> {
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() {
        return Err(DeadlinePassed.into());
    }
    Ok(CallOptions {
        timeout: Some(left),
        caller,
    })
}

fn describe(state_message: &str) -> String {
    if state_message.is_empty() {
        String::new()
    } else {
        format!(" ({state_message})")
    }
}
