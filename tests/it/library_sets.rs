//! ApplyLibraries against the emulator: the seed scenario (jar v1 → v2 with
//! one restart, PyPI untouched, a second apply making no call), the restart
//! policies, a terminated cluster, failures, and bad inputs.

use databricks_grpc::emulator::{EmulatorConfig, Pace};
use databricks_grpc::proto::compute::{
    self as pb, ApplyStage, LibraryInstallStatus as S, RestartPolicy,
};
use tonic::Code;
use tonic_types::StatusExt;

use crate::helpers::{RUNNING, TERMINATED, TestApp, pypi};

mod replace;
mod seed;

// Versioned names as UploadLibrary writes them. Cloud URIs rather than
// /Volumes paths: the emulator fails a /Volumes or /Workspace library whose
// file is not in its tree, and these tests do not upload.
pub(crate) const V1: &str = "s3://ci-artifacts/libs/etl-1.0.0-aaaaaaaaaaaa.jar";
pub(crate) const V2: &str = "s3://ci-artifacts/libs/etl-1.0.0-bbbbbbbbbbbb.jar";
const PYPI: &str = "simplejson==3.19.2";

/// Upstream calls that change something.
const MUTATING: &[&str] = &[
    "/api/2.0/libraries/install",
    "/api/2.0/libraries/uninstall",
    "/api/2.1/clusters/restart",
    "/api/2.0/clusters/restart",
    "/api/2.1/clusters/start",
    "/api/2.0/clusters/start",
];

pub(crate) fn jar(uri: &str) -> pb::Library {
    pb::Library {
        kind: Some(pb::library::Kind::Jar(uri.into())),
    }
}

pub(crate) fn mutating_calls(app: &TestApp) -> usize {
    MUTATING
        .iter()
        .map(|path| app.upstream_calls(path).len())
        .sum()
}

pub(crate) fn restart_calls(app: &TestApp) -> usize {
    app.upstream_calls("/api/2.1/clusters/restart").len()
        + app.upstream_calls("/api/2.0/clusters/restart").len()
}

/// `METHOD /path` of every request the emulator served after the first
/// `from`, sorted (reads made together arrive in either order).
fn calls_since(app: &TestApp, from: usize) -> Vec<String> {
    let mut calls: Vec<String> = app.emulator().journal()[from..]
        .iter()
        .map(|entry| format!("{} {}", entry.method, entry.path))
        .collect();
    calls.sort();
    calls
}

fn apply(
    libraries: Vec<pb::Library>,
    previous: Vec<pb::Library>,
    restart: RestartPolicy,
) -> pb::ApplyLibrariesRequest {
    pb::ApplyLibrariesRequest {
        cluster_id: RUNNING.into(),
        libraries,
        previous,
        restart: restart as i32,
        start_cluster: false,
        wait: true,
    }
}

/// Every message of one ApplyLibraries stream, and the status it ended with
/// (`None`: OK).
async fn run(
    app: &mut TestApp,
    request: pb::ApplyLibrariesRequest,
) -> (Vec<pb::ApplyLibrariesResponse>, Option<tonic::Status>) {
    let mut stream = app
        .client
        .apply_libraries(request)
        .await
        .unwrap()
        .into_inner();
    let mut messages = Vec::new();
    loop {
        match stream.message().await {
            Ok(Some(message)) => messages.push(message),
            Ok(None) => return (messages, None),
            Err(status) => return (messages, Some(status)),
        }
    }
}

/// The stream's messages; it must end OK.
async fn run_ok(
    app: &mut TestApp,
    request: pb::ApplyLibrariesRequest,
) -> Vec<pb::ApplyLibrariesResponse> {
    let (messages, status) = run(app, request).await;
    assert!(status.is_none(), "{status:?} after {messages:#?}");
    assert_eq!(messages[0].stage, ApplyStage::Planned as i32);
    assert_eq!(messages.last().unwrap().stage, ApplyStage::Done as i32);
    messages
}

