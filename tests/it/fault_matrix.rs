//! The fault matrix for the RPCs `faults.rs` leaves out: for each injected
//! fault, what the caller sees. Safe calls ride out transient faults (and the
//! journal shows the retries); an unreadable answer is a clear INTERNAL;
//! CreateContext is never resent once it may have arrived (UNKNOWN when its
//! connection broke); streams tolerate [`MAX_TRANSIENT_FAILURES`] failed or
//! unreadable polls in a row and end with a clear status on the next.

mod clusters;
mod library_files;
mod library_sets;

use std::{future::Future, time::Duration};

use databricks_grpc::{
    config::{Credentials, Secret},
    emulator::{EmulatorConfig, Fault, Pace},
    hub::MAX_TRANSIENT_FAILURES,
    proto::compute::{self as pb, CommandOutcome, CommandState, ContextState, Language},
};
use tokio_stream::StreamExt;
use tonic::{Code, Status, Streaming};

use crate::{
    commands::{execute, open_stream},
    helpers::{RUNNING, TestApp, eventually, pypi, spawn_emulator},
};

const UNINSTALL: &str = "/api/2.0/libraries/uninstall";
const ALL_STATUSES: &str = "/api/2.0/libraries/all-cluster-statuses";
const CLUSTER_STATUS: &str = "/api/2.0/libraries/cluster-status";
const CONTEXT_CREATE: &str = "/api/1.2/contexts/create";
const CONTEXT_STATUS: &str = "/api/1.2/contexts/status";
const CONTEXT_DESTROY: &str = "/api/1.2/contexts/destroy";
const COMMAND_STATUS: &str = "/api/1.2/commands/status";
const COMMAND_CANCEL: &str = "/api/1.2/commands/cancel";

/// A fault a safe call rides out: injected `times`, then the statuses the
/// emulator answered, in order, the last one the success.
#[derive(Debug, Clone, Copy)]
struct Transient {
    fault: Fault,
    times: usize,
    journal: &'static [u16],
}

/// Whether the journal may hold more requests after the expected ones (a
/// status polled until it changes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Then {
    Done,
    MayPollMore,
}

/// As many failed polls in a row as a stream rides out, of every transient
/// kind.
const FAILED_POLLS: [Fault; MAX_TRANSIENT_FAILURES as usize] = [
    Fault::Unavailable,
    Fault::TooManyRequests {
        retry_after_secs: 0,
    },
    Fault::HtmlErrorPage,
    Fault::ResetMidResponse,
    Fault::Unavailable,
];

const TRANSIENT: [Transient; 5] = [
    Transient {
        fault: Fault::Unavailable,
        times: 2,
        journal: &[503, 503, 200],
    },
    Transient {
        fault: Fault::TooManyRequests {
            retry_after_secs: 0,
        },
        times: 1,
        journal: &[429, 200],
    },
    Transient {
        fault: Fault::HtmlErrorPage,
        times: 1,
        journal: &[503, 200],
    },
    Transient {
        fault: Fault::Latency(Duration::from_millis(50)),
        times: 1,
        journal: &[200],
    },
    // The handler ran and its answer was lost: a safe call is sent again.
    Transient {
        fault: Fault::ResetMidResponse,
        times: 1,
        journal: &[200, 200],
    },
];

/// The transient faults that stop a request before Databricks acts on it.
fn before_arrival() -> Vec<Transient> {
    TRANSIENT
        .into_iter()
        .filter(|case| case.fault != Fault::ResetMidResponse)
        .collect()
}

/// Statuses the emulator answered on `path` after the first `since` requests.
fn statuses_since(app: &TestApp, path: &str, since: usize) -> Vec<u16> {
    app.upstream_calls(path)
        .iter()
        .skip(since)
        .map(|entry| entry.status)
        .collect()
}

