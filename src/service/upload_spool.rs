//! The first half of UploadLibrary: reading the client stream (the header,
//! then chunks) into an unnamed temporary file while hashing and counting
//! it. Memory holds one chunk and one write buffer whatever the file's size;
//! the file has no name on disk and vanishes when dropped, so an upload that
//! fails or is abandoned leaves nothing behind locally either.

use std::io::SeekFrom;

use sha2::{Digest, Sha256};
use tokio::{
    fs::File,
    io::{AsyncSeekExt, AsyncWriteExt, BufWriter},
};
use tokio_stream::{Stream, StreamExt};
use tonic::Status;

use crate::{
    convert::{self, InvalidRequest, UploadHeader},
    proto::compute::{self as pb, upload_library_request::Item},
};

/// Bytes buffered between the stream and the temporary file.
const WRITE_BUFFER: usize = 256 * 1024;

/// The temporary file could not be written or read.
#[derive(Debug, thiserror::Error)]
#[error("the upload could not be spooled to the server's temporary directory: {0}")]
pub(super) struct SpoolFailed(#[from] pub(super) std::io::Error);

/// An upload too large for the API its destination goes through.
#[derive(Debug, thiserror::Error)]
#[error(
    "{destination} takes at most {limit} bytes through {api}, and this upload has more; upload it to a /Volumes/... directory instead"
)]
pub(super) struct TooLargeForDestination {
    /// The destination directory.
    pub(super) destination: String,
    /// The API's name.
    pub(super) api: &'static str,
    /// Its limit in bytes.
    pub(super) limit: u64,
}

/// A complete, verified upload on local disk, positioned at its start.
#[derive(Debug)]
pub(super) struct Spooled {
    /// The content, ready to be read from the start.
    pub(super) file: File,
    /// Its size in bytes.
    pub(super) size: u64,
    /// Its sha256, lowercase hex.
    pub(super) sha256: String,
}

/// Reads the header (which must come first) from `stream`.
pub(super) async fn read_header<S>(stream: &mut S) -> Result<UploadHeader, Status>
where
    S: Stream<Item = Result<pb::UploadLibraryRequest, Status>> + Unpin,
{
    match stream.next().await.transpose()? {
        Some(pb::UploadLibraryRequest {
            item: Some(Item::Header(header)),
        }) => Ok(convert::upload_header(&header)?),
        _ => Err(InvalidRequest::field(
            "header",
            "the first message must carry the header, and only it",
        )
        .into()),
    }
}

/// Spools the chunks that follow the header, refusing more than `limit`
/// bytes (the destination's, or the expected size), then checks the
/// expected size and sha256. Any failure drops the file.
pub(super) async fn spool<S>(
    stream: &mut S,
    header: &UploadHeader,
    limit: Option<TooLargeForDestination>,
) -> Result<Spooled, Status>
where
    S: Stream<Item = Result<pb::UploadLibraryRequest, Status>> + Unpin,
{
    let std_file = tempfile::tempfile().map_err(SpoolFailed)?;
    let mut writer = BufWriter::with_capacity(WRITE_BUFFER, File::from_std(std_file));
    let mut hasher = Sha256::new();
    let mut size: u64 = 0;
    while let Some(message) = stream.next().await.transpose()? {
        let chunk = match message.item {
            Some(Item::Chunk(chunk)) => chunk,
            Some(Item::Header(_)) => {
                return Err(InvalidRequest::field(
                    "header",
                    "only the first message may carry the header",
                )
                .into());
            }
            None => continue,
        };
        size += chunk.len() as u64;
        if let Some(expected) = header.expected_size.filter(|expected| size > *expected) {
            return Err(size_mismatch(expected, size, "at least ").into());
        }
        if let Some(limit) = limit.as_ref().filter(|limit| size > limit.limit) {
            return Err(TooLargeForDestination {
                destination: limit.destination.clone(),
                api: limit.api,
                limit: limit.limit,
            }
            .into());
        }
        hasher.update(&chunk);
        writer.write_all(&chunk).await.map_err(SpoolFailed)?;
    }
    if let Some(expected) = header.expected_size.filter(|expected| size != *expected) {
        return Err(size_mismatch(expected, size, "").into());
    }
    let sha256 = hex::encode(hasher.finalize());
    if let Some(expected) = header.expected_sha256.as_ref().filter(|e| **e != sha256) {
        return Err(InvalidRequest::field(
            "header.expected_sha256",
            format!("is {expected}, but the content's sha256 is {sha256}; nothing was written"),
        )
        .into());
    }
    writer.flush().await.map_err(SpoolFailed)?;
    let mut file = writer.into_inner();
    file.seek(SeekFrom::Start(0)).await.map_err(SpoolFailed)?;
    Ok(Spooled { file, size, sha256 })
}

fn size_mismatch(expected: u64, got: u64, qualifier: &str) -> InvalidRequest {
    InvalidRequest::field(
        "header.expected_size",
        format!("is {expected}, but the content has {qualifier}{got} bytes; nothing was written"),
    )
}
