//! `Library` and the install/uninstall bodies the client sends.

use serde_json::json;

use super::{golden, literal, refused, wire};
use crate::databricks::models::{
    CranLibrary, LibrariesRequest, Library, MavenLibrary, PyPiLibrary,
};

const CLUSTER: &str = "0923-164208-abcd1234";

fn pypi(package: &str, repo: Option<&str>) -> Library {
    Library::Pypi(PyPiLibrary {
        package: package.into(),
        repo: repo.map(Into::into),
    })
}

/// Example `libraries_install_ok`, request body: every kind but `egg`, with
/// and without the optional `repo`, and Maven `exclusions`.
#[test]
fn the_install_body_is_the_documented_one() {
    let body = LibrariesRequest {
        cluster_id: CLUSTER.into(),
        libraries: vec![
            pypi("simplejson==3.19.2", None),
            pypi(
                "internal-utils==1.4.0",
                Some("https://pypi.example.internal/simple"),
            ),
            Library::Maven(MavenLibrary {
                coordinates: "org.jsoup:jsoup:1.17.2".into(),
                repo: None,
                exclusions: vec!["slf4j:slf4j".into()],
            }),
            Library::Whl("/Volumes/main/libs/wheels/mylib-0.3.1-py3-none-any.whl".into()),
            Library::Jar("/Workspace/Shared/jars/udfs-2.1.jar".into()),
            Library::Requirements("/Workspace/Shared/requirements/etl.txt".into()),
            Library::Cran(CranLibrary {
                package: "data.table".into(),
                repo: None,
            }),
        ],
    };
    let expected = literal(
        r#"{"cluster_id": "0923-164208-abcd1234", "libraries": [
            {"pypi": {"package": "simplejson==3.19.2"}},
            {"pypi": {"package": "internal-utils==1.4.0", "repo": "https://pypi.example.internal/simple"}},
            {"maven": {"coordinates": "org.jsoup:jsoup:1.17.2", "exclusions": ["slf4j:slf4j"]}},
            {"whl": "/Volumes/main/libs/wheels/mylib-0.3.1-py3-none-any.whl"},
            {"jar": "/Workspace/Shared/jars/udfs-2.1.jar"},
            {"requirements": "/Workspace/Shared/requirements/etl.txt"},
            {"cran": {"package": "data.table"}}
        ]}"#,
    );
    assert_eq!(wire(&body), expected);
}

/// Example `libraries_uninstall_ok`, request body.
#[test]
fn the_uninstall_body_is_the_documented_one() {
    let body = LibrariesRequest {
        cluster_id: CLUSTER.into(),
        libraries: vec![pypi("simplejson==3.19.2", None)],
    };
    let expected = literal(
        r#"{"cluster_id": "0923-164208-abcd1234",
            "libraries": [{"pypi": {"package": "simplejson==3.19.2"}}]}"#,
    );
    assert_eq!(wire(&body), expected);
}

/// The REST reference, §1.2: `egg` is a string URI; Maven and CRAN take an
/// optional `repo`, which is sent when set.
#[test]
fn egg_and_the_optional_repos_are_sent_when_set() {
    let egg = Library::Egg("/Workspace/Shared/eggs/old-1.0.egg".into());
    assert_eq!(
        wire(&egg),
        literal(r#"{"egg": "/Workspace/Shared/eggs/old-1.0.egg"}"#)
    );
    let maven = Library::Maven(MavenLibrary {
        coordinates: "com.example:udfs:2.0".into(),
        repo: Some("https://maven.example.internal".into()),
        exclusions: vec!["*:hadoop-client".into(), "slf4j:slf4j".into()],
    });
    assert_eq!(
        wire(&maven),
        literal(
            r#"{"maven": {"coordinates": "com.example:udfs:2.0", "repo": "https://maven.example.internal",
                "exclusions": ["*:hadoop-client", "slf4j:slf4j"]}}"#
        )
    );
    let cran = Library::Cran(CranLibrary {
        package: "data.table".into(),
        repo: Some("https://cran.example".into()),
    });
    assert_eq!(
        wire(&cran),
        literal(r#"{"cran": {"package": "data.table", "repo": "https://cran.example"}}"#)
    );
}

/// Unset optional fields are left out, never sent as `null` or `[]`
/// (example `libraries_install_ok` sends none of them).
#[test]
fn unset_optional_fields_are_left_out() {
    let maven = Library::Maven(MavenLibrary {
        coordinates: "org.jsoup:jsoup:1.17.2".into(),
        repo: None,
        exclusions: Vec::new(),
    });
    assert_eq!(
        wire(&maven),
        literal(r#"{"maven": {"coordinates": "org.jsoup:jsoup:1.17.2"}}"#)
    );
    assert_eq!(
        wire(&pypi("x", None)),
        literal(r#"{"pypi": {"package": "x"}}"#)
    );
}

/// The package objects are also read from status responses; their required
/// key (§1.2: `package`, `coordinates`) must be there, `repo` may be absent,
/// `null` or set.
#[test]
fn package_objects_read_with_and_without_their_optional_fields() {
    let plain: PyPiLibrary = golden(r#"{"package": "simplejson==3.19.2"}"#);
    assert_eq!(plain.repo, None);
    let null_repo: CranLibrary = golden(r#"{"package": "data.table", "repo": null}"#);
    assert_eq!(null_repo.repo, None);
    let with_repo: PyPiLibrary = golden(
        r#"{"package": "internal-utils==1.4.0", "repo": "https://pypi.example.internal/simple"}"#,
    );
    assert_eq!(
        with_repo.repo.as_deref(),
        Some("https://pypi.example.internal/simple")
    );
    let maven: MavenLibrary =
        golden(r#"{"coordinates": "org.jsoup:jsoup:1.17.2", "exclusions": ["slf4j:slf4j"]}"#);
    assert_eq!(maven.coordinates, "org.jsoup:jsoup:1.17.2");
    assert_eq!(maven.exclusions, ["slf4j:slf4j"]);
    assert_eq!(maven.repo, None);
    let bare: MavenLibrary = golden(r#"{"coordinates": "org.jsoup:jsoup:1.17.2"}"#);
    assert!(bare.exclusions.is_empty());

    assert!(refused::<PyPiLibrary>(r#"{"repo": "https://r"}"#).contains("`package`"));
    assert!(refused::<CranLibrary>(r#"{"repo": "https://r"}"#).contains("`package`"));
    assert!(refused::<MavenLibrary>(r#"{"exclusions": []}"#).contains("`coordinates`"));
}

/// Each kind as a single-key object (the shape of the REST reference §1.2).
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
        wire(&body),
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
