//! Streams a local file to UploadLibrary: the header, then the bytes in
//! chunks as they are read (never the whole file in memory).

use std::sync::{Arc, Mutex};

use futures_util::StreamExt;
use tokio_util::io::ReaderStream;
use tonic::Status;

use crate::{
    proto::compute::{self as pb, upload_library_request::Item},
    provider::client::Compute,
};

/// Bytes per chunk message.
const CHUNK: usize = 256 * 1024;

/// Why an upload failed.
#[derive(Debug)]
pub(super) enum UploadFailure {
    /// The local file could not be read.
    Local(std::io::Error),
    /// The service refused or failed.
    Service(Status),
}

/// Uploads `source` with `header`.
pub(super) async fn upload(
    client: &mut Compute,
    source: &str,
    header: pb::UploadLibraryHeader,
) -> Result<pb::UploadLibraryResponse, UploadFailure> {
    let file = tokio::fs::File::open(source)
        .await
        .map_err(UploadFailure::Local)?;
    // A read error ends the stream early; the service then sees fewer
    // bytes than expected and writes nothing, and the error is reported.
    let read_error = Arc::new(Mutex::new(None));
    let recorded = Arc::clone(&read_error);
    let chunks = ReaderStream::with_capacity(file, CHUNK).scan((), move |(), read| {
        let item = match read {
            Ok(bytes) => Some(pb::UploadLibraryRequest {
                item: Some(Item::Chunk(bytes.to_vec())),
            }),
            Err(error) => {
                if let Ok(mut slot) = recorded.lock() {
                    *slot = Some(error);
                }
                None
            }
        };
        std::future::ready(item)
    });
    let first = pb::UploadLibraryRequest {
        item: Some(Item::Header(header)),
    };
    let messages = futures_util::stream::iter([first]).chain(chunks);
    let answer = client.upload_library(messages).await;
    if let Some(error) = read_error.lock().ok().and_then(|mut slot| slot.take()) {
        return Err(UploadFailure::Local(error));
    }
    answer
        .map(tonic::Response::into_inner)
        .map_err(UploadFailure::Service)
}
