//! Inbound: validated conversion of Install/Uninstall requests to REST models.

use super::{
    InvalidRequest, Violations,
    limits::{MAX_NAME_BYTES, MAX_PATH_BYTES},
};
use crate::{
    databricks::models::{CranLibrary, LibrariesRequest, Library, MavenLibrary, PyPiLibrary},
    proto::compute::{self as pb, library::Kind},
};

/// Checks a `cluster_id` field on its own.
pub fn cluster_id(value: &str) -> Result<String, InvalidRequest> {
    let mut violations = Violations::default();
    violations.check_id("cluster_id", value);
    violations.finish(value.to_owned())
}

/// Validates an Install/Uninstall request and converts it to the REST body.
pub fn libraries_request(
    cluster_id: &str,
    libraries: &[pb::Library],
) -> Result<LibrariesRequest, InvalidRequest> {
    let mut violations = Violations::default();
    violations.check_id("cluster_id", cluster_id);
    if libraries.is_empty() {
        violations.add("libraries", "must list at least one library");
    }
    let libraries = libraries
        .iter()
        .enumerate()
        .filter_map(|(index, library)| {
            library_in(&mut violations, &format!("libraries[{index}]"), library)
        })
        .collect();
    violations.finish(LibrariesRequest {
        cluster_id: cluster_id.to_owned(),
        libraries,
    })
}

/// Validates one library at field path `at`; `None` after adding violations.
pub(super) fn library_in(
    violations: &mut Violations,
    at: &str,
    library: &pb::Library,
) -> Option<Library> {
    let Some(kind) = &library.kind else {
        violations.add(
            at,
            "must set one kind: jar, egg, whl, requirements, pypi, maven or cran",
        );
        return None;
    };
    let converted = match kind {
        Kind::Jar(uri) => Library::Jar(path(violations, &format!("{at}.jar"), uri)?),
        Kind::Egg(uri) => Library::Egg(path(violations, &format!("{at}.egg"), uri)?),
        Kind::Whl(uri) => Library::Whl(path(violations, &format!("{at}.whl"), uri)?),
        Kind::Requirements(file) => {
            Library::Requirements(path(violations, &format!("{at}.requirements"), file)?)
        }
        Kind::Pypi(pypi) => Library::Pypi(PyPiLibrary {
            package: name(violations, &format!("{at}.pypi.package"), &pypi.package)?,
            repo: repo(violations, &format!("{at}.pypi.repo"), &pypi.repo)?,
        }),
        Kind::Maven(maven) => Library::Maven(maven_in(violations, &format!("{at}.maven"), maven)?),
        Kind::Cran(cran) => Library::Cran(CranLibrary {
            package: name(violations, &format!("{at}.cran.package"), &cran.package)?,
            repo: repo(violations, &format!("{at}.cran.repo"), &cran.repo)?,
        }),
    };
    Some(converted)
}

fn maven_in(
    violations: &mut Violations,
    at: &str,
    maven: &pb::MavenLibrary,
) -> Option<MavenLibrary> {
    let field = format!("{at}.coordinates");
    let coordinates = name(violations, &field, &maven.coordinates)?;
    let mut valid = true;
    if !is_coordinates(&coordinates, 3) {
        violations.add(
            &field,
            "must be Maven coordinates group:artifact:version, e.g. org.jsoup:jsoup:1.7.2",
        );
        valid = false;
    }
    for (index, exclusion) in maven.exclusions.iter().enumerate() {
        let field = format!("{at}.exclusions[{index}]");
        if !violations.check_length(&field, exclusion, MAX_NAME_BYTES) {
            valid = false;
        } else if !is_coordinates(exclusion, 2) {
            violations.add(field, "must be group:artifact, e.g. slf4j:slf4j");
            valid = false;
        }
    }
    let repo = repo(violations, &format!("{at}.repo"), &maven.repo)?;
    valid.then(|| MavenLibrary {
        coordinates,
        repo,
        exclusions: maven.exclusions.clone(),
    })
}

/// `parts` non-empty, space-free parts separated by `:`.
fn is_coordinates(value: &str, parts: usize) -> bool {
    let split: Vec<&str> = value.split(':').collect();
    split.len() == parts
        && split
            .iter()
            .all(|part| !part.is_empty() && !part.contains(char::is_whitespace))
}

/// A library path or URL: required, at most [`MAX_PATH_BYTES`].
fn path(violations: &mut Violations, field: &str, value: &str) -> Option<String> {
    required(violations, field, value, MAX_PATH_BYTES)
}

/// A package spec or coordinate: required, at most [`MAX_NAME_BYTES`].
fn name(violations: &mut Violations, field: &str, value: &str) -> Option<String> {
    required(violations, field, value, MAX_NAME_BYTES)
}

fn required(violations: &mut Violations, field: &str, value: &str, limit: usize) -> Option<String> {
    if !violations.check_length(field, value, limit) {
        return None;
    }
    let trimmed = value.trim();
    if trimmed.is_empty() {
        violations.add(field, "must not be empty");
        return None;
    }
    if trimmed != value {
        violations.add(field, "must not start or end with spaces");
        return None;
    }
    Some(value.to_owned())
}

/// An optional repository URL: empty means the default.
fn repo(violations: &mut Violations, field: &str, value: &str) -> Option<Option<String>> {
    if value.is_empty() {
        return Some(None);
    }
    if !violations.check_length(field, value, MAX_PATH_BYTES) {
        return None;
    }
    match reqwest::Url::parse(value) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host_str().is_some() => {
            Some(Some(value.to_owned()))
        }
        _ => {
            violations.add(
                field,
                "must be an http(s) URL or empty for the default repository",
            );
            None
        }
    }
}

#[cfg(test)]
mod tests;
