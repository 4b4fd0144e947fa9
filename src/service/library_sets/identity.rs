//! What makes two library specifications "the same library" for a
//! declarative apply: identity, not spelling. Two versions of one package
//! share an identity, so a desired version replaces an installed one.
//!
//! - PyPI: the project name normalised as PEP 503 says (lowercase, every run
//!   of `-`, `_`, `.` → `-`), version specifier, extras and markers stripped.
//! - Maven: `group:artifact`, the version dropped.
//! - CRAN: the package name.
//! - jar: the file name without directory, extension, the versioned hash
//!   (`-<12 hex>` before the extension, as UploadLibrary writes it) and the
//!   version (from the first `-` field that starts with a digit and holds a
//!   `.`): `/Volumes/x/etl-1.4.0-3f2a9c1b7d4e.jar` → `etl`.
//! - whl and egg: the distribution name (the first `-` field of the file
//!   name), normalised like PyPI.
//! - requirements: the whole path.

use std::fmt;

use crate::databricks::models::Library;

/// Length of the versioned hash UploadLibrary puts before the extension.
const HASH_HEX_DIGITS: usize = 12;

/// The identity of a library; equal identities are versions of one library.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Identity {
    /// A PyPI project, normalised.
    Pypi(String),
    /// Maven `group:artifact`.
    Maven(String),
    /// A CRAN package.
    Cran(String),
    /// A jar by its file name without hash and version.
    Jar(String),
    /// A wheel by its normalised distribution name.
    Whl(String),
    /// An egg by its normalised distribution name.
    Egg(String),
    /// A requirements file by its path.
    Requirements(String),
}

// === impl Identity ===

impl Identity {
    /// The identity of `library`.
    pub(crate) fn of(library: &Library) -> Self {
        match library {
            Library::Pypi(pypi) => Self::Pypi(pypi_project(&pypi.package)),
            Library::Maven(maven) => Self::Maven(group_artifact(&maven.coordinates)),
            Library::Cran(cran) => Self::Cran(cran.package.clone()),
            Library::Jar(uri) => Self::Jar(jar_name(uri)),
            Library::Whl(uri) => Self::Whl(distribution_name(uri)),
            Library::Egg(uri) => Self::Egg(distribution_name(uri)),
            Library::Requirements(path) => Self::Requirements(path.clone()),
        }
    }
}

impl fmt::Display for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (kind, name) = match self {
            Self::Pypi(name) => ("pypi", name),
            Self::Maven(name) => ("maven", name),
            Self::Cran(name) => ("cran", name),
            Self::Jar(name) => ("jar", name),
            Self::Whl(name) => ("whl", name),
            Self::Egg(name) => ("egg", name),
            Self::Requirements(path) => ("requirements", path),
        };
        write!(f, "{kind} {name}")
    }
}

/// PEP 503 normalisation: lowercase, runs of `-`, `_`, `.` become one `-`.
pub(crate) fn normalise(name: &str) -> String {
    let mut normalised = String::with_capacity(name.len());
    let mut in_run = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !in_run {
                normalised.push('-');
            }
            in_run = true;
        } else {
            normalised.extend(c.to_lowercase());
            in_run = false;
        }
    }
    normalised
}

