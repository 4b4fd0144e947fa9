//! Router tests through `oneshot`, with the helpers they share: protocol
//! concerns (auth, 404s, journal) in `protocol.rs`, the APIs in
//! `libraries.rs`, `lifecycle.rs` and `clusters.rs`, REST API 1.2 execution
//! in `commands.rs`, `queue.rs`, `contexts.rs` and `refusals.rs` (helpers in
//! `execution.rs`), and the spawned server in `handle.rs`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use axum::{
    Router,
    body::Body,
    http::{Request, StatusCode},
};
use http_body_util::BodyExt as _;
use serde_json::{Value, json};
use tower::ServiceExt as _;

use super::{DEFAULT_TOKEN, EmulatorConfig, EmulatorState, Pace, app};

mod cluster_changes;
mod clusters;
mod commands;
mod contexts;
mod execution;
mod handle;
mod leftovers;
mod libraries;
mod lifecycle;
mod protocol;
mod queue;
mod refusals;

/// An emulator served in memory.
struct Emu {
    state: EmulatorState,
    router: Router,
}

impl Emu {
    fn new(pace: Pace) -> Self {
        Self::over(EmulatorState::new(
            EmulatorConfig::default().with_pace(pace),
        ))
    }

    /// Requests in memory to the emulator that owns `state`.
    fn over(state: EmulatorState) -> Self {
        Self {
            router: app(state.clone()),
            state,
        }
    }

    /// Sends a request with an optional `Authorization` header value.
    async fn send(
        &self,
        method: &str,
        uri: &str,
        body: Option<&str>,
        auth: Option<&str>,
    ) -> (StatusCode, Value) {
        let mut request = Request::builder().method(method).uri(uri);
        if let Some(auth) = auth {
            request = request.header("authorization", auth);
        }
        if body.is_some() {
            request = request.header("content-type", "application/json");
        }
        let request = request
            .body(Body::from(body.unwrap_or_default().to_owned()))
            .unwrap();
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let json = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap()
        };
        (status, json)
    }

    async fn get(&self, uri: &str) -> (StatusCode, Value) {
        self.send("GET", uri, None, Some(&format!("Bearer {DEFAULT_TOKEN}")))
            .await
    }

    async fn post(&self, uri: &str, body: Value) -> (StatusCode, Value) {
        self.send(
            "POST",
            uri,
            Some(&body.to_string()),
            Some(&format!("Bearer {DEFAULT_TOKEN}")),
        )
        .await
    }

    /// POSTs and asserts the `{}` answer.
    async fn ok(&self, uri: &str, body: Value) {
        assert_eq!(
            self.post(uri, body).await,
            (StatusCode::OK, json!({})),
            "POST {uri}"
        );
    }

    /// The `library_statuses` of a cluster (`[]` when absent).
    async fn statuses(&self, cluster_id: &str) -> Vec<Value> {
        let (status, body) = self
            .get(&format!(
                "/api/2.0/libraries/cluster-status?cluster_id={cluster_id}"
            ))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["cluster_id"], cluster_id);
        body.get("library_statuses")
            .map(|list| list.as_array().unwrap().clone())
            .unwrap_or_default()
    }

    /// The status entry of `library` on `cluster_id`.
    async fn status_of(&self, cluster_id: &str, library: &Value) -> Value {
        let statuses = self.statuses(cluster_id).await;
        statuses
            .into_iter()
            .find(|status| &status["library"] == library)
            .expect("library is listed")
    }

    async fn install(&self, cluster_id: &str, libraries: Value) {
        self.ok(
            "/api/2.0/libraries/install",
            json!({"cluster_id": cluster_id, "libraries": libraries}),
        )
        .await;
    }

    async fn cluster_state(&self, cluster_id: &str) -> String {
        let (status, body) = self
            .get(&format!("/api/2.0/clusters/get?cluster_id={cluster_id}"))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["state"].as_str().unwrap().to_owned()
    }
}

fn pypi(package: &str) -> Value {
    json!({"pypi": {"package": package}})
}
