//! Files API (Unity Catalog volumes), workspace files and DBFS API 2.0 on
//! [`Client`]: what UploadLibrary, ListLibraryFiles and DeleteLibraryFile
//! call.
//!
//! Resend rules: directory creation, listing, deletion and an `overwrite`
//! workspace import are [`Resend::Safe`] (repeating them changes nothing
//! more; a delete resent after a lost answer that meets "not found" has
//! succeeded, since the lost attempt deleted the file). The streamed upload `PUT` is sent once: its body cannot be
//! replayed, and a resend after a lost answer could meet its own file with
//! `overwrite=false`. DBFS `create`, `add-block` and `close` are
//! [`Resend::OnlyIfNotSent`]: a repeated block would be appended twice.

use http::{Method, header};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use tracing::instrument;

use super::{
    ApiError, CallOptions, Client, Error,
    models::{
        DbfsAddBlock, DbfsCreate, DbfsHandle, DbfsList, DirectoryContents, PathBody, PathDelete,
        WorkspaceImport, WorkspaceList,
    },
    retry::Resend,
};

/// Raw bytes in one DBFS `add-block` (the 1 MB limit applies to the decoded
/// bytes; both SDKs use 1 MiB).
pub const DBFS_BLOCK_BYTES: usize = 1024 * 1024;

/// Everything but unreserved characters is escaped in a path segment, as
/// the SDKs do (`url.PathEscape`, `quote(safe="/")`).
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// `path` with each segment percent-encoded and the `/` between them kept.
pub fn files_url_path(path: &str) -> String {
    path.split('/')
        .map(|segment| utf8_percent_encode(segment, SEGMENT).to_string())
        .collect::<Vec<_>>()
        .join("/")
}

const FILES: &str = "/api/2.0/fs/files";
const DIRECTORIES: &str = "/api/2.0/fs/directories";

// === impl Client ===

impl Client {
    /// `PUT /api/2.0/fs/directories{path}`: `mkdir -p`, idempotent.
    #[instrument(skip_all)]
    pub async fn create_directory(&self, path: &str, options: CallOptions) -> Result<(), Error> {
        let request = self.request(
            Method::PUT,
            &format!("{DIRECTORIES}{}", files_url_path(path)),
        );
        self.send::<serde_json::Value>(Method::PUT, DIRECTORIES, request, options, Resend::Safe)
            .await
            .map(drop)
    }

    /// `PUT /api/2.0/fs/files{path}?overwrite=` with `body` streamed as it
    /// is produced (`length` bytes). Sent once (see the module docs).
    #[instrument(skip_all, fields(length))]
    pub async fn upload_file(
        &self,
        path: &str,
        overwrite: bool,
        body: reqwest::Body,
        length: u64,
        options: CallOptions,
    ) -> Result<(), Error> {
        let request = self
            .request(Method::PUT, &format!("{FILES}{}", files_url_path(path)))
            .query(&[("overwrite", if overwrite { "true" } else { "false" })])
            .header(header::CONTENT_TYPE, "application/octet-stream")
            .header(header::CONTENT_LENGTH, length)
            .body(body);
        self.send::<serde_json::Value>(Method::PUT, FILES, request, options, Resend::OnlyIfNotSent)
            .await
            .map(drop)
    }

    /// `DELETE /api/2.0/fs/files{path}`.
    #[instrument(skip_all)]
    pub async fn delete_file(&self, path: &str, options: CallOptions) -> Result<(), Error> {
        let request = self.request(Method::DELETE, &format!("{FILES}{}", files_url_path(path)));
        let deleted = self
            .send::<serde_json::Value>(Method::DELETE, FILES, request, options, Resend::Safe)
            .await
            .map(drop);
        Error::done_by_lost_attempt(deleted, ApiError::is_not_found)
    }

    /// One page of `GET /api/2.0/fs/directories{path}`.
    #[instrument(skip_all, fields(page_size))]
    pub async fn list_directory(
        &self,
        path: &str,
        page_size: u32,
        page_token: &str,
        options: CallOptions,
    ) -> Result<DirectoryContents, Error> {
        let mut query = vec![("page_size", page_size.to_string())];
        if !page_token.is_empty() {
            query.push(("page_token", page_token.to_owned()));
        }
        let request = self
            .request(
                Method::GET,
                &format!("{DIRECTORIES}{}", files_url_path(path)),
            )
            .query(&query);
        self.send(Method::GET, DIRECTORIES, request, options, Resend::Safe)
            .await
    }

