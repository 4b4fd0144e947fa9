//! The fault matrix for the Clusters RPCs: reads and the Safe changes ride
//! out every transient fault (the journal shows the retries), a create
//! makes exactly one cluster whatever happened to its answers, an
//! unreadable answer is a clear INTERNAL, and WatchCluster rides out
//! [`MAX_TRANSIENT_FAILURES`] failed polls and ends plainly on the next.

use databricks_grpc::{
    emulator::Fault,
    proto::compute::{self as pb, ClusterState, ClusterTarget},
};
use tonic::{Code, Status};

use super::{
    FAILED_POLLS, PATIENT, TRANSIENT, Then, assert_one_failure_too_many_ends_the_stream,
    assert_rides_out, assert_unreadable_is_internal, drain, spawn_with_retry_budget,
    statuses_since,
};
use crate::{
    clusters::create_request,
    helpers::{RUNNING, TestApp},
};

const GET: &str = "/api/2.1/clusters/get";
const LIST: &str = "/api/2.1/clusters/list";
const EVENTS: &str = "/api/2.1/clusters/events";
const CREATE: &str = "/api/2.1/clusters/create";

async fn get(app: &TestApp, cluster_id: &str) -> Result<pb::Cluster, Status> {
    let request = pb::GetClusterRequest {
        cluster_id: cluster_id.into(),
    };
    let answer = app.client.clone().get_cluster(request).await?.into_inner();
    Ok(answer.cluster.unwrap_or_default())
}

fn state(cluster: &pb::Cluster) -> ClusterState {
    ClusterState::try_from(cluster.state).unwrap()
}

/// The ids of the clusters named `name`.
async fn named(app: &TestApp, name: &str) -> Vec<String> {
    let request = pb::ListClustersRequest {
        name: name.into(),
        ..Default::default()
    };
    let listed = app.client.clone().list_clusters(request).await.unwrap();
    listed
        .into_inner()
        .clusters
        .into_iter()
        .map(|c| c.cluster_id)
        .collect()
}

/// A new cluster, read (each read steps the emulator) until it is `target`.
async fn cluster_in(app: &TestApp, name: &str, target: ClusterState) -> String {
    let request = create_request(name);
    let created = app.client.clone().create_cluster(request).await.unwrap();
    let cluster_id = created.into_inner().cluster_id;
    if target == ClusterState::Terminated {
        let request = pb::TerminateClusterRequest {
            cluster_id: cluster_id.clone(),
        };
        app.client.clone().terminate_cluster(request).await.unwrap();
    }
    for _ in 0..50 {
        if state(&get(app, &cluster_id).await.unwrap()) == target {
            return cluster_id;
        }
    }
    panic!("{cluster_id} never became {target:?}");
}

#[tokio::test]
async fn cluster_reads_under_every_fault() {
    let app = spawn_with_retry_budget(PATIENT).await;
    let read = || get(&app, RUNNING);
    assert_rides_out(&app, GET, &TRANSIENT, Then::Done, read).await;
    assert_unreadable_is_internal(&app, GET, "GET /api/2.1/clusters/get", read).await;

    let list = || {
        let mut client = app.client.clone();
        async move {
            client
                .list_clusters(pb::ListClustersRequest::default())
                .await
        }
    };
    assert_rides_out(&app, LIST, &TRANSIENT, Then::Done, list).await;
    assert_unreadable_is_internal(&app, LIST, "GET /api/2.1/clusters/list", list).await;

    let events = || {
        let mut client = app.client.clone();
        let request = pb::ClusterEventsRequest {
            cluster_id: RUNNING.into(),
            ..Default::default()
        };
        async move { client.cluster_events(request).await }
    };
    assert_rides_out(&app, EVENTS, &TRANSIENT, Then::Done, events).await;
    assert_unreadable_is_internal(&app, EVENTS, "POST /api/2.1/clusters/events", events).await;
    app.stop().await;
}

