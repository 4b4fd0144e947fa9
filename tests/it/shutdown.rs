//! Stopping is bounded: health turns NOT_SERVING, open streams end with
//! UNAVAILABLE, calls still in flight at the drain limit are dropped, and
//! managed contexts are destroyed all at once within their budget.

use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use axum::{Json, Router, routing::get, routing::post};
use databricks_grpc::{
    config::{Credentials, Secret},
    emulator::{EmulatorConfig, Pace},
    proto::compute::{self as pb, Language},
    server::ServerOptions,
    service::errors::LOCAL_DOMAIN,
};
use serde_json::{Value, json};
use tokio::sync::{Notify, oneshot};
use tokio_stream::StreamExt as _;
use tonic::Code;
use tonic_health::pb::{
    HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient,
};
use tonic_types::StatusExt as _;

use crate::{
    commands::{execute, open_stream},
    helpers::{RUNNING, TestApp, eventually, pypi, spawn_canned_upstream, spawn_emulator},
    plugin::harness::LIMIT,
};

const SERVICE: &str = "databricks.compute.v1.ComputeService";

/// A command that outlives any test.
const FOREVER: &str = "import time\ntime.sleep(3600)";

/// The next item of `stream`, failing the test (not hanging it) when none
/// comes within [`LIMIT`].
async fn next_of<S: tokio_stream::Stream + Unpin>(stream: &mut S) -> Option<S::Item> {
    tokio::time::timeout(LIMIT, stream.next())
        .await
        .expect("the stream neither yielded nor ended")
}

/// The stream's end as the issue asks: UNAVAILABLE "server is shutting down"
/// from this server, then nothing.
fn assert_shutting_down(status: &tonic::Status) {
    assert_eq!(status.code(), Code::Unavailable, "{status:?}");
    assert_eq!(status.message(), "server is shutting down");
    let details = status.get_error_details();
    let info = details.error_info().unwrap();
    assert_eq!(info.reason, "SERVER_SHUTTING_DOWN");
    assert_eq!(info.domain, LOCAL_DOMAIN);
}

#[tokio::test]
async fn open_streams_end_with_unavailable_when_shutdown_starts() {
    let mut app = TestApp::spawn_with(EmulatorConfig::default().with_pace(Pace::Manual)).await;
    app.install(RUNNING, vec![pypi("never-settles")]).await;
    let mut cluster = app
        .client
        .watch_cluster_status(pb::WatchClusterStatusRequest {
            cluster_id: RUNNING.into(),
        })
        .await
        .unwrap()
        .into_inner();
    let started = execute(&mut app, Language::Python, FOREVER, "").await;
    let mut command = open_stream(&mut app.client, &started).await;
    assert!(next_of(&mut cluster).await.unwrap().is_ok());
    assert!(next_of(&mut command).await.unwrap().is_ok());

    app.begin_shutdown();
    for status in [
        next_of(&mut cluster).await.unwrap().unwrap_err(),
        next_of(&mut command).await.unwrap().map(drop).unwrap_err(),
    ] {
        assert_shutting_down(&status);
    }
    assert!(next_of(&mut cluster).await.is_none());
    assert!(next_of(&mut command).await.is_none());
    let service = app.service.clone();
    eventually("the streams' poll loops end", || {
        service.active_poll_loops() == 0
    })
    .await;
    tokio::time::timeout(LIMIT, app.stop_server())
        .await
        .expect("the server stops once its streams ended");
    assert!(app.service.managed_context_ids().is_empty());
    app.stop().await;
}

#[tokio::test]
async fn health_turns_not_serving_when_shutdown_starts() {
    let mut app = TestApp::spawn().await;
    let mut health = HealthClient::new(app.channel.clone());
    let mut watches = Vec::new();
    for service in [SERVICE, ""] {
        let request = HealthCheckRequest {
            service: service.into(),
        };
        let mut watch = health.watch(request).await.unwrap().into_inner();
        let first = next_of(&mut watch).await.unwrap().unwrap();
        assert_eq!(first.status(), ServingStatus::Serving, "{service:?}");
        watches.push(watch);
    }
    app.begin_shutdown();
    for watch in &mut watches {
        let next = next_of(watch).await.unwrap().unwrap();
        assert_eq!(next.status(), ServingStatus::NotServing);
    }
    drop(watches);
    tokio::time::timeout(LIMIT, app.stop_server())
        .await
        .expect("the server stops");
    app.stop().await;
}

