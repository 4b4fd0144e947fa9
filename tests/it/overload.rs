//! Overload protection, call tracing and the drain at shutdown: a call
//! beyond a cap is refused at once with RESOURCE_EXHAUSTED and RetryInfo,
//! sending nothing upstream; a call's log lines carry its method and id;
//! a valid `traceparent` goes upstream on the call's requests; at shutdown
//! health turns NOT_SERVING, then new calls get UNAVAILABLE while the calls
//! in flight finish.

use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use axum::{Json, Router, extract::Query, http::HeaderMap, response::IntoResponse, routing::get};
use databricks_grpc::{
    config::{Credentials, Secret},
    proto::compute as pb,
};
use databricks_grpc::{
    server::ServerOptions,
    service::{caps::CallLimits, errors::LOCAL_DOMAIN},
};
use serde_json::{Value, json};
use tokio::sync::{Notify, Semaphore};
use tonic::{Code, Request, Status};
use tonic_health::pb::{
    HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient,
};
use tonic_types::StatusExt as _;

use crate::{
    helpers::{RUNNING, TRACED_MARKER, TestApp, spawn_canned_upstream, traced_log_lines},
    passthrough::{ALICE_TOKEN, BOB_TOKEN, as_user},
    plugin::harness::LIMIT,
};

/// The request id the held workspace puts on its answers.
const UPSTREAM_REQUEST_ID: &str = "req-5e1d";

/// A workspace whose cluster-status answers wait until the test lets them
/// go, one per permit; it counts the requests and keeps their
/// `traceparent` headers.
#[derive(Clone)]
struct Held {
    arrived: Arc<AtomicUsize>,
    arrival: Arc<Notify>,
    answers: Arc<Semaphore>,
    traceparents: Arc<Mutex<Vec<Option<String>>>>,
}

impl Default for Held {
    fn default() -> Self {
        Self {
            arrived: Arc::default(),
            arrival: Arc::default(),
            answers: Arc::new(Semaphore::new(0)),
            traceparents: Arc::default(),
        }
    }
}

impl Held {
    async fn spawn(self) -> String {
        let router = Router::new()
            .route(
                "/api/2.0/libraries/cluster-status",
                get(
                    move |headers: HeaderMap, Query(query): Query<Value>| async move {
                        self.answer(&headers, query).await
                    },
                ),
            )
            // A watch's poll reads the cluster too.
            .route(
                "/api/2.1/clusters/get",
                get(|Query(query): Query<Value>| async move {
                    Json(json!({"cluster_id": query["cluster_id"], "state": "RUNNING"}))
                }),
            );
        spawn_canned_upstream(router).await
    }

    async fn answer(&self, headers: &HeaderMap, query: Value) -> impl IntoResponse + use<> {
        let traceparent = headers
            .get("traceparent")
            .map(|value| value.to_str().unwrap().to_owned());
        self.traceparents.lock().unwrap().push(traceparent);
        self.arrived.fetch_add(1, Ordering::SeqCst);
        self.arrival.notify_waiters();
        self.answers.acquire().await.unwrap().forget();
        // A library still installing: a watch goes on after this answer.
        let installing =
            json!({"library": {"pypi": {"package": "simplejson"}}, "status": "INSTALLING"});
        let body = json!({"cluster_id": query["cluster_id"], "library_statuses": [installing]});
        ([("x-request-id", UPSTREAM_REQUEST_ID)], Json(body))
    }

    fn arrived(&self) -> usize {
        self.arrived.load(Ordering::SeqCst)
    }

    /// Waits until `count` requests have arrived.
    async fn until_arrived(&self, count: usize) {
        tokio::time::timeout(LIMIT, async {
            loop {
                let notified = self.arrival.notified();
                if self.arrived() >= count {
                    return;
                }
                notified.await;
            }
        })
        .await
        .expect("the upstream requests arrive");
    }

    /// Lets `count` held answers go.
    fn release(&self, count: usize) {
        self.answers.add_permits(count);
    }
}

fn caps(calls: usize, streams: usize, per_caller: usize) -> ServerOptions {
    ServerOptions::default().with_call_limits(CallLimits {
        calls,
        streams,
        per_caller,
    })
}

async fn spawn_within(held: &Held, options: ServerOptions) -> TestApp {
    let host = held.clone().spawn().await;
    let token = Secret::new("t");
    TestApp::spawn_with_server_options(
        &host,
        Credentials::Pat { token },
        Duration::from_secs(1),
        options,
    )
    .await
}

