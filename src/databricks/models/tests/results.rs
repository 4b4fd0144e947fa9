//! `CommandStatusResponse` and `Results`: the body of `commands/status`, for
//! every status and every result type of the REST reference §2.3.

use serde_json::json;

use super::{golden, refused};
use crate::databricks::models::{CommandStatusResponse, Results};

const COMMAND: &str = "3a601163-d3c7-40f9-9c61-deb92c7a2c9d";

/// `status` read as sent, and its results (which must be there).
fn finished(json: &str, status: &str) -> Results {
    let parsed: CommandStatusResponse = golden(json);
    assert_eq!(parsed.status, status);
    parsed.results.unwrap()
}

/// Examples `commands_status_queued`, `_running` and `_cancelling`:
/// `results` is `null` until the command ends; it may also be absent.
#[test]
fn no_results_before_the_end() {
    for status in ["Queued", "Running", "Cancelling"] {
        let json = format!(r#"{{"id": "{COMMAND}", "status": "{status}", "results": null}}"#);
        let parsed: CommandStatusResponse = golden(&json);
        assert_eq!(parsed.id, COMMAND);
        assert_eq!(parsed.status, status);
        assert_eq!(parsed.results, None);
    }
    let absent: CommandStatusResponse =
        golden(&format!(r#"{{"id": "{COMMAND}", "status": "Queued"}}"#));
    assert_eq!(absent.results, None);
}

/// `id` and `status` are required.
#[test]
fn a_command_status_needs_its_id_and_status() {
    assert!(
        refused::<CommandStatusResponse>(r#"{"status": "Running", "results": null}"#)
            .contains("`id`")
    );
    assert!(
        refused::<CommandStatusResponse>(&format!(r#"{{"id": "{COMMAND}"}}"#)).contains("`status`")
    );
}

/// Examples `commands_status_finished_text` and `_text_ipython_prefix`: no
/// `truncated` key means the field is unset, not false.
#[test]
fn text_results() {
    let text = finished(
        r#"{"id": "3a601163-d3c7-40f9-9c61-deb92c7a2c9d", "status": "Finished",
            "results": {"resultType": "text", "data": "3"}}"#,
        "Finished",
    );
    let expected = Results {
        result_type: Some("text".into()),
        data: Some(json!("3")),
        ..Results::default()
    };
    assert_eq!(text, expected);
    let prefixed = finished(
        r#"{"id": "3a601163-d3c7-40f9-9c61-deb92c7a2c9d", "status": "Finished",
            "results": {"resultType": "text", "data": "Out[2]: 42"}}"#,
        "Finished",
    );
    assert_eq!(prefixed.data, Some(json!("Out[2]: 42")));
}

/// Example `commands_status_finished_truncated_text`.
#[test]
fn truncated_text() {
    let results = finished(
        r#"{"id": "3a601163-d3c7-40f9-9c61-deb92c7a2c9d", "status": "Finished",
            "results": {"resultType": "text",
              "data": "line 1\nline 2\n...\n*** WARNING: max output size exceeded, skipping output. ***",
              "truncated": true}}"#,
        "Finished",
    );
    assert_eq!(results.truncated, Some(true));
    assert_eq!(
        results.data,
        Some(json!(
            "line 1\nline 2\n...\n*** WARNING: max output size exceeded, skipping output. ***"
        ))
    );
}

/// Example `commands_status_finished_table`: rows, a JSON-encoded schema,
/// `truncated: false` and `isJsonSchema: true`.
#[test]
fn table_results() {
    let results = finished(
        r#"{"id": "c0ffee00-1111-2222-3333-444455556666", "status": "Finished",
            "results": {"resultType": "table",
              "data": [["default", 3, true], ["sales", 12, false]],
              "schema": [
                {"name": "databaseName", "type": "\"string\"", "metadata": "{}"},
                {"name": "tables", "type": "\"long\"", "metadata": "{}"},
                {"name": "isDefault", "type": "\"boolean\"", "metadata": "{}"}],
              "truncated": false, "isJsonSchema": true}}"#,
        "Finished",
    );
    assert_eq!(results.result_type.as_deref(), Some("table"));
    assert_eq!(
        results.data,
        Some(json!([["default", 3, true], ["sales", 12, false]]))
    );
    let schema = results.schema.unwrap();
    assert_eq!(schema.len(), 3);
    assert_eq!(
        schema[1],
        json!({"name": "tables", "type": "\"long\"", "metadata": "{}"})
    );
    assert_eq!(results.truncated, Some(false));
    assert_eq!(results.is_json_schema, Some(true));
    assert_eq!(results.summary, None);
}

/// Example `commands_status_finished_user_error_python`: a user error is
/// `Finished` with `resultType: error`; `cause` keeps its ANSI escapes.
#[test]
fn a_python_user_error() {
    let results = finished(
        r#"{"id": "3a601163-d3c7-40f9-9c61-deb92c7a2c9d", "status": "Finished",
            "results": {"resultType": "error",
              "summary": "<span class='ansi-red-fg'>ZeroDivisionError</span>: division by zero",
              "cause": "\u001b[0;31m---------------------------------------------------------------------------\u001b[0m\n\u001b[0;31mZeroDivisionError\u001b[0m                         Traceback (most recent call last)\nFile \u001b[0;32m<command-1234>:1\u001b[0m\n\u001b[0;32m----> 1\u001b[0m \u001b[38;5;241m1\u001b[39m\u001b[38;5;241m/\u001b[39m\u001b[38;5;241m0\u001b[39m\n\n\u001b[0;31mZeroDivisionError\u001b[0m: division by zero"}}"#,
        "Finished",
    );
    assert_eq!(results.result_type.as_deref(), Some("error"));
    assert_eq!(
        results.summary.as_deref(),
        Some("<span class='ansi-red-fg'>ZeroDivisionError</span>: division by zero")
    );
    let cause = results.cause.unwrap();
    assert!(cause.starts_with("\u{1b}[0;31m-----"), "{cause:?}");
    assert!(cause.ends_with("\u{1b}[0m: division by zero"), "{cause:?}");
    assert_eq!(results.data, None);
}

/// Examples `commands_status_finished_user_error_scala_exception` and
/// `commands_status_error_infra` (status `Error`, not `Finished`).
#[test]
fn a_scala_exception_and_an_infrastructure_error() {
    let scala = finished(
        r#"{"id": "3a601163-d3c7-40f9-9c61-deb92c7a2c9d", "status": "Finished",
            "results": {"resultType": "error",
              "summary": "<div class=\"ansiout\">java.io.FileNotFoundException: No such file or directory: /mnt/missing</div>",
              "cause": "---------------------------------------------------------------------------\nExecutionError                            Traceback (most recent call last)\n...\nExecutionError: An error occurred while calling o123.ls.\nStatusCode=404\nStatusDescription=Not Found\n: java.io.FileNotFoundException: No such file or directory: /mnt/missing\n"}}"#,
        "Finished",
    );
    assert_eq!(
        scala.summary.as_deref(),
        Some(
            "<div class=\"ansiout\">java.io.FileNotFoundException: No such file or directory: /mnt/missing</div>"
        )
    );
    assert!(
        scala
            .cause
            .unwrap()
            .contains("StatusCode=404\nStatusDescription=Not Found\n")
    );
    let infra = finished(
        r#"{"id": "3a601163-d3c7-40f9-9c61-deb92c7a2c9d", "status": "Error",
            "results": {"resultType": "error",
              "summary": "Command failed: the driver became unresponsive",
              "cause": "com.databricks.backend.common.rpc.CommandCancelledException\n\tat com.databricks.spark.chauffeur.ExecContextState.shutdown(ExecContextState.scala:419)"}}"#,
        "Error",
    );
    assert_eq!(infra.result_type.as_deref(), Some("error"));
    assert_eq!(
        infra.summary.as_deref(),
        Some("Command failed: the driver became unresponsive")
    );
    assert!(
        infra
            .cause
            .unwrap()
            .starts_with("com.databricks.backend.common.rpc.CommandCancelledException\n")
    );
}

