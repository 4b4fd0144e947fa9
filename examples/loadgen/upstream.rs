//! Upstreams the benchmark serves itself on loopback: a fixed-body
//! `libraries/cluster-status` for the unary rows, and a scripted
//! `commands/status` (every command runs for ever) for the fan-out.

use std::{
    collections::HashMap,
    sync::{
        Arc, Mutex, PoisonError,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use axum::{
    Json, Router,
    extract::{Query, RawQuery, State},
    http::header,
    routing::get,
};
use bytes::Bytes;
use serde_json::json;
use tokio::net::TcpListener;

/// ClusterStatus of this cluster is answered after [`SLOW_ANSWER`], so that
/// concurrent reads of it overlap (the coalescing row).
pub(crate) const SLOW_CLUSTER: &str = "0101-000000-coalesce";
/// How long the fixed-body upstream takes to answer for [`SLOW_CLUSTER`].
const SLOW_ANSWER: Duration = Duration::from_millis(100);

/// The fixed-body Libraries API and how many requests it served.
pub(crate) struct FixedBody {
    /// Base URL, `http://127.0.0.1:PORT`.
    pub(crate) url: String,
    requests: Arc<AtomicUsize>,
}

/// The scripted commands API and the requests it served per command id.
pub(crate) struct Commands {
    /// Base URL, `http://127.0.0.1:PORT`.
    pub(crate) url: String,
    polls: Arc<Mutex<HashMap<String, u64>>>,
}

#[derive(Clone)]
struct FixedState {
    body: Bytes,
    requests: Arc<AtomicUsize>,
}

// === impl FixedBody ===

impl FixedBody {
    /// Serves one cluster's statuses (ten libraries of four kinds) for
    /// every `GET /api/2.0/libraries/cluster-status`.
    pub(crate) async fn spawn() -> anyhow::Result<Self> {
        let requests = Arc::new(AtomicUsize::new(0));
        let state = FixedState {
            body: Bytes::from(serde_json::to_vec(&cluster_statuses())?),
            requests: requests.clone(),
        };
        let router = Router::new()
            .route("/api/2.0/libraries/cluster-status", get(fixed_status))
            .with_state(state);
        let url = serve(router).await?;
        Ok(Self { url, requests })
    }

    /// Requests served so far.
    pub(crate) fn requests(&self) -> usize {
        self.requests.load(Ordering::Relaxed)
    }
}

async fn fixed_status(
    State(state): State<FixedState>,
    RawQuery(query): RawQuery,
) -> ([(header::HeaderName, &'static str); 1], Bytes) {
    state.requests.fetch_add(1, Ordering::Relaxed);
    if query.is_some_and(|query| query.contains(SLOW_CLUSTER)) {
        tokio::time::sleep(SLOW_ANSWER).await;
    }
    (
        [(header::CONTENT_TYPE, "application/json")],
        state.body.clone(),
    )
}

/// A plausible answer: ten libraries, mostly installed, one with a message.
fn cluster_statuses() -> serde_json::Value {
    let mut statuses = Vec::new();
    for n in 0..4 {
        statuses.push(
            json!({"library": {"pypi": {"package": format!("package-{n}==1.{n}.0")}},
            "status": "INSTALLED", "is_library_for_all_clusters": false}),
        );
    }
    for n in 0..3 {
        statuses.push(
            json!({"library": {"maven": {"coordinates": format!("org.example:artifact-{n}:2.{n}.1"),
            "exclusions": ["org.slf4j:slf4j-log4j12"]}},
            "status": "INSTALLED", "is_library_for_all_clusters": false}),
        );
    }
    for n in 0..2 {
        statuses.push(
            json!({"library": {"jar": format!("dbfs:/FileStore/jars/tool-{n}.jar")},
            "status": "INSTALLED", "is_library_for_all_clusters": n == 0}),
        );
    }
    statuses.push(
        json!({"library": {"whl": "/Workspace/Shared/wheels/app-0.3.0-py3-none-any.whl"},
        "status": "FAILED", "is_library_for_all_clusters": false,
        "messages": ["pip install failed: No matching distribution found for app==0.3.0"]}),
    );
    json!({"cluster_id": "0101-120000-bench", "library_statuses": statuses})
}

// === impl Commands ===

impl Commands {
    /// Answers every `GET /api/1.2/commands/status` with the command
    /// `Running`, counting requests per `commandId`.
    pub(crate) async fn spawn() -> anyhow::Result<Self> {
        let polls = Arc::new(Mutex::new(HashMap::new()));
        let router = Router::new()
            .route("/api/1.2/commands/status", get(command_status))
            .with_state(polls.clone());
        let url = serve(router).await?;
        Ok(Self { url, polls })
    }

    /// Requests so far per command id.
    pub(crate) fn polls(&self) -> HashMap<String, u64> {
        self.polls
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

async fn command_status(
    State(polls): State<Arc<Mutex<HashMap<String, u64>>>>,
    Query(query): Query<HashMap<String, String>>,
) -> Json<serde_json::Value> {
    let id = query.get("commandId").cloned().unwrap_or_default();
    *polls
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .entry(id.clone())
        .or_default() += 1;
    Json(json!({"id": id, "status": "Running", "results": null}))
}

/// Serves `router` on an ephemeral loopback port; returns its URL.
async fn serve(router: Router) -> anyhow::Result<String> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move { axum::serve(listener, router).await });
    Ok(format!("http://{addr}"))
}
