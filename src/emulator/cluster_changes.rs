//! Handlers of the Clusters API calls that change a cluster's definition or
//! existence: create (an `idempotency_token` makes a repeat answer the first
//! cluster), edit, resize, permanent-delete, pin and unpin. The spec is
//! checked as Databricks does: a runtime and node type `spark-versions` and
//! `list-node-types` report, a size, and a valid auto-termination.

use axum::{Json, Router, body::Bytes, extract::State, routing::post};
use serde_json::{Map, Value, json};

use super::{EmulatorState, cluster_catalogue, errors::ErrorResponse, request, state::Access};

/// The routes, under `/api/2.0` and `/api/2.1`.
pub(crate) fn routes() -> Router<EmulatorState> {
    ["2.0", "2.1"]
        .into_iter()
        .fold(Router::new(), |router, version| {
            let path = |name: &str| format!("/api/{version}/clusters/{name}");
            router
                .route(&path("create"), post(create))
                .route(&path("edit"), post(edit))
                .route(&path("resize"), post(resize))
                .route(&path("permanent-delete"), post(permanent_delete))
                .route(&path("pin"), post(pin))
                .route(&path("unpin"), post(unpin))
        })
}

async fn create(
    State(state): State<EmulatorState>,
    body: Bytes,
) -> Result<Json<Value>, ErrorResponse> {
    let mut spec = request::object(&body)?;
    let token = match spec.remove("idempotency_token") {
        None | Some(Value::Null) => None,
        Some(Value::String(token)) if token.len() <= 64 => Some(token),
        Some(_) => {
            return Err(ErrorResponse::invalid_parameter(
                "idempotency_token must be a string of at most 64 characters",
            ));
        }
    };
    check_spec(&spec)?;
    let cluster_id = state.with_store(Access::Other, |store| store.create(spec, token));
    tracing::debug!(%cluster_id, "cluster created");
    Ok(Json(json!({ "cluster_id": cluster_id })))
}

async fn edit(
    State(state): State<EmulatorState>,
    body: Bytes,
) -> Result<Json<Value>, ErrorResponse> {
    let mut spec = request::object(&body)?;
    let cluster_id = request::required_string(&spec, "cluster_id")?;
    spec.remove("cluster_id");
    check_spec(&spec)?;
    let restarted = state.with_store(Access::Other, |store| {
        let was_running = store.cluster(&cluster_id)?.state.as_str() == "RUNNING";
        store.edit(&cluster_id, spec).map(|()| was_running)
    })?;
    if restarted {
        let why = format!("cluster {cluster_id} was restarted to apply an edit");
        state.execution().end_cluster(&cluster_id, &why).await;
    }
    Ok(Json(json!({})))
}

async fn resize(
    State(state): State<EmulatorState>,
    body: Bytes,
) -> Result<Json<Value>, ErrorResponse> {
    let mut size = request::object(&body)?;
    let cluster_id = request::required_string(&size, "cluster_id")?;
    size.remove("cluster_id");
    size.retain(|key, _| key == "num_workers" || key == "autoscale");
    check_size(&size)?;
    state.with_store(Access::Other, |store| store.resize(&cluster_id, size))?;
    Ok(Json(json!({})))
}

async fn permanent_delete(
    State(state): State<EmulatorState>,
    body: Bytes,
) -> Result<Json<Value>, ErrorResponse> {
    let cluster_id = request::required_string(&request::object(&body)?, "cluster_id")?;
    state.with_store(Access::Other, |store| store.permanent_delete(&cluster_id))?;
    let why = format!("cluster {cluster_id} was deleted");
    state.execution().end_cluster(&cluster_id, &why).await;
    Ok(Json(json!({})))
}

async fn pin(state: State<EmulatorState>, body: Bytes) -> Result<Json<Value>, ErrorResponse> {
    set_pinned(&state, &body, true)
}

async fn unpin(state: State<EmulatorState>, body: Bytes) -> Result<Json<Value>, ErrorResponse> {
    set_pinned(&state, &body, false)
}

fn set_pinned(
    State(state): &State<EmulatorState>,
    body: &Bytes,
    pinned: bool,
) -> Result<Json<Value>, ErrorResponse> {
    let cluster_id = request::required_string(&request::object(body)?, "cluster_id")?;
    state.with_store(Access::Other, |store| store.pin(&cluster_id, pinned))?;
    Ok(Json(json!({})))
}

/// The checks Databricks makes of a create or edit body.
fn check_spec(spec: &Map<String, Value>) -> Result<(), ErrorResponse> {
    let version = request::required_string(spec, "spark_version")?;
    if !cluster_catalogue::is_spark_version(&version) {
        return Err(ErrorResponse::invalid_parameter(format!(
            "Invalid spark version {version}."
        )));
    }
    let pooled = spec.get("instance_pool_id").is_some_and(|v| !v.is_null());
    if !pooled {
        request::required_string(spec, "node_type_id")?;
    }
    for field in ["node_type_id", "driver_node_type_id"] {
        if let Some(Value::String(node_type)) = spec.get(field) {
            if !cluster_catalogue::is_node_type(node_type) {
                return Err(ErrorResponse::invalid_parameter(format!(
                    "Node type {node_type} is not supported."
                )));
            }
        }
    }
    check_size(spec)?;
    match spec.get("autotermination_minutes").map(Value::as_i64) {
        None | Some(Some(0 | 10..=43_200)) => Ok(()),
        Some(_) => Err(ErrorResponse::invalid_parameter(
            "Automatic termination minutes must be 0 (disabled) or between 10 and 43200.",
        )),
    }
}

/// A size: `num_workers` (0 or more) or `autoscale` (0 < min <= max).
fn check_size(spec: &Map<String, Value>) -> Result<(), ErrorResponse> {
    match (spec.get("num_workers"), spec.get("autoscale")) {
        (Some(workers), None) if workers.as_u64().is_some() => Ok(()),
        (None, Some(autoscale)) => {
            let bound = |key| autoscale.get(key).and_then(Value::as_u64);
            match (bound("min_workers"), bound("max_workers")) {
                (Some(min), Some(max)) if 0 < min && min <= max => Ok(()),
                _ => Err(ErrorResponse::invalid_parameter(
                    "Invalid autoscale: min_workers must be positive and at most max_workers",
                )),
            }
        }
        (None, None) => Err(ErrorResponse::missing_field("num_workers")),
        (Some(_), Some(_)) => Err(ErrorResponse::invalid_parameter(
            "Only one of num_workers and autoscale may be set",
        )),
        (Some(_), None) => Err(ErrorResponse::invalid_parameter(
            "num_workers must be a non-negative integer",
        )),
    }
}
