//! Command execution through gRPC against the emulator's real Python
//! contexts: notebook state, errors, SQL tables, cancel, managed contexts.
use databricks_grpc::proto::compute::{
    self as pb, CommandOutcome, CommandState, Language, command_results::Result as Kind,
    compute_service_client::ComputeServiceClient,
};
use tokio_stream::StreamExt;
use tonic::{Code, Streaming, transport::Channel};

use crate::helpers::{RUNNING, TERMINATED, TestApp, eventually};

/// Starts `command` on the running cluster, in `context_id` or (when empty)
/// a managed context.
pub async fn execute(
    app: &mut TestApp,
    language: Language,
    command: &str,
    context_id: &str,
) -> pb::ExecuteCommandResponse {
    app.client
        .execute_command(pb::ExecuteCommandRequest {
            cluster_id: RUNNING.into(),
            language: language as i32,
            command: command.into(),
            context_id: context_id.into(),
        })
        .await
        .unwrap()
        .into_inner()
}

/// Opens StreamCommandStatus for a started command.
pub async fn open_stream(
    client: &mut ComputeServiceClient<Channel>,
    started: &pb::ExecuteCommandResponse,
) -> Streaming<pb::StreamCommandStatusResponse> {
    client
        .stream_command_status(pb::StreamCommandStatusRequest {
            cluster_id: RUNNING.into(),
            context_id: started.context_id.clone(),
            command_id: started.command_id.clone(),
        })
        .await
        .unwrap()
        .into_inner()
}

/// Streams a started command's status to the end; every message's command.
pub async fn stream(app: &mut TestApp, started: &pb::ExecuteCommandResponse) -> Vec<pb::Command> {
    open_stream(&mut app.client, started)
        .await
        .map(|update| update.unwrap().command.unwrap())
        .collect()
        .await
}

/// Runs `command` and streams its status to the end.
pub async fn run(
    app: &mut TestApp,
    language: Language,
    command: &str,
    context_id: &str,
) -> (pb::ExecuteCommandResponse, Vec<pb::Command>) {
    let started = execute(app, language, command, context_id).await;
    let updates = stream(app, &started).await;
    (started, updates)
}

pub fn text(command: &pb::Command) -> String {
    match command.results.as_ref().and_then(|r| r.result.as_ref()) {
        Some(Kind::Text(text)) => text.text.clone(),
        other => panic!("expected a text result, got {other:?}"),
    }
}

#[tokio::test]
async fn notebook_state_persists_between_commands() {
    let mut app = TestApp::spawn().await;
    let (first, updates) = run(&mut app, Language::Python, "x = 21", "").await;
    let last = updates.last().unwrap();
    assert_eq!(last.outcome, CommandOutcome::Succeeded as i32, "{last:?}");
    let (second, updates) = run(&mut app, Language::Python, "print(x * 2)", "").await;
    assert_eq!(
        second.context_id, first.context_id,
        "the managed context is reused"
    );
    let last = updates.last().unwrap();
    assert_eq!(last.status, CommandState::Finished as i32);
    assert_eq!(text(last).trim(), "42");
    // Each message is a change, and only the last one carries results.
    for pair in updates.windows(2) {
        assert_ne!(pair[0], pair[1]);
    }
    assert!(
        updates[..updates.len() - 1]
            .iter()
            .all(|u| u.results.is_none())
    );
    app.stop().await;
}

#[tokio::test]
async fn a_user_error_is_a_clean_user_error_not_success() {
    let mut app = TestApp::spawn().await;
    let (_, updates) = run(&mut app, Language::Python, "1 / 0", "").await;
    let last = updates.last().unwrap();
    assert_eq!(
        last.status,
        CommandState::Finished as i32,
        "Databricks reports Finished"
    );
    assert_eq!(last.outcome, CommandOutcome::UserError as i32);
    let Some(Kind::Error(error)) = last.results.as_ref().and_then(|r| r.result.clone()) else {
        panic!("expected an error result: {last:?}");
    };
    assert!(error.summary.contains("ZeroDivisionError"), "{error:?}");
    assert!(
        !error.summary.contains('<') && !error.cause.contains('\u{1b}'),
        "{error:?}"
    );
    assert!(error.cause.contains("ZeroDivisionError"), "{error:?}");
    assert!(!error.raw_cause.is_empty());
    app.stop().await;
}

#[tokio::test]
async fn sql_returns_a_table_with_a_schema() {
    let mut app = TestApp::spawn().await;
    let sql = "CREATE TABLE t (id INTEGER, name TEXT); INSERT INTO t VALUES (1, 'a'), (2, 'b'); SELECT id, name FROM t ORDER BY id";
    let (_, updates) = run(&mut app, Language::Sql, sql, "").await;
    let last = updates.last().unwrap();
    assert_eq!(last.outcome, CommandOutcome::Succeeded as i32, "{last:?}");
    let Some(Kind::Table(table)) = last.results.as_ref().and_then(|r| r.result.clone()) else {
        panic!("expected a table: {last:?}");
    };
    let names: Vec<_> = table.schema.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, vec!["id", "name"]);
    assert_eq!(table.data.len(), 2);
    assert_eq!(
        table.data[1].values[1].kind,
        Some(prost_types::value::Kind::StringValue("b".into()))
    );
    app.stop().await;
}

