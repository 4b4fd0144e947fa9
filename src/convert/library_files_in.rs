//! Inbound: validated library file locations (UploadLibrary's header,
//! ListLibraryFiles' directory, DeleteLibraryFile's path).
//!
//! A location is a Unity Catalog volume (`/Volumes/<catalog>/<schema>/<volume>/...`),
//! a workspace path (`/Workspace/...`) or DBFS (`dbfs:/...`); no `.` or `..`
//! segments, no empty segments, no control characters.

use super::{
    InvalidRequest, Violations,
    limits::{MAX_PAGE_TOKEN_BYTES, MAX_PATH_BYTES},
};
use crate::proto::compute as pb;

/// Longest file name (most file systems' limit).
pub const MAX_FILE_NAME_BYTES: usize = 255;

/// Largest page of ListLibraryFiles (the Files API's own cap).
pub const MAX_FILE_LIST_PAGE: u32 = 1000;

/// Where a library file lives, which decides the REST API used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileStore {
    /// `/Volumes/...`: the Files API.
    Volume,
    /// `/Workspace/...`: workspace files.
    Workspace,
    /// `dbfs:/...`: DBFS API 2.0.
    Dbfs,
}

/// A validated directory or file path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileLocation {
    /// Which API serves it.
    pub store: FileStore,
    /// The path, without a trailing `/` (except DBFS's root `dbfs:/`).
    pub path: String,
}

/// A validated UploadLibrary header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadHeader {
    /// The directory the file goes into.
    pub directory: FileLocation,
    /// The file name as given (before any versioning).
    pub file_name: String,
    /// Replace an existing file.
    pub overwrite: bool,
    /// Put the content hash into the name.
    pub versioned: bool,
    /// The expected sha256, lowercase hex.
    pub expected_sha256: Option<String>,
    /// The expected size in bytes.
    pub expected_size: Option<u64>,
}

/// A validated ListLibraryFiles request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListRequest {
    /// The directory.
    pub directory: FileLocation,
    /// Entries per page, 1..=[`MAX_FILE_LIST_PAGE`].
    pub page_size: u32,
    /// The caller's page token.
    pub page_token: String,
}

// === impl FileLocation ===

impl FileLocation {
    /// `name` inside this directory.
    pub fn join(&self, name: &str) -> String {
        if self.path.ends_with('/') {
            format!("{}{name}", self.path)
        } else {
            format!("{}/{name}", self.path)
        }
    }
}

/// Validates an UploadLibrary header (fields named `header.*`).
pub fn upload_header(header: &pb::UploadLibraryHeader) -> Result<UploadHeader, InvalidRequest> {
    let mut violations = Violations::default();
    let directory = location(
        &mut violations,
        "header.destination",
        &header.destination,
        0,
    );
    check_file_name(&mut violations, "header.file_name", &header.file_name);
    let expected_sha256 = sha256(
        &mut violations,
        "header.expected_sha256",
        &header.expected_sha256,
    );
    let expected_size = (header.expected_size > 0).then_some(header.expected_size);
    violations.finish(())?;
    Ok(UploadHeader {
        // Invariant-free: a missing location always added a violation above.
        directory: directory
            .ok_or_else(|| InvalidRequest::field("header.destination", "is invalid"))?,
        file_name: header.file_name.clone(),
        overwrite: header.overwrite,
        versioned: header.versioned,
        expected_sha256,
        expected_size,
    })
}

/// Validates a ListLibraryFiles request.
pub fn list_request(request: &pb::ListLibraryFilesRequest) -> Result<ListRequest, InvalidRequest> {
    let mut violations = Violations::default();
    let directory = location(&mut violations, "directory", &request.directory, 0);
    let page_size = match request.page_size {
        ..0 => {
            violations.add("page_size", "must not be negative");
            MAX_FILE_LIST_PAGE
        }
        0 => MAX_FILE_LIST_PAGE,
        size => u32::try_from(size).map_or(MAX_FILE_LIST_PAGE, |size| size.min(MAX_FILE_LIST_PAGE)),
    };
    violations.check_length("page_token", &request.page_token, MAX_PAGE_TOKEN_BYTES);
    violations.finish(())?;
    Ok(ListRequest {
        directory: directory.ok_or_else(|| InvalidRequest::field("directory", "is invalid"))?,
        page_size,
        page_token: request.page_token.clone(),
    })
}

