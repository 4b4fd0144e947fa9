//! `ClusterDetails` (what the client reads of `clusters/get`) and
//! `ClusterIdRequest`.

use super::{golden, literal, refused, wire};
use crate::databricks::models::{ClusterDetails, ClusterIdRequest};

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
