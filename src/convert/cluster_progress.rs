//! Outbound: one WatchCluster message from the cluster (and, for READY, its
//! library statuses), and whether the watch is done: the target reached, or
//! out of reach without someone acting.

use super::{SETTLED, clusters_out::cluster, libraries_out::cluster_library_statuses};
use crate::{
    databricks::models::{ClusterDetails, ClusterLibraryStatuses},
    proto::compute::{self as pb, ClusterTarget},
};

/// The target can no longer be reached without someone acting: e.g. waiting
/// for RUNNING while the cluster terminates.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cluster {cluster_id} is {state}{}, so it will not become {target} without someone acting{}",
        describe(.state_message), reason(.termination_code, .termination_type))]
pub struct ClusterTargetUnreachable {
    /// The cluster.
    pub cluster_id: String,
    /// What the watch waited for, e.g. `RUNNING`.
    pub target: &'static str,
    /// The raw state it is in.
    pub state: String,
    /// What Databricks says about it.
    pub state_message: String,
    /// `termination_reason.code`, when Databricks gave one.
    pub termination_code: String,
    /// `termination_reason.type`, when Databricks gave one.
    pub termination_type: String,
}

/// The target's name in messages, e.g. `RUNNING`.
pub fn target_name(target: ClusterTarget) -> &'static str {
    match target {
        ClusterTarget::Running => "RUNNING",
        ClusterTarget::Terminated => "TERMINATED",
        ClusterTarget::Ready => "READY (running, every library settled)",
        ClusterTarget::Unspecified => "UNSPECIFIED",
    }
}

/// The message for the cluster now, or the reason the watch must end.
pub fn cluster_progress(
    target: ClusterTarget,
    details: ClusterDetails,
    statuses: Option<ClusterLibraryStatuses>,
) -> Result<pb::WatchClusterResponse, Box<ClusterTargetUnreachable>> {
    let state = details.state.as_str();
    let unreachable = match target {
        ClusterTarget::Running | ClusterTarget::Ready => {
            matches!(state, "TERMINATING" | "TERMINATED" | "ERROR" | "UNKNOWN")
        }
        ClusterTarget::Terminated => state == "ERROR",
        ClusterTarget::Unspecified => false,
    };
    if unreachable {
        let reason = details.termination_reason.clone().unwrap_or_default();
        return Err(Box::new(ClusterTargetUnreachable {
            cluster_id: details.cluster_id,
            target: target_name(target),
            state: details.state,
            state_message: details.state_message,
            termination_code: reason.code,
            termination_type: reason.kind,
        }));
    }
    let libraries_settled = statuses.as_ref().is_none_or(|statuses| {
        statuses
            .library_statuses
            .iter()
            .filter(|status| !status.is_library_for_all_clusters)
            .all(|status| SETTLED.contains(&status.status.as_str()))
    });
    let reached = match target {
        ClusterTarget::Running => state == "RUNNING",
        ClusterTarget::Terminated => state == "TERMINATED",
        ClusterTarget::Ready => state == "RUNNING" && libraries_settled,
        ClusterTarget::Unspecified => false,
    };
    let message = progress_message(&details, target, reached, statuses.as_ref());
    Ok(pb::WatchClusterResponse {
        cluster: Some(cluster(details)),
        library_statuses: statuses
            .map(|statuses| cluster_library_statuses(statuses).library_statuses)
            .unwrap_or_default(),
        reached,
        message,
    })
}

/// True for the last message of a watch.
pub fn is_reached(update: &pb::WatchClusterResponse) -> bool {
    update.reached
}

