//! The error → Status table.

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use http::{HeaderMap, StatusCode};

use super::*;

fn api(status: u16, body: &str) -> ApiError {
    ApiError::from_response(
        "GET /api/2.0/x",
        StatusCode::from_u16(status).unwrap(),
        &HeaderMap::new(),
        body.as_bytes(),
    )
}

#[test]
fn table_matches_the_issue() {
    let cases = [
        (
            400,
            r#"{"error_code":"INVALID_PARAMETER_VALUE","message":"bad"}"#,
            Code::InvalidArgument,
        ),
        (
            400,
            r#"{"error_code":"INVALID_PARAMETER_VALUE","message":"Cluster x does not exist"}"#,
            Code::NotFound,
        ),
        (
            400,
            r#"{"error_code":"INVALID_STATE","message":"Cluster x is in unexpected state Pending."}"#,
            Code::FailedPrecondition,
        ),
        (
            404,
            r#"{"error_code":"RESOURCE_DOES_NOT_EXIST","message":"gone"}"#,
            Code::NotFound,
        ),
        (401, "", Code::Unauthenticated),
        (
            403,
            r#"{"error_code":403,"message":"Invalid access token."}"#,
            Code::PermissionDenied,
        ),
        (404, "", Code::NotFound),
        (409, "", Code::FailedPrecondition),
        (
            429,
            r#"{"error_code":"REQUEST_LIMIT_EXCEEDED","message":"slow"}"#,
            Code::ResourceExhausted,
        ),
        (
            500,
            r#"{"error_code":"INTERNAL_ERROR","message":"Unexpected error"}"#,
            Code::Unavailable,
        ),
        (502, "", Code::Unavailable),
        (
            503,
            "<html><head><title>x</title></head><pre>Service Unavailable</pre></html>",
            Code::Unavailable,
        ),
        (
            400,
            r#"{"error_code":"ALREADY_EXISTS","message":"dup"}"#,
            Code::AlreadyExists,
        ),
    ];
    for (status, body, expected) in cases {
        assert_eq!(code_for(&api(status, body)), expected, "{status} {body}");
    }
}

#[test]
fn error_info_carries_code_and_http_status() {
    let status = Status::from(Error::from(api(
        400,
        r#"{"error_code":"INVALID_PARAMETER_VALUE","message":"Cluster 1005-abcd does not exist"}"#,
    )));
    assert_eq!(status.code(), Code::NotFound);
    assert!(
        status
            .message()
            .contains("Cluster 1005-abcd does not exist"),
        "{}",
        status.message()
    );
    let details = status.get_error_details();
    let info = details.error_info().unwrap();
    assert_eq!(info.reason, "INVALID_PARAMETER_VALUE");
    assert_eq!(info.domain, UPSTREAM_DOMAIN);
    assert_eq!(info.metadata["http_status"], "400");
}

#[test]
fn throttling_carries_retry_info() {
    let mut error = api(
        429,
        r#"{"error_code":"REQUEST_LIMIT_EXCEEDED","message":"slow down"}"#,
    );
    error.retry_after = Some(Duration::from_secs(3));
    let status = Status::from(Error::from(error));
    let details = status.get_error_details();
    assert_eq!(
        details.retry_info().unwrap().retry_delay,
        Some(Duration::from_secs(3))
    );
}

#[test]
fn invalid_request_names_fields() {
    let error = crate::convert::libraries_request("", &[]).unwrap_err();
    let status = Status::from(error);
    assert_eq!(status.code(), Code::InvalidArgument);
    let details = status.get_error_details();
    let fields: Vec<_> = details
        .bad_request()
        .unwrap()
        .field_violations
        .iter()
        .map(|v| v.field.clone())
        .collect();
    assert_eq!(fields, vec!["cluster_id", "libraries"]);
}

#[test]
fn timeout_is_deadline_exceeded() {
    let status = Status::from(Error::Timeout {
        endpoint: "GET /x".into(),
        after: Duration::from_secs(1),
    });
    assert_eq!(status.code(), Code::DeadlineExceeded);
}

#[test]
fn an_oversized_body_is_resource_exhausted_without_retry_info() {
    let error = Error::BodyTooLarge {
        endpoint: "GET /api/1.2/commands/status".into(),
        limit: 64,
    };
    assert_eq!(
        crate::databricks::retry::delay(&error, crate::databricks::retry::Resend::Safe, 0),
        None
    );
    let status = Status::from(error);
    assert_eq!(status.code(), Code::ResourceExhausted);
    let details = status.get_error_details();
    assert_eq!(
        details.error_info().unwrap().reason,
        "UPSTREAM_BODY_TOO_LARGE"
    );
    assert!(details.retry_info().is_none(), "repeating it cannot help");
    assert!(
        status.message().contains("64 bytes"),
        "{}",
        status.message()
    );
}

#[test]
fn shutting_down_is_unavailable_from_this_server() {
    let status = Status::from(super::ShuttingDown);
    assert_eq!(status.code(), Code::Unavailable);
    assert_eq!(status.message(), "server is shutting down");
    let details = status.get_error_details();
    let info = details.error_info().unwrap();
    assert_eq!(info.reason, "SERVER_SHUTTING_DOWN");
    assert_eq!(info.domain, LOCAL_DOMAIN);
}

