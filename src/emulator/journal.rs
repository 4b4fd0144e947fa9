//! The request journal: a middleware that records every request the
//! emulator answers (refusals and 404s included) so tests can assert on the
//! exact wire traffic. Headers are never recorded, so the token cannot leak.

use std::{
    collections::VecDeque,
    sync::{Mutex, PoisonError},
};

use axum::{
    body::{Body, to_bytes},
    extract::{Request, State},
    middleware::Next,
    response::{IntoResponse, Response},
};

use super::{EmulatorState, auth::PrincipalSlot, errors::ErrorResponse, request};

/// The largest request body the emulator reads.
const MAX_BODY: usize = 16 * 1024 * 1024;
/// The journal keeps this many most recent entries, so that a long-running
/// emulator does not grow without bound.
const CAPACITY: usize = 100_000;
/// Paths whose bodies are raw file bytes, streamed to the handler and not
/// recorded.
const RAW_BODY_PATHS: &[&str] = &["/api/2.0/fs/files/", "/api/2.0/workspace-files/"];

/// One request the emulator served.
#[derive(Debug, Clone, PartialEq)]
pub struct JournalEntry {
    /// HTTP method, e.g. `POST`.
    pub method: String,
    /// Request path, e.g. `/api/2.0/libraries/install`.
    pub path: String,
    /// The raw query string, without the `?`.
    pub query: Option<String>,
    /// The body, when it was JSON (or a form, recorded as an object of
    /// strings).
    pub body: Option<serde_json::Value>,
    /// The response status code.
    pub status: u16,
    /// The user the request authenticated as (a user name, or the OAuth
    /// client id); `None` when it was refused or needs no credential.
    pub principal: Option<String>,
}

/// The recorded entries, oldest first.
#[derive(Debug, Default)]
pub(crate) struct Journal {
    entries: Mutex<VecDeque<JournalEntry>>,
}

// === impl Journal ===

impl Journal {
    fn push(&self, entry: JournalEntry) {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if entries.len() == CAPACITY {
            entries.pop_front();
        }
        entries.push_back(entry);
    }

    /// A copy of every entry, oldest first.
    pub(crate) fn entries(&self) -> Vec<JournalEntry> {
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .cloned()
            .collect()
    }
}

/// Middleware: buffers the body, runs the rest of the stack, then records
/// the request with the status it got.
pub(crate) async fn record(
    State(state): State<EmulatorState>,
    request: Request,
    next: Next,
) -> Response {
    let (mut parts, body) = request.into_parts();
    let principal = PrincipalSlot::default();
    parts.extensions.insert(principal.clone());
    let entry = JournalEntry {
        method: parts.method.to_string(),
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().map(str::to_owned),
        body: None,
        status: 0,
        principal: None,
    };
    // Raw upload bodies (up to 5 GiB) go to their handler as they arrive,
    // unrecorded.
    if RAW_BODY_PATHS
        .iter()
        .any(|prefix| entry.path.starts_with(prefix))
    {
        let response = next.run(Request::from_parts(parts, body)).await;
        return finish(&state, entry, &principal, response);
    }
    let mut entry = entry;
    let response = match to_bytes(body, MAX_BODY).await {
        Ok(bytes) => {
            entry.body = serde_json::from_slice(&bytes).ok().or_else(|| {
                request::is_form(&parts.headers)
                    .then(|| request::form_object(&bytes))
                    .flatten()
                    .map(serde_json::Value::Object)
            });
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        Err(error) => ErrorResponse::malformed(format_args!("the body could not be read: {error}"))
            .into_response(),
    };
    finish(&state, entry, &principal, response)
}

/// Records `entry` with the status of `response`, and passes it on.
fn finish(
    state: &EmulatorState,
    mut entry: JournalEntry,
    principal: &PrincipalSlot,
    response: Response,
) -> Response {
    entry.status = response.status().as_u16();
    entry.principal = principal.0.get().cloned();
    tracing::debug!(method = %entry.method, path = %entry.path, status = entry.status, "emulator request");
    state.journal_log().push(entry);
    response
}