fn progress_message(
    details: &ClusterDetails,
    target: ClusterTarget,
    reached: bool,
    statuses: Option<&ClusterLibraryStatuses>,
) -> String {
    let mut text = format!(
        "cluster {} is {}{}",
        details.cluster_id,
        details.state,
        describe(&details.state_message)
    );
    if let Some(statuses) = statuses {
        let own: Vec<_> = statuses
            .library_statuses
            .iter()
            .filter(|status| !status.is_library_for_all_clusters)
            .collect();
        let settled = own
            .iter()
            .filter(|status| SETTLED.contains(&status.status.as_str()))
            .count();
        let failed = own
            .iter()
            .filter(|status| status.status == "FAILED")
            .count();
        text.push_str(&format!("; {settled} of {} libraries settled", own.len()));
        if failed > 0 {
            text.push_str(&format!(" ({failed} FAILED)"));
        }
    }
    if reached {
        text.push_str(&format!("; {} reached", target_name(target)));
    } else {
        text.push_str(&format!("; waiting for {}", target_name(target)));
    }
    text
}

fn describe(state_message: &str) -> String {
    if state_message.is_empty() {
        String::new()
    } else {
        format!(" ({state_message})")
    }
}

fn reason(code: &str, kind: &str) -> String {
    match (code.is_empty(), kind.is_empty()) {
        (true, _) => String::new(),
        (false, true) => format!("; termination reason {code}"),
        (false, false) => format!("; termination reason {code} ({kind})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::databricks::models::{LibraryFullStatus, ReportedLibrary, TerminationReason};

    fn cluster_in(state: &str) -> ClusterDetails {
        ClusterDetails {
            cluster_id: "c".into(),
            state: state.into(),
            ..ClusterDetails::default()
        }
    }

    #[test]
    fn running_is_reached_only_when_running() {
        for (state, reached) in [("PENDING", false), ("RESTARTING", false), ("RUNNING", true)] {
            let update = cluster_progress(ClusterTarget::Running, cluster_in(state), None).unwrap();
            assert_eq!(update.reached, reached, "{state}");
        }
    }

    #[test]
    fn a_terminated_cluster_cannot_become_running_by_itself() {
        let mut details = cluster_in("TERMINATED");
        details.state_message = "Inactive".into();
        details.termination_reason = Some(TerminationReason {
            code: "INACTIVITY".into(),
            kind: "SUCCESS".into(),
            ..TerminationReason::default()
        });
        let error = cluster_progress(ClusterTarget::Running, details, None).unwrap_err();
        assert_eq!(
            error.to_string(),
            "cluster c is TERMINATED (Inactive), so it will not become RUNNING without someone acting; termination reason INACTIVITY (SUCCESS)"
        );
        for state in ["ERROR", "TERMINATING", "UNKNOWN"] {
            assert!(cluster_progress(ClusterTarget::Ready, cluster_in(state), None).is_err());
        }
        assert!(cluster_progress(ClusterTarget::Terminated, cluster_in("ERROR"), None).is_err());
        assert!(cluster_progress(ClusterTarget::Terminated, cluster_in("RUNNING"), None).is_ok());
    }

    #[test]
    fn ready_waits_for_every_own_library() {
        let status = |status: &str, all: bool| LibraryFullStatus {
            library: ReportedLibrary::Unrecognized(serde_json::json!({"jar": "x"})),
            status: status.into(),
            messages: Vec::new(),
            is_library_for_all_clusters: all,
        };
        let statuses = |list| ClusterLibraryStatuses {
            cluster_id: "c".into(),
            library_statuses: list,
        };
        let installing = statuses(vec![
            status("INSTALLED", false),
            status("INSTALLING", false),
        ]);
        let update = cluster_progress(
            ClusterTarget::Ready,
            cluster_in("RUNNING"),
            Some(installing),
        )
        .unwrap();
        assert!(!update.reached);
        assert_eq!(update.library_statuses.len(), 2);
        assert!(
            update.message.contains("1 of 2 libraries settled"),
            "{}",
            update.message
        );
        let settled = statuses(vec![status("INSTALLED", false), status("PENDING", true)]);
        let update =
            cluster_progress(ClusterTarget::Ready, cluster_in("RUNNING"), Some(settled)).unwrap();
        assert!(
            update.reached,
            "a library for all clusters is not this cluster's to wait for"
        );
    }
}
