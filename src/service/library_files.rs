//! UploadLibrary, ListLibraryFiles and DeleteLibraryFile: library files on a
//! Unity Catalog volume (Files API), in the workspace (workspace files) or on
//! DBFS. An upload is spooled and verified first (`upload_spool.rs`), named
//! (versioned or not), then sent to its store in one go.

use std::sync::{
    Arc,
    atomic::{AtomicUsize, Ordering},
};

use base64::Engine as _;
use tokio::io::AsyncReadExt;
use tokio_stream::Stream;
use tonic::Status;
use tracing::{info, instrument, warn};

use super::{
    Tenant,
    upload_spool::{self, Spooled, TooLargeForDestination},
};
use crate::{
    convert::{self, FileLocation, FileStore, UploadHeader},
    databricks::{
        CallOptions, Client, DBFS_BLOCK_BYTES, Error,
        models::{DbfsAddBlock, DbfsCreate, Library, ReportedLibrary, WorkspaceImport},
    },
    proto::compute as pb,
};

/// Largest file sent through `workspace/import` (its base64 content is
/// capped at 10 MB: `MAX_NOTEBOOK_SIZE_EXCEEDED`).
pub const WORKSPACE_IMPORT_MAX_BYTES: u64 = 10 * 1000 * 1000;

/// Largest file the Files API takes in one request (5 GiB).
pub const FILES_API_MAX_BYTES: u64 = 5 * 1024 * 1024 * 1024;

/// The slowest upload rate allowed for without a gRPC deadline: the
/// upload PUT may take its size at this rate, beyond the request timeout.
const SLOWEST_UPLOAD_BYTES_PER_SEC: u64 = 1024 * 1024;

/// Time a PUT of `size` bytes may take: a minute plus one second per MiB.
fn upload_allowance(size: u64) -> std::time::Duration {
    std::time::Duration::from_secs(60 + size / SLOWEST_UPLOAD_BYTES_PER_SEC)
}

/// Read ahead when a spooled file is streamed as a request body.
const READ_CHUNK: usize = 256 * 1024;

/// DeleteLibraryFile found clusters that have the file installed.
#[derive(Debug, thiserror::Error)]
#[error(
    "{path} is installed as a library on cluster(s) {}; uninstall it there first, or pass force",
    clusters.join(", ")
)]
pub(super) struct LibraryFileInUse {
    /// The file.
    pub(super) path: String,
    /// The clusters, sorted.
    pub(super) clusters: Vec<String>,
}

/// Counts one call in progress while it lives.
pub(super) struct InProgress(Arc<AtomicUsize>);

impl InProgress {
    pub(super) fn count(counter: &Arc<AtomicUsize>) -> Self {
        counter.fetch_add(1, Ordering::SeqCst);
        Self(Arc::clone(counter))
    }
}

impl Drop for InProgress {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

// === impl Tenant ===

impl Tenant {
    /// Reads and checks the whole upload, then stores it.
    #[instrument(skip_all)]
    pub(super) async fn upload_library<S>(
        &self,
        mut stream: S,
        options: CallOptions,
    ) -> Result<pb::UploadLibraryResponse, Status>
    where
        S: Stream<Item = Result<pb::UploadLibraryRequest, Status>> + Unpin,
    {
        let header = upload_spool::read_header(&mut stream).await?;
        let limit = destination_limit(&header.directory);
        let spooled = upload_spool::spool(&mut stream, &header, Some(limit)).await?;
        let name = if header.versioned {
            convert::versioned_name(&header.file_name, &spooled.sha256)
        } else {
            header.file_name.clone()
        };
        let path = header.directory.join(&name);
        let (size, sha256) = (spooled.size, spooled.sha256.clone());
        let already_present = match store(&self.client, &header, &path, spooled, options).await {
            Ok(()) => false,
            // A versioned name carries the content's hash: the file already
            // there under it is this build (a re-run of the same job).
            Err(status)
                if header.versioned
                    && !header.overwrite
                    && status.code() == tonic::Code::AlreadyExists =>
            {
                info!(size, store = ?header.directory.store, "this build is already uploaded under its versioned name");
                true
            }
            Err(status) => return Err(status),
        };
        if !already_present {
            info!(size, store = ?header.directory.store, "library file uploaded");
        }
        Ok(pb::UploadLibraryResponse {
            library: convert::library_for(&name, &path),
            path,
            size,
            sha256,
            already_present,
        })
    }

