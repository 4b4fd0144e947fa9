//! The 2.0 error bodies of `databricks-rest-examples.json` through the
//! parser: `{"error_code", "message", "details"}`, with their headers.

use serde_json::json;

use super::response::{ALL, CREATE, Expected, INSTALL, Response, STATUS, plain};

/// The 2.0 `{"error_code", "message"}` shape, without details or headers.
#[test]
fn the_2_0_shape() {
    let cases = [
        (
            "error_libraries_cluster_does_not_exist",
            STATUS,
            400,
            r#"{"error_code": "INVALID_PARAMETER_VALUE", "message": "Cluster 1005-abcd does not exist"}"#,
            plain(
                "INVALID_PARAMETER_VALUE",
                "Cluster 1005-abcd does not exist",
            ),
        ),
        (
            "error_libraries_install_missing_field",
            INSTALL,
            400,
            r#"{"error_code": "INVALID_PARAMETER_VALUE", "message": "Missing required field: cluster_id"}"#,
            plain(
                "INVALID_PARAMETER_VALUE",
                "Missing required field: cluster_id",
            ),
        ),
        (
            "error_libraries_uninstall_empty_list_legacy",
            "POST /api/2.0/libraries/uninstall",
            500,
            r#"{"error_code": "INTERNAL_ERROR", "message": "Unexpected error"}"#,
            plain("INTERNAL_ERROR", "Unexpected error"),
        ),
        (
            "error_resource_exhausted_no_retry_after",
            CREATE,
            429,
            r#"{"error_code": "RESOURCE_EXHAUSTED", "message": "Too many requests. Please wait a moment and try again."}"#,
            plain(
                "RESOURCE_EXHAUSTED",
                "Too many requests. Please wait a moment and try again.",
            ),
        ),
        (
            "error_temporarily_unavailable",
            STATUS,
            503,
            r#"{"error_code": "TEMPORARILY_UNAVAILABLE", "message": "The service at /api/2.0/libraries/cluster-status is temporarily unavailable. Please try again later."}"#,
            plain(
                "TEMPORARILY_UNAVAILABLE",
                "The service at /api/2.0/libraries/cluster-status is temporarily unavailable. Please try again later.",
            ),
        ),
        (
            "error_1_2_cluster_not_running",
            CREATE,
            400,
            r#"{"error_code": "INVALID_STATE", "message": "Cluster 0923-164208-abcd1234 is not running."}"#,
            plain(
                "INVALID_STATE",
                "Cluster 0923-164208-abcd1234 is not running.",
            ),
        ),
    ];
    for (example, endpoint, status, body, expected) in cases {
        let error = Response {
            example,
            endpoint,
            status,
            headers: &[],
            body,
        }
        .check(expected);
        assert!(error.details.is_empty(), "{example}");
    }
}

/// Example `error_permission_denied`: ErrorInfo and RequestInfo details;
/// the request id comes from RequestInfo.
#[test]
fn details_with_a_request_info() {
    let error = Response {
        example: "error_permission_denied",
        endpoint: INSTALL,
        status: 403,
        headers: &[],
        body: r#"{"error_code": "PERMISSION_DENIED",
            "message": "User svc-deployer@example.com does not have Manage permissions on cluster 0923-164208-abcd1234.",
            "details": [
              {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "PERMISSION_DENIED", "domain": "", "metadata": {}},
              {"@type": "type.googleapis.com/google.rpc.RequestInfo", "request_id": "7f1c2d3e-0000-4a5b-9c8d-1234567890ab", "serving_data": ""}]}"#,
    }
    .check(Expected {
        error_code: "PERMISSION_DENIED",
        message: "User svc-deployer@example.com does not have Manage permissions on cluster 0923-164208-abcd1234.",
        request_id: Some("7f1c2d3e-0000-4a5b-9c8d-1234567890ab"),
        retry_after: None,
    });
    assert_eq!(error.details.len(), 2);
    assert_eq!(error.details[0]["reason"], json!("PERMISSION_DENIED"));
}

/// Example `error_invalid_state_cluster_start_race`: an ErrorInfo alone (no
/// request id in the body), with and without an `x-request-id` (or
/// `x-databricks-request-id`) header.
#[test]
fn details_without_a_request_info() {
    const BODY: &str = r#"{"error_code": "INVALID_STATE",
        "message": "Cluster 0923-164208-abcd1234 is in unexpected state Pending.",
        "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "CM_API_ERROR_SOURCE_CALLER_ERROR", "domain": ""}]}"#;
    let message = "Cluster 0923-164208-abcd1234 is in unexpected state Pending.";
    let mut response = Response {
        example: "error_invalid_state_cluster_start_race",
        endpoint: "POST /api/2.0/clusters/start",
        status: 400,
        headers: &[],
        body: BODY,
    };
    let error = response.check(plain("INVALID_STATE", message));
    assert_eq!(
        error.details,
        [
            json!({"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "CM_API_ERROR_SOURCE_CALLER_ERROR", "domain": ""})
        ]
    );
    response.headers = &[("x-request-id", "req-42")];
    response.check(Expected {
        request_id: Some("req-42"),
        ..plain("INVALID_STATE", message)
    });
    response.headers = &[("x-databricks-request-id", "req-43")];
    response.check(Expected {
        request_id: Some("req-43"),
        ..plain("INVALID_STATE", message)
    });
}

/// Example `error_invalid_token_numeric_code`: a numeric code, with the
/// reason-phrase header Databricks sends for it.
#[test]
fn a_numeric_error_code() {
    Response {
        example: "error_invalid_token_numeric_code",
        endpoint: ALL,
        status: 403,
        headers: &[
            ("content-type", "application/json; charset=utf-8"),
            ("x-databricks-reason-phrase", "Invalid access token."),
        ],
        body: r#"{"error_code": 403, "message": "Invalid access token."}"#,
    }
    .check(plain("403", "Invalid access token."));
}

/// Example `error_rate_limited`: `Retry-After` in seconds.
#[test]
fn a_rate_limit_with_retry_after() {
    Response {
        example: "error_rate_limited",
        endpoint: STATUS,
        status: 429,
        headers: &[("retry-after", "3")],
        body: r#"{"error_code": "REQUEST_LIMIT_EXCEEDED", "message": "Your request was rejected because the workspace exceeded the request rate limit. Please retry later."}"#,
    }
    .check(Expected {
        retry_after: Some(3),
        ..plain(
            "REQUEST_LIMIT_EXCEEDED",
            "Your request was rejected because the workspace exceeded the request rate limit. Please retry later.",
        )
    });
}
