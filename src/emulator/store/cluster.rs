//! One cluster of the store: its libraries, how a step or a (re)start moves
//! them, and how they are reported.

use serde_json::{Map, Value, json};

use crate::emulator::{
    catalogue,
    errors::ErrorResponse,
    library::Library,
    lifecycle::{ClusterState, LibraryStage},
};

/// What a `PENDING` library says while its cluster is not running.
const UNAVAILABLE: &str = "Library status is temporarily unavailable";

/// What the cluster endpoints show of one cluster.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ClusterView {
    /// The cluster id.
    pub(crate) id: String,
    /// The display name.
    pub(crate) name: String,
    /// The current state.
    pub(crate) state: ClusterState,
    /// True when a `clusters/delete` (rather than inactivity) stopped it.
    pub(crate) terminated_by_user: bool,
    /// The attributes set by `create`/`edit`/`resize` (the request's own
    /// JSON); empty for seeded clusters, which show the defaults.
    pub(crate) spec: Map<String, Value>,
    /// `cluster_source`: `UI` for seeded clusters, `API` for created ones.
    pub(crate) source: &'static str,
    /// Set by `clusters/pin`.
    pub(crate) pinned: bool,
}

/// A cluster and its libraries.
#[derive(Debug)]
pub(super) struct Cluster {
    pub(super) view: ClusterView,
    /// Requested libraries in the order added, then those marked
    /// `UNINSTALL_ON_RESTART` in the order marked.
    pub(super) libraries: Vec<Entry>,
    /// `ClusterEvent`s, oldest first.
    pub(super) events: Vec<Value>,
}

/// One requested library.
#[derive(Debug)]
pub(super) struct Entry {
    pub(super) library: Library,
    pub(super) stage: LibraryStage,
    pub(super) messages: Vec<String>,
}

// === impl Cluster ===

impl Cluster {
    pub(super) fn requested_len(&self) -> usize {
        self.libraries
            .iter()
            .position(|entry| entry.stage == LibraryStage::UninstallOnRestart)
            .unwrap_or(self.libraries.len())
    }

    pub(super) fn expect_state(&self, expected: ClusterState) -> Result<(), ErrorResponse> {
        if self.view.state == expected {
            Ok(())
        } else {
            Err(ErrorResponse::unexpected_state(
                &self.view.id,
                self.view.state,
            ))
        }
    }

    /// A (re)start: marked libraries go, the others run their lifecycle again.
    pub(super) fn begin(&mut self, state: ClusterState) {
        self.view.state = state;
        self.view.terminated_by_user = false;
        self.libraries
            .retain_mut(|entry| match entry.stage.on_restart() {
                Some(stage) => {
                    entry.stage = stage;
                    entry.messages.clear();
                    true
                }
                None => false,
            });
    }

    pub(super) fn step(&mut self) -> bool {
        let mut changed = false;
        // Libraries move only on a cluster that was running when the step began.
        if self.view.state == ClusterState::Running {
            for index in 0..self.libraries.len() {
                let mut failure = Vec::new();
                let next = self.libraries[index].stage.step(|| {
                    self.resolve(index)
                        .map_err(|messages| failure = messages)
                        .is_ok()
                });
                let entry = &mut self.libraries[index];
                if next != entry.stage {
                    entry.stage = next;
                    entry.messages = failure;
                    changed = true;
                }
            }
        }
        let next = self.view.state.step();
        changed |= next != self.view.state;
        self.view.state = next;
        changed
    }

    /// Whether library `index` installs; the catalogue decides, then a PyPI
    /// package clashes with another version requested earlier or still loaded.
    fn resolve(&self, index: usize) -> Result<(), Vec<String>> {
        let library = &self.libraries[index].library;
        catalogue::resolve(library, &self.view.id)?;
        let Library::Pypi(pypi) = library else {
            return Ok(());
        };
        let name = catalogue::pypi_name(&pypi.package);
        let clash = self.libraries.iter().enumerate().any(|(other, entry)| {
            other != index
                && entry.stage != LibraryStage::Failed
                && (other < index || entry.stage == LibraryStage::UninstallOnRestart)
                && matches!(&entry.library, Library::Pypi(p) if catalogue::pypi_name(&p.package) == name)
        });
        if clash {
            Err(catalogue::duplicate(&name, &self.view.id))
        } else {
            Ok(())
        }
    }

    /// The cluster's `ClusterLibraryStatuses` body: requested libraries,
    /// then those for all clusters, then those marked for uninstall.
    pub(super) fn statuses(&self, for_all_clusters: &[Library]) -> Value {
        let waiting = self.view.state != ClusterState::Running;
        let status = |entry: &Entry| {
            let mut status = library_status(&entry.library, entry.stage, false);
            if waiting && entry.stage == LibraryStage::Pending {
                status["messages"] = json!([UNAVAILABLE]);
            } else if !entry.messages.is_empty() {
                status["messages"] = json!(entry.messages);
            }
            status
        };
        let for_all = |library| library_status(library, LibraryStage::Skipped, true);
        let (requested, marked) = self.libraries.split_at(self.requested_len());
        let library_statuses: Vec<Value> = requested
            .iter()
            .map(status)
            .chain(for_all_clusters.iter().map(for_all))
            .chain(marked.iter().map(status))
            .collect();
        let mut body = json!({ "cluster_id": self.view.id });
        if !library_statuses.is_empty() {
            body["library_statuses"] = Value::Array(library_statuses);
        }
        body
    }
}

/// One `LibraryFullStatus` without `messages` (absent when there is none).
fn library_status(library: &Library, stage: LibraryStage, for_all_clusters: bool) -> Value {
    json!({
        "library": library.to_json(),
        "status": stage.as_str(),
        "is_library_for_all_clusters": for_all_clusters,
    })
}