/// The cancel interrupts the running code (Python sees KeyboardInterrupt in
/// the middle of its sleep), rather than letting it run to its end and only
/// then reporting it cancelled: the marker is written only by the interrupt.
#[tokio::test]
async fn cancelling_a_sleep_interrupts_it_and_ends_cancelled() {
    let mut app = TestApp::spawn().await;
    let marker = std::env::temp_dir().join(format!(
        "databricks-grpc-cancel-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    let marker_path = marker.display().to_string();
    // The code says when it is inside the `try` (RUNNING only means the
    // driver took it): a cancel before that would interrupt it elsewhere.
    let inside = std::path::PathBuf::from(format!("{marker_path}.inside"));
    let inside_path = inside.display().to_string();
    let code = format!(
        "import time\ntry:\n    open({inside_path:?}, 'w').write('in')\n    time.sleep(60)\n\
         except KeyboardInterrupt:\n    open({marker_path:?}, 'w').write('interrupted')\n    raise"
    );
    let started = execute(&mut app, Language::Python, &code, "").await;
    let mut updates = open_stream(&mut app.client, &started).await;
    // Wait until it runs, then cancel.
    loop {
        let command = updates.next().await.unwrap().unwrap().command.unwrap();
        if command.status == CommandState::Running as i32 {
            break;
        }
    }
    eventually("the code to be inside its try block", || inside.exists()).await;
    app.client
        .cancel_command(pb::CancelCommandRequest {
            cluster_id: RUNNING.into(),
            context_id: started.context_id.clone(),
            command_id: started.command_id.clone(),
        })
        .await
        .unwrap();
    let mut last = None;
    while let Some(update) = updates.next().await {
        last = update.unwrap().command;
    }
    let last = last.unwrap();
    assert_eq!(last.status, CommandState::Cancelled as i32, "{last:?}");
    assert_eq!(last.outcome, CommandOutcome::Cancelled as i32);
    let written = std::fs::read_to_string(&marker);
    let _ = std::fs::remove_file(&marker);
    let _ = std::fs::remove_file(&inside);
    assert_eq!(
        written.ok().as_deref(),
        Some("interrupted"),
        "the sleep was not interrupted by the cancel"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_gone_managed_context_is_recreated_without_running_twice() {
    let mut app = TestApp::spawn().await;
    let (first, _) = run(&mut app, Language::Python, "y = 1", "").await;
    // Someone (an eviction, a restart) destroys the managed context.
    app.client
        .destroy_context(pb::DestroyContextRequest {
            cluster_id: RUNNING.into(),
            context_id: first.context_id.clone(),
        })
        .await
        .unwrap();
    let (second, updates) = run(&mut app, Language::Python, "print('again')", "").await;
    assert_ne!(second.context_id, first.context_id);
    assert_eq!(text(updates.last().unwrap()).trim(), "again");
    let executes = app.upstream_calls("/api/1.2/commands/execute");
    let accepted: Vec<_> = executes.iter().filter(|e| e.status == 200).collect();
    assert_eq!(accepted.len(), 2, "each command ran once: {executes:?}");
    app.stop().await;
}

#[tokio::test]
async fn caller_contexts_are_the_callers() {
    let mut app = TestApp::spawn().await;
    let context_id = app
        .client
        .create_context(pb::CreateContextRequest {
            cluster_id: RUNNING.into(),
            language: Language::Python as i32,
        })
        .await
        .unwrap()
        .into_inner()
        .context_id;
    let status = app
        .client
        .context_status(pb::ContextStatusRequest {
            cluster_id: RUNNING.into(),
            context_id: context_id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(status.status, pb::ContextState::Running as i32);
    let (started, updates) = run(&mut app, Language::Python, "print(6 * 7)", &context_id).await;
    assert_eq!(started.context_id, context_id);
    assert_eq!(text(updates.last().unwrap()).trim(), "42");
    assert!(app.service.managed_context_ids().is_empty());
    app.client
        .destroy_context(pb::DestroyContextRequest {
            cluster_id: RUNNING.into(),
            context_id: context_id.clone(),
        })
        .await
        .unwrap();
    let gone = app
        .client
        .context_status(pb::ContextStatusRequest {
            cluster_id: RUNNING.into(),
            context_id,
        })
        .await
        .unwrap_err();
    assert_eq!(gone.code(), Code::NotFound, "{gone:?}");
    app.stop().await;
}

#[tokio::test]
async fn executing_on_a_terminated_cluster_is_a_failed_precondition() {
    let mut app = TestApp::spawn().await;
    let status = app
        .client
        .execute_command(pb::ExecuteCommandRequest {
            cluster_id: TERMINATED.into(),
            language: Language::Python as i32,
            command: "print(1)".into(),
            context_id: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}");
    app.stop().await;
}

#[tokio::test]
async fn shutdown_destroys_managed_contexts() {
    let mut app = TestApp::spawn().await;
    run(&mut app, Language::Python, "z = 3", "").await;
    let managed = app.service.managed_context_ids();
    assert_eq!(managed.len(), 1);
    app.stop_server().await;
    let destroyed: Vec<_> = app
        .upstream_calls("/api/1.2/contexts/destroy")
        .into_iter()
        .filter(|e| e.status == 200)
        .collect();
    assert_eq!(destroyed.len(), 1, "{destroyed:?}");
    assert_eq!(app.emulator().live_contexts(), 0);
    app.stop().await;
}