fn status_request() -> pb::ClusterStatusRequest {
    status_of(RUNNING)
}

/// Identical reads in flight share one upstream request: tests that hold
/// several calls ask about different clusters.
fn status_of(cluster_id: &str) -> pb::ClusterStatusRequest {
    pb::ClusterStatusRequest {
        cluster_id: cluster_id.into(),
    }
}

/// RESOURCE_EXHAUSTED from this server's `cap`, with a wait to retry after.
fn assert_overloaded(status: &Status, cap: &str) {
    assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
    let details = status.get_error_details();
    let info = details.error_info().unwrap();
    assert_eq!(info.reason, "SERVER_OVERLOADED");
    assert_eq!(info.domain, LOCAL_DOMAIN);
    assert_eq!(info.metadata["cap"], cap);
    let retry = details.retry_info().expect("RetryInfo");
    assert!(retry.retry_delay.is_some_and(|delay| !delay.is_zero()));
}

#[tokio::test]
async fn the_call_beyond_the_global_cap_is_refused_at_once_and_one_is_admitted_when_another_ends() {
    let held = Held::default();
    let app = spawn_within(&held, caps(2, 0, 0)).await;
    let call = |cluster_id: &'static str| {
        let mut client = app.client.clone();
        tokio::spawn(async move { client.cluster_status(status_of(cluster_id)).await })
    };
    let (mut one, mut two) = (call("cluster-1"), call("cluster-2"));
    held.until_arrived(2).await;

    let refused = app
        .client
        .clone()
        .cluster_status(status_of("cluster-3"))
        .await
        .unwrap_err();
    assert_overloaded(&refused, "global_calls");
    assert_eq!(held.arrived(), 2, "a refused call sends nothing upstream");

    held.release(1);
    let (first_done, still_running) = tokio::select! {
        done = &mut one => (done, two),
        done = &mut two => (done, one),
    };
    assert!(first_done.unwrap().is_ok());
    held.release(2);
    app.client
        .clone()
        .cluster_status(status_of("cluster-3"))
        .await
        .expect("a slot is free again");
    assert_eq!(held.arrived(), 3);
    assert!(still_running.await.unwrap().is_ok());
    app.stop().await;
}

