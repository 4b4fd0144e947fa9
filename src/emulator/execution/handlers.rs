//! Handlers of REST API 1.2 execution: contexts (create, status, destroy)
//! and commands (execute, status, cancel). Bodies are JSON or, as legacy
//! clients send them, form-urlencoded; parameters are camelCase.

use std::collections::HashMap;

use axum::{
    Json, Router,
    body::Bytes,
    extract::{Query, State},
    http::{HeaderMap, Uri},
    routing::{get, post},
};
use serde_json::{Map, Value, json};

use super::{ids::ContextAddress, results::Report};
use crate::emulator::{
    EmulatorState, errors::ErrorResponse, lifecycle::ClusterState, request, state::Access,
};

/// The languages a context or command may name.
const LANGUAGES: [&str; 4] = ["python", "scala", "sql", "r"];

/// The REST API 1.2 execution routes.
pub(crate) fn routes() -> Router<EmulatorState> {
    Router::new()
        .route("/api/1.2/contexts/create", post(create))
        .route("/api/1.2/contexts/status", get(context_status))
        .route("/api/1.2/contexts/destroy", post(destroy))
        .route("/api/1.2/commands/execute", post(execute))
        .route("/api/1.2/commands/status", get(command_status))
        .route("/api/1.2/commands/cancel", post(cancel))
}

/// The `{"id": ...}` answer of create, destroy, execute and cancel.
fn id_body(id: String) -> Json<Value> {
    Json(json!({ "id": id }))
}

async fn create(
    State(state): State<EmulatorState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, ErrorResponse> {
    let fields = fields(&headers, &body)?;
    let cluster_id = request::required_string(&fields, "clusterId")?;
    let language = language(&fields)?;
    require_cluster(&state, &cluster_id, true)?;
    let id = state.execution().create(&cluster_id).await?;
    tracing::debug!(%cluster_id, context_id = %id, %language, "context created");
    Ok(id_body(id))
}

async fn context_status(
    State(state): State<EmulatorState>,
    uri: Uri,
) -> Result<Json<Value>, ErrorResponse> {
    let query = query(&uri)?;
    let address = query_address(&query)?;
    require_cluster(&state, &address.cluster_id, false)?;
    let status = state.execution().context_status(&address)?;
    Ok(Json(json!({"id": address.context_id, "status": status})))
}

async fn destroy(
    State(state): State<EmulatorState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, ErrorResponse> {
    let fields = fields(&headers, &body)?;
    let address = body_address(&fields)?;
    require_cluster(&state, &address.cluster_id, false)?;
    state.execution().destroy(&address).await?;
    tracing::debug!(context_id = %address.context_id, "context destroyed");
    Ok(id_body(address.context_id))
}

async fn execute(
    State(state): State<EmulatorState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, ErrorResponse> {
    let fields = fields(&headers, &body)?;
    let address = body_address(&fields)?;
    let language = language(&fields)?;
    let command = match fields.get("command") {
        Some(Value::String(command)) => command.clone(),
        _ => return Err(ErrorResponse::missing_field("command")),
    };
    require_cluster(&state, &address.cluster_id, true)?;
    let id = state.execution().execute(&address, language, command)?;
    tracing::debug!(context_id = %address.context_id, command_id = %id, "command queued");
    Ok(id_body(id))
}

async fn command_status(
    State(state): State<EmulatorState>,
    uri: Uri,
) -> Result<Json<Report>, ErrorResponse> {
    let query = query(&uri)?;
    let address = query_address(&query)?;
    let command_id = query_field(&query, "commandId")?;
    require_cluster(&state, &address.cluster_id, false)?;
    let report = state.execution().command_status(&address, &command_id)?;
    Ok(Json(report))
}

async fn cancel(
    State(state): State<EmulatorState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, ErrorResponse> {
    let fields = fields(&headers, &body)?;
    let address = body_address(&fields)?;
    let command_id = request::required_string(&fields, "commandId")?;
    require_cluster(&state, &address.cluster_id, false)?;
    state.execution().cancel(&address, &command_id)?;
    tracing::debug!(%command_id, "command cancel requested");
    Ok(id_body(command_id))
}

/// The body's fields, from JSON or a form.
fn fields(headers: &HeaderMap, body: &Bytes) -> Result<Map<String, Value>, ErrorResponse> {
    if request::is_form(headers) {
        request::form_object(body)
            .ok_or_else(|| ErrorResponse::malformed("the form body could not be decoded"))
    } else {
        request::object(body)
    }
}

/// The context a body names (`clusterId`, `contextId`).
fn body_address(fields: &Map<String, Value>) -> Result<ContextAddress, ErrorResponse> {
    Ok(ContextAddress {
        cluster_id: request::required_string(fields, "clusterId")?,
        context_id: request::required_string(fields, "contextId")?,
    })
}

/// The context a query names (`clusterId`, `contextId`).
fn query_address(query: &HashMap<String, String>) -> Result<ContextAddress, ErrorResponse> {
    Ok(ContextAddress {
        cluster_id: query_field(query, "clusterId")?,
        context_id: query_field(query, "contextId")?,
    })
}

/// The `language` field, lower-cased; one of [`LANGUAGES`].
fn language(fields: &Map<String, Value>) -> Result<String, ErrorResponse> {
    let language = request::required_string(fields, "language")?.to_ascii_lowercase();
    if LANGUAGES.contains(&language.as_str()) {
        Ok(language)
    } else {
        Err(ErrorResponse::invalid_parameter(format!(
            "Invalid value for field language: expected one of python, scala, sql, r, got '{language}'"
        )))
    }
}

fn query(uri: &Uri) -> Result<HashMap<String, String>, ErrorResponse> {
    let Query(query) = Query::try_from_uri(uri).map_err(|rejection| {
        ErrorResponse::invalid_parameter(format!("Invalid query string: {rejection}"))
    })?;
    Ok(query)
}

fn query_field(query: &HashMap<String, String>, field: &str) -> Result<String, ErrorResponse> {
    match query.get(field) {
        Some(value) if !value.is_empty() => Ok(value.clone()),
        _ => Err(ErrorResponse::missing_field(field)),
    }
}

/// Refuses an unknown cluster and, when `running` is asked, one that is not
/// `RUNNING` (the emulator has no `RESIZING`).
fn require_cluster(
    state: &EmulatorState,
    cluster_id: &str,
    running: bool,
) -> Result<(), ErrorResponse> {
    let view = state.with_store(Access::Other, |store| store.cluster(cluster_id))?;
    if running && view.state != ClusterState::Running {
        return Err(ErrorResponse::cluster_not_running(cluster_id));
    }
    Ok(())
}
