//! `--metrics-listen`: after a few calls (one failing, one retried, one
//! stream) GET /metrics lists every series of the server with its labels,
//! no label carries a cluster id or a token (the server's or a pass-through
//! caller's), and a read that joins one in flight is counted as coalesced.
//!
//! The recorder is global: every test in this binary records into it once
//! one app installed it, so these tests check presence and increases,
//! never absolute values.

use std::{net::SocketAddr, sync::Arc};

use axum::{Json, Router, routing::get};

use databricks_grpc::{
    app::{App, AppConfig, Backend, Banner, EmbeddedEmulator, FrontDoor, stop_emulator},
    config::{Credentials, DatabricksConfig, Secret},
    emulator::{EmulatorConfig, EmulatorHandle, Fault, Pace},
    proto::compute::{self as pb, ClusterTarget, compute_service_client::ComputeServiceClient},
    service::ComputeService,
};
use serde_json::json;
use tokio::{
    net::TcpListener,
    sync::{oneshot, watch},
    task::JoinHandle,
};
use tokio_stream::StreamExt;
use tonic::{
    Code,
    metadata::{Ascii, MetadataValue},
    transport::Channel,
};

use crate::helpers::{RUNNING, eventually, init_test_logs, spawn_canned_upstream};

/// The emulator's token in this test: must appear nowhere in the metrics.
const TOKEN: &str = "dapi-metrics-test-token-7f3a";
/// A pass-through caller's token: must appear nowhere in the metrics.
const CAROL_TOKEN: &str = "dapi-carol-metrics-91be";
/// A cluster the emulator does not know: its id must not become a label.
const UNKNOWN_CLUSTER: &str = "0000-metrics-unknown-cluster";
const METHOD: &str = "databricks.compute.v1.ComputeService";

const LOOPBACK: &str = "127.0.0.1:0";