#[test]
fn a_passed_deadline_is_deadline_exceeded_from_this_server() {
    let status = Status::from(super::DeadlinePassed);
    assert_eq!(status.code(), Code::DeadlineExceeded);
    let details = status.get_error_details();
    let info = details.error_info().unwrap();
    assert_eq!(info.reason, "DEADLINE_EXCEEDED");
    assert_eq!(info.domain, LOCAL_DOMAIN);
}

#[test]
fn a_context_that_failed_to_start_is_unavailable_from_this_server() {
    let status = Status::from(ContextStartFailed {
        context_id: "ctx".into(),
        cluster_id: "c1".into(),
    });
    assert_eq!(status.code(), Code::Unavailable);
    assert_eq!(
        status.message(),
        "execution context ctx on cluster c1 failed to start; try again"
    );
    let details = status.get_error_details();
    let info = details.error_info().unwrap();
    assert_eq!(info.reason, "CONTEXT_START_FAILED");
    assert_eq!(info.domain, LOCAL_DOMAIN);
    assert!(details.retry_info().is_none());
}

#[test]
fn a_context_that_did_not_start_in_time_is_deadline_exceeded_from_this_server() {
    let status = Status::from(ContextStartTimedOut {
        context_id: "ctx".into(),
        after: Duration::from_secs(600),
    });
    assert_eq!(status.code(), Code::DeadlineExceeded);
    assert_eq!(
        status.message(),
        "execution context ctx did not start within 600s"
    );
    let details = status.get_error_details();
    let info = details.error_info().unwrap();
    assert_eq!(info.reason, "CONTEXT_START_TIMEOUT");
    assert_eq!(info.domain, LOCAL_DOMAIN);
}

#[test]
fn a_full_caller_table_is_resource_exhausted_with_retry_info() {
    let status = Status::from(super::super::tenants::CallerTableFull { max_callers: 2 });
    assert_eq!(status.code(), Code::ResourceExhausted);
    assert_eq!(
        status.message(),
        "this server keeps managed contexts and streams for 2 distinct caller credentials, \
         and each has some now; try again later"
    );
    let details = status.get_error_details();
    let info = details.error_info().unwrap();
    assert_eq!(info.reason, "CALLER_TABLE_FULL");
    assert_eq!(info.domain, LOCAL_DOMAIN);
    assert!(details.retry_info().is_some(), "callers may try again");
}

/// The three spellings of "no such cluster" (user-pain.md rule 2) are all
/// NOT_FOUND; other 400s that merely mention a cluster stay INVALID_ARGUMENT.
#[test]
fn every_spelling_of_a_gone_cluster_is_not_found() {
    for (status, body) in [
        (
            400,
            r#"{"error_code":"INVALID_PARAMETER_VALUE","message":"Cluster 0101-120000-abcd1234 does not exist"}"#,
        ),
        (
            400,
            r#"{"error_code":"INVALID_PARAMETER_VALUE","message":"Cannot access cluster 0101-120000-abcd1234 that was terminated or unpinned more than 30 days ago."}"#,
        ),
        (
            404,
            r#"{"error_code":"RESOURCE_DOES_NOT_EXIST","message":"Cluster 0101-120000-abcd1234 does not exist"}"#,
        ),
    ] {
        assert_eq!(code_for(&api(status, body)), Code::NotFound, "{body}");
    }
    let other = api(
        400,
        r#"{"error_code":"INVALID_PARAMETER_VALUE","message":"Cannot access cluster x: num_workers must be positive"}"#,
    );
    assert_eq!(code_for(&other), Code::InvalidArgument);
}

#[test]
fn a_cluster_that_cannot_be_started_is_a_failed_precondition() {
    let status = Status::from(ClusterNotStartable {
        cluster_id: "c".into(),
        state: "ERROR".into(),
        state_message: "driver lost".into(),
    });
    assert_eq!(status.code(), Code::FailedPrecondition);
    assert_eq!(
        status.message(),
        "cluster c is ERROR (driver lost), so it cannot be started"
    );
}

#[test]
fn a_library_that_failed_to_install_is_a_failed_precondition_with_its_messages() {
    let status = Status::from(LibrariesFailed {
        cluster_id: "c".into(),
        failures: vec![(
            "pypi nope (nope==1)".into(),
            vec!["ERROR: No matching distribution found for nope==1".into()],
        )],
    });
    assert_eq!(status.code(), Code::FailedPrecondition);
    assert_eq!(
        status.message(),
        "on cluster c, pypi nope (nope==1) FAILED: ERROR: No matching distribution found for nope==1"
    );
    let details = status.get_error_details();
    let info = details.error_info().unwrap();
    assert_eq!(
        (info.reason.as_str(), info.domain.as_str()),
        ("LIBRARY_INSTALL_FAILED", LOCAL_DOMAIN)
    );
}