/// Example `commands_status_cancelled`: the results carry the cause.
#[test]
fn a_cancelled_command() {
    let results = finished(
        r#"{"id": "3a601163-d3c7-40f9-9c61-deb92c7a2c9d", "status": "Cancelled",
            "results": {"resultType": "error", "summary": "Command was cancelled",
              "cause": "com.databricks.backend.common.rpc.CommandCancelledException"}}"#,
        "Cancelled",
    );
    assert_eq!(results.summary.as_deref(), Some("Command was cancelled"));
    assert_eq!(
        results.cause.as_deref(),
        Some("com.databricks.backend.common.rpc.CommandCancelledException")
    );
}

/// Examples `commands_status_finished_image` (`fileName`) and
/// `commands_status_finished_images` (`fileNames`).
#[test]
fn image_results() {
    let image = finished(
        r#"{"id": "3a601163-d3c7-40f9-9c61-deb92c7a2c9d", "status": "Finished",
            "results": {"resultType": "image",
              "fileName": "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="}}"#,
        "Finished",
    );
    assert_eq!(image.result_type.as_deref(), Some("image"));
    assert!(
        image
            .file_name
            .unwrap()
            .starts_with("data:image/png;base64,iVBORw0KGgo")
    );
    assert_eq!(image.file_names, None);
    let images = finished(
        r#"{"id": "3a601163-d3c7-40f9-9c61-deb92c7a2c9d", "status": "Finished",
            "results": {"resultType": "images", "fileNames": [
              "/plots/b6a7ad70-fb2c-4353-8aed-3f1e015174a4.png",
              "/plots/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b.png"]}}"#,
        "Finished",
    );
    assert_eq!(
        images.file_names.unwrap(),
        [
            "/plots/b6a7ad70-fb2c-4353-8aed-3f1e015174a4.png",
            "/plots/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b.png"
        ]
    );
    assert_eq!(images.file_name, None);
}
