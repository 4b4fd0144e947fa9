//! The plan as a proto message, and the sentences the streams carry.

use std::collections::BTreeMap;

use super::{identity::Identity, plan::Plan};
use crate::{
    convert,
    databricks::models::{Library, LibraryFullStatus, ReportedLibrary},
    proto::compute as pb,
};

/// The plan as sent on the streams. Foreign libraries of a kind this API
/// does not know are left out here; `statuses` still shows them.
pub(super) fn plan_out(plan: &Plan) -> pb::LibraryPlan {
    let out = |libraries: &[Library]| {
        libraries
            .iter()
            .cloned()
            .map(convert::library_out)
            .collect()
    };
    pb::LibraryPlan {
        install: out(&plan.install),
        uninstall: out(&plan.uninstall),
        unchanged: out(&plan.unchanged),
        foreign: plan
            .foreign
            .iter()
            .filter_map(|status| match &status.library {
                ReportedLibrary::Known(library) => Some(convert::library_out(library.clone())),
                ReportedLibrary::Unrecognized(_) => None,
            })
            .collect(),
    }
}

/// `install 1 (jar etl), uninstall 1 (jar etl), unchanged 1, foreign 2`.
pub(super) fn plan_summary(plan: &Plan) -> String {
    format!(
        "install {}{}, uninstall {}{}, unchanged {}, foreign {}",
        plan.install.len(),
        names(&plan.install),
        plan.uninstall.len(),
        names(&plan.uninstall),
        plan.unchanged.len(),
        plan.foreign.len()
    )
}

/// ` (jar etl, pypi simplejson)`, or nothing for an empty list.
pub(super) fn names(libraries: &[Library]) -> String {
    if libraries.is_empty() {
        return String::new();
    }
    let names: Vec<String> = libraries
        .iter()
        .map(|library| Identity::of(library).to_string())
        .collect();
    format!(" ({})", names.join(", "))
}

/// Why a restart is needed, for the NEVER policy's last message.
pub(super) fn restart_reason(cluster_id: &str, plan: &Plan) -> String {
    let what = if plan.uninstall.is_empty() {
        "libraries marked UNINSTALL_ON_RESTART are still loaded".to_owned()
    } else {
        format!(
            "uninstalled libraries{} stay loaded until then",
            names(&plan.uninstall)
        )
    };
    format!(
        "restart required: cluster {cluster_id} must restart for the change to take effect ({what}); \
         the restart policy is NEVER, so it was not restarted \
         (use RESTART_POLICY_IF_NEEDED or POST /api/2.1/clusters/restart)"
    )
}

/// `2 INSTALLED, 1 PENDING`: where the desired libraries stand in
/// `statuses`; `none` for an empty set.
pub(super) fn desired_statuses(desired: &[Library], statuses: &[LibraryFullStatus]) -> String {
    let mut counts = BTreeMap::<&str, usize>::new();
    for library in desired {
        let status = statuses
            .iter()
            .find(|status| {
                !status.is_library_for_all_clusters
                    && matches!(&status.library, ReportedLibrary::Known(known) if known == library)
            })
            .map_or("not listed yet", |status| status.status.as_str());
        *counts.entry(status).or_default() += 1;
    }
    if counts.is_empty() {
        return "none".to_owned();
    }
    let parts: Vec<String> = counts
        .iter()
        .map(|(status, n)| format!("{n} {status}"))
        .collect();
    parts.join(", ")
}
