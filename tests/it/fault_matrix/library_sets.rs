//! The fault matrix for ApplyLibraries: it rides out every transient fault
//! on its reads and on install and uninstall (Safe), and on the one restart
//! an IF_NEEDED change makes (Safe: after a reset its resend meets the lost
//! attempt's restart, 400 `INVALID_STATE`, and the apply goes on, the
//! cluster restarted once); an unreadable answer to a change ends the
//! stream with a clear INTERNAL.

use databricks_grpc::{
    emulator::Fault,
    proto::compute::{self as pb, ApplyStage, RestartPolicy},
};
use tonic::{Code, Status};

use super::{PATIENT, TRANSIENT, Then, assert_journal, drain, spawn_with_retry_budget};
use crate::{
    helpers::{RUNNING, TestApp},
    library_sets::{V1, V2, jar},
};

const CLUSTER_STATUS: &str = "/api/2.0/libraries/cluster-status";
const CLUSTER_GET: &str = "/api/2.1/clusters/get";
const INSTALL: &str = "/api/2.0/libraries/install";
const UNINSTALL: &str = "/api/2.0/libraries/uninstall";
const RESTART: &str = "/api/2.1/clusters/restart";

/// Replaces `previous` with `desired` on the running cluster, restarting
/// if needed.
async fn replace(
    app: &TestApp,
    desired: &str,
    previous: &str,
) -> (Vec<pb::ApplyLibrariesResponse>, Option<Status>) {
    let request = pb::ApplyLibrariesRequest {
        cluster_id: RUNNING.into(),
        libraries: vec![jar(desired)],
        previous: vec![jar(previous)],
        restart: RestartPolicy::IfNeeded as i32,
        start_cluster: false,
        wait: true,
    };
    let mut client = app.client.clone();
    drain(client.apply_libraries(request).await.unwrap().into_inner()).await
}

/// The jar the `index`th apply installs, and the one it replaces.
fn versions(index: usize) -> (&'static str, &'static str) {
    if index % 2 == 0 { (V2, V1) } else { (V1, V2) }
}

/// An app with jar v1 installed on the running cluster.
async fn with_v1() -> TestApp {
    let app = spawn_with_retry_budget(PATIENT).await;
    let (_, ended) = replace(&app, V1, V2).await;
    assert!(ended.is_none(), "{ended:?}");
    app
}

#[tokio::test]
async fn apply_libraries_rides_out_every_transient_fault_on_each_call() {
    // (path, whether it is read again while the apply waits)
    let paths = [
        (CLUSTER_STATUS, Then::MayPollMore),
        (CLUSTER_GET, Then::MayPollMore),
        (UNINSTALL, Then::Done),
        (INSTALL, Then::Done),
        (RESTART, Then::Done),
    ];
    for (path, then) in paths {
        let app = with_v1().await;
        for (index, mut case) in TRANSIENT.into_iter().enumerate() {
            if path == RESTART && case.fault == Fault::ResetMidResponse {
                // The lost attempt restarted the cluster; its resend is
                // refused, and that refusal means the restart is done.
                case.journal = &[200, 400];
            }
            let (desired, previous) = versions(index);
            let since = app.upstream_calls(path).len();
            let restarts = app.upstream_calls(RESTART).len();
            app.emulator().inject_fault(path, case.fault, case.times);
            let (messages, ended) = replace(&app, desired, previous).await;
            let what = format!("{path} under {:?}", case.fault);
            assert!(ended.is_none(), "{what}: {ended:?} after {messages:#?}");
            let plan = messages[0].plan.clone().unwrap_or_default();
            assert_eq!(plan.install, [jar(desired)], "{what}");
            assert_eq!(plan.uninstall, [jar(previous)], "{what}");
            let last = messages.last().unwrap();
            assert_eq!(last.stage, ApplyStage::Done as i32, "{what}");
            assert!(!last.restart_required, "{what}: {last:?}");
            assert_journal(&app, path, since, case, then);
            if path != RESTART {
                assert_eq!(
                    app.upstream_calls(RESTART).len(),
                    restarts + 1,
                    "{what}: one restart"
                );
            }
        }
        app.stop().await;
    }
}

#[tokio::test]
async fn an_unreadable_answer_to_a_change_ends_the_apply_with_internal() {
    for (path, endpoint) in [
        (UNINSTALL, "POST /api/2.0/libraries/uninstall"),
        (INSTALL, "POST /api/2.0/libraries/install"),
        (RESTART, "POST /api/2.1/clusters/restart"),
    ] {
        let app = with_v1().await;
        for (index, fault) in [Fault::TruncatedJson, Fault::MalformedJson]
            .into_iter()
            .enumerate()
        {
            let (desired, previous) = versions(index);
            let since = app.upstream_calls(path).len();
            app.emulator().inject_fault(path, fault, 1);
            let (_, ended) = replace(&app, desired, previous).await;
            let status = ended.unwrap_or_else(|| panic!("{path} under {fault:?} ended OK"));
            assert_eq!(
                status.code(),
                Code::Internal,
                "{path} {fault:?}: {status:?}"
            );
            assert!(
                status.message().contains(endpoint) && status.message().contains("could not read"),
                "{status:?}"
            );
            assert_eq!(app.upstream_calls(path).len(), since + 1, "not resent");
            // The change took effect: applying the same set again finishes
            // the job and ends OK.
            let (_, ended) = replace(&app, desired, previous).await;
            assert!(ended.is_none(), "{path} {fault:?}: {ended:?}");
        }
        app.stop().await;
    }
}
