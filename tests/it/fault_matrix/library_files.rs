//! The fault matrix for UploadLibrary, ListLibraryFiles and
//! DeleteLibraryFile, per store. What is Safe in `files_api.rs` (directory
//! creation, listing, deletion, an `overwrite` workspace import) rides out
//! every transient fault; the streamed Files API `PUT`, a workspace import
//! without `overwrite` and DBFS `create`/`add-block`/`close` are never resent
//! once they may have arrived (UNKNOWN when the answer was lost), and a
//! failed DBFS upload leaves nothing at its path.

use std::time::Duration;

use databricks_grpc::{
    emulator::Fault,
    proto::compute::{self as pb, upload_library_request::Item},
};
use tonic::{Code, Status};

use super::{PATIENT, TRANSIENT, Transient, spawn_with_retry_budget, statuses_since};
use crate::helpers::{TestApp, eventually};

const VOLUME: &str = "/Volumes/main/default/libs";
const WORKSPACE: &str = "/Workspace/Shared/libs";
const DBFS: &str = "dbfs:/libs";
const VOLUME_DIRECTORY: &str = "/api/2.0/fs/directories/Volumes/main/default/libs";
const WORKSPACE_MKDIRS: &str = "/api/2.0/workspace/mkdirs";
const WORKSPACE_IMPORT: &str = "/api/2.0/workspace/import";
const DBFS_CREATE: &str = "/api/2.0/dbfs/create";
const DBFS_ADD_BLOCK: &str = "/api/2.0/dbfs/add-block";
const DBFS_CLOSE: &str = "/api/2.0/dbfs/close";
const DBFS_DELETE: &str = "/api/2.0/dbfs/delete";

/// Two DBFS blocks, so that `add-block` is called twice.
const TWO_BLOCKS: usize = 2 << 20;

async fn upload(
    app: &TestApp,
    destination: &str,
    file_name: &str,
    overwrite: bool,
    content: &[u8],
) -> Result<pb::UploadLibraryResponse, Status> {
    let header = pb::UploadLibraryHeader {
        destination: destination.into(),
        file_name: file_name.into(),
        overwrite,
        ..Default::default()
    };
    let mut messages = vec![pb::UploadLibraryRequest {
        item: Some(Item::Header(header)),
    }];
    messages.extend(
        content
            .chunks(1 << 20)
            .map(|bytes| pb::UploadLibraryRequest {
                item: Some(Item::Chunk(bytes.to_vec())),
            }),
    );
    let mut client = app.client.clone();
    let answer = client.upload_library(tokio_stream::iter(messages)).await?;
    Ok(answer.into_inner())
}

fn stored(app: &TestApp, path: &str) -> Option<Vec<u8>> {
    app.emulator().state().stored_file(path)
}

/// `journal` with every success (200) answered as `success` instead: the
/// Files API answers 204 where the other APIs answer 200.
fn answered_as(journal: &[u16], success: u16) -> Vec<u16> {
    journal
        .iter()
        .map(|&status| if status == 200 { success } else { status })
        .collect()
}

/// Uploads under each transient fault on `path`: every upload succeeds, the
/// journal on `path` shows exactly the retries (successes answered as
/// `success`; a reset's own answer is recorded as 200), and the file is
/// there, whole.
async fn assert_upload_rides_out(
    app: &TestApp,
    destination: &str,
    overwrite: bool,
    path: &str,
    success: u16,
) {
    for (index, case) in TRANSIENT.into_iter().enumerate() {
        let name = format!("ride-{}-{index}.jar", path.len());
        let content = format!("content {index}").into_bytes();
        let since = app.upstream_calls(path).len();
        app.emulator().inject_fault(path, case.fault, case.times);
        let uploaded = upload(app, destination, &name, overwrite, &content).await;
        let uploaded = uploaded.unwrap_or_else(|s| panic!("{path} under {case:?}: {s:?}"));
        let mut expected = answered_as(case.journal, success);
        if case.fault == Fault::ResetMidResponse {
            expected[0] = 200;
        }
        let answered = statuses_since(app, path, since);
        assert_eq!(answered, expected, "{path} under {:?}", case.fault);
        assert_eq!(stored(app, &uploaded.path), Some(content), "{case:?}");
    }
}

