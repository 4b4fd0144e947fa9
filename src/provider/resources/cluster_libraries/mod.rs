//! `dbgrpc_cluster_libraries`: the libraries one configuration owns on one
//! cluster, applied with ApplyLibraries (`previous` = the prior state, so
//! only owned libraries ever change and a new version replaces the old
//! one) and refreshed with ClusterStatus.

mod calls;
mod library;
mod owned;
mod plan;
mod schema;

use calls::{Applied, apply_libraries, cluster_status, describe};
use owned::{Standing, decode_untracked, encode_untracked, stand};
use plan::{RESTART_IF_NEEDED, RESTART_NEVER};

use crate::{
    proto::compute::{self as pb, LibraryInstallStatus, RestartPolicy},
    provider::{
        diagnostics,
        proto::{Diagnostic, Schema},
        resource::{ApplyRequest, Ctx, ManagedResource, Outcome, PlanRequest, Planned},
        value::Value,
    },
};

/// The resource type.
#[derive(Debug, Clone, Copy, Default)]
pub struct ClusterLibraries;

/// Its type name.
pub const TYPE_NAME: &str = "dbgrpc_cluster_libraries";

#[tonic::async_trait]
impl ManagedResource for ClusterLibraries {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        schema::cluster_libraries_schema()
    }

    fn validate(&self, config: &Value) -> Vec<Diagnostic> {
        plan::validate(config)
    }

    async fn plan(&self, _ctx: &Ctx, request: PlanRequest) -> Planned {
        plan::plan(&request)
    }

    async fn apply(&self, ctx: &Ctx, request: ApplyRequest) -> Outcome {
        if request.planned.is_null() {
            destroy(ctx, request).await
        } else {
            create_or_update(ctx, request).await
        }
    }

    async fn read(&self, ctx: &Ctx, state: Value, private: Vec<u8>) -> Outcome {
        refresh(ctx, state, private).await
    }

    async fn import(&self, ctx: &Ctx, id: &str) -> Outcome {
        adopt(ctx, id).await
    }
}

