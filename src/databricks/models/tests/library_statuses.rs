//! `ClusterLibraryStatuses` and `LibraryFullStatus`: the body of
//! `libraries/cluster-status`.

use serde_json::json;

use super::{golden, refused, wire};
use crate::databricks::models::{
    ClusterLibraryStatuses, Library, LibraryFullStatus, MavenLibrary, PyPiLibrary, ReportedLibrary,
};

fn known(library: Library) -> ReportedLibrary {
    ReportedLibrary::Known(library)
}

fn pypi(package: &str) -> ReportedLibrary {
    known(Library::Pypi(PyPiLibrary {
        package: package.into(),
        repo: None,
    }))
}

/// Example `libraries_cluster_status_running_mixed`, response body: every
/// status but PENDING, a FAILED entry with `messages`, an all-clusters one.
#[test]
fn a_running_cluster_with_every_kind_of_status() {
    let parsed: ClusterLibraryStatuses = golden(
        r#"{"cluster_id": "0923-164208-abcd1234", "library_statuses": [
          {"library": {"pypi": {"package": "simplejson==3.19.2"}}, "status": "INSTALLED", "is_library_for_all_clusters": false},
          {"library": {"maven": {"coordinates": "org.jsoup:jsoup:1.17.2", "exclusions": ["slf4j:slf4j"]}}, "status": "RESOLVING", "is_library_for_all_clusters": false},
          {"library": {"whl": "/Volumes/main/libs/wheels/mylib-0.3.1-py3-none-any.whl"}, "status": "INSTALLING", "is_library_for_all_clusters": false},
          {"library": {"pypi": {"package": "pandas==2.2.2"}}, "status": "FAILED", "is_library_for_all_clusters": false,
           "messages": ["Library installation attempted on the driver node of cluster 0923-164208-abcd1234 and failed. Duplicate package installation detected. Remove the duplicate package entry and restart the cluster. Error code: ERROR_DUPLICATE_INSTALLATION, error message: org.apache.spark.SparkException: PyPI package pandas has been installed already."]},
          {"library": {"jar": "/Workspace/Shared/jars/legacy-1.0.jar"}, "status": "SKIPPED", "is_library_for_all_clusters": true},
          {"library": {"whl": "/Volumes/main/libs/wheels/cached-0.9-py3-none-any.whl"}, "status": "RESTORED", "is_library_for_all_clusters": false},
          {"library": {"jar": "/Workspace/Shared/jars/udfs-2.0.jar"}, "status": "UNINSTALL_ON_RESTART", "is_library_for_all_clusters": false}
        ]}"#,
    );
    assert_eq!(parsed.cluster_id, "0923-164208-abcd1234");
    let libraries: Vec<_> = parsed.library_statuses.iter().map(|s| &s.library).collect();
    let maven = known(Library::Maven(MavenLibrary {
        coordinates: "org.jsoup:jsoup:1.17.2".into(),
        repo: None,
        exclusions: vec!["slf4j:slf4j".into()],
    }));
    let whl = |path: &str| known(Library::Whl(path.into()));
    let jar = |path: &str| known(Library::Jar(path.into()));
    assert_eq!(
        libraries,
        [
            &pypi("simplejson==3.19.2"),
            &maven,
            &whl("/Volumes/main/libs/wheels/mylib-0.3.1-py3-none-any.whl"),
            &pypi("pandas==2.2.2"),
            &jar("/Workspace/Shared/jars/legacy-1.0.jar"),
            &whl("/Volumes/main/libs/wheels/cached-0.9-py3-none-any.whl"),
            &jar("/Workspace/Shared/jars/udfs-2.0.jar"),
        ]
    );
    let statuses: Vec<_> = parsed
        .library_statuses
        .iter()
        .map(|s| s.status.as_str())
        .collect();
    assert_eq!(
        statuses,
        [
            "INSTALLED",
            "RESOLVING",
            "INSTALLING",
            "FAILED",
            "SKIPPED",
            "RESTORED",
            "UNINSTALL_ON_RESTART"
        ]
    );
    let for_all: Vec<_> = parsed
        .library_statuses
        .iter()
        .map(|s| s.is_library_for_all_clusters)
        .collect();
    assert_eq!(for_all, [false, false, false, false, true, false, false]);
    let failed = &parsed.library_statuses[3];
    assert_eq!(failed.messages.len(), 1);
    assert!(failed.messages[0].contains("ERROR_DUPLICATE_INSTALLATION"));
    assert!(parsed.library_statuses[0].messages.is_empty());
}

/// Example `libraries_cluster_status_terminated_pending`: PENDING with a
/// message, and `messages` before `is_library_for_all_clusters`.
#[test]
fn a_terminated_cluster_leaves_libraries_pending() {
    let parsed: ClusterLibraryStatuses = golden(
        r#"{"cluster_id": "0923-164208-abcd1234", "library_statuses": [
          {"library": {"pypi": {"package": "pyarrow"}}, "status": "PENDING",
           "messages": ["Library status is temporarily unavailable"], "is_library_for_all_clusters": false},
          {"library": {"pypi": {"package": "pydantic"}}, "status": "PENDING",
           "messages": ["Library status is temporarily unavailable"], "is_library_for_all_clusters": false}
        ]}"#,
    );
    let pending = LibraryFullStatus {
        library: pypi("pyarrow"),
        status: "PENDING".into(),
        messages: vec!["Library status is temporarily unavailable".into()],
        is_library_for_all_clusters: false,
    };
    assert_eq!(parsed.library_statuses[0], pending);
    assert_eq!(parsed.library_statuses[1].library, pypi("pydantic"));
}