fn status_of<'a>(
    message: &'a pb::ApplyLibrariesResponse,
    library: &pb::Library,
) -> Option<&'a pb::LibraryFullStatus> {
    message.statuses.iter().find(|status| {
        status.library.as_ref() == Some(library) && !status.is_library_for_all_clusters
    })
}

fn status_name(message: &pb::ApplyLibrariesResponse, library: &pb::Library) -> Option<S> {
    status_of(message, library).map(|status| S::try_from(status.status).unwrap())
}

#[tokio::test]
async fn seed_scenario_replaces_the_jar_with_one_restart_and_is_idempotent() {
    let mut app = TestApp::spawn().await;
    // Someone else's library: foreign, never changed.
    app.install(RUNNING, vec![pypi("requests")]).await;
    // First apply: both install, nothing to restart.
    let first = run_ok(
        &mut app,
        apply(vec![jar(V1), pypi(PYPI)], vec![], RestartPolicy::IfNeeded),
    )
    .await;
    let plan = first[0].plan.clone().unwrap();
    assert_eq!(plan.install, [jar(V1), pypi(PYPI)]);
    assert!(plan.uninstall.is_empty() && plan.unchanged.is_empty());
    // The other caller's library and the one for all clusters are foreign.
    assert_eq!(plan.foreign.len(), 2, "{plan:?}");
    assert_eq!(plan.foreign[0], pypi("requests"));
    let last = first.last().unwrap();
    assert_eq!(status_name(last, &jar(V1)), Some(S::Installed));
    assert_eq!(status_name(last, &pypi(PYPI)), Some(S::Installed));
    assert_eq!(restart_calls(&app), 0);

    // Second apply, v2 with the previous set: install v2, uninstall v1, one restart.
    let installs_before = app.upstream_calls("/api/2.0/libraries/install").len();
    let second = run_ok(
        &mut app,
        apply(
            vec![jar(V2), pypi(PYPI)],
            vec![jar(V1), pypi(PYPI)],
            RestartPolicy::IfNeeded,
        ),
    )
    .await;
    let plan = second[0].plan.clone().unwrap();
    assert_eq!(plan.install, [jar(V2)]);
    assert_eq!(plan.uninstall, [jar(V1)]);
    assert_eq!(plan.unchanged, [pypi(PYPI)]);
    assert!(
        second
            .iter()
            .any(|m| m.stage == ApplyStage::Restarting as i32)
    );
    assert_eq!(restart_calls(&app), 1);
    let installs = app.upstream_calls("/api/2.0/libraries/install");
    assert_eq!(installs.len(), installs_before + 1);
    // PyPI untouched: the one new install call carries only v2.
    assert_eq!(
        installs.last().unwrap().body,
        Some(serde_json::json!({"cluster_id": RUNNING, "libraries": [{"jar": V2}]}))
    );
    let uninstalls = app.upstream_calls("/api/2.0/libraries/uninstall");
    assert_eq!(
        uninstalls.last().unwrap().body,
        Some(serde_json::json!({"cluster_id": RUNNING, "libraries": [{"jar": V1}]}))
    );
    let last = second.last().unwrap();
    assert!(!last.restart_required);
    assert_eq!(status_name(last, &jar(V2)), Some(S::Installed));
    assert_eq!(
        status_name(last, &jar(V1)),
        None,
        "v1 gone after the restart"
    );
    assert!(
        last.message.ends_with("desired libraries 2 INSTALLED"),
        "{}",
        last.message
    );
    assert_eq!(status_name(last, &pypi(PYPI)), Some(S::Installed));
    assert_eq!(status_name(last, &pypi("requests")), Some(S::Installed));
    assert_eq!(
        second[0].plan.as_ref().unwrap().foreign[0],
        pypi("requests")
    );

    // Third apply, the same set: no install, uninstall or restart call.
    let before = mutating_calls(&app);
    let journal_before = app.emulator().journal().len();
    let third = run_ok(
        &mut app,
        apply(
            vec![jar(V2), pypi(PYPI)],
            vec![jar(V2), pypi(PYPI)],
            RestartPolicy::IfNeeded,
        ),
    )
    .await;
    assert_eq!(
        mutating_calls(&app),
        before,
        "the idempotent apply made a call"
    );
    // The plan's read, then `wait`'s one read that finds all settled.
    assert_eq!(
        calls_since(&app, journal_before),
        [
            "GET /api/2.0/libraries/cluster-status",
            "GET /api/2.0/libraries/cluster-status",
            "GET /api/2.1/clusters/get",
            "GET /api/2.1/clusters/get",
        ]
    );
    let plan = third[0].plan.clone().unwrap();
    assert!(plan.install.is_empty() && plan.uninstall.is_empty());
    assert_eq!(plan.unchanged, [jar(V2), pypi(PYPI)]);
    assert!(
        third.last().unwrap().message.contains("nothing to do"),
        "{third:#?}"
    );
    // Without `wait`, an apply with nothing to do is two reads and no more.
    let journal_before = app.emulator().journal().len();
    let mut no_wait = apply(
        vec![jar(V2), pypi(PYPI)],
        vec![jar(V2), pypi(PYPI)],
        RestartPolicy::IfNeeded,
    );
    no_wait.wait = false;
    run_ok(&mut app, no_wait).await;
    assert_eq!(
        calls_since(&app, journal_before),
        [
            "GET /api/2.0/libraries/cluster-status",
            "GET /api/2.1/clusters/get"
        ]
    );
    app.stop().await;
}

