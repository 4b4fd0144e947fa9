//! What ApplyLibraries and ReplaceLibrary do to one cluster: read it (never
//! waiting), make the uninstall and install calls of a plan, restart it.
//! Every call gets what is left of the operation's time budget.

use std::time::Duration;

use tokio::time::Instant;
use tonic::Status;

use super::plan::{Loaded, Plan};
use crate::{
    databricks::{
        CallOptions,
        models::{ClusterDetails, LibrariesRequest, LibraryFullStatus},
    },
    service::{DeadlinePassed, Tenant},
};

/// How long an apply may take when the caller set no deadline: time enough
/// for a cluster to start or restart and its libraries to install.
pub(super) const DEFAULT_APPLY_BUDGET: Duration = Duration::from_secs(30 * 60);

/// One read of a cluster: its libraries and its state.
#[derive(Debug, Clone)]
pub(super) struct ClusterRead {
    pub(super) statuses: Vec<LibraryFullStatus>,
    pub(super) cluster: ClusterDetails,
}

/// What [`Tenant::restart_for_libraries`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Restarted {
    /// It sent `clusters/restart`.
    Yes,
    /// The cluster went down (its state here) before it could restart.
    NotNeeded(String),
}

/// The end of an operation's time budget.
#[derive(Debug, Clone, Copy)]
pub(super) struct Deadline(Instant, Option<u64>);

// === impl Deadline ===

impl Deadline {
    /// The caller's deadline, or [`DEFAULT_APPLY_BUDGET`] from now.
    pub(super) fn of(options: CallOptions) -> Self {
        Self(
            Instant::now() + options.timeout.unwrap_or(DEFAULT_APPLY_BUDGET),
            options.caller,
        )
    }

    /// Options for the next upstream call: the time left.
    pub(super) fn call(self) -> Result<CallOptions, Status> {
        let left = self.0.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(DeadlinePassed.into());
        }
        Ok(CallOptions {
            timeout: Some(left),
            caller: self.1,
        })
    }

    /// The instant itself.
    pub(super) fn at(self) -> Instant {
        self.0
    }

    /// True when waiting `wait` more would pass the deadline.
    pub(super) fn passed_after(self, wait: Duration) -> bool {
        Instant::now() + wait >= self.0
    }
}

// === impl ClusterRead ===

impl ClusterRead {
    /// Whether the cluster's libraries are loaded (see [`loaded`]).
    pub(super) fn loaded(&self) -> Loaded {
        loaded(&self.cluster.state)
    }
}

/// Running or on its way up: what is installed is (or will be) loaded, and
/// unloading it takes a restart. Anything else (TERMINATED, TERMINATING,
/// ERROR, ...) drops what is marked for removal at the next start.
pub(super) fn loaded(state: &str) -> Loaded {
    if matches!(state, "RUNNING" | "RESIZING" | "PENDING" | "RESTARTING") {
        Loaded::Yes
    } else {
        Loaded::No
    }
}

// === impl Tenant ===

impl Tenant {
    /// Reads the cluster's library statuses and its state, at once.
    pub(super) async fn read_cluster_libraries(
        &self,
        cluster_id: &str,
        deadline: Deadline,
    ) -> Result<ClusterRead, Status> {
        let options = deadline.call()?;
        let (statuses, cluster) = tokio::try_join!(
            self.client.cluster_status(cluster_id, options),
            self.client.get_cluster(cluster_id, options)
        )?;
        Ok(ClusterRead {
            statuses: statuses.library_statuses,
            cluster,
        })
    }

    /// `libraries/uninstall` of the plan's uninstall list, if any; true when
    /// the call was made.
    pub(super) async fn uninstall_planned(
        &self,
        cluster_id: &str,
        plan: &Plan,
        deadline: Deadline,
    ) -> Result<bool, Status> {
        if plan.uninstall.is_empty() {
            return Ok(false);
        }
        let body = LibrariesRequest {
            cluster_id: cluster_id.to_owned(),
            libraries: plan.uninstall.clone(),
        };
        self.client.uninstall(&body, deadline.call()?).await?;
        Ok(true)
    }

    /// `libraries/install` of the plan's install list, if any; true when the
    /// call was made.
    pub(super) async fn install_planned(
        &self,
        cluster_id: &str,
        plan: &Plan,
        deadline: Deadline,
    ) -> Result<bool, Status> {
        if plan.install.is_empty() {
            return Ok(false);
        }
        let body = LibrariesRequest {
            cluster_id: cluster_id.to_owned(),
            libraries: plan.install.clone(),
        };
        self.client.install(&body, deadline.call()?).await?;
        Ok(true)
    }

    /// `clusters/restart`, once the cluster can take it: a cluster still
    /// starting or restarting (`state` as last read) is read again until it
    /// runs. A cluster that went down meanwhile needs no restart: what is
    /// marked for removal goes at its next start.
    pub(super) async fn restart_for_libraries(
        &self,
        cluster_id: &str,
        state: &str,
        deadline: Deadline,
    ) -> Result<Restarted, Status> {
        let mut state = state.to_owned();
        let mut wait = self.poll.initial;
        loop {
            match state.as_str() {
                "RUNNING" | "RESIZING" => {
                    self.client
                        .restart_cluster(cluster_id, deadline.call()?)
                        .await?;
                    return Ok(Restarted::Yes);
                }
                "PENDING" | "RESTARTING" => {}
                _ => return Ok(Restarted::NotNeeded(state)),
            }
            if deadline.passed_after(wait) {
                return Err(DeadlinePassed.into());
            }
            tokio::time::sleep(wait).await;
            wait = (wait * 2).min(self.poll.max);
            state = self
                .client
                .get_cluster(cluster_id, deadline.call()?)
                .await?
                .state;
        }
    }
}
