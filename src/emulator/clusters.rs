//! Handlers of the Clusters API (2.0 and the 2.1 paths newer SDKs call):
//! get, list, start, restart and delete (terminate). Restart and terminate
//! also shut down the cluster's execution contexts.

use axum::{
    Json, Router,
    body::Bytes,
    extract::State,
    http::Uri,
    routing::{get, post},
};
use serde::Serialize;
use serde_json::{Value, json};

use super::{
    EmulatorState,
    errors::ErrorResponse,
    lifecycle::ClusterState,
    request,
    state::Access,
    store::{ClusterView, Store},
};

/// Who "created" every emulated cluster.
const CREATOR: &str = "emulator@example.com";
/// A fixed start time (2025-01-01T12:00:00Z in epoch milliseconds), so that
/// responses are deterministic.
const START_TIME_MS: u64 = 1_735_732_800_000;

/// The cluster JSON: what the store knows plus the fields SDKs expect to see.
#[derive(Debug, Serialize)]
struct ClusterJson {
    cluster_id: String,
    cluster_name: String,
    state: &'static str,
    /// Left out while the state needs no explanation (`RUNNING`).
    #[serde(skip_serializing_if = "String::is_empty")]
    state_message: String,
    spark_version: &'static str,
    node_type_id: &'static str,
    driver_node_type_id: &'static str,
    num_workers: u32,
    autotermination_minutes: u32,
    creator_user_name: &'static str,
    cluster_source: &'static str,
    data_security_mode: &'static str,
    runtime_engine: &'static str,
    start_time: u64,
    default_tags: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    terminated_time: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    termination_reason: Option<Value>,
}

/// The Clusters API routes, under both `/api/2.0` and `/api/2.1`.
pub(crate) fn routes() -> Router<EmulatorState> {
    ["2.0", "2.1"]
        .into_iter()
        .fold(Router::new(), |router, version| {
            router
                .route(&format!("/api/{version}/clusters/get"), get(get_cluster))
                .route(&format!("/api/{version}/clusters/list"), get(list))
                .route(&format!("/api/{version}/clusters/start"), post(start))
                .route(&format!("/api/{version}/clusters/restart"), post(restart))
                .route(&format!("/api/{version}/clusters/delete"), post(delete))
        })
}

async fn get_cluster(
    State(state): State<EmulatorState>,
    uri: Uri,
) -> Result<Json<ClusterJson>, ErrorResponse> {
    let cluster_id = request::cluster_id_query(&uri)?;
    let view = state.with_store(Access::Poll, |store| store.cluster(&cluster_id))?;
    Ok(Json(render(view)))
}

async fn list(State(state): State<EmulatorState>) -> Json<Value> {
    let clusters: Vec<ClusterJson> = state
        .with_store(Access::Other, |store| store.clusters())
        .into_iter()
        .map(render)
        .collect();
    Json(json!({ "clusters": clusters }))
}

async fn start(state: State<EmulatorState>, body: Bytes) -> Result<Json<Value>, ErrorResponse> {
    change(&state, &body, "start", Store::start)?;
    Ok(Json(json!({})))
}

async fn restart(state: State<EmulatorState>, body: Bytes) -> Result<Json<Value>, ErrorResponse> {
    let cluster_id = change(&state, &body, "restart", Store::restart)?;
    let why = format!("cluster {cluster_id} was restarted");
    state.execution().end_cluster(&cluster_id, &why).await;
    Ok(Json(json!({})))
}

async fn delete(state: State<EmulatorState>, body: Bytes) -> Result<Json<Value>, ErrorResponse> {
    let cluster_id = change(&state, &body, "terminate", Store::terminate)?;
    let why = format!("cluster {cluster_id} was terminated");
    state.execution().end_cluster(&cluster_id, &why).await;
    Ok(Json(json!({})))
}

/// Applies a `{"cluster_id"}` operation; answers the cluster id.
fn change(
    State(state): &State<EmulatorState>,
    body: &Bytes,
    action: &str,
    apply: fn(&mut Store, &str) -> Result<(), ErrorResponse>,
) -> Result<String, ErrorResponse> {
    let cluster_id = request::required_string(&request::object(body)?, "cluster_id")?;
    tracing::debug!(%cluster_id, action, "cluster operation");
    state.with_store(Access::Other, |store| apply(store, &cluster_id))?;
    Ok(cluster_id)
}

fn render(view: ClusterView) -> ClusterJson {
    let state_message = match view.state {
        ClusterState::Pending => {
            "Finding instances for new nodes, acquiring more instances if necessary".to_owned()
        }
        ClusterState::Running => String::new(),
        ClusterState::Restarting => "Restarting Spark".to_owned(),
        ClusterState::Terminating => "Terminating the cluster".to_owned(),
        ClusterState::Terminated if view.terminated_by_user => {
            format!("Termination requested by {CREATOR}")
        }
        ClusterState::Terminated => {
            "Inactive cluster terminated (inactive for 120 minutes).".to_owned()
        }
    };
    let termination_reason = (view.state == ClusterState::Terminated).then(|| {
        if view.terminated_by_user {
            json!({"code": "USER_REQUEST", "type": "SUCCESS", "parameters": {"username": CREATOR}})
        } else {
            json!({"code": "INACTIVITY", "type": "SUCCESS", "parameters": {"inactivity_duration_min": "120"}})
        }
    });
    let default_tags = json!({
        "Vendor": "Databricks",
        "Creator": CREATOR,
        "ClusterName": view.name,
        "ClusterId": view.id,
    });
    ClusterJson {
        terminated_time: termination_reason
            .as_ref()
            .map(|_| START_TIME_MS + 3_600_000),
        termination_reason,
        cluster_id: view.id,
        cluster_name: view.name,
        state: view.state.as_str(),
        state_message,
        spark_version: "15.4.x-scala2.12",
        node_type_id: "i3.xlarge",
        driver_node_type_id: "i3.xlarge",
        num_workers: 2,
        autotermination_minutes: 120,
        creator_user_name: CREATOR,
        cluster_source: "UI",
        data_security_mode: "USER_ISOLATION",
        runtime_engine: "STANDARD",
        start_time: START_TIME_MS,
        default_tags,
    }
}
