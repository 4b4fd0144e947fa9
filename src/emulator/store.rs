//! The emulated workspace: clusters, the libraries requested for each, and
//! the operations the handlers apply to them. Time is not in here: the
//! owner calls [`Store::step`] whenever its pace says a step is due.

use std::collections::{BTreeMap, HashMap};

use serde_json::{Value, json};

pub(crate) use self::cluster::ClusterView;
use self::cluster::{Cluster, Entry};
use super::{
    RUNNING_CLUSTER_ID, TERMINATED_CLUSTER_ID,
    errors::ErrorResponse,
    library::{FileKind, Library},
    lifecycle::{ClusterState, LibraryStage},
};

mod cluster;
mod cluster_ops;

pub(crate) use self::cluster_ops::ListFilter;

/// The library every cluster reports as installed "for all clusters".
pub(crate) const LEGACY_LIBRARY: &str = "/Workspace/Shared/jars/legacy-1.0.jar";

/// Every cluster and library of the emulated workspace.
#[derive(Debug)]
pub(crate) struct Store {
    clusters: BTreeMap<String, Cluster>,
    for_all_clusters: Vec<Library>,
    /// True when the last step changed nothing and nothing changed since,
    /// so further steps can be skipped without a scan.
    settled: bool,
    workspace_clusters: usize,
    /// Clusters made by `create` and by [`Store::seed_clusters`], for ids.
    created_clusters: usize,
    /// `idempotency_token` → the cluster its first `create` made.
    idempotency: HashMap<String, String>,
    /// Events recorded so far, for their (deterministic) timestamps.
    events_recorded: u64,
}

// === impl Store ===

impl Store {
    /// The two seeded clusters and the one library for all clusters.
    pub(crate) fn seeded() -> Self {
        let mut store = Self {
            clusters: BTreeMap::new(),
            for_all_clusters: vec![Library::File(FileKind::Jar, LEGACY_LIBRARY.to_owned())],
            settled: true,
            workspace_clusters: 0,
            created_clusters: 0,
            idempotency: HashMap::new(),
            events_recorded: 0,
        };
        store.add_cluster(
            RUNNING_CLUSTER_ID,
            "emulator-running",
            ClusterState::Running,
            Vec::new(),
        );
        store.add_cluster(
            TERMINATED_CLUSTER_ID,
            "emulator-terminated",
            ClusterState::Terminated,
            Vec::new(),
        );
        store
    }

    fn add_cluster(&mut self, id: &str, name: &str, state: ClusterState, libraries: Vec<Entry>) {
        let view = ClusterView {
            id: id.to_owned(),
            name: name.to_owned(),
            state,
            terminated_by_user: false,
            spec: serde_json::Map::new(),
            source: "UI",
            pinned: false,
        };
        let cluster = Cluster {
            view,
            libraries,
            events: Vec::new(),
        };
        self.clusters.insert(id.to_owned(), cluster);
    }

    /// Adds `clusters` running clusters, each with `libraries_per_cluster`
    /// installed libraries. Ids continue from earlier calls and sort after
    /// the seeded clusters.
    pub(crate) fn seed_workspace(&mut self, clusters: usize, libraries_per_cluster: usize) {
        for _ in 0..clusters {
            self.workspace_clusters += 1;
            let number = self.workspace_clusters;
            let libraries = (0..libraries_per_cluster)
                .map(|index| Entry {
                    library: if index % 2 == 0 {
                        let wheel = format!(
                            "/Volumes/main/default/wheels/pkg_{index:03}-1.0.0-py3-none-any.whl"
                        );
                        Library::File(FileKind::Whl, wheel)
                    } else {
                        let jar = format!("/Volumes/main/default/jars/lib-{index:03}-1.0.0.jar");
                        Library::File(FileKind::Jar, jar)
                    },
                    stage: LibraryStage::Installed,
                    messages: Vec::new(),
                })
                .collect();
            let id = format!("0202-000000-w{number:07}");
            self.add_cluster(
                &id,
                &format!("emulator-workspace-{number:04}"),
                ClusterState::Running,
                libraries,
            );
        }
    }

    /// Moves every cluster transition and library stage one step on;
    /// returns whether anything changed.
    pub(crate) fn step(&mut self) -> bool {
        if self.settled {
            return false;
        }
        let mut changed = false;
        let mut arrived = Vec::new();
        for cluster in self.clusters.values_mut() {
            let before = cluster.view.state;
            changed |= cluster.step();
            if cluster.view.state != before {
                arrived.push((cluster.view.id.clone(), before, cluster.view.state));
            }
        }
        for (cluster_id, before, after) in arrived {
            self.record_arrival(&cluster_id, before, after);
        }
        self.settled = !changed;
        changed
    }

    fn cluster_mut(&mut self, cluster_id: &str) -> Result<&mut Cluster, ErrorResponse> {
        self.settled = false;
        self.clusters
            .get_mut(cluster_id)
            .ok_or_else(|| ErrorResponse::no_such_cluster(cluster_id))
    }

