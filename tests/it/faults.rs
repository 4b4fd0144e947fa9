//! Injected faults: what the caller sees. Reads ride out transient faults;
//! ExecuteCommand never runs twice, whatever breaks.

use std::{collections::HashMap, time::Duration};

use databricks_grpc::{
    emulator::Fault,
    proto::compute::{self as pb, Language},
};
use tokio::task::JoinSet;
use tonic::Code;

use crate::{
    commands::{run, text},
    helpers::{RUNNING, TestApp},
};

const STATUS_PATH: &str = "/api/2.0/libraries/cluster-status";
const EXECUTE_PATH: &str = "/api/1.2/commands/execute";

#[tokio::test]
async fn reads_under_every_fault() {
    let mut app = TestApp::spawn().await;
    let transient = [
        (Fault::Unavailable, 2),
        (
            Fault::TooManyRequests {
                retry_after_secs: 0,
            },
            1,
        ),
        (Fault::HtmlErrorPage, 1),
        (Fault::Latency(Duration::from_millis(50)), 1),
        (Fault::ResetMidResponse, 1),
    ];
    for (fault, times) in transient {
        app.emulator().inject_fault(STATUS_PATH, fault, times);
        let response = app.cluster_status(RUNNING).await;
        assert_eq!(
            response.map(|r| r.cluster_id).ok().as_deref(),
            Some(RUNNING),
            "{fault:?} should be ridden out"
        );
    }
    for fault in [Fault::TruncatedJson, Fault::MalformedJson] {
        app.emulator().inject_fault(STATUS_PATH, fault, 1);
        let status = app.cluster_status(RUNNING).await.unwrap_err();
        assert_eq!(status.code(), Code::Internal, "{fault:?}: {status:?}");
        assert!(
            status.message().contains("could not read"),
            "{}",
            status.message()
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn install_rides_out_faults() {
    let mut app = TestApp::spawn().await;
    app.emulator()
        .inject_fault("/api/2.0/libraries/install", Fault::ResetMidResponse, 1);
    app.emulator()
        .inject_fault("/api/2.0/libraries/install", Fault::Unavailable, 1);
    let library = crate::helpers::pypi("requests");
    app.install(RUNNING, vec![library]).await;
    let installs = app.upstream_calls("/api/2.0/libraries/install");
    assert_eq!(
        installs.len(),
        3,
        "reset (took effect), 503, then success: {installs:?}"
    );
    app.stop().await;
}

/// `--request-timeout` shorter than Databricks takes to answer: the command
/// ran, so the caller hears UNKNOWN ("may have taken effect"), not a
/// DEADLINE_EXCEEDED that reads as "nothing happened".
#[tokio::test]
async fn execute_that_times_out_after_sending_is_unknown_and_not_resent() {
    let emulator = crate::helpers::spawn_emulator(Default::default()).await;
    let token = databricks_grpc::config::Secret::new(emulator.token());
    let credentials = databricks_grpc::config::Credentials::Pat { token };
    let mut app = TestApp::spawn_with_timeouts(
        &emulator.url(),
        credentials,
        // Short, but long enough for the context to start on a busy machine.
        Duration::from_secs(2),
        Duration::from_secs(5),
    )
    .await;
    app.emulator = Some(emulator);
    let context_id = own_context(&mut app).await;
    app.emulator()
        .inject_fault(EXECUTE_PATH, Fault::SlowAnswer(Duration::from_secs(60)), 1);
    let status = app
        .client
        .execute_command(execute(&context_id, "timed_out_command_ran = 'yes'".into()))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Unknown, "{status:?}");
    assert!(
        status.message().contains("did not answer")
            && status
                .message()
                .contains("may or may not have taken effect"),
        "{status:?}"
    );
    let details = tonic_types::StatusExt::get_error_details(&status);
    let reason = details.error_info().map(|info| info.reason.clone());
    assert_eq!(reason.as_deref(), Some("UPSTREAM_OUTCOME_UNKNOWN"));
    let (_, updates) = run(
        &mut app,
        Language::Python,
        "print(timed_out_command_ran)",
        &context_id,
    )
    .await;
    assert_eq!(text(updates.last().unwrap()).trim(), "yes", "it ran");
    assert_eq!(
        app.upstream_calls(EXECUTE_PATH).len(),
        1,
        "only the second command was answered; the first was sent once and never resent"
    );
    app.stop().await;
}

async fn own_context(app: &mut TestApp) -> String {
    let request = pb::CreateContextRequest {
        cluster_id: RUNNING.into(),
        language: Language::Python as i32,
    };
    app.client
        .create_context(request)
        .await
        .unwrap()
        .into_inner()
        .context_id
}

fn execute(context_id: &str, command: String) -> pb::ExecuteCommandRequest {
    pb::ExecuteCommandRequest {
        cluster_id: RUNNING.into(),
        language: Language::Python as i32,
        command,
        context_id: context_id.into(),
    }
}

#[tokio::test]
async fn execute_under_faults_says_what_happened_and_never_resends() {
    let mut app = TestApp::spawn().await;
    let context_id = own_context(&mut app).await;
    let cases = [
        (Fault::Unavailable, Some(Code::Unavailable)),
        (Fault::HtmlErrorPage, Some(Code::Unavailable)),
        // It may have run: UNKNOWN, which no gRPC retry policy resends.
        (Fault::ResetMidResponse, Some(Code::Unknown)),
        // Answered, but unreadable: it ran, so UNKNOWN as well.
        (Fault::TruncatedJson, Some(Code::Unknown)),
        (Fault::MalformedJson, Some(Code::Unknown)),
        (
            Fault::TooManyRequests {
                retry_after_secs: 0,
            },
            None,
        ),
    ];
    for (index, (fault, expected)) in cases.into_iter().enumerate() {
        app.emulator().inject_fault(EXECUTE_PATH, fault, 1);
        let result = app
            .client
            .execute_command(execute(&context_id, format!("print({index})")))
            .await;
        match expected {
            Some(code) => assert_eq!(result.unwrap_err().code(), code, "{fault:?}"),
            None => assert!(result.is_ok(), "{fault:?}: a 429 is safely resent"),
        }
    }
    let ran = ran_per_command(&app);
    assert!(
        ran.values().all(|&n| n <= 1),
        "a command ran twice: {ran:?}"
    );
    app.stop().await;
}

/// How many times each command reached the handler (status 200 in the journal).
fn ran_per_command(app: &TestApp) -> HashMap<String, usize> {
    let mut ran = HashMap::new();
    for entry in app
        .upstream_calls(EXECUTE_PATH)
        .into_iter()
        .filter(|e| e.status == 200)
    {
        let command = entry
            .body
            .as_ref()
            .and_then(|b| b["command"].as_str())
            .unwrap_or_default()
            .to_owned();
        *ran.entry(command).or_default() += 1;
    }
    ran
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_thousand_executions_under_thirty_percent_faults_never_duplicate() {
    const CALLS: usize = 1000;
    let mut app = TestApp::spawn().await;
    let context_id = own_context(&mut app).await;
    let faults = vec![
        Fault::Unavailable,
        Fault::TooManyRequests {
            retry_after_secs: 0,
        },
        Fault::HtmlErrorPage,
        Fault::ResetMidResponse,
        Fault::TruncatedJson,
        Fault::MalformedJson,
        Fault::Latency(Duration::from_millis(2)),
    ];
    app.emulator()
        .inject_faults_randomly(EXECUTE_PATH, 0.3, faults);
    let mut calls = JoinSet::new();
    let mut outcomes = Vec::new();
    for index in 0..CALLS {
        let mut client = app.client.clone();
        let request = execute(&context_id, format!("print({index})"));
        calls.spawn(async move { (index, client.execute_command(request).await) });
        if calls.len() >= 25 {
            outcomes.push(calls.join_next().await.unwrap().unwrap());
        }
    }
    while let Some(done) = calls.join_next().await {
        outcomes.push(done.unwrap());
    }
    app.emulator().clear_faults();
    let ran = ran_per_command(&app);
    let duplicates = ran.values().filter(|&&n| n > 1).count();
    let succeeded = outcomes.iter().filter(|(_, r)| r.is_ok()).count();
    let requests = app.upstream_calls(EXECUTE_PATH).len();
    println!(
        "{CALLS} ExecuteCommand calls: {succeeded} succeeded, {} failed with a status; {} upstream requests; \
         {} faults injected; {} commands ran; {duplicates} duplicate executions",
        CALLS - succeeded,
        requests,
        app.emulator().injected_faults(),
        ran.len()
    );
    let mut by_code: HashMap<String, (usize, String)> = HashMap::new();
    for (_, result) in &outcomes {
        if let Err(status) = result {
            let entry = by_code
                .entry(format!("{:?}", status.code()))
                .or_insert((0, status.message().to_owned()));
            entry.0 += 1;
        }
    }
    println!("failures by code: {by_code:?}");
    assert_eq!(outcomes.len(), CALLS);
    assert_eq!(duplicates, 0, "{ran:?}");
    assert!(
        app.emulator().injected_faults() > CALLS / 5,
        "the faults were really injected"
    );
    for (index, result) in &outcomes {
        match result {
            Ok(_) => assert_eq!(
                ran.get(&format!("print({index})")),
                Some(&1),
                "success means it ran once"
            ),
            Err(status) => assert!(
                !status.message().is_empty(),
                "every failure says what happened"
            ),
        }
    }
    app.stop().await;
}
