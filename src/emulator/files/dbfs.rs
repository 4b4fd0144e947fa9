//! DBFS API 2.0: `put`, `create` / `add-block` / `close` (1 MB per block,
//! handles), `get-status`, `read`, `list`, `mkdirs` and `delete`. As on
//! DBFS, a stream's file is visible, half-written, until it is closed.

use std::collections::HashMap;

use axum::{
    Json, Router,
    body::Bytes,
    extract::{Query, State},
    http::StatusCode,
    routing::{get, post},
};
use base64::Engine as _;
use serde_json::{Map, Value, json};

use super::{Node, Refusal, listing, parent};
use crate::emulator::{EmulatorState, errors::ErrorResponse, request, state::Access};

/// Most decoded bytes in one `put`, `add-block` or `read`.
pub(crate) const MAX_BLOCK: usize = 1024 * 1024;

/// The DBFS routes.
pub(super) fn routes() -> Router<EmulatorState> {
    Router::new()
        .route("/api/2.0/dbfs/put", post(put))
        .route("/api/2.0/dbfs/create", post(create))
        .route("/api/2.0/dbfs/add-block", post(add_block))
        .route("/api/2.0/dbfs/close", post(close))
        .route("/api/2.0/dbfs/get-status", get(get_status))
        .route("/api/2.0/dbfs/read", get(read))
        .route("/api/2.0/dbfs/list", get(list))
        .route("/api/2.0/dbfs/mkdirs", post(mkdirs))
        .route("/api/2.0/dbfs/delete", post(delete))
}

/// `dbfs:/x` for `dbfs:/x` or `/x`; `dbfs:` for the root.
fn canonical(path: &str) -> Result<String, ErrorResponse> {
    let rest = path.strip_prefix("dbfs:").unwrap_or(path);
    if !rest.starts_with('/') {
        return Err(ErrorResponse::invalid_parameter(format!(
            "Path must be absolute: {path}"
        )));
    }
    Ok(format!("dbfs:{}", rest.trim_end_matches('/')))
}

/// The path DBFS reports: without the scheme.
fn reported(path: &str) -> String {
    match path.strip_prefix("dbfs:") {
        Some("") => "/".to_owned(),
        Some(rest) => rest.to_owned(),
        None => path.to_owned(),
    }
}

fn no_such_file(path: &str) -> ErrorResponse {
    ErrorResponse::coded(
        StatusCode::NOT_FOUND,
        "RESOURCE_DOES_NOT_EXIST",
        format!("No file or directory exists on path {}.", reported(path)),
    )
}

fn refused(refusal: Refusal, path: &str) -> ErrorResponse {
    match refusal {
        Refusal::Exists | Refusal::WrongKind => ErrorResponse::coded(
            StatusCode::BAD_REQUEST,
            "RESOURCE_ALREADY_EXISTS",
            format!(
                "A file or directory already exists at the input path {}.",
                reported(path)
            ),
        ),
        Refusal::NoParent(parent) => no_such_file(&parent),
    }
}

fn too_large(size: usize) -> ErrorResponse {
    ErrorResponse::coded(
        StatusCode::BAD_REQUEST,
        "MAX_BLOCK_SIZE_EXCEEDED",
        format!("The block of {size} bytes exceeds the maximum of {MAX_BLOCK} bytes."),
    )
}

fn decoded(map: &Map<String, Value>, field: &str) -> Result<Vec<u8>, ErrorResponse> {
    let text = match map.get(field) {
        Some(Value::String(text)) => text.as_str(),
        None | Some(Value::Null) => "",
        Some(_) => {
            return Err(ErrorResponse::invalid_parameter(format!(
                "{field} must be a string"
            )));
        }
    };
    let data = base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(|_| ErrorResponse::invalid_parameter(format!("{field} is not valid base64")))?;
    if data.len() > MAX_BLOCK {
        return Err(too_large(data.len()));
    }
    Ok(data)
}

fn flag(map: &Map<String, Value>, field: &str) -> bool {
    matches!(map.get(field), Some(Value::Bool(true)))
}

fn handle_of(map: &Map<String, Value>) -> Result<i64, ErrorResponse> {
    map.get("handle")
        .and_then(Value::as_i64)
        .ok_or_else(|| ErrorResponse::missing_field("handle"))
}

fn bad_handle(handle: i64) -> ErrorResponse {
    ErrorResponse::coded(
        StatusCode::NOT_FOUND,
        "RESOURCE_DOES_NOT_EXIST",
        format!("Stream with handle {handle} does not exist."),
    )
}

async fn put(
    State(state): State<EmulatorState>,
    body: Bytes,
) -> Result<Json<Value>, ErrorResponse> {
    let map = request::object(&body)?;
    let path = canonical(&request::required_string(&map, "path")?)?;
    let data = decoded(&map, "contents")?;
    let overwrite = flag(&map, "overwrite");
    state.with_store(Access::Other, |store| {
        store
            .files
            .mkdirs(parent(&path), "dbfs:")
            .map_err(|r| refused(r, &path))?;
        store
            .files
            .write(&path, Bytes::from(data), overwrite)
            .map_err(|r| refused(r, &path))
    })?;
    Ok(Json(json!({})))
}

