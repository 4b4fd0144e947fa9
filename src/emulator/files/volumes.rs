//! The Files API on Unity Catalog volumes: `PUT`/`GET`/`HEAD`/`DELETE
//! /api/2.0/fs/files{path}` and `PUT`/`GET`/`HEAD`/`DELETE
//! /api/2.0/fs/directories{path}`. Upload bodies are raw bytes, read as
//! they arrive; a body that breaks off stores nothing.

use std::{
    collections::HashMap,
    time::{Duration, UNIX_EPOCH},
};

use axum::{
    Json, Router,
    body::Body,
    extract::{Path, Query, State},
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
    routing::put,
};
use bytes::BytesMut;
use futures_util::StreamExt;
use serde_json::{Value, json};

use super::{FileTree, Node, Refusal, name};
use crate::emulator::{EmulatorState, errors::ErrorResponse, state::Access};

/// Largest page of a directory listing.
const MAX_PAGE: usize = 1000;

/// The Files API routes.
pub(super) fn routes() -> Router<EmulatorState> {
    Router::new()
        .route(
            "/api/2.0/fs/files/{*path}",
            put(upload).get(download).delete(delete_file),
        )
        .route(
            "/api/2.0/fs/directories/{*path}",
            put(create_directory)
                .get(list_directory)
                .delete(delete_directory),
        )
}

type Params = Query<HashMap<String, String>>;

/// `/Volumes/<c>/<s>/<v>` of `path`, or a 400 when `path` is not in a volume.
fn volume_of(path: &str) -> Result<String, ErrorResponse> {
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    if segments.len() < 4 || segments[0] != "Volumes" || segments[1..4].iter().any(|s| s.is_empty())
    {
        return Err(ErrorResponse::invalid_parameter(format!(
            "Invalid path {path}: expected /Volumes/<catalog>/<schema>/<volume>/..."
        )));
    }
    Ok(format!("/{}", segments[..4].join("/")))
}

/// The absolute path of a route's `{*path}`, checked to lie in a volume
/// that exists.
fn in_volume(tree: &FileTree, raw: &str) -> Result<(String, String), ErrorResponse> {
    let path = format!("/{}", raw.trim_end_matches('/'));
    let volume = volume_of(&path)?;
    if !matches!(tree.get(&volume), Some(Node::Dir { .. })) {
        let dotted = volume.trim_start_matches("/Volumes/").replace('/', ".");
        return Err(ErrorResponse::coded(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            format!("Volume '{dotted}' does not exist."),
        ));
    }
    Ok((path, volume))
}

fn not_found(what: &str) -> ErrorResponse {
    ErrorResponse::coded(
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
        format!("The {what} being accessed is not found."),
    )
}

fn refused(refusal: Refusal) -> ErrorResponse {
    match refusal {
        Refusal::Exists => ErrorResponse::coded(
            StatusCode::CONFLICT,
            "ALREADY_EXISTS",
            "The file being created already exists.",
        ),
        Refusal::WrongKind => ErrorResponse::coded(
            StatusCode::CONFLICT,
            "RESOURCE_CONFLICT",
            "A directory or file is in the way of the path.",
        ),
        Refusal::NoParent(_) => not_found("directory"),
    }
}

async fn upload(
    State(state): State<EmulatorState>,
    Path(raw): Path<String>,
    Query(params): Params,
    body: Body,
) -> Result<StatusCode, ErrorResponse> {
    let (path, volume) = state.with_store(Access::Other, |store| in_volume(&store.files, &raw))?;
    let overwrite = params.get("overwrite").is_none_or(|value| value == "true");
    let exists = state.with_store(Access::Other, |store| store.files.is_file(&path));
    if exists && !overwrite {
        return Err(refused(Refusal::Exists));
    }
    let mut data = BytesMut::new();
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream.next().await {
        match chunk {
            Ok(chunk) => data.extend_from_slice(&chunk),
            Err(error) => {
                tracing::debug!(%error, "upload body broke off; nothing stored");
                return Err(ErrorResponse::malformed(format_args!(
                    "the body could not be read: {error}"
                )));
            }
        }
    }
    state.with_store(Access::Other, |store| {
        store
            .files
            .mkdirs(super::parent(&path), &volume)
            .map_err(refused)?;
        store
            .files
            .write(&path, data.freeze(), overwrite)
            .map_err(refused)
    })?;
    Ok(StatusCode::NO_CONTENT)
}