    /// `POST /api/2.0/workspace/import`; safe to repeat only with
    /// `overwrite` (without it a repeat meets its own file).
    #[instrument(skip_all, fields(overwrite = body.overwrite))]
    pub async fn workspace_import(
        &self,
        body: &WorkspaceImport,
        options: CallOptions,
    ) -> Result<(), Error> {
        let resend = if body.overwrite {
            Resend::Safe
        } else {
            Resend::OnlyIfNotSent
        };
        self.post::<_, serde_json::Value>("/api/2.0/workspace/import", body, options, resend)
            .await
            .map(drop)
    }

    /// `POST /api/2.0/workspace/mkdirs`: `mkdir -p`, idempotent.
    #[instrument(skip_all)]
    pub async fn workspace_mkdirs(&self, path: &str, options: CallOptions) -> Result<(), Error> {
        let body = PathBody {
            path: path.to_owned(),
        };
        self.post::<_, serde_json::Value>("/api/2.0/workspace/mkdirs", &body, options, Resend::Safe)
            .await
            .map(drop)
    }

    /// `GET /api/2.0/workspace/list?path=`.
    #[instrument(skip_all)]
    pub async fn workspace_list(
        &self,
        path: &str,
        options: CallOptions,
    ) -> Result<WorkspaceList, Error> {
        self.get("/api/2.0/workspace/list", &[("path", path)], options)
            .await
    }

    /// `POST /api/2.0/workspace/delete`.
    #[instrument(skip_all)]
    pub async fn workspace_delete(&self, path: &str, options: CallOptions) -> Result<(), Error> {
        let body = PathDelete {
            path: path.to_owned(),
            recursive: false,
        };
        let deleted = self
            .post::<_, serde_json::Value>("/api/2.0/workspace/delete", &body, options, Resend::Safe)
            .await
            .map(drop);
        Error::done_by_lost_attempt(deleted, ApiError::is_not_found)
    }

    /// `POST /api/2.0/dbfs/create`: opens a write stream.
    #[instrument(skip_all, fields(overwrite = body.overwrite))]
    pub async fn dbfs_create(
        &self,
        body: &DbfsCreate,
        options: CallOptions,
    ) -> Result<DbfsHandle, Error> {
        self.post("/api/2.0/dbfs/create", body, options, Resend::OnlyIfNotSent)
            .await
    }

    /// `POST /api/2.0/dbfs/add-block`: appends at most 1 MiB.
    #[instrument(skip_all)]
    pub async fn dbfs_add_block(
        &self,
        body: &DbfsAddBlock,
        options: CallOptions,
    ) -> Result<(), Error> {
        self.post::<_, serde_json::Value>(
            "/api/2.0/dbfs/add-block",
            body,
            options,
            Resend::OnlyIfNotSent,
        )
        .await
        .map(drop)
    }

    /// `POST /api/2.0/dbfs/close`.
    #[instrument(skip_all)]
    pub async fn dbfs_close(&self, handle: DbfsHandle, options: CallOptions) -> Result<(), Error> {
        self.post::<_, serde_json::Value>(
            "/api/2.0/dbfs/close",
            &handle,
            options,
            Resend::OnlyIfNotSent,
        )
        .await
        .map(drop)
    }

    /// `GET /api/2.0/dbfs/list?path=`.
    #[instrument(skip_all)]
    pub async fn dbfs_list(&self, path: &str, options: CallOptions) -> Result<DbfsList, Error> {
        self.get("/api/2.0/dbfs/list", &[("path", path)], options)
            .await
    }

    /// `POST /api/2.0/dbfs/delete` (not recursive).
    #[instrument(skip_all)]
    pub async fn dbfs_delete(&self, path: &str, options: CallOptions) -> Result<(), Error> {
        let body = PathDelete {
            path: path.to_owned(),
            recursive: false,
        };
        let deleted = self
            .post::<_, serde_json::Value>("/api/2.0/dbfs/delete", &body, options, Resend::Safe)
            .await
            .map(drop);
        Error::done_by_lost_attempt(deleted, ApiError::is_not_found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_are_escaped_and_slashes_kept() {
        assert_eq!(
            files_url_path("/Volumes/main/libs/jars/my lib-1.2.3.jar"),
            "/Volumes/main/libs/jars/my%20lib-1.2.3.jar"
        );
        assert_eq!(
            files_url_path("/Volumes/a/b/c/x?y#z%.jar"),
            "/Volumes/a/b/c/x%3Fy%23z%25.jar"
        );
        assert_eq!(
            files_url_path("/Volumes/a/b/c/é~_.jar"),
            "/Volumes/a/b/c/%C3%A9~_.jar"
        );
    }
}
