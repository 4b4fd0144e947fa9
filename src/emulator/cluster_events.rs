//! `POST /api/{2.0,2.1}/clusters/events`: a cluster's recorded events,
//! newest first unless `order` is `ASC`, filtered by `event_types` and
//! `start_time`/`end_time`, in pages. Both paging styles are served:
//! `page_size` + `page_token` (answering `next_page_token`), and the
//! deprecated `limit` + `offset` (answering `next_page`, the body of the next
//! request, which the Python SDK follows) with `total_count`.

use axum::{Json, Router, body::Bytes, extract::State, routing::post};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use serde_json::{Map, Value, json};

use super::{EmulatorState, errors::ErrorResponse, request, state::Access};

/// Events per page when the request does not say (Databricks' default).
const DEFAULT_LIMIT: u64 = 50;
/// The most events per page.
const MAX_LIMIT: u64 = 500;

/// The routes, under `/api/2.0` and `/api/2.1`.
pub(crate) fn routes() -> Router<EmulatorState> {
    ["2.0", "2.1"]
        .into_iter()
        .fold(Router::new(), |router, version| {
            router.route(&format!("/api/{version}/clusters/events"), post(events))
        })
}

async fn events(
    State(state): State<EmulatorState>,
    body: Bytes,
) -> Result<Json<Value>, ErrorResponse> {
    let request = request::object(&body)?;
    let cluster_id = request::required_string(&request, "cluster_id")?;
    let all = state.with_store(Access::Other, |store| store.events(&cluster_id))?;
    let mut selected: Vec<Value> = all
        .into_iter()
        .filter(|event| admits(&request, event))
        .collect();
    match request.get("order").and_then(Value::as_str) {
        None | Some("DESC") => selected.reverse(),
        Some("ASC") => {}
        Some(other) => {
            return Err(ErrorResponse::invalid_parameter(format!(
                "Invalid order: {other}"
            )));
        }
    }
    let tokens = request.contains_key("page_size") || request.contains_key("page_token");
    let limit = number(&request, if tokens { "page_size" } else { "limit" })?
        .filter(|limit| *limit > 0)
        .unwrap_or(DEFAULT_LIMIT);
    if limit > MAX_LIMIT {
        return Err(ErrorResponse::invalid_parameter(format!(
            "The limit must be at most {MAX_LIMIT}"
        )));
    }
    let offset = match request.get("page_token").and_then(Value::as_str) {
        Some(token) if !token.is_empty() => read_token(token)?,
        _ => number(&request, "offset")?.unwrap_or(0),
    };
    let total = selected.len() as u64;
    let page: Vec<Value> = selected
        .into_iter()
        .skip(usize::try_from(offset).unwrap_or(usize::MAX))
        .take(usize::try_from(limit).unwrap_or(usize::MAX))
        .collect();
    let next = offset + limit;
    let mut answer = json!({ "events": page });
    if tokens {
        answer["total_count"] = json!(0);
        if next < total {
            let token = URL_SAFE_NO_PAD.encode(format!("offset:{next}"));
            // The Python SDK follows only `next_page`, so it gets one too.
            let mut next_page = request.clone();
            next_page.insert("page_token".into(), json!(token));
            answer["next_page"] = Value::Object(next_page);
            answer["next_page_token"] = json!(token);
        }
    } else {
        answer["total_count"] = json!(total);
        if next < total {
            answer["next_page"] = next_page(&request, next, limit);
        }
    }
    Ok(Json(answer))
}

/// Whether `event` passes the request's type and time filters.
fn admits(request: &Map<String, Value>, event: &Value) -> bool {
    let types = request.get("event_types").and_then(Value::as_array);
    let kind = event.get("type");
    let timestamp = event.get("timestamp").and_then(Value::as_i64).unwrap_or(0);
    let after = request.get("start_time").and_then(Value::as_i64);
    let before = request.get("end_time").and_then(Value::as_i64);
    types.is_none_or(|types| types.is_empty() || kind.is_some_and(|kind| types.contains(kind)))
        && after.is_none_or(|after| timestamp >= after)
        && before.is_none_or(|before| timestamp <= before)
}

/// The request body that reads the page at `offset` (the deprecated style).
fn next_page(request: &Map<String, Value>, offset: u64, limit: u64) -> Value {
    let mut next = request.clone();
    next.insert("offset".into(), json!(offset));
    next.insert("limit".into(), json!(limit));
    Value::Object(next)
}

fn number(request: &Map<String, Value>, field: &str) -> Result<Option<u64>, ErrorResponse> {
    match request.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => value.as_u64().map(Some).ok_or_else(|| {
            ErrorResponse::invalid_parameter(format!("{field} must be a non-negative integer"))
        }),
    }
}

fn read_token(token: &str) -> Result<u64, ErrorResponse> {
    URL_SAFE_NO_PAD
        .decode(token)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|text| text.strip_prefix("offset:")?.parse().ok())
        .ok_or_else(|| ErrorResponse::invalid_parameter("Invalid page token"))
}
