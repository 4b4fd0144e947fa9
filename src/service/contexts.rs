//! CreateContext, ContextStatus and DestroyContext (REST API 1.2 contexts).
//! Contexts created here belong to the caller; the server never destroys them.

use tonic::Status;
use tracing::{info, instrument};

use super::Tenant;
use crate::{
    convert,
    databricks::{CallOptions, models::ContextRequest},
    managed_contexts::wait_until_running,
    proto::compute as pb,
    telemetry::excerpt,
};

// === impl Tenant ===

impl Tenant {
    /// Creates a context (sent once, never retried) and waits until it runs.
    #[instrument(skip_all, fields(cluster_id = %excerpt(&request.cluster_id)))]
    pub(super) async fn create_caller_context(
        &self,
        request: pb::CreateContextRequest,
        options: CallOptions,
    ) -> Result<pb::CreateContextResponse, Status> {
        let body = convert::create_context(&request)?;
        let created = self.client.create_context(&body, options).await?;
        info!(context_id = %created.id, "execution context created for the caller");
        let context = ContextRequest {
            cluster_id: body.cluster_id,
            context_id: created.id.clone(),
        };
        if let Err(status) = wait_until_running(&self.client, &context).await {
            // The caller never learns this id, so it must not leak a slot.
            let _ = self.client.destroy_context(&context, options).await;
            return Err(status);
        }
        Ok(pb::CreateContextResponse {
            context_id: created.id,
        })
    }

    #[instrument(skip_all, fields(context_id = %excerpt(&request.context_id)))]
    pub(super) async fn read_context_status(
        &self,
        request: pb::ContextStatusRequest,
        options: CallOptions,
    ) -> Result<pb::ContextStatusResponse, Status> {
        let key = convert::context_request(&request.cluster_id, &request.context_id)?;
        let status = self.client.context_status(&key, options).await?;
        if status.status == "Error" {
            self.contexts.report_dead(&key.context_id);
        }
        Ok(convert::context_status(status))
    }

    #[instrument(skip_all, fields(context_id = %excerpt(&request.context_id)))]
    pub(super) async fn destroy_caller_context(
        &self,
        request: pb::DestroyContextRequest,
        options: CallOptions,
    ) -> Result<pb::DestroyContextResponse, Status> {
        let key = convert::context_request(&request.cluster_id, &request.context_id)?;
        let destroyed = self.client.destroy_context(&key, options).await?;
        info!("execution context destroyed");
        Ok(pb::DestroyContextResponse {
            context_id: destroyed.id,
        })
    }
}
