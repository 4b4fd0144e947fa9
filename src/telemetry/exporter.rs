//! The Prometheus exporter (`metrics-exporter-prometheus`): the process-wide
//! recorder, installed once, and [`MetricsEndpoint`], which serves its text
//! exposition on `GET /metrics` on a listener of its own (`--metrics-listen`),
//! apart from the gRPC port.

use std::{
    net::SocketAddr,
    sync::{Mutex, PoisonError},
    time::Duration,
};

use anyhow::Context;
use axum::{Router, http::header, response::IntoResponse, routing::get};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tokio::{net::TcpListener, task::JoinHandle};
use tracing::{info, warn};

use super::series;

/// Histogram buckets (seconds) of every `*_seconds` series: from a fast
/// local answer to a long stream.
const SECONDS_BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0,
];

/// How often histogram samples are folded into their buckets.
const UPKEEP_PERIOD: Duration = Duration::from_secs(5);

/// The exposition's content type (Prometheus text format 0.0.4).
const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The recorder's handle; the recorder is global, so it is made once per
/// process however many apps start (tests start many).
static HANDLE: Mutex<Option<PrometheusHandle>> = Mutex::new(None);

/// Installs the Prometheus recorder as the global `metrics` recorder (once
/// per process; later calls return the same handle) and describes every
/// series.
///
/// # Errors
///
/// The buckets are refused, or another recorder was installed first.
pub fn install_recorder() -> anyhow::Result<PrometheusHandle> {
    let mut installed = HANDLE.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(handle) = installed.as_ref() {
        return Ok(handle.clone());
    }
    let recorder = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix("_seconds".to_owned()), SECONDS_BUCKETS)
        .context("the metrics histogram buckets")?
        .build_recorder();
    let handle = recorder.handle();
    metrics::set_global_recorder(recorder)
        .map_err(|_| anyhow::anyhow!("another metrics recorder is already installed"))?;
    series::describe_all();
    *installed = Some(handle.clone());
    Ok(handle)
}

/// The `GET /metrics` listener, serving until dropped.
#[derive(Debug)]
pub struct MetricsEndpoint {
    address: SocketAddr,
    server: JoinHandle<()>,
    upkeep: JoinHandle<()>,
}

// === impl MetricsEndpoint ===

impl MetricsEndpoint {
    /// Installs the recorder (if not yet) and serves it on `address` (port 0
    /// picks a free port), logging the address bound.
    ///
    /// # Errors
    ///
    /// The recorder cannot be installed or `address` cannot be bound.
    pub async fn start(address: SocketAddr) -> anyhow::Result<Self> {
        let handle = install_recorder()?;
        let listener = TcpListener::bind(address)
            .await
            .with_context(|| format!("could not listen for metrics on {address}"))?;
        let address = listener.local_addr()?;
        let rendering = handle.clone();
        let router = Router::new().route(
            "/metrics",
            get(move || {
                let body = rendering.render();
                async move { ([(header::CONTENT_TYPE, CONTENT_TYPE)], body).into_response() }
            }),
        );
        let server = tokio::spawn(async move {
            if let Err(error) = axum::serve(listener, router).await {
                warn!(%error, "the metrics listener failed");
            }
        });
        let upkeep = tokio::spawn(async move {
            let mut ticks = tokio::time::interval(UPKEEP_PERIOD);
            loop {
                ticks.tick().await;
                handle.run_upkeep();
            }
        });
        info!(%address, "metrics listening (Prometheus text format on GET /metrics)");
        Ok(Self {
            address,
            server,
            upkeep,
        })
    }

    /// The address bound.
    pub fn address(&self) -> SocketAddr {
        self.address
    }
}

impl Drop for MetricsEndpoint {
    fn drop(&mut self) {
        self.server.abort();
        self.upkeep.abort();
    }
}
