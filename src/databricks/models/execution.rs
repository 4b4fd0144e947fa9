//! Serde types for REST API 1.2 command execution (execution contexts and
//! commands), shared by the REST client and the emulator. Unlike 2.0, field
//! names are camelCase and statuses are Capitalized words.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Body of `POST /api/1.2/contexts/create`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateContextRequest {
    /// The cluster.
    pub cluster_id: String,
    /// `python`, `scala`, `sql` or `r`.
    pub language: String,
}

/// `{"id": ...}`: the answer of create, destroy, execute and cancel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdResponse {
    /// The context or command id.
    pub id: String,
}

/// Body of `GET /api/1.2/contexts/status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContextStatusResponse {
    /// The context id.
    pub id: String,
    /// `Pending`, `Running` or `Error`.
    pub status: String,
}

/// Body of `POST /api/1.2/contexts/destroy`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContextRequest {
    /// The cluster.
    pub cluster_id: String,
    /// The context.
    pub context_id: String,
}

/// Body of `POST /api/1.2/commands/execute`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecuteCommandRequest {
    /// The cluster.
    pub cluster_id: String,
    /// The context.
    pub context_id: String,
    /// `python`, `scala`, `sql` or `r`.
    pub language: String,
    /// The code to run.
    pub command: String,
}

/// Body of `POST /api/1.2/commands/cancel`; also the query of
/// `GET /api/1.2/commands/status`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CommandRequest {
    /// The cluster.
    pub cluster_id: String,
    /// The context.
    pub context_id: String,
    /// The command.
    pub command_id: String,
}

/// Body of `GET /api/1.2/commands/status`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CommandStatusResponse {
    /// The command id.
    pub id: String,
    /// `Queued`, `Running`, `Finished`, `Cancelling`, `Cancelled` or `Error`.
    pub status: String,
    /// Null or absent until the command has ended.
    #[serde(default)]
    pub results: Option<Results>,
}

/// The results of a command, as sent (camelCase on the wire). Every field is
/// optional: which ones are present depends on `result_type`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Results {
    /// `text`, `table`, `error`, `image` or `images`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result_type: Option<String>,
    /// A string for `text`; an array of row arrays for `table`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Value>,
    /// Table columns: `{"name", "type", "metadata"}` objects.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<Vec<Value>>,
    /// True when only part of the output was returned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub truncated: Option<bool>,
    /// True when each column `type` is itself JSON-encoded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_json_schema: Option<bool>,
    /// Short error text, often HTML.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// Long error text (a traceback, with ANSI colour codes for Python).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<String>,
    /// One image: a `data:` URL or a FileStore path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_name: Option<String>,
    /// Several images.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_names: Option<Vec<String>>,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn request_bodies_are_camel_case() {
        let body = ExecuteCommandRequest {
            cluster_id: "c".into(),
            context_id: "x".into(),
            language: "python".into(),
            command: "print(1)".into(),
        };
        assert_eq!(
            serde_json::to_value(&body).unwrap(),
            json!({"clusterId": "c", "contextId": "x", "language": "python", "command": "print(1)"})
        );
    }

    #[test]
    fn status_with_null_and_table_results() {
        let queued: CommandStatusResponse =
            serde_json::from_value(json!({"id": "1", "status": "Queued", "results": null}))
                .unwrap();
        assert!(queued.results.is_none());
        let table: CommandStatusResponse = serde_json::from_value(json!({
            "id": "1", "status": "Finished",
            "results": {"resultType": "table", "data": [["a", 1]],
                        "schema": [{"name": "n", "type": "\"string\"", "metadata": "{}"}],
                        "truncated": false, "isJsonSchema": true}
        }))
        .unwrap();
        let results = table.results.unwrap();
        assert_eq!(results.result_type.as_deref(), Some("table"));
        assert_eq!(results.is_json_schema, Some(true));
        assert_eq!(results.schema.unwrap().len(), 1);
    }
}
