//! Outbound: versioned file names, the Library an uploaded file makes, and
//! directory entries of the three file stores as `LibraryFile`s.

use crate::{
    databricks::models::{DbfsFileInfo, DirectoryEntry, WorkspaceObject},
    proto::compute::{self as pb, library::Kind},
};

/// Hex digits of the content hash a versioned name carries.
pub const VERSION_HASH_DIGITS: usize = 12;

/// `file_name` with the first 12 hex digits of `sha256_hex` before its
/// extension: `etl-1.4.0.jar` → `etl-1.4.0-3f2a9c1b7d4e.jar`; a name
/// without an extension gets the hash at its end.
pub fn versioned_name(file_name: &str, sha256_hex: &str) -> String {
    let hash = sha256_hex.get(..VERSION_HASH_DIGITS).unwrap_or(sha256_hex);
    match file_name.rsplit_once('.') {
        Some((stem, extension)) if !stem.is_empty() => format!("{stem}-{hash}.{extension}"),
        _ => format!("{file_name}-{hash}"),
    }
}

/// The library a file at `path` named `file_name` installs as: jar, whl or
/// egg by extension, requirements for `requirements*.txt`; none otherwise.
pub fn library_for(file_name: &str, path: &str) -> Option<pb::Library> {
    let lower = file_name.to_ascii_lowercase();
    let path = path.to_owned();
    let kind = if lower.ends_with(".jar") {
        Kind::Jar(path)
    } else if lower.ends_with(".whl") {
        Kind::Whl(path)
    } else if lower.ends_with(".egg") {
        Kind::Egg(path)
    } else if lower.starts_with("requirements") && lower.ends_with(".txt") {
        Kind::Requirements(path)
    } else {
        return None;
    };
    Some(pb::Library { kind: Some(kind) })
}

/// A Files API directory entry.
pub fn volume_entry(entry: DirectoryEntry) -> pb::LibraryFile {
    let name = if entry.name.is_empty() {
        last_segment(&entry.path)
    } else {
        entry.name
    };
    pb::LibraryFile {
        name,
        path: entry.path,
        is_directory: entry.is_directory,
        size: entry.file_size.unwrap_or(0),
        last_modified: entry.last_modified.unwrap_or(0),
    }
}

/// A workspace object.
pub fn workspace_entry(object: WorkspaceObject) -> pb::LibraryFile {
    pb::LibraryFile {
        name: last_segment(&object.path),
        is_directory: matches!(object.object_type.as_str(), "DIRECTORY" | "REPO"),
        size: object.size.unwrap_or(0),
        last_modified: object.modified_at.unwrap_or(0),
        path: object.path,
    }
}

/// A DBFS entry; its path is given the `dbfs:` scheme, as uploads return it.
pub fn dbfs_entry(info: DbfsFileInfo) -> pb::LibraryFile {
    let path = if info.path.starts_with("dbfs:") {
        info.path
    } else {
        format!("dbfs:{}", info.path)
    };
    pb::LibraryFile {
        name: last_segment(&path),
        is_directory: info.is_dir,
        size: info.file_size,
        last_modified: info.modification_time,
        path,
    }
}

fn last_segment(path: &str) -> String {
    let trimmed = path.trim_end_matches('/');
    trimmed.rsplit('/').next().unwrap_or(trimmed).to_owned()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    const HASH: &str = "3f2a9c1b7d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8";

    #[test]
    fn versioned_names_put_the_hash_before_the_extension() {
        assert_eq!(
            versioned_name("etl-1.4.0.jar", HASH),
            "etl-1.4.0-3f2a9c1b7d4e.jar"
        );
        assert_eq!(
            versioned_name("pkg-1.0-py3-none-any.whl", HASH),
            "pkg-1.0-py3-none-any-3f2a9c1b7d4e.whl"
        );
        assert_eq!(versioned_name("LICENSE", HASH), "LICENSE-3f2a9c1b7d4e");
        assert_eq!(versioned_name(".hidden", HASH), ".hidden-3f2a9c1b7d4e");
    }

    #[test]
    fn libraries_by_extension() {
        let kind = |name: &str| library_for(name, "/p").and_then(|library| library.kind);
        assert_eq!(kind("a.jar"), Some(Kind::Jar("/p".into())));
        assert_eq!(kind("a.WHL"), Some(Kind::Whl("/p".into())));
        assert_eq!(kind("a.egg"), Some(Kind::Egg("/p".into())));
        assert_eq!(
            kind("requirements-dev.txt"),
            Some(Kind::Requirements("/p".into()))
        );
        assert_eq!(kind("notes.txt"), None);
        assert_eq!(kind("a.zip"), None);
    }

    #[test]
    fn dbfs_entries_get_the_scheme() {
        let entry = dbfs_entry(DbfsFileInfo {
            path: "/libs/a.jar".into(),
            is_dir: false,
            file_size: 3,
            modification_time: 7,
        });
        assert_eq!(entry.path, "dbfs:/libs/a.jar");
        assert_eq!(entry.name, "a.jar");
    }
}