fn assert_journal(app: &TestApp, path: &str, since: usize, case: Transient, then: Then) {
    let answered = statuses_since(app, path, since);
    let seen = match then {
        Then::Done => &answered[..],
        Then::MayPollMore => &answered[..case.journal.len().min(answered.len())],
    };
    assert_eq!(
        seen, case.journal,
        "{path} under {:?}: answered {answered:?}",
        case.fault
    );
}

/// Runs `call` once per case with the fault queued on `path`: every call
/// succeeds and the journal shows exactly the expected retries. Returns the
/// answers in case order.
async fn assert_rides_out<T, Fut>(
    app: &TestApp,
    path: &str,
    cases: &[Transient],
    then: Then,
    mut call: impl FnMut() -> Fut,
) -> Vec<T>
where
    Fut: Future<Output = Result<T, Status>>,
{
    let mut answers = Vec::new();
    for &case in cases {
        let since = app.upstream_calls(path).len();
        app.emulator().inject_fault(path, case.fault, case.times);
        match call().await {
            Ok(answer) => answers.push(answer),
            Err(status) => panic!("{path} under {:?} failed: {status:?}", case.fault),
        }
        assert_journal(app, path, since, case, then);
    }
    answers
}

/// Truncated and malformed JSON on `path`: INTERNAL naming `endpoint` and
/// saying the answer could not be read, after exactly one request.
async fn assert_unreadable_is_internal<T, Fut>(
    app: &TestApp,
    path: &str,
    endpoint: &str,
    mut call: impl FnMut() -> Fut,
) where
    Fut: Future<Output = Result<T, Status>>,
{
    for fault in [Fault::TruncatedJson, Fault::MalformedJson] {
        let since = app.upstream_calls(path).len();
        app.emulator().inject_fault(path, fault, 1);
        let Err(status) = call().await else {
            panic!("{endpoint} under {fault:?} succeeded");
        };
        assert_unreadable(&status, endpoint);
        assert_eq!(
            statuses_since(app, path, since),
            [200],
            "{endpoint} under {fault:?} is not resent"
        );
    }
}

fn assert_unreadable(status: &Status, endpoint: &str) {
    assert_eq!(status.code(), Code::Internal, "{endpoint}: {status:?}");
    let message = status.message();
    assert!(
        message.contains(endpoint) && message.contains("could not read"),
        "{endpoint}: {message}"
    );
}

/// Long enough for any ride-out here, so that a loaded machine cannot turn a
/// retry into a give-up (the default test budget is 1 s).
const PATIENT: Duration = Duration::from_secs(10);

/// An app whose client retries transient failures for up to `budget`. With
/// none, each failed stream poll costs one upstream request and only the
/// poll loop's own tolerance is at play.
async fn spawn_with_retry_budget(budget: Duration) -> TestApp {
    let emulator = spawn_emulator(EmulatorConfig::default().with_pace(Pace::PerRead)).await;
    let credentials = Credentials::Pat {
        token: Secret::new(emulator.token()),
    };
    let mut app = TestApp::spawn_with_retry_budget(&emulator.url(), credentials, budget).await;
    app.emulator = Some(emulator);
    app
}

/// Every message of a stream, and the status it ended with, if not OK.
async fn drain<T>(mut stream: Streaming<T>) -> (Vec<T>, Option<Status>) {
    let mut messages = Vec::new();
    while let Some(item) = stream.next().await {
        match item {
            Ok(message) => messages.push(message),
            Err(status) => return (messages, Some(status)),
        }
    }
    (messages, None)
}

