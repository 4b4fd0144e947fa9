//! ReplaceLibrary: across every cluster that has the library, one cluster
//! failing without stopping the others, dry runs, and bad inputs.

use databricks_grpc::proto::compute::{self as pb, RestartPolicy};
use tonic::Code;

use super::{jar, mutating_calls, restart_calls};
use crate::helpers::{RUNNING, TestApp};

/// What `seed_workspace` installs as library 1 on every workspace cluster.
const OLD: &str = "/Volumes/main/default/jars/lib-001-1.0.0.jar";
/// The new build, under another directory: identity ignores it.
const NEW: &str = "s3://ci-artifacts/jars/lib-001-2.0.0-cccccccccccc.jar";

fn workspace_cluster(number: usize) -> String {
    format!("0202-000000-w{number:07}")
}

async fn run(
    app: &mut TestApp,
    request: pb::ReplaceLibraryRequest,
) -> Vec<pb::ReplaceLibraryResponse> {
    let mut stream = app
        .client
        .replace_library(request)
        .await
        .unwrap()
        .into_inner();
    let mut messages = Vec::new();
    while let Some(message) = stream.message().await.unwrap() {
        messages.push(message);
    }
    messages
}

fn last_per_cluster(messages: &[pb::ReplaceLibraryResponse]) -> Vec<&pb::ReplaceLibraryResponse> {
    messages.iter().filter(|message| message.done).collect()
}

#[tokio::test]
async fn replaces_on_every_cluster_that_has_the_library() {
    let mut app = TestApp::spawn().await;
    app.emulator().seed_workspace(3, 2);
    let messages = run(
        &mut app,
        pb::ReplaceLibraryRequest {
            library: Some(jar(NEW)),
            all_clusters: true,
            restart: RestartPolicy::IfNeeded as i32,
            ..Default::default()
        },
    )
    .await;
    let done = last_per_cluster(&messages);
    let clusters: Vec<&str> = done.iter().map(|m| m.cluster_id.as_str()).collect();
    assert_eq!(
        clusters,
        [
            workspace_cluster(1),
            workspace_cluster(2),
            workspace_cluster(3)
        ]
    );
    for message in done {
        assert!(message.error.is_empty(), "{message:?}");
        let plan = message.plan.as_ref().unwrap();
        assert_eq!(plan.install, [jar(NEW)]);
        assert_eq!(plan.uninstall, [jar(OLD)]);
        // The other seeded library (a wheel) and the library for all clusters stay.
        assert_eq!(plan.foreign.len(), 2, "{plan:?}");
    }
    assert_eq!(restart_calls(&app), 3);
    assert_eq!(app.upstream_calls("/api/2.0/libraries/install").len(), 3);
    app.stop().await;
}

#[tokio::test]
async fn one_failing_cluster_does_not_stop_the_others() {
    let mut app = TestApp::spawn().await;
    app.emulator().seed_workspace(2, 2);
    let missing = "0000-000000-nosuchcl";
    let messages = run(
        &mut app,
        pb::ReplaceLibraryRequest {
            library: Some(jar(NEW)),
            cluster_ids: vec![workspace_cluster(1), missing.into(), workspace_cluster(2)],
            restart: RestartPolicy::Never as i32,
            ..Default::default()
        },
    )
    .await;
    let done = last_per_cluster(&messages);
    assert_eq!(done.len(), 3, "{messages:#?}");
    assert_eq!(done[1].cluster_id, missing);
    assert_eq!(done[1].error, "NOT_FOUND");
    assert!(done[1].message.contains(missing), "{}", done[1].message);
    for ok in [done[0], done[2]] {
        assert!(ok.error.is_empty(), "{ok:?}");
        assert!(
            ok.restart_required,
            "NEVER leaves the restart to the caller: {ok:?}"
        );
    }
    assert_eq!(app.upstream_calls("/api/2.0/libraries/install").len(), 2);
    assert_eq!(restart_calls(&app), 0);
    app.stop().await;
}

#[tokio::test]
async fn dry_run_plans_without_a_single_change() {
    let mut app = TestApp::spawn().await;
    app.emulator().seed_workspace(2, 2);
    let messages = run(
        &mut app,
        pb::ReplaceLibraryRequest {
            library: Some(jar(NEW)),
            all_clusters: true,
            restart: RestartPolicy::IfNeeded as i32,
            dry_run: true,
            ..Default::default()
        },
    )
    .await;
    assert_eq!(messages.len(), 2, "{messages:#?}");
    for message in &messages {
        assert!(message.done && message.error.is_empty(), "{message:?}");
        assert!(message.restart_required);
        assert!(
            message.message.starts_with("dry run"),
            "{}",
            message.message
        );
        assert_eq!(message.plan.as_ref().unwrap().uninstall, [jar(OLD)]);
    }
    assert_eq!(mutating_calls(&app), 0);
    app.stop().await;
}

#[tokio::test]
async fn bad_replace_requests_make_no_upstream_call() {
    let mut app = TestApp::spawn().await;
    let cases = [
        pb::ReplaceLibraryRequest::default(),
        pb::ReplaceLibraryRequest {
            library: Some(jar(NEW)),
            ..Default::default()
        },
        pb::ReplaceLibraryRequest {
            library: Some(jar(NEW)),
            cluster_ids: vec![RUNNING.into()],
            all_clusters: true,
            ..Default::default()
        },
        pb::ReplaceLibraryRequest {
            library: Some(jar(NEW)),
            cluster_ids: vec![RUNNING.into(), RUNNING.into()],
            ..Default::default()
        },
    ];
    for request in cases {
        let status = app
            .client
            .replace_library(request.clone())
            .await
            .err()
            .unwrap_or_else(|| panic!("accepted {request:?}"));
        assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    }
    assert_eq!(app.api_calls(), 0);
    app.stop().await;
}
