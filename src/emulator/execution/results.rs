//! A command's `results` as the emulator keeps and sends them, in the three
//! shapes the context process writes (text, table, error), and the
//! `commands/status` report that carries them; and the results the
//! emulator writes itself (cancellations, shut-down contexts and dead
//! processes), worded like the Databricks driver so that SDK result parsers
//! behave as they would there.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The `results` of an ended command, tagged by `resultType`; fields appear
/// in the order the Databricks driver sends them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "resultType", rename_all = "lowercase")]
pub(crate) enum Results {
    /// What the command printed.
    Text {
        data: String,
        /// Present (and true) only when the output was cut.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        truncated: Option<bool>,
    },
    /// Rows of a SQL query: `data` is an array of row arrays, `schema` the
    /// `{"name", "type", "metadata"}` columns.
    Table {
        data: Value,
        schema: Vec<Value>,
        truncated: bool,
        #[serde(rename = "isJsonSchema")]
        is_json_schema: bool,
    },
    /// A failure: a short `summary` (often HTML) and a long `cause`.
    Error { summary: String, cause: String },
}

/// `commands/status` of one command, as sent: `results` is null until the
/// command has ended.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Report {
    pub(super) id: String,
    pub(super) status: String,
    pub(super) results: Option<Results>,
}

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
    Results::Text {
        data: String::new(),
        truncated: None,
    }
}

fn error(summary: &str, cause: String) -> Results {
    Results::Error {
        summary: summary.to_owned(),
        cause,
    }
}
