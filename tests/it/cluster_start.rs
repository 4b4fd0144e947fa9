//! StartCluster's "ensure running": each state's path, the wait through
//! TERMINATING, and concurrent starts, counted in the emulator's journal.

use databricks_grpc::proto::compute::{self as pb, ClusterState};
use tonic::Code;

use crate::{
    clusters::{create, create_request, get, manual},
    helpers::{RUNNING, TERMINATED, TestApp, eventually},
};

const START: &str = "/api/2.1/clusters/start";

async fn start(
    app: &mut TestApp,
    cluster_id: &str,
) -> Result<pb::StartClusterResponse, tonic::Status> {
    let request = pb::StartClusterRequest {
        cluster_id: cluster_id.into(),
    };
    app.client
        .start_cluster(request)
        .await
        .map(tonic::Response::into_inner)
}

#[tokio::test]
async fn a_running_cluster_is_ok_at_once_without_a_start_call() {
    let mut app = manual().await;
    let answer = start(&mut app, RUNNING).await.unwrap();
    assert!(!answer.start_sent);
    assert_eq!(answer.cluster.unwrap().raw_state, "RUNNING");
    assert!(app.upstream_calls(START).is_empty());
    app.stop().await;
}

#[tokio::test]
async fn a_pending_or_restarting_cluster_is_ok_without_a_start_call() {
    let mut app = manual().await;
    let pending = create(&mut app, create_request("pending")).await.cluster_id;
    let answer = start(&mut app, &pending).await.unwrap();
    assert_eq!(
        (
            answer.start_sent,
            answer.cluster.unwrap().raw_state.as_str()
        ),
        (false, "PENDING")
    );
    app.client
        .restart_cluster(pb::RestartClusterRequest {
            cluster_id: RUNNING.into(),
        })
        .await
        .unwrap();
    let answer = start(&mut app, RUNNING).await.unwrap();
    assert_eq!(
        (
            answer.start_sent,
            answer.cluster.unwrap().raw_state.as_str()
        ),
        (false, "RESTARTING")
    );
    assert!(app.upstream_calls(START).is_empty());
    app.stop().await;
}

#[tokio::test]
async fn a_terminated_cluster_is_started_once() {
    let mut app = manual().await;
    let answer = start(&mut app, TERMINATED).await.unwrap();
    assert!(answer.start_sent);
    assert!(answer.message.contains("started"), "{}", answer.message);
    assert_eq!(app.upstream_calls(START).len(), 1);
    let now = get(&mut app, TERMINATED).await.unwrap();
    assert_eq!(
        ClusterState::try_from(now.state).unwrap(),
        ClusterState::Pending
    );
    app.stop().await;
}

/// TERMINATING cannot be started yet: the call reads until the cluster is
/// TERMINATED (one emulator step, taken only once the call has read it
/// terminating), then starts it.
#[tokio::test]
async fn a_terminating_cluster_is_waited_out_then_started() {
    let mut app = manual().await;
    app.client
        .terminate_cluster(pb::TerminateClusterRequest {
            cluster_id: RUNNING.into(),
        })
        .await
        .unwrap();
    let mut caller = app.client.clone();
    let call = tokio::spawn(async move {
        caller
            .start_cluster(pb::StartClusterRequest {
                cluster_id: RUNNING.into(),
            })
            .await
    });
    let reads = || app.upstream_calls("/api/2.1/clusters/get").len();
    eventually("the start call read the cluster terminating", || {
        reads() >= 1
    })
    .await;
    assert!(
        app.upstream_calls(START).is_empty(),
        "no start while TERMINATING"
    );
    app.emulator().tick();
    let answer = call.await.unwrap().unwrap().into_inner();
    assert!(answer.start_sent);
    assert_eq!(answer.cluster.unwrap().raw_state, "TERMINATED");
    assert!(reads() >= 2, "read again after the wait");
    let starts = app.upstream_calls(START);
    assert_eq!(starts.len(), 1);
    assert_eq!(starts[0].status, 200);
    app.stop().await;
}

/// Two callers start the same terminated cluster at once: both succeed and
/// only one `clusters/start` is sent (the per-cluster lock lets the second
/// read the cluster PENDING).
#[tokio::test]
async fn two_callers_starting_at_once_both_succeed() {
    let app = manual().await;
    let (mut one, mut two) = (app.client.clone(), app.client.clone());
    let request = || pb::StartClusterRequest {
        cluster_id: TERMINATED.into(),
    };
    let (first, second) = tokio::join!(one.start_cluster(request()), two.start_cluster(request()));
    let (first, second) = (first.unwrap().into_inner(), second.unwrap().into_inner());
    assert_eq!(
        [first.start_sent, second.start_sent]
            .iter()
            .filter(|sent| **sent)
            .count(),
        1
    );
    assert_eq!(app.upstream_calls(START).len(), 1);
    app.stop().await;
}

/// Two servers (so no shared lock) start the same cluster at once: a start
/// that loses the race gets INVALID_STATE, reads again, and succeeds.
#[tokio::test]
async fn two_servers_starting_at_once_both_succeed() {
    let app = manual().await;
    let token = databricks_grpc::config::Secret::new(app.emulator().token().to_owned());
    let mut other = TestApp::spawn_against(&app.emulator().url(), token).await;
    let (mut one, mut two) = (app.client.clone(), other.client.clone());
    let request = || pb::StartClusterRequest {
        cluster_id: TERMINATED.into(),
    };
    let (first, second) = tokio::join!(one.start_cluster(request()), two.start_cluster(request()));
    first.unwrap();
    second.unwrap();
    let accepted = app
        .upstream_calls(START)
        .iter()
        .filter(|call| call.status == 200)
        .count();
    assert_eq!(accepted, 1, "one start took effect");
    other.stop_server().await;
    app.stop().await;
}

#[tokio::test]
async fn a_missing_cluster_is_not_found_and_nothing_is_started() {
    let mut app = manual().await;
    let missing = start(&mut app, "0000-000000-nothere").await.unwrap_err();
    assert_eq!(missing.code(), Code::NotFound);
    assert!(app.upstream_calls(START).is_empty());
    app.stop().await;
}
