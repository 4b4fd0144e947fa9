//! `ApiErrorBody` in each JSON shape of the REST reference §3.1. What the
//! parser makes of each (with headers and status) is tested with the parser,
//! in `error/parse/tests/examples.rs`.

use serde_json::json;

use super::golden;
use crate::databricks::models::{ApiErrorBody, ErrorCode};

/// Example `error_libraries_cluster_does_not_exist`: the 2.0 shape, no details.
#[test]
fn the_2_0_shape() {
    let parsed: ApiErrorBody = golden(
        r#"{"error_code": "INVALID_PARAMETER_VALUE", "message": "Cluster 1005-abcd does not exist"}"#,
    );
    let expected = ApiErrorBody {
        error_code: Some(ErrorCode::Text("INVALID_PARAMETER_VALUE".into())),
        message: Some("Cluster 1005-abcd does not exist".into()),
        error: None,
        details: Vec::new(),
    };
    assert_eq!(parsed, expected);
}

/// Example `error_permission_denied`: `details` kept as sent, in order.
#[test]
fn the_2_0_shape_with_details() {
    let parsed: ApiErrorBody = golden(
        r#"{"error_code": "PERMISSION_DENIED",
            "message": "User svc-deployer@example.com does not have Manage permissions on cluster 0923-164208-abcd1234.",
            "details": [
              {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "PERMISSION_DENIED", "domain": "", "metadata": {}},
              {"@type": "type.googleapis.com/google.rpc.RequestInfo", "request_id": "7f1c2d3e-0000-4a5b-9c8d-1234567890ab", "serving_data": ""}
            ]}"#,
    );
    assert_eq!(
        parsed.error_code,
        Some(ErrorCode::Text("PERMISSION_DENIED".into()))
    );
    assert_eq!(
        parsed.details,
        [
            json!({"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "PERMISSION_DENIED", "domain": "", "metadata": {}}),
            json!({"@type": "type.googleapis.com/google.rpc.RequestInfo", "request_id": "7f1c2d3e-0000-4a5b-9c8d-1234567890ab", "serving_data": ""}),
        ]
    );
}

/// Example `error_invalid_token_numeric_code`: `error_code` is a number.
#[test]
fn error_code_may_be_a_number() {
    let parsed: ApiErrorBody = golden(r#"{"error_code": 403, "message": "Invalid access token."}"#);
    assert_eq!(parsed.error_code, Some(ErrorCode::Number(403)));
    assert_eq!(parsed.error_code.unwrap().to_string(), "403");
    assert_eq!(parsed.message.as_deref(), Some("Invalid access token."));
}

/// Example `error_1_2_context_gone`: the 1.2 shape, `{"error": "..."}` only.
#[test]
fn the_1_2_shape() {
    let parsed: ApiErrorBody = golden(
        r#"{"error": "ContextNotFound: Execution context 1111111111111111111 not found on cluster 0923-164208-abcd1234"}"#,
    );
    assert_eq!(
        parsed.error.as_deref(),
        Some(
            "ContextNotFound: Execution context 1111111111111111111 not found on cluster 0923-164208-abcd1234"
        )
    );
    assert_eq!(parsed.error_code, None);
    assert_eq!(parsed.message, None);
    assert!(parsed.details.is_empty());
}

/// Every field is optional, `null` reads as absent, and unknown keys (the
/// OAuth `error_description` of example `oauth_m2m_token_bad_secret`) are
/// ignored.
#[test]
fn every_field_is_optional() {
    assert_eq!(golden::<ApiErrorBody>("{}"), ApiErrorBody::default());
    let nulls: ApiErrorBody = golden(r#"{"error_code": null, "message": null, "error": null}"#);
    assert_eq!(nulls, ApiErrorBody::default());
    let oauth: ApiErrorBody = golden(
        r#"{"error": "invalid_client", "error_description": "Client authentication failed"}"#,
    );
    assert_eq!(oauth.error.as_deref(), Some("invalid_client"));
}

/// The 1.2 shape with a short text (REST reference §3.1).
#[test]
fn error_body_1_2_style() {
    let parsed: ApiErrorBody =
        serde_json::from_value(json!({"error": "ContextNotFound: gone"})).unwrap();
    assert_eq!(parsed.error.as_deref(), Some("ContextNotFound: gone"));
    assert!(parsed.error_code.is_none());
}
