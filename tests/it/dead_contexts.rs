//! A managed context whose driver died is replaced for the next command;
//! the command that hit the dead driver is reported failed and never re-sent.

use databricks_grpc::proto::compute::{self as pb, CommandOutcome, CommandState, Language};

use crate::{
    commands::{execute, run, stream, text},
    helpers::{RUNNING, TestApp, eventually},
};

const EXECUTE_PATH: &str = "/api/1.2/commands/execute";
const DESTROY_PATH: &str = "/api/1.2/contexts/destroy";

/// How many times Databricks accepted `command`.
fn times_sent(app: &TestApp, command: &str) -> usize {
    app.upstream_calls(EXECUTE_PATH)
        .iter()
        .filter(|entry| entry.status == 200)
        .filter(|entry| {
            entry
                .body
                .as_ref()
                .is_some_and(|body| body["command"] == command)
        })
        .count()
}

async fn wait_until_destroyed(app: &TestApp, context_id: &str) {
    eventually("the dead context is destroyed", || {
        app.upstream_calls(DESTROY_PATH).iter().any(|entry| {
            entry
                .body
                .as_ref()
                .is_some_and(|body| body["contextId"] == context_id)
        })
    })
    .await;
}

const KILL_DRIVER: &str = "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)";

#[tokio::test]
async fn a_command_that_saw_the_driver_die_retires_its_managed_context() {
    let mut app = TestApp::spawn().await;
    let (first, _) = run(&mut app, Language::Python, "x = 1", "").await;
    let (killed, updates) = run(&mut app, Language::Python, KILL_DRIVER, "").await;
    assert_eq!(killed.context_id, first.context_id);
    let last = updates.last().unwrap();
    assert_eq!(last.status, CommandState::Error as i32, "{last:?}");
    assert_ne!(last.outcome, CommandOutcome::Succeeded as i32, "{last:?}");

    let (next, updates) = run(&mut app, Language::Python, "print('alive')", "").await;
    assert_ne!(next.context_id, first.context_id, "a new managed context");
    assert_eq!(text(updates.last().unwrap()).trim(), "alive");
    assert_eq!(
        times_sent(&app, KILL_DRIVER),
        1,
        "the failed command is not re-sent"
    );
    assert_eq!(
        app.service.managed_context_ids(),
        vec![next.context_id.clone()]
    );
    wait_until_destroyed(&app, &first.context_id).await;
    app.stop().await;
}

#[tokio::test]
async fn a_managed_context_whose_status_is_error_is_replaced() {
    let mut app = TestApp::spawn().await;
    let killed = execute(&mut app, Language::Python, KILL_DRIVER, "").await;
    // Nobody reads that command's status; the driver is dead all the same.
    let dead = killed.context_id.clone();
    let mut state = pb::ContextState::Unspecified as i32;
    while state != pb::ContextState::Error as i32 {
        state = app
            .client
            .context_status(pb::ContextStatusRequest {
                cluster_id: RUNNING.into(),
                context_id: dead.clone(),
            })
            .await
            .unwrap()
            .into_inner()
            .status;
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    let next = execute(&mut app, Language::Python, "print('fresh')", "").await;
    assert_ne!(next.context_id, dead);
    let updates = stream(&mut app, &next).await;
    assert_eq!(text(updates.last().unwrap()).trim(), "fresh");
    assert_eq!(times_sent(&app, KILL_DRIVER), 1);
    wait_until_destroyed(&app, &dead).await;
    app.stop().await;
}
