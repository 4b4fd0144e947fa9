//! ApplyLibraries: bring one cluster to a desired set of libraries. Under
//! the cluster's lock: read (libraries and state, never waiting), plan, send
//! the plan, uninstall, install, then start (a terminated cluster with
//! `start_cluster`) or restart once (IF_NEEDED, when the plan needs it),
//! then with `wait` read until the desired set settles. The calls run in a
//! task of their own: a caller that goes away stops the waiting, not a call
//! half made.

use std::{collections::BTreeMap, sync::Arc};

use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::Status;
use tracing::{Instrument, info, instrument};

use super::{
    describe,
    identity::Identity,
    plan::{self, Loaded},
    steps::{Deadline, Restarted},
};
use crate::{
    convert::{self, ApplyLibraries, InvalidRequest, Restart},
    databricks::{
        CallOptions,
        models::{Library, LibraryFullStatus},
    },
    proto::compute::{self as pb, ApplyStage},
    service::{ResponseStream, Tenant},
    telemetry::excerpt,
};

/// Progress messages buffered for a slow reader; the apply waits beyond.
const PROGRESS_BUFFER: usize = 16;

/// The sending side of one ApplyLibraries stream. Every message carries the
/// plan once it is made.
pub(super) struct Progress {
    sender: mpsc::Sender<Result<pb::ApplyLibrariesResponse, Status>>,
    plan: Option<pb::LibraryPlan>,
    /// A caller that stops reading without leaving must not hold the
    /// cluster's lock past its deadline: sends give up then.
    deadline: Deadline,
}

// === impl Progress ===

impl Progress {
    async fn send(
        &self,
        stage: ApplyStage,
        message: String,
        statuses: &[LibraryFullStatus],
        restart_required: bool,
    ) {
        let response = pb::ApplyLibrariesResponse {
            plan: self.plan.clone(),
            statuses: statuses
                .iter()
                .cloned()
                .map(convert::library_full_status)
                .collect(),
            restart_required,
            message,
            stage: stage as i32,
        };
        // A caller that left is noticed by `is_closed`; nothing to do here.
        let _ = tokio::time::timeout_at(self.deadline.at(), self.sender.send(Ok(response))).await;
    }

    /// A WAITING message.
    pub(super) async fn waiting(&self, message: &str, statuses: &[LibraryFullStatus]) {
        self.send(ApplyStage::Waiting, message.to_owned(), statuses, false)
            .await;
    }

    /// True when the caller no longer reads the stream.
    pub(super) fn is_closed(&self) -> bool {
        self.sender.is_closed()
    }

    async fn fail(&self, status: Status) {
        let _ = tokio::time::timeout_at(self.deadline.at(), self.sender.send(Err(status))).await;
    }
}

// === impl Tenant ===

impl Tenant {
    /// Validates the request (every library, one per identity) before any
    /// upstream call, then streams the apply.
    #[instrument(skip_all, fields(cluster_id = %excerpt(&request.cluster_id)))]
    pub(in crate::service) fn apply_libraries(
        self: Arc<Self>,
        request: pb::ApplyLibrariesRequest,
        options: CallOptions,
    ) -> Result<ResponseStream<pb::ApplyLibrariesResponse>, Status> {
        let valid = convert::apply_libraries(&request)?;
        one_per_identity(&valid.libraries)?;
        let (sender, receiver) = mpsc::channel(PROGRESS_BUFFER);
        let deadline = Deadline::of(options);
        tokio::spawn(
            async move {
                let mut progress = Progress {
                    sender,
                    plan: None,
                    deadline,
                };
                if let Err(status) = self.run_apply(&valid, deadline, &mut progress).await {
                    progress.fail(status).await;
                }
            }
            .in_current_span(),
        );
        Ok(Box::pin(ReceiverStream::new(receiver)))
    }