/// CreateCluster always carries an idempotency token, so it is Safe: every
/// transient fault is ridden out, a reset after sending included, and each
/// call leaves exactly one cluster.
#[tokio::test]
async fn create_cluster_under_every_fault_makes_exactly_one_cluster() {
    let app = spawn_with_retry_budget(PATIENT).await;
    for (index, case) in TRANSIENT.into_iter().enumerate() {
        let name = format!("fault-{index}");
        let call = || {
            let mut client = app.client.clone();
            let request = create_request(&name);
            async move { client.create_cluster(request).await }
        };
        let created = assert_rides_out(&app, CREATE, &[case], Then::Done, call).await;
        let cluster_id = &created[0].get_ref().cluster_id;
        assert_eq!(named(&app, &name).await, [cluster_id.as_str()], "{case:?}");
        let sent = app.upstream_calls(CREATE);
        let resent = &sent[sent.len() - case.journal.len()..];
        assert!(
            resent.iter().all(|entry| entry.body == resent[0].body),
            "{case:?}: every attempt carries the same token"
        );
    }
    // An unreadable answer: INTERNAL, not resent, and the one cluster made.
    let mut index = 0;
    let call = || {
        index += 1;
        let mut client = app.client.clone();
        let request = create_request(&format!("unreadable-{index}"));
        async move { client.create_cluster(request).await }
    };
    assert_unreadable_is_internal(&app, CREATE, "POST /api/2.1/clusters/create", call).await;
    for index in 1..=2 {
        assert_eq!(named(&app, &format!("unreadable-{index}")).await.len(), 1);
    }
    app.stop().await;
}

/// A change: its path, the state its cluster must be in, and the states the
/// cluster is in (or passes through) once it took effect; none when the
/// cluster is gone.
#[derive(Debug, Clone, Copy)]
struct Change {
    path: &'static str,
    from: ClusterState,
    effect: &'static [ClusterState],
}

async fn change(app: &TestApp, path: &str, cluster_id: &str) -> Result<(), Status> {
    let mut client = app.client.clone();
    let id = cluster_id.to_owned();
    match path {
        START => drop(
            client
                .start_cluster(pb::StartClusterRequest { cluster_id: id })
                .await?,
        ),
        RESTART => drop(
            client
                .restart_cluster(pb::RestartClusterRequest { cluster_id: id })
                .await?,
        ),
        TERMINATE => drop(
            client
                .terminate_cluster(pb::TerminateClusterRequest { cluster_id: id })
                .await?,
        ),
        PERMANENT_DELETE => drop(
            client
                .permanent_delete_cluster(pb::PermanentDeleteClusterRequest { cluster_id: id })
                .await?,
        ),
        PIN => drop(
            client
                .pin_cluster(pb::PinClusterRequest { cluster_id: id })
                .await?,
        ),
        UNPIN => drop(
            client
                .unpin_cluster(pb::UnpinClusterRequest { cluster_id: id })
                .await?,
        ),
        RESIZE => drop(
            client
                .resize_cluster(pb::ResizeClusterRequest {
                    cluster_id: id,
                    num_workers: Some(5),
                    autoscale: None,
                })
                .await?,
        ),
        EDIT => {
            let spec = create_request("edited");
            let request = pb::EditClusterRequest {
                cluster_id: id,
                cluster_name: spec.cluster_name,
                spark_version: spec.spark_version,
                node_type_id: spec.node_type_id,
                num_workers: Some(3),
                ..Default::default()
            };
            drop(client.edit_cluster(request).await?);
        }
        other => panic!("no change for {other}"),
    }
    Ok(())
}

const START: &str = "/api/2.1/clusters/start";
const RESTART: &str = "/api/2.1/clusters/restart";
const TERMINATE: &str = "/api/2.1/clusters/delete";
const PERMANENT_DELETE: &str = "/api/2.1/clusters/permanent-delete";
const PIN: &str = "/api/2.1/clusters/pin";
const UNPIN: &str = "/api/2.1/clusters/unpin";
const RESIZE: &str = "/api/2.1/clusters/resize";
const EDIT: &str = "/api/2.1/clusters/edit";

/// Every change: Safe in `clusters_api.rs`.
const CHANGES: [Change; 8] = [
    Change {
        path: START,
        from: ClusterState::Terminated,
        effect: &[ClusterState::Pending, ClusterState::Running],
    },
    Change {
        path: RESTART,
        from: ClusterState::Running,
        effect: &[ClusterState::Restarting, ClusterState::Running],
    },
    Change {
        path: TERMINATE,
        from: ClusterState::Running,
        effect: &[ClusterState::Terminating, ClusterState::Terminated],
    },
    Change {
        path: PERMANENT_DELETE,
        from: ClusterState::Terminated,
        effect: &[],
    },
    Change {
        path: PIN,
        from: ClusterState::Running,
        effect: &[ClusterState::Running],
    },
    Change {
        path: UNPIN,
        from: ClusterState::Running,
        effect: &[ClusterState::Running],
    },
    Change {
        path: RESIZE,
        from: ClusterState::Running,
        effect: &[ClusterState::Resizing, ClusterState::Running],
    },
    Change {
        path: EDIT,
        from: ClusterState::Running,
        effect: &[ClusterState::Restarting, ClusterState::Running],
    },
];

