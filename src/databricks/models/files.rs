//! Wire types of the three places a library file can live: the Files API
//! (Unity Catalog volumes), workspace files (`workspace/import`, `list`,
//! `delete`) and DBFS API 2.0 (`create` / `add-block` / `close`, `list`,
//! `delete`).

use serde::{Deserialize, Serialize};

/// One entry of `GET /api/2.0/fs/directories{path}`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct DirectoryEntry {
    /// The entry's absolute path.
    pub path: String,
    /// Its name within the directory.
    #[serde(default)]
    pub name: String,
    /// True for a directory.
    #[serde(default)]
    pub is_directory: bool,
    /// Size in bytes; absent for directories.
    #[serde(default)]
    pub file_size: Option<u64>,
    /// Last modification, ms since the epoch; absent for directories.
    #[serde(default)]
    pub last_modified: Option<i64>,
}

/// A page of `GET /api/2.0/fs/directories{path}`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
pub struct DirectoryContents {
    /// The entries of this page (absent when the directory is empty).
    #[serde(default)]
    pub contents: Vec<DirectoryEntry>,
    /// The token for the next page; absent on the last one.
    #[serde(default)]
    pub next_page_token: Option<String>,
}

/// Body of `POST /api/2.0/workspace/import`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WorkspaceImport {
    /// The file's path, e.g. `/Workspace/Users/me/libs/x.jar`.
    pub path: String,
    /// `AUTO`: a binary file becomes a workspace file, not a notebook.
    pub format: String,
    /// The content, base64.
    pub content: String,
    /// Replace an existing object.
    pub overwrite: bool,
}

/// Body of `POST /api/2.0/workspace/mkdirs`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PathBody {
    /// The directory to create, with its parents.
    pub path: String,
}

/// Body of `POST /api/2.0/workspace/delete` and `POST /api/2.0/dbfs/delete`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PathDelete {
    /// What to delete.
    pub path: String,
    /// Delete a directory's contents too.
    pub recursive: bool,
}

/// One object of `GET /api/2.0/workspace/list`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct WorkspaceObject {
    /// The object's absolute path.
    pub path: String,
    /// `FILE`, `DIRECTORY`, `NOTEBOOK`, `LIBRARY`, `REPO`, ...
    #[serde(default)]
    pub object_type: String,
    /// Size in bytes (files only).
    #[serde(default)]
    pub size: Option<u64>,
    /// Last modification, ms since the epoch.
    #[serde(default)]
    pub modified_at: Option<i64>,
}

/// Answer of `GET /api/2.0/workspace/list` (no `objects` when empty).
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
pub struct WorkspaceList {
    /// The directory's objects.
    #[serde(default)]
    pub objects: Vec<WorkspaceObject>,
}

/// Body of `POST /api/2.0/dbfs/create`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DbfsCreate {
    /// The file's path, `dbfs:/...`.
    pub path: String,
    /// Replace an existing file.
    pub overwrite: bool,
}

/// Answer of `dbfs/create`, and body of `dbfs/close`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DbfsHandle {
    /// The open stream's handle.
    pub handle: i64,
}

/// Body of `POST /api/2.0/dbfs/add-block`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DbfsAddBlock {
    /// The open stream's handle.
    pub handle: i64,
    /// At most 1 MiB of raw bytes, base64.
    pub data: String,
}

/// One entry of `GET /api/2.0/dbfs/list`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct DbfsFileInfo {
    /// The entry's absolute path (without the `dbfs:` scheme).
    pub path: String,
    /// True for a directory.
    #[serde(default)]
    pub is_dir: bool,
    /// Size in bytes.
    #[serde(default)]
    pub file_size: u64,
    /// Last modification, ms since the epoch.
    #[serde(default)]
    pub modification_time: i64,
}

/// Answer of `GET /api/2.0/dbfs/list` (no `files` when empty).
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
pub struct DbfsList {
    /// The directory's entries.
    #[serde(default)]
    pub files: Vec<DbfsFileInfo>,
}
