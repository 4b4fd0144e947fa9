//! Files API, workspace files and DBFS models (databricks-clusters-files.md
//! §4.1–4.3).

use super::{golden, literal, wire};
use crate::databricks::models::{
    DbfsAddBlock, DbfsCreate, DbfsHandle, DbfsList, DirectoryContents, DirectoryEntry, PathDelete,
    WorkspaceImport, WorkspaceList,
};

/// §4.1 "List directory": `contents` with `path`, `name`, `is_directory`,
/// `file_size`, `last_modified` (ms), and a `next_page_token`.
#[test]
fn a_files_api_directory_page() {
    let parsed: DirectoryContents = golden(
        r#"{"contents": [
             {"path": "/Volumes/main/default/libs/etl-1.4.0.jar", "name": "etl-1.4.0.jar", "is_directory": false,
              "file_size": 2048, "last_modified": 1767000000000},
             {"path": "/Volumes/main/default/libs/old/", "name": "old", "is_directory": true}],
           "next_page_token": "token-2"}"#,
    );
    assert_eq!(parsed.next_page_token.as_deref(), Some("token-2"));
    assert_eq!(
        parsed.contents[0],
        DirectoryEntry {
            path: "/Volumes/main/default/libs/etl-1.4.0.jar".into(),
            name: "etl-1.4.0.jar".into(),
            is_directory: false,
            file_size: Some(2048),
            last_modified: Some(1767000000000),
        }
    );
    assert_eq!(parsed.contents[1].file_size, None);
}

/// §4.1: the last page has no token, and an empty directory no `contents`.
#[test]
fn an_empty_last_page() {
    let parsed: DirectoryContents = golden("{}");
    assert_eq!(parsed, DirectoryContents::default());
}

/// §4.2 `workspace/import`: `path`, `format`, `content` (base64), `overwrite`.
#[test]
fn a_workspace_import_body() {
    let body = WorkspaceImport {
        path: "/Workspace/Users/me/libs/x.jar".into(),
        format: "AUTO".into(),
        content: "UEsDBA==".into(),
        overwrite: false,
    };
    assert_eq!(
        wire(&body),
        literal(
            r#"{"path": "/Workspace/Users/me/libs/x.jar", "format": "AUTO", "content": "UEsDBA==", "overwrite": false}"#
        )
    );
}

/// `workspace/list`: `objects` with `path`, `object_type`, `size`,
/// `modified_at`; no `objects` for an empty directory.
#[test]
fn a_workspace_listing() {
    let parsed: WorkspaceList = golden(
        r#"{"objects": [{"path": "/Workspace/Users/me/libs/x.jar", "object_type": "FILE", "size": 4,
             "modified_at": 1767000000000, "object_id": 12, "resource_id": "12"}]}"#,
    );
    assert_eq!(parsed.objects[0].object_type, "FILE");
    assert_eq!(parsed.objects[0].size, Some(4));
    assert_eq!(golden::<WorkspaceList>("{}"), WorkspaceList::default());
}

/// §4.3 DBFS `create` → `{"handle"}`, `add-block`, `close`, `delete`.
#[test]
fn dbfs_stream_bodies() {
    let create = DbfsCreate {
        path: "dbfs:/libs/x.jar".into(),
        overwrite: true,
    };
    assert_eq!(
        wire(&create),
        literal(r#"{"path": "dbfs:/libs/x.jar", "overwrite": true}"#)
    );
    let handle: DbfsHandle = golden(r#"{"handle": 7340032}"#);
    assert_eq!(wire(&handle), literal(r#"{"handle": 7340032}"#));
    let block = DbfsAddBlock {
        handle: 7340032,
        data: "AAE=".into(),
    };
    assert_eq!(
        wire(&block),
        literal(r#"{"handle": 7340032, "data": "AAE="}"#)
    );
    let delete = PathDelete {
        path: "dbfs:/libs/x.jar".into(),
        recursive: false,
    };
    assert_eq!(
        wire(&delete),
        literal(r#"{"path": "dbfs:/libs/x.jar", "recursive": false}"#)
    );
}

/// §4.3 `dbfs/list` and `get-status` entries: `path`, `is_dir`,
/// `file_size`, `modification_time` (ms).
#[test]
fn a_dbfs_listing() {
    let parsed: DbfsList = golden(
        r#"{"files": [{"path": "/libs/x.jar", "is_dir": false, "file_size": 3145728, "modification_time": 1767000000000}]}"#,
    );
    assert_eq!(parsed.files[0].file_size, 3145728);
    assert!(!parsed.files[0].is_dir);
    assert_eq!(golden::<DbfsList>("{}"), DbfsList::default());
}
