//! The emulator's file stores: Unity Catalog volumes (Files API), workspace
//! files and DBFS, as one tree of paths, plus DBFS's open write handles.
//! `volumes.rs`, `workspace.rs` and `dbfs.rs` are the handlers; this file
//! keeps the tree they share and that library installation reads (a jar
//! whose file is not here fails to install).
//!
//! Keys are absolute paths without a trailing `/`: `/Volumes/c/s/v/...`,
//! `/Workspace/...` and `dbfs:/...`. The volume `/Volumes/main/default/libs`
//! exists from the start; other volumes do not, as on a workspace where
//! nobody created them.

use std::{
    collections::{BTreeMap, HashMap},
    time::{SystemTime, UNIX_EPOCH},
};

use axum::{Router, body::Bytes};

use super::EmulatorState;

mod dbfs;
mod volumes;
mod workspace;

/// The one volume that exists.
pub(crate) const PRELOADED_VOLUME: &str = "/Volumes/main/default/libs";

/// The roots that always exist as directories.
const ROOTS: &[&str] = &[
    PRELOADED_VOLUME,
    "/Workspace",
    "/Workspace/Users",
    "/Workspace/Shared",
    "dbfs:",
];

/// One entry of the tree.
#[derive(Debug, Clone)]
pub(crate) enum Node {
    /// A directory.
    Dir {
        /// Creation time, ms since the epoch.
        modified: i64,
    },
    /// A file and its bytes.
    File {
        /// The content.
        data: Bytes,
        /// Last write, ms since the epoch.
        modified: i64,
    },
}

/// An open DBFS write stream.
#[derive(Debug)]
struct Handle {
    path: String,
    data: Vec<u8>,
}

/// Every stored file and directory.
#[derive(Debug)]
pub(crate) struct FileTree {
    nodes: BTreeMap<String, Node>,
    handles: HashMap<i64, Handle>,
    next_handle: i64,
}

/// Why a write was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// The parent (or the volume) does not exist.
    NoParent(String),
    /// Something is already at the path and overwriting was not allowed.
    Exists,
    /// A directory is at the path, or a file is where a directory must be.
    WrongKind,
}

// === impl FileTree ===

impl Default for FileTree {
    fn default() -> Self {
        let modified = now_ms();
        let nodes = ROOTS
            .iter()
            .map(|root| ((*root).to_owned(), Node::Dir { modified }))
            .collect();
        Self {
            nodes,
            handles: HashMap::new(),
            next_handle: 1,
        }
    }
}

impl FileTree {
    /// The default tree plus an empty file at each of `paths` (with its
    /// directories, volumes included).
    pub(crate) fn with_files(paths: &[&str]) -> Self {
        let mut tree = Self::default();
        for path in paths {
            tree.seed_file(path);
        }
        tree
    }

    /// Puts an empty file at `path`, creating every directory above it.
    pub(crate) fn seed_file(&mut self, path: &str) {
        let modified = now_ms();
        let mut at = parent(path);
        while !at.is_empty() && at != "dbfs:" {
            self.nodes
                .entry(at.to_owned())
                .or_insert(Node::Dir { modified });
            at = parent(at);
        }
        let data = Bytes::new();
        self.nodes
            .insert(path.to_owned(), Node::File { data, modified });
    }

    /// The entry at `path`.
    pub(crate) fn get(&self, path: &str) -> Option<&Node> {
        self.nodes.get(path)
    }

    /// A copy of the bytes of the file at `path`.
    pub(crate) fn file_bytes(&self, path: &str) -> Option<Vec<u8>> {
        match self.nodes.get(path) {
            Some(Node::File { data, .. }) => Some(data.to_vec()),
            _ => None,
        }
    }

    /// Whether a file is at `path`.
    pub(crate) fn is_file(&self, path: &str) -> bool {
        matches!(self.nodes.get(path), Some(Node::File { .. }))
    }

    /// Creates `path` and its missing parents, up to an existing ancestor
    /// no higher than `floor` (which must exist).
    pub(crate) fn mkdirs(&mut self, path: &str, floor: &str) -> Result<(), Refusal> {
        if !matches!(self.nodes.get(floor), Some(Node::Dir { .. })) {
            return Err(Refusal::NoParent(floor.to_owned()));
        }
        let mut missing = Vec::new();
        let mut at = path.to_owned();
        while at.len() > floor.len() {
            match self.nodes.get(&at) {
                Some(Node::Dir { .. }) => break,
                Some(Node::File { .. }) => return Err(Refusal::WrongKind),
                None => missing.push(at.clone()),
            }
            at = parent(&at).to_owned();
        }
        let modified = now_ms();
        for dir in missing {
            self.nodes.insert(dir, Node::Dir { modified });
        }
        Ok(())
    }

    /// Stores `data` at `path`, whose parent must exist.
    pub(crate) fn write(
        &mut self,
        path: &str,
        data: Bytes,
        overwrite: bool,
    ) -> Result<(), Refusal> {
        let parent = parent(path);
        if !matches!(self.nodes.get(parent), Some(Node::Dir { .. })) {
            return Err(Refusal::NoParent(parent.to_owned()));
        }
        match self.nodes.get(path) {
            Some(Node::Dir { .. }) => return Err(Refusal::WrongKind),
            Some(Node::File { .. }) if !overwrite => return Err(Refusal::Exists),
            _ => {}
        }
        let modified = now_ms();
        self.nodes
            .insert(path.to_owned(), Node::File { data, modified });
        Ok(())
    }

