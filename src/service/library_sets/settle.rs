//! ApplyLibraries' `wait`: read the cluster until the libraries of the
//! desired set have settled on a running cluster, sending a message whenever
//! the picture changes. Polls fast after a change and backs off to the
//! service's poll cap; ends at the operation's deadline. A desired library
//! that ends FAILED fails the call with Databricks' messages.

use tonic::Status;

use super::{
    apply::Progress,
    identity::Identity,
    steps::{ClusterRead, Deadline},
};
use crate::{
    convert::SETTLED,
    databricks::models::{Library, LibraryFullStatus, ReportedLibrary},
    service::{DeadlinePassed, Tenant},
};

/// Libraries of the desired set that ended FAILED (FAILED_PRECONDITION: the
/// failure stays until they are uninstalled and the cluster restarts).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("on cluster {cluster_id}, {}", describe(.failures))]
pub(crate) struct LibrariesFailed {
    /// The cluster.
    pub(crate) cluster_id: String,
    /// Each failed library's name and Databricks' messages about it.
    pub(crate) failures: Vec<(String, Vec<String>)>,
}

/// Where the desired set stands in one read.
struct Standing {
    settled: usize,
    total: usize,
    running: bool,
}

// === impl Tenant ===

impl Tenant {
    /// Reads `cluster_id` until every library of `desired` has settled on a
    /// running cluster; returns the last statuses.
    pub(super) async fn settle(
        &self,
        cluster_id: &str,
        desired: &[Library],
        deadline: Deadline,
        progress: &Progress,
    ) -> Result<Vec<LibraryFullStatus>, Status> {
        let mut wait = self.poll.initial;
        let mut last_message = String::new();
        loop {
            let read = self.read_cluster_libraries(cluster_id, deadline).await?;
            let standing = standing(&read, desired);
            if standing.running && standing.settled == standing.total {
                return match failures(&read.statuses, desired) {
                    failures if failures.is_empty() => Ok(read.statuses),
                    failures => Err(LibrariesFailed {
                        cluster_id: cluster_id.to_owned(),
                        failures,
                    }
                    .into()),
                };
            }
            let message = format!(
                "waiting: {} of {} desired libraries settled; cluster {} is {}",
                standing.settled, standing.total, cluster_id, read.cluster.state
            );
            if message != last_message {
                progress.waiting(&message, &read.statuses).await;
                last_message = message;
                wait = self.poll.initial;
            }
            if progress.is_closed() {
                // Nobody is listening: the calls are made, stop reading.
                return Ok(read.statuses);
            }
            if deadline.passed_after(wait) {
                return Err(DeadlinePassed.into());
            }
            tokio::time::sleep(wait).await;
            wait = (wait * 2).min(self.poll.max);
        }
    }
}

fn standing(read: &ClusterRead, desired: &[Library]) -> Standing {
    let settled = desired
        .iter()
        .filter(|library| {
            own_status(&read.statuses, library)
                .is_some_and(|status| SETTLED.contains(&status.status.as_str()))
        })
        .count();
    Standing {
        settled,
        total: desired.len(),
        running: matches!(read.cluster.state.as_str(), "RUNNING" | "RESIZING"),
    }
}

fn failures(statuses: &[LibraryFullStatus], desired: &[Library]) -> Vec<(String, Vec<String>)> {
    desired
        .iter()
        .filter_map(|library| {
            let status = own_status(statuses, library)?;
            (status.status == "FAILED").then(|| {
                (
                    format!("{} ({})", Identity::of(library), spec(library)),
                    status.messages.clone(),
                )
            })
        })
        .collect()
}

/// The cluster's own status entry of exactly `library`.
fn own_status<'a>(
    statuses: &'a [LibraryFullStatus],
    library: &Library,
) -> Option<&'a LibraryFullStatus> {
    statuses.iter().find(|status| {
        !status.is_library_for_all_clusters
            && matches!(&status.library, ReportedLibrary::Known(known) if known == library)
    })
}

/// The library as the caller spelled it: the path, package or coordinates.
fn spec(library: &Library) -> &str {
    match library {
        Library::Jar(uri) | Library::Egg(uri) | Library::Whl(uri) => uri,
        Library::Requirements(path) => path,
        Library::Pypi(pypi) => &pypi.package,
        Library::Maven(maven) => &maven.coordinates,
        Library::Cran(cran) => &cran.package,
    }
}

fn describe(failures: &[(String, Vec<String>)]) -> String {
    let each: Vec<String> = failures
        .iter()
        .map(|(name, messages)| {
            if messages.is_empty() {
                format!("{name} FAILED (no message from Databricks)")
            } else {
                format!("{name} FAILED: {}", messages.join(" | "))
            }
        })
        .collect();
    each.join("; ")
}
