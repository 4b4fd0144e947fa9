//! ReplaceLibrary: the Jenkins hook. For each target cluster, under its
//! lock, the plan is "replace the installed versions of this library's
//! identity with it" (everything else foreign), then uninstall, install and,
//! under IF_NEEDED, one restart. Clusters go one after another; a cluster
//! that fails is reported in its own message and the next one goes on.
//! `dry_run` only plans: no lock, no call but the reads.

use std::sync::Arc;

use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::Status;
use tracing::{Instrument, instrument, warn};

use super::{
    describe,
    identity::Identity,
    plan::{self, Loaded},
    steps::{Deadline, Restarted},
};
use crate::{
    convert::{self, ReplaceLibrary, ReplaceTargets, Restart},
    databricks::{CallOptions, models::ReportedLibrary},
    proto::compute as pb,
    service::{ResponseStream, Tenant},
};

type Sender = mpsc::Sender<Result<pb::ReplaceLibraryResponse, Status>>;

// === impl Tenant ===

impl Tenant {
    /// Validates the request before any upstream call, then streams the
    /// replacement cluster by cluster.
    #[instrument(skip_all, fields(all_clusters = request.all_clusters, dry_run = request.dry_run))]
    pub(in crate::service) fn replace_library(
        self: Arc<Self>,
        request: pb::ReplaceLibraryRequest,
        options: CallOptions,
    ) -> Result<ResponseStream<pb::ReplaceLibraryResponse>, Status> {
        let valid = convert::replace_library(&request)?;
        let (sender, receiver) = mpsc::channel(16);
        let deadline = Deadline::of(options);
        tokio::spawn(
            async move {
                let clusters = match self.replace_targets(&valid, deadline).await {
                    Ok(clusters) => clusters,
                    Err(status) => {
                        let _ = sender.send(Err(status)).await;
                        return;
                    }
                };
                if clusters.is_empty() {
                    let message = format!(
                        "no cluster has {} installed: nothing to replace",
                        Identity::of(&valid.library)
                    );
                    let _ = sender.send(Ok(report("", None, message, true))).await;
                }
                for cluster_id in clusters {
                    if let Err(status) = self.replace_on(&cluster_id, &valid, deadline, &sender).await {
                        warn!(cluster_id = %cluster_id, error = %status.message(), "replace failed on one cluster");
                        let mut failed = report(&cluster_id, None, status.message().to_owned(), true);
                        failed.error = code_name(status.code());
                        let _ = sender.send(Ok(failed)).await;
                    }
                }
            }
            .in_current_span(),
        );
        Ok(Box::pin(ReceiverStream::new(receiver)))
    }

    /// The listed clusters, or every cluster with the library's identity
    /// among its own (not for-all-clusters) libraries.
    async fn replace_targets(
        &self,
        valid: &ReplaceLibrary,
        deadline: Deadline,
    ) -> Result<Vec<String>, Status> {
        let ReplaceTargets::Listed(clusters) = &valid.targets else {
            let identity = Identity::of(&valid.library);
            let all = self.client.all_cluster_statuses(deadline.call()?).await?;
            return Ok(all
                .statuses
                .into_iter()
                .filter(|cluster| {
                    cluster.library_statuses.iter().any(|status| {
                        !status.is_library_for_all_clusters
                            && matches!(&status.library, ReportedLibrary::Known(known) if Identity::of(known) == identity)
                    })
                })
                .map(|cluster| cluster.cluster_id)
                .collect());
        };
        Ok(clusters.clone())
    }

    async fn replace_on(
        &self,
        cluster_id: &str,
        valid: &ReplaceLibrary,
        deadline: Deadline,
        sender: &Sender,
    ) -> Result<(), Status> {
        let _lock = match valid.dry_run {
            true => None,
            false => Some(self.lock_cluster(cluster_id).await),
        };
        let read = self.read_cluster_libraries(cluster_id, deadline).await?;
        let desired = [valid.library.clone()];
        let plan = plan::plan(&desired, &[], &read.statuses, read.loaded());
        let plan_out = describe::plan_out(&plan);
        let summary = format!(
            "plan for cluster {cluster_id} ({}): {}",
            read.cluster.state,
            describe::plan_summary(&plan)
        );
        if valid.dry_run {
            let mut dry = report(
                cluster_id,
                Some(plan_out),
                format!("dry run: {summary}"),
                true,
            );
            dry.restart_required = plan.restart_needed;
            let _ = sender.send(Ok(dry)).await;
            return Ok(());
        }
        let _ = sender
            .send(Ok(report(
                cluster_id,
                Some(plan_out.clone()),
                summary,
                false,
            )))
            .await;
        self.uninstall_planned(cluster_id, &plan, deadline).await?;
        self.install_planned(cluster_id, &plan, deadline).await?;
        let mut done = report(cluster_id, Some(plan_out), String::new(), true);
        done.message = match (plan.restart_needed, valid.restart) {
            (true, Restart::IfNeeded) => {
                let state = &read.cluster.state;
                match self
                    .restart_for_libraries(cluster_id, state, deadline)
                    .await?
                {
                    Restarted::Yes => format!(
                        "replaced on cluster {cluster_id}; restarting it to unload the old version"
                    ),
                    Restarted::NotNeeded(now) => format!(
                        "replaced on cluster {cluster_id}, which went {now} before it could restart: \
                         the old version goes at its next start"
                    ),
                }
            }
            (true, Restart::Never) => {
                done.restart_required = true;
                describe::restart_reason(cluster_id, &plan)
            }
            (false, _) if plan.changes_nothing() => {
                format!("cluster {cluster_id} already has this version: nothing to do")
            }
            (false, _) if read.loaded() == Loaded::No => format!(
                "replaced on cluster {cluster_id}, which is {}: the new version is queued (PENDING) and installs at its next start",
                read.cluster.state
            ),
            (false, _) => format!("replaced on cluster {cluster_id}"),
        };
        let _ = sender.send(Ok(done)).await;
        Ok(())
    }
}

fn report(
    cluster_id: &str,
    plan: Option<pb::LibraryPlan>,
    message: String,
    done: bool,
) -> pb::ReplaceLibraryResponse {
    pb::ReplaceLibraryResponse {
        cluster_id: cluster_id.to_owned(),
        plan,
        restart_required: false,
        message,
        done,
        error: String::new(),
    }
}

/// The canonical name of a gRPC code, e.g. `NOT_FOUND`.
fn code_name(code: tonic::Code) -> String {
    let camel = format!("{code:?}");
    let mut name = String::with_capacity(camel.len() + 4);
    for (index, c) in camel.chars().enumerate() {
        if index > 0 && c.is_ascii_uppercase() {
            name.push('_');
        }
        name.push(c.to_ascii_uppercase());
    }
    name
}

#[cfg(test)]
mod tests {
    use tonic::Code;

    #[test]
    fn code_names_are_canonical() {
        assert_eq!(super::code_name(Code::NotFound), "NOT_FOUND");
        assert_eq!(
            super::code_name(Code::FailedPrecondition),
            "FAILED_PRECONDITION"
        );
        assert_eq!(super::code_name(Code::Unavailable), "UNAVAILABLE");
    }
}
