//! Error and validation paths: what the caller sees for every kind of failure.

use std::time::Duration;

use axum::{
    Router,
    http::{StatusCode, header},
    response::IntoResponse,
    routing::{any, get},
};
use databricks_grpc::{config::Secret, proto::compute as pb};
use tonic::Code;
use tonic_types::StatusExt;

use crate::helpers::{RUNNING, TestApp, pypi, spawn_canned_upstream, unreachable_url};

fn fields(status: &tonic::Status) -> Vec<String> {
    let details = status.get_error_details();
    details
        .bad_request()
        .map(|b| b.field_violations.iter().map(|v| v.field.clone()).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn invalid_requests_are_rejected_before_any_upstream_call() {
    let mut app = TestApp::spawn().await;
    let cases: Vec<(pb::InstallRequest, Vec<&str>)> = vec![
        (
            pb::InstallRequest {
                cluster_id: String::new(),
                libraries: vec![pypi("x")],
            },
            vec!["cluster_id"],
        ),
        (
            pb::InstallRequest {
                cluster_id: RUNNING.into(),
                libraries: vec![],
            },
            vec!["libraries"],
        ),
        (
            pb::InstallRequest {
                cluster_id: RUNNING.into(),
                libraries: vec![pb::Library { kind: None }],
            },
            vec!["libraries[0]"],
        ),
        (
            pb::InstallRequest {
                cluster_id: RUNNING.into(),
                libraries: vec![pypi("")],
            },
            vec!["libraries[0].pypi.package"],
        ),
        (
            pb::InstallRequest {
                cluster_id: RUNNING.into(),
                libraries: vec![pb::Library {
                    kind: Some(pb::library::Kind::Maven(pb::MavenLibrary {
                        coordinates: "org.jsoup:jsoup".into(),
                        ..Default::default()
                    })),
                }],
            },
            vec!["libraries[0].maven.coordinates"],
        ),
    ];
    for (request, expected) in cases {
        let status = app.client.install(request.clone()).await.unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument, "{request:?}");
        assert_eq!(fields(&status), expected, "{request:?}");
        assert!(
            status.message().contains(expected[0]),
            "message names the field: {}",
            status.message()
        );
        let status = app
            .client
            .uninstall(pb::UninstallRequest {
                cluster_id: request.cluster_id,
                libraries: request.libraries,
            })
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument);
    }
    let status = app
        .client
        .cluster_status(pb::ClusterStatusRequest {
            cluster_id: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(fields(&status), vec!["cluster_id"]);
    let status = app
        .client
        .all_statuses(pb::AllStatusesRequest {
            page_size: 10,
            page_token: "not-a-token".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(fields(&status), vec!["page_token"]);
    assert_eq!(
        app.api_calls(),
        0,
        "validation must happen before any upstream call"
    );
    app.stop().await;
}

#[tokio::test]
async fn unknown_cluster_is_not_found_with_error_info() {
    let mut app = TestApp::spawn().await;
    let status = app
        .client
        .cluster_status(pb::ClusterStatusRequest {
            cluster_id: "1005-abcd".into(),
        })
        .await
        .unwrap_err();
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
    assert_eq!(info.metadata["http_status"], "400");
    let status = app
        .client
        .install(pb::InstallRequest {
            cluster_id: "1005-abcd".into(),
            libraries: vec![pypi("requests")],
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    app.stop().await;
}

#[tokio::test]
async fn a_wrong_token_is_permission_denied_and_never_echoed() {
    let emulator = crate::helpers::spawn_emulator(Default::default()).await;
    let mut app =
        TestApp::spawn_against(&emulator.url(), Secret::new("dapi-wrong-token-123")).await;
    let status = app
        .client
        .all_statuses(pb::AllStatusesRequest::default())
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);
    assert!(
        status.message().contains("Invalid access token"),
        "{}",
        status.message()
    );
    assert!(!format!("{status:?}").contains("dapi-wrong-token-123"));
    app.stop().await;
    emulator.shutdown();
    emulator.join().await.unwrap();
}

#[tokio::test]
async fn unreachable_upstream_is_unavailable() {
    let mut app = TestApp::spawn_against(&unreachable_url().await, Secret::new("t")).await;
    let status = app
        .client
        .all_statuses(pb::AllStatusesRequest::default())
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Unavailable, "{status:?}");
    assert!(
        status.message().contains("not sent"),
        "{}",
        status.message()
    );
    app.stop().await;
}

/// A fake Databricks that answers every path with one canned response.
async fn canned(status: StatusCode, content_type: &'static str, body: &'static str) -> TestApp {
    let router = Router::new().fallback(any(move || async move {
        (
            status,
            [
                (header::CONTENT_TYPE, content_type),
                (header::RETRY_AFTER, "7"),
            ],
            body,
        )
            .into_response()
    }));
    TestApp::spawn_against(&spawn_canned_upstream(router).await, Secret::new("t")).await
}

#[tokio::test]
async fn non_json_error_bodies_become_clear_statuses() {
    let html = "<html><head><title>Error 503 Service Unavailable</title></head><body><pre>    Service Unavailable</pre></body></html>";
    let cases = [
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "text/html",
            html,
            Code::Unavailable,
            "Service Unavailable",
            "SERVICE_UNAVAILABLE",
        ),
        (
            StatusCode::BAD_GATEWAY,
            "text/plain",
            "",
            Code::Unavailable,
            "Bad Gateway",
            "BAD_GATEWAY",
        ),
        (
            StatusCode::BAD_REQUEST,
            "text/plain",
            "MALFORMED_REQUEST: Invalid request payload",
            Code::InvalidArgument,
            "Invalid request payload",
            "MALFORMED_REQUEST",
        ),
        (
            StatusCode::UNAUTHORIZED,
            "application/json",
            r#"{"error_code":"UNAUTHENTICATED","message":"no creds"}"#,
            Code::Unauthenticated,
            "no creds",
            "UNAUTHENTICATED",
        ),
        (
            StatusCode::TOO_MANY_REQUESTS,
            "application/json",
            r#"{"error_code":"REQUEST_LIMIT_EXCEEDED","message":"slow down"}"#,
            Code::ResourceExhausted,
            "slow down",
            "REQUEST_LIMIT_EXCEEDED",
        ),
        (
            StatusCode::CONFLICT,
            "application/json",
            r#"{"error_code":"RESOURCE_CONFLICT","message":"busy"}"#,
            Code::FailedPrecondition,
            "busy",
            "RESOURCE_CONFLICT",
        ),
        (
            StatusCode::NOT_FOUND,
            "application/json",
            r#"{"error_code":"RESOURCE_DOES_NOT_EXIST","message":"gone"}"#,
            Code::NotFound,
            "gone",
            "RESOURCE_DOES_NOT_EXIST",
        ),
    ];
    for (http_status, content_type, body, code, message, reason) in cases {
        let mut app = canned(http_status, content_type, body).await;
        let status = app
            .client
            .cluster_status(pb::ClusterStatusRequest {
                cluster_id: RUNNING.into(),
            })
            .await
            .unwrap_err();
        assert_eq!(status.code(), code, "{http_status}: {status:?}");
        assert!(
            status.message().contains(message),
            "{http_status}: {}",
            status.message()
        );
        let details = status.get_error_details();
        assert_eq!(details.error_info().unwrap().reason, reason);
        if code == Code::ResourceExhausted {
            assert_eq!(
                details.retry_info().unwrap().retry_delay,
                Some(Duration::from_secs(7))
            );
        }
        app.stop().await;
    }
}

#[tokio::test]
async fn unknown_status_and_kind_do_not_fail_the_call() {
    let router = Router::new().route(
        "/api/2.0/libraries/cluster-status",
        get(|| async {
            axum::Json(serde_json::json!({
                "cluster_id": "c1",
                "library_statuses": [
                    {"library": {"conda": {"package": "x"}}, "status": "INSTALLED"},
                    {"library": {"jar": "/Workspace/a.jar"}, "status": "QUANTUM_ENTANGLED", "is_library_for_all_clusters": false}
                ]
            }))
        }),
    );
    let mut app =
        TestApp::spawn_against(&spawn_canned_upstream(router).await, Secret::new("t")).await;
    let response = app.cluster_status("c1").await.unwrap();
    assert_eq!(response.library_statuses.len(), 2);
    assert!(response.library_statuses[0].library.is_none());
    assert_eq!(
        response.library_statuses[0].unrecognized_library_json,
        r#"{"conda":{"package":"x"}}"#
    );
    assert_eq!(
        response.library_statuses[1].status,
        pb::LibraryInstallStatus::Unspecified as i32
    );
    assert_eq!(response.library_statuses[1].raw_status, "QUANTUM_ENTANGLED");
    app.stop().await;
}

#[tokio::test]
async fn an_upstream_that_never_answers_is_deadline_exceeded() {
    let router = Router::new().fallback(any(std::future::pending::<&'static str>));
    let url = spawn_canned_upstream(router).await;
    let config = databricks_grpc::config::DatabricksConfig::new(&url, Secret::new("t"))
        .unwrap()
        .with_request_timeout(Duration::from_millis(200))
        .with_retry_timeout(Duration::from_millis(500));
    let client = databricks_grpc::databricks::Client::new(&config).unwrap();
    let error = client
        .all_cluster_statuses(Default::default())
        .await
        .unwrap_err();
    let status = tonic::Status::from(error);
    assert_eq!(status.code(), Code::DeadlineExceeded, "{status:?}");
}

#[tokio::test]
async fn command_requests_are_validated_before_any_upstream_call() {
    let mut app = TestApp::spawn().await;
    let status = app
        .client
        .execute_command(pb::ExecuteCommandRequest {
            cluster_id: RUNNING.into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(fields(&status), vec!["language", "command"]);
    let status = app
        .client
        .create_context(pb::CreateContextRequest::default())
        .await
        .unwrap_err();
    assert_eq!(fields(&status), vec!["cluster_id", "language"]);
    let status = app
        .client
        .command_status(pb::CommandStatusRequest {
            cluster_id: RUNNING.into(),
            context_id: "1".into(),
            command_id: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(fields(&status), vec!["command_id"]);
    assert_eq!(
        app.api_calls(),
        0,
        "validation must happen before any upstream call"
    );
    app.stop().await;
}
