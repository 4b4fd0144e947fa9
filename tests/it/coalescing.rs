//! Identical concurrent ClusterStatus reads share one upstream request.
//! A canned upstream holds each cluster's answer until the test releases it,
//! so calls overlap by construction rather than by timing.

use std::{
    collections::HashSet,
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{
    Json, Router,
    extract::{Query, State},
    http::HeaderMap,
    routing::get,
};
use databricks_grpc::{
    config::{Credentials, Secret},
    proto::compute::{
        self as pb, compute_service_client::ComputeServiceClient,
        compute_service_server::ComputeService as Rpc,
    },
};
use serde_json::{Value, json};
use tokio::{sync::watch, task::JoinHandle};
use tonic::{Code, Request, Status, transport::Channel};

use crate::{
    helpers::{TestApp, eventually, spawn_canned_upstream},
    passthrough::{ALICE_TOKEN, BOB_TOKEN, as_user},
};

/// A fake Databricks whose cluster-status answers wait for [`release`].
///
/// [`release`]: HeldUpstream::release
#[derive(Clone, Default)]
struct HeldUpstream {
    /// Every request received, as (cluster id, who it authenticated as).
    requests: Arc<Mutex<Vec<(String, String)>>>,
    released: Arc<watch::Sender<HashSet<String>>>,
}

impl HeldUpstream {
    async fn spawn() -> (Self, String) {
        let upstream = Self::default();
        let router = Router::new()
            .route("/api/2.0/libraries/cluster-status", get(answer))
            .with_state(upstream.clone());
        (upstream, spawn_canned_upstream(router).await)
    }

    /// Lets every held and future request for `cluster` be answered.
    fn release(&self, cluster: &str) {
        self.released.send_modify(|released| {
            released.insert(cluster.to_owned());
        });
    }

    fn requests_for(&self, cluster: &str) -> usize {
        self.requests
            .lock()
            .unwrap()
            .iter()
            .filter(|(id, _)| id == cluster)
            .count()
    }

    /// Who each request authenticated as, in order.
    fn principals(&self) -> Vec<String> {
        let requests = self.requests.lock().unwrap();
        requests.iter().map(|(_, who)| who.clone()).collect()
    }
}

/// Records the request and who sent it (by name: tokens never reach test
/// output), waits for its cluster's release, then answers with one library
/// named after the caller, so callers can tell whose answer they got.
async fn answer(
    State(upstream): State<HeldUpstream>,
    Query(query): Query<std::collections::HashMap<String, String>>,
    headers: HeaderMap,
) -> Json<Value> {
    let cluster = query.get("cluster_id").cloned().unwrap_or_default();
    let authorization = headers
        .get("authorization")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    let who = if authorization == format!("Bearer {ALICE_TOKEN}") {
        "alice"
    } else if authorization == format!("Bearer {BOB_TOKEN}") {
        "bob"
    } else {
        "the-server"
    };
    upstream
        .requests
        .lock()
        .unwrap()
        .push((cluster.clone(), who.to_owned()));
    let mut released = upstream.released.subscribe();
    let _ = released
        .wait_for(|released| released.contains(&cluster))
        .await;
    Json(json!({
        "cluster_id": cluster,
        "library_statuses": [{
            "library": {"pypi": {"package": format!("for-{who}")}},
            "status": "INSTALLED",
            "is_library_for_all_clusters": false
        }]
    }))
}

fn request(cluster: &str) -> pb::ClusterStatusRequest {
    pb::ClusterStatusRequest {
        cluster_id: cluster.into(),
    }
}

fn package(response: &pb::ClusterStatusResponse) -> &str {
    match &response.library_statuses[0].library {
        Some(pb::Library {
            kind: Some(pb::library::Kind::Pypi(pypi)),
        }) => &pypi.package,
        other => panic!("unexpected library {other:?}"),
    }
}

type Call = JoinHandle<Result<pb::ClusterStatusResponse, Status>>;

/// ClusterStatus for `cluster` in a task, over the app's connection.
fn spawn_call(app: &TestApp, cluster: &str) -> Call {
    spawn_call_with(app.client.clone(), cluster)
}

/// ClusterStatus for `cluster` in a task, with `client`.
fn spawn_call_with(mut client: ComputeServiceClient<Channel>, cluster: &str) -> Call {
    let request = request(cluster);
    tokio::spawn(async move {
        let response = client.cluster_status(request).await?;
        Ok(response.into_inner())
    })
}

/// Waits until `calls` ClusterStatus calls have reached the server: each
/// either sent its own upstream request or is waiting on one in flight.
async fn until_with_the_server(app: &TestApp, upstream: &HeldUpstream, calls: usize) {
    eventually("the calls to reach the server", || {
        upstream.principals().len() >= calls || app.service.cluster_status_reads_waiting() >= calls
    })
    .await;
}

/// Connections the 200 identical calls are spread over.
const CONNECTIONS: usize = 4;

#[tokio::test]
async fn two_hundred_identical_concurrent_reads_make_one_upstream_request() {
    let (upstream, url) = HeldUpstream::spawn().await;
    let app = TestApp::spawn_against(&url, Secret::new("t")).await;
    // Over several connections, so no per-connection stream limit queues them.
    let mut clients = Vec::new();
    for _ in 0..CONNECTIONS {
        let url = format!("http://{}", app.grpc_addr());
        let channel = Channel::from_shared(url).unwrap().connect().await.unwrap();
        clients.push(ComputeServiceClient::new(channel));
    }
    let calls: Vec<Call> = (0..200)
        .map(|i| spawn_call_with(clients[i % CONNECTIONS].clone(), "c1"))
        .collect();
    until_with_the_server(&app, &upstream, 200).await;
    upstream.release("c1");
    for call in calls {
        let response = call.await.unwrap().unwrap();
        assert_eq!(response.cluster_id, "c1");
        assert_eq!(package(&response), "for-the-server");
    }
    // All 200 were waiting before the answer was let through: exactly one
    // request is expected, and the goal is at most two.
    assert_eq!(upstream.requests_for("c1"), 1);
    assert_eq!(app.service.cluster_status_reads_waiting(), 0);
    app.stop().await;
}

#[tokio::test]
async fn a_read_of_one_cluster_does_not_wait_for_another() {
    let (upstream, url) = HeldUpstream::spawn().await;
    let mut app = TestApp::spawn_against(&url, Secret::new("t")).await;
    let held = spawn_call(&app, "cluster-a");
    eventually("cluster-a's request upstream", || {
        upstream.requests_for("cluster-a") == 1
    })
    .await;
    upstream.release("cluster-b");
    let other = tokio::time::timeout(Duration::from_secs(10), app.cluster_status("cluster-b"))
        .await
        .expect("cluster-b must not wait for cluster-a's answer")
        .unwrap();
    assert_eq!(other.cluster_id, "cluster-b");
    assert!(!held.is_finished(), "cluster-a's answer is still held");
    upstream.release("cluster-a");
    assert_eq!(held.await.unwrap().unwrap().cluster_id, "cluster-a");
    app.stop().await;
}

#[tokio::test]
async fn a_read_after_the_answer_makes_a_new_request() {
    let (upstream, url) = HeldUpstream::spawn().await;
    let mut app = TestApp::spawn_against(&url, Secret::new("t")).await;
    upstream.release("c1");
    app.cluster_status("c1").await.unwrap();
    app.cluster_status("c1").await.unwrap();
    assert_eq!(upstream.requests_for("c1"), 2, "nothing is cached");
    app.stop().await;
}

#[tokio::test]
async fn pass_through_callers_never_share_an_answer() {
    let (upstream, url) = HeldUpstream::spawn().await;
    let app = TestApp::spawn_with_credentials(&url, Credentials::PassThrough).await;
    let mut calls = Vec::new();
    for (token, package) in [(ALICE_TOKEN, "for-alice"), (BOB_TOKEN, "for-bob")] {
        for _ in 0..10 {
            let mut client = as_user(&app, token);
            calls.push((
                package,
                tokio::spawn(async move { client.cluster_status(request("c1")).await }),
            ));
        }
    }
    until_with_the_server(&app, &upstream, 20).await;
    upstream.release("c1");
    for (expected, call) in calls {
        let response = call.await.unwrap().unwrap().into_inner();
        assert_eq!(package(&response), expected);
    }
    let mut principals = upstream.principals();
    principals.sort();
    assert_eq!(
        principals,
        ["alice", "bob"],
        "one request per caller, each with its own credential"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_caller_whose_deadline_passes_leaves_while_the_others_get_the_answer() {
    let (upstream, url) = HeldUpstream::spawn().await;
    let app = TestApp::spawn_against(&url, Secret::new("t")).await;
    let patient: Vec<Call> = (0..5).map(|_| spawn_call(&app, "c1")).collect();
    eventually("the patient calls to wait", || {
        app.service.cluster_status_reads_waiting() == 5
    })
    .await;
    // Called on the service itself, only this server's own deadline applies.
    let mut hurried = Request::new(request("c1"));
    hurried
        .metadata_mut()
        .insert("grpc-timeout", "300m".parse().unwrap());
    let status = Rpc::cluster_status(&app.service, hurried)
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::DeadlineExceeded, "{status:?}");
    // Over the wire, tonic enforces the same deadline too; either may win.
    let mut client = app.client.clone();
    let mut hurried = Request::new(request("c1"));
    hurried.set_timeout(Duration::from_millis(300));
    let status = client.cluster_status(hurried).await.unwrap_err();
    let tonic_timed_out = status.code() == Code::Cancelled && status.message() == "Timeout expired";
    assert!(
        status.code() == Code::DeadlineExceeded || tonic_timed_out,
        "{status:?}"
    );
    assert!(patient.iter().all(|call| !call.is_finished()));
    upstream.release("c1");
    for call in patient {
        assert_eq!(call.await.unwrap().unwrap().cluster_id, "c1");
    }
    assert_eq!(upstream.requests_for("c1"), 1);
    app.stop().await;
}
