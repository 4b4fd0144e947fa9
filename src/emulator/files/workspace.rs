//! Workspace files: `workspace/import` (JSON with base64 content, or the
//! multipart form the Python SDK sends), `mkdirs`, `list`, `get-status`,
//! `delete`, and the CLI's raw `workspace-files/import-file`.

use axum::{
    Json, Router,
    body::{Body, Bytes, to_bytes},
    extract::{DefaultBodyLimit, FromRequest, Multipart, Path, Query, Request, State},
    http::{StatusCode, header::CONTENT_TYPE},
    routing::{get, post},
};
use base64::Engine as _;
use serde_json::{Map, Value, json};
use std::collections::HashMap;

use super::{Node, Refusal, listing};
use crate::emulator::{EmulatorState, errors::ErrorResponse, request, state::Access};

/// Largest imported file (`MAX_NOTEBOOK_SIZE_EXCEEDED` beyond).
pub(crate) const MAX_IMPORT_BYTES: usize = 10 * 1024 * 1024;

/// Largest request body read (10 MiB of base64 and some JSON).
const MAX_REQUEST: usize = 16 * 1024 * 1024;

/// The workspace routes.
pub(super) fn routes() -> Router<EmulatorState> {
    Router::new()
        .route("/api/2.0/workspace/import", post(import))
        .route("/api/2.0/workspace/mkdirs", post(mkdirs))
        .route("/api/2.0/workspace/list", get(list))
        .route("/api/2.0/workspace/get-status", get(get_status))
        .route("/api/2.0/workspace/delete", post(delete))
        .route(
            "/api/2.0/workspace-files/import-file/{*path}",
            post(import_file),
        )
        .layer(DefaultBodyLimit::max(MAX_REQUEST))
}

/// `/Workspace/...` for a workspace path given with or without the prefix.
fn canonical(path: &str) -> Result<String, ErrorResponse> {
    let path = path.trim_end_matches('/');
    if path == "/Workspace" || path.starts_with("/Workspace/") {
        Ok(path.to_owned())
    } else if path.starts_with('/') {
        Ok(format!("/Workspace{path}"))
    } else {
        Err(ErrorResponse::invalid_parameter(format!(
            "Path ({path}) doesn't start with '/'"
        )))
    }
}

fn does_not_exist(path: &str) -> ErrorResponse {
    ErrorResponse::coded(
        StatusCode::NOT_FOUND,
        "RESOURCE_DOES_NOT_EXIST",
        format!("Path ({path}) doesn't exist."),
    )
}

fn refused(refusal: Refusal, path: &str) -> ErrorResponse {
    match refusal {
        Refusal::NoParent(parent) => ErrorResponse::coded(
            StatusCode::NOT_FOUND,
            "RESOURCE_DOES_NOT_EXIST",
            format!("The parent folder ({parent}) does not exist."),
        ),
        Refusal::Exists | Refusal::WrongKind => ErrorResponse::coded(
            StatusCode::BAD_REQUEST,
            "RESOURCE_ALREADY_EXISTS",
            format!("{path} already exists."),
        ),
    }
}

/// Stores an imported file.
fn store_file(
    state: &EmulatorState,
    path: &str,
    content: Bytes,
    overwrite: bool,
) -> Result<Json<Value>, ErrorResponse> {
    if content.len() > MAX_IMPORT_BYTES {
        return Err(ErrorResponse::coded(
            StatusCode::BAD_REQUEST,
            "MAX_NOTEBOOK_SIZE_EXCEEDED",
            format!(
                "File size imported is ({} bytes), exceeded max size ({MAX_IMPORT_BYTES} bytes)",
                content.len()
            ),
        ));
    }
    let path = canonical(path)?;
    state.with_store(Access::Other, |store| {
        store
            .files
            .write(&path, content, overwrite)
            .map_err(|refusal| refused(refusal, &path))
    })?;
    Ok(Json(json!({})))
}

async fn import(
    State(state): State<EmulatorState>,
    request: Request,
) -> Result<Json<Value>, ErrorResponse> {
    let is_multipart = request
        .headers()
        .get(CONTENT_TYPE)
        .is_some_and(|value| value.as_bytes().starts_with(b"multipart/form-data"));
    let (fields, content) = if is_multipart {
        multipart_fields(request).await?
    } else {
        let body = to_bytes(request.into_body(), MAX_REQUEST)
            .await
            .map_err(ErrorResponse::malformed)?;
        let map = request::object(&body)?;
        let content = match map.get("content") {
            Some(Value::String(text)) => base64::engine::general_purpose::STANDARD
                .decode(text)
                .map(Bytes::from)
                .map_err(|_| ErrorResponse::invalid_parameter("content is not valid base64"))?,
            _ => Bytes::new(),
        };
        (map, content)
    };
    let path = request::required_string(&fields, "path")?;
    let overwrite = match fields.get("overwrite") {
        Some(Value::Bool(flag)) => *flag,
        Some(Value::String(text)) => text == "true",
        _ => false,
    };
    store_file(&state, &path, content, overwrite)
}

