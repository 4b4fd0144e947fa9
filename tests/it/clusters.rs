//! The Clusters RPCs against the emulator: reads, create (idempotent under a
//! lost answer), edit, resize, restart, terminate, permanent delete, pin,
//! events, and every bad input refused before any upstream call.

use databricks_grpc::{
    emulator::{EmulatorConfig, Fault, Pace},
    proto::compute::{self as pb, ClusterSource, ClusterState},
};
use tonic::Code;

use crate::helpers::{RUNNING, TERMINATED, TestApp};

/// An emulator that moves only when a test ticks it.
pub(crate) async fn manual() -> TestApp {
    TestApp::spawn_with(EmulatorConfig::default().with_pace(Pace::Manual)).await
}

pub(crate) fn create_request(name: &str) -> pb::CreateClusterRequest {
    pb::CreateClusterRequest {
        cluster_name: name.into(),
        spark_version: "15.4.x-scala2.12".into(),
        node_type_id: "i3.xlarge".into(),
        num_workers: Some(2),
        autotermination_minutes: Some(60),
        custom_tags: [("team".into(), "data".into())].into(),
        ..Default::default()
    }
}

pub(crate) async fn get(app: &mut TestApp, cluster_id: &str) -> Result<pb::Cluster, tonic::Status> {
    let request = pb::GetClusterRequest {
        cluster_id: cluster_id.into(),
    };
    let answer = app.client.get_cluster(request).await?.into_inner();
    Ok(answer.cluster.unwrap())
}

pub(crate) async fn create(
    app: &mut TestApp,
    request: pb::CreateClusterRequest,
) -> pb::CreateClusterResponse {
    app.client
        .create_cluster(request)
        .await
        .unwrap()
        .into_inner()
}

fn state(cluster: &pb::Cluster) -> ClusterState {
    ClusterState::try_from(cluster.state).unwrap()
}

