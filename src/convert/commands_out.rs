//! Outbound: REST 1.2 command and context statuses to gRPC messages. Nothing
//! Databricks sent is dropped, except results too large for one gRPC message,
//! which are cut to [`MAX_RESULTS_BYTES`] and flagged (see `results_limit`):
//! unknown states keep their raw string and an unknown result type comes back
//! as JSON.

use prost_types::{ListValue, Value as ProtoValue, value::Kind as ProtoKind};
use serde_json::Value;

use super::{
    results_limit::{self, MAX_RESULTS_BYTES},
    text::{strip_ansi, strip_html, strip_out_prefixes},
};
use crate::{
    databricks::models::{CommandStatusResponse, ContextStatusResponse, Results},
    proto::compute::{self as pb, CommandOutcome, CommandState, ContextState},
};

/// Converts a command status, deriving its outcome.
pub fn command(status: CommandStatusResponse) -> pb::Command {
    let state = command_state(&status.status);
    let results = status.results.map(results);
    let outcome = outcome(state, results.as_ref());
    pb::Command {
        id: status.id,
        status: state as i32,
        raw_status: status.status,
        outcome: outcome as i32,
        results,
    }
}

/// Converts a context status.
pub fn context_status(status: ContextStatusResponse) -> pb::ContextStatusResponse {
    let state = match status.status.as_str() {
        "Pending" => ContextState::Pending,
        "Running" => ContextState::Running,
        "Error" => ContextState::Error,
        _ => ContextState::Unspecified,
    };
    pb::ContextStatusResponse {
        context_id: status.id,
        status: state as i32,
        raw_status: status.status,
    }
}

/// True once a command can change no more.
pub fn is_terminal(command: &pb::Command) -> bool {
    command.outcome != CommandOutcome::Unspecified as i32
}

fn command_state(raw: &str) -> CommandState {
    match raw {
        "Queued" => CommandState::Queued,
        "Running" => CommandState::Running,
        "Finished" => CommandState::Finished,
        "Cancelling" => CommandState::Cancelling,
        "Cancelled" => CommandState::Cancelled,
        "Error" => CommandState::Error,
        _ => CommandState::Unspecified,
    }
}

/// Success is `Finished` without an error result; a user error is `Finished`
/// with one.
fn outcome(state: CommandState, results: Option<&pb::CommandResults>) -> CommandOutcome {
    let is_error = matches!(
        results.and_then(|r| r.result.as_ref()),
        Some(pb::command_results::Result::Error(_))
    );
    match state {
        CommandState::Finished if is_error => CommandOutcome::UserError,
        CommandState::Finished => CommandOutcome::Succeeded,
        CommandState::Error => CommandOutcome::Failed,
        CommandState::Cancelled => CommandOutcome::Cancelled,
        _ => CommandOutcome::Unspecified,
    }
}

fn results(results: Results) -> pb::CommandResults {
    use pb::command_results::Result as Kind;
    let result_type = results.result_type.clone().unwrap_or_default();
    let truncated = results.truncated.unwrap_or(false);
    let result = match result_type.as_str() {
        "text" => {
            let data = match &results.data {
                Some(Value::String(text)) => text.clone(),
                Some(Value::Null) | None => String::new(),
                Some(other) => other.to_string(),
            };
            Kind::Text(pb::TextResult {
                text: strip_out_prefixes(&data),
                data,
            })
        }
        "table" => Kind::Table(table(&results)),
        "error" => Kind::Error(error(&results)),
        "image" => Kind::Image(pb::ImageResult {
            file_name: results.file_name.unwrap_or_default(),
        }),
        "images" => Kind::Images(pb::ImagesResult {
            file_names: results.file_names.unwrap_or_default(),
        }),
        _ => Kind::UnrecognizedJson(serde_json::to_string(&results).unwrap_or_default()),
    };
    results_limit::limit(
        pb::CommandResults {
            result_type,
            truncated,
            result: Some(result),
            truncation_message: String::new(),
        },
        MAX_RESULTS_BYTES,
    )
}

fn table(results: &Results) -> pb::TableResult {
    let schema = results
        .schema
        .iter()
        .flatten()
        .map(|column| pb::TableColumn {
            name: as_text(&column["name"]),
            r#type: as_text(&column["type"]),
            metadata: as_text(&column["metadata"]),
        })
        .collect();
    let data = match &results.data {
        Some(Value::Array(rows)) => rows
            .iter()
            .map(|row| match to_proto(row).kind {
                Some(ProtoKind::ListValue(list)) => list,
                other => ListValue {
                    values: vec![ProtoValue { kind: other }],
                },
            })
            .collect(),
        _ => Vec::new(),
    };
    pb::TableResult {
        schema,
        data,
        is_json_schema: results.is_json_schema.unwrap_or(false),
    }
}

fn error(results: &Results) -> pb::ErrorResult {
    let raw_summary = results.summary.clone().unwrap_or_default();
    let raw_cause = results.cause.clone().unwrap_or_default();
    pb::ErrorResult {
        summary: strip_ansi(&strip_html(&raw_summary)).trim().to_owned(),
        cause: strip_ansi(&raw_cause),
        raw_summary,
        raw_cause,
    }
}

/// A JSON string as-is; any other JSON value as its text (`null` → empty).
fn as_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// `value` as a `google.protobuf.Value`.
pub(crate) fn to_proto(value: &Value) -> ProtoValue {
    let kind = match value {
        Value::Null => ProtoKind::NullValue(0),
        Value::Bool(b) => ProtoKind::BoolValue(*b),
        // Integers beyond 2^53 lose precision as doubles; keep them exact as text.
        Value::Number(n) => match n.as_f64() {
            Some(f) if n.is_f64() || f.abs() < 9_007_199_254_740_992.0 => ProtoKind::NumberValue(f),
            _ => ProtoKind::StringValue(n.to_string()),
        },
        Value::String(s) => ProtoKind::StringValue(s.clone()),
        Value::Array(items) => ProtoKind::ListValue(ListValue {
            values: items.iter().map(to_proto).collect(),
        }),
        Value::Object(map) => ProtoKind::StructValue(prost_types::Struct {
            fields: map.iter().map(|(k, v)| (k.clone(), to_proto(v))).collect(),
        }),
    };
    ProtoValue { kind: Some(kind) }
}

#[cfg(test)]
mod tests;
