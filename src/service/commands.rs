//! ExecuteCommand, CommandStatus, CancelCommand and StreamCommandStatus
//! (REST API 1.2 commands).

use tokio_stream::StreamExt;
use tonic::Status;
use tracing::{info, instrument, warn};

use super::{ResponseStream, Tenant};
use crate::{
    convert::{self, ExecuteCommand},
    databricks::{
        self, CallOptions,
        models::{CommandRequest, ExecuteCommandRequest},
    },
    managed_contexts::reports_dead_driver,
    proto::compute as pb,
    telemetry::excerpt,
};

// === impl Tenant ===

impl Tenant {
    /// Sends the command exactly once. With no caller context it runs in the
    /// managed one; when Databricks says that context is gone (so the command
    /// did not run), a new context is made and the command sent to it.
    #[instrument(skip_all, fields(cluster_id = %excerpt(&request.cluster_id)))]
    pub(super) async fn execute(
        &self,
        request: pb::ExecuteCommandRequest,
        options: CallOptions,
    ) -> Result<pb::ExecuteCommandResponse, Status> {
        let valid = convert::execute_command(&request)?;
        if let Some(context_id) = &valid.context_id {
            return Ok(self.send_execute(&valid, context_id, options).await?);
        }
        let context_id = self
            .contexts
            .context_for(&valid.cluster_id, valid.language)
            .await?;
        match self.send_execute(&valid, &context_id, options).await {
            Err(error) if is_context_gone(&error) => {
                self.contexts
                    .forget(&valid.cluster_id, valid.language, &context_id)
                    .await;
                let context_id = self
                    .contexts
                    .context_for(&valid.cluster_id, valid.language)
                    .await?;
                Ok(self.send_execute(&valid, &context_id, options).await?)
            }
            result => Ok(result?),
        }
    }

    async fn send_execute(
        &self,
        valid: &ExecuteCommand,
        context_id: &str,
        options: CallOptions,
    ) -> Result<pb::ExecuteCommandResponse, databricks::Error> {
        let body = ExecuteCommandRequest {
            cluster_id: valid.cluster_id.clone(),
            context_id: context_id.to_owned(),
            language: valid.language.to_owned(),
            command: valid.command.clone(),
        };
        let sent = self.client.execute_command(&body, options).await?;
        info!(context_id, command_id = %sent.id, "command started");
        Ok(pb::ExecuteCommandResponse {
            command_id: sent.id,
            context_id: context_id.to_owned(),
        })
    }

    #[instrument(skip_all, fields(command_id = %excerpt(&request.command_id)))]
    pub(super) async fn read_command_status(
        &self,
        request: pb::CommandStatusRequest,
        options: CallOptions,
    ) -> Result<pb::CommandStatusResponse, Status> {
        let key = self.command_in_use(
            &request.cluster_id,
            &request.context_id,
            &request.command_id,
        )?;
        let status = self.client.command_status(&key, options).await?;
        if reports_dead_driver(&status) {
            self.contexts.report_dead(&key.context_id);
        }
        Ok(pb::CommandStatusResponse {
            command: Some(convert::command(status)),
        })
    }

    #[instrument(skip_all, fields(command_id = %excerpt(&request.command_id)))]
    pub(super) async fn cancel(
        &self,
        request: pb::CancelCommandRequest,
        options: CallOptions,
    ) -> Result<pb::CancelCommandResponse, Status> {
        let key = convert::command_request(
            &request.cluster_id,
            &request.context_id,
            &request.command_id,
        )?;
        let cancelled = self.client.cancel_command(&key, options).await?;
        info!("cancel requested");
        Ok(pb::CancelCommandResponse {
            command_id: cancelled.id,
        })
    }

    /// Subscribes to the shared poll loop of the command.
    pub(super) fn stream_command(
        &self,
        request: pb::StreamCommandStatusRequest,
    ) -> Result<ResponseStream<pb::StreamCommandStatusResponse>, Status> {
        let key = self.command_in_use(
            &request.cluster_id,
            &request.context_id,
            &request.command_id,
        )?;
        let client = self.client.clone();
        let contexts = self.contexts.clone();
        let poll_key = key.clone();
        let poll = move || {
            let client = client.clone();
            let contexts = contexts.clone();
            let key = poll_key.clone();
            async move {
                let status = client.command_status(&key, CallOptions::default()).await?;
                if reports_dead_driver(&status) {
                    contexts.report_dead(&key.context_id);
                }
                // The typed error goes to the poll loop, which decides
                // whether to ride it out before any caller hears of it.
                Ok::<_, databricks::Error>(convert::command(status))
            }
        };
        let updates = self.commands.subscribe(key, poll, convert::is_terminal);
        Ok(Box::pin(updates.map(|update| {
            update.map(|command| pb::StreamCommandStatusResponse {
                command: Some(command),
            })
        })))
    }
}

// === impl Tenant ===

impl Tenant {
    /// Validates a command's ids and marks its context as in use, so a
    /// managed context being watched is not reaped as idle.
    fn command_in_use(
        &self,
        cluster_id: &str,
        context_id: &str,
        command_id: &str,
    ) -> Result<CommandRequest, Status> {
        let key = convert::command_request(cluster_id, context_id, command_id)?;
        self.contexts.touch(&key.context_id);
        Ok(key)
    }
}

/// Databricks refused because the context no longer exists, so the command
/// did not run and may be sent to a new context.
fn is_context_gone(error: &databricks::Error) -> bool {
    let databricks::Error::Api(api) = error else {
        return false;
    };
    let gone = api.is_context_not_found();
    if gone {
        warn!(message = %api.message, "Databricks says the execution context is gone");
    }
    gone
}
