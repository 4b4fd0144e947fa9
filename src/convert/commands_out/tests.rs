//! Command results from the reference's example bodies.

use serde_json::json;

use super::*;
use crate::proto::compute::command_results::Result as Kind;

fn convert(body: Value) -> pb::Command {
    command(serde_json::from_value(body).unwrap())
}

#[test]
fn queued_has_no_outcome_yet() {
    let converted = convert(json!({"id": "c", "status": "Queued", "results": null}));
    assert_eq!(converted.status, CommandState::Queued as i32);
    assert_eq!(converted.outcome, CommandOutcome::Unspecified as i32);
    assert!(!is_terminal(&converted));
}

#[test]
fn finished_text_succeeds_and_strips_out_prefix() {
    let converted = convert(json!({"id": "c", "status": "Finished",
        "results": {"resultType": "text", "data": "Out[2]: 42"}}));
    assert_eq!(converted.outcome, CommandOutcome::Succeeded as i32);
    let Some(Kind::Text(text)) = converted.results.unwrap().result else {
        panic!("text")
    };
    assert_eq!(
        (text.text.as_str(), text.data.as_str()),
        ("42", "Out[2]: 42")
    );
}

#[test]
fn user_error_is_not_success_and_is_clean() {
    let converted = convert(json!({"id": "c", "status": "Finished", "results": {
        "resultType": "error",
        "summary": "<span class='ansi-red-fg'>ZeroDivisionError</span>: division by zero",
        "cause": "\u{1b}[0;31mZeroDivisionError\u{1b}[0m: division by zero"}}));
    assert_eq!(converted.status, CommandState::Finished as i32);
    assert_eq!(converted.outcome, CommandOutcome::UserError as i32);
    assert!(is_terminal(&converted));
    let Some(Kind::Error(error)) = converted.results.unwrap().result else {
        panic!("error")
    };
    assert_eq!(error.summary, "ZeroDivisionError: division by zero");
    assert_eq!(error.cause, "ZeroDivisionError: division by zero");
    assert!(error.raw_summary.contains("<span") && error.raw_cause.contains('\u{1b}'));
}

#[test]
fn infrastructure_error_and_cancelled() {
    let failed = convert(
        json!({"id": "c", "status": "Error", "results": {"resultType": "error", "summary": "driver gone"}}),
    );
    assert_eq!(failed.outcome, CommandOutcome::Failed as i32);
    let cancelled = convert(json!({"id": "c", "status": "Cancelled", "results": null}));
    assert_eq!(cancelled.outcome, CommandOutcome::Cancelled as i32);
    assert!(is_terminal(&cancelled));
}

#[test]
fn table_keeps_schema_rows_and_truncation() {
    let converted = convert(json!({"id": "c", "status": "Finished", "results": {
        "resultType": "table", "data": [["default", 3, true], ["sales", null, false]],
        "schema": [{"name": "databaseName", "type": "\"string\"", "metadata": "{}"},
                   {"name": "tables", "type": "\"long\"", "metadata": {}},
                   {"name": "isDefault", "type": "\"boolean\"", "metadata": "{}"}],
        "truncated": true, "isJsonSchema": true}}));
    let results = converted.results.unwrap();
    assert!(results.truncated);
    let Some(Kind::Table(table)) = results.result else {
        panic!("table")
    };
    assert_eq!(table.schema[1].name, "tables");
    assert_eq!(table.schema[1].r#type, "\"long\"");
    assert_eq!(table.schema[1].metadata, "{}");
    assert_eq!(table.data.len(), 2);
    assert_eq!(
        table.data[0].values[1].kind,
        Some(ProtoKind::NumberValue(3.0))
    );
    assert_eq!(table.data[1].values[1].kind, Some(ProtoKind::NullValue(0)));
    assert!(table.is_json_schema);
}

#[test]
fn images_and_unknown_types_are_kept() {
    let images = convert(
        json!({"id": "c", "status": "Finished", "results": {"resultType": "images", "fileNames": ["/plots/a.png", "/plots/b.png"]}}),
    );
    let Some(Kind::Images(images)) = images.results.unwrap().result else {
        panic!("images")
    };
    assert_eq!(images.file_names.len(), 2);
    let odd = convert(
        json!({"id": "c", "status": "Finished", "results": {"resultType": "hologram", "data": "x"}}),
    );
    let Some(Kind::UnrecognizedJson(raw)) = odd.results.unwrap().result else {
        panic!("raw")
    };
    assert!(raw.contains("hologram"));
}

#[test]
fn huge_integers_stay_exact() {
    let converted = convert(json!({"id": "c", "status": "Finished", "results": {
        "resultType": "table", "data": [[9_007_199_254_740_993_i64]], "schema": []}}));
    let Some(Kind::Table(table)) = converted.results.unwrap().result else {
        panic!("table")
    };
    assert_eq!(
        table.data[0].values[0].kind,
        Some(ProtoKind::StringValue("9007199254740993".into()))
    );
}