/// Fails the next polls of `path` one more time than a stream tolerates,
/// then checks that the stream `open` gives ends with that failure, said
/// plainly, after exactly that many polls, and that its poll loop stops.
async fn assert_one_failure_too_many_ends_the_stream<T, Fut>(
    app: &TestApp,
    path: &str,
    open: impl FnOnce() -> Fut,
) where
    T: std::fmt::Debug,
    Fut: Future<Output = Streaming<T>>,
{
    let since = app.upstream_calls(path).len();
    let polls = MAX_TRANSIENT_FAILURES as usize + 1;
    app.emulator().inject_fault(path, Fault::Unavailable, polls);
    let (updates, ended) = drain(open().await).await;
    assert!(updates.is_empty(), "{updates:?}");
    let status = ended.expect("the stream ends with an error");
    assert_eq!(status.code(), Code::Unavailable, "{status:?}");
    assert!(
        status.message().contains("temporarily unavailable")
            && status.message().contains("HTTP 503"),
        "{}",
        status.message()
    );
    assert_eq!(statuses_since(app, path, since), vec![503; polls]);
    let service = app.service.clone();
    eventually("the poll loop ends", || service.active_poll_loops() == 0).await;
}

fn create_request() -> pb::CreateContextRequest {
    pb::CreateContextRequest {
        cluster_id: RUNNING.into(),
        language: Language::Python as i32,
    }
}

async fn create_context(app: &TestApp) -> String {
    let mut client = app.client.clone();
    let created = client.create_context(create_request()).await.unwrap();
    created.into_inner().context_id
}

async fn destroy_context(app: &TestApp, context_id: &str) {
    try_destroy_context(app, context_id).await.unwrap();
}

/// DestroyContext through the gRPC client, as the caller sees it.
async fn try_destroy_context(
    app: &TestApp,
    context_id: &str,
) -> Result<tonic::Response<pb::DestroyContextResponse>, Status> {
    let mut client = app.client.clone();
    let request = pb::DestroyContextRequest {
        cluster_id: RUNNING.into(),
        context_id: context_id.into(),
    };
    client.destroy_context(request).await
}

async fn no_live_contexts(app: &TestApp) {
    let emulator = app.emulator();
    eventually("no execution context is left running", || {
        emulator.live_contexts() == 0
    })
    .await;
}

fn command_request(context_id: &str, command_id: &str) -> pb::CommandStatusRequest {
    pb::CommandStatusRequest {
        cluster_id: RUNNING.into(),
        context_id: context_id.into(),
        command_id: command_id.into(),
    }
}

// ─── Libraries ──────────────────────────────────────────────────────────────

#[tokio::test]
async fn uninstall_under_every_fault() {
    let app = spawn_with_retry_budget(PATIENT).await;
    let call = || {
        let mut client = app.client.clone();
        async move {
            let request = pb::UninstallRequest {
                cluster_id: RUNNING.into(),
                libraries: vec![pypi("requests")],
            };
            client.uninstall(request).await
        }
    };
    assert_rides_out(&app, UNINSTALL, &TRANSIENT, Then::Done, call).await;
    assert_unreadable_is_internal(&app, UNINSTALL, "POST /api/2.0/libraries/uninstall", call).await;
    app.stop().await;
}

#[tokio::test]
async fn all_statuses_under_every_fault() {
    let app = spawn_with_retry_budget(PATIENT).await;
    let call = || {
        let mut client = app.client.clone();
        async move {
            let request = pb::AllStatusesRequest::default();
            let page = client.all_statuses(request).await?.into_inner();
            Ok(page.statuses.len())
        }
    };
    let clusters = assert_rides_out(&app, ALL_STATUSES, &TRANSIENT, Then::Done, call).await;
    assert!(clusters.iter().all(|&n| n > 0), "{clusters:?}");
    assert_unreadable_is_internal(
        &app,
        ALL_STATUSES,
        "GET /api/2.0/libraries/all-cluster-statuses",
        call,
    )
    .await;
    app.stop().await;
}