/// The changes Databricks refuses to repeat once they took effect: a resend
/// after a reset meets that refusal (400), and the call succeeds, since the
/// lost attempt did the work.
const REFUSED_REPEAT: [&str; 5] = [START, RESTART, PERMANENT_DELETE, RESIZE, EDIT];

/// Asserts that `change` took effect on `cluster_id`, exactly as one call
/// would: in one of its effect states, or gone.
async fn assert_took_effect(app: &TestApp, change: Change, cluster_id: &str) {
    let after = get(app, cluster_id).await;
    if change.effect.is_empty() {
        let status = after.unwrap_err();
        assert_eq!(status.code(), Code::NotFound, "{change:?}: {status:?}");
    } else {
        let now = state(&after.unwrap());
        assert!(change.effect.contains(&now), "{change:?}: {now:?}");
    }
}

/// Every change rides out every transient fault, a reset after the change
/// took effect included, with one effect on the cluster. After a reset, the
/// resend of a start, restart, resize or edit meets the lost attempt's own
/// work (400 `INVALID_STATE`) and a permanent delete meets "does not exist"
/// (400): the call succeeds, as the caller asked.
#[tokio::test]
async fn every_safe_cluster_change_rides_out_every_transient_fault() {
    let app = spawn_with_retry_budget(PATIENT).await;
    for change_case in CHANGES {
        for (index, mut case) in TRANSIENT.into_iter().enumerate() {
            let refused = REFUSED_REPEAT.contains(&change_case.path);
            if refused && case.fault == Fault::ResetMidResponse {
                case.journal = &[200, 400];
            }
            let name = format!("{}-{index}", change_case.path);
            let cluster_id = cluster_in(&app, &name, change_case.from).await;
            let call = || change(&app, change_case.path, &cluster_id);
            assert_rides_out(&app, change_case.path, &[case], Then::Done, call).await;
            assert_took_effect(&app, change_case, &cluster_id).await;
        }
    }
    app.stop().await;
}

/// Every change whose answer cannot be read: INTERNAL naming the
/// endpoint, sent once.
#[tokio::test]
async fn every_safe_cluster_change_with_an_unreadable_answer_is_internal() {
    let app = spawn_with_retry_budget(PATIENT).await;
    for change_case in CHANGES {
        let mut index = 0;
        let endpoint = format!("POST {}", change_case.path);
        let call = || {
            index += 1;
            let app = &app;
            let name = format!("unreadable {}-{index}", change_case.path);
            async move {
                let cluster_id = cluster_in(app, &name, change_case.from).await;
                change(app, change_case.path, &cluster_id).await
            }
        };
        assert_unreadable_is_internal(&app, change_case.path, &endpoint, call).await;
    }
    app.stop().await;
}

fn watch_request(cluster_id: &str, until: ClusterTarget) -> pb::WatchClusterRequest {
    pb::WatchClusterRequest {
        cluster_id: cluster_id.into(),
        until: until as i32,
    }
}

/// WatchCluster rides out as many failed polls as a stream tolerates, of
/// every transient kind, and ends OK at its target; one more ends it with
/// that failure, said plainly.
#[tokio::test]
async fn watch_cluster_tolerates_five_failed_polls_and_ends_on_the_sixth() {
    let app = spawn_with_retry_budget(std::time::Duration::ZERO).await;
    let watch = |until: ClusterTarget| {
        let mut client = app.client.clone();
        let request = watch_request(RUNNING, until);
        async move { client.watch_cluster(request).await.unwrap().into_inner() }
    };
    for fault in FAILED_POLLS {
        app.emulator().inject_fault(GET, fault, 1);
    }
    let (updates, ended) = drain(watch(ClusterTarget::Running).await).await;
    assert!(ended.is_none(), "{ended:?}");
    let last = updates.last().and_then(|u| u.cluster.clone()).unwrap();
    assert_eq!(state(&last), ClusterState::Running, "{updates:?}");
    let answered = statuses_since(&app, GET, 0);
    assert_eq!(
        answered[..6],
        [503, 429, 503, 200, 503, 200],
        "{answered:?}"
    );

    assert_one_failure_too_many_ends_the_stream(&app, GET, || watch(ClusterTarget::Terminated))
        .await;
    app.stop().await;
}
