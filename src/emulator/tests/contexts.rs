//! REST API 1.2 contexts: preconditions, the per-cluster limit, and that no
//! process outlives its context (destroy, restart, terminate, a crash,
//! shutdown).

use axum::http::StatusCode;
use serde_json::json;

use super::{
    Emu,
    execution::{HEAVY, eventually, process_gone},
};
use crate::emulator::{
    EmulatorConfig, EmulatorState, Pace, RUNNING_CLUSTER_ID as RUNNING,
    TERMINATED_CLUSTER_ID as TERMINATED, execution::MAX_CONTEXTS_PER_CLUSTER,
};

#[tokio::test]
async fn contexts_start_pending_then_run_only_on_running_clusters() {
    let held = HeldPython::new();
    let emu = Emu::over(EmulatorState::new(
        EmulatorConfig::default()
            .with_pace(Pace::Manual)
            .with_python(held.wrapper()),
    ));
    let context = emu.create_context(RUNNING).await;
    // The process cannot report ready before the gate opens.
    let (status, body) = emu.context_status(&context).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, json!({"id": context, "status": "Pending"}));
    held.release().await;
    emu.wait_running(&context).await;
    let create = |cluster: &str| json!({"clusterId": cluster, "language": "python"});
    let refused = emu
        .post("/api/1.2/contexts/create", create(TERMINATED))
        .await;
    let not_running = json!({"error_code": "INVALID_STATE", "message": format!("Cluster {TERMINATED} is not running.")});
    assert_eq!(refused, (StatusCode::BAD_REQUEST, not_running));
    let unknown = emu.post("/api/1.2/contexts/create", create("nope")).await;
    assert_eq!(
        unknown,
        (
            StatusCode::BAD_REQUEST,
            json!({"error_code": "INVALID_PARAMETER_VALUE", "message": "Cluster nope does not exist"})
        )
    );
    // Legacy clients post forms; the journal records them as objects.
    let form = axum::http::Request::post("/api/1.2/contexts/create")
        .header(
            "authorization",
            format!("Bearer {}", crate::emulator::DEFAULT_TOKEN),
        )
        .header("content-type", "application/x-www-form-urlencoded")
        .body(axum::body::Body::from(format!(
            "clusterId={RUNNING}&language=sql"
        )))
        .unwrap();
    let response = tower::ServiceExt::oneshot(emu.router.clone(), form)
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let last = emu.state.journal().pop().unwrap();
    assert_eq!(
        last.body,
        Some(json!({"clusterId": RUNNING, "language": "sql"}))
    );
}

#[tokio::test]
async fn the_146th_context_of_a_cluster_is_refused() {
    let _heavy = HEAVY.lock().await;
    let emu = Emu::new(Pace::Manual);
    let mut contexts = Vec::new();
    for _ in 0..MAX_CONTEXTS_PER_CLUSTER {
        contexts.push(emu.create_context(RUNNING).await);
    }
    let body = json!({"clusterId": RUNNING, "language": "python"});
    let refused = emu.post("/api/1.2/contexts/create", body.clone()).await;
    let expected = json!({"error": "Too many execution contexts are open right now.(Limit set currently to 145)"});
    assert_eq!(refused, (StatusCode::BAD_REQUEST, expected));
    assert_eq!(emu.state.live_contexts(), MAX_CONTEXTS_PER_CLUSTER);
    let destroy = json!({"clusterId": RUNNING, "contextId": contexts.pop().unwrap()});
    assert_eq!(
        emu.post("/api/1.2/contexts/destroy", destroy).await.0,
        StatusCode::OK
    );
    assert_eq!(
        emu.post("/api/1.2/contexts/create", body).await.0,
        StatusCode::OK
    );
    emu.state.execution().shutdown();
    emu.state
        .execution()
        .wait_stopped(super::execution::DEADLINE)
        .await;
    assert_eq!(emu.state.live_contexts(), 0);
}

#[tokio::test]
async fn destroy_kills_the_process() {
    let emu = Emu::new(Pace::Manual);
    let context = emu.create_context(RUNNING).await;
    emu.wait_running(&context).await;
    let pids = emu.state.execution().pids();
    assert_eq!((pids.len(), emu.state.live_contexts()), (1, 1));
    let body = json!({"clusterId": RUNNING, "contextId": context});
    let destroyed = emu.post("/api/1.2/contexts/destroy", body.clone()).await;
    assert_eq!(destroyed, (StatusCode::OK, json!({"id": context})));
    assert_eq!(emu.state.live_contexts(), 0, "reaped before the answer");
    assert!(process_gone(pids[0]));
    assert_eq!(
        emu.context_status(&context).await.0,
        StatusCode::BAD_REQUEST
    );
    let again = emu.post("/api/1.2/contexts/destroy", body).await;
    assert!(
        again.1["error"]
            .as_str()
            .unwrap()
            .starts_with("ContextNotFound: ")
    );
}

