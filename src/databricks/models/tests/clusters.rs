//! `ClusterDetails` (what the client reads of `clusters/get`) and
//! `ClusterIdRequest`.

use super::{golden, literal, refused, wire};
use crate::databricks::models::{
    Autoscale, ClusterDetails, ClusterEventsRequest, ClusterEventsResponse, ClusterIdRequest,
    ClusterSpec, CreateClusterRequest, CreateClusterResponse, EditClusterRequest,
    ListClustersResponse, ResizeClusterRequest, TerminationReason,
};

/// databricks-clusters-files.md §2.4, `clusters/get` of a terminated
/// cluster: no `cluster_name`, and fields this crate does not read.
#[test]
fn a_terminated_cluster_as_clusters_get_returns_it() {
    let parsed: ClusterDetails = golden(
        r#"{ "cluster_id": "0101-120000-abcd1234", "state": "TERMINATED", "state_message": "Inactive cluster terminated (inactive for 60 minutes).",
  "termination_reason": { "code": "INACTIVITY", "type": "SUCCESS", "parameters": { "inactivity_duration_min": "60" } },
  "terminated_time": 1767000000000 }"#,
    );
    let expected = ClusterDetails {
        cluster_id: "0101-120000-abcd1234".into(),
        cluster_name: String::new(),
        state: "TERMINATED".into(),
        state_message: "Inactive cluster terminated (inactive for 60 minutes).".into(),
        termination_reason: Some(TerminationReason {
            code: "INACTIVITY".into(),
            kind: "SUCCESS".into(),
            parameters: [("inactivity_duration_min".into(), "60".into())].into(),
        }),
        terminated_time: Some(1_767_000_000_000),
        ..ClusterDetails::default()
    };
    assert_eq!(parsed, expected);
}

/// databricks-clusters-files.md §2.4, a `clusters/list` entry (the same
/// `ClusterDetails` shape): a name, and an empty `state_message`.
#[test]
fn a_running_cluster_with_a_name() {
    let parsed: ClusterDetails = golden(
        r#"{ "cluster_id": "0101-120000-abcd1234", "cluster_name": "etl", "state": "RUNNING",
             "state_message": "", "spark_version": "15.4.x-scala2.12", "num_workers": 2, "cluster_source": "UI" }"#,
    );
    assert_eq!(parsed.cluster_id, "0101-120000-abcd1234");
    assert_eq!(parsed.cluster_name, "etl");
    assert_eq!(parsed.state, "RUNNING");
    assert_eq!(parsed.state_message, "");
    assert_eq!(parsed.spark_version.as_deref(), Some("15.4.x-scala2.12"));
    assert_eq!(parsed.num_workers, Some(2));
    assert_eq!(parsed.cluster_source.as_deref(), Some("UI"));
}

/// Every `State` of databricks-clusters-files.md §2.2 is kept as sent, and
/// so is one that enum does not have yet.
#[test]
fn every_state_is_kept_as_sent() {
    for state in [
        "PENDING",
        "RUNNING",
        "RESTARTING",
        "RESIZING",
        "TERMINATING",
        "TERMINATED",
        "ERROR",
        "UNKNOWN",
        "SOMETHING_NEW",
    ] {
        let body = format!(r#"{{"cluster_id": "c", "state": "{state}"}}"#);
        assert_eq!(golden::<ClusterDetails>(&body).state, state);
    }
}

/// Only `cluster_id` is required; the name, state and message read as
/// empty when absent.
#[test]
fn only_the_cluster_id_is_required() {
    let bare: ClusterDetails = golden(r#"{"cluster_id": "0101-120000-abcd1234"}"#);
    assert_eq!(bare.cluster_name, "");
    assert_eq!(bare.state, "");
    assert_eq!(bare.state_message, "");
    let missing = refused::<ClusterDetails>(r#"{"cluster_name": "etl", "state": "RUNNING"}"#);
    assert!(missing.contains("`cluster_id`"), "{missing}");
}

/// Example `error_invalid_state_cluster_start_race`, request body of
/// `clusters/start` (`clusters/get` sends the same key as its query).
#[test]
fn the_cluster_id_request_body() {
    let body = ClusterIdRequest {
        cluster_id: "0923-164208-abcd1234".into(),
    };
    assert_eq!(
        wire(&body),
        literal(r#"{"cluster_id": "0923-164208-abcd1234"}"#)
    );
}

/// databricks-clusters-files.md §2.2: every field this crate reads of a
/// full `ClusterDetails`, autoscaled, with maps and times.
#[test]
fn every_field_read_of_a_full_cluster() {
    let parsed: ClusterDetails = golden(
        r#"{ "cluster_id": "0101-120000-abcd1234", "cluster_name": "etl", "state": "RESIZING",
             "state_message": "Adding nodes", "autoscale": {"min_workers": 2, "max_workers": 8},
             "spark_version": "15.4.x-scala2.12", "node_type_id": "i3.xlarge", "driver_node_type_id": "i3.2xlarge",
             "instance_pool_id": "pool-1", "autotermination_minutes": 120,
             "spark_conf": {"spark.speculation": "true"}, "spark_env_vars": {"PYSPARK_PYTHON": "/databricks/python3/bin/python3"},
             "custom_tags": {"team": "data"}, "default_tags": {"Vendor": "Databricks"},
             "data_security_mode": "SINGLE_USER", "single_user_name": "a@example.com", "policy_id": "ABC123",
             "cluster_source": "API", "creator_user_name": "a@example.com", "start_time": 1767000000000,
             "runtime_engine": "PHOTON", "driver": {"node_id": "n"} }"#,
    );
    assert_eq!(
        parsed.autoscale,
        Some(Autoscale {
            min_workers: 2,
            max_workers: 8
        })
    );
    assert_eq!(parsed.num_workers, None);
    assert_eq!(parsed.driver_node_type_id.as_deref(), Some("i3.2xlarge"));
    assert_eq!(parsed.instance_pool_id.as_deref(), Some("pool-1"));
    assert_eq!(parsed.autotermination_minutes, Some(120));
    assert_eq!(parsed.spark_conf["spark.speculation"], "true");
    assert_eq!(
        parsed.spark_env_vars["PYSPARK_PYTHON"],
        "/databricks/python3/bin/python3"
    );
    assert_eq!(parsed.custom_tags["team"], "data");
    assert_eq!(parsed.default_tags["Vendor"], "Databricks");
    assert_eq!(parsed.data_security_mode.as_deref(), Some("SINGLE_USER"));
    assert_eq!(parsed.single_user_name.as_deref(), Some("a@example.com"));
    assert_eq!(parsed.policy_id.as_deref(), Some("ABC123"));
    assert_eq!(parsed.creator_user_name.as_deref(), Some("a@example.com"));
    assert_eq!(parsed.start_time, Some(1_767_000_000_000));
}

/// databricks-clusters-files.md §2.4, `clusters/list` with a next page.
#[test]
fn a_list_page_with_a_next_page_token() {
    let parsed: ListClustersResponse = golden(
        r#"{ "clusters": [ { "cluster_id": "0101-120000-abcd1234", "cluster_name": "etl", "state": "RUNNING",
                  "state_message": "", "spark_version": "15.4.x-scala2.12", "num_workers": 2, "cluster_source": "UI" } ],
  "next_page_token": "eyJ", "prev_page_token": "" }"#,
    );
    assert_eq!(parsed.clusters.len(), 1);
    assert_eq!(parsed.next_page_token, "eyJ");
    let last: ListClustersResponse = golden("{}");
    assert!(last.clusters.is_empty() && last.next_page_token.is_empty());
}