/// The project name of a pip requirement such as `Pandas[sql]>=2.0; python_version>"3"`.
fn pypi_project(requirement: &str) -> String {
    let end = requirement
        .find(|c: char| !(c.is_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .unwrap_or(requirement.len());
    normalise(requirement[..end].trim())
}

/// `group:artifact` of `group:artifact:version` (or of anything longer).
fn group_artifact(coordinates: &str) -> String {
    let mut parts = coordinates.splitn(3, ':');
    match (parts.next(), parts.next()) {
        (Some(group), Some(artifact)) => format!("{group}:{artifact}"),
        _ => coordinates.to_owned(),
    }
}

/// The file name of a path or URI, without directory.
fn file_name(uri: &str) -> &str {
    uri.rsplit('/').next().unwrap_or(uri)
}

/// `stem` without a trailing `-<12 lowercase hex digits>`.
fn without_hash(stem: &str) -> &str {
    match stem.rsplit_once('-') {
        Some((rest, hash))
            if hash.len() == HASH_HEX_DIGITS
                && hash.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) =>
        {
            rest
        }
        _ => stem,
    }
}

/// The jar's name: `etl-1.4.0-3f2a9c1b7d4e.jar` → `etl`.
fn jar_name(uri: &str) -> String {
    let name = file_name(uri);
    let stem = name
        .rsplit_once('.')
        .filter(|(_, extension)| extension.eq_ignore_ascii_case("jar"))
        .map_or(name, |(stem, _)| stem);
    let stem = without_hash(stem);
    let mut kept = Vec::new();
    for (index, field) in stem.split('-').enumerate() {
        if index > 0 && is_version(field) {
            break;
        }
        kept.push(field);
    }
    kept.join("-")
}

/// A version field: starts with a digit (or `v` and a digit) and has a dot.
fn is_version(field: &str) -> bool {
    let digits = field.strip_prefix(['v', 'V']).unwrap_or(field);
    digits.starts_with(|c: char| c.is_ascii_digit()) && digits.contains('.')
}

/// A wheel's or egg's distribution name: the first `-` field, normalised.
fn distribution_name(uri: &str) -> String {
    let name = file_name(uri);
    let first = name.split('-').next().unwrap_or(name);
    // A name with no `-` at all still carries its extension.
    let first = first
        .strip_suffix(".whl")
        .or_else(|| first.strip_suffix(".egg"))
        .unwrap_or(first);
    normalise(first)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::databricks::models::{CranLibrary, MavenLibrary, PyPiLibrary};

    fn pypi(package: &str) -> Identity {
        Identity::of(&Library::Pypi(PyPiLibrary {
            package: package.to_owned(),
            repo: None,
        }))
    }

    fn maven(coordinates: &str) -> Identity {
        Identity::of(&Library::Maven(MavenLibrary {
            coordinates: coordinates.to_owned(),
            repo: None,
            exclusions: Vec::new(),
        }))
    }

    fn jar(uri: &str) -> Identity {
        Identity::of(&Library::Jar(uri.to_owned()))
    }

    fn whl(uri: &str) -> Identity {
        Identity::of(&Library::Whl(uri.to_owned()))
    }

    #[test]
    fn pypi_names_are_normalised_and_specifiers_dropped() {
        for spelling in [
            "simplejson",
            "SimpleJSON==3.8.0",
            "simplejson>=3,<4",
            "simplejson ~= 3.8",
            "simplejson[speedups]==3.8.0",
            "simplejson; python_version > '3.8'",
        ] {
            assert_eq!(
                pypi(spelling),
                Identity::Pypi("simplejson".into()),
                "{spelling}"
            );
        }
        assert_eq!(pypi("Friendly_Bard"), pypi("friendly-bard"));
        assert_eq!(
            pypi("friendly.._-bard==1"),
            Identity::Pypi("friendly-bard".into())
        );
        assert_ne!(pypi("pandas"), pypi("pandas-stubs"));
    }

    #[test]
    fn maven_identity_is_group_and_artifact() {
        assert_eq!(
            maven("org.jsoup:jsoup:1.7.2"),
            maven("org.jsoup:jsoup:1.15.3")
        );
        assert_eq!(
            maven("org.jsoup:jsoup:1.7.2"),
            Identity::Maven("org.jsoup:jsoup".into())
        );
        assert_ne!(
            maven("org.jsoup:jsoup:1.7.2"),
            maven("org.other:jsoup:1.7.2")
        );
    }

    #[test]
    fn cran_identity_is_the_package() {
        let cran = |package: &str| {
            Identity::of(&Library::Cran(CranLibrary {
                package: package.to_owned(),
                repo: None,
            }))
        };
        assert_eq!(cran("ada"), Identity::Cran("ada".into()));
        assert_ne!(cran("ada"), cran("ggplot2"));
    }

    #[test]
    fn jars_lose_directory_hash_and_version() {
        for uri in [
            "/Volumes/main/default/libs/etl-1.0.0-aaaaaaaaaaaa.jar",
            "/Volumes/main/default/libs/etl-1.4.0-3f2a9c1b7d4e.jar",
            "/Workspace/Shared/etl-1.4.0.jar",
            "s3://bucket/jars/etl-2.0.0-SNAPSHOT.jar",
            "dbfs:/FileStore/jars/etl.jar",
            "etl-v3.1.jar",
        ] {
            assert_eq!(jar(uri), Identity::Jar("etl".into()), "{uri}");
        }
        assert_eq!(
            jar("/x/spark-xml_2.12-0.14.0.jar"),
            Identity::Jar("spark-xml_2.12".into())
        );
        // Fields without a dot are part of the name, so numbered libraries stay apart.
        assert_ne!(jar("/x/lib-001-1.0.0.jar"), jar("/x/lib-002-1.0.0.jar"));
        // Twelve characters that are not all lowercase hex are no hash.
        assert_eq!(
            jar("/x/etl-SNAPSHOTSNAPS.jar"),
            Identity::Jar("etl-SNAPSHOTSNAPS".into())
        );
    }

    #[test]
    fn wheels_are_their_normalised_distribution_name() {
        for uri in [
            "/Volumes/main/default/libs/my_pkg-1.0.0-py3-none-any.whl",
            "/Volumes/main/default/libs/my_pkg-1.1.0-py3-none-any-3f2a9c1b7d4e.whl",
            "/Workspace/w/My.Pkg-2.0-1-cp311-cp311-manylinux_x86_64.whl",
            "/Workspace/w/my_pkg.whl",
        ] {
            assert_eq!(whl(uri), Identity::Whl("my-pkg".into()), "{uri}");
        }
        assert_eq!(
            Identity::of(&Library::Egg("/x/Old_Thing-0.1-py2.7.egg".into())),
            Identity::Egg("old-thing".into())
        );
    }

    #[test]
    fn kinds_never_share_an_identity() {
        assert_ne!(jar("/x/etl-1.0.jar"), whl("/x/etl-1.0-py3-none-any.whl"));
        assert_ne!(pypi("etl"), whl("/x/etl-1.0-py3-none-any.whl"));
        let requirements = |path: &str| Identity::of(&Library::Requirements(path.to_owned()));
        assert_eq!(
            requirements("/Workspace/a/requirements.txt"),
            Identity::Requirements("/Workspace/a/requirements.txt".into())
        );
        assert_ne!(
            requirements("/Workspace/a/requirements.txt"),
            requirements("/Workspace/b/requirements.txt")
        );
    }
}
