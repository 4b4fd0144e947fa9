//! WatchCluster: each target reached, library statuses for READY, and the
//! immediate FAILED_PRECONDITION when the target is out of reach.

use databricks_grpc::{
    emulator::{EmulatorConfig, Pace},
    proto::compute::{self as pb, ClusterTarget},
};
use tokio_stream::StreamExt;
use tonic::Code;

use crate::{
    clusters::{create, create_request},
    helpers::{RUNNING, TERMINATED, TestApp, pypi},
};

async fn watch(
    app: &mut TestApp,
    cluster_id: &str,
    until: ClusterTarget,
) -> (Vec<pb::WatchClusterResponse>, Result<(), tonic::Status>) {
    let request = pb::WatchClusterRequest {
        cluster_id: cluster_id.into(),
        until: until as i32,
    };
    let mut stream = match app.client.watch_cluster(request).await {
        Ok(stream) => stream.into_inner(),
        Err(status) => return (Vec::new(), Err(status)),
    };
    let mut updates = Vec::new();
    while let Some(update) = stream.next().await {
        match update {
            Ok(update) => updates.push(update),
            Err(status) => return (updates, Err(status)),
        }
    }
    (updates, Ok(()))
}

fn raw_states(updates: &[pb::WatchClusterResponse]) -> Vec<String> {
    updates
        .iter()
        .map(|u| u.cluster.as_ref().unwrap().raw_state.clone())
        .collect()
}

/// One step per `clusters/get`: every state is seen.
async fn per_read() -> TestApp {
    TestApp::spawn_with(EmulatorConfig::default().with_pace(Pace::PerRead)).await
}

#[tokio::test]
async fn a_new_cluster_is_watched_from_pending_to_running() {
    let mut app = TestApp::spawn_with(EmulatorConfig::default().with_pace(Pace::Manual)).await;
    let id = create(&mut app, create_request("watched")).await.cluster_id;
    let request = pb::WatchClusterRequest {
        cluster_id: id.clone(),
        until: ClusterTarget::Running as i32,
    };
    let mut stream = app
        .client
        .watch_cluster(request)
        .await
        .unwrap()
        .into_inner();
    let first = stream.next().await.unwrap().unwrap();
    assert_eq!(first.cluster.as_ref().unwrap().raw_state, "PENDING");
    assert!(!first.reached);
    assert!(
        first.message.contains("Finding instances"),
        "{}",
        first.message
    );
    app.emulator().tick();
    let last = stream.next().await.unwrap().unwrap();
    assert_eq!(last.cluster.as_ref().unwrap().raw_state, "RUNNING");
    assert!(last.reached);
    assert!(stream.next().await.is_none(), "ends OK at the target");
    app.stop().await;
}

#[tokio::test]
async fn terminate_is_watched_to_terminated() {
    let mut app = per_read().await;
    app.client
        .terminate_cluster(pb::TerminateClusterRequest {
            cluster_id: RUNNING.into(),
        })
        .await
        .unwrap();
    let (updates, end) = watch(&mut app, RUNNING, ClusterTarget::Terminated).await;
    end.unwrap();
    assert_eq!(raw_states(&updates).last().unwrap(), "TERMINATED");
    assert!(updates.last().unwrap().reached);
    app.stop().await;
}

#[tokio::test]
async fn ready_waits_for_the_libraries_and_shows_them() {
    let mut app = per_read().await;
    app.install(RUNNING, vec![pypi("simplejson==3.19.2")]).await;
    let (updates, end) = watch(&mut app, RUNNING, ClusterTarget::Ready).await;
    end.unwrap();
    assert!(updates.len() >= 2, "{updates:?}");
    assert!(updates.iter().all(|u| !u.library_statuses.is_empty()));
    let last = updates.last().unwrap();
    assert!(last.reached);
    let mine = last
        .library_statuses
        .iter()
        .find(|s| !s.is_library_for_all_clusters)
        .unwrap();
    assert_eq!(mine.raw_status, "INSTALLED");
    assert!(!updates[0].reached);
    app.stop().await;
}

#[tokio::test]
async fn waiting_for_running_on_a_terminated_cluster_ends_at_once_with_the_reason() {
    let mut app = per_read().await;
    let (updates, end) = watch(&mut app, TERMINATED, ClusterTarget::Running).await;
    let status = end.unwrap_err();
    assert!(updates.is_empty());
    assert_eq!(status.code(), Code::FailedPrecondition);
    assert!(
        status.message().contains("TERMINATED"),
        "{}",
        status.message()
    );
    assert!(
        status.message().contains("INACTIVITY"),
        "{}",
        status.message()
    );
    assert_eq!(
        app.upstream_calls("/api/2.1/clusters/get").len(),
        1,
        "no waiting"
    );
    app.stop().await;
}

#[tokio::test]
async fn bad_watch_requests_make_no_upstream_call() {
    let mut app = per_read().await;
    let (_, unset) = watch(&mut app, RUNNING, ClusterTarget::Unspecified).await;
    assert_eq!(unset.unwrap_err().code(), Code::InvalidArgument);
    let (_, no_id) = watch(&mut app, "", ClusterTarget::Running).await;
    assert_eq!(no_id.unwrap_err().code(), Code::InvalidArgument);
    assert_eq!(app.api_calls(), 0);
    app.stop().await;
}
