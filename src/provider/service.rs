//! `tfplugin6.Provider`, first increment: metadata, the provider schema,
//! configuration validation (no checks yet) and StopProvider. Every other
//! RPC answers an error diagnostic naming itself as not built yet (or
//! UNIMPLEMENTED where the response has no diagnostics), so Terraform
//! stops with a message a person can read.

use tonic::{Request, Response, Status};
use tracing::{debug, info};

use super::{
    TYPE_NAME,
    proto::{
        Diagnostic, ServerCapabilities, apply_resource_change, call_function,
        close_ephemeral_resource, configure_provider, diagnostic::Severity, get_functions,
        get_metadata, get_provider_schema, import_resource_state, move_resource_state,
        open_ephemeral_resource, plan_resource_change, provider_server::Provider, read_data_source,
        read_resource, renew_ephemeral_resource, stop_provider, upgrade_resource_state,
        validate_data_resource_config, validate_ephemeral_resource_config,
        validate_provider_config, validate_resource_config,
    },
    schema::provider_schema,
};

/// The provider: stateless in this increment.
#[derive(Debug, Clone, Default)]
pub struct DbgrpcProvider;

/// What the provider tells Terraform it can do: nothing optional yet.
fn capabilities() -> ServerCapabilities {
    ServerCapabilities::default()
}

/// The error diagnostic of an RPC this increment does not build.
pub fn not_built(rpc: &str) -> Vec<Diagnostic> {
    debug!(rpc, "called an RPC that is not built yet");
    vec![Diagnostic {
        severity: Severity::Error.into(),
        summary: format!("{rpc} is not built yet"),
        detail: format!(
            "The {TYPE_NAME} provider is in progress: it has its configuration schema, \
             but no resources, data sources or functions yet, so {rpc} is not available."
        ),
        attribute: None,
    }]
}

/// What every RPC returns.
type Reply<T> = Result<Response<T>, Status>;

#[tonic::async_trait]
impl Provider for DbgrpcProvider {
    async fn get_metadata(
        &self,
        _request: Request<get_metadata::Request>,
    ) -> Reply<get_metadata::Response> {
        Ok(Response::new(get_metadata::Response {
            server_capabilities: Some(capabilities()),
            ..get_metadata::Response::default()
        }))
    }

    async fn get_provider_schema(
        &self,
        _request: Request<get_provider_schema::Request>,
    ) -> Reply<get_provider_schema::Response> {
        Ok(Response::new(get_provider_schema::Response {
            provider: Some(provider_schema()),
            server_capabilities: Some(capabilities()),
            ..get_provider_schema::Response::default()
        }))
    }

    async fn validate_provider_config(
        &self,
        _request: Request<validate_provider_config::Request>,
    ) -> Reply<validate_provider_config::Response> {
        // No checks yet: the settings are read the way `serve` reads them
        // once ConfigureProvider is built.
        Ok(Response::new(validate_provider_config::Response::default()))
    }

    async fn stop_provider(
        &self,
        _request: Request<stop_provider::Request>,
    ) -> Reply<stop_provider::Response> {
        // Nothing waits yet, so there is nothing to cancel.
        info!("Terraform asked the provider to stop");
        Ok(Response::new(stop_provider::Response::default()))
    }

    async fn call_function(
        &self,
        _request: Request<call_function::Request>,
    ) -> Reply<call_function::Response> {
        Err(Status::unimplemented(
            "CallFunction is not built yet: the dbgrpc provider has no functions",
        ))
    }

    async fn validate_resource_config(
        &self,
        _request: Request<validate_resource_config::Request>,
    ) -> Reply<validate_resource_config::Response> {
        Ok(Response::new(validate_resource_config::Response {
            diagnostics: not_built("ValidateResourceConfig"),
        }))
    }

    async fn validate_data_resource_config(
        &self,
        _request: Request<validate_data_resource_config::Request>,
    ) -> Reply<validate_data_resource_config::Response> {
        Ok(Response::new(validate_data_resource_config::Response {
            diagnostics: not_built("ValidateDataResourceConfig"),
        }))
    }

    async fn upgrade_resource_state(
        &self,
        _request: Request<upgrade_resource_state::Request>,
    ) -> Reply<upgrade_resource_state::Response> {
        Ok(Response::new(upgrade_resource_state::Response {
            diagnostics: not_built("UpgradeResourceState"),
            ..upgrade_resource_state::Response::default()
        }))
    }

    async fn configure_provider(
        &self,
        _request: Request<configure_provider::Request>,
    ) -> Reply<configure_provider::Response> {
        Ok(Response::new(configure_provider::Response {
            diagnostics: not_built("ConfigureProvider"),
        }))
    }