#[tokio::test]
async fn get_cluster_is_typed_with_state_enum_raw_state_and_termination_reason() {
    let mut app = manual().await;
    let running = get(&mut app, RUNNING).await.unwrap();
    assert_eq!(running.cluster_name, "emulator-running");
    assert_eq!(state(&running), ClusterState::Running);
    assert_eq!(running.raw_state, "RUNNING");
    assert_eq!(running.spark_version, "15.4.x-scala2.12");
    assert_eq!(running.num_workers, 2);
    assert_eq!(running.default_tags["ClusterId"], RUNNING);
    assert!(running.termination_reason.is_none());
    let stopped = get(&mut app, TERMINATED).await.unwrap();
    assert_eq!(state(&stopped), ClusterState::Terminated);
    assert!(!stopped.state_message.is_empty());
    let reason = stopped.termination_reason.unwrap();
    assert_eq!(
        (reason.code.as_str(), reason.r#type.as_str()),
        ("INACTIVITY", "SUCCESS")
    );
    assert_eq!(reason.parameters["inactivity_duration_min"], "120");
    assert!(stopped.terminated_time > 0);
    app.stop().await;
}

#[tokio::test]
async fn a_missing_cluster_is_not_found() {
    let mut app = manual().await;
    let missing = get(&mut app, "0000-000000-nothere").await.unwrap_err();
    assert_eq!(missing.code(), Code::NotFound, "{missing:?}");
    assert!(
        missing.message().contains("does not exist"),
        "{}",
        missing.message()
    );
    app.stop().await;
}

#[tokio::test]
async fn create_sends_a_token_and_the_cluster_runs_after_a_step() {
    let mut app = manual().await;
    let created = create(&mut app, create_request("etl")).await;
    assert_eq!(created.idempotency_token.len(), 32, "one made for the call");
    let calls = app.upstream_calls("/api/2.1/clusters/create");
    assert_eq!(calls.len(), 1);
    let body = calls[0].body.as_ref().unwrap();
    assert_eq!(
        body["idempotency_token"],
        created.idempotency_token.as_str()
    );
    assert_eq!(body["cluster_name"], "etl");
    assert_eq!(body["num_workers"], 2);
    assert_eq!(body["custom_tags"]["team"], "data");
    let pending = get(&mut app, &created.cluster_id).await.unwrap();
    assert_eq!(state(&pending), ClusterState::Pending);
    assert_eq!(pending.cluster_source, "API");
    assert_eq!(pending.autotermination_minutes, 60);
    assert_eq!(pending.custom_tags["team"], "data");
    app.emulator().tick();
    let running = get(&mut app, &created.cluster_id).await.unwrap();
    assert_eq!(state(&running), ClusterState::Running);
    app.stop().await;
}

#[tokio::test]
async fn the_callers_token_makes_a_repeated_create_return_the_same_cluster() {
    let mut app = manual().await;
    let request = pb::CreateClusterRequest {
        idempotency_token: "nightly-etl-2026-12-01".into(),
        ..create_request("etl")
    };
    let first = create(&mut app, request.clone()).await;
    let second = create(&mut app, request).await;
    assert_eq!(first.cluster_id, second.cluster_id);
    assert_eq!(first.idempotency_token, "nightly-etl-2026-12-01");
    let other = create(&mut app, create_request("etl")).await;
    assert_ne!(
        other.cluster_id, first.cluster_id,
        "a new call, a new token"
    );
    app.stop().await;
}

/// The answer to the first create is lost after Databricks made the
/// cluster: the client sends it again with the same token, and there is
/// still one cluster.
#[tokio::test]
async fn create_under_a_reset_after_sending_creates_exactly_one_cluster() {
    let mut app = manual().await;
    app.emulator()
        .inject_fault("/api/2.1/clusters/create", Fault::ResetMidResponse, 1);
    let created = create(&mut app, create_request("lost-answer")).await;
    let calls = app.upstream_calls("/api/2.1/clusters/create");
    assert_eq!(calls.len(), 2, "the lost answer was asked for again");
    assert_eq!(calls[0].body, calls[1].body, "with the same token");
    let listed = app
        .client
        .list_clusters(pb::ListClustersRequest {
            name: "lost-answer".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let ids: Vec<&str> = listed
        .clusters
        .iter()
        .map(|c| c.cluster_id.as_str())
        .collect();
    assert_eq!(ids, [created.cluster_id.as_str()]);
    app.stop().await;
}

#[tokio::test]
async fn bad_create_edit_and_resize_requests_make_no_upstream_call() {
    let mut app = manual().await;
    let bad_creates = [
        (
            pb::CreateClusterRequest {
                cluster_name: String::new(),
                ..create_request("x")
            },
            "cluster_name",
        ),
        (
            pb::CreateClusterRequest {
                spark_version: String::new(),
                ..create_request("x")
            },
            "spark_version",
        ),
        (
            pb::CreateClusterRequest {
                node_type_id: String::new(),
                ..create_request("x")
            },
            "node_type_id",
        ),
        (
            pb::CreateClusterRequest {
                num_workers: Some(-2),
                ..create_request("x")
            },
            "num_workers",
        ),
        (
            pb::CreateClusterRequest {
                num_workers: None,
                autoscale: Some(pb::Autoscale {
                    min_workers: 4,
                    max_workers: 2,
                }),
                ..create_request("x")
            },
            "autoscale.max_workers",
        ),
        (
            pb::CreateClusterRequest {
                autotermination_minutes: Some(9),
                ..create_request("x")
            },
            "autotermination_minutes",
        ),
        (
            pb::CreateClusterRequest {
                spark_conf: [(String::new(), "1".into())].into(),
                ..create_request("x")
            },
            "spark_conf",
        ),
        (
            pb::CreateClusterRequest {
                idempotency_token: "t".repeat(65),
                ..create_request("x")
            },
            "idempotency_token",
        ),
    ];
    for (request, field) in bad_creates {
        let refused = app.client.create_cluster(request).await.unwrap_err();
        assert_eq!(refused.code(), Code::InvalidArgument);
        assert!(
            refused.message().contains(field),
            "{field}: {}",
            refused.message()
        );
    }
    let edit = pb::EditClusterRequest {
        cluster_id: RUNNING.into(),
        cluster_name: "x".into(),
        spark_version: "15.4.x-scala2.12".into(),
        node_type_id: "i3.xlarge".into(),
        ..Default::default()
    };
    let refused = app.client.edit_cluster(edit).await.unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument);
    assert!(
        refused.message().contains("num_workers"),
        "{}",
        refused.message()
    );
    let resize = pb::ResizeClusterRequest {
        cluster_id: RUNNING.into(),
        num_workers: Some(1),
        autoscale: Some(pb::Autoscale {
            min_workers: 1,
            max_workers: 2,
        }),
    };
    let refused = app.client.resize_cluster(resize).await.unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument);
    assert_eq!(app.api_calls(), 0, "nothing reached Databricks");
    app.stop().await;
}

#[tokio::test]
async fn bad_cluster_ids_and_pages_make_no_upstream_call() {
    let mut app = manual().await;
    let bad_id = "has space";
    let codes = [
        app.client
            .get_cluster(pb::GetClusterRequest {
                cluster_id: String::new(),
            })
            .await
            .unwrap_err(),
        app.client
            .start_cluster(pb::StartClusterRequest {
                cluster_id: bad_id.into(),
            })
            .await
            .unwrap_err(),
        app.client
            .restart_cluster(pb::RestartClusterRequest {
                cluster_id: bad_id.into(),
            })
            .await
            .unwrap_err(),
        app.client
            .terminate_cluster(pb::TerminateClusterRequest {
                cluster_id: bad_id.into(),
            })
            .await
            .unwrap_err(),
        app.client
            .permanent_delete_cluster(pb::PermanentDeleteClusterRequest {
                cluster_id: bad_id.into(),
            })
            .await
            .unwrap_err(),
        app.client
            .pin_cluster(pb::PinClusterRequest {
                cluster_id: String::new(),
            })
            .await
            .unwrap_err(),
        app.client
            .unpin_cluster(pb::UnpinClusterRequest {
                cluster_id: String::new(),
            })
            .await
            .unwrap_err(),
        app.client
            .cluster_events(pb::ClusterEventsRequest {
                cluster_id: RUNNING.into(),
                page_size: 501,
                ..Default::default()
            })
            .await
            .unwrap_err(),
        app.client
            .list_clusters(pb::ListClustersRequest {
                page_size: -1,
                ..Default::default()
            })
            .await
            .unwrap_err(),
        app.client
            .list_clusters(pb::ListClustersRequest {
                states: vec![0],
                ..Default::default()
            })
            .await
            .unwrap_err(),
    ];
    for status in codes {
        assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    }
    assert_eq!(app.api_calls(), 0, "nothing reached Databricks");
    app.stop().await;
}

#[tokio::test]
async fn edit_restarts_a_running_cluster_and_only_a_running_one_resizes() {
    let mut app = manual().await;
    let edit = pb::EditClusterRequest {
        cluster_id: RUNNING.into(),
        cluster_name: "renamed".into(),
        spark_version: "15.4.x-scala2.12".into(),
        node_type_id: "i3.xlarge".into(),
        num_workers: Some(4),
        ..Default::default()
    };
    app.client.edit_cluster(edit.clone()).await.unwrap();
    let restarting = get(&mut app, RUNNING).await.unwrap();
    assert_eq!(state(&restarting), ClusterState::Restarting);
    assert_eq!(
        (restarting.cluster_name.as_str(), restarting.num_workers),
        ("renamed", 4)
    );
    let busy = app.client.edit_cluster(edit).await.unwrap_err();
    assert_eq!(busy.code(), Code::FailedPrecondition, "{busy:?}");
    app.emulator().tick();
    let resize = pb::ResizeClusterRequest {
        cluster_id: RUNNING.into(),
        num_workers: None,
        autoscale: Some(pb::Autoscale {
            min_workers: 2,
            max_workers: 8,
        }),
    };
    app.client.resize_cluster(resize.clone()).await.unwrap();
    let resizing = get(&mut app, RUNNING).await.unwrap();
    assert_eq!(state(&resizing), ClusterState::Resizing);
    assert_eq!(
        resizing.autoscale,
        Some(pb::Autoscale {
            min_workers: 2,
            max_workers: 8
        })
    );
    let stopped = pb::ResizeClusterRequest {
        cluster_id: TERMINATED.into(),
        ..resize
    };
    let refused = app.client.resize_cluster(stopped).await.unwrap_err();
    assert_eq!(refused.code(), Code::FailedPrecondition);
    assert!(
        refused.message().contains("unexpected state Terminated"),
        "{}",
        refused.message()
    );
    app.stop().await;
}

#[tokio::test]
async fn restart_terminate_pin_and_permanent_delete() {
    let mut app = manual().await;
    let id = create(&mut app, create_request("short-lived"))
        .await
        .cluster_id;
    app.emulator().tick();
    app.client
        .restart_cluster(pb::RestartClusterRequest {
            cluster_id: id.clone(),
        })
        .await
        .unwrap();
    assert_eq!(
        state(&get(&mut app, &id).await.unwrap()),
        ClusterState::Restarting
    );
    app.emulator().tick();
    app.client
        .pin_cluster(pb::PinClusterRequest {
            cluster_id: id.clone(),
        })
        .await
        .unwrap();
    let pinned = pb::ListClustersRequest {
        pinned: Some(true),
        ..Default::default()
    };
    let listed = app
        .client
        .list_clusters(pinned.clone())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.clusters.len(), 1);
    app.client
        .unpin_cluster(pb::UnpinClusterRequest {
            cluster_id: id.clone(),
        })
        .await
        .unwrap();
    let listed = app.client.list_clusters(pinned).await.unwrap().into_inner();
    assert!(listed.clusters.is_empty());
    for _ in 0..2 {
        // Terminating a terminating cluster is fine too.
        app.client
            .terminate_cluster(pb::TerminateClusterRequest {
                cluster_id: id.clone(),
            })
            .await
            .unwrap();
    }
    assert_eq!(
        state(&get(&mut app, &id).await.unwrap()),
        ClusterState::Terminating
    );
    app.emulator().tick();
    let stopped = get(&mut app, &id).await.unwrap();
    assert_eq!(stopped.termination_reason.unwrap().code, "USER_REQUEST");
    app.client
        .permanent_delete_cluster(pb::PermanentDeleteClusterRequest {
            cluster_id: id.clone(),
        })
        .await
        .unwrap();
    let gone = get(&mut app, &id).await.unwrap_err();
    assert_eq!(gone.code(), Code::NotFound, "{gone:?}");
    app.stop().await;
}