#[tokio::test]
async fn restart_and_terminate_shut_the_clusters_contexts_down() {
    let emu = Emu::new(Pace::Manual);
    let context = emu.create_context(RUNNING).await;
    let sleep = emu
        .execute(&context, "python", "import time\ntime.sleep(60)")
        .await;
    let queued = emu.execute(&context, "python", "print(1)").await;
    emu.wait_command(&context, &sleep, &["Running"]).await;
    let pids = emu.state.execution().pids();
    emu.ok("/api/2.0/clusters/restart", json!({"cluster_id": RUNNING}))
        .await;
    assert_eq!(emu.state.live_contexts(), 0);
    assert!(process_gone(pids[0]));
    for command in [&sleep, &queued] {
        let body = emu.command(&context, command).await;
        assert_eq!(body["status"], "Cancelled", "{body}");
        let cause = body["results"]["cause"].as_str().unwrap();
        assert!(cause.starts_with("com.databricks.backend.common.rpc.CommandCancelledException: cluster 0101-120000-running1 was restarted"), "{cause}");
    }
    assert_eq!(emu.context_status(&context).await.1["status"], "Error");
    let execute =
        json!({"clusterId": RUNNING, "contextId": context, "language": "python", "command": "1"});
    let refused = emu.post("/api/1.2/commands/execute", execute.clone()).await;
    assert_eq!(
        refused.1["error_code"], "INVALID_STATE",
        "restarting: {refused:?}"
    );
    emu.state.tick();
    let refused = emu.post("/api/1.2/commands/execute", execute).await;
    assert!(
        refused.1["error"]
            .as_str()
            .unwrap()
            .starts_with("ContextNotFound: ")
    );

    let second = emu.create_context(RUNNING).await;
    emu.ok("/api/2.0/clusters/delete", json!({"cluster_id": RUNNING}))
        .await;
    assert_eq!(emu.state.live_contexts(), 0);
    assert_eq!(emu.context_status(&second).await.1["status"], "Error");
    assert_eq!(
        emu.context_status(&context).await.0,
        StatusCode::BAD_REQUEST,
        "forgotten at the next stop"
    );
}

#[tokio::test]
async fn a_crashed_process_fails_its_context_and_commands() {
    let emu = Emu::new(Pace::Manual);
    let context = emu.create_context(RUNNING).await;
    let body = emu.run(&context, "python", "import os\nos._exit(3)").await;
    assert_eq!(body["status"], "Error", "{body}");
    assert_eq!(
        body["results"]["summary"],
        "Command failed: the driver became unresponsive"
    );
    let cause = body["results"]["cause"].as_str().unwrap();
    assert!(
        cause.contains("CommandCancelledException") && cause.contains("exit status: 3"),
        "{cause}"
    );
    assert_eq!(emu.context_status(&context).await.1["status"], "Error");
    assert_eq!(emu.run(&context, "python", "1").await["status"], "Error");
    assert_eq!(emu.state.live_contexts(), 0);
}

#[tokio::test]
async fn shutdown_leaves_no_process_behind() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let config = EmulatorConfig::default().with_pace(Pace::Manual);
    let handle = crate::emulator::spawn(listener, config).await.unwrap();
    let client = reqwest::Client::new();
    let url = handle.url();
    let mut contexts = Vec::new();
    for _ in 0..2 {
        let created: serde_json::Value = client
            .post(format!("{url}/api/1.2/contexts/create"))
            .bearer_auth(handle.token())
            .json(&json!({"clusterId": RUNNING, "language": "python"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        contexts.push(created["id"].as_str().unwrap().to_owned());
    }
    let status = |context: &str| {
        client
            .get(format!("{url}/api/1.2/contexts/status"))
            .bearer_auth(handle.token())
            .query(&[("clusterId", RUNNING), ("contextId", context)])
            .send()
    };
    for context in &contexts {
        eventually("the context to run", || async {
            let body: serde_json::Value = status(context).await.unwrap().json().await.unwrap();
            (body["status"] == "Running").then_some(())
        })
        .await;
    }
    let pids = handle.context_pids();
    assert_eq!((pids.len(), handle.live_contexts()), (2, 2));
    handle.shutdown();
    let state = handle.state().clone();
    handle.join().await.unwrap();
    assert_eq!(state.live_contexts(), 0);
    assert!(pids.into_iter().all(process_gone));
}

/// A `python` for the emulator that starts every context process only once
/// the test opens its gate: until then the context stays `Pending`.
struct HeldPython {
    dir: std::path::PathBuf,
}

impl HeldPython {
    /// A wrapper script and its gate (a FIFO) in a fresh temporary directory.
    fn new() -> Self {
        let dir = std::env::temp_dir().join(format!(
            "emulator-held-python-{}-{:016x}",
            std::process::id(),
            rand::random::<u64>()
        ));
        std::fs::create_dir(&dir).unwrap();
        let gate = dir.join("gate");
        let made = std::process::Command::new("mkfifo")
            .arg(&gate)
            .status()
            .unwrap();
        assert!(made.success(), "mkfifo {}", gate.display());
        // The interpreter probe (`-c <code>`) is answered with the wrapper's
        // own path, so that contexts start through it. A context process
        // waits for a line on the gate unless `open` exists, then becomes
        // the default python.
        let script = format!(
            "#!/bin/sh\n\
             if [ \"$1\" = -c ]; then echo \"$0\"; exit 0; fi\n\
             [ -e '{dir}/open' ] || read _ < '{dir}/gate'\n\
             exec {python} \"$@\"\n",
            dir = dir.display(),
            python = crate::emulator::DEFAULT_PYTHON,
        );
        let wrapper = dir.join("python");
        std::fs::write(&wrapper, script).unwrap();
        let mut permissions = std::fs::metadata(&wrapper).unwrap().permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut permissions, 0o755);
        std::fs::set_permissions(&wrapper, permissions).unwrap();
        Self { dir }
    }

    /// The path to configure as the emulator's `python`.
    fn wrapper(&self) -> String {
        self.dir.join("python").display().to_string()
    }

    /// Lets the waiting context process start, and every later one.
    async fn release(&self) {
        // Opening the FIFO for writing waits for the held process to open it.
        let gate = self.dir.join("gate");
        tokio::task::spawn_blocking(move || std::fs::write(gate, "\n"))
            .await
            .unwrap()
            .unwrap();
        std::fs::write(self.dir.join("open"), "").unwrap();
    }
}

impl Drop for HeldPython {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