    /// One page of a directory.
    #[instrument(skip_all)]
    pub(super) async fn list_library_files(
        &self,
        request: pb::ListLibraryFilesRequest,
        options: CallOptions,
    ) -> Result<pb::ListLibraryFilesResponse, Status> {
        let request = convert::list_request(&request)?;
        let directory = &request.directory.path;
        let all = match request.directory.store {
            FileStore::Volume => {
                let page = self
                    .client
                    .list_directory(directory, request.page_size, &request.page_token, options)
                    .await?;
                return Ok(pb::ListLibraryFilesResponse {
                    files: page
                        .contents
                        .into_iter()
                        .map(convert::volume_entry)
                        .collect(),
                    next_page_token: page.next_page_token.unwrap_or_default(),
                });
            }
            FileStore::Workspace => {
                let list = self.client.workspace_list(directory, options).await?;
                list.objects
                    .into_iter()
                    .map(convert::workspace_entry)
                    .collect()
            }
            FileStore::Dbfs => {
                let list = self.client.dbfs_list(directory, options).await?;
                list.files.into_iter().map(convert::dbfs_entry).collect()
            }
        };
        page_of(all, request.page_size, &request.page_token)
    }

    /// Deletes a file, unless a cluster has it installed and not `force`.
    #[instrument(skip_all, fields(force = request.force))]
    pub(super) async fn delete_library_file(
        &self,
        request: pb::DeleteLibraryFileRequest,
        options: CallOptions,
    ) -> Result<pb::DeleteLibraryFileResponse, Status> {
        let file = convert::file_path(&request.path)?;
        if !request.force {
            let clusters = self.clusters_with(&file, options).await?;
            if !clusters.is_empty() {
                return Err(LibraryFileInUse {
                    path: file.path,
                    clusters,
                }
                .into());
            }
        }
        delete(&self.client, &file, options).await?;
        info!(store = ?file.store, "library file deleted");
        Ok(pb::DeleteLibraryFileResponse {})
    }

    /// The clusters whose libraries name `file` (from all-cluster-statuses).
    async fn clusters_with(
        &self,
        file: &FileLocation,
        options: CallOptions,
    ) -> Result<Vec<String>, Status> {
        let wanted = comparable(&file.path);
        let all = self.client.all_cluster_statuses(options).await?;
        let mut clusters: Vec<String> = all
            .statuses
            .into_iter()
            .filter(|cluster| {
                cluster
                    .library_statuses
                    .iter()
                    .any(|status| match &status.library {
                        ReportedLibrary::Known(
                            Library::Jar(uri)
                            | Library::Whl(uri)
                            | Library::Egg(uri)
                            | Library::Requirements(uri),
                        ) => comparable(uri) == wanted,
                        _ => false,
                    })
            })
            .map(|cluster| cluster.cluster_id)
            .collect();
        clusters.sort();
        clusters.dedup();
        Ok(clusters)
    }
}

/// The most a destination's API takes in one upload.
fn destination_limit(directory: &FileLocation) -> TooLargeForDestination {
    let (api, limit) = match directory.store {
        FileStore::Volume => ("the Files API", FILES_API_MAX_BYTES),
        FileStore::Workspace => ("workspace/import", WORKSPACE_IMPORT_MAX_BYTES),
        FileStore::Dbfs => ("the DBFS API", u64::MAX),
    };
    TooLargeForDestination {
        destination: directory.path.clone(),
        api,
        limit,
    }
}

/// A library URI as compared with a file path: DBFS paths with or without
/// their scheme are the same file.
fn comparable(uri: &str) -> &str {
    uri.strip_prefix("dbfs:").unwrap_or(uri)
}

/// Sends the verified upload to its store under `path`.
async fn store(
    client: &Client,
    header: &UploadHeader,
    path: &str,
    spooled: Spooled,
    options: CallOptions,
) -> Result<(), Status> {
    match header.directory.store {
        FileStore::Volume => {
            client
                .create_directory(&header.directory.path, options)
                .await?;
            let client = client.with_request_timeout_at_least(upload_allowance(spooled.size));
            let body = tokio_util::io::ReaderStream::with_capacity(spooled.file, READ_CHUNK);
            let body = reqwest::Body::wrap_stream(body);
            client
                .upload_file(path, header.overwrite, body, spooled.size, options)
                .await?;
        }
        FileStore::Workspace => {
            let mut content = Vec::with_capacity(usize::try_from(spooled.size).unwrap_or(0));
            let mut file = spooled.file;
            file.read_to_end(&mut content)
                .await
                .map_err(upload_spool::SpoolFailed)?;
            let body = WorkspaceImport {
                path: path.to_owned(),
                format: "AUTO".to_owned(),
                content: base64::engine::general_purpose::STANDARD.encode(&content),
                overwrite: header.overwrite,
            };
            client
                .workspace_mkdirs(&header.directory.path, options)
                .await?;
            client.workspace_import(&body, options).await?;
        }
        FileStore::Dbfs => store_dbfs(client, header.overwrite, path, spooled, options).await?,
    }
    Ok(())
}

/// `dbfs/create`, one `add-block` per MiB, `close`; a failure after
/// `create` (or the call being dropped) deletes what was written.
async fn store_dbfs(
    client: &Client,
    overwrite: bool,
    path: &str,
    mut spooled: Spooled,
    options: CallOptions,
) -> Result<(), Status> {
    let create = DbfsCreate {
        path: path.to_owned(),
        overwrite,
    };
    let handle = match client.dbfs_create(&create, options).await {
        Ok(handle) => handle,
        Err(error) => {
            if matches!(error, Error::OutcomeUnknown { .. }) {
                delete_if_still_empty(client.clone(), path.to_owned());
            }
            return Err(error.into());
        }
    };
    let cleanup = DeleteUnlessDone::new(client.clone(), path);
    let mut block = vec![0; DBFS_BLOCK_BYTES];
    loop {
        let filled = read_block(&mut spooled.file, &mut block).await?;
        if filled == 0 {
            break;
        }
        let body = DbfsAddBlock {
            handle: handle.handle,
            data: base64::engine::general_purpose::STANDARD.encode(&block[..filled]),
        };
        client.dbfs_add_block(&body, options).await?;
    }
    client.dbfs_close(handle, options).await?;
    cleanup.done();
    Ok(())
}

/// A `create` whose answer was lost may have left an empty file at `path`
/// (with its handle lost too): on its own task, like [`DeleteUnlessDone`],
/// the file is deleted if it is there and still empty. A non-empty file is
/// someone's earlier upload, which a `create` that never arrived left alone.
fn delete_if_still_empty(client: Client, path: String) {
    tokio::spawn(async move {
        let listed = match client.dbfs_list(&path, CallOptions::default()).await {
            Ok(listed) => listed,
            Err(error) => {
                warn!(%error, "could not check for an empty DBFS file a lost create left");
                return;
            }
        };
        let bare = path.strip_prefix("dbfs:").unwrap_or(&path);
        let empty = listed
            .files
            .iter()
            .any(|entry| entry.path == bare && !entry.is_dir && entry.file_size == 0);
        if empty && let Err(error) = client.dbfs_delete(&path, CallOptions::default()).await {
            warn!(%error, "could not delete the empty DBFS file a lost create left");
        }
    });
}

/// Fills `block` from `file` as far as it goes; 0 at the end.
async fn read_block(file: &mut tokio::fs::File, block: &mut [u8]) -> Result<usize, Status> {
    let mut filled = 0;
    while filled < block.len() {
        let read = file
            .read(&mut block[filled..])
            .await
            .map_err(upload_spool::SpoolFailed)?;
        if read == 0 {
            break;
        }
        filled += read;
    }
    Ok(filled)
}

/// Deletes a half-written DBFS file when dropped before [`done`](Self::done).
struct DeleteUnlessDone {
    target: Option<(Client, String)>,
}

impl DeleteUnlessDone {
    fn new(client: Client, path: &str) -> Self {
        Self {
            target: Some((client, path.to_owned())),
        }
    }