/// Validates DeleteLibraryFile's `path`: a location naming a file below the
/// volume, workspace or DBFS root.
pub fn file_path(value: &str) -> Result<FileLocation, InvalidRequest> {
    let mut violations = Violations::default();
    let file = location(&mut violations, "path", value, 1);
    violations.finish(())?;
    file.ok_or_else(|| InvalidRequest::field("path", "is invalid"))
}

/// The location in `value`, whose segments after the root number at least
/// `extra` (a file needs one).
fn location(
    violations: &mut Violations,
    field: &str,
    value: &str,
    extra: usize,
) -> Option<FileLocation> {
    if value.is_empty() {
        violations.add(field, "must not be empty");
        return None;
    }
    if !violations.check_length(field, value, MAX_PATH_BYTES) {
        return None;
    }
    if value.chars().any(char::is_control) {
        violations.add(field, "must not contain control characters");
        return None;
    }
    let (store, rest, root_segments) = if let Some(rest) = value.strip_prefix("/Volumes/") {
        (FileStore::Volume, rest, 3)
    } else if let Some(rest) = value.strip_prefix("/Workspace/") {
        (FileStore::Workspace, rest, 1)
    } else if let Some(rest) = value.strip_prefix("dbfs:/") {
        (FileStore::Dbfs, rest, 0)
    } else {
        violations.add(
            field,
            "must start with /Volumes/<catalog>/<schema>/<volume>/, /Workspace/ or dbfs:/",
        );
        return None;
    };
    let trimmed = rest.strip_suffix('/').unwrap_or(rest);
    let segments: Vec<&str> = if trimmed.is_empty() {
        Vec::new()
    } else {
        trimmed.split('/').collect()
    };
    if segments.iter().any(|segment| segment.is_empty()) {
        violations.add(field, "must not contain empty segments (`//`)");
        return None;
    }
    if segments
        .iter()
        .any(|segment| matches!(*segment, "." | ".."))
    {
        violations.add(field, "must not contain `.` or `..` segments");
        return None;
    }
    if segments.len() < root_segments + extra {
        let what = match store {
            FileStore::Volume => "must name a volume: /Volumes/<catalog>/<schema>/<volume>/",
            FileStore::Workspace => "must name a folder below /Workspace/",
            FileStore::Dbfs => "must name a file below dbfs:/",
        };
        let what = if extra > 0 && store != FileStore::Dbfs {
            "must name a file inside the volume or folder"
        } else {
            what
        };
        violations.add(field, what);
        return None;
    }
    let path = if store == FileStore::Dbfs && segments.is_empty() {
        "dbfs:/".to_owned()
    } else {
        value.strip_suffix('/').unwrap_or(value).to_owned()
    };
    Some(FileLocation { store, path })
}

fn check_file_name(violations: &mut Violations, field: &str, value: &str) {
    if value.is_empty() {
        violations.add(field, "must not be empty");
    } else if value.len() > MAX_FILE_NAME_BYTES {
        violations.add(field, super::too_long(MAX_FILE_NAME_BYTES, value.len()));
    } else if value.contains(['/', '\\']) {
        violations.add(field, "must be a plain file name, without `/` or `\\`");
    } else if matches!(value, "." | "..") {
        violations.add(field, "must not be `.` or `..`");
    } else if value.chars().any(char::is_control) {
        violations.add(field, "must not contain control characters");
    }
}

fn sha256(violations: &mut Violations, field: &str, value: &str) -> Option<String> {
    if value.is_empty() {
        return None;
    }
    if value.len() != 64 || !value.bytes().all(|b| b.is_ascii_hexdigit()) {
        violations.add(field, "must be 64 hexadecimal digits (a sha256), or empty");
        return None;
    }
    Some(value.to_ascii_lowercase())
}

#[cfg(test)]
mod tests;
