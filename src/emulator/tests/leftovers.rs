//! Processes that user code starts, however they detach (a new session, a
//! double fork, a plain child), end with their context and with the
//! emulator.

use super::{
    Emu,
    execution::{HEAVY, eventually},
};
use crate::emulator::{
    EmulatorConfig, Pace, RUNNING_CLUSTER_ID as RUNNING, execution::descendants::has_exited,
};

/// Starts three `sleep 300`s that would outlive a plain kill of the context
/// process, and prints their pids.
const LEAVE_PROCESSES_BEHIND: &str = "\
import subprocess
detached = subprocess.Popen(['sleep', '300'], start_new_session=True)
plain = subprocess.Popen(['sleep', '300'])
daemon = subprocess.run(['sh', '-c', 'setsid sleep 300 >/dev/null 2>&1 & echo $!'],
                        capture_output=True, text=True).stdout.strip()
print(detached.pid, plain.pid, daemon)";

async fn leave_processes_behind(emu: &Emu, context: &str) -> Vec<u32> {
    let printed = emu.text(context, LEAVE_PROCESSES_BEHIND).await;
    let pids: Vec<u32> = printed
        .split_whitespace()
        .map(|pid| pid.parse().unwrap())
        .collect();
    assert_eq!(pids.len(), 3, "{printed}");
    assert!(
        pids.iter().all(|&pid| !has_exited(pid)),
        "they run: {pids:?}"
    );
    pids
}

async fn all_end(pids: &[u32]) {
    eventually("every process the context started to end", || async {
        pids.iter().all(|&pid| has_exited(pid)).then_some(())
    })
    .await;
}

#[tokio::test]
async fn destroying_a_context_ends_every_process_it_started() {
    let _heavy = HEAVY.lock().await;
    let emu = Emu::new(Pace::Manual);
    let context = emu.create_context(RUNNING).await;
    emu.wait_running(&context).await;
    let pids = leave_processes_behind(&emu, &context).await;
    let body = serde_json::json!({"clusterId": RUNNING, "contextId": context});
    let (status, _) = emu.post("/api/1.2/contexts/destroy", body).await;
    assert_eq!(status, axum::http::StatusCode::OK);
    all_end(&pids).await;
}

#[tokio::test]
async fn a_context_process_that_dies_takes_its_processes_along() {
    let _heavy = HEAVY.lock().await;
    let emu = Emu::new(Pace::Manual);
    let context = emu.create_context(RUNNING).await;
    emu.wait_running(&context).await;
    let pids = leave_processes_behind(&emu, &context).await;
    let body = emu.run(&context, "python", "import os\nos._exit(1)").await;
    assert_eq!(body["status"], "Error", "{body}");
    all_end(&pids).await;
}

#[tokio::test]
async fn stopping_the_emulator_ends_every_process_any_context_started() {
    let _heavy = HEAVY.lock().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let config = EmulatorConfig::default().with_pace(Pace::Manual);
    let handle = crate::emulator::spawn(listener, config).await.unwrap();
    let emu = Emu::over(handle.state().clone());
    let context = emu.create_context(RUNNING).await;
    emu.wait_running(&context).await;
    let pids = leave_processes_behind(&emu, &context).await;
    handle.shutdown();
    handle.join().await.unwrap();
    assert!(pids.iter().all(|&pid| has_exited(pid)), "{pids:?}");
}