/// The text fields and the `content` file of a multipart import.
async fn multipart_fields(request: Request) -> Result<(Map<String, Value>, Bytes), ErrorResponse> {
    let mut form = Multipart::from_request(request, &())
        .await
        .map_err(|rejection| ErrorResponse::malformed(rejection.body_text()))?;
    let mut fields = Map::new();
    let mut content = Bytes::new();
    while let Some(field) = form.next_field().await.map_err(ErrorResponse::malformed)? {
        let key = field.name().unwrap_or_default().to_owned();
        let bytes = field.bytes().await.map_err(ErrorResponse::malformed)?;
        if key == "content" {
            content = bytes;
        } else {
            fields.insert(
                key,
                Value::String(String::from_utf8_lossy(&bytes).into_owned()),
            );
        }
    }
    Ok((fields, content))
}

async fn import_file(
    State(state): State<EmulatorState>,
    Path(raw): Path<String>,
    Query(params): Query<HashMap<String, String>>,
    body: Body,
) -> Result<Json<Value>, ErrorResponse> {
    let content = to_bytes(body, MAX_REQUEST)
        .await
        .map_err(ErrorResponse::malformed)?;
    let overwrite = params.get("overwrite").is_some_and(|value| value == "true");
    store_file(&state, &format!("/{raw}"), content, overwrite)
}

async fn mkdirs(
    State(state): State<EmulatorState>,
    body: Bytes,
) -> Result<Json<Value>, ErrorResponse> {
    let path = canonical(&request::required_string(&request::object(&body)?, "path")?)?;
    state.with_store(Access::Other, |store| {
        store
            .files
            .mkdirs(&path, "/Workspace")
            .map_err(|refusal| refused(refusal, &path))
    })?;
    Ok(Json(json!({})))
}

fn object(path: &str, node: &Node) -> Value {
    match node {
        Node::Dir { .. } => json!({"path": path, "object_type": "DIRECTORY"}),
        Node::File { data, modified } => json!({
            "path": path, "object_type": "FILE", "size": data.len(),
            "modified_at": modified, "created_at": modified,
        }),
    }
}

fn path_query(params: &HashMap<String, String>) -> Result<String, ErrorResponse> {
    match params.get("path") {
        Some(path) if !path.is_empty() => canonical(path),
        _ => Err(ErrorResponse::missing_field("path")),
    }
}

async fn list(
    State(state): State<EmulatorState>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ErrorResponse> {
    let path = path_query(&params)?;
    state.with_store(Access::Other, |store| {
        listing(&store.files, &path, "objects", object)
            .map(Json)
            .ok_or_else(|| does_not_exist(&path))
    })
}

async fn get_status(
    State(state): State<EmulatorState>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ErrorResponse> {
    let path = path_query(&params)?;
    state.with_store(Access::Other, |store| {
        store
            .files
            .get(&path)
            .map(|node| Json(object(&path, node)))
            .ok_or_else(|| does_not_exist(&path))
    })
}

async fn delete(
    State(state): State<EmulatorState>,
    body: Bytes,
) -> Result<Json<Value>, ErrorResponse> {
    let map = request::object(&body)?;
    let path = canonical(&request::required_string(&map, "path")?)?;
    let recursive = matches!(map.get("recursive"), Some(Value::Bool(true)));
    state.with_store(Access::Other, |store| {
        match store.files.remove(&path, recursive) {
            Some(true) => Ok(Json(json!({}))),
            Some(false) => Err(ErrorResponse::coded(
                StatusCode::BAD_REQUEST,
                "DIRECTORY_NOT_EMPTY",
                format!("Folder ({path}) is not empty."),
            )),
            None => Err(does_not_exist(&path)),
        }
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::emulator::files::{name, parent};

    #[test]
    fn paths_get_the_workspace_prefix() {
        assert_eq!(
            canonical("/Users/me/x.jar").unwrap(),
            "/Workspace/Users/me/x.jar"
        );
        assert_eq!(
            canonical("/Workspace/Users/me/").unwrap(),
            "/Workspace/Users/me"
        );
        assert!(canonical("Users").is_err());
        assert_eq!(name("/Workspace/a/b"), "b");
        assert_eq!(parent("/Workspace/a/b"), "/Workspace/a");
    }
}
