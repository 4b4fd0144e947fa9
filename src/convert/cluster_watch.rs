//! Outbound: one WatchClusterStatus message from a cluster's library
//! statuses and its state, with a sentence saying where things stand — in
//! particular that libraries wait because the cluster is not running.

use std::collections::BTreeMap;

use super::libraries_out::cluster_library_statuses;
use crate::{
    databricks::models::{ClusterDetails, ClusterLibraryStatuses, Library, ReportedLibrary},
    proto::compute::{self as pb, ClusterState},
};

/// Statuses after which a library changes no more without a restart.
pub const SETTLED: &[&str] = &[
    "INSTALLED",
    "FAILED",
    "SKIPPED",
    "UNINSTALL_ON_RESTART",
    "RESTORED",
];

/// Builds the message for the current statuses and cluster state.
pub fn cluster_watch(
    statuses: ClusterLibraryStatuses,
    cluster: ClusterDetails,
) -> pb::WatchClusterStatusResponse {
    let settled = statuses
        .library_statuses
        .iter()
        .all(|s| SETTLED.contains(&s.status.as_str()));
    let message = describe(&statuses, &cluster, settled);
    let converted = cluster_library_statuses(statuses);
    let state = ClusterState::from_str_name(&format!("CLUSTER_STATE_{}", cluster.state))
        .unwrap_or(ClusterState::Unspecified);
    pb::WatchClusterStatusResponse {
        cluster_id: converted.cluster_id,
        library_statuses: converted.library_statuses,
        cluster_state: state as i32,
        raw_cluster_state: cluster.state,
        settled,
        message,
    }
}

/// True for the last message of a watch.
pub fn is_settled(update: &pb::WatchClusterStatusResponse) -> bool {
    update.settled
}

fn describe(statuses: &ClusterLibraryStatuses, cluster: &ClusterDetails, settled: bool) -> String {
    let all = &statuses.library_statuses;
    if all.is_empty() {
        return format!("cluster {} has no libraries", statuses.cluster_id);
    }
    let (done, waiting): (Vec<_>, Vec<_>) = all
        .iter()
        .partition(|s| SETTLED.contains(&s.status.as_str()));
    let mut text = if settled {
        format!("all {} libraries settled ({})", all.len(), counts(&done))
    } else {
        format!(
            "{} of {} libraries settled{}; {} in progress ({})",
            done.len(),
            all.len(),
            if done.is_empty() {
                String::new()
            } else {
                format!(" ({})", counts(&done))
            },
            waiting.len(),
            counts(&waiting)
        )
    };
    let pending = waiting.iter().filter(|s| s.status == "PENDING").count();
    if pending > 0 && !matches!(cluster.state.as_str(), "RUNNING" | "RESIZING") {
        text.push_str(&format!(
            "; cluster {} is {}, so {pending} waiting in PENDING will not install until it runs (start it with POST /api/2.0/clusters/start)",
            statuses.cluster_id, cluster.state
        ));
    }
    for failed in all.iter().filter(|s| s.status == "FAILED") {
        let reason = failed
            .messages
            .first()
            .map(String::as_str)
            .unwrap_or("no message");
        text.push_str(&format!(
            "; {} FAILED: {reason}",
            library_name(&failed.library)
        ));
    }
    text
}

/// `2 INSTALLED, 1 SKIPPED`, in a stable order.
fn counts(statuses: &[&crate::databricks::models::LibraryFullStatus]) -> String {
    let mut by_status = BTreeMap::<&str, usize>::new();
    for status in statuses {
        *by_status.entry(status.status.as_str()).or_default() += 1;
    }
    by_status
        .iter()
        .map(|(status, n)| format!("{n} {status}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn library_name(library: &ReportedLibrary) -> String {
    match library {
        ReportedLibrary::Known(Library::Jar(uri)) => format!("jar {uri}"),
        ReportedLibrary::Known(Library::Egg(uri)) => format!("egg {uri}"),
        ReportedLibrary::Known(Library::Whl(uri)) => format!("whl {uri}"),
        ReportedLibrary::Known(Library::Requirements(path)) => format!("requirements {path}"),
        ReportedLibrary::Known(Library::Pypi(pypi)) => format!("pypi {}", pypi.package),
        ReportedLibrary::Known(Library::Maven(maven)) => format!("maven {}", maven.coordinates),
        ReportedLibrary::Known(Library::Cran(cran)) => format!("cran {}", cran.package),
        ReportedLibrary::Unrecognized(raw) => raw.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn watch(libraries: serde_json::Value, state: &str) -> pb::WatchClusterStatusResponse {
        let statuses =
            serde_json::from_value(json!({"cluster_id": "c1", "library_statuses": libraries}))
                .unwrap();
        let cluster = serde_json::from_value(json!({"cluster_id": "c1", "state": state})).unwrap();
        cluster_watch(statuses, cluster)
    }

    #[test]
    fn pending_on_a_terminated_cluster_says_why() {
        let update = watch(
            json!([{"library": {"pypi": {"package": "pandas"}}, "status": "PENDING"}]),
            "TERMINATED",
        );
        assert!(!update.settled);
        assert_eq!(update.cluster_state, ClusterState::Terminated as i32);
        assert!(
            update.message.contains("cluster c1 is TERMINATED"),
            "{}",
            update.message
        );
        assert!(
            update.message.contains("0 of 1 libraries settled"),
            "{}",
            update.message
        );
    }

    #[test]
    fn settled_with_failures_names_them() {
        let update = watch(
            json!([
                {"library": {"pypi": {"package": "a"}}, "status": "INSTALLED"},
                {"library": {"pypi": {"package": "nope"}}, "status": "FAILED", "messages": ["no such package"]},
                {"library": {"jar": "/x.jar"}, "status": "SKIPPED", "is_library_for_all_clusters": true}
            ]),
            "RUNNING",
        );
        assert!(update.settled);
        assert!(
            update
                .message
                .starts_with("all 3 libraries settled (1 FAILED, 1 INSTALLED, 1 SKIPPED)"),
            "{}",
            update.message
        );
        assert!(
            update.message.contains("pypi nope FAILED: no such package"),
            "{}",
            update.message
        );
    }

    #[test]
    fn in_progress_and_unknown_statuses_are_not_settled() {
        let update = watch(
            json!([{"library": {"jar": "/a.jar"}, "status": "NEW_THING"}]),
            "RUNNING",
        );
        assert!(!update.settled);
        assert!(
            !update.message.contains("will not install"),
            "{}",
            update.message
        );
        let empty = watch(json!([]), "RUNNING");
        assert!(empty.settled);
        assert_eq!(empty.message, "cluster c1 has no libraries");
    }
}
