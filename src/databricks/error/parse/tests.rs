//! Error-body parsing against the shapes in the Databricks reference.

use http::{HeaderMap, HeaderValue, StatusCode};

use super::*;

mod json_2_0;
mod other_shapes;
mod response;

fn parse(status: u16, headers: HeaderMap, body: &str) -> ApiError {
    let status = StatusCode::from_u16(status).unwrap();
    ApiError::from_response("GET /api/2.0/x", status, &headers, body.as_bytes())
}

#[test]
fn standard_json_with_details() {
    let body = r#"{"error_code":"PERMISSION_DENIED","message":"User x does not have Manage permissions.",
        "details":[{"@type":"type.googleapis.com/google.rpc.RequestInfo","request_id":"7f1c","serving_data":""}]}"#;
    let error = parse(403, HeaderMap::new(), body);
    assert_eq!(error.error_code, "PERMISSION_DENIED");
    assert_eq!(error.message, "User x does not have Manage permissions.");
    assert_eq!(error.request_id.as_deref(), Some("7f1c"));
    assert_eq!(error.details.len(), 1);
}

#[test]
fn numeric_error_code() {
    let error = parse(
        403,
        HeaderMap::new(),
        r#"{"error_code": 403, "message": "Invalid access token."}"#,
    );
    assert_eq!(error.error_code, "403");
    assert_eq!(error.message, "Invalid access token.");
}

#[test]
fn api_1_2_error_field_wins() {
    let error = parse(
        500,
        HeaderMap::new(),
        r#"{"error": "ClusterNotReadyException: not ready"}"#,
    );
    assert_eq!(error.message, "ClusterNotReadyException: not ready");
    assert_eq!(error.error_code, "CLUSTER_NOT_READY_EXCEPTION");
}

#[test]
fn empty_body_uses_reason_phrase() {
    let error = parse(502, HeaderMap::new(), "");
    assert_eq!(error.error_code, "BAD_GATEWAY");
    assert_eq!(error.message, "Bad Gateway");
}

#[test]
fn html_from_a_proxy() {
    let body = "<html><head><title>Error 503 Service Unavailable</title></head><body><h2>HTTP ERROR 503</h2>\
        <p>Problem accessing /api. Reason:<pre>    Service Unavailable</pre></p></body></html>";
    let error = parse(503, HeaderMap::new(), body);
    assert_eq!(error.error_code, "SERVICE_UNAVAILABLE");
    assert_eq!(error.message, "Service Unavailable");
}

#[test]
fn html_without_pre_uses_title() {
    let error = parse(
        502,
        HeaderMap::new(),
        "<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head></html>",
    );
    assert_eq!(error.message, "502 Bad Gateway");
}

#[test]
fn plain_text_code_prefix() {
    let error = parse(
        400,
        HeaderMap::new(),
        "MALFORMED_REQUEST: Invalid request payload",
    );
    assert_eq!(error.error_code, "MALFORMED_REQUEST");
    assert_eq!(error.message, "Invalid request payload");
}

#[test]
fn anything_else_is_unknown_and_cut() {
    let error = parse(500, HeaderMap::new(), &"x".repeat(1000));
    assert_eq!(error.error_code, "UNKNOWN");
    assert!(error.message.chars().count() <= RAW_BODY_LIMIT + 1);
}

#[test]
fn retry_after_and_reason_header() {
    let mut headers = HeaderMap::new();
    headers.insert("retry-after", HeaderValue::from_static("3"));
    headers.insert(
        "x-databricks-reason-phrase",
        HeaderValue::from_static("Slow down"),
    );
    let error = parse(429, headers, "");
    assert_eq!(error.retry_after, Some(Duration::from_secs(3)));
    assert_eq!(error.message, "Slow down");
    assert_eq!(error.error_code, "SLOW_DOWN");
}

#[test]
fn a_1_2_error_takes_its_code_from_the_exception_it_names() {
    let mut headers = HeaderMap::new();
    // The emulator (and Databricks) may repeat the whole message here.
    headers.insert(
        "x-databricks-reason-phrase",
        HeaderValue::from_static(
            "ContextNotFound: Execution context 3655 not found on cluster 0101-120000-running1",
        ),
    );
    let body = r#"{"error":"ContextNotFound: Execution context 3655 not found on cluster 0101-120000-running1"}"#;
    let error = parse(400, headers, body);
    assert_eq!(error.error_code, "CONTEXT_NOT_FOUND");
    let error = parse(
        500,
        HeaderMap::new(),
        r#"{"error":"java.lang.RuntimeException: boom"}"#,
    );
    assert_eq!(error.error_code, "RUNTIME_EXCEPTION");
}

#[test]
fn a_sentence_in_the_reason_header_is_no_code() {
    let mut headers = HeaderMap::new();
    headers.insert(
        "x-databricks-reason-phrase",
        HeaderValue::from_static(
            "the cluster 0101-120000-running1 is being restarted, try again later",
        ),
    );
    let error = parse(400, headers, r#"{"error":"not an exception name here"}"#);
    assert_eq!(error.error_code, "BAD_REQUEST");
    assert_eq!(error.message, "not an exception name here");
}

#[test]
fn a_message_echoing_a_huge_value_is_cut() {
    let echoed = "x".repeat(1_000_000);
    let body = format!(
        r#"{{"error_code":"INVALID_PARAMETER_VALUE","message":"Cluster {echoed} does not exist"}}"#
    );
    let error = parse(400, HeaderMap::new(), &body);
    assert!(
        error.message.len() < 2 * MESSAGE_LIMIT,
        "{}",
        error.message.len()
    );
    assert!(
        error.message.starts_with("Cluster xxx"),
        "{}",
        &error.message[..40]
    );
    assert!(
        error
            .message
            .ends_with(&format!("({} bytes)", echoed.len() + 23)),
        "{}",
        &error.message[1000..]
    );
}
