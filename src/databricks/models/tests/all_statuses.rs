//! `AllClusterStatuses` and its streaming reader `EachCluster`: the body of
//! `libraries/all-cluster-statuses`. The client reads it both ways.

use super::golden;
use crate::databricks::models::{
    AllClusterStatuses, ClusterLibraryStatuses, EachCluster, Library, PyPiLibrary, ReportedLibrary,
};

/// Example `libraries_all_cluster_statuses`, response body.
const ALL: &str = r#"{"statuses": [
  {"cluster_id": "0923-164208-abcd1234", "library_statuses": [
    {"library": {"pypi": {"package": "simplejson==3.19.2"}}, "status": "INSTALLED", "is_library_for_all_clusters": false}
  ]},
  {"cluster_id": "1001-090000-zzzz9999"}
]}"#;

/// Example `libraries_all_cluster_statuses_empty`, response body.
const EMPTY: &str = "{}";

fn check(statuses: &[ClusterLibraryStatuses]) {
    let ids: Vec<_> = statuses.iter().map(|s| s.cluster_id.as_str()).collect();
    assert_eq!(ids, ["0923-164208-abcd1234", "1001-090000-zzzz9999"]);
    let first = &statuses[0].library_statuses;
    assert_eq!(first.len(), 1);
    assert_eq!(
        first[0].library,
        ReportedLibrary::Known(Library::Pypi(PyPiLibrary {
            package: "simplejson==3.19.2".into(),
            repo: None,
        }))
    );
    assert_eq!(first[0].status, "INSTALLED");
    assert!(!first[0].is_library_for_all_clusters);
    assert!(statuses[1].library_statuses.is_empty());
}

#[test]
fn every_cluster_is_read_whole() {
    let parsed: AllClusterStatuses = golden(ALL);
    check(&parsed.statuses);
}

#[test]
fn every_cluster_is_read_one_at_a_time() {
    let EachCluster(parsed) = golden::<EachCluster<Vec<ClusterLibraryStatuses>>>(ALL);
    check(&parsed);
}

/// `statuses` is left out when the workspace has no clusters.
#[test]
fn an_empty_workspace_sends_no_statuses_key() {
    assert!(golden::<AllClusterStatuses>(EMPTY).statuses.is_empty());
    let EachCluster(each) = golden::<EachCluster<Vec<ClusterLibraryStatuses>>>(EMPTY);
    assert!(each.is_empty());
}

/// A cluster without its `cluster_id` fails the whole body, both ways.
#[test]
fn a_cluster_without_an_id_is_refused() {
    let body = r#"{"statuses": [{"library_statuses": []}]}"#;
    assert!(serde_json::from_str::<AllClusterStatuses>(body).is_err());
    assert!(serde_json::from_str::<EachCluster<Vec<ClusterLibraryStatuses>>>(body).is_err());
}
