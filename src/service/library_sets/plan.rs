//! The planner of a declarative apply: from the desired set, the set the
//! caller applied before and what the cluster reports, which libraries to
//! install and uninstall, which stay, which belong to someone else, and
//! whether a restart is needed. Pure: no I/O.
//!
//! Ownership is by [`Identity`]: the caller owns every identity in `desired`
//! or `previous`. Everything else on the cluster, and every library for all
//! clusters, is foreign and never changed.

use std::collections::BTreeSet;

use super::identity::Identity;
use crate::databricks::models::{Library, LibraryFullStatus, ReportedLibrary};

/// The status of a library marked for removal but still loaded.
pub(crate) const UNINSTALL_ON_RESTART: &str = "UNINSTALL_ON_RESTART";

/// What an apply does to one cluster.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Plan {
    /// Desired libraries to request (`libraries/install`).
    pub(crate) install: Vec<Library>,
    /// Owned libraries to remove (`libraries/uninstall`): those in `previous`
    /// but not desired, and versions replaced by a desired library.
    pub(crate) uninstall: Vec<Library>,
    /// Desired libraries already requested on the cluster.
    pub(crate) unchanged: Vec<Library>,
    /// Libraries on the cluster this apply leaves alone: not owned by the
    /// caller, or installed for all clusters.
    pub(crate) foreign: Vec<LibraryFullStatus>,
    /// True when the cluster must restart for the loaded libraries to match
    /// the desired set: something is uninstalled or replaced, or an owned
    /// library marked UNINSTALL_ON_RESTART is still loaded.
    pub(crate) restart_needed: bool,
}

/// Where the cluster stands, as far as the planner cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Loaded {
    /// The cluster runs (or is coming up): installed libraries are loaded,
    /// and removing one takes a restart.
    Yes,
    /// The cluster is terminated: whatever is marked for removal goes at the
    /// next start, so nothing needs a restart.
    No,
}

// === impl Plan ===

impl Plan {
    /// True when the plan makes no install or uninstall call.
    pub(crate) fn changes_nothing(&self) -> bool {
        self.install.is_empty() && self.uninstall.is_empty()
    }
}

/// Plans an apply. `desired` holds at most one library per identity (the
/// caller validates that); `installed` is the cluster's `library_statuses`.
pub(crate) fn plan(
    desired: &[Library],
    previous: &[Library],
    installed: &[LibraryFullStatus],
    loaded: Loaded,
) -> Plan {
    let owned: BTreeSet<Identity> = desired.iter().chain(previous).map(Identity::of).collect();
    let mut plan = Plan::default();
    let mut still_loaded = false;
    for status in installed {
        let library = match &status.library {
            ReportedLibrary::Known(library) if !status.is_library_for_all_clusters => library,
            _ => {
                plan.foreign.push(status.clone());
                continue;
            }
        };
        if !owned.contains(&Identity::of(library)) {
            plan.foreign.push(status.clone());
        } else if desired.contains(library) {
            // Kept or re-requested below, by the desired loop.
        } else if status.status == UNINSTALL_ON_RESTART {
            still_loaded = true;
        } else if !plan.uninstall.contains(library) {
            plan.uninstall.push(library.clone());
        }
    }
    for library in desired {
        let mut requested = own_entries(installed, library);
        if requested.any(|status| status.status != UNINSTALL_ON_RESTART) {
            plan.unchanged.push(library.clone());
        } else {
            // Marked for removal but still loaded: requesting it again only
            // takes effect cleanly after a restart.
            still_loaded |= own_entries(installed, library).next().is_some();
            plan.install.push(library.clone());
        }
    }
    plan.restart_needed = loaded == Loaded::Yes && (still_loaded || !plan.uninstall.is_empty());
    plan
}

/// The cluster's own (not for-all-clusters) entries of exactly `library`.
fn own_entries<'a>(
    installed: &'a [LibraryFullStatus],
    library: &'a Library,
) -> impl Iterator<Item = &'a LibraryFullStatus> {
    installed.iter().filter(move |status| {
        !status.is_library_for_all_clusters
            && matches!(&status.library, ReportedLibrary::Known(known) if known == library)
    })
}

#[cfg(test)]
mod tests;
