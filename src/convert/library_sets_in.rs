//! Inbound: validated ApplyLibraries and ReplaceLibrary requests. Each
//! library is checked as Install checks it; the field names say where
//! (`libraries[2].pypi.package`, `previous[0].jar`, `library.maven.coordinates`).
//! That a desired set holds one library per identity is checked by the
//! planner's caller, which knows identities.

use super::{InvalidRequest, Violations, libraries_in::library_in};
use crate::{
    databricks::models::Library,
    proto::compute::{self as pb, RestartPolicy},
};

/// Most libraries in one desired or previous set.
pub const MAX_LIBRARY_SET: usize = 1000;
/// Most clusters one ReplaceLibrary may name.
pub const MAX_REPLACE_CLUSTERS: usize = 1000;

/// Whether the cluster may be restarted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Restart {
    /// Never; report `restart_required` instead (also when unset).
    Never,
    /// Once, after the library calls, when the change needs it.
    IfNeeded,
}

/// A valid ApplyLibraries request.
#[derive(Debug, Clone, PartialEq)]
pub struct ApplyLibraries {
    /// The cluster.
    pub cluster_id: String,
    /// The desired set.
    pub libraries: Vec<Library>,
    /// The set the caller applied before.
    pub previous: Vec<Library>,
    /// The restart policy.
    pub restart: Restart,
    /// Start a terminated cluster.
    pub start_cluster: bool,
    /// Wait for the touched libraries to settle.
    pub wait: bool,
}

/// Which clusters a ReplaceLibrary changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplaceTargets {
    /// These clusters, in the caller's order, without repeats.
    Listed(Vec<String>),
    /// Every cluster with the library's identity installed.
    AllClusters,
}

/// A valid ReplaceLibrary request.
#[derive(Debug, Clone, PartialEq)]
pub struct ReplaceLibrary {
    /// The new version.
    pub library: Library,
    /// Where.
    pub targets: ReplaceTargets,
    /// The restart policy.
    pub restart: Restart,
    /// Plans only, no calls.
    pub dry_run: bool,
}

/// Validates an ApplyLibraries request.
pub fn apply_libraries(
    request: &pb::ApplyLibrariesRequest,
) -> Result<ApplyLibraries, InvalidRequest> {
    let mut violations = Violations::default();
    violations.check_id("cluster_id", &request.cluster_id);
    let libraries = library_set(&mut violations, "libraries", &request.libraries);
    let previous = library_set(&mut violations, "previous", &request.previous);
    let restart = restart(&mut violations, request.restart);
    violations.finish(ApplyLibraries {
        cluster_id: request.cluster_id.clone(),
        libraries,
        previous,
        restart,
        start_cluster: request.start_cluster,
        wait: request.wait,
    })
}

/// Validates a ReplaceLibrary request.
pub fn replace_library(
    request: &pb::ReplaceLibraryRequest,
) -> Result<ReplaceLibrary, InvalidRequest> {
    let mut violations = Violations::default();
    let library = match &request.library {
        Some(library) => library_in(&mut violations, "library", library),
        None => {
            violations.add("library", "is required: the new version to install");
            None
        }
    };
    let targets = targets(&mut violations, request);
    let restart = restart(&mut violations, request.restart);
    let (library, targets, restart) = violations.finish((library, targets, restart))?;
    // A library that failed its checks left a violation, so `None` is only
    // reached when a check forgot to say why.
    let library = library.ok_or_else(|| InvalidRequest::field("library", "is not valid"))?;
    Ok(ReplaceLibrary {
        library,
        targets,
        restart,
        dry_run: request.dry_run,
    })
}

fn library_set(
    violations: &mut Violations,
    field: &str,
    libraries: &[pb::Library],
) -> Vec<Library> {
    if libraries.len() > MAX_LIBRARY_SET {
        violations.add(
            field,
            format!(
                "must list at most {MAX_LIBRARY_SET} libraries (got {})",
                libraries.len()
            ),
        );
        return Vec::new();
    }
    libraries
        .iter()
        .enumerate()
        .filter_map(|(index, library)| {
            library_in(violations, &format!("{field}[{index}]"), library)
        })
        .collect()
}

fn targets(violations: &mut Violations, request: &pb::ReplaceLibraryRequest) -> ReplaceTargets {
    if request.all_clusters {
        if !request.cluster_ids.is_empty() {
            violations.add(
                "all_clusters",
                "must not be set together with cluster_ids: choose one",
            );
        }
        return ReplaceTargets::AllClusters;
    }
    if request.cluster_ids.is_empty() {
        violations.add(
            "cluster_ids",
            "must list at least one cluster, or set all_clusters",
        );
    } else if request.cluster_ids.len() > MAX_REPLACE_CLUSTERS {
        violations.add(
            "cluster_ids",
            format!(
                "must list at most {MAX_REPLACE_CLUSTERS} clusters (got {})",
                request.cluster_ids.len()
            ),
        );
        return ReplaceTargets::Listed(Vec::new());
    }
    let mut listed: Vec<String> = Vec::new();
    for (index, cluster_id) in request.cluster_ids.iter().enumerate() {
        let field = format!("cluster_ids[{index}]");
        violations.check_id(&field, cluster_id);
        if listed.contains(cluster_id) {
            violations.add(field, "repeats a cluster listed before");
        } else {
            listed.push(cluster_id.clone());
        }
    }
    ReplaceTargets::Listed(listed)
}

fn restart(violations: &mut Violations, value: i32) -> Restart {
    match RestartPolicy::try_from(value) {
        Ok(RestartPolicy::Unspecified | RestartPolicy::Never) => Restart::Never,
        Ok(RestartPolicy::IfNeeded) => Restart::IfNeeded,
        Err(_) => {
            violations.add(
                "restart",
                format!("must be RESTART_POLICY_NEVER or RESTART_POLICY_IF_NEEDED (got {value})"),
            );
            Restart::Never
        }
    }
}

#[cfg(test)]
mod tests;
