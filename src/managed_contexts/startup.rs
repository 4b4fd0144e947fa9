//! Waiting for a new execution context to start.

use std::time::Duration;

use tokio::time::Instant;
use tonic::Status;
use tracing::debug;

use crate::databricks::{CallOptions, Client, models::ContextRequest};

/// How long a new context may take to start before the call fails.
pub const CONTEXT_START_TIMEOUT: Duration = Duration::from_secs(600);

/// Databricks reported a new execution context as `Error`.
#[derive(Debug, thiserror::Error)]
#[error("execution context {context_id} on cluster {cluster_id} failed to start; try again")]
pub struct ContextStartFailed {
    /// The context that failed.
    pub context_id: String,
    /// Its cluster.
    pub cluster_id: String,
}

/// A new execution context was still not `Running` when the wait ended.
#[derive(Debug, thiserror::Error)]
#[error("execution context {context_id} did not start within {after:?}")]
pub struct ContextStartTimedOut {
    /// The context that did not start.
    pub context_id: String,
    /// How long it was given ([`CONTEXT_START_TIMEOUT`]).
    pub after: Duration,
}

/// Polls a new context until it is `Running`; fails when it reaches `Error`
/// or does not start within [`CONTEXT_START_TIMEOUT`].
pub async fn wait_until_running(client: &Client, context: &ContextRequest) -> Result<(), Status> {
    let deadline = Instant::now() + CONTEXT_START_TIMEOUT;
    let mut delay = Duration::from_millis(50);
    loop {
        let status = client
            .context_status(context, CallOptions::default())
            .await?;
        match status.status.as_str() {
            "Running" => return Ok(()),
            "Error" => {
                return Err(ContextStartFailed {
                    context_id: context.context_id.clone(),
                    cluster_id: context.cluster_id.clone(),
                }
                .into());
            }
            other => debug!(status = other, "waiting for the context to start"),
        }
        if Instant::now() + delay > deadline {
            return Err(ContextStartTimedOut {
                context_id: context.context_id.clone(),
                after: CONTEXT_START_TIMEOUT,
            }
            .into());
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(2));
    }
}
