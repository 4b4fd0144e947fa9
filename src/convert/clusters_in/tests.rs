//! The Clusters validation: each bad field is named, every problem at once.

use super::*;

fn valid_create() -> pb::CreateClusterRequest {
    pb::CreateClusterRequest {
        cluster_name: "etl".into(),
        spark_version: "15.4.x-scala2.12".into(),
        node_type_id: "i3.xlarge".into(),
        num_workers: Some(2),
        ..Default::default()
    }
}

/// The fields `result` refused, in order.
fn refused<T: std::fmt::Debug>(result: Result<T, InvalidRequest>) -> Vec<String> {
    result
        .unwrap_err()
        .violations
        .into_iter()
        .map(|violation| violation.field)
        .collect()
}

#[test]
fn a_valid_create_keeps_the_callers_token_or_none() {
    let body = create_cluster(&valid_create()).unwrap();
    assert_eq!(body.idempotency_token, None);
    assert_eq!(body.spec.num_workers, Some(2));
    let with_token = pb::CreateClusterRequest {
        idempotency_token: "tok".into(),
        ..valid_create()
    };
    assert_eq!(
        create_cluster(&with_token)
            .unwrap()
            .idempotency_token
            .as_deref(),
        Some("tok")
    );
}

#[test]
fn every_bad_create_field_is_named() {
    let cases: Vec<(pb::CreateClusterRequest, &str)> = vec![
        (
            pb::CreateClusterRequest {
                cluster_name: " ".into(),
                ..valid_create()
            },
            "cluster_name",
        ),
        (
            pb::CreateClusterRequest {
                cluster_name: "x".repeat(2000),
                ..valid_create()
            },
            "cluster_name",
        ),
        (
            pb::CreateClusterRequest {
                spark_version: String::new(),
                ..valid_create()
            },
            "spark_version",
        ),
        (
            pb::CreateClusterRequest {
                spark_version: "15.4 x".into(),
                ..valid_create()
            },
            "spark_version",
        ),
        (
            pb::CreateClusterRequest {
                node_type_id: String::new(),
                ..valid_create()
            },
            "node_type_id",
        ),
        (
            pb::CreateClusterRequest {
                num_workers: None,
                ..valid_create()
            },
            "num_workers",
        ),
        (
            pb::CreateClusterRequest {
                num_workers: Some(-1),
                ..valid_create()
            },
            "num_workers",
        ),
        (
            pb::CreateClusterRequest {
                autoscale: Some(pb::Autoscale {
                    min_workers: 1,
                    max_workers: 2,
                }),
                ..valid_create()
            },
            "num_workers",
        ),
        (
            pb::CreateClusterRequest {
                num_workers: None,
                autoscale: Some(pb::Autoscale {
                    min_workers: 0,
                    max_workers: 2,
                }),
                ..valid_create()
            },
            "autoscale.min_workers",
        ),
        (
            pb::CreateClusterRequest {
                num_workers: None,
                autoscale: Some(pb::Autoscale {
                    min_workers: 3,
                    max_workers: 2,
                }),
                ..valid_create()
            },
            "autoscale.max_workers",
        ),
        (
            pb::CreateClusterRequest {
                autotermination_minutes: Some(5),
                ..valid_create()
            },
            "autotermination_minutes",
        ),
        (
            pb::CreateClusterRequest {
                autotermination_minutes: Some(43_201),
                ..valid_create()
            },
            "autotermination_minutes",
        ),
        (
            pb::CreateClusterRequest {
                spark_conf: [(String::new(), "v".into())].into(),
                ..valid_create()
            },
            "spark_conf",
        ),
        (
            pb::CreateClusterRequest {
                custom_tags: [(" ".into(), "v".into())].into(),
                ..valid_create()
            },
            "custom_tags",
        ),
        (
            pb::CreateClusterRequest {
                spark_env_vars: [("K".into(), "v".repeat(5000))].into(),
                ..valid_create()
            },
            "spark_env_vars[K]",
        ),
        (
            pb::CreateClusterRequest {
                idempotency_token: "t".repeat(65),
                ..valid_create()
            },
            "idempotency_token",
        ),
        (
            pb::CreateClusterRequest {
                policy_id: "a b".into(),
                ..valid_create()
            },
            "policy_id",
        ),
    ];
    for (request, field) in cases {
        assert_eq!(refused(create_cluster(&request)), [field], "{request:?}");
    }
}

