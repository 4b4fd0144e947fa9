//! REST API 1.2 command order and cancellation against real context
//! processes, and the journal of their polls.
use axum::http::StatusCode;
use serde_json::json;

use super::{
    Emu,
    execution::{HEAVY, eventually},
};
use crate::emulator::{Pace, RUNNING_CLUSTER_ID as RUNNING};

#[tokio::test]
async fn commands_run_in_order_and_a_queued_one_can_be_cancelled() {
    let emu = Emu::new(Pace::Manual);
    let context = emu.create_context(RUNNING).await;
    let gate = std::env::temp_dir().join(format!("emulator-gate-{context}"));
    let wait = format!(
        "import os, time\norder = ['a']\nwhile not os.path.exists({:?}):\n    time.sleep(0.005)",
        gate.display().to_string()
    );
    let first = emu.execute(&context, "python", &wait).await;
    let second = emu.execute(&context, "python", "order.append('b')").await;
    let third = emu.execute(&context, "python", "order.append('c')").await;
    emu.wait_command(&context, &first, &["Running"]).await;
    assert_eq!(emu.command(&context, &second).await["status"], "Queued");
    let queued = emu.command(&context, &third).await;
    assert_eq!(
        queued,
        json!({"id": third, "status": "Queued", "results": null})
    );
    assert_eq!(emu.cancel(&context, &third).await.0, StatusCode::OK);
    let cancelled = emu.command(&context, &third).await;
    assert_eq!(cancelled["status"], "Cancelled", "at once: {cancelled}");
    std::fs::write(&gate, b"").unwrap();
    emu.wait_command(&context, &second, &["Finished"]).await;
    std::fs::remove_file(&gate).unwrap();
    assert_eq!(emu.text(&context, "print(order)").await, "['a', 'b']");
    // Cancelling an ended command is a no-op success.
    assert_eq!(emu.cancel(&context, &second).await.0, StatusCode::OK);
    assert_eq!(emu.command(&context, &second).await["status"], "Finished");
}

#[tokio::test]
/// The cancel interrupts the sleep (the marker is written only by the
/// KeyboardInterrupt), rather than letting it run its 60 s and then calling it
/// cancelled; the context and its variables survive.
async fn cancelling_a_sleep_interrupts_it_and_keeps_the_context() {
    let _quiet = HEAVY.lock().await;
    let emu = Emu::new(Pace::Manual);
    let context = emu.create_context(RUNNING).await;
    emu.run(&context, "python", "kept = 'still here'").await;
    let marker = std::env::temp_dir().join(format!(
        "databricks-grpc-emulator-cancel-{}-{}",
        std::process::id(),
        sleep_marker_suffix()
    ));
    // The code says when it is inside the `try` (Running only means the
    // driver took it): a cancel before that would interrupt it elsewhere.
    let inside = marker.with_extension("inside");
    let code = format!(
        "import time\ntry:\n    open({:?}, 'w').write('in')\n    time.sleep(60)\n\
         except KeyboardInterrupt:\n    open({:?}, 'w').write('interrupted')\n    raise",
        inside.display().to_string(),
        marker.display().to_string()
    );
    let sleep = emu.execute(&context, "python", &code).await;
    emu.wait_command(&context, &sleep, &["Running"]).await;
    eventually("the code to be inside its try block", || {
        let inside = inside.exists();
        async move { inside.then_some(()) }
    })
    .await;
    let (status, body) = emu.cancel(&context, &sleep).await;
    assert_eq!((status, body), (StatusCode::OK, json!({"id": sleep})));
    let seen = emu
        .wait_command(&context, &sleep, &["Cancelled", "Finished", "Error"])
        .await;
    let written = std::fs::read_to_string(&marker);
    let _ = std::fs::remove_file(&marker);
    let _ = std::fs::remove_file(&inside);
    assert_eq!(
        written.ok().as_deref(),
        Some("interrupted"),
        "not interrupted"
    );
    assert_eq!(
        seen["results"],
        json!({"resultType": "error", "summary": "Command was cancelled",
               "cause": "com.databricks.backend.common.rpc.CommandCancelledException"})
    );
    assert_eq!(seen["status"], "Cancelled");
    assert_eq!(emu.text(&context, "print(kept)").await, "still here");
}

#[tokio::test]
async fn the_journal_records_every_poll() {
    let emu = Emu::new(Pace::Manual);
    let context = emu.create_context(RUNNING).await;
    let command = emu.execute(&context, "python", "print(1)").await;
    let mut polls = 0;
    eventually("the command to finish", || {
        polls += 1;
        let emu = &emu;
        let (context, command) = (context.clone(), command.clone());
        async move { (emu.command(&context, &command).await["status"] == "Finished").then_some(()) }
    })
    .await;
    let journal = emu.state.journal();
    let recorded: Vec<_> = journal
        .iter()
        .filter(|e| e.path == "/api/1.2/commands/status")
        .collect();
    assert_eq!(recorded.len(), polls);
    let query = format!("clusterId={RUNNING}&contextId={context}&commandId={command}");
    assert!(
        recorded
            .iter()
            .all(|e| e.query.as_deref() == Some(&*query) && e.status == 200)
    );
    let execute = journal
        .iter()
        .find(|e| e.path == "/api/1.2/commands/execute")
        .unwrap();
    assert_eq!(
        execute.body,
        Some(
            json!({"clusterId": RUNNING, "contextId": context, "language": "python", "command": "print(1)"})
        )
    );
}

#[tokio::test]
async fn a_command_that_swallows_the_cancel_is_killed_after_a_grace() {
    let emu = Emu::new(Pace::Manual);
    let context = emu.create_context(RUNNING).await;
    // The command ignores SIGINT, then says so through a marker file: a
    // cancel sent before that would still interrupt it.
    let marker = std::env::temp_dir().join(format!("emulator-stubborn-{context}"));
    let stubborn = format!(
        "import signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nopen({:?}, 'w').close()\ntime.sleep(60)",
        marker.display().to_string()
    );
    let command = emu.execute(&context, "python", &stubborn).await;
    eventually("the command to ignore SIGINT", || async {
        marker.exists().then_some(())
    })
    .await;
    std::fs::remove_file(&marker).unwrap();
    assert_eq!(emu.cancel(&context, &command).await.0, StatusCode::OK);
    assert_eq!(
        emu.command(&context, &command).await["status"],
        "Cancelling"
    );
    let body = emu
        .wait_command(&context, &command, &["Cancelled", "Finished", "Error"])
        .await;
    assert_eq!(body["status"], "Cancelled", "{body}");
    assert_eq!(emu.context_status(&context).await.1["status"], "Error");
    assert_eq!(emu.state.live_contexts(), 0);
}

/// Nanoseconds since the epoch: keeps markers of concurrent runs apart.
fn sleep_marker_suffix() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}