#[tokio::test]
async fn never_reports_the_restart_and_if_needed_makes_exactly_one() {
    let mut app = TestApp::spawn().await;
    run_ok(&mut app, apply(vec![jar(V1)], vec![], RestartPolicy::Never)).await;
    let never = run_ok(
        &mut app,
        apply(vec![jar(V2)], vec![jar(V1)], RestartPolicy::Unspecified),
    )
    .await;
    let last = never.last().unwrap();
    assert!(last.restart_required, "{last:?}");
    assert!(
        last.message.contains("restart required"),
        "{}",
        last.message
    );
    assert_eq!(restart_calls(&app), 0, "NEVER restarted the cluster");
    assert_eq!(status_name(last, &jar(V1)), Some(S::UninstallOnRestart));
    assert_eq!(status_name(last, &jar(V2)), Some(S::Installed));

    // v1 is still loaded: the same set under IF_NEEDED makes no library call
    // but the one restart.
    let before = mutating_calls(&app);
    let if_needed = run_ok(
        &mut app,
        apply(vec![jar(V2)], vec![jar(V1)], RestartPolicy::IfNeeded),
    )
    .await;
    assert_eq!(restart_calls(&app), 1);
    assert_eq!(mutating_calls(&app), before + 1);
    let last = if_needed.last().unwrap();
    assert!(!last.restart_required);
    assert_eq!(status_name(last, &jar(V1)), None);
    app.stop().await;
}

#[tokio::test]
async fn a_terminated_cluster_queues_unless_asked_to_start() {
    let mut app = TestApp::spawn().await;
    let queued = run_ok(
        &mut app,
        pb::ApplyLibrariesRequest {
            cluster_id: TERMINATED.into(),
            libraries: vec![pypi(PYPI)],
            wait: true,
            ..Default::default()
        },
    )
    .await;
    let last = queued.last().unwrap();
    assert!(
        last.message.contains("queued (PENDING)") && last.message.contains("next start"),
        "{}",
        last.message
    );
    assert_eq!(status_name(last, &pypi(PYPI)), Some(S::Pending));
    assert_eq!(app.upstream_calls("/api/2.1/clusters/start").len(), 0);

    let started = run_ok(
        &mut app,
        pb::ApplyLibrariesRequest {
            cluster_id: TERMINATED.into(),
            libraries: vec![pypi(PYPI)],
            start_cluster: true,
            wait: true,
            ..Default::default()
        },
    )
    .await;
    assert!(
        started
            .iter()
            .any(|m| m.stage == ApplyStage::Starting as i32)
    );
    assert_eq!(app.upstream_calls("/api/2.1/clusters/start").len(), 1);
    assert_eq!(
        status_name(started.last().unwrap(), &pypi(PYPI)),
        Some(S::Installed)
    );
    app.stop().await;
}