#[test]
fn the_autotermination_bounds_are_inclusive_and_zero_means_never() {
    for minutes in [0, 10, 43_200] {
        let request = pb::CreateClusterRequest {
            autotermination_minutes: Some(minutes),
            ..valid_create()
        };
        assert!(create_cluster(&request).is_ok(), "{minutes}");
    }
}

#[test]
fn a_pool_replaces_the_node_type() {
    let request = pb::CreateClusterRequest {
        node_type_id: String::new(),
        instance_pool_id: "pool-1".into(),
        ..valid_create()
    };
    assert_eq!(
        create_cluster(&request)
            .unwrap()
            .spec
            .instance_pool_id
            .as_deref(),
        Some("pool-1")
    );
}

#[test]
fn every_problem_is_reported_at_once() {
    let fields = refused(create_cluster(&pb::CreateClusterRequest::default()));
    assert_eq!(
        fields,
        [
            "cluster_name",
            "spark_version",
            "node_type_id",
            "num_workers"
        ]
    );
}

#[test]
fn edit_and_resize_need_a_cluster_and_a_size() {
    let edit = pb::EditClusterRequest {
        cluster_name: "etl".into(),
        spark_version: "15.4.x-scala2.12".into(),
        node_type_id: "i3.xlarge".into(),
        num_workers: Some(1),
        ..Default::default()
    };
    assert_eq!(refused(edit_cluster(&edit)), ["cluster_id"]);
    let resize = pb::ResizeClusterRequest {
        cluster_id: "c".into(),
        ..Default::default()
    };
    assert_eq!(refused(resize_cluster(&resize)), ["num_workers"]);
    let resize = pb::ResizeClusterRequest {
        cluster_id: "c".into(),
        num_workers: Some(0),
        autoscale: None,
    };
    assert_eq!(resize_cluster(&resize).unwrap().num_workers, Some(0));
}

#[test]
fn list_defaults_to_interactive_sources_and_pages_of_100() {
    let list = list_clusters(&pb::ListClustersRequest::default()).unwrap();
    assert_eq!(list.query.sources, ["UI", "API"]);
    assert_eq!(list.query.page_size, Some(100));
    assert_eq!(list.name, None);
    let big = pb::ListClustersRequest {
        page_size: 1000,
        ..Default::default()
    };
    assert_eq!(list_clusters(&big).unwrap().query.page_size, Some(100));
    let filtered = pb::ListClustersRequest {
        states: vec![pb::ClusterState::Running as i32],
        sources: vec![pb::ClusterSource::Job as i32],
        pinned: Some(false),
        ..Default::default()
    };
    let filtered = list_clusters(&filtered).unwrap();
    assert_eq!(filtered.query.states, ["RUNNING"]);
    assert_eq!(filtered.query.sources, ["JOB"]);
    assert_eq!(filtered.query.is_pinned, Some(false));
}

#[test]
fn bad_list_fields_are_named() {
    let request = pb::ListClustersRequest {
        page_size: -1,
        page_token: "t".repeat(5000),
        states: vec![0, 99],
        sources: vec![0],
        name: "n".repeat(2000),
        policy_id: "a b".into(),
        ..Default::default()
    };
    assert_eq!(
        refused(list_clusters(&request)),
        [
            "page_size",
            "page_token",
            "states[0]",
            "states[1]",
            "sources[0]",
            "name",
            "policy_id"
        ]
    );
}

#[test]
fn bad_event_fields_are_named() {
    let request = pb::ClusterEventsRequest {
        cluster_id: String::new(),
        page_size: 501,
        event_types: vec!["running".into()],
        order: 7,
        start_time: 10,
        end_time: 5,
        ..Default::default()
    };
    assert_eq!(
        refused(cluster_events(&request)),
        [
            "cluster_id",
            "page_size",
            "event_types[0]",
            "order",
            "end_time"
        ]
    );
}

#[test]
fn watch_needs_a_target() {
    let request = pb::WatchClusterRequest {
        cluster_id: "c".into(),
        until: 0,
    };
    assert_eq!(refused(watch_cluster(&request)), ["until"]);
}