    async fn read_resource(
        &self,
        _request: Request<read_resource::Request>,
    ) -> Reply<read_resource::Response> {
        Ok(Response::new(read_resource::Response {
            diagnostics: not_built("ReadResource"),
            ..read_resource::Response::default()
        }))
    }

    async fn plan_resource_change(
        &self,
        _request: Request<plan_resource_change::Request>,
    ) -> Reply<plan_resource_change::Response> {
        Ok(Response::new(plan_resource_change::Response {
            diagnostics: not_built("PlanResourceChange"),
            ..plan_resource_change::Response::default()
        }))
    }

    async fn apply_resource_change(
        &self,
        _request: Request<apply_resource_change::Request>,
    ) -> Reply<apply_resource_change::Response> {
        Ok(Response::new(apply_resource_change::Response {
            diagnostics: not_built("ApplyResourceChange"),
            ..apply_resource_change::Response::default()
        }))
    }

    async fn import_resource_state(
        &self,
        _request: Request<import_resource_state::Request>,
    ) -> Reply<import_resource_state::Response> {
        Ok(Response::new(import_resource_state::Response {
            diagnostics: not_built("ImportResourceState"),
            ..import_resource_state::Response::default()
        }))
    }

    async fn move_resource_state(
        &self,
        _request: Request<move_resource_state::Request>,
    ) -> Reply<move_resource_state::Response> {
        Ok(Response::new(move_resource_state::Response {
            diagnostics: not_built("MoveResourceState"),
            ..move_resource_state::Response::default()
        }))
    }

    async fn read_data_source(
        &self,
        _request: Request<read_data_source::Request>,
    ) -> Reply<read_data_source::Response> {
        Ok(Response::new(read_data_source::Response {
            diagnostics: not_built("ReadDataSource"),
            ..read_data_source::Response::default()
        }))
    }

    async fn validate_ephemeral_resource_config(
        &self,
        _request: Request<validate_ephemeral_resource_config::Request>,
    ) -> Reply<validate_ephemeral_resource_config::Response> {
        Ok(Response::new(
            validate_ephemeral_resource_config::Response {
                diagnostics: not_built("ValidateEphemeralResourceConfig"),
            },
        ))
    }

    async fn open_ephemeral_resource(
        &self,
        _request: Request<open_ephemeral_resource::Request>,
    ) -> Reply<open_ephemeral_resource::Response> {
        Ok(Response::new(open_ephemeral_resource::Response {
            diagnostics: not_built("OpenEphemeralResource"),
            ..open_ephemeral_resource::Response::default()
        }))
    }

    async fn renew_ephemeral_resource(
        &self,
        _request: Request<renew_ephemeral_resource::Request>,
    ) -> Reply<renew_ephemeral_resource::Response> {
        Ok(Response::new(renew_ephemeral_resource::Response {
            diagnostics: not_built("RenewEphemeralResource"),
            ..renew_ephemeral_resource::Response::default()
        }))
    }

    async fn close_ephemeral_resource(
        &self,
        _request: Request<close_ephemeral_resource::Request>,
    ) -> Reply<close_ephemeral_resource::Response> {
        Ok(Response::new(close_ephemeral_resource::Response {
            diagnostics: not_built("CloseEphemeralResource"),
        }))
    }

    async fn get_functions(
        &self,
        _request: Request<get_functions::Request>,
    ) -> Reply<get_functions::Response> {
        Ok(Response::new(get_functions::Response {
            diagnostics: not_built("GetFunctions"),
            ..get_functions::Response::default()
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn unbuilt_rpcs_answer_an_error_diagnostic_naming_themselves() {
        let reply = DbgrpcProvider
            .plan_resource_change(Request::new(plan_resource_change::Request::default()))
            .await
            .unwrap()
            .into_inner();
        let [diagnostic] = reply.diagnostics.as_slice() else {
            panic!("{:?}", reply.diagnostics);
        };
        assert_eq!(diagnostic.severity, i32::from(Severity::Error));
        assert_eq!(diagnostic.summary, "PlanResourceChange is not built yet");
    }

    #[tokio::test]
    async fn validation_and_stop_succeed_quietly() {
        let validated = DbgrpcProvider
            .validate_provider_config(Request::new(validate_provider_config::Request::default()))
            .await
            .unwrap()
            .into_inner();
        assert!(validated.diagnostics.is_empty());
        let stopped = DbgrpcProvider
            .stop_provider(Request::new(stop_provider::Request::default()))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(stopped.error, "");
    }
}
