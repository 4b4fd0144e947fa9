//! Raw-JSON golden tests: the wire shapes from the Databricks reference.

use serde_json::json;

use super::*;

#[test]
fn library_kinds_serialize_as_single_key_objects() {
    let libraries = vec![
        Library::Pypi(PyPiLibrary {
            package: "simplejson==3.19.2".into(),
            repo: None,
        }),
        Library::Maven(MavenLibrary {
            coordinates: "org.jsoup:jsoup:1.17.2".into(),
            repo: None,
            exclusions: vec!["slf4j:slf4j".into()],
        }),
        Library::Whl("/Volumes/main/libs/a.whl".into()),
        Library::Cran(CranLibrary {
            package: "data.table".into(),
            repo: Some("https://cran.example".into()),
        }),
    ];
    let body = LibrariesRequest {
        cluster_id: "c1".into(),
        libraries,
    };
    assert_eq!(
        serde_json::to_value(&body).unwrap(),
        json!({
            "cluster_id": "c1",
            "libraries": [
                {"pypi": {"package": "simplejson==3.19.2"}},
                {"maven": {"coordinates": "org.jsoup:jsoup:1.17.2", "exclusions": ["slf4j:slf4j"]}},
                {"whl": "/Volumes/main/libs/a.whl"},
                {"cran": {"package": "data.table", "repo": "https://cran.example"}}
            ]
        })
    );
}

#[test]
fn cluster_status_without_library_statuses_is_empty() {
    let parsed: ClusterLibraryStatuses =
        serde_json::from_value(json!({"cluster_id": "0923-164208-abcd1234"})).unwrap();
    assert!(parsed.library_statuses.is_empty());
    assert_eq!(
        serde_json::to_value(&parsed).unwrap(),
        json!({"cluster_id": "0923-164208-abcd1234"})
    );
}

#[test]
fn unknown_library_kind_and_status_are_kept() {
    let parsed: ClusterLibraryStatuses = serde_json::from_value(json!({
        "cluster_id": "c1",
        "library_statuses": [
            {"library": {"conda": {"package": "x"}}, "status": "QUANTUM", "is_library_for_all_clusters": false},
            {"library": {"jar": "/Workspace/a.jar"}, "status": "INSTALLED", "messages": ["ok"]}
        ]
    }))
    .unwrap();
    assert_eq!(
        parsed.library_statuses[0].library,
        ReportedLibrary::Unrecognized(json!({"conda": {"package": "x"}}))
    );
    assert_eq!(parsed.library_statuses[0].status, "QUANTUM");
    assert_eq!(
        parsed.library_statuses[1].library,
        ReportedLibrary::Known(Library::Jar("/Workspace/a.jar".into()))
    );
    assert_eq!(parsed.library_statuses[1].messages, vec!["ok".to_string()]);
}

#[test]
fn all_cluster_statuses_accepts_empty_object() {
    let parsed: AllClusterStatuses = serde_json::from_str("{}").unwrap();
    assert!(parsed.statuses.is_empty());
}

#[test]
fn error_code_may_be_a_number() {
    let parsed: ApiErrorBody =
        serde_json::from_value(json!({"error_code": 403, "message": "Invalid access token."}))
            .unwrap();
    assert_eq!(parsed.error_code, Some(ErrorCode::Number(403)));
    assert_eq!(parsed.error_code.unwrap().to_string(), "403");
}

#[test]
fn error_body_1_2_style() {
    let parsed: ApiErrorBody =
        serde_json::from_value(json!({"error": "ContextNotFound: gone"})).unwrap();
    assert_eq!(parsed.error.as_deref(), Some("ContextNotFound: gone"));
    assert!(parsed.error_code.is_none());
}