#[tokio::test]
async fn a_failed_library_ends_the_stream_with_databricks_messages() {
    let mut app = TestApp::spawn().await;
    let (messages, status) = run(
        &mut app,
        apply(
            vec![pypi("no-such-package-zz9")],
            vec![],
            RestartPolicy::Never,
        ),
    )
    .await;
    let status = status.expect("the stream must fail");
    assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}");
    assert!(
        status.message().contains("pypi no-such-package-zz9"),
        "{}",
        status.message()
    );
    assert!(
        status.message().contains("No matching distribution"),
        "{}",
        status.message()
    );
    assert_eq!(messages[0].stage, ApplyStage::Planned as i32);
    app.stop().await;
}

#[tokio::test]
async fn an_unknown_cluster_is_not_found_and_changes_nothing() {
    let mut app = TestApp::spawn().await;
    let mut request = apply(vec![jar(V1)], vec![], RestartPolicy::IfNeeded);
    request.cluster_id = "0000-000000-nosuchcl".into();
    let (messages, status) = run(&mut app, request).await;
    assert!(messages.is_empty());
    assert_eq!(status.unwrap().code(), Code::NotFound);
    assert_eq!(mutating_calls(&app), 0);
    app.stop().await;
}

#[tokio::test]
async fn an_apply_waits_for_the_one_in_progress_on_the_same_cluster() {
    let mut app = TestApp::spawn().await;
    let mut first = app
        .client
        .apply_libraries(apply(vec![jar(V1)], vec![], RestartPolicy::Never))
        .await
        .unwrap()
        .into_inner();
    // Once the first has made its install call it waits for v1 to settle,
    // holding the cluster's lock.
    while first.message().await.unwrap().unwrap().stage != ApplyStage::Installed as i32 {}
    let mut client = app.client.clone();
    let second = tokio::spawn(async move {
        let request = apply(vec![jar(V2)], vec![jar(V1)], RestartPolicy::Never);
        let mut stream = client.apply_libraries(request).await.unwrap().into_inner();
        let mut messages = Vec::new();
        while let Some(message) = stream.message().await.unwrap() {
            messages.push(message);
        }
        messages
    });
    let mut last = None;
    while let Some(message) = first.message().await.unwrap() {
        last = Some(message);
    }
    // The second changed nothing while the first was still at work...
    let last = last.unwrap();
    assert_eq!(status_name(&last, &jar(V1)), Some(S::Installed), "{last:?}");
    assert_eq!(status_name(&last, &jar(V2)), None, "{last:?}");
    // ...and planned only after it: it found v1 installed, to replace.
    let second = second.await.unwrap();
    assert_eq!(second[0].plan.as_ref().unwrap().uninstall, [jar(V1)]);
    app.stop().await;
}