#[tokio::test]
async fn new_connections_are_refused_while_the_server_drains() {
    let emulator = spawn_emulator(EmulatorConfig::default()).await;
    // A drain limit no test reaches: only the shutdown may close the listener.
    let options = ServerOptions {
        drain_limit: Duration::from_secs(3600),
        ..ServerOptions::default()
    };
    let token = Secret::new(emulator.token());
    let mut app = TestApp::spawn_with_server_options(
        &emulator.url(),
        Credentials::Pat { token },
        Duration::from_secs(1),
        options,
    )
    .await;
    app.emulator = Some(emulator);
    // A health watch keeps the connection, and so the drain, going.
    let mut watch = HealthClient::new(app.channel.clone())
        .watch(HealthCheckRequest {
            service: SERVICE.into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(next_of(&mut watch).await.unwrap().is_ok());
    app.begin_shutdown();
    let next = next_of(&mut watch).await.unwrap().unwrap();
    assert_eq!(next.status(), ServingStatus::NotServing);
    let address = app.grpc_addr();
    eventually("new connections are refused", || {
        std::net::TcpStream::connect(address).is_err()
    })
    .await;
    drop(watch);
    app.stop().await;
}

/// Tells `arrived` when a request comes in and `abandoned` when the server
/// drops it; never answers.
#[derive(Clone, Default)]
struct Hanging {
    arrived: Arc<Notify>,
    in_flight: Arc<AtomicUsize>,
    most_in_flight: Arc<AtomicUsize>,
}

/// Counts a request in flight until dropped.
struct InFlight(Hanging, Option<oneshot::Sender<()>>);

impl Hanging {
    async fn never_answer(self, abandoned: Option<oneshot::Sender<()>>) -> Json<Value> {
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.most_in_flight.fetch_max(now, Ordering::SeqCst);
        self.arrived.notify_one();
        let _in_flight = InFlight(self, abandoned);
        std::future::pending().await
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
        if let Some(abandoned) = self.1.take() {
            let _ = abandoned.send(());
        }
    }
}

/// Paused time: the drain limit (and any upstream timeout) elapse only when
/// everything waits, and the drain limit comes first.
#[tokio::test(start_paused = true)]
async fn calls_in_flight_at_the_drain_limit_are_dropped() {
    let hanging = Hanging::default();
    let (abandoned, upstream_dropped) = oneshot::channel();
    let abandoned = Arc::new(std::sync::Mutex::new(Some(abandoned)));
    let upstream = {
        let hanging = hanging.clone();
        Router::new().route(
            "/api/2.0/libraries/cluster-status",
            get(move || {
                let abandoned = abandoned.lock().unwrap().take();
                hanging.clone().never_answer(abandoned)
            }),
        )
    };
    let options = ServerOptions {
        drain_limit: Duration::from_secs(1),
        ..ServerOptions::default()
    };
    let mut app = TestApp::spawn_with_server_options(
        &spawn_canned_upstream(upstream).await,
        Credentials::Pat {
            token: Secret::new("t"),
        },
        Duration::from_secs(60),
        options,
    )
    .await;
    let mut client = app.client.clone();
    let call = tokio::spawn(async move {
        client
            .cluster_status(pb::ClusterStatusRequest {
                cluster_id: RUNNING.into(),
            })
            .await
    });
    hanging.arrived.notified().await;

    app.begin_shutdown();
    let ended = call.await.unwrap().unwrap_err();
    assert!(
        matches!(ended.code(), Code::Unknown | Code::Unavailable),
        "the call must end with its broken connection at the drain limit, not at the upstream timeout: {ended:?}"
    );
    upstream_dropped.await.unwrap();
    app.stop_server().await;
    assert_eq!(hanging.in_flight.load(Ordering::SeqCst), 0);
    app.stop().await;
}

/// A canned workspace: contexts start at once, commands are accepted, and
/// destroying a context never answers.
fn workspace_that_hangs_on_destroy(hanging: &Hanging) -> Router {
    let contexts = Arc::new(AtomicUsize::new(0));
    let hanging = hanging.clone();
    Router::new()
        .route(
            "/api/1.2/contexts/create",
            post(move || async move {
                let n = contexts.fetch_add(1, Ordering::SeqCst);
                Json(json!({"id": format!("ctx-{n}")}))
            }),
        )
        .route(
            "/api/1.2/contexts/status",
            get(|| async { Json(json!({"id": "ctx", "status": "Running"})) }),
        )
        .route(
            "/api/1.2/commands/execute",
            post(|| async { Json(json!({"id": "cmd-1"})) }),
        )
        .route(
            "/api/1.2/contexts/destroy",
            post(move || hanging.clone().never_answer(None)),
        )
}

/// Paused time: the clean-up budget elapses virtually once both destroys hang.
#[tokio::test(start_paused = true)]
async fn managed_contexts_are_destroyed_in_parallel_within_the_budget() {
    let hanging = Hanging::default();
    let upstream = spawn_canned_upstream(workspace_that_hangs_on_destroy(&hanging)).await;
    let mut app = TestApp::spawn_against(&upstream, Secret::new("t")).await;
    for cluster_id in ["cluster-a", "cluster-b"] {
        app.client
            .execute_command(pb::ExecuteCommandRequest {
                cluster_id: cluster_id.into(),
                language: Language::Python as i32,
                command: "1".into(),
                context_id: String::new(),
            })
            .await
            .unwrap();
    }
    assert_eq!(app.service.managed_context_ids().len(), 2);

    app.stop_server().await;
    assert_eq!(
        hanging.most_in_flight.load(Ordering::SeqCst),
        2,
        "both destroys were sent before either ended"
    );
    assert!(app.service.managed_context_ids().is_empty());
    app.stop().await;
}

/// The case end to end: `serve --emulator` with a stream open gets
/// SIGTERM; the stream ends UNAVAILABLE and the process exits with 0.
#[tokio::test]
async fn sigterm_stops_serve_with_a_stream_open() {
    use tokio::io::AsyncBufReadExt as _;

    use crate::plugin::harness::base_command;

    let mut serve = base_command(&["serve", "--emulator", "--listen", "127.0.0.1:0"])
        .spawn()
        .unwrap();
    let mut stdout = tokio::io::BufReader::new(serve.stdout.take().unwrap()).lines();
    let address = tokio::time::timeout(LIMIT, async {
        while let Some(line) = stdout.next_line().await.unwrap() {
            if let Some(address) = line.strip_prefix("gRPC server listening on ") {
                return address.to_owned();
            }
        }
        panic!("serve exited without listening");
    })
    .await
    .unwrap();
    let channel = tonic::transport::Channel::from_shared(format!("http://{address}"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut client = pb::compute_service_client::ComputeServiceClient::new(channel);
    client
        .install(pb::InstallRequest {
            cluster_id: RUNNING.into(),
            libraries: vec![pypi("slow-to-settle")],
        })
        .await
        .unwrap();
    let mut cluster = client
        .watch_cluster_status(pb::WatchClusterStatusRequest {
            cluster_id: RUNNING.into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(next_of(&mut cluster).await.unwrap().is_ok());

    let signalled = std::time::Instant::now();
    let pid = nix::unistd::Pid::from_raw(serve.id().unwrap() as i32);
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).unwrap();
    // Updates may still arrive before the end.
    let ended = loop {
        match next_of(&mut cluster).await {
            Some(Ok(_)) => continue,
            Some(Err(status)) => break status,
            None => panic!("the stream ended without a status"),
        }
    };
    assert_shutting_down(&ended);
    let status = tokio::time::timeout(LIMIT, serve.wait())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(status.code(), Some(0));
    println!("serve exited {:?} after SIGTERM", signalled.elapsed());
}