    fn done(mut self) {
        self.target = None;
    }
}

impl Drop for DeleteUnlessDone {
    fn drop(&mut self) {
        let Some((client, path)) = self.target.take() else {
            return;
        };
        // Dropped mid-upload (an error, or the call cancelled): the delete
        // must outlive this future, so it runs on its own task.
        tokio::spawn(async move {
            if let Err(error) = client.dbfs_delete(&path, CallOptions::default()).await {
                warn!(%error, "could not delete a half-written DBFS file");
            }
        });
    }
}

/// Deletes `file` through its store's API.
async fn delete(client: &Client, file: &FileLocation, options: CallOptions) -> Result<(), Status> {
    match file.store {
        FileStore::Volume => client.delete_file(&file.path, options).await?,
        FileStore::Workspace => client.workspace_delete(&file.path, options).await?,
        FileStore::Dbfs => client.dbfs_delete(&file.path, options).await?,
    }
    Ok(())
}

/// A page of a listing that Databricks returns whole: `page_token` is the
/// offset of the page's first entry.
fn page_of(
    all: Vec<pb::LibraryFile>,
    page_size: u32,
    page_token: &str,
) -> Result<pb::ListLibraryFilesResponse, Status> {
    let start: usize = if page_token.is_empty() {
        0
    } else {
        page_token.parse().map_err(|_| {
            convert::InvalidRequest::field("page_token", "is not a token this server issued")
        })?
    };
    let end = start.saturating_add(page_size as usize).min(all.len());
    let next_page_token = if end < all.len() {
        end.to_string()
    } else {
        String::new()
    };
    Ok(pb::ListLibraryFilesResponse {
        files: all.into_iter().take(end).skip(start).collect(),
        next_page_token,
    })
}
