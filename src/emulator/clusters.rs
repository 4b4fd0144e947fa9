//! Handlers of the Clusters API (2.0 and the 2.1 paths newer SDKs call):
//! get, list (2.1 pages of at most 100 with `filter_by.*`; 2.0 everything at
//! once), start, restart and delete (terminate), and the cluster JSON.
//! Restart and terminate also shut down the cluster's execution contexts.
//! Create, edit, resize, permanent delete and pin are in `cluster_changes`,
//! events in `cluster_events`, the runtimes and node types in
//! `cluster_catalogue`.

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
    store::{ClusterView, ListFilter, Store},
};

/// Who "created" every emulated cluster.
pub(crate) const CREATOR: &str = "emulator@example.com";
/// A fixed start time (2025-01-01T12:00:00Z in epoch milliseconds), so that
/// responses are deterministic.
pub(crate) const START_TIME_MS: u64 = 1_735_732_800_000;

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
                .route(&format!("/api/{version}/clusters/start"), post(start))
                .route(&format!("/api/{version}/clusters/restart"), post(restart))
                .route(&format!("/api/{version}/clusters/delete"), post(delete))
        })
        .route("/api/2.0/clusters/list", get(list_all))
        .route("/api/2.1/clusters/list", get(list))
        .merge(super::cluster_changes::routes())
        .merge(super::cluster_events::routes())
        .merge(super::cluster_catalogue::routes())
}

async fn get_cluster(
    State(state): State<EmulatorState>,
    uri: Uri,
) -> Result<Json<Value>, ErrorResponse> {
    let cluster_id = request::cluster_id_query(&uri)?;
    let view = state.with_store(Access::Poll, |store| store.cluster(&cluster_id))?;
    Ok(Json(render(view)))
}

/// `GET /api/2.0/clusters/list`: every cluster, no pages (as before 2.1).
async fn list_all(State(state): State<EmulatorState>) -> Json<Value> {
    let clusters: Vec<Value> = state
        .with_store(Access::Other, |store| store.clusters())
        .into_iter()
        .map(render)
        .collect();
    Json(json!({ "clusters": clusters }))
}

/// `GET /api/2.1/clusters/list`: one page (`page_size` at most 100, the
/// default), filtered by `filter_by.*`, with a `next_page_token` while more
/// clusters follow.
async fn list(State(state): State<EmulatorState>, uri: Uri) -> Result<Json<Value>, ErrorResponse> {
    let query = request::query_pairs(&uri)?;
    let mut filter = ListFilter::default();
    let mut page_size = MAX_PAGE;
    let mut after = None;
    for (key, value) in query {
        match key.as_str() {
            "filter_by.cluster_states" => filter.states.push(value),
            "filter_by.cluster_sources" => filter.sources.push(value),
            "filter_by.is_pinned" => filter.pinned = Some(value == "true"),
            "filter_by.policy_id" => filter.policy_id = Some(value),
            "page_size" => {
                page_size = match value.parse::<usize>() {
                    Ok(0) => MAX_PAGE,
                    Ok(size) => size.min(MAX_PAGE),
                    Err(_) => {
                        return Err(ErrorResponse::invalid_parameter(format!(
                            "Invalid page_size: {value}"
                        )));
                    }
                }
            }
            "page_token" if !value.is_empty() => after = Some(page_token::read(&value)?),
            _ => {}
        }
    }
    let (page, more) = state.with_store(Access::Other, |store| {
        store.list_page(&filter, after.as_deref(), page_size)
    });
    let next = more
        .then(|| page.last().map(|view| page_token::make(&view.id)))
        .flatten();
    let clusters: Vec<Value> = page.into_iter().map(render).collect();
    let mut body = json!({ "clusters": clusters });
    if let Some(next) = next {
        body["next_page_token"] = json!(next);
    }
    Ok(Json(body))
}

/// The most clusters one 2.1 list page holds (and its default size).
const MAX_PAGE: usize = 100;

/// List page tokens: the id of the last cluster of the page, opaque.
mod page_token {
    use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};

    use crate::emulator::errors::ErrorResponse;

    pub(super) fn make(last_id: &str) -> String {
        URL_SAFE_NO_PAD.encode(format!("after:{last_id}"))
    }

    pub(super) fn read(token: &str) -> Result<String, ErrorResponse> {
        URL_SAFE_NO_PAD
            .decode(token)
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .and_then(|text| text.strip_prefix("after:").map(str::to_owned))
            .ok_or_else(|| ErrorResponse::invalid_parameter("Invalid page token"))
    }
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

/// The cluster JSON: the defaults, overlaid with what `create`, `edit` and
/// `resize` set.
pub(crate) fn render(view: ClusterView) -> Value {
    let spec = view.spec.clone();
    let mut body = match serde_json::to_value(defaults(view)) {
        Ok(Value::Object(map)) => map,
        _ => serde_json::Map::new(),
    };
    if spec.contains_key("autoscale") {
        body.remove("num_workers");
    }
    for (key, value) in spec {
        body.insert(key, value);
    }
    Value::Object(body)
}

fn defaults(view: ClusterView) -> ClusterJson {
    let state_message = match view.state {
        ClusterState::Pending => {
            "Finding instances for new nodes, acquiring more instances if necessary".to_owned()
        }
        ClusterState::Running => String::new(),
        ClusterState::Restarting => "Restarting Spark".to_owned(),
        ClusterState::Resizing => "Resizing the cluster".to_owned(),
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
        cluster_source: view.source,
        data_security_mode: "USER_ISOLATION",
        runtime_engine: "STANDARD",
        start_time: START_TIME_MS,
        default_tags,
    }
}