#[tokio::test]
async fn watch_cluster_status_rides_out_transient_faults_on_its_poll() {
    let mut app = spawn_with_retry_budget(PATIENT).await;
    let install = pb::InstallRequest {
        cluster_id: RUNNING.into(),
        libraries: vec![pypi("simplejson")],
    };
    app.client.install(install).await.unwrap();
    for case in TRANSIENT {
        let since = app.upstream_calls(CLUSTER_STATUS).len();
        app.emulator()
            .inject_fault(CLUSTER_STATUS, case.fault, case.times);
        let request = pb::WatchClusterStatusRequest {
            cluster_id: RUNNING.into(),
        };
        let stream = app.client.watch_cluster_status(request).await.unwrap();
        let (updates, ended) = drain(stream.into_inner()).await;
        assert!(ended.is_none(), "{:?}: {ended:?}", case.fault);
        let last = updates.last().expect("at least one message");
        assert!(last.settled, "{:?}: {last:?}", case.fault);
        assert_journal(&app, CLUSTER_STATUS, since, case, Then::MayPollMore);
    }
    app.stop().await;
}

#[tokio::test]
async fn watch_cluster_status_tolerates_five_failed_polls_and_ends_on_the_sixth() {
    let app = spawn_with_retry_budget(Duration::ZERO).await;
    let watch = |app: &TestApp| {
        let request = pb::WatchClusterStatusRequest {
            cluster_id: RUNNING.into(),
        };
        let mut client = app.client.clone();
        async move { client.watch_cluster_status(request).await.unwrap() }
    };
    // Five failures of every transient kind in a row are ridden out.
    let failures = FAILED_POLLS;
    for fault in failures {
        app.emulator().inject_fault(CLUSTER_STATUS, fault, 1);
    }
    let (updates, ended) = drain(watch(&app).await.into_inner()).await;
    assert!(ended.is_none(), "{ended:?}");
    assert!(updates.last().unwrap().settled, "{updates:?}");
    let answered = statuses_since(&app, CLUSTER_STATUS, 0);
    assert_eq!(
        answered[..6],
        [503, 429, 503, 200, 503, 200],
        "{answered:?}"
    );

    // One more and the stream ends with the last failure, said plainly.
    assert_one_failure_too_many_ends_the_stream(&app, CLUSTER_STATUS, || async {
        watch(&app).await.into_inner()
    })
    .await;
    app.stop().await;
}

#[tokio::test]
async fn watch_cluster_status_rides_out_unreadable_polls() {
    let mut app = TestApp::spawn().await;
    let since = app.upstream_calls(CLUSTER_STATUS).len();
    app.emulator()
        .inject_fault(CLUSTER_STATUS, Fault::TruncatedJson, 1);
    app.emulator()
        .inject_fault(CLUSTER_STATUS, Fault::MalformedJson, 1);
    let request = pb::WatchClusterStatusRequest {
        cluster_id: RUNNING.into(),
    };
    let stream = app.client.watch_cluster_status(request).await.unwrap();
    let (updates, ended) = drain(stream.into_inner()).await;
    assert!(ended.is_none(), "{ended:?}");
    assert!(updates.last().is_some_and(|u| u.settled), "{updates:?}");
    let answered = statuses_since(&app, CLUSTER_STATUS, since);
    assert!(
        answered.len() >= 3,
        "two garbled polls, then more: {answered:?}"
    );
    app.stop().await;
}

// ─── Contexts ───────────────────────────────────────────────────────────────

#[tokio::test]
async fn create_context_rides_out_a_429() {
    let app = spawn_with_retry_budget(PATIENT).await;
    let throttled = [TRANSIENT[1]];
    let call = || {
        let mut client = app.client.clone();
        async move { client.create_context(create_request()).await }
    };
    let created = assert_rides_out(&app, CONTEXT_CREATE, &throttled, Then::Done, call).await;
    assert_eq!(
        app.emulator().live_contexts(),
        1,
        "one context, no duplicate"
    );
    destroy_context(&app, &created[0].get_ref().context_id).await;
    no_live_contexts(&app).await;
    app.stop().await;
}

