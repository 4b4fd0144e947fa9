//! Handlers of the Libraries API 2.0: install, uninstall, cluster-status and
//! all-cluster-statuses.

use axum::{
    Json, Router,
    body::Bytes,
    extract::State,
    http::Uri,
    routing::{get, post},
};
use serde_json::{Value, json};

use super::{EmulatorState, errors::ErrorResponse, request, state::Access};

/// The Libraries API routes.
pub(crate) fn routes() -> Router<EmulatorState> {
    Router::new()
        .route("/api/2.0/libraries/install", post(install))
        .route("/api/2.0/libraries/uninstall", post(uninstall))
        .route("/api/2.0/libraries/cluster-status", get(cluster_status))
        .route(
            "/api/2.0/libraries/all-cluster-statuses",
            get(all_cluster_statuses),
        )
}

async fn install(
    State(state): State<EmulatorState>,
    body: Bytes,
) -> Result<Json<Value>, ErrorResponse> {
    let request = request::libraries_body(&body)?;
    tracing::debug!(cluster_id = %request.cluster_id, count = request.libraries.len(), "install libraries");
    state.with_store(Access::Other, |store| {
        store.install(&request.cluster_id, request.libraries)
    })?;
    Ok(Json(json!({})))
}

async fn uninstall(
    State(state): State<EmulatorState>,
    body: Bytes,
) -> Result<Json<Value>, ErrorResponse> {
    let request = request::libraries_body(&body)?;
    tracing::debug!(cluster_id = %request.cluster_id, count = request.libraries.len(), "uninstall libraries");
    state.with_store(Access::Other, |store| {
        store.uninstall(&request.cluster_id, request.libraries)
    })?;
    Ok(Json(json!({})))
}

async fn cluster_status(
    State(state): State<EmulatorState>,
    uri: Uri,
) -> Result<Json<Value>, ErrorResponse> {
    let cluster_id = request::cluster_id_query(&uri)?;
    state
        .with_store(Access::Poll, |store| store.library_statuses(&cluster_id))
        .map(Json)
}

async fn all_cluster_statuses(State(state): State<EmulatorState>) -> Json<Value> {
    Json(state.with_store(Access::Poll, |store| store.all_statuses()))
}
