//! The shared poll loop: many watchers of one command cost one upstream poll
//! loop; a watcher leaving stops it; WatchClusterStatus streams to settled.

use databricks_grpc::{
    emulator::{EmulatorConfig, Pace},
    proto::compute::{
        self as pb, CommandOutcome, Language, compute_service_client::ComputeServiceClient,
    },
};
use tokio_stream::StreamExt;
use tonic::transport::Channel;

use crate::{
    commands::{execute, open_stream, stream},
    helpers::{RUNNING, TERMINATED, TestApp, eventually, pypi},
};

/// The command every run uses: long enough for several polls.
const SLEEP: &str = "import time\ntime.sleep(1.5)\nprint('done')";
const STREAMS: usize = 500;
const CONNECTIONS: usize = 5;

/// Upstream `commands/status` requests for one command.
fn status_polls(app: &TestApp, command_id: &str) -> usize {
    app.upstream_calls("/api/1.2/commands/status")
        .iter()
        .filter(|e| e.query.as_deref().is_some_and(|q| q.contains(command_id)))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn five_hundred_streams_cost_what_one_stream_costs() {
    let mut app = TestApp::spawn().await;
    // One watcher.
    let single = execute(&mut app, Language::Python, SLEEP, "").await;
    let updates = stream(&mut app, &single).await;
    assert_eq!(
        updates.last().unwrap().outcome,
        CommandOutcome::Succeeded as i32
    );
    let one_stream_polls = status_polls(&app, &single.command_id);

    // 500 watchers of the same kind of command, over several connections.
    let shared = execute(&mut app, Language::Python, SLEEP, "").await;
    let mut clients = Vec::new();
    for _ in 0..CONNECTIONS {
        let url = format!("http://{}", app.grpc_addr());
        let channel = Channel::from_shared(url).unwrap().connect().await.unwrap();
        clients.push(ComputeServiceClient::new(channel));
    }
    let watchers: Vec<_> = (0..STREAMS)
        .map(|i| {
            let mut client = clients[i % CONNECTIONS].clone();
            let started = shared.clone();
            tokio::spawn(async move {
                let updates: Vec<_> = open_stream(&mut client, &started)
                    .await
                    .map(|u| u.unwrap().command.unwrap())
                    .collect()
                    .await;
                updates.last().cloned().unwrap()
            })
        })
        .collect();
    for watcher in watchers {
        let last = watcher.await.unwrap();
        assert_eq!(last.outcome, CommandOutcome::Succeeded as i32, "{last:?}");
        assert!(last.results.is_some(), "every stream sees the final result");
    }
    let many_stream_polls = status_polls(&app, &shared.command_id);
    println!(
        "upstream commands/status requests: 1 stream = {one_stream_polls}, {STREAMS} streams = {many_stream_polls}"
    );
    // Scheduling can shift one poll either way; 500 separate pollers would be ~500×.
    assert!(
        many_stream_polls <= one_stream_polls + 1,
        "1 stream: {one_stream_polls} polls, {STREAMS} streams: {many_stream_polls} polls"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_stream_whose_client_leaves_stops_polling() {
    let mut app = TestApp::spawn().await;
    let started = execute(
        &mut app,
        Language::Python,
        "import time\ntime.sleep(30)",
        "",
    )
    .await;
    let mut updates = open_stream(&mut app.client, &started).await;
    updates.next().await.unwrap().unwrap();
    assert_eq!(app.service.active_poll_loops(), 1);
    drop(updates);
    let service = app.service.clone();
    eventually("the poll loop ends", || service.active_poll_loops() == 0).await;
    let polls_after_leave = status_polls(&app, &started.command_id);
    // The loop is gone, so a later status read is the only new request.
    app.client
        .command_status(pb::CommandStatusRequest {
            cluster_id: RUNNING.into(),
            context_id: started.context_id.clone(),
            command_id: started.command_id.clone(),
        })
        .await
        .unwrap();
    assert_eq!(
        status_polls(&app, &started.command_id),
        polls_after_leave + 1
    );
    app.stop().await;
}

#[tokio::test]
async fn watch_cluster_status_streams_until_settled() {
    let mut app = TestApp::spawn_with(EmulatorConfig::default().with_pace(Pace::PerRead)).await;
    app.install(
        RUNNING,
        vec![pypi("simplejson==3.19.2"), pypi("no-such-package-xyz")],
    )
    .await;
    let updates: Vec<_> = app
        .client
        .watch_cluster_status(pb::WatchClusterStatusRequest {
            cluster_id: RUNNING.into(),
        })
        .await
        .unwrap()
        .into_inner()
        .map(Result::unwrap)
        .collect()
        .await;
    assert!(updates.len() >= 2, "progress is visible: {updates:#?}");
    assert!(updates[..updates.len() - 1].iter().all(|u| !u.settled));
    let last = updates.last().unwrap();
    assert!(last.settled);
    assert_eq!(last.cluster_state, pb::ClusterState::Running as i32);
    assert!(last.message.contains("FAILED"), "{}", last.message);
    let raw: Vec<_> = last
        .library_statuses
        .iter()
        .map(|s| s.raw_status.as_str())
        .collect();
    assert!(
        raw.contains(&"INSTALLED") && raw.contains(&"FAILED"),
        "{raw:?}"
    );
    app.stop().await;
}

#[tokio::test]
async fn watch_says_why_libraries_wait_on_a_stopped_cluster() {
    let mut app = TestApp::spawn_with(EmulatorConfig::default().with_pace(Pace::Manual)).await;
    app.install(TERMINATED, vec![pypi("pandas")]).await;
    let mut updates = app
        .client
        .watch_cluster_status(pb::WatchClusterStatusRequest {
            cluster_id: TERMINATED.into(),
        })
        .await
        .unwrap()
        .into_inner();
    let first = updates.next().await.unwrap().unwrap();
    assert!(!first.settled);
    assert_eq!(first.cluster_state, pb::ClusterState::Terminated as i32);
    assert!(first.message.contains("is TERMINATED"), "{}", first.message);
    assert!(
        first.message.contains("clusters/start"),
        "{}",
        first.message
    );
    drop(updates);
    app.stop().await;
}
