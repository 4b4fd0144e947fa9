//! `--metrics-listen`: after a few calls (one failing, one retried, one
//! stream) GET /metrics lists every series of the server with its labels,
//! and no label carries a cluster id or a token.
//!
//! The recorder is global: every test in this binary records into it once
//! one app installed it, so these tests check presence, never counts.

use std::net::SocketAddr;

use databricks_grpc::{
    app::{App, AppConfig, Backend, Banner, EmbeddedEmulator, FrontDoor, stop_emulator},
    emulator::{EmulatorConfig, Fault, Pace},
    proto::compute::{self as pb, ClusterTarget, compute_service_client::ComputeServiceClient},
};
use tokio::{net::TcpListener, sync::oneshot};
use tokio_stream::StreamExt;
use tonic::{Code, transport::Channel};

use crate::helpers::{RUNNING, init_test_logs};

/// The emulator's token in this test: must appear nowhere in the metrics.
const TOKEN: &str = "dapi-metrics-test-token-7f3a";
/// A cluster the emulator does not know: its id must not become a label.
const UNKNOWN_CLUSTER: &str = "0000-metrics-unknown-cluster";
const METHOD: &str = "databricks.compute.v1.ComputeService";

const LOOPBACK: &str = "127.0.0.1:0";

#[tokio::test]
async fn the_metrics_listener_exposes_every_series_without_ids_or_tokens() {
    init_test_logs();
    let backend = Backend::Emulator(EmbeddedEmulator {
        config: EmulatorConfig::default()
            .with_token(TOKEN)
            .with_pace(Pace::PerRead),
        listen: LOOPBACK.parse().unwrap(),
        banner: Banner::Log,
    });
    let mut config = AppConfig::new(backend, FrontDoor::plaintext(LOOPBACK.parse().unwrap()));
    config.metrics_listen = Some(LOOPBACK.parse().unwrap());
    let mut app = App::build(config).await.unwrap();
    let metrics = app.metrics_address().expect("a metrics listener");
    let emulator = app.take_emulator();
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
    let mut client = ComputeServiceClient::new(channel);

    // A success, retried once after a 429.
    emulator.as_ref().unwrap().inject_fault(
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

    let text = scrape(metrics).await;
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

    stop.send(()).unwrap();
    server.await.unwrap();
    stop_emulator(emulator).await.unwrap();
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