    async fn run_apply(
        &self,
        valid: &ApplyLibraries,
        deadline: Deadline,
        progress: &mut Progress,
    ) -> Result<(), Status> {
        let cluster_id = valid.cluster_id.as_str();
        let _lock = self.lock_cluster(cluster_id).await;
        let read = self.read_cluster_libraries(cluster_id, deadline).await?;
        let plan = plan::plan(
            &valid.libraries,
            &valid.previous,
            &read.statuses,
            read.loaded(),
        );
        progress.plan = Some(describe::plan_out(&plan));
        let state = read.cluster.state.as_str();
        let summary = format!(
            "plan for cluster {cluster_id} ({state}): {}{}",
            describe::plan_summary(&plan),
            if plan.restart_needed {
                "; a restart is needed"
            } else {
                ""
            }
        );
        progress
            .send(ApplyStage::Planned, summary, &read.statuses, false)
            .await;
        let mut changed = false;
        if self.uninstall_planned(cluster_id, &plan, deadline).await? {
            changed = true;
            let message = format!(
                "uninstalled {}{}",
                plan.uninstall.len(),
                describe::names(&plan.uninstall)
            );
            progress
                .send(ApplyStage::Uninstalled, message, &[], false)
                .await;
        }
        if self.install_planned(cluster_id, &plan, deadline).await? {
            changed = true;
            let message = format!(
                "install requested for {}{}",
                plan.install.len(),
                describe::names(&plan.install)
            );
            progress
                .send(ApplyStage::Installed, message, &[], false)
                .await;
        }
        let mut restart_required = false;
        let mut will_run = read.loaded() == Loaded::Yes;
        let mut closing = String::new();
        if read.loaded() == Loaded::No {
            if valid.start_cluster {
                let ensured = self.ensure_running(cluster_id, deadline.call()?).await?;
                changed = true;
                will_run = true;
                let message = format!(
                    "cluster {cluster_id} was {}: {}",
                    ensured.cluster.state,
                    if ensured.start_sent {
                        "started"
                    } else {
                        "already on its way up"
                    }
                );
                progress
                    .send(ApplyStage::Starting, message, &[], false)
                    .await;
            } else {
                closing = format!(
                    "cluster {cluster_id} is {state}: the libraries are queued (PENDING) and install at its next start \
                     (set start_cluster to start it now)"
                );
            }
        } else if plan.restart_needed {
            match valid.restart {
                Restart::IfNeeded => {
                    let restarted = self
                        .restart_for_libraries(cluster_id, state, deadline)
                        .await?;
                    let message = match restarted {
                        Restarted::Yes => {
                            format!(
                                "restarting cluster {cluster_id} to unload what was uninstalled"
                            )
                        }
                        Restarted::NotNeeded(now) => {
                            will_run = false;
                            format!(
                                "cluster {cluster_id} went {now} before it could restart: \
                                 what was uninstalled goes at its next start"
                            )
                        }
                    };
                    changed = true;
                    progress
                        .send(ApplyStage::Restarting, message, &[], false)
                        .await;
                }
                Restart::Never => {
                    restart_required = true;
                    closing = describe::restart_reason(cluster_id, &plan);
                }
            }
        }
        info!(
            install = plan.install.len(),
            uninstall = plan.uninstall.len(),
            restart_required,
            "libraries applied"
        );
        let statuses = if valid.wait && will_run {
            self.settle(cluster_id, &valid.libraries, deadline, progress)
                .await?
        } else if changed {
            self.read_cluster_libraries(cluster_id, deadline)
                .await?
                .statuses
        } else {
            read.statuses
        };
        let done = match (closing.is_empty(), plan.changes_nothing() && !changed) {
            (false, _) => closing,
            (true, true) => {
                format!("cluster {cluster_id} already has the desired libraries: nothing to do")
            }
            (true, false) => format!(
                "cluster {cluster_id}: applied; desired libraries {}",
                describe::desired_statuses(&valid.libraries, &statuses)
            ),
        };
        progress
            .send(ApplyStage::Done, done, &statuses, restart_required)
            .await;
        Ok(())
    }
}

/// Refuses two libraries of one identity in the desired set, naming the
/// later one and the one it clashes with.
fn one_per_identity(libraries: &[Library]) -> Result<(), InvalidRequest> {
    let mut seen = BTreeMap::new();
    for (index, library) in libraries.iter().enumerate() {
        let identity = Identity::of(library);
        if let Some(first) = seen.insert(identity.clone(), index) {
            return Err(InvalidRequest::field(
                format!("libraries[{index}]"),
                format!(
                    "is {identity} again (libraries[{first}] is the same library in another spelling or version): \
                     list each library once"
                ),
            ));
        }
    }
    Ok(())
}