#[tokio::test]
async fn the_metrics_listener_exposes_every_series_without_ids_or_tokens() {
    let served = Served::start(emulator(EmulatorConfig::default()), false).await;
    let emulator = served.emulator.as_ref().unwrap();
    let mut client = ComputeServiceClient::new(served.channel.clone());

    // A success, retried once after a 429.
    emulator.inject_fault(
        "/api/2.0/libraries/cluster-status",
        Fault::TooManyRequests {
            retry_after_secs: 0,
        },
        1,
    );
    client
        .cluster_status(pb::ClusterStatusRequest {
            cluster_id: RUNNING.into(),
        })
        .await
        .unwrap();
    // A failure upstream, and one refused before any upstream call.
    let missing = client
        .get_cluster(pb::GetClusterRequest {
            cluster_id: UNKNOWN_CLUSTER.into(),
        })
        .await
        .unwrap_err();
    assert_eq!(missing.code(), Code::NotFound, "{missing:?}");
    let invalid = client
        .get_cluster(pb::GetClusterRequest {
            cluster_id: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(invalid.code(), Code::InvalidArgument, "{invalid:?}");
    // A stream, read to its end.
    let mut stream = client
        .watch_cluster(pb::WatchClusterRequest {
            cluster_id: RUNNING.into(),
            until: ClusterTarget::Running as i32,
        })
        .await
        .unwrap()
        .into_inner();
    while let Some(update) = stream.next().await {
        update.unwrap();
    }

    let text = scrape(served.metrics).await;
    let calls = |method: &str, code: &str| {
        has_series(
            &text,
            "dbgrpc_grpc_calls_total",
            &[("method", &format!("{METHOD}/{method}")), ("code", code)],
        )
    };
    assert!(calls("ClusterStatus", "OK"), "{text}");
    assert!(calls("GetCluster", "NOT_FOUND"), "{text}");
    assert!(calls("GetCluster", "INVALID_ARGUMENT"), "{text}");
    assert!(calls("WatchCluster", "OK"), "{text}");
    for method in ["ClusterStatus", "GetCluster", "WatchCluster"] {
        let method = format!("{METHOD}/{method}");
        assert!(
            has_series(
                &text,
                "dbgrpc_grpc_call_seconds_bucket",
                &[("method", &method)]
            ),
            "{method}: {text}"
        );
    }
    let status = "GET /api/2.0/libraries/cluster-status";
    assert!(
        has_series(
            &text,
            "dbgrpc_upstream_requests_total",
            &[("endpoint", status), ("status", "429")]
        ),
        "{text}"
    );
    assert!(
        has_series(
            &text,
            "dbgrpc_upstream_requests_total",
            &[("endpoint", status), ("status", "200")]
        ),
        "{text}"
    );
    assert!(
        has_series(
            &text,
            "dbgrpc_upstream_requests_total",
            &[("endpoint", "GET /api/2.1/clusters/get")]
        ),
        "{text}"
    );
    assert!(
        has_series(
            &text,
            "dbgrpc_upstream_request_seconds_bucket",
            &[("endpoint", status)]
        ),
        "{text}"
    );
    assert!(
        has_series(
            &text,
            "dbgrpc_upstream_retries_total",
            &[("reason", "throttled")]
        ),
        "{text}"
    );
    for unlabelled in [
        "dbgrpc_coalesced_reads_total",
        "dbgrpc_poll_loops",
        "dbgrpc_managed_contexts",
        "dbgrpc_tenants",
    ] {
        assert!(has_series(&text, unlabelled, &[]), "{unlabelled}: {text}");
    }
    assert!(
        has_series(
            &text,
            "dbgrpc_build_info",
            &[("version", env!("CARGO_PKG_VERSION"))]
        ),
        "{text}"
    );
    assert!(
        text.contains("# TYPE dbgrpc_grpc_call_seconds histogram"),
        "{text}"
    );
    assert!(text.contains("# HELP dbgrpc_grpc_calls_total "), "{text}");

    for secret in [TOKEN, RUNNING, UNKNOWN_CLUSTER] {
        assert!(
            !text.contains(secret),
            "{secret} is in the metrics:\n{text}"
        );
    }

    served.stop().await;
}

#[tokio::test]
async fn a_pass_through_callers_token_is_in_no_label() {
    let config = EmulatorConfig::default().with_user_token("carol", CAROL_TOKEN);
    let served = Served::start(emulator(config), true).await;
    let authorization: MetadataValue<Ascii> = format!("Bearer {CAROL_TOKEN}").parse().unwrap();
    let as_carol = move |mut request: tonic::Request<()>| {
        request
            .metadata_mut()
            .insert("authorization", authorization.clone());
        Ok(request)
    };
    let mut client = ComputeServiceClient::with_interceptor(served.channel.clone(), as_carol);
    client
        .cluster_status(pb::ClusterStatusRequest {
            cluster_id: RUNNING.into(),
        })
        .await
        .unwrap();
    let mut stream = client
        .watch_cluster(pb::WatchClusterRequest {
            cluster_id: RUNNING.into(),
            until: ClusterTarget::Running as i32,
        })
        .await
        .unwrap()
        .into_inner();
    while let Some(update) = stream.next().await {
        update.unwrap();
    }
    let text = scrape(served.metrics).await;
    assert!(has_series(&text, "dbgrpc_tenants", &[]), "{text}");
    assert!(
        has_series(
            &text,
            "dbgrpc_grpc_calls_total",
            &[
                ("method", &format!("{METHOD}/WatchCluster")),
                ("code", "OK")
            ]
        ),
        "{text}"
    );
    for secret in [CAROL_TOKEN, TOKEN, RUNNING] {
        assert!(
            !text.contains(secret),
            "{secret} is in the metrics:\n{text}"
        );
    }
    served.stop().await;
}

#[tokio::test]
async fn a_read_that_joins_one_in_flight_is_counted_as_coalesced() {
    let (release, url) = held_cluster_status().await;
    let databricks = DatabricksConfig::with_credentials(
        &url,
        Credentials::Pat {
            token: Secret::new(TOKEN),
        },
    )
    .unwrap();
    let served = Served::start(Backend::Resolved(databricks), false).await;
    let before = value(
        &scrape(served.metrics).await,
        "dbgrpc_coalesced_reads_total",
    );
    let client = ComputeServiceClient::new(served.channel.clone());
    let calls: Vec<_> = (0..2)
        .map(|_| {
            let mut client = client.clone();
            tokio::spawn(async move {
                client
                    .cluster_status(pb::ClusterStatusRequest {
                        cluster_id: RUNNING.into(),
                    })
                    .await
            })
        })
        .collect();
    let service = served.service.clone();
    eventually("both reads to wait on one request", || {
        service.cluster_status_reads_waiting() >= 2
    })
    .await;
    release.send_replace(true);
    for call in calls {
        call.await.unwrap().unwrap();
    }
    let after = value(
        &scrape(served.metrics).await,
        "dbgrpc_coalesced_reads_total",
    );
    // Other tests may coalesce reads meanwhile, never fewer.
    assert!(after >= before + 1.0, "{before} -> {after}");
    served.stop().await;
}

/// A canned cluster-status endpoint that answers only once the sender is
/// set to true; returns the sender and the upstream's URL.
async fn held_cluster_status() -> (Arc<watch::Sender<bool>>, String) {
    let release = Arc::new(watch::Sender::new(false));
    let held = release.clone();
    let router = Router::new().route(
        "/api/2.0/libraries/cluster-status",
        get(move || {
            let mut released = held.subscribe();
            async move {
                let _ = released.wait_for(|released| *released).await;
                Json(json!({"cluster_id": RUNNING, "library_statuses": []}))
            }
        }),
    );
    (release, spawn_canned_upstream(router).await)
}

/// The value of the unlabelled series `name`.
fn value(text: &str, name: &str) -> f64 {
    text.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' '))
        .and_then(|value| value.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {name} in:\n{text}"))
}

/// An emulator with `config` and [`TOKEN`], one lifecycle step per read.
fn emulator(config: EmulatorConfig) -> Backend {
    Backend::Emulator(EmbeddedEmulator {
        config: config.with_token(TOKEN).with_pace(Pace::PerRead),
        listen: LOOPBACK.parse().unwrap(),
        banner: Banner::Log,
    })
}

/// An app built with a metrics listener on `127.0.0.1:0`, serving gRPC.
struct Served {
    channel: Channel,
    metrics: SocketAddr,
    service: ComputeService,
    emulator: Option<EmulatorHandle>,
    stop: oneshot::Sender<()>,
    server: JoinHandle<()>,
}

impl Served {
    async fn start(backend: Backend, pass_through: bool) -> Self {
        init_test_logs();
        let front_door = FrontDoor::plaintext(LOOPBACK.parse().unwrap());
        let mut config = AppConfig::new(backend, front_door);
        config.pass_through = pass_through;
        config.metrics_listen = Some(LOOPBACK.parse().unwrap());
        let mut app = App::build(config).await.unwrap();
        let metrics = app.metrics_address().expect("a metrics listener");
        let emulator = app.take_emulator();
        let service = app.service().clone();
        let listener = TcpListener::bind(LOOPBACK).await.unwrap();
        let grpc = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            let stopped = async {
                let _ = stopped.await;
            };
            app.serve(listener, Default::default(), stopped)
                .await
                .unwrap();
        });
        let channel = Channel::from_shared(format!("http://{grpc}"))
            .unwrap()
            .connect()
            .await
            .unwrap();
        Self {
            channel,
            metrics,
            service,
            emulator,
            stop,
            server,
        }
    }

    async fn stop(self) {
        self.stop.send(()).unwrap();
        self.server.await.unwrap();
        stop_emulator(self.emulator).await.unwrap();
    }
}

/// GET /metrics at `address`: 200 in the Prometheus text format.
async fn scrape(address: SocketAddr) -> String {
    let response = reqwest::get(format!("http://{address}/metrics"))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let content_type = response.headers()[http::header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(content_type.starts_with("text/plain"), "{content_type}");
    response.text().await.unwrap()
}

/// True when a sample line of `name` carries every label of `labels` (and
/// perhaps others).
fn has_series(text: &str, name: &str, labels: &[(&str, &str)]) -> bool {
    text.lines().any(|line| {
        let Some(rest) = line.strip_prefix(name) else {
            return false;
        };
        if !(rest.starts_with('{') || rest.starts_with(' ')) {
            return false;
        }
        labels
            .iter()
            .all(|(key, value)| rest.contains(&format!("{key}=\"{value}\"")))
    })
}