    /// `libraries/install`: new specs start `PENDING`; identical specs are a
    /// no-op, except that one marked for uninstall is requested again.
    pub(crate) fn install(
        &mut self,
        cluster_id: &str,
        libraries: Vec<Library>,
    ) -> Result<(), ErrorResponse> {
        let cluster = self.cluster_mut(cluster_id)?;
        for library in libraries {
            match cluster
                .libraries
                .iter()
                .position(|entry| entry.library == library)
            {
                Some(index)
                    if cluster.libraries[index].stage == LibraryStage::UninstallOnRestart =>
                {
                    cluster.libraries.remove(index);
                }
                Some(_) => continue,
                None => {}
            }
            let entry = Entry {
                library,
                stage: LibraryStage::Pending,
                messages: Vec::new(),
            };
            let at = cluster.requested_len();
            cluster.libraries.insert(at, entry);
        }
        Ok(())
    }

    /// `libraries/uninstall`: matching specs become `UNINSTALL_ON_RESTART`
    /// and move to the end; the rest is ignored. An empty list fails with
    /// the historic 500.
    pub(crate) fn uninstall(
        &mut self,
        cluster_id: &str,
        libraries: Vec<Library>,
    ) -> Result<(), ErrorResponse> {
        let cluster = self.cluster_mut(cluster_id)?;
        if libraries.is_empty() {
            return Err(ErrorResponse::unexpected());
        }
        for library in libraries {
            let requested = &cluster.libraries[..cluster.requested_len()];
            if let Some(index) = requested.iter().position(|entry| entry.library == library) {
                let mut entry = cluster.libraries.remove(index);
                entry.stage = LibraryStage::UninstallOnRestart;
                entry.messages.clear();
                cluster.libraries.push(entry);
            }
        }
        Ok(())
    }

    /// `clusters/start`: only a terminated cluster starts.
    pub(crate) fn start(&mut self, cluster_id: &str) -> Result<(), ErrorResponse> {
        let cluster = self.cluster_mut(cluster_id)?;
        cluster.expect_state(ClusterState::Terminated)?;
        cluster.begin(ClusterState::Pending);
        self.record(
            cluster_id,
            "STARTING",
            json!({"user": super::clusters::CREATOR}),
        );
        Ok(())
    }

    /// `clusters/restart`: only a running cluster restarts.
    pub(crate) fn restart(&mut self, cluster_id: &str) -> Result<(), ErrorResponse> {
        let cluster = self.cluster_mut(cluster_id)?;
        cluster.expect_state(ClusterState::Running)?;
        cluster.begin(ClusterState::Restarting);
        self.record(
            cluster_id,
            "RESTARTING",
            json!({"user": super::clusters::CREATOR}),
        );
        Ok(())
    }

    /// `clusters/delete` (terminate); a no-op on a stopping or stopped cluster.
    pub(crate) fn terminate(&mut self, cluster_id: &str) -> Result<(), ErrorResponse> {
        let cluster = self.cluster_mut(cluster_id)?;
        if !matches!(
            cluster.view.state,
            ClusterState::Terminating | ClusterState::Terminated
        ) {
            cluster.view.state = ClusterState::Terminating;
            cluster.view.terminated_by_user = true;
            let reason = json!({"code": "USER_REQUEST", "type": "SUCCESS",
                                "parameters": {"username": super::clusters::CREATOR}});
            self.record(
                cluster_id,
                "TERMINATING",
                json!({"reason": reason, "user": super::clusters::CREATOR}),
            );
        }
        Ok(())
    }

    /// One cluster as the cluster endpoints show it.
    pub(crate) fn cluster(&self, cluster_id: &str) -> Result<ClusterView, ErrorResponse> {
        let cluster = self
            .clusters
            .get(cluster_id)
            .ok_or_else(|| ErrorResponse::no_such_cluster(cluster_id))?;
        Ok(cluster.view.clone())
    }

    /// Every cluster, in id order.
    pub(crate) fn clusters(&self) -> Vec<ClusterView> {
        self.clusters
            .values()
            .map(|cluster| cluster.view.clone())
            .collect()
    }

    /// The body of `libraries/cluster-status` for one cluster.
    pub(crate) fn library_statuses(&self, cluster_id: &str) -> Result<Value, ErrorResponse> {
        let cluster = self
            .clusters
            .get(cluster_id)
            .ok_or_else(|| ErrorResponse::no_such_cluster(cluster_id))?;
        Ok(cluster.statuses(&self.for_all_clusters))
    }

    /// The body of `libraries/all-cluster-statuses`, clusters in id order
    /// (`{}` when there is none).
    pub(crate) fn all_statuses(&self) -> Value {
        let statuses: Vec<Value> = self
            .clusters
            .values()
            .map(|cluster| cluster.statuses(&self.for_all_clusters))
            .collect();
        if statuses.is_empty() {
            json!({})
        } else {
            json!({ "statuses": statuses })
        }
    }
}