    /// The direct children of directory `path`, in path order.
    pub(crate) fn children(&self, path: &str) -> Vec<(&str, &Node)> {
        let prefix = format!("{path}/");
        self.nodes
            .range(prefix.clone()..)
            .take_while(|(key, _)| key.starts_with(&prefix))
            .filter(|(key, _)| !key[prefix.len()..].contains('/'))
            .map(|(key, node)| (key.as_str(), node))
            .collect()
    }

    /// Removes the file or empty directory at `path` (with `recursive`, any
    /// directory). `None` when nothing is there, `Some(false)` when a
    /// directory is not empty.
    pub(crate) fn remove(&mut self, path: &str, recursive: bool) -> Option<bool> {
        self.nodes.get(path)?;
        let prefix = format!("{path}/");
        let below: Vec<String> = self
            .nodes
            .range(prefix.clone()..)
            .take_while(|(key, _)| key.starts_with(&prefix))
            .map(|(key, _)| key.clone())
            .collect();
        if !below.is_empty() && !recursive {
            return Some(false);
        }
        for key in below {
            self.nodes.remove(&key);
        }
        self.nodes.remove(path);
        Some(true)
    }

    /// Opens a DBFS write stream; the file exists (empty) from now on.
    fn open(&mut self, path: &str, overwrite: bool) -> Result<i64, Refusal> {
        self.mkdirs(parent(path), "dbfs:")?;
        self.write(path, Bytes::new(), overwrite)?;
        let handle = self.next_handle;
        self.next_handle += 1;
        let path = path.to_owned();
        self.handles.insert(
            handle,
            Handle {
                path,
                data: Vec::new(),
            },
        );
        Ok(handle)
    }

    /// Appends to an open stream; the file shows what was written so far,
    /// as DBFS does. False for an unknown handle.
    fn append(&mut self, handle: i64, block: &[u8]) -> bool {
        let Some(open) = self.handles.get_mut(&handle) else {
            return false;
        };
        open.data.extend_from_slice(block);
        let data = Bytes::copy_from_slice(&open.data);
        let modified = now_ms();
        self.nodes
            .insert(open.path.clone(), Node::File { data, modified });
        true
    }

    /// Closes a stream. False for an unknown handle.
    fn close(&mut self, handle: i64) -> bool {
        self.handles.remove(&handle).is_some()
    }
}

/// The directory part of `path` (`dbfs:` for `dbfs:/x`).
/// The body of a `list` call (DBFS `files`, workspace `objects` under
/// `key`): a directory's children, or the file itself; `{}` for an empty
/// directory, as Databricks answers; `None` when nothing is at `path`.
pub(crate) fn listing(
    tree: &FileTree,
    path: &str,
    key: &str,
    describe: impl Fn(&str, &Node) -> serde_json::Value,
) -> Option<serde_json::Value> {
    let entries: Vec<serde_json::Value> = match tree.get(path)? {
        Node::Dir { .. } => tree
            .children(path)
            .into_iter()
            .map(|(child, node)| describe(child, node))
            .collect(),
        file => vec![describe(path, file)],
    };
    let mut body = serde_json::Map::new();
    if !entries.is_empty() {
        body.insert(key.to_owned(), serde_json::Value::Array(entries));
    }
    Some(serde_json::Value::Object(body))
}

pub(crate) fn parent(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(parent, _)| parent)
}

/// The last segment of `path`.
pub(crate) fn name(path: &str) -> &str {
    path.rsplit_once('/').map_or(path, |(_, name)| name)
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| {
            i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX)
        })
}

/// The routes of all three stores.
pub(crate) fn routes() -> Router<EmulatorState> {
    Router::new()
        .merge(volumes::routes())
        .merge(workspace::routes())
        .merge(dbfs::routes())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn writes_need_a_parent_and_respect_overwrite() {
        let mut tree = FileTree::default();
        let path = "/Volumes/main/default/libs/a.jar";
        tree.write(path, Bytes::from_static(b"1"), false).unwrap();
        assert_eq!(tree.write(path, Bytes::new(), false), Err(Refusal::Exists));
        tree.write(path, Bytes::from_static(b"2"), true).unwrap();
        assert_eq!(
            tree.write("/Volumes/main/default/libs/x/a.jar", Bytes::new(), true),
            Err(Refusal::NoParent("/Volumes/main/default/libs/x".into()))
        );
        tree.mkdirs("/Volumes/main/default/libs/x/y", PRELOADED_VOLUME)
            .unwrap();
        assert_eq!(tree.children(PRELOADED_VOLUME).len(), 2);
        assert_eq!(
            tree.remove("/Volumes/main/default/libs/x", false),
            Some(false)
        );
        assert_eq!(
            tree.remove("/Volumes/main/default/libs/x/y", false),
            Some(true)
        );
        assert_eq!(tree.remove("/Volumes/main/default/libs/x/y", false), None);
    }

    #[test]
    fn dbfs_streams_show_what_was_written() {
        let mut tree = FileTree::default();
        let handle = tree.open("dbfs:/libs/a.jar", false).unwrap();
        assert!(tree.append(handle, b"ab"));
        assert!(tree.is_file("dbfs:/libs/a.jar"));
        assert!(tree.close(handle));
        assert!(!tree.append(handle, b"c"));
        assert_eq!(tree.open("dbfs:/libs/a.jar", false), Err(Refusal::Exists));
    }
}