fn cluster_id(state: &Value) -> String {
    state
        .attr("cluster_id")
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

fn restart_policy(state: &Value) -> RestartPolicy {
    match state.attr("restart").as_str() {
        Some(RESTART_IF_NEEDED) => RestartPolicy::IfNeeded,
        _ => RestartPolicy::Never,
    }
}

/// What this resource owns beyond its state's libraries (FAILED ones the
/// refresh took out of the state).
fn previous(prior: &Value, private: &[u8]) -> Vec<pb::Library> {
    let mut previous: Vec<pb::Library> = library::owned(prior)
        .into_iter()
        .map(|(_, library)| library)
        .collect();
    for library in decode_untracked(private) {
        if !previous.contains(&library) {
            previous.push(library);
        }
    }
    previous
}

async fn create_or_update(ctx: &Ctx, request: ApplyRequest) -> Outcome {
    let planned = request.planned;
    let desired = library::owned(&planned);
    let previous = previous(&request.prior, &request.private);
    let call = pb::ApplyLibrariesRequest {
        cluster_id: cluster_id(&planned),
        libraries: desired.iter().map(|(_, library)| library.clone()).collect(),
        previous: previous.clone(),
        restart: restart_policy(&planned) as i32,
        start_cluster: planned.attr("start_cluster").as_bool().unwrap_or(false),
        wait: true,
    };
    match apply_libraries(ctx, call).await {
        Applied::Done(last) => Outcome {
            diagnostics: notices(&planned, &desired, &last),
            state: planned,
            private: Vec::new(),
        },
        Applied::ClusterGone(error) => Outcome::failed(vec![error]),
        Applied::Failed(error) => {
            let creating = request.prior.is_null();
            let mut candidates = desired;
            candidates.extend(library::owned(&request.prior));
            let outcome = partial(ctx, planned, &candidates, &previous, error).await;
            if creating
                && outcome.state.attr("library").elements().is_empty()
                && outcome.private.is_empty()
            {
                // A create that left nothing on the cluster: nothing to keep.
                Outcome::failed(outcome.diagnostics)
            } else {
                outcome
            }
        }
    }
}

/// The warnings of a successful apply: a restart still needed (restart
/// "never"), libraries queued on a cluster that is not running.
fn notices(
    planned: &Value,
    desired: &[(Value, pb::Library)],
    last: &pb::ApplyLibrariesResponse,
) -> Vec<Diagnostic> {
    let cluster = cluster_id(planned);
    let mut notices = Vec::new();
    if last.restart_required {
        notices.push(diagnostics::warning(
            format!("Cluster {cluster} needs a restart for the library change to take effect"),
            format!(
                "{}. Uninstalled and replaced libraries stay loaded until the cluster restarts: set \
                 restart = \"{RESTART_IF_NEEDED}\" to let the provider restart it, or restart it yourself.",
                last.message
            ),
        ));
    }
    let queued: Vec<String> = desired
        .iter()
        .filter(|(_, library)| {
            last.statuses.iter().any(|status| {
                !status.is_library_for_all_clusters
                    && status.library.as_ref() == Some(library)
                    && status.status == LibraryInstallStatus::Pending as i32
            })
        })
        .map(|(_, library)| describe(library))
        .collect();
    if !queued.is_empty() {
        notices.push(diagnostics::warning(
            format!("Libraries queued on cluster {cluster}"),
            format!(
                "{} wait (PENDING) until the cluster runs: {}. Set start_cluster = true to start it \
                 and wait for them.",
                queued.join(", "),
                last.message
            ),
        ));
    }
    notices
}

/// The state after a failed or stopped apply: the owned libraries the
/// cluster now has (so none is orphaned), with `error`. When the cluster
/// cannot be read, every owned library is kept: the next refresh drops
/// those that are not there.
async fn partial(
    ctx: &Ctx,
    mut planned: Value,
    candidates: &[(Value, pb::Library)],
    untracked: &[pb::Library],
    error: Diagnostic,
) -> Outcome {
    let cluster = cluster_id(&planned);
    let (standing, diagnostics) = match cluster_status(ctx, &cluster).await {
        Ok(Some(statuses)) => (stand(candidates, untracked, &statuses), vec![error]),
        Ok(None) => return Outcome::failed(vec![error]),
        Err(unreadable) => {
            let mut kept: Vec<Value> = Vec::new();
            for (block, _) in candidates {
                if !kept.contains(block) {
                    kept.push(block.clone());
                }
            }
            let standing = Standing {
                kept,
                untracked: untracked.iter().map(|l| (l.clone(), Vec::new())).collect(),
            };
            (standing, vec![error, unreadable])
        }
    };
    planned.set_attr("library", Value::List(standing.kept));
    Outcome {
        state: planned,
        private: encode_untracked(&untracked_libraries(&standing.untracked)),
        diagnostics,
    }
}

fn untracked_libraries(untracked: &[(pb::Library, Vec<String>)]) -> Vec<pb::Library> {
    untracked
        .iter()
        .map(|(library, _)| library.clone())
        .collect()
}

/// Destroy: ApplyLibraries with nothing desired and the prior state (and
/// the untracked owned libraries) as `previous`, under the prior restart
/// policy; a cluster that is gone has nothing left to remove.
async fn destroy(ctx: &Ctx, request: ApplyRequest) -> Outcome {
    let prior = request.prior;
    let call = pb::ApplyLibrariesRequest {
        cluster_id: cluster_id(&prior),
        libraries: Vec::new(),
        previous: previous(&prior, &request.private),
        restart: restart_policy(&prior) as i32,
        start_cluster: false,
        wait: false,
    };
    match apply_libraries(ctx, call).await {
        Applied::Done(last) if last.restart_required => {
            Outcome::failed(vec![diagnostics::warning(
                format!(
                    "The removed libraries stay loaded on cluster {} until it restarts",
                    cluster_id(&prior)
                ),
                last.message,
            )])
        }
        Applied::Done(_) | Applied::ClusterGone(_) => Outcome::state(Value::Null),
        Applied::Failed(error) => Outcome {
            state: prior,
            private: request.private,
            diagnostics: vec![error],
        },
    }
}

/// Read: the owned libraries the cluster still has; null when the cluster
/// is gone. A FAILED owned library is a warning with Databricks' messages
/// and leaves the state (it stays owned, in the private state).
async fn refresh(ctx: &Ctx, mut state: Value, private: Vec<u8>) -> Outcome {
    let cluster = cluster_id(&state);
    let statuses = match cluster_status(ctx, &cluster).await {
        Ok(Some(statuses)) => statuses,
        Ok(None) => return Outcome::state(Value::Null),
        Err(error) => {
            return Outcome {
                state,
                private,
                diagnostics: vec![error],
            };
        }
    };
    let candidates = library::owned(&state);
    let standing = stand(&candidates, &decode_untracked(&private), &statuses);
    let diagnostics = standing
        .untracked
        .iter()
        .filter(|(_, messages)| !messages.is_empty())
        .map(|(library, messages)| {
            diagnostics::warning(
                format!("Library {} FAILED on cluster {cluster}", describe(library)),
                format!(
                    "Databricks reports: {}. It is left out of the state, so the plan shows it \
                     again; a failed library stays failed until it is uninstalled and the cluster \
                     restarts: change its version, or replace this resource \
                     (terraform apply -replace=…) to uninstall and reinstall it.",
                    messages.join(" | ")
                ),
            )
        })
        .collect();
    state.set_attr("library", Value::List(standing.kept));
    Outcome {
        state,
        private: encode_untracked(&untracked_libraries(&standing.untracked)),
        diagnostics,
    }
}

/// Import by cluster id: every library installed on the cluster itself
/// (not those for all clusters, not those marked for removal).
async fn adopt(ctx: &Ctx, id: &str) -> Outcome {
    let statuses = match cluster_status(ctx, id).await {
        Ok(Some(statuses)) => statuses,
        Ok(None) => {
            return Outcome::failed(vec![diagnostics::error(
                "Cannot import the libraries of a cluster that does not exist",
                format!("There is no cluster {id:?}: the import id is a cluster id."),
            )]);
        }
        Err(error) => return Outcome::failed(vec![error]),
    };
    let mut adopted: Vec<Value> = Vec::new();
    for status in &statuses {
        let installed = !status.is_library_for_all_clusters
            && status.status != LibraryInstallStatus::UninstallOnRestart as i32;
        let block = status
            .library
            .as_ref()
            .filter(|_| installed)
            .and_then(library::from_proto);
        if let Some(block) = block {
            if !adopted.contains(&block) {
                adopted.push(block);
            }
        }
    }
    Outcome::state(Value::object([
        ("cluster_id", Value::string(id)),
        ("id", Value::string(id)),
        ("restart", Value::string(RESTART_NEVER)),
        ("start_cluster", Value::Bool(false)),
        ("library", Value::List(adopted)),
    ]))
}