#[tokio::test]
async fn events_page_by_token_in_either_order_and_filter_by_type() {
    let mut app = manual().await;
    let id = create(&mut app, create_request("eventful"))
        .await
        .cluster_id;
    app.emulator().tick();
    for _ in 0..3 {
        app.client
            .restart_cluster(pb::RestartClusterRequest {
                cluster_id: id.clone(),
            })
            .await
            .unwrap();
        app.emulator().tick();
    }
    // CREATING, RUNNING, then three times RESTARTING, RUNNING.
    let mut newest_first = Vec::new();
    let mut token = String::new();
    loop {
        let page = app
            .client
            .cluster_events(pb::ClusterEventsRequest {
                cluster_id: id.clone(),
                page_size: 3,
                page_token: token,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert!(page.events.len() <= 3);
        newest_first.extend(page.events);
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    let kinds: Vec<&str> = newest_first.iter().map(|e| e.r#type.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "RUNNING",
            "RESTARTING",
            "RUNNING",
            "RESTARTING",
            "RUNNING",
            "RESTARTING",
            "RUNNING",
            "CREATING"
        ]
    );
    assert!(
        newest_first
            .windows(2)
            .all(|w| w[0].timestamp > w[1].timestamp)
    );
    let details = newest_first[0].details.as_ref().unwrap();
    assert!(details.fields.contains_key("current_num_workers"));
    let oldest_first = app
        .client
        .cluster_events(pb::ClusterEventsRequest {
            cluster_id: id.clone(),
            order: pb::EventOrder::Asc as i32,
            event_types: vec!["RESTARTING".into(), "CREATING".into()],
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let kinds: Vec<&str> = oldest_first
        .events
        .iter()
        .map(|e| e.r#type.as_str())
        .collect();
    assert_eq!(
        kinds,
        ["CREATING", "RESTARTING", "RESTARTING", "RESTARTING"]
    );
    let body = app
        .upstream_calls("/api/2.1/clusters/events")
        .last()
        .unwrap()
        .body
        .clone()
        .unwrap();
    assert_eq!(body["order"], "ASC");
    app.stop().await;
}

/// A seeded source of [`EmulatorConfig::with_seeded_clusters`].
fn seeded_source(index: usize) -> &'static str {
    ["UI", "API", "JOB"][index % 3]
}

#[tokio::test]
async fn list_over_more_than_100_clusters_pages_filters_and_finds_by_name() {
    const SEEDED: usize = 250;
    let config = EmulatorConfig::default()
        .with_pace(Pace::Manual)
        .with_seeded_clusters(SEEDED);
    let mut app = TestApp::spawn_with(config).await;
    let mut all = Vec::new();
    let mut pages = 0;
    let mut token = String::new();
    loop {
        let page = app
            .client
            .list_clusters(pb::ListClustersRequest {
                page_token: token,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        pages += 1;
        assert!(page.clusters.len() <= 100);
        all.extend(page.clusters);
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    let interactive = 2 + (0..SEEDED).filter(|i| seeded_source(*i) != "JOB").count();
    assert_eq!(
        all.len(),
        interactive,
        "UI and API clusters only by default"
    );
    assert_eq!(pages, interactive.div_ceil(100));
    assert!(all.iter().all(|c| c.cluster_source != "JOB"));
    let calls = app.upstream_calls("/api/2.1/clusters/list");
    let query = calls[0].query.as_deref().unwrap();
    assert!(query.contains("filter_by.cluster_sources=UI"), "{query}");
    assert!(query.contains("filter_by.cluster_sources=API"), "{query}");
    assert!(query.contains("page_size=100"), "{query}");

    let jobs = app
        .client
        .list_clusters(pb::ListClustersRequest {
            sources: vec![ClusterSource::Job as i32],
            states: vec![ClusterState::Terminated as i32],
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let expected_jobs = (0..SEEDED)
        .filter(|i| seeded_source(*i) == "JOB" && i % 3 == 2)
        .count();
    assert_eq!(jobs.clusters.len(), expected_jobs);
    assert!(jobs.clusters.iter().all(|c| c.raw_state == "TERMINATED"));

    let policy = app
        .client
        .list_clusters(pb::ListClustersRequest {
            policy_id: "policy-a".into(),
            sources: vec![
                ClusterSource::Ui as i32,
                ClusterSource::Api as i32,
                ClusterSource::Job as i32,
            ],
            page_size: 100,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(policy.clusters.len(), SEEDED.div_ceil(4));
    assert!(policy.clusters.iter().all(|c| c.policy_id == "policy-a"));

    let before = app.upstream_calls("/api/2.1/clusters/list").len();
    let by_name = app
        .client
        .list_clusters(pb::ListClustersRequest {
            name: "seeded-0247".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let names: Vec<&str> = by_name
        .clusters
        .iter()
        .map(|c| c.cluster_name.as_str())
        .collect();
    assert_eq!(names, ["seeded-0247"]);
    assert!(by_name.next_page_token.is_empty(), "found on the last page");
    let read = app.upstream_calls("/api/2.1/clusters/list").len() - before;
    assert_eq!(read, pages, "the server paged through everything itself");
    app.stop().await;
}

/// A purged cluster: Databricks answers 400 INVALID_PARAMETER_VALUE
/// "Cannot access cluster ... more than 30 days ago", which is NOT_FOUND.
#[tokio::test]
async fn a_purged_cluster_is_not_found() {
    use axum::{Json, Router, http::StatusCode, routing::get as get_route};
    let router = Router::new().route(
        "/api/2.1/clusters/get",
        get_route(|| async {
            (
                StatusCode::BAD_REQUEST,
                Json(serde_json::json!({
                    "error_code": "INVALID_PARAMETER_VALUE",
                    "message": "Cannot access cluster 0101-120000-old12345 that was terminated or unpinned more than 30 days ago."
                })),
            )
        }),
    );
    let host = crate::helpers::spawn_canned_upstream(router).await;
    let token = databricks_grpc::config::Secret::new("t");
    let mut app = TestApp::spawn_against(&host, token).await;
    let gone = get(&mut app, "0101-120000-old12345").await.unwrap_err();
    assert_eq!(gone.code(), Code::NotFound, "{gone:?}");
    app.stop_server().await;
}

/// Reads and the safe changes ride out faults that stop a request before
/// Databricks acts (503), and a create rides out a 429: the journal shows
/// each retry and the call succeeds.
#[tokio::test]
async fn cluster_calls_ride_out_transient_faults() {
    let mut app = manual().await;
    app.emulator()
        .inject_fault("/api/2.1/clusters/get", Fault::Unavailable, 2);
    get(&mut app, RUNNING).await.unwrap();
    app.emulator()
        .inject_fault("/api/2.1/clusters/list", Fault::Unavailable, 1);
    app.client
        .list_clusters(pb::ListClustersRequest::default())
        .await
        .unwrap();
    app.emulator()
        .inject_fault("/api/2.1/clusters/events", Fault::Unavailable, 1);
    app.client
        .cluster_events(pb::ClusterEventsRequest {
            cluster_id: RUNNING.into(),
            ..Default::default()
        })
        .await
        .unwrap();
    app.emulator()
        .inject_fault("/api/2.1/clusters/start", Fault::Unavailable, 1);
    app.client
        .start_cluster(pb::StartClusterRequest {
            cluster_id: TERMINATED.into(),
        })
        .await
        .unwrap();
    app.emulator().inject_fault(
        "/api/2.1/clusters/create",
        Fault::TooManyRequests {
            retry_after_secs: 0,
        },
        1,
    );
    create(&mut app, create_request("after-429")).await;
    for (path, journal) in [
        ("/api/2.1/clusters/list", vec![503, 200]),
        ("/api/2.1/clusters/events", vec![503, 200]),
        ("/api/2.1/clusters/start", vec![503, 200]),
        ("/api/2.1/clusters/create", vec![429, 200]),
    ] {
        let seen: Vec<u16> = app.upstream_calls(path).iter().map(|c| c.status).collect();
        assert_eq!(seen, journal, "{path}");
    }
    let gets: Vec<u16> = app
        .upstream_calls("/api/2.1/clusters/get")
        .iter()
        .map(|c| c.status)
        .collect();
    assert_eq!(&gets[..3], [503, 503, 200]);
    app.stop().await;
}

/// The caller's deadline bounds StartCluster's wait for a TERMINATING
/// cluster: DEADLINE_EXCEEDED, and no start was sent.
#[tokio::test]
async fn start_gives_up_at_the_callers_deadline() {
    let mut app = manual().await;
    app.client
        .terminate_cluster(pb::TerminateClusterRequest {
            cluster_id: RUNNING.into(),
        })
        .await
        .unwrap();
    let mut request = tonic::Request::new(pb::StartClusterRequest {
        cluster_id: RUNNING.into(),
    });
    request.set_timeout(std::time::Duration::from_millis(300));
    let status = app.client.start_cluster(request).await.unwrap_err();
    assert_eq!(status.code(), Code::DeadlineExceeded, "{status:?}");
    assert!(app.upstream_calls("/api/2.1/clusters/start").is_empty());
    app.stop().await;
}