/// Example `libraries_cluster_status_no_libraries`: `library_statuses` is
/// left out when the cluster has none (REST reference §1.3).
#[test]
fn a_cluster_without_libraries_has_no_library_statuses_key() {
    let parsed: ClusterLibraryStatuses = golden(r#"{"cluster_id": "0923-164208-abcd1234"}"#);
    assert_eq!(parsed.cluster_id, "0923-164208-abcd1234");
    assert!(parsed.library_statuses.is_empty());
    assert_eq!(wire(&parsed), json!({"cluster_id": "0923-164208-abcd1234"}));
}

/// `messages` and `is_library_for_all_clusters` are optional (absent: none,
/// false); `library` and `status` are required, and so is `cluster_id`.
#[test]
fn optional_and_required_fields_of_a_library_status() {
    let bare: LibraryFullStatus =
        golden(r#"{"library": {"jar": "/a.jar"}, "status": "INSTALLED"}"#);
    assert!(bare.messages.is_empty());
    assert!(!bare.is_library_for_all_clusters);
    let all: LibraryFullStatus = golden(
        r#"{"library": {"jar": "/a.jar"}, "status": "SKIPPED", "is_library_for_all_clusters": true}"#,
    );
    assert!(all.is_library_for_all_clusters);

    assert!(refused::<LibraryFullStatus>(r#"{"status": "INSTALLED"}"#).contains("`library`"));
    assert!(refused::<LibraryFullStatus>(r#"{"library": {"jar": "/a.jar"}}"#).contains("`status`"));
    assert!(
        refused::<ClusterLibraryStatuses>(r#"{"library_statuses": []}"#).contains("`cluster_id`")
    );
}

/// Unknown library kinds and statuses (REST reference §1.4: accept future
/// values) are kept as sent rather than failing the call.
#[test]
fn unknown_library_kind_and_status_are_kept() {
    let parsed: ClusterLibraryStatuses = golden(
        r#"{"cluster_id": "c1", "library_statuses": [
          {"library": {"conda": {"package": "x"}}, "status": "QUANTUM", "is_library_for_all_clusters": false},
          {"library": {"jar": "/Workspace/a.jar"}, "status": "INSTALLED", "messages": ["ok"]},
          {"library": {"pypi": {"repo": "https://r"}}, "status": "FAILED"}
        ]}"#,
    );
    assert_eq!(
        parsed.library_statuses[0].library,
        ReportedLibrary::Unrecognized(json!({"conda": {"package": "x"}}))
    );
    assert_eq!(parsed.library_statuses[0].status, "QUANTUM");
    assert_eq!(
        parsed.library_statuses[1].library,
        known(Library::Jar("/Workspace/a.jar".into()))
    );
    assert_eq!(parsed.library_statuses[1].messages, ["ok"]);
    assert_eq!(
        parsed.library_statuses[2].library,
        ReportedLibrary::Unrecognized(json!({"pypi": {"repo": "https://r"}}))
    );
}

/// Each kind of the REST reference §1.2 table, as reported back.
#[test]
fn every_library_kind_is_recognised_in_a_status() {
    let cases = [
        (r#"{"jar": "/j.jar"}"#, Library::Jar("/j.jar".into())),
        (r#"{"egg": "/e.egg"}"#, Library::Egg("/e.egg".into())),
        (r#"{"whl": "/w.whl"}"#, Library::Whl("/w.whl".into())),
        (
            r#"{"requirements": "/Workspace/r.txt"}"#,
            Library::Requirements("/Workspace/r.txt".into()),
        ),
        (
            r#"{"pypi": {"package": "x", "repo": "https://p"}}"#,
            Library::Pypi(PyPiLibrary {
                package: "x".into(),
                repo: Some("https://p".into()),
            }),
        ),
        (
            r#"{"maven": {"coordinates": "g:a:1", "repo": "https://m", "exclusions": ["g:b"]}}"#,
            Library::Maven(MavenLibrary {
                coordinates: "g:a:1".into(),
                repo: Some("https://m".into()),
                exclusions: vec!["g:b".into()],
            }),
        ),
        (
            r#"{"cran": {"package": "data.table", "repo": "https://c"}}"#,
            Library::Cran(crate::databricks::models::CranLibrary {
                package: "data.table".into(),
                repo: Some("https://c".into()),
            }),
        ),
    ];
    for (json, library) in cases {
        let body = format!(r#"{{"library": {json}, "status": "INSTALLED"}}"#);
        let status: LibraryFullStatus = golden(&body);
        assert_eq!(status.library, known(library), "{json}");
    }
}