#[tokio::test]
async fn streams_count_against_their_cap_until_they_end() {
    let held = Held::default();
    let app = spawn_within(&held, caps(0, 1, 0)).await;
    let watch = || pb::WatchClusterStatusRequest {
        cluster_id: RUNNING.into(),
    };
    let mut open = app
        .client
        .clone()
        .watch_cluster_status(watch())
        .await
        .unwrap()
        .into_inner();
    held.release(1);
    let first = tokio::time::timeout(LIMIT, open.message()).await.unwrap();
    assert!(!first.unwrap().unwrap().settled, "the watch goes on");
    // Its next poll is held: the stream stays open.
    held.until_arrived(2).await;

    let refused = app
        .client
        .clone()
        .watch_cluster_status(watch())
        .await
        .unwrap_err();
    assert_overloaded(&refused, "streams");
    assert_eq!(held.arrived(), 2, "a refused stream polls nothing");
    // Unary calls have a cap of their own.
    held.release(100);
    app.client
        .clone()
        .cluster_status(status_request())
        .await
        .unwrap();

    // The caller going away ends the stream; its slot comes back.
    drop(open);
    let admitted = tokio::time::timeout(LIMIT, async {
        loop {
            match app.client.clone().watch_cluster_status(watch()).await {
                Ok(stream) => return stream,
                Err(status) => assert_overloaded(&status, "streams"),
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .expect("the ended stream frees its slot");
    drop(admitted);
    held.release(100);
    app.stop().await;
}

#[tokio::test]
async fn the_per_caller_cap_leaves_other_callers_alone() {
    let held = Held::default();
    let host = held.clone().spawn().await;
    let app = TestApp::spawn_pass_through_within(&host, caps(0, 0, 1)).await;
    let mut alice = as_user(&app, ALICE_TOKEN);
    let mut bob = as_user(&app, BOB_TOKEN);
    let first = tokio::spawn({
        let mut alice = alice.clone();
        async move { alice.cluster_status(status_of("cluster-1")).await }
    });
    held.until_arrived(1).await;

    let refused = alice
        .cluster_status(status_of("cluster-2"))
        .await
        .unwrap_err();
    assert_overloaded(&refused, "per_caller");
    assert_eq!(held.arrived(), 1);

    let second = tokio::spawn(async move { bob.cluster_status(status_of("cluster-3")).await });
    held.until_arrived(2).await;
    held.release(100);
    assert!(first.await.unwrap().is_ok());
    assert!(second.await.unwrap().is_ok());
    alice
        .cluster_status(status_request())
        .await
        .expect("alice's slot is free again");
    app.stop().await;
}

fn traced(traceparent: &str) -> Request<pb::ClusterStatusRequest> {
    let mut request = Request::new(status_request());
    request
        .metadata_mut()
        .insert("traceparent", traceparent.parse().unwrap());
    request
}

#[tokio::test]
async fn a_valid_traceparent_goes_upstream_and_an_invalid_one_does_not() {
    let held = Held::default();
    held.release(100);
    let app = spawn_within(&held, ServerOptions::default()).await;
    let trace_id = format!("{TRACED_MARKER}aaaabbbbccccddddeeeeffff");
    let valid = format!("00-{trace_id}-00f067aa0ba902b7-01");
    let mut client = app.client.clone();
    client.cluster_status(traced(&valid)).await.unwrap();
    let invalid = "00-not-a-trace-01";
    client.cluster_status(traced(invalid)).await.unwrap();
    client.cluster_status(status_request()).await.unwrap();
    assert_eq!(
        *held.traceparents.lock().unwrap(),
        [Some(valid.clone()), None, None]
    );

    // Every line the call logged carries its method and id; the upstream
    // answer's line, with Databricks' request id, is one of them.
    let lines = traced_log_lines(&trace_id);
    let answered = |line: &&String| {
        line.contains("databricks answered")
            && line.contains("request_id")
            && line.contains(UPSTREAM_REQUEST_ID)
    };
    assert!(lines.iter().any(|line| answered(&line)), "{lines:#?}");
    for line in &lines {
        assert!(
            line.contains("/databricks.compute.v1.ComputeService/ClusterStatus"),
            "{line}"
        );
        assert!(line.contains("call_id"), "{line}");
    }
    app.stop().await;
}

#[tokio::test]
async fn at_shutdown_health_turns_first_then_new_calls_are_refused_while_one_in_flight_finishes() {
    let held = Held::default();
    // A drain limit no test reaches: the call in flight ends the drain.
    let options = ServerOptions::default().with_drain_limit(Duration::from_secs(3600));
    let mut app = spawn_within(&held, options).await;
    let mut health = HealthClient::new(app.channel.clone());
    let mut watch = health
        .watch(HealthCheckRequest {
            service: "databricks.compute.v1.ComputeService".into(),
        })
        .await
        .unwrap()
        .into_inner();
    let first = watch.message().await.unwrap().unwrap();
    assert_eq!(first.status(), ServingStatus::Serving);
    let in_flight = tokio::spawn({
        let mut client = app.client.clone();
        async move { client.cluster_status(status_request()).await }
    });
    held.until_arrived(1).await;

    app.begin_shutdown();
    let next = watch.message().await.unwrap().unwrap();
    assert_eq!(next.status(), ServingStatus::NotServing);
    // Health turned first; new calls are refused right after it. An invalid
    // request tells an admitted call (INVALID_ARGUMENT) from a refused one.
    let mut client = app.client.clone();
    let refused = tokio::time::timeout(LIMIT, async {
        loop {
            let invalid = pb::ClusterStatusRequest {
                cluster_id: String::new(),
            };
            let status = client.cluster_status(invalid).await.unwrap_err();
            if status.code() != Code::InvalidArgument {
                return status;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .expect("new calls are refused");
    assert_eq!(refused.code(), Code::Unavailable, "{refused:?}");
    assert_eq!(refused.message(), "server is shutting down");
    let details = refused.get_error_details();
    assert_eq!(details.error_info().unwrap().reason, "SERVER_SHUTTING_DOWN");
    let refused = client.cluster_status(status_request()).await.unwrap_err();
    assert_eq!(refused.code(), Code::Unavailable, "{refused:?}");
    assert_eq!(held.arrived(), 1, "a refused call sends nothing upstream");

    held.release(1);
    assert!(
        in_flight.await.unwrap().is_ok(),
        "the call in flight finishes"
    );
    drop(watch);
    tokio::time::timeout(LIMIT, app.stop_server())
        .await
        .expect("the server stops once the calls drained");
    app.stop().await;
}