/// REST reference `clusters/create`: the spec flattened beside the token.
#[test]
fn the_create_body() {
    let body = CreateClusterRequest {
        spec: ClusterSpec {
            cluster_name: "etl".into(),
            spark_version: "15.4.x-scala2.12".into(),
            node_type_id: Some("i3.xlarge".into()),
            num_workers: Some(2),
            autotermination_minutes: Some(60),
            custom_tags: [("team".into(), "data".into())].into(),
            ..ClusterSpec::default()
        },
        idempotency_token: Some("tok-1".into()),
    };
    assert_eq!(
        wire(&body),
        literal(
            r#"{"cluster_name": "etl", "spark_version": "15.4.x-scala2.12", "node_type_id": "i3.xlarge",
                "num_workers": 2, "autotermination_minutes": 60, "custom_tags": {"team": "data"},
                "idempotency_token": "tok-1"}"#
        )
    );
    let answer: CreateClusterResponse = golden(r#"{"cluster_id": "0101-120000-abcd1234"}"#);
    assert_eq!(answer.cluster_id, "0101-120000-abcd1234");
}

/// REST reference `clusters/edit` and `clusters/resize`: an autoscaled
/// cluster from an instance pool; zero workers is sent, not dropped.
#[test]
fn the_edit_and_resize_bodies() {
    let edit = EditClusterRequest {
        cluster_id: "c".into(),
        spec: ClusterSpec {
            cluster_name: "etl".into(),
            spark_version: "15.4.x-scala2.12".into(),
            instance_pool_id: Some("pool-1".into()),
            autoscale: Some(Autoscale {
                min_workers: 1,
                max_workers: 4,
            }),
            ..ClusterSpec::default()
        },
    };
    assert_eq!(
        wire(&edit),
        literal(
            r#"{"cluster_id": "c", "cluster_name": "etl", "spark_version": "15.4.x-scala2.12",
                "instance_pool_id": "pool-1", "autoscale": {"min_workers": 1, "max_workers": 4}}"#
        )
    );
    let resize = ResizeClusterRequest {
        cluster_id: "c".into(),
        num_workers: Some(0),
        autoscale: None,
    };
    assert_eq!(
        wire(&resize),
        literal(r#"{"cluster_id": "c", "num_workers": 0}"#)
    );
}

/// databricks-clusters-files.md §2.4, `clusters/events`: request and answer.
#[test]
fn the_events_request_and_page() {
    let request = ClusterEventsRequest {
        cluster_id: "0101-".into(),
        order: Some("DESC".into()),
        page_size: Some(50),
        event_types: vec!["TERMINATING".into(), "RUNNING".into()],
        ..ClusterEventsRequest::default()
    };
    assert_eq!(
        wire(&request),
        literal(
            r#"{ "cluster_id": "0101-", "order": "DESC", "page_size": 50, "event_types": ["TERMINATING","RUNNING"] }"#
        )
    );
    let page: ClusterEventsResponse = golden(
        r#"{ "events": [ { "cluster_id": "0101-", "timestamp": 1767000000000, "type": "TERMINATING",
                "details": { "reason": { "code": "INACTIVITY", "type": "SUCCESS" } } } ],
  "next_page_token": "n" }"#,
    );
    let event = &page.events[0];
    assert_eq!(event.kind, "TERMINATING");
    assert_eq!(event.timestamp, Some(1_767_000_000_000));
    assert_eq!(
        event.details,
        Some(literal(
            r#"{ "reason": { "code": "INACTIVITY", "type": "SUCCESS" } }"#
        ))
    );
    assert_eq!(page.next_page_token, "n");
}
