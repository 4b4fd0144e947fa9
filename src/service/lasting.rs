//! The calls that keep state past their end in pass-through mode, and the
//! request that shows Databricks accepts a new caller's credential before any
//! is kept for it. ExecuteCommand without a `context_id` keeps a managed
//! context; StreamCommandStatus and WatchClusterStatus keep a poll loop. For
//! a caller with no state yet, the cluster is read first (`clusters/get`,
//! one cheap GET); only when that succeeds is the caller given a slot.
//! AllStatuses keeps its snapshot through `Tenants::keep` once its own fetch
//! has succeeded (`libraries.rs`).

use std::sync::Arc;

use tonic::{Request, Status};

use super::{ComputeService, Tenant};
use crate::{
    convert::{self, InvalidRequest},
    databricks::CallOptions,
    proto::compute as pb,
};

/// A request that may keep state about a cluster.
pub(super) trait KeepsState {
    /// The cluster the call keeps state about, once the request is valid;
    /// `None` when this call keeps none.
    fn lasting_cluster(&self) -> Result<Option<String>, InvalidRequest>;
}

impl ComputeService {
    /// As `caller`, but for a call that may keep state: the caller's
    /// registered tenant, registered now if Databricks accepts the caller's
    /// credential. Invalid requests fail before any upstream call.
    pub(super) async fn lasting_caller<T: KeepsState>(
        &self,
        request: &Request<T>,
    ) -> Result<(Arc<Tenant>, CallOptions), Status> {
        let (tenant, options) = self.caller(request)?;
        // The shared tenant and registered callers need no check, and the
        // RPC validates its request itself: validating here too would copy
        // an ExecuteCommand's code twice on every call.
        if let Some(known) = self.tenants.keeping(&tenant) {
            return Ok((known, options));
        }
        let Some(cluster_id) = request.get_ref().lasting_cluster()? else {
            return Ok((tenant, options));
        };
        let client = tenant.client.clone();
        let accepted = async move { client.get_cluster(&cluster_id, options).await };
        let tenant = self.tenants.lasting(tenant, accepted).await?;
        Ok((tenant, options))
    }
}

impl KeepsState for pb::ExecuteCommandRequest {
    fn lasting_cluster(&self) -> Result<Option<String>, InvalidRequest> {
        let valid = convert::execute_command(self)?;
        Ok(valid.context_id.is_none().then_some(valid.cluster_id))
    }
}

impl KeepsState for pb::StreamCommandStatusRequest {
    fn lasting_cluster(&self) -> Result<Option<String>, InvalidRequest> {
        let key = convert::command_request(&self.cluster_id, &self.context_id, &self.command_id)?;
        Ok(Some(key.cluster_id))
    }
}

impl KeepsState for pb::WatchClusterStatusRequest {
    fn lasting_cluster(&self) -> Result<Option<String>, InvalidRequest> {
        convert::cluster_id(&self.cluster_id).map(Some)
    }
}
