//! The `Results` the emulator itself writes (the process writes the rest):
//! cancellations, shut-down contexts and dead processes, worded like the
//! Databricks driver so that SDK result parsers behave as they would there.

use crate::databricks::models::Results;

/// The Java class Databricks names when a command is cancelled or its
/// context goes away under it.
const CANCELLED_EXCEPTION: &str = "com.databricks.backend.common.rpc.CommandCancelledException";

/// A command cancelled by `commands/cancel`.
pub(super) fn cancelled() -> Results {
    error("Command was cancelled", CANCELLED_EXCEPTION.to_owned())
}

/// A command whose context was shut down (destroyed, or its cluster
/// restarted or terminated) while it was queued or running: `why` says why.
pub(super) fn shut_down(why: &str) -> Results {
    error(
        "Command was cancelled",
        format!(
            "{CANCELLED_EXCEPTION}: {why}\n\tat com.databricks.spark.chauffeur.\
             ExecContextState.shutdown(ExecContextState.scala:419)"
        ),
    )
}

/// A command whose context's process died: `detail` says how.
pub(super) fn died(detail: &str) -> Results {
    error(
        "Command failed: the driver became unresponsive",
        format!(
            "{CANCELLED_EXCEPTION}: the Python process of the execution context {detail}\n\tat \
             com.databricks.spark.chauffeur.ExecContextState.shutdown(ExecContextState.scala:419)"
        ),
    )
}

/// The answer of a command that printed nothing.
pub(super) fn empty_text() -> Results {
    Results {
        result_type: Some("text".to_owned()),
        data: Some(serde_json::Value::String(String::new())),
        ..Results::default()
    }
}

fn error(summary: &str, cause: String) -> Results {
    Results {
        result_type: Some("error".to_owned()),
        summary: Some(summary.to_owned()),
        cause: Some(cause),
        ..Results::default()
    }
}
