//! The local side of a library file, known at plan time: its bytes' sha256
//! and size, and the versioned path UploadLibrary will give it (the
//! service's own naming rule, so plan and upload agree).

use std::path::Path;

use sha2::{Digest, Sha256};
use tokio::io::AsyncReadExt;

use crate::{
    convert::{self, FieldViolation},
    proto::compute as pb,
};

/// Bytes read at a time while hashing.
const READ_BUFFER: usize = 64 * 1024;

/// What plan knows about the local file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct LocalFile {
    /// sha256 of the bytes, 64 lowercase hex digits.
    pub(super) sha256: String,
    /// Size in bytes.
    pub(super) size: u64,
    /// The file name without its directory.
    pub(super) file_name: String,
}

/// The file name of `source`, or why there is none.
pub(super) fn file_name(source: &str) -> Result<String, String> {
    Path::new(source)
        .file_name()
        .and_then(|name| name.to_str())
        .map(str::to_owned)
        .ok_or_else(|| format!("{source:?} does not name a file"))
}

/// The header UploadLibrary gets for `source` into `directory`; the
/// service checks it the same way.
pub(super) fn header(
    directory: &str,
    file_name: &str,
    local: Option<&LocalFile>,
) -> pb::UploadLibraryHeader {
    pb::UploadLibraryHeader {
        destination: directory.to_owned(),
        file_name: file_name.to_owned(),
        overwrite: false,
        versioned: true,
        expected_sha256: local.map(|local| local.sha256.clone()).unwrap_or_default(),
        expected_size: local.map_or(0, |local| local.size),
    }
}

/// The problems UploadLibrary would refuse `header` for (field names are
/// the header's: `destination`, `file_name`).
pub(super) fn violations(header: &pb::UploadLibraryHeader) -> Vec<FieldViolation> {
    convert::upload_header(header)
        .err()
        .map(|invalid| invalid.violations)
        .unwrap_or_default()
}

/// The path UploadLibrary stores `local` under in `directory`.
pub(super) fn versioned_path(
    directory: &str,
    local: &LocalFile,
) -> Result<String, Vec<FieldViolation>> {
    let checked = convert::upload_header(&header(directory, &local.file_name, Some(local)))
        .map_err(|invalid| invalid.violations)?;
    Ok(checked
        .directory
        .join(&convert::versioned_name(&local.file_name, &local.sha256)))
}

/// Reads `source` through once: its sha256 and size.
pub(super) async fn inspect(source: &str) -> std::io::Result<LocalFile> {
    let file_name = file_name(source).map_err(std::io::Error::other)?;
    let mut file = tokio::fs::File::open(source).await?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0; READ_BUFFER];
    let mut size = 0u64;
    loop {
        let read = file.read(&mut buffer).await?;
        if read == 0 {
            break;
        }
        hasher.update(&buffer[..read]);
        size += read as u64;
    }
    Ok(LocalFile {
        sha256: hex::encode(hasher.finalize()),
        size,
        file_name,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_plan_time_path_is_the_upload_rule() {
        let dir = tempfile::tempdir().unwrap();
        let source = dir.path().join("etl-1.4.0.jar");
        std::fs::write(&source, b"jar bytes").unwrap();
        let local = inspect(source.to_str().unwrap()).await.unwrap();
        assert_eq!(local.size, 9);
        assert_eq!(local.sha256, hex::encode(Sha256::digest(b"jar bytes")));
        let path = versioned_path("/Volumes/main/default/libs/", &local).unwrap();
        assert_eq!(
            path,
            format!(
                "/Volumes/main/default/libs/etl-1.4.0-{}.jar",
                &local.sha256[..12]
            )
        );
        let bad = versioned_path("/tmp/libs", &local).unwrap_err();
        assert_eq!(bad[0].field, "header.destination");
    }
}
