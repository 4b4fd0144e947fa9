//! UploadLibrary, ListLibraryFiles and DeleteLibraryFile against the
//! emulator's volumes, workspace files and DBFS.

use databricks_grpc::{
    emulator::{EmulatorConfig, Fault, Pace},
    proto::compute::{
        self as pb, LibraryInstallStatus as S, library::Kind, upload_library_request::Item,
    },
};
use serde_json::json;
use sha2::{Digest, Sha256};
use tonic::Code;
use tonic_types::StatusExt;

use crate::helpers::{RUNNING, TestApp, status_of};

const VOLUME: &str = "/Volumes/main/default/libs";

fn header(destination: &str, file_name: &str) -> pb::UploadLibraryHeader {
    pb::UploadLibraryHeader {
        destination: destination.into(),
        file_name: file_name.into(),
        ..Default::default()
    }
}

fn header_message(header: pb::UploadLibraryHeader) -> pb::UploadLibraryRequest {
    pb::UploadLibraryRequest {
        item: Some(Item::Header(header)),
    }
}

fn chunk(bytes: &[u8]) -> pb::UploadLibraryRequest {
    pb::UploadLibraryRequest {
        item: Some(Item::Chunk(bytes.to_vec())),
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Sends `messages` as one UploadLibrary stream.
async fn send(
    app: &mut TestApp,
    messages: Vec<pb::UploadLibraryRequest>,
) -> Result<pb::UploadLibraryResponse, tonic::Status> {
    app.client
        .upload_library(tokio_stream::iter(messages))
        .await
        .map(tonic::Response::into_inner)
}

/// Uploads `content` in chunks of `chunk_size` under `header`.
async fn upload(
    app: &mut TestApp,
    header: pb::UploadLibraryHeader,
    content: &[u8],
    chunk_size: usize,
) -> Result<pb::UploadLibraryResponse, tonic::Status> {
    let mut messages = vec![header_message(header)];
    messages.extend(content.chunks(chunk_size.max(1)).map(chunk));
    send(app, messages).await
}

fn refused_field(status: &tonic::Status) -> Vec<String> {
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    status
        .get_error_details()
        .bad_request()
        .map(|b| b.field_violations.iter().map(|v| v.field.clone()).collect())
        .unwrap_or_default()
}

fn stored(app: &TestApp, path: &str) -> Option<Vec<u8>> {
    app.emulator().state().stored_file(path)
}

#[tokio::test]
async fn a_volume_upload_streams_one_put_after_an_idempotent_mkdir() {
    let mut app = TestApp::spawn().await;
    let content = b"PK\x03\x04 a jar".repeat(1000);
    let mut header = header(&format!("{VOLUME}/jars/"), "etl 1.4.0.jar");
    header.expected_sha256 = sha256_hex(&content).to_uppercase();
    header.expected_size = content.len() as u64;
    let response = upload(&mut app, header, &content, 777).await.unwrap();
    let path = format!("{VOLUME}/jars/etl 1.4.0.jar");
    assert_eq!(response.path, path);
    assert_eq!(response.size, content.len() as u64);
    assert_eq!(response.sha256, sha256_hex(&content));
    assert_eq!(
        response.library.and_then(|library| library.kind),
        Some(Kind::Jar(path.clone()))
    );
    assert_eq!(stored(&app, &path), Some(content));
    let mkdir = app.upstream_calls("/api/2.0/fs/directories/Volumes/main/default/libs/jars");
    assert_eq!(mkdir.len(), 1);
    assert_eq!(mkdir[0].method, "PUT");
    let puts =
        app.upstream_calls("/api/2.0/fs/files/Volumes/main/default/libs/jars/etl%201.4.0.jar");
    assert_eq!(puts.len(), 1, "{:?}", app.emulator().journal());
    assert_eq!(puts[0].method, "PUT");
    assert_eq!(puts[0].query.as_deref(), Some("overwrite=false"));
    app.stop().await;
}

#[tokio::test]
async fn overwrite_false_refuses_an_existing_file_and_true_replaces_it() {
    let mut app = TestApp::spawn().await;
    upload(&mut app, header(VOLUME, "a.jar"), b"one", 8)
        .await
        .unwrap();
    let again = upload(&mut app, header(VOLUME, "a.jar"), b"two", 8)
        .await
        .unwrap_err();
    assert_eq!(again.code(), Code::AlreadyExists, "{again:?}");
    let mut replace = header(VOLUME, "a.jar");
    replace.overwrite = true;
    upload(&mut app, replace, b"two", 8).await.unwrap();
    assert_eq!(
        stored(&app, &format!("{VOLUME}/a.jar")),
        Some(b"two".to_vec())
    );
    let puts = app.upstream_calls("/api/2.0/fs/files/Volumes/main/default/libs/a.jar");
    let queries: Vec<_> = puts
        .iter()
        .map(|call| call.query.clone().unwrap_or_default())
        .collect();
    assert_eq!(
        queries,
        ["overwrite=false", "overwrite=false", "overwrite=true"]
    );
    app.stop().await;
}

/// A re-run of the same build (same bytes, `versioned`, no overwrite) finds
/// its file under the hash-named path and succeeds without writing; other
/// bytes under a plain name are still refused.
#[tokio::test]
async fn uploading_the_same_versioned_build_again_succeeds_without_writing() {
    let mut app = TestApp::spawn().await;
    let mut versioned = header(VOLUME, "etl-1.4.0.jar");
    versioned.versioned = true;
    let first = upload(&mut app, versioned.clone(), b"build 7", 4)
        .await
        .unwrap();
    assert!(!first.already_present);
    let again = upload(&mut app, versioned, b"build 7", 4).await.unwrap();
    assert!(again.already_present, "{again:?}");
    assert_eq!((again.path.as_str(), again.size), (first.path.as_str(), 7));
    assert_eq!(again.sha256, first.sha256);
    assert_eq!(stored(&app, &first.path), Some(b"build 7".to_vec()));
    let suffix = first.path.trim_start_matches("/Volumes/main/default/libs/");
    let puts = app.upstream_calls(&format!(
        "/api/2.0/fs/files/Volumes/main/default/libs/{suffix}"
    ));
    assert_eq!(puts.len(), 2, "the second PUT was refused as existing");
    app.stop().await;
}

#[tokio::test]
async fn versioned_names_carry_the_content_hash_so_each_build_gets_its_own_path() {
    let mut app = TestApp::spawn().await;
    let mut versioned = header(VOLUME, "etl-1.4.0.jar");
    versioned.versioned = true;
    let first = upload(&mut app, versioned.clone(), b"build 1", 3)
        .await
        .unwrap();
    let second = upload(&mut app, versioned.clone(), b"build 2", 3)
        .await
        .unwrap();
    let hash = sha256_hex(b"build 1");
    assert_eq!(
        first.path,
        format!("{VOLUME}/etl-1.4.0-{}.jar", &hash[..12])
    );
    assert_ne!(first.path, second.path);
    assert_eq!(stored(&app, &first.path), Some(b"build 1".to_vec()));
    assert_eq!(stored(&app, &second.path), Some(b"build 2".to_vec()));
    let mut wheel = header(VOLUME, "pkg-1.0-py3-none-any.whl");
    wheel.versioned = true;
    let wheel = upload(&mut app, wheel, b"wheel", 3).await.unwrap();
    assert!(wheel.path.ends_with(&format!(
        "pkg-1.0-py3-none-any-{}.whl",
        &sha256_hex(b"wheel")[..12]
    )));
    assert!(matches!(
        wheel.library.and_then(|l| l.kind),
        Some(Kind::Whl(_))
    ));
    app.stop().await;
}

#[tokio::test]
async fn another_volume_is_not_found_as_on_databricks() {
    let mut app = TestApp::spawn().await;
    let status = upload(
        &mut app,
        header("/Volumes/main/default/other", "a.jar"),
        b"x",
        1,
    )
    .await
    .unwrap_err();
    assert_eq!(status.code(), Code::NotFound, "{status:?}");
    assert!(
        status.message().contains("main.default.other"),
        "{status:?}"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_workspace_upload_imports_base64_with_format_auto() {
    let mut app = TestApp::spawn().await;
    let response = upload(
        &mut app,
        header("/Workspace/Shared/libs", "requirements.txt"),
        b"simplejson\n",
        4,
    )
    .await
    .unwrap();
    let path = "/Workspace/Shared/libs/requirements.txt";
    assert_eq!(response.path, path);
    assert_eq!(
        response.library.and_then(|l| l.kind),
        Some(Kind::Requirements(path.into()))
    );
    assert_eq!(stored(&app, path), Some(b"simplejson\n".to_vec()));
    let imports = app.upstream_calls("/api/2.0/workspace/import");
    assert_eq!(
        imports[0].body,
        Some(
            json!({"path": path, "format": "AUTO", "content": "c2ltcGxlanNvbgo=", "overwrite": false})
        )
    );
    assert_eq!(app.upstream_calls("/api/2.0/workspace/mkdirs").len(), 1);
    app.stop().await;
}

#[tokio::test]
async fn a_workspace_upload_over_10_mb_is_refused_before_any_call() {
    let mut app = TestApp::spawn().await;
    let content = vec![7u8; 10_000_001];
    let status = upload(
        &mut app,
        header("/Workspace/Shared/libs", "big.jar"),
        &content,
        1 << 20,
    )
    .await
    .unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}");
    assert!(status.message().contains("/Volumes/"), "{status:?}");
    assert_eq!(app.api_calls(), 0);
    app.stop().await;
}

#[tokio::test]
async fn a_dbfs_upload_goes_in_1_mib_blocks() {
    let mut app = TestApp::spawn().await;
    let content: Vec<u8> = (0..3 * 1024 * 1024 + 5).map(|i| (i % 251) as u8).collect();
    let response = upload(
        &mut app,
        header("dbfs:/libs", "tool.jar"),
        &content,
        300_000,
    )
    .await
    .unwrap();
    assert_eq!(response.path, "dbfs:/libs/tool.jar");
    assert_eq!(stored(&app, "dbfs:/libs/tool.jar"), Some(content));
    assert_eq!(app.upstream_calls("/api/2.0/dbfs/create").len(), 1);
    assert_eq!(app.upstream_calls("/api/2.0/dbfs/add-block").len(), 4);
    assert_eq!(app.upstream_calls("/api/2.0/dbfs/close").len(), 1);
    assert!(app.upstream_calls("/api/2.0/dbfs/delete").is_empty());
    app.stop().await;
}

#[tokio::test]
async fn a_dbfs_block_that_fails_deletes_the_half_written_file() {
    let mut app = TestApp::spawn().await;
    app.emulator()
        .inject_fault("/api/2.0/dbfs/add-block", Fault::Unavailable, 1);
    let content = vec![1u8; 2 * 1024 * 1024];
    let status = upload(
        &mut app,
        header("dbfs:/libs", "tool.jar"),
        &content,
        1 << 20,
    )
    .await
    .unwrap_err();
    assert_eq!(status.code(), Code::Unavailable, "{status:?}");
    crate::helpers::eventually("the half-written file is deleted", || {
        app.upstream_calls("/api/2.0/dbfs/delete").len() == 1
    })
    .await;
    assert_eq!(stored(&app, "dbfs:/libs/tool.jar"), None);
    app.stop().await;
}

#[tokio::test]
async fn every_bad_header_field_is_refused_before_any_call() {
    let mut app = TestApp::spawn().await;
    let cases: Vec<(pb::UploadLibraryHeader, &str)> = vec![
        (header("", "a.jar"), "header.destination"),
        (header("/tmp/libs", "a.jar"), "header.destination"),
        (
            header("/Volumes/main/default", "a.jar"),
            "header.destination",
        ),
        (
            header("/Volumes/main/default/libs/../x", "a.jar"),
            "header.destination",
        ),
        (header(VOLUME, ""), "header.file_name"),
        (header(VOLUME, "../a.jar"), "header.file_name"),
        (header(VOLUME, &"x".repeat(300)), "header.file_name"),
        (
            pb::UploadLibraryHeader {
                expected_sha256: "not-hex".into(),
                ..header(VOLUME, "a.jar")
            },
            "header.expected_sha256",
        ),
    ];
    for (bad, field) in cases {
        let status = upload(&mut app, bad, b"x", 1).await.unwrap_err();
        assert_eq!(refused_field(&status), [field], "{status:?}");
    }
    let no_header = send(&mut app, vec![chunk(b"x")]).await.unwrap_err();
    assert_eq!(refused_field(&no_header), ["header"]);
    let empty = send(&mut app, vec![]).await.unwrap_err();
    assert_eq!(refused_field(&empty), ["header"]);
    let twice = send(
        &mut app,
        vec![
            header_message(header(VOLUME, "a.jar")),
            header_message(header(VOLUME, "b.jar")),
        ],
    )
    .await
    .unwrap_err();
    assert_eq!(refused_field(&twice), ["header"]);
    assert_eq!(app.api_calls(), 0);
    app.stop().await;
}

#[tokio::test]
async fn a_checksum_or_size_mismatch_writes_nothing() {
    let mut app = TestApp::spawn().await;
    for destination in [VOLUME, "/Workspace/Shared/libs", "dbfs:/libs"] {
        let mut wrong_hash = header(destination, "a.jar");
        wrong_hash.expected_sha256 = sha256_hex(b"something else");
        let status = upload(&mut app, wrong_hash, b"content", 2)
            .await
            .unwrap_err();
        assert_eq!(refused_field(&status), ["header.expected_sha256"]);
        let mut too_short = header(destination, "a.jar");
        too_short.expected_size = 100;
        let status = upload(&mut app, too_short, b"content", 2)
            .await
            .unwrap_err();
        assert_eq!(refused_field(&status), ["header.expected_size"]);
        let mut too_long = header(destination, "a.jar");
        too_long.expected_size = 3;
        let status = upload(&mut app, too_long, b"content", 2).await.unwrap_err();
        assert_eq!(refused_field(&status), ["header.expected_size"]);
    }
    assert_eq!(app.api_calls(), 0);
    app.stop().await;
}

#[tokio::test]
async fn a_client_that_goes_away_mid_stream_leaves_nothing() {
    let mut app = TestApp::spawn().await;
    let (sender, receiver) = tokio::sync::mpsc::channel(4);
    sender
        .send(header_message(header(VOLUME, "gone.jar")))
        .await
        .unwrap();
    sender.send(chunk(&[5u8; 64 * 1024])).await.unwrap();
    let mut client = app.client.clone();
    let call = tokio::spawn(async move {
        client
            .upload_library(tokio_stream::wrappers::ReceiverStream::new(receiver))
            .await
    });
    // The server is reading the stream, whose sender is still open.
    let service = app.service.clone();
    crate::helpers::eventually("the upload is in progress", || {
        service.uploads_in_progress() == 1
    })
    .await;
    call.abort();
    assert!(call.await.unwrap_err().is_cancelled());
    crate::helpers::eventually("the server let the upload go", || {
        service.uploads_in_progress() == 0
    })
    .await;
    drop(sender);
    // A later upload through the same server succeeds and is the only write.
    upload(&mut app, header(VOLUME, "after.jar"), b"ok", 1)
        .await
        .unwrap();
    assert_eq!(stored(&app, &format!("{VOLUME}/gone.jar")), None);
    let writes: Vec<_> = app
        .emulator()
        .journal()
        .into_iter()
        .filter(|entry| entry.path.starts_with("/api/2.0/fs/files/"))
        .map(|entry| entry.path)
        .collect();
    assert_eq!(
        writes,
        ["/api/2.0/fs/files/Volumes/main/default/libs/after.jar"]
    );
    app.stop().await;
}

#[tokio::test]
async fn list_library_files_pages_through_each_store() {
    let mut app = TestApp::spawn().await;
    for name in ["a.jar", "b.jar", "c.jar"] {
        upload(&mut app, header(VOLUME, name), name.as_bytes(), 2)
            .await
            .unwrap();
        upload(&mut app, header("dbfs:/libs", name), name.as_bytes(), 2)
            .await
            .unwrap();
        upload(
            &mut app,
            header("/Workspace/Shared/libs", name),
            name.as_bytes(),
            2,
        )
        .await
        .unwrap();
    }
    for directory in [VOLUME, "dbfs:/libs", "/Workspace/Shared/libs"] {
        let mut request = pb::ListLibraryFilesRequest {
            directory: directory.into(),
            page_size: 2,
            page_token: String::new(),
        };
        let first = app
            .client
            .list_library_files(request.clone())
            .await
            .unwrap()
            .into_inner();
        assert_eq!(first.files.len(), 2, "{directory}");
        assert!(!first.next_page_token.is_empty(), "{directory}");
        request.page_token = first.next_page_token;
        let second = app
            .client
            .list_library_files(request)
            .await
            .unwrap()
            .into_inner();
        assert!(second.next_page_token.is_empty());
        let names: Vec<_> = first
            .files
            .iter()
            .chain(&second.files)
            .map(|f| f.name.clone())
            .collect();
        assert_eq!(names, ["a.jar", "b.jar", "c.jar"], "{directory}");
        assert_eq!(second.files[0].size, 5);
        assert!(
            second.files[0].path.starts_with(directory),
            "{:?}",
            second.files[0]
        );
        assert!(!second.files[0].is_directory);
    }
    let bad = app
        .client
        .list_library_files(pb::ListLibraryFilesRequest {
            directory: "/etc".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(refused_field(&bad), ["directory"]);
    app.stop().await;
}

#[tokio::test]
async fn delete_refuses_a_file_a_cluster_has_installed_unless_forced() {
    let mut app = TestApp::spawn().await;
    let uploaded = upload(&mut app, header(VOLUME, "etl.jar"), b"jar", 2)
        .await
        .unwrap();
    app.install(RUNNING, vec![uploaded.library.clone().unwrap()])
        .await;
    let request = pb::DeleteLibraryFileRequest {
        path: uploaded.path.clone(),
        force: false,
    };
    let refused = app
        .client
        .delete_library_file(request.clone())
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::FailedPrecondition, "{refused:?}");
    assert!(refused.message().contains(RUNNING), "{refused:?}");
    assert!(stored(&app, &uploaded.path).is_some());
    assert!(
        app.upstream_calls("/api/2.0/fs/files/Volumes/main/default/libs/etl.jar")
            .iter()
            .all(|c| c.method != "DELETE")
    );
    let forced = pb::DeleteLibraryFileRequest {
        force: true,
        ..request
    };
    app.client.delete_library_file(forced).await.unwrap();
    assert_eq!(stored(&app, &uploaded.path), None);
    let bad = app
        .client
        .delete_library_file(pb::DeleteLibraryFileRequest {
            path: VOLUME.into(),
            force: true,
        })
        .await
        .unwrap_err();
    assert_eq!(refused_field(&bad), ["path"]);
    app.stop().await;
}

#[tokio::test]
async fn deleting_unused_files_in_each_store() {
    let mut app = TestApp::spawn().await;
    for destination in ["dbfs:/libs", "/Workspace/Shared/libs", VOLUME] {
        let uploaded = upload(&mut app, header(destination, "x.whl"), b"w", 1)
            .await
            .unwrap();
        let request = pb::DeleteLibraryFileRequest {
            path: uploaded.path.clone(),
            force: false,
        };
        app.client.delete_library_file(request).await.unwrap();
        assert_eq!(stored(&app, &uploaded.path), None, "{destination}");
    }
    app.stop().await;
}

#[tokio::test]
async fn a_library_whose_file_is_missing_fails_to_install() {
    let mut app = TestApp::spawn_with(EmulatorConfig::default().with_pace(Pace::Manual)).await;
    let missing = pb::Library {
        kind: Some(Kind::Jar(format!("{VOLUME}/missing.jar"))),
    };
    let uploaded = upload(&mut app, header(VOLUME, "present.jar"), b"jar", 2)
        .await
        .unwrap();
    let present = uploaded.library.unwrap();
    app.install(RUNNING, vec![missing.clone(), present.clone()])
        .await;
    for _ in 0..4 {
        app.emulator().tick();
    }
    let failed = status_of(&mut app, RUNNING, &missing).await.unwrap();
    assert_eq!(S::try_from(failed.status).unwrap(), S::Failed);
    assert!(
        failed
            .messages
            .iter()
            .any(|m| m.contains("FileNotFoundException")),
        "{failed:?}"
    );
    let installed = status_of(&mut app, RUNNING, &present).await.unwrap();
    assert_eq!(S::try_from(installed.status).unwrap(), S::Installed);
    app.stop().await;
}

#[tokio::test]
async fn the_upload_put_is_sent_once_while_mkdir_is_retried() {
    let mut app = TestApp::spawn().await;
    let dir = "/api/2.0/fs/directories/Volumes/main/default/libs";
    let file = "/api/2.0/fs/files/Volumes/main/default/libs/a.jar";
    app.emulator().inject_fault(dir, Fault::Unavailable, 1);
    upload(&mut app, header(VOLUME, "a.jar"), b"jar", 2)
        .await
        .unwrap();
    assert_eq!(
        app.upstream_calls(dir).len(),
        2,
        "a 503 on mkdir is retried"
    );
    app.emulator().inject_fault(file, Fault::Unavailable, 1);
    let mut again = header(VOLUME, "a.jar");
    again.overwrite = true;
    let status = upload(&mut app, again, b"jar 2", 2).await.unwrap_err();
    assert!(
        matches!(status.code(), Code::Unavailable | Code::Unknown),
        "{status:?}"
    );
    assert_eq!(
        app.upstream_calls(file).len(),
        2,
        "one PUT per upload, never resent"
    );
    assert_eq!(
        stored(&app, &format!("{VOLUME}/a.jar")),
        Some(b"jar".to_vec())
    );
    app.stop().await;
}
