#![allow(clippy::unwrap_used)]

use super::*;

fn header(destination: &str, file_name: &str) -> pb::UploadLibraryHeader {
    pb::UploadLibraryHeader {
        destination: destination.into(),
        file_name: file_name.into(),
        ..Default::default()
    }
}

fn refused_field(result: Result<impl std::fmt::Debug, InvalidRequest>) -> (String, String) {
    let error = result.unwrap_err();
    let violation = error.violations.first().unwrap();
    (violation.field.clone(), violation.description.clone())
}

#[test]
fn the_three_stores() {
    let volume = upload_header(&header("/Volumes/main/default/libs/", "a.jar")).unwrap();
    assert_eq!(volume.directory.store, FileStore::Volume);
    assert_eq!(volume.directory.path, "/Volumes/main/default/libs");
    assert_eq!(
        volume.directory.join("a.jar"),
        "/Volumes/main/default/libs/a.jar"
    );
    let workspace = upload_header(&header("/Workspace/Users/me/libs", "a.jar")).unwrap();
    assert_eq!(workspace.directory.store, FileStore::Workspace);
    let root = upload_header(&header("dbfs:/", "a.jar")).unwrap();
    assert_eq!(root.directory.store, FileStore::Dbfs);
    assert_eq!(root.directory.join("a.jar"), "dbfs:/a.jar");
}

#[test]
fn bad_destinations_name_the_field() {
    for destination in [
        "",
        "/tmp/libs",
        "/Volumes/main/default",
        "/Volumes/main/default/libs/../other",
        "/Volumes/main//libs",
        "/Workspace/",
        "dbfs:/a/./b",
        "/Volumes/main/default/libs\n",
    ] {
        let (field, _) = refused_field(upload_header(&header(destination, "a.jar")));
        assert_eq!(field, "header.destination", "{destination:?}");
    }
    let long = format!("/Volumes/a/b/c/{}", "x".repeat(MAX_PATH_BYTES));
    let (_, description) = refused_field(upload_header(&header(&long, "a.jar")));
    assert!(description.contains("at most"), "{description}");
}

#[test]
fn bad_file_names_name_the_field() {
    let long = "x".repeat(MAX_FILE_NAME_BYTES + 1);
    for name in [
        "",
        "a/b.jar",
        "a\\b.jar",
        "..",
        ".",
        "a\u{7}.jar",
        long.as_str(),
    ] {
        let (field, _) = refused_field(upload_header(&header("dbfs:/libs", name)));
        assert_eq!(field, "header.file_name", "{name:?}");
    }
}

#[test]
fn expected_sha256_is_64_hex_digits() {
    let mut bad = header("dbfs:/libs", "a.jar");
    bad.expected_sha256 = "abc".into();
    assert_eq!(
        refused_field(upload_header(&bad)).0,
        "header.expected_sha256"
    );
    bad.expected_sha256 = "g".repeat(64);
    assert_eq!(
        refused_field(upload_header(&bad)).0,
        "header.expected_sha256"
    );
    bad.expected_sha256 = "AB".repeat(32);
    assert_eq!(
        upload_header(&bad).unwrap().expected_sha256,
        Some("ab".repeat(32))
    );
}

#[test]
fn delete_paths_name_a_file() {
    assert_eq!(
        refused_field(file_path("/Volumes/main/default/libs")).0,
        "path"
    );
    assert_eq!(refused_field(file_path("dbfs:/")).0, "path");
    assert_eq!(refused_field(file_path("/Workspace/Users")).0, "path");
    assert_eq!(
        file_path("/Volumes/main/default/libs/a.jar").unwrap().store,
        FileStore::Volume
    );
}

#[test]
fn list_pages() {
    let request = |page_size| pb::ListLibraryFilesRequest {
        directory: "dbfs:/libs".into(),
        page_size,
        page_token: String::new(),
    };
    assert_eq!(
        list_request(&request(0)).unwrap().page_size,
        MAX_FILE_LIST_PAGE
    );
    assert_eq!(
        list_request(&request(5000)).unwrap().page_size,
        MAX_FILE_LIST_PAGE
    );
    assert_eq!(list_request(&request(7)).unwrap().page_size, 7);
    assert_eq!(refused_field(list_request(&request(-1))).0, "page_size");
}