/// How a call that is sent once unless it provably never arrived ends under
/// a fault: OK, or this code with these words.
type Ending = Option<(Code, &'static str)>;

/// (fault, ending, the statuses `path` answered, whether the file is there)
/// for a request that is sent once: a 429 is ridden out (Databricks did
/// nothing), a 503 may have done the work and is UNAVAILABLE, and a lost or
/// unreadable answer is UNKNOWN.
const SENT_ONCE: [(Fault, Ending, &[u16]); 7] = [
    (
        Fault::Unavailable,
        Some((Code::Unavailable, "HTTP 503")),
        &[503],
    ),
    (
        Fault::TooManyRequests {
            retry_after_secs: 0,
        },
        None,
        &[429, 200],
    ),
    (
        Fault::HtmlErrorPage,
        Some((Code::Unavailable, "Service Unavailable")),
        &[503],
    ),
    (Fault::Latency(Duration::from_millis(50)), None, &[200]),
    (
        Fault::ResetMidResponse,
        Some((Code::Unknown, "may or may not have taken effect")),
        &[200],
    ),
    (
        Fault::TruncatedJson,
        Some((Code::Unknown, "could not be read")),
        &[200],
    ),
    (
        Fault::MalformedJson,
        Some((Code::Unknown, "could not be read")),
        &[200],
    ),
];

/// Uploads once per row of `table` with its fault on `path`, and checks the
/// ending, that `path` was sent exactly as the row says, and, for a failed
/// upload, what `left` says stays at the destination.
async fn assert_sent_once(
    app: &TestApp,
    destination: &str,
    overwrite: bool,
    path: &str,
    table: &[(Fault, Ending, &[u16])],
    left: impl Fn(Fault) -> bool,
) {
    for (index, &(fault, ending, journal)) in table.iter().enumerate() {
        let name = format!("once-{}-{index}.jar", path.len());
        let content = vec![7u8; TWO_BLOCKS];
        let since = app.upstream_calls(path).len();
        app.emulator().inject_fault(path, fault, 1);
        let result = upload(app, destination, &name, overwrite, &content).await;
        let what = format!("{path} under {fault:?}");
        let target = format!("{destination}/{name}");
        match (ending, result) {
            (None, Ok(uploaded)) => {
                assert_eq!(stored(app, &uploaded.path), Some(content), "{what}");
            }
            (Some((code, says)), Err(status)) => {
                assert_eq!(status.code(), code, "{what}: {status:?}");
                assert!(status.message().contains(says), "{what}: {status:?}");
                if left(fault) {
                    assert_eq!(stored(app, &target), Some(content), "{what}: whole");
                } else {
                    eventually("nothing is left at the destination", || {
                        stored(app, &target).is_none()
                    })
                    .await;
                }
            }
            (_, result) => panic!("{what}: {result:?}"),
        }
        let answered = statuses_since(app, path, since);
        assert_eq!(answered, journal, "{what}: answered");
    }
}

#[tokio::test]
async fn volume_upload_mkdir_rides_out_every_transient_fault() {
    let app = spawn_with_retry_budget(PATIENT).await;
    assert_upload_rides_out(&app, VOLUME, false, VOLUME_DIRECTORY, 204).await;
    app.stop().await;
}

/// The streamed `PUT` is sent once whatever happens: its body cannot be
/// replayed, so even a 429 is handed back (RESOURCE_EXHAUSTED; or UNKNOWN
/// when the refusal raced the body being sent, as a 503 may). The Files
/// API writes a file whole or not at all: after a lost answer it is there,
/// whole; after a refusal it is not there at all.
#[tokio::test]
async fn volume_upload_put_is_sent_once_under_every_fault() {
    let app = spawn_with_retry_budget(PATIENT).await;
    let mut table = SENT_ONCE;
    table[1] = (
        table[1].0,
        Some((Code::ResourceExhausted, "HTTP 429")),
        &[429],
    );
    table[3].2 = &[204];
    // Half of the PUT's empty answer is still an empty answer.
    table[5] = (Fault::TruncatedJson, None, &[200]);
    for (index, row) in table.iter().enumerate() {
        let name = format!("put-{index}.jar");
        let path = format!("/api/2.0/fs/files{VOLUME}/{name}");
        let took_effect = matches!(row.0, Fault::ResetMidResponse | Fault::MalformedJson);
        let one = [*row];
        let content = b"a small jar".to_vec();
        let since = app.upstream_calls(&path).len();
        app.emulator().inject_fault(&path, row.0, 1);
        let result = upload(&app, VOLUME, &name, false, &content).await;
        let what = format!("PUT under {:?}", row.0);
        match (row.1, result) {
            (None, Ok(_)) => assert_eq!(stored(&app, &format!("{VOLUME}/{name}")), Some(content)),
            (Some((code, says)), Err(status)) => {
                // An answer sent before the body was read may race the body
                // still being sent: the connection then breaks (UNKNOWN).
                let raced = !took_effect && status.code() == Code::Unknown;
                if !raced {
                    assert_eq!(status.code(), code, "{what}: {status:?}");
                    assert!(status.message().contains(says), "{what}: {status:?}");
                }
                let left = stored(&app, &format!("{VOLUME}/{name}"));
                assert_eq!(left, took_effect.then_some(content), "{what}");
            }
            (_, result) => panic!("{what}: {result:?}"),
        }
        assert_eq!(statuses_since(&app, &path, since), one[0].2, "{what}");
    }
    app.stop().await;
}

#[tokio::test]
async fn workspace_upload_under_every_fault() {
    let app = spawn_with_retry_budget(PATIENT).await;
    assert_upload_rides_out(&app, WORKSPACE, false, WORKSPACE_MKDIRS, 200).await;
    // With `overwrite` the import is Safe and rides out everything.
    assert_upload_rides_out(&app, WORKSPACE, true, WORKSPACE_IMPORT, 200).await;
    // Without it a repeat would meet its own file: sent once. The import is
    // whole or nothing, so after a lost answer the file is there, whole.
    let took_effect = |fault: Fault| {
        matches!(
            fault,
            Fault::ResetMidResponse | Fault::TruncatedJson | Fault::MalformedJson
        )
    };
    assert_sent_once(
        &app,
        WORKSPACE,
        false,
        WORKSPACE_IMPORT,
        &SENT_ONCE,
        took_effect,
    )
    .await;
    app.stop().await;
}

/// DBFS `create`, `add-block` and `close` are each sent once, and an upload
/// that failed on any of them leaves nothing at its path: what was written
/// is deleted, and so is the empty file a `create` whose answer was lost
/// made.
#[tokio::test]
async fn dbfs_upload_is_sent_once_and_a_failed_one_leaves_nothing() {
    let app = spawn_with_retry_budget(PATIENT).await;
    for path in [DBFS_CREATE, DBFS_CLOSE] {
        assert_sent_once(&app, DBFS, false, path, &SENT_ONCE, |_| false).await;
    }
    // Two blocks: the first takes the fault, the second goes only after a
    // success.
    let mut table = SENT_ONCE;
    table[1].2 = &[429, 200, 200];
    table[3].2 = &[200, 200];
    assert_sent_once(&app, DBFS, true, DBFS_ADD_BLOCK, &table, |_| false).await;
    assert!(!app.upstream_calls(DBFS_DELETE).is_empty());
    app.stop().await;
}

/// Runs `call` once per case with its fault on `path`: each succeeds, and
/// `path` answered as the case says, successes as `success`, the resend
/// after a reset as `after_reset`.
async fn assert_call_rides_out<T, Fut>(
    app: &TestApp,
    path: &str,
    cases: &[Transient],
    (success, after_reset): (u16, u16),
    mut call: impl FnMut(usize) -> Fut,
) where
    Fut: std::future::Future<Output = Result<T, Status>>,
{
    for (index, &case) in cases.iter().enumerate() {
        let since = app.upstream_calls(path).len();
        app.emulator().inject_fault(path, case.fault, case.times);
        if let Err(status) = call(index).await {
            panic!("{path} under {:?}: {status:?}", case.fault);
        }
        let mut expected = answered_as(case.journal, success);
        if case.fault == Fault::ResetMidResponse {
            expected = vec![200, after_reset];
        }
        let answered = statuses_since(app, path, since);
        assert_eq!(answered, expected, "{path} under {:?}", case.fault);
    }
}

#[tokio::test]
async fn listing_library_files_rides_out_every_transient_fault_in_each_store() {
    let app = spawn_with_retry_budget(PATIENT).await;
    for (directory, path) in [
        (VOLUME, VOLUME_DIRECTORY),
        (WORKSPACE, "/api/2.0/workspace/list"),
        (DBFS, "/api/2.0/dbfs/list"),
    ] {
        upload(&app, directory, "listed.jar", true, b"jar")
            .await
            .unwrap();
        let list = |_| {
            let mut client = app.client.clone();
            let request = pb::ListLibraryFilesRequest {
                directory: directory.into(),
                ..Default::default()
            };
            async move { client.list_library_files(request).await }
        };
        assert_call_rides_out(&app, path, &TRANSIENT, (200, 200), list).await;
        for fault in [Fault::TruncatedJson, Fault::MalformedJson] {
            app.emulator().inject_fault(path, fault, 1);
            let status = list(0).await.unwrap_err();
            assert_eq!(
                status.code(),
                Code::Internal,
                "{path} {fault:?}: {status:?}"
            );
            assert!(status.message().contains("could not read"), "{status:?}");
        }
    }
    app.stop().await;
}

#[tokio::test]
async fn deleting_library_files_rides_out_every_transient_fault_in_each_store() {
    let app = spawn_with_retry_budget(PATIENT).await;
    // After a reset the resend finds the file gone: the Files API and
    // workspace answer 404, which means the lost attempt deleted it; DBFS
    // answers a delete of nothing with 200.
    for (directory, path, answers) in [
        (
            VOLUME,
            "/api/2.0/fs/files/Volumes/main/default/libs/",
            (204, 404),
        ),
        (WORKSPACE, "/api/2.0/workspace/delete", (200, 404)),
        (DBFS, DBFS_DELETE, (200, 200)),
    ] {
        for (index, case) in TRANSIENT.into_iter().enumerate() {
            let name = format!("deleted-{index}.jar");
            let uploaded = upload(&app, directory, &name, true, b"jar").await.unwrap();
            let path = if path.ends_with('/') {
                format!("{path}{name}")
            } else {
                path.to_owned()
            };
            let delete = |_| {
                let mut client = app.client.clone();
                let request = pb::DeleteLibraryFileRequest {
                    path: uploaded.path.clone(),
                    force: false,
                };
                async move { client.delete_library_file(request).await }
            };
            assert_call_rides_out(&app, &path, &[case], answers, delete).await;
            assert_eq!(stored(&app, &uploaded.path), None, "{path} {case:?}");
        }
    }
    app.stop().await;
}
