//! Helpers for the REST API 1.2 tests (`commands.rs`, `contexts.rs`): they
//! drive real `python3` context processes, so every wait polls a status in a
//! loop bounded by [`DEADLINE`] instead of sleeping.

use std::{future::Future, time::Duration};

use axum::http::StatusCode;
use serde_json::{Value, json};

use super::Emu;
use crate::emulator::RUNNING_CLUSTER_ID as RUNNING;

/// The longest any wait may take (context processes start in well under a
/// second, but a loaded test machine is slower).
pub(super) const DEADLINE: Duration = Duration::from_secs(30);

/// Serialises the tests that start many processes with the one that times
/// a cancel, so that the load of the former cannot skew the latter.
pub(super) static HEAVY: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Polls `probe` until it answers `Some`, failing the test after [`DEADLINE`].
pub(super) async fn eventually<T, F: Future<Output = Option<T>>>(
    what: &str,
    mut probe: impl FnMut() -> F,
) -> T {
    let poll = async {
        loop {
            if let Some(found) = probe().await {
                return found;
            }
            // A short pause between polls, only to spare the CPU.
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    };
    tokio::time::timeout(DEADLINE, poll)
        .await
        .unwrap_or_else(|_| panic!("timed out waiting for {what}"))
}

/// Whether process `pid` is gone (always true off Linux, where it cannot be
/// checked this way).
pub(super) fn process_gone(pid: u32) -> bool {
    !cfg!(target_os = "linux") || !std::path::Path::new(&format!("/proc/{pid}")).exists()
}

impl Emu {
    /// Creates a python context on `cluster_id` and answers its id.
    pub(super) async fn create_context(&self, cluster_id: &str) -> String {
        let body = json!({"clusterId": cluster_id, "language": "python"});
        let (status, body) = self.post("/api/1.2/contexts/create", body).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let id = body["id"].as_str().unwrap().to_owned();
        assert!(
            id.len() == 19 && id.bytes().all(|b| b.is_ascii_digit()),
            "{id}"
        );
        id
    }

    /// `contexts/status` of `context_id` on the running cluster.
    pub(super) async fn context_status(&self, context_id: &str) -> (StatusCode, Value) {
        self.get(&format!(
            "/api/1.2/contexts/status?clusterId={RUNNING}&contextId={context_id}"
        ))
        .await
    }

    /// Waits until `context_id` reports `Running`.
    pub(super) async fn wait_running(&self, context_id: &str) {
        eventually("the context to run", || async {
            let (_, body) = self.context_status(context_id).await;
            (body["status"] == "Running").then_some(())
        })
        .await;
    }

    /// Queues `command` in `context_id` and answers the command id.
    pub(super) async fn execute(&self, context_id: &str, language: &str, command: &str) -> String {
        let body = json!({"clusterId": RUNNING, "contextId": context_id, "language": language, "command": command});
        let (status, body) = self.post("/api/1.2/commands/execute", body).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["id"].as_str().unwrap().to_owned()
    }

    /// `commands/status` of `command_id`, asserting a 200.
    pub(super) async fn command(&self, context_id: &str, command_id: &str) -> Value {
        let (status, body) = self
            .get(&format!(
                "/api/1.2/commands/status?clusterId={RUNNING}&contextId={context_id}&commandId={command_id}"
            ))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body
    }

    /// Polls `command_id` until its status is one of `statuses`.
    pub(super) async fn wait_command(
        &self,
        context_id: &str,
        command_id: &str,
        statuses: &[&str],
    ) -> Value {
        eventually(&format!("command status in {statuses:?}"), || async {
            let body = self.command(context_id, command_id).await;
            let status = body["status"].as_str().unwrap();
            statuses.contains(&status).then_some(body)
        })
        .await
    }

    /// Runs `command` to a terminal status and answers the status body.
    pub(super) async fn run(&self, context_id: &str, language: &str, command: &str) -> Value {
        let id = self.execute(context_id, language, command).await;
        self.wait_command(context_id, &id, &["Finished", "Error", "Cancelled"])
            .await
    }

    /// The text data of a `Finished` text result.
    pub(super) async fn text(&self, context_id: &str, command: &str) -> String {
        let body = self.run(context_id, "python", command).await;
        assert_eq!(body["status"], "Finished", "{body}");
        assert_eq!(body["results"]["resultType"], "text", "{body}");
        body["results"]["data"].as_str().unwrap().to_owned()
    }

    /// POSTs `{"clusterId", "contextId", "commandId"}` to `commands/cancel`.
    pub(super) async fn cancel(&self, context_id: &str, command_id: &str) -> (StatusCode, Value) {
        let body = json!({"clusterId": RUNNING, "contextId": context_id, "commandId": command_id});
        self.post("/api/1.2/commands/cancel", body).await
    }
}
