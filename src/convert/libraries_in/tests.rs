//! Validation of Install/Uninstall requests.

use super::*;

fn pypi(package: &str, repo: &str) -> pb::Library {
    pb::Library {
        kind: Some(Kind::Pypi(pb::PythonPyPiLibrary {
            package: package.into(),
            repo: repo.into(),
        })),
    }
}

fn maven(coordinates: &str, exclusions: &[&str]) -> pb::Library {
    pb::Library {
        kind: Some(Kind::Maven(pb::MavenLibrary {
            coordinates: coordinates.into(),
            repo: String::new(),
            exclusions: exclusions.iter().map(|e| e.to_string()).collect(),
        })),
    }
}

fn fields(error: InvalidRequest) -> Vec<String> {
    error.violations.into_iter().map(|v| v.field).collect()
}

#[test]
fn converts_every_kind() {
    let libraries = vec![
        pypi("simplejson==3.19.2", ""),
        pypi("internal", "https://pypi.example/simple"),
        maven(
            "org.jsoup:jsoup:1.17.2",
            &["slf4j:slf4j", "*:hadoop-client"],
        ),
        pb::Library {
            kind: Some(Kind::Whl("/Volumes/a.whl".into())),
        },
        pb::Library {
            kind: Some(Kind::Jar("/Workspace/a.jar".into())),
        },
        pb::Library {
            kind: Some(Kind::Egg("/Workspace/a.egg".into())),
        },
        pb::Library {
            kind: Some(Kind::Requirements("/Workspace/r.txt".into())),
        },
        pb::Library {
            kind: Some(Kind::Cran(pb::RCranLibrary {
                package: "data.table".into(),
                repo: String::new(),
            })),
        },
    ];
    let request = libraries_request("0101-120000-running1", &libraries).unwrap();
    assert_eq!(request.libraries.len(), 8);
    assert_eq!(
        request.libraries[1],
        Library::Pypi(PyPiLibrary {
            package: "internal".into(),
            repo: Some("https://pypi.example/simple".into())
        })
    );
    assert_eq!(
        request.libraries[0],
        Library::Pypi(PyPiLibrary {
            package: "simplejson==3.19.2".into(),
            repo: None
        })
    );
}

#[test]
fn empty_cluster_and_list() {
    let error = libraries_request("", &[]).unwrap_err();
    assert_eq!(fields(error), vec!["cluster_id", "libraries"]);
}

#[test]
fn names_each_bad_library_field() {
    let libraries = vec![
        pb::Library { kind: None },
        pypi("", ""),
        maven("org.jsoup:jsoup", &[]),
        maven("a:b:c", &["nope"]),
        pypi("x", "not a url"),
        pb::Library {
            kind: Some(Kind::Jar(" ".into())),
        },
        pb::Library {
            kind: Some(Kind::Cran(pb::RCranLibrary {
                package: String::new(),
                repo: String::new(),
            })),
        },
    ];
    let error = libraries_request("c1", &libraries).unwrap_err();
    assert_eq!(
        fields(error),
        vec![
            "libraries[0]",
            "libraries[1].pypi.package",
            "libraries[2].maven.coordinates",
            "libraries[3].maven.exclusions[0]",
            "libraries[4].pypi.repo",
            "libraries[5].jar",
            "libraries[6].cran.package",
        ]
    );
}

#[test]
fn message_names_the_field() {
    let error = libraries_request("c1", &[maven("bad", &[])]).unwrap_err();
    assert!(
        error.to_string().contains("libraries[0].maven.coordinates"),
        "{error}"
    );
}

#[test]
fn cluster_id_with_spaces() {
    assert!(cluster_id("a b").is_err());
    assert_eq!(
        cluster_id("0101-120000-running1").unwrap(),
        "0101-120000-running1"
    );
}

#[test]
fn every_path_package_and_coordinate_is_bounded() {
    use crate::convert::{MAX_ID_BYTES, MAX_NAME_BYTES, MAX_PATH_BYTES};
    let path = format!("/Volumes/{}.whl", "p".repeat(MAX_PATH_BYTES));
    let package = "n".repeat(MAX_NAME_BYTES + 1);
    let repo = format!("https://repo.example/{}", "r".repeat(MAX_PATH_BYTES));
    let libraries = vec![
        pb::Library {
            kind: Some(Kind::Jar(path.clone())),
        },
        pb::Library {
            kind: Some(Kind::Egg(path.clone())),
        },
        pb::Library {
            kind: Some(Kind::Whl(path.clone())),
        },
        pb::Library {
            kind: Some(Kind::Requirements(path)),
        },
        pypi(&package, ""),
        pypi("ok", &repo),
        maven(&format!("g:a:{package}"), &[]),
        maven("g:a:1", &["ok:ok", &format!("g:{package}")]),
        pb::Library {
            kind: Some(Kind::Cran(pb::RCranLibrary { package, repo })),
        },
    ];
    let error = libraries_request(&"c".repeat(MAX_ID_BYTES + 1), &libraries).unwrap_err();
    assert_eq!(
        fields(error.clone()),
        vec![
            "cluster_id",
            "libraries[0].jar",
            "libraries[1].egg",
            "libraries[2].whl",
            "libraries[3].requirements",
            "libraries[4].pypi.package",
            "libraries[5].pypi.repo",
            "libraries[6].maven.coordinates",
            "libraries[7].maven.exclusions[1]",
            "libraries[8].cran.package",
        ]
    );
    assert!(
        error.to_string().len() < 2000,
        "the message does not echo the values"
    );
    assert!(error.to_string().contains("at most 256 bytes"), "{error}");
    // At the limit is fine.
    let request = libraries_request(
        &"c".repeat(MAX_ID_BYTES),
        &[pypi(&"n".repeat(MAX_NAME_BYTES), "")],
    );
    assert!(request.is_ok(), "{request:?}");
}
