use super::*;
use crate::proto::compute::library::Kind;

fn jar(uri: &str) -> pb::Library {
    pb::Library {
        kind: Some(Kind::Jar(uri.to_owned())),
    }
}

fn fields(error: InvalidRequest) -> Vec<String> {
    error.violations.into_iter().map(|v| v.field).collect()
}

#[test]
fn a_valid_apply_converts() {
    let request = pb::ApplyLibrariesRequest {
        cluster_id: "c1".into(),
        libraries: vec![jar("/Volumes/a/etl-1.jar")],
        previous: vec![jar("/Volumes/a/etl-0.jar")],
        restart: RestartPolicy::IfNeeded as i32,
        start_cluster: true,
        wait: true,
    };
    let valid = apply_libraries(&request).unwrap();
    assert_eq!(
        valid.libraries,
        [Library::Jar("/Volumes/a/etl-1.jar".into())]
    );
    assert_eq!(
        valid.previous,
        [Library::Jar("/Volumes/a/etl-0.jar".into())]
    );
    assert_eq!(valid.restart, Restart::IfNeeded);
    assert!(valid.start_cluster && valid.wait);
    let unset = pb::ApplyLibrariesRequest {
        cluster_id: "c1".into(),
        ..Default::default()
    };
    assert_eq!(apply_libraries(&unset).unwrap().restart, Restart::Never);
}

#[test]
fn every_bad_apply_field_is_named() {
    let request = pb::ApplyLibrariesRequest {
        cluster_id: String::new(),
        libraries: vec![jar("/ok.jar"), pb::Library { kind: None }],
        previous: vec![jar(" ")],
        restart: 9,
        ..Default::default()
    };
    assert_eq!(
        fields(apply_libraries(&request).unwrap_err()),
        ["cluster_id", "libraries[1]", "previous[0].jar", "restart"]
    );
    let too_many = pb::ApplyLibrariesRequest {
        cluster_id: "c1".into(),
        libraries: vec![jar("/a.jar"); MAX_LIBRARY_SET + 1],
        ..Default::default()
    };
    assert_eq!(
        fields(apply_libraries(&too_many).unwrap_err()),
        ["libraries"]
    );
}

#[test]
fn replace_needs_a_library_and_one_kind_of_target() {
    let valid = pb::ReplaceLibraryRequest {
        library: Some(jar("/Volumes/a/etl-2.jar")),
        cluster_ids: vec!["a".into(), "b".into()],
        ..Default::default()
    };
    let converted = replace_library(&valid).unwrap();
    assert_eq!(
        converted.targets,
        ReplaceTargets::Listed(vec!["a".into(), "b".into()])
    );
    let all = pb::ReplaceLibraryRequest {
        library: Some(jar("/Volumes/a/etl-2.jar")),
        all_clusters: true,
        dry_run: true,
        ..Default::default()
    };
    let converted = replace_library(&all).unwrap();
    assert_eq!(converted.targets, ReplaceTargets::AllClusters);
    assert!(converted.dry_run);

    let cases = [
        (
            pb::ReplaceLibraryRequest::default(),
            vec!["library", "cluster_ids"],
        ),
        (
            pb::ReplaceLibraryRequest {
                library: Some(jar("")),
                cluster_ids: vec!["a".into()],
                all_clusters: true,
                ..Default::default()
            },
            vec!["library.jar", "all_clusters"],
        ),
        (
            pb::ReplaceLibraryRequest {
                library: Some(jar("/a.jar")),
                cluster_ids: vec!["a".into(), "has space".into(), "a".into()],
                restart: -1,
                ..Default::default()
            },
            vec!["cluster_ids[1]", "cluster_ids[2]", "restart"],
        ),
    ];
    for (request, expected) in cases {
        assert_eq!(
            fields(replace_library(&request).unwrap_err()),
            expected,
            "{request:?}"
        );
    }
}
