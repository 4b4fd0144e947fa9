//! REST API 1.2 execution contexts and commands, on [`Client`]. Parameter
//! names are camelCase; create and execute are not idempotent.

use tracing::instrument;

use super::{
    CallOptions, Client, Error,
    models::{
        CommandRequest, CommandStatusResponse, ContextRequest, ContextStatusResponse,
        CreateContextRequest, ExecuteCommandRequest, IdResponse,
    },
    retry::Resend,
};
use crate::telemetry::excerpt;

// === impl Client ===

impl Client {
    /// `POST /api/1.2/contexts/create`. Not idempotent: each success uses
    /// one of the cluster's execution context slots.
    #[instrument(skip_all, fields(cluster_id = %excerpt(&request.cluster_id), language = %request.language))]
    pub async fn create_context(
        &self,
        request: &CreateContextRequest,
        options: CallOptions,
    ) -> Result<IdResponse, Error> {
        self.post(
            "/api/1.2/contexts/create",
            request,
            options,
            Resend::OnlyIfNotSent,
        )
        .await
    }

    /// `GET /api/1.2/contexts/status?clusterId=&contextId=`.
    #[instrument(skip_all, fields(cluster_id = %excerpt(&request.cluster_id), context_id = %excerpt(&request.context_id)))]
    pub async fn context_status(
        &self,
        request: &ContextRequest,
        options: CallOptions,
    ) -> Result<ContextStatusResponse, Error> {
        let query = [
            ("clusterId", request.cluster_id.as_str()),
            ("contextId", request.context_id.as_str()),
        ];
        self.get("/api/1.2/contexts/status", &query, options).await
    }

    /// `POST /api/1.2/contexts/destroy`.
    #[instrument(skip_all, fields(cluster_id = %excerpt(&request.cluster_id), context_id = %excerpt(&request.context_id)))]
    pub async fn destroy_context(
        &self,
        request: &ContextRequest,
        options: CallOptions,
    ) -> Result<IdResponse, Error> {
        let destroyed = self
            .post("/api/1.2/contexts/destroy", request, options, Resend::Safe)
            .await;
        match destroyed {
            // The attempt whose answer was lost destroyed it; the resend
            // found nothing left, which is what the caller asked for.
            Err(Error::Api(api)) if api.after_lost_answer && api.is_context_not_found() => {
                Ok(IdResponse {
                    id: request.context_id.clone(),
                })
            }
            other => other,
        }
    }

    /// `POST /api/1.2/commands/execute`. Not idempotent: sending it twice
    /// runs the code twice.
    #[instrument(skip_all, fields(cluster_id = %excerpt(&request.cluster_id), context_id = %excerpt(&request.context_id), language = %request.language))]
    pub async fn execute_command(
        &self,
        request: &ExecuteCommandRequest,
        options: CallOptions,
    ) -> Result<IdResponse, Error> {
        self.post(
            "/api/1.2/commands/execute",
            request,
            options,
            Resend::OnlyIfNotSent,
        )
        .await
    }

    /// `GET /api/1.2/commands/status?clusterId=&contextId=&commandId=`.
    #[instrument(skip_all, fields(command_id = %excerpt(&request.command_id)))]
    pub async fn command_status(
        &self,
        request: &CommandRequest,
        options: CallOptions,
    ) -> Result<CommandStatusResponse, Error> {
        let query = [
            ("clusterId", request.cluster_id.as_str()),
            ("contextId", request.context_id.as_str()),
            ("commandId", request.command_id.as_str()),
        ];
        self.get("/api/1.2/commands/status", &query, options).await
    }

    /// `POST /api/1.2/commands/cancel`.
    #[instrument(skip_all, fields(command_id = %excerpt(&request.command_id)))]
    pub async fn cancel_command(
        &self,
        request: &CommandRequest,
        options: CallOptions,
    ) -> Result<IdResponse, Error> {
        self.post("/api/1.2/commands/cancel", request, options, Resend::Safe)
            .await
    }
}
