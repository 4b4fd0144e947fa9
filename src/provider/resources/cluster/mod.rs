//! `resource "dbgrpc_cluster"`: a cluster made with CreateCluster and
//! waited for with WatchCluster, changed with ResizeCluster or
//! EditCluster, refreshed with GetCluster and destroyed with
//! PermanentDeleteCluster.

mod errors;
mod plan;
mod schema;
mod spec;
mod state;

use tonic::Code;
use tracing::info;

use self::{plan::Private, spec::Spec};
use crate::{
    proto::compute::{self as pb, ClusterState, ClusterTarget},
    provider::{
        diagnostics::{self, from_status},
        proto::{Diagnostic, Schema},
        resource::{ApplyRequest, Ctx, ManagedResource, Outcome, PlanRequest, Planned},
        value::Value,
    },
};

/// The `dbgrpc_cluster` resource type.
#[derive(Debug, Default)]
pub struct Cluster;

/// Its type name.
pub const TYPE_NAME: &str = "dbgrpc_cluster";

/// GetCluster: `Ok(None)` when the cluster does not exist (any more).
async fn get(ctx: &Ctx, cluster_id: &str) -> Result<Option<pb::Cluster>, Diagnostic> {
    let doing = format!("reading cluster {cluster_id}");
    let request = pb::GetClusterRequest {
        cluster_id: cluster_id.to_owned(),
    };
    match ctx.client.clone().get_cluster(request).await {
        Ok(answer) => match answer.into_inner().cluster {
            Some(cluster) => Ok(Some(cluster)),
            None => Err(diagnostics::error(
                format!("Failed {doing}"),
                "GetCluster answered no cluster.",
            )),
        },
        Err(status) if status.code() == Code::NotFound => Ok(None),
        Err(status) => Err(from_status(&doing, &status)),
    }
}

/// Waits (until Terraform asks the provider to stop) for the cluster to be
/// RUNNING, logging each change WatchCluster reports.
async fn wait_until_running(ctx: &Ctx, cluster_id: &str) -> Result<(), Diagnostic> {
    let doing = format!("waiting for cluster {cluster_id} to be RUNNING");
    let wait = async {
        let request = pb::WatchClusterRequest {
            cluster_id: cluster_id.to_owned(),
            until: ClusterTarget::Running.into(),
        };
        let mut updates = ctx
            .client
            .clone()
            .watch_cluster(request)
            .await
            .map_err(|status| from_status(&doing, &status))?
            .into_inner();
        loop {
            match updates.message().await {
                Ok(Some(update)) if update.reached => return Ok(()),
                Ok(Some(update)) => info!(%cluster_id, message = %update.message, "cluster"),
                Ok(None) => {
                    return Err(diagnostics::error(
                        format!("Failed {doing}"),
                        "WatchCluster ended before the cluster was RUNNING.",
                    ));
                }
                Err(status) => return Err(from_status(&doing, &status)),
            }
        }
    };
    ctx.unless_stopped(&doing, wait).await?
}

/// The state of cluster `cluster_id` after a create or update, normalised
/// against `planned`; what is known and the error when it cannot be read.
async fn read_back(ctx: &Ctx, cluster_id: &str, planned: &Value) -> (Value, Vec<Diagnostic>) {
    match get(ctx, cluster_id).await {
        Ok(Some(cluster)) => (state::state_of(&cluster, planned), Vec::new()),
        Ok(None) => (
            state::partial(planned, cluster_id),
            vec![diagnostics::error(
                format!("Cluster {cluster_id} disappeared"),
                "The cluster was deleted (outside Terraform?) while it was being applied.",
            )],
        ),
        Err(error) => (state::partial(planned, cluster_id), vec![error]),
    }
}

impl Cluster {
    async fn create(ctx: &Ctx, planned: &Value, private: &[u8]) -> Outcome {
        let spec = Spec::of(planned);
        // The plan's token (without one, the service makes one for this
        // call, which still covers its own retries).
        let kept = Private::read(private);
        let doing = format!("creating cluster {}", spec.cluster_name);
        let created = ctx
            .client
            .clone()
            .create_cluster(spec.create(&kept.idempotency_token))
            .await;
        let cluster_id = match created {
            Ok(created) => created.into_inner().cluster_id,
            Err(status) => return Outcome::failed(errors::from_service(&doing, &status)),
        };
        info!(%cluster_id, "cluster created; waiting until it is RUNNING");
        let private = kept.to_bytes();
        if let Err(error) = wait_until_running(ctx, &cluster_id).await {
            // Keep the cluster in state (not orphaned), with what is known.
            let state = match get(ctx, &cluster_id).await {
                Ok(Some(cluster)) => state::state_of(&cluster, planned),
                _ => state::partial(planned, &cluster_id),
            };
            return Outcome {
                state,
                private,
                diagnostics: vec![error],
            };
        }
        let (state, diagnostics) = read_back(ctx, &cluster_id, planned).await;
        Outcome {
            state,
            private,
            diagnostics,
        }
    }