#[tokio::test]
async fn a_cluster_still_starting_is_restarted_once_it_runs() {
    // Only the test's ticks move the emulator on.
    let mut app = TestApp::spawn_with(EmulatorConfig::default().with_pace(Pace::Manual)).await;
    let start = pb::ApplyLibrariesRequest {
        cluster_id: TERMINATED.into(),
        libraries: vec![jar(V1)],
        start_cluster: true,
        ..Default::default()
    };
    run_ok(&mut app, start).await;
    let mut replace = apply(vec![jar(V2)], vec![jar(V1)], RestartPolicy::IfNeeded);
    replace.cluster_id = TERMINATED.into();
    replace.wait = false;
    let mut stream = app
        .client
        .apply_libraries(replace)
        .await
        .unwrap()
        .into_inner();
    let planned = stream.message().await.unwrap().unwrap();
    assert!(planned.message.contains("(PENDING)"), "{}", planned.message);
    while stream.message().await.unwrap().unwrap().stage != ApplyStage::Installed as i32 {}
    // Restarting a PENDING cluster fails upstream; the apply waits for RUNNING.
    assert_eq!(restart_calls(&app), 0);
    app.emulator().tick();
    let mut rest = Vec::new();
    while let Some(message) = stream.message().await.unwrap() {
        rest.push(message);
    }
    assert_eq!(rest[0].stage, ApplyStage::Restarting as i32, "{rest:#?}");
    assert_eq!(restart_calls(&app), 1);
    assert!(!rest.last().unwrap().restart_required);
    app.stop().await;
}

#[tokio::test]
async fn the_wait_ends_at_the_callers_deadline_and_frees_the_cluster() {
    // Nothing settles: the emulator only moves when the test ticks it.
    let mut app = TestApp::spawn_with(EmulatorConfig::default().with_pace(Pace::Manual)).await;
    let mut request = tonic::Request::new(apply(vec![jar(V1)], vec![], RestartPolicy::Never));
    request.set_timeout(std::time::Duration::from_secs(1));
    let mut stream = app
        .client
        .apply_libraries(request)
        .await
        .unwrap()
        .into_inner();
    let ended = async {
        loop {
            match stream.message().await {
                Ok(Some(_)) => {}
                Ok(None) => panic!("the stream ended OK while nothing settled"),
                Err(status) => break status,
            }
        }
    };
    // A guard against hanging, far beyond the deadline; not a measurement.
    let status = tokio::time::timeout(std::time::Duration::from_secs(30), ended)
        .await
        .expect("the server kept waiting past the caller's deadline");
    assert_eq!(status.code(), Code::DeadlineExceeded, "{status:?}");
    // This server ended it (its ErrorInfo), not the client giving up.
    let info = status.get_error_details().error_info().cloned().unwrap();
    assert_eq!(info.domain, "databricks-grpc", "{status:?}");
    // The lock went with it: the next apply on the cluster goes through.
    let mut next = apply(vec![jar(V1)], vec![jar(V1)], RestartPolicy::Never);
    next.wait = false;
    run_ok(&mut app, next).await;
    app.stop().await;
}

fn fields(status: &tonic::Status) -> Vec<String> {
    status
        .get_error_details()
        .bad_request()
        .map(|b| b.field_violations.iter().map(|v| v.field.clone()).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn bad_inputs_are_refused_before_any_upstream_call() {
    let mut app = TestApp::spawn().await;
    let mut cases = vec![
        (pb::ApplyLibrariesRequest::default(), vec!["cluster_id"]),
        (
            apply(vec![jar(V1), jar(V2)], vec![], RestartPolicy::Never),
            vec!["libraries[1]"],
        ),
        (
            apply(
                vec![pypi("Simple_JSON"), pypi("simple-json==1")],
                vec![],
                RestartPolicy::Never,
            ),
            vec!["libraries[1]"],
        ),
        (
            apply(
                vec![pb::Library { kind: None }],
                vec![jar("")],
                RestartPolicy::Never,
            ),
            vec!["libraries[0]", "previous[0].jar"],
        ),
    ];
    let mut bad_restart = apply(vec![jar(V1)], vec![], RestartPolicy::Never);
    bad_restart.restart = 42;
    cases.push((bad_restart, vec!["restart"]));
    for (request, expected) in cases {
        let status = app
            .client
            .apply_libraries(request.clone())
            .await
            .err()
            .unwrap_or_else(|| panic!("accepted {request:?}"));
        assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
        assert_eq!(fields(&status), expected, "{request:?}");
    }
    assert_eq!(app.api_calls(), 0, "a bad request reached Databricks");
    app.stop().await;
}