async fn create(
    State(state): State<EmulatorState>,
    body: Bytes,
) -> Result<Json<Value>, ErrorResponse> {
    let map = request::object(&body)?;
    let path = canonical(&request::required_string(&map, "path")?)?;
    let overwrite = flag(&map, "overwrite");
    let handle = state.with_store(Access::Other, |store| {
        store
            .files
            .open(&path, overwrite)
            .map_err(|r| refused(r, &path))
    })?;
    Ok(Json(json!({"handle": handle})))
}

async fn add_block(
    State(state): State<EmulatorState>,
    body: Bytes,
) -> Result<Json<Value>, ErrorResponse> {
    let map = request::object(&body)?;
    let handle = handle_of(&map)?;
    let data = decoded(&map, "data")?;
    if state.with_store(Access::Other, |store| store.files.append(handle, &data)) {
        Ok(Json(json!({})))
    } else {
        Err(bad_handle(handle))
    }
}

async fn close(
    State(state): State<EmulatorState>,
    body: Bytes,
) -> Result<Json<Value>, ErrorResponse> {
    let handle = handle_of(&request::object(&body)?)?;
    if state.with_store(Access::Other, |store| store.files.close(handle)) {
        Ok(Json(json!({})))
    } else {
        Err(bad_handle(handle))
    }
}

fn info(path: &str, node: &Node) -> Value {
    match node {
        Node::Dir { modified } => {
            json!({"path": reported(path), "is_dir": true, "file_size": 0, "modification_time": modified})
        }
        Node::File { data, modified } => json!({
            "path": reported(path), "is_dir": false, "file_size": data.len(), "modification_time": modified,
        }),
    }
}

fn path_query(params: &HashMap<String, String>) -> Result<String, ErrorResponse> {
    match params.get("path") {
        Some(path) if !path.is_empty() => canonical(path),
        _ => Err(ErrorResponse::missing_field("path")),
    }
}

type Params = Query<HashMap<String, String>>;

async fn get_status(
    State(state): State<EmulatorState>,
    Query(params): Params,
) -> Result<Json<Value>, ErrorResponse> {
    let path = path_query(&params)?;
    state.with_store(Access::Other, |store| {
        store
            .files
            .get(&path)
            .map(|node| Json(info(&path, node)))
            .ok_or_else(|| no_such_file(&path))
    })
}

async fn read(
    State(state): State<EmulatorState>,
    Query(params): Params,
) -> Result<Json<Value>, ErrorResponse> {
    let path = path_query(&params)?;
    let number = |field: &str, default: usize| match params.get(field) {
        None => Ok(default),
        Some(text) => text
            .parse::<usize>()
            .map_err(|_| ErrorResponse::invalid_parameter(format!("Invalid {field}: {text}"))),
    };
    let offset = number("offset", 0)?;
    let length = number("length", MAX_BLOCK / 2)?;
    if length > MAX_BLOCK {
        return Err(too_large(length));
    }
    state.with_store(Access::Other, |store| match store.files.get(&path) {
        Some(Node::File { data, .. }) => {
            let start = offset.min(data.len());
            let end = start.saturating_add(length).min(data.len());
            let chunk = &data[start..end];
            Ok(Json(json!({
                "bytes_read": chunk.len(),
                "data": base64::engine::general_purpose::STANDARD.encode(chunk),
            })))
        }
        Some(Node::Dir { .. }) => Err(ErrorResponse::invalid_parameter(format!(
            "{} is a directory",
            reported(&path)
        ))),
        None => Err(no_such_file(&path)),
    })
}

async fn list(
    State(state): State<EmulatorState>,
    Query(params): Params,
) -> Result<Json<Value>, ErrorResponse> {
    let path = path_query(&params)?;
    state.with_store(Access::Other, |store| {
        listing(&store.files, &path, "files", info)
            .map(Json)
            .ok_or_else(|| no_such_file(&path))
    })
}

async fn mkdirs(
    State(state): State<EmulatorState>,
    body: Bytes,
) -> Result<Json<Value>, ErrorResponse> {
    let path = canonical(&request::required_string(&request::object(&body)?, "path")?)?;
    state.with_store(Access::Other, |store| {
        store
            .files
            .mkdirs(&path, "dbfs:")
            .map_err(|r| refused(r, &path))
    })?;
    Ok(Json(json!({})))
}

async fn delete(
    State(state): State<EmulatorState>,
    body: Bytes,
) -> Result<Json<Value>, ErrorResponse> {
    let map = request::object(&body)?;
    let path = canonical(&request::required_string(&map, "path")?)?;
    let recursive = flag(&map, "recursive");
    state.with_store(Access::Other, |store| {
        match store.files.remove(&path, recursive) {
            Some(true) => Ok(Json(json!({}))),
            Some(false) => Err(ErrorResponse::coded(
                StatusCode::BAD_REQUEST,
                "IO_ERROR",
                format!(
                    "Directory {} is not empty; pass recursive to delete it.",
                    reported(&path)
                ),
            )),
            // DBFS answers a delete of nothing with success.
            None => Ok(Json(json!({}))),
        }
    })
}