    async fn update(ctx: &Ctx, prior: &Value, planned: &Value, private: Vec<u8>) -> Outcome {
        let cluster_id = prior
            .attr("cluster_id")
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let failed = |diagnostics| Outcome {
            state: prior.clone(),
            private: private.clone(),
            diagnostics,
        };
        let (before, after) = (Spec::of(prior), Spec::of(planned));
        let mut cluster = match get(ctx, &cluster_id).await {
            Ok(Some(cluster)) => cluster,
            Ok(None) => {
                return Outcome::failed(vec![diagnostics::error(
                    format!("Cluster {cluster_id} does not exist"),
                    "It was deleted outside Terraform; the next plan creates it again.",
                )]);
            }
            Err(error) => return failed(vec![error]),
        };
        let transitional = [
            ClusterState::Pending,
            ClusterState::Restarting,
            ClusterState::Resizing,
        ];
        if transitional.contains(&cluster.state()) {
            // Edit and resize need a settled cluster: wait for the one on
            // its way to RUNNING.
            if let Err(error) = wait_until_running(ctx, &cluster_id).await {
                return failed(vec![error]);
            }
            cluster.set_state(ClusterState::Running);
        }
        let running = cluster.state() == ClusterState::Running;
        if before == after {
            info!(%cluster_id, "nothing to change on the cluster");
        } else if running && before.differs_only_in_size(&after) {
            let doing = format!("resizing cluster {cluster_id}");
            if let Err(status) = ctx
                .client
                .clone()
                .resize_cluster(after.resize(&cluster_id))
                .await
            {
                return failed(errors::from_service(&doing, &status));
            }
        } else {
            let doing = format!("editing cluster {cluster_id}");
            if let Err(status) = ctx
                .client
                .clone()
                .edit_cluster(after.edit(&cluster_id))
                .await
            {
                return failed(errors::from_service(&doing, &status));
            }
        }
        if running && before != after {
            if let Err(error) = wait_until_running(ctx, &cluster_id).await {
                return Outcome {
                    state: state::partial(planned, &cluster_id),
                    private,
                    diagnostics: vec![error],
                };
            }
        }
        let (state, diagnostics) = read_back(ctx, &cluster_id, planned).await;
        Outcome {
            state,
            private,
            diagnostics,
        }
    }

    async fn destroy(ctx: &Ctx, prior: &Value, private: Vec<u8>) -> Outcome {
        let cluster_id = prior.attr("cluster_id").as_str().unwrap_or_default();
        let request = pb::PermanentDeleteClusterRequest {
            cluster_id: cluster_id.to_owned(),
        };
        match ctx.client.clone().permanent_delete_cluster(request).await {
            Ok(_) => Outcome::default(),
            Err(status) if status.code() == Code::NotFound => Outcome::default(),
            Err(status) => Outcome {
                state: prior.clone(),
                private,
                diagnostics: vec![from_status(
                    &format!("deleting cluster {cluster_id}"),
                    &status,
                )],
            },
        }
    }
}

#[tonic::async_trait]
impl ManagedResource for Cluster {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        schema::cluster_schema()
    }

    fn validate(&self, config: &Value) -> Vec<Diagnostic> {
        plan::validate(config)
    }

    async fn plan(&self, _ctx: &Ctx, request: PlanRequest) -> Planned {
        plan::plan(&request)
    }

    async fn apply(&self, ctx: &Ctx, request: ApplyRequest) -> Outcome {
        match (request.prior.is_null(), request.planned.is_null()) {
            (_, true) => Self::destroy(ctx, &request.prior, request.private).await,
            (true, false) => Self::create(ctx, &request.planned, &request.private).await,
            (false, false) => {
                Self::update(ctx, &request.prior, &request.planned, request.private).await
            }
        }
    }

    async fn read(&self, ctx: &Ctx, state: Value, private: Vec<u8>) -> Outcome {
        let cluster_id = state.attr("cluster_id").as_str().unwrap_or_default();
        match get(ctx, cluster_id).await {
            Ok(Some(cluster)) => Outcome {
                state: state::state_of(&cluster, &state),
                private,
                diagnostics: Vec::new(),
            },
            // Gone (deleted or purged): out of state, and the plan creates
            // it again instead of failing.
            Ok(None) => Outcome::default(),
            Err(error) => Outcome {
                state,
                private,
                diagnostics: vec![error],
            },
        }
    }

    async fn import(&self, ctx: &Ctx, id: &str) -> Outcome {
        match get(ctx, id).await {
            Ok(Some(cluster)) => Outcome::state(state::state_of(&cluster, &Value::Null)),
            Ok(None) => Outcome::failed(vec![diagnostics::error(
                format!("Cannot import cluster {id}"),
                "No cluster has this id (or it was purged).",
            )]),
            Err(error) => Outcome::failed(vec![error]),
        }
    }
}