async fn download(
    State(state): State<EmulatorState>,
    Path(raw): Path<String>,
) -> Result<Response, ErrorResponse> {
    let (data, modified) = state.with_store(Access::Other, |store| {
        let (path, _) = in_volume(&store.files, &raw)?;
        match store.files.get(&path) {
            Some(Node::File { data, modified }) => Ok((data.clone(), *modified)),
            _ => Err(not_found("file")),
        }
    })?;
    let modified = UNIX_EPOCH + Duration::from_millis(u64::try_from(modified).unwrap_or(0));
    let mut response = Body::from(data.clone()).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(data.len()));
    if let Ok(date) = HeaderValue::from_str(&httpdate::fmt_http_date(modified)) {
        headers.insert(header::LAST_MODIFIED, date);
    }
    Ok(response)
}

async fn delete_file(
    State(state): State<EmulatorState>,
    Path(raw): Path<String>,
) -> Result<StatusCode, ErrorResponse> {
    state.with_store(Access::Other, |store| {
        let (path, _) = in_volume(&store.files, &raw)?;
        if !store.files.is_file(&path) {
            return Err(not_found("file"));
        }
        store.files.remove(&path, false);
        Ok(StatusCode::NO_CONTENT)
    })
}

async fn create_directory(
    State(state): State<EmulatorState>,
    Path(raw): Path<String>,
) -> Result<StatusCode, ErrorResponse> {
    state.with_store(Access::Other, |store| {
        let (path, volume) = in_volume(&store.files, &raw)?;
        store.files.mkdirs(&path, &volume).map_err(refused)?;
        Ok(StatusCode::NO_CONTENT)
    })
}

async fn list_directory(
    State(state): State<EmulatorState>,
    Path(raw): Path<String>,
    Query(params): Params,
) -> Result<Json<Value>, ErrorResponse> {
    let page_size = match params.get("page_size").map(|size| size.parse::<usize>()) {
        None | Some(Ok(0)) => MAX_PAGE,
        Some(Ok(size)) => size.min(MAX_PAGE),
        Some(Err(_)) => return Err(ErrorResponse::invalid_parameter("Invalid page_size")),
    };
    let start = match params.get("page_token").map(|token| token.parse::<usize>()) {
        None => 0,
        Some(Ok(start)) => start,
        Some(Err(_)) => return Err(ErrorResponse::invalid_parameter("Invalid page_token")),
    };
    state.with_store(Access::Other, |store| {
        let (path, _) = in_volume(&store.files, &raw)?;
        if !matches!(store.files.get(&path), Some(Node::Dir { .. })) {
            return Err(not_found("directory"));
        }
        let children = store.files.children(&path);
        let entries: Vec<Value> = children
            .iter()
            .skip(start)
            .take(page_size)
            .map(|(child, node)| entry(child, node))
            .collect();
        let mut body = json!({});
        if !entries.is_empty() {
            body["contents"] = json!(entries);
        }
        if start + page_size < children.len() {
            body["next_page_token"] = json!((start + page_size).to_string());
        }
        Ok(Json(body))
    })
}

fn entry(path: &str, node: &Node) -> Value {
    match node {
        Node::Dir { .. } => {
            json!({"path": format!("{path}/"), "name": name(path), "is_directory": true})
        }
        Node::File { data, modified } => json!({
            "path": path, "name": name(path), "is_directory": false,
            "file_size": data.len(), "last_modified": modified,
        }),
    }
}

async fn delete_directory(
    State(state): State<EmulatorState>,
    Path(raw): Path<String>,
) -> Result<StatusCode, ErrorResponse> {
    state.with_store(Access::Other, |store| {
        let (path, volume) = in_volume(&store.files, &raw)?;
        if path == volume || !matches!(store.files.get(&path), Some(Node::Dir { .. })) {
            return Err(not_found("directory"));
        }
        match store.files.remove(&path, false) {
            Some(true) => Ok(StatusCode::NO_CONTENT),
            _ => Err(ErrorResponse::coded(
                StatusCode::CONFLICT,
                "FAILED_PRECONDITION",
                "The directory being deleted is not empty.",
            )),
        }
    })
}
