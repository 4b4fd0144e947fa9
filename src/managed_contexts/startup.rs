//! Waiting for a new execution context to start.

use std::time::Duration;

use tokio::time::Instant;
use tonic::Status;
use tracing::debug;

use crate::databricks::{CallOptions, Client, models::ContextRequest};

/// How long a new context may take to start before the call fails.
pub const CONTEXT_START_TIMEOUT: Duration = Duration::from_secs(600);

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
                return Err(Status::unavailable(format!(
                    "execution context {} on cluster {} failed to start; try again",
                    context.context_id, context.cluster_id
                )));
            }
            other => debug!(status = other, "waiting for the context to start"),
        }
        if Instant::now() + delay > deadline {
            return Err(Status::deadline_exceeded(format!(
                "execution context {} did not start within {CONTEXT_START_TIMEOUT:?}",
                context.context_id
            )));
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(2));
    }
}