#[tokio::test]
async fn create_context_is_never_resent_once_it_may_have_arrived() {
    let mut app = TestApp::spawn().await;
    // (fault, code, what the message says, contexts the lost answer orphaned)
    let cases = [
        (Fault::Unavailable, Code::Unavailable, "HTTP 503", 0),
        (
            Fault::HtmlErrorPage,
            Code::Unavailable,
            "Service Unavailable",
            0,
        ),
        // Databricks created a context whose id was lost with the answer.
        // With no list endpoint nobody can find it: one orphan, never two.
        (
            Fault::ResetMidResponse,
            Code::Unknown,
            "may or may not have taken effect",
            1,
        ),
        (Fault::TruncatedJson, Code::Unknown, "could not be read", 1),
        (Fault::MalformedJson, Code::Unknown, "could not be read", 1),
    ];
    for (fault, code, says, orphaned) in cases {
        let since = app.upstream_calls(CONTEXT_CREATE).len();
        let live = app.emulator().live_contexts();
        app.emulator().inject_fault(CONTEXT_CREATE, fault, 1);
        let status = app
            .client
            .create_context(create_request())
            .await
            .unwrap_err();
        assert_eq!(status.code(), code, "{fault:?}: {status:?}");
        assert!(status.message().contains(says), "{fault:?}: {status:?}");
        assert_eq!(
            statuses_since(&app, CONTEXT_CREATE, since).len(),
            1,
            "{fault:?}: sent once"
        );
        assert_eq!(
            app.emulator().live_contexts(),
            live + orphaned,
            "{fault:?}: contexts left running"
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn create_context_rides_out_faults_on_the_status_it_waits_for() {
    let app = spawn_with_retry_budget(PATIENT).await;
    let call = || {
        let mut client = app.client.clone();
        async move { client.create_context(create_request()).await }
    };
    let created = assert_rides_out(&app, CONTEXT_STATUS, &TRANSIENT, Then::MayPollMore, call).await;
    assert_eq!(app.upstream_calls(CONTEXT_CREATE).len(), TRANSIENT.len());
    assert_eq!(app.emulator().live_contexts(), TRANSIENT.len());
    for context in &created {
        destroy_context(&app, &context.get_ref().context_id).await;
    }
    no_live_contexts(&app).await;
    app.stop().await;
}

#[tokio::test]
async fn create_context_whose_status_fails_destroys_the_context_it_made() {
    let mut app = TestApp::spawn().await;
    // Unreadable status, or a status that stays unavailable past the budget.
    let cases = [
        (Fault::TruncatedJson, 1, Code::Internal, "could not read"),
        (Fault::Unavailable, 100, Code::Unavailable, "HTTP 503"),
    ];
    for (index, (fault, times, code, says)) in cases.into_iter().enumerate() {
        app.emulator().inject_fault(CONTEXT_STATUS, fault, times);
        let status = app
            .client
            .create_context(create_request())
            .await
            .unwrap_err();
        app.emulator().clear_faults();
        assert_eq!(status.code(), code, "{fault:?}: {status:?}");
        assert!(status.message().contains(says), "{fault:?}: {status:?}");
        assert_eq!(app.upstream_calls(CONTEXT_CREATE).len(), index + 1);
        let destroyed = statuses_since(&app, CONTEXT_DESTROY, 0);
        assert_eq!(destroyed, vec![200; index + 1], "{fault:?}");
        no_live_contexts(&app).await;
    }
    app.stop().await;
}

#[tokio::test]
async fn context_status_under_every_fault() {
    let app = spawn_with_retry_budget(PATIENT).await;
    let context_id = create_context(&app).await;
    let call = || {
        let mut client = app.client.clone();
        let request = pb::ContextStatusRequest {
            cluster_id: RUNNING.into(),
            context_id: context_id.clone(),
        };
        async move { Ok(client.context_status(request).await?.into_inner().status) }
    };
    let states = assert_rides_out(&app, CONTEXT_STATUS, &TRANSIENT, Then::Done, call).await;
    assert!(
        states.iter().all(|&s| s == ContextState::Running as i32),
        "{states:?}"
    );
    assert_unreadable_is_internal(&app, CONTEXT_STATUS, "GET /api/1.2/contexts/status", call).await;
    app.stop().await;
}

#[tokio::test]
async fn destroy_context_rides_out_faults_before_it_arrives() {
    let app = spawn_with_retry_budget(PATIENT).await;
    let call = || {
        let app = &app;
        async move {
            let context_id = create_context(app).await;
            try_destroy_context(app, &context_id).await
        }
    };
    assert_rides_out(&app, CONTEXT_DESTROY, &before_arrival(), Then::Done, call).await;
    no_live_contexts(&app).await;
    app.stop().await;
}

#[tokio::test]
async fn destroy_context_resent_after_a_reset_succeeds() {
    let app = spawn_with_retry_budget(PATIENT).await;
    let context_id = create_context(&app).await;
    app.emulator()
        .inject_fault(CONTEXT_DESTROY, Fault::ResetMidResponse, 1);
    let destroyed = try_destroy_context(&app, &context_id).await;
    let answered = statuses_since(&app, CONTEXT_DESTROY, 0);
    assert_eq!(
        answered.first(),
        Some(&200),
        "the first destroy took effect"
    );
    assert_eq!(answered.len(), 2, "and was resent: {answered:?}");
    no_live_contexts(&app).await;
    let destroyed = destroyed.expect("the context is gone, as the caller asked");
    assert_eq!(destroyed.into_inner().context_id, context_id);
    app.stop().await;
}

#[tokio::test]
async fn destroy_context_unreadable_answer_is_internal_and_the_context_is_gone() {
    let app = TestApp::spawn().await;
    let call = || {
        let app = &app;
        async move {
            let context_id = create_context(app).await;
            try_destroy_context(app, &context_id).await
        }
    };
    assert_unreadable_is_internal(
        &app,
        CONTEXT_DESTROY,
        "POST /api/1.2/contexts/destroy",
        call,
    )
    .await;
    no_live_contexts(&app).await;
    app.stop().await;
}

// ─── Commands ───────────────────────────────────────────────────────────────

#[tokio::test]
async fn command_status_under_every_fault() {
    let mut app = spawn_with_retry_budget(PATIENT).await;
    let started = execute(&mut app, Language::Python, "print(1)", "").await;
    let call = || {
        let mut client = app.client.clone();
        let request = command_request(&started.context_id, &started.command_id);
        async move { client.command_status(request).await }
    };
    assert_rides_out(&app, COMMAND_STATUS, &TRANSIENT, Then::Done, call).await;
    assert_unreadable_is_internal(&app, COMMAND_STATUS, "GET /api/1.2/commands/status", call).await;
    app.stop().await;
}

/// Starts a long command in `context_id` and cancels it.
async fn start_and_cancel(
    app: &TestApp,
    context_id: &str,
) -> Result<(String, pb::CancelCommandResponse), Status> {
    let mut client = app.client.clone();
    let request = pb::ExecuteCommandRequest {
        cluster_id: RUNNING.into(),
        language: Language::Python as i32,
        command: "import time\ntime.sleep(30)".into(),
        context_id: context_id.into(),
    };
    let command_id = client
        .execute_command(request)
        .await?
        .into_inner()
        .command_id;
    let request = pb::CancelCommandRequest {
        cluster_id: RUNNING.into(),
        context_id: context_id.into(),
        command_id: command_id.clone(),
    };
    let cancelled = client.cancel_command(request).await?.into_inner();
    Ok((command_id, cancelled))
}

async fn command_state(app: &TestApp, context_id: &str, command_id: &str) -> i32 {
    let mut client = app.client.clone();
    let request = command_request(context_id, command_id);
    let response = client.command_status(request).await.unwrap().into_inner();
    response.command.unwrap().status
}

#[tokio::test]
async fn cancel_command_under_every_fault_including_a_resend_after_reset() {
    let app = spawn_with_retry_budget(PATIENT).await;
    let context_id = create_context(&app).await;
    let call = || start_and_cancel(&app, &context_id);
    let cancelled = assert_rides_out(&app, COMMAND_CANCEL, &TRANSIENT, Then::Done, call).await;
    let cancelling = [
        CommandState::Cancelling as i32,
        CommandState::Cancelled as i32,
    ];
    for (command_id, response) in cancelled {
        assert_eq!(response.command_id, command_id);
        let state = command_state(&app, &context_id, &command_id).await;
        assert!(cancelling.contains(&state), "{command_id}: {state}");
    }
    assert_unreadable_is_internal(&app, COMMAND_CANCEL, "POST /api/1.2/commands/cancel", call)
        .await;
    app.stop().await;
}

#[tokio::test]
async fn stream_command_status_rides_out_transient_faults_on_its_poll() {
    let mut app = spawn_with_retry_budget(PATIENT).await;
    for (index, case) in TRANSIENT.into_iter().enumerate() {
        let started = execute(&mut app, Language::Python, &format!("print({index})"), "").await;
        let since = app.upstream_calls(COMMAND_STATUS).len();
        app.emulator()
            .inject_fault(COMMAND_STATUS, case.fault, case.times);
        let (updates, ended) = drain(open_stream(&mut app.client, &started).await).await;
        assert!(ended.is_none(), "{:?}: {ended:?}", case.fault);
        let last = updates.last().and_then(|u| u.command.clone()).unwrap();
        assert_eq!(last.outcome, CommandOutcome::Succeeded as i32, "{last:?}");
        assert!(
            last.results.is_some(),
            "{:?}: the final message",
            case.fault
        );
        assert_journal(&app, COMMAND_STATUS, since, case, Then::MayPollMore);
    }
    app.stop().await;
}

#[tokio::test]
async fn stream_command_status_tolerates_five_failed_polls_and_ends_on_the_sixth() {
    let mut app = spawn_with_retry_budget(Duration::ZERO).await;
    let context_id = create_context(&app).await;
    let failures = FAILED_POLLS;
    let started = execute(&mut app, Language::Python, "print('ok')", &context_id).await;
    for fault in failures {
        app.emulator().inject_fault(COMMAND_STATUS, fault, 1);
    }
    let (updates, ended) = drain(open_stream(&mut app.client, &started).await).await;
    assert!(ended.is_none(), "{ended:?}");
    let last = updates.last().and_then(|u| u.command.clone()).unwrap();
    assert_eq!(last.outcome, CommandOutcome::Succeeded as i32, "{last:?}");
    let answered = statuses_since(&app, COMMAND_STATUS, 0);
    assert_eq!(
        answered[..6],
        [503, 429, 503, 200, 503, 200],
        "{answered:?}"
    );

    // A run of one more: the stream ends with the failure, said plainly.
    let started = execute(&mut app, Language::Python, "print('lost')", &context_id).await;
    let mut client = app.client.clone();
    assert_one_failure_too_many_ends_the_stream(&app, COMMAND_STATUS, || async move {
        open_stream(&mut client, &started).await
    })
    .await;
    app.stop().await;
}

#[tokio::test]
async fn stream_command_status_rides_out_unreadable_polls() {
    let mut app = TestApp::spawn().await;
    let started = execute(&mut app, Language::Python, "print(1)", "").await;
    let since = app.upstream_calls(COMMAND_STATUS).len();
    app.emulator()
        .inject_fault(COMMAND_STATUS, Fault::TruncatedJson, 1);
    app.emulator()
        .inject_fault(COMMAND_STATUS, Fault::MalformedJson, 1);
    let (updates, ended) = drain(open_stream(&mut app.client, &started).await).await;
    assert!(ended.is_none(), "{ended:?}");
    let last = updates.last().and_then(|u| u.command.clone()).unwrap();
    assert_eq!(last.outcome, CommandOutcome::Succeeded as i32, "{last:?}");
    let answered = statuses_since(&app, COMMAND_STATUS, since);
    assert!(
        answered.len() >= 3,
        "two garbled polls, then more: {answered:?}"
    );
    app.stop().await;
}
