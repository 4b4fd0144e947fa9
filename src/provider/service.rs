//! `tfplugin6.Provider`: schemas, configuration, StopProvider here; the
//! resource and data source RPCs in [`super::handlers`]. Ephemeral
//! resources, functions and moves between types are not offered: those
//! RPCs answer an error diagnostic saying so.

use tonic::{Request, Response, Status};
use tracing::{debug, info};

use super::{
    TYPE_NAME, configure,
    handlers::{self, ProviderState, Shared},
    proto::{
        Diagnostic, ServerCapabilities, apply_resource_change, call_function,
        close_ephemeral_resource, configure_provider, diagnostic::Severity, get_functions,
        get_metadata, get_provider_schema, import_resource_state, move_resource_state,
        open_ephemeral_resource, plan_resource_change, provider_server::Provider, read_data_source,
        read_resource, renew_ephemeral_resource, stop_provider, upgrade_resource_state,
        validate_data_resource_config, validate_ephemeral_resource_config,
        validate_provider_config, validate_resource_config,
    },
    registry::implied_type,
    schema::provider_schema,
    wire,
};

/// The provider: its types, and the client ConfigureProvider connects.
#[derive(Debug, Clone, Default)]
pub struct DbgrpcProvider {
    state: Shared,
}

/// What the provider tells Terraform it can do: the schema is the same in
/// every process of one command, so Terraform may skip asking again.
fn capabilities() -> ServerCapabilities {
    ServerCapabilities {
        get_provider_schema_optional: true,
        ..ServerCapabilities::default()
    }
}

/// The error diagnostic of an RPC for something the provider does not offer.
pub fn not_offered(rpc: &str, what: &str) -> Vec<Diagnostic> {
    debug!(rpc, "called an RPC the provider does not offer");
    vec![Diagnostic {
        severity: Severity::Error.into(),
        summary: format!("The {TYPE_NAME} provider has no {what}"),
        detail: format!(
            "{rpc} is not available: the {TYPE_NAME} provider offers resources and data sources only."
        ),
        attribute: None,
    }]
}

/// What every RPC returns.
type Reply<T> = Result<Response<T>, Status>;

impl DbgrpcProvider {
    /// The provider's state, for tests.
    pub fn state(&self) -> &ProviderState {
        &self.state
    }
}

#[tonic::async_trait]
impl Provider for DbgrpcProvider {
    async fn get_metadata(
        &self,
        _request: Request<get_metadata::Request>,
    ) -> Reply<get_metadata::Response> {
        let registry = &self.state.registry;
        Ok(Response::new(get_metadata::Response {
            server_capabilities: Some(capabilities()),
            resources: registry
                .resources
                .keys()
                .map(|name| get_metadata::ResourceMetadata {
                    type_name: (*name).to_owned(),
                })
                .collect(),
            data_sources: registry
                .data_sources
                .keys()
                .map(|name| get_metadata::DataSourceMetadata {
                    type_name: (*name).to_owned(),
                })
                .collect(),
            ..get_metadata::Response::default()
        }))
    }

    async fn get_provider_schema(
        &self,
        _request: Request<get_provider_schema::Request>,
    ) -> Reply<get_provider_schema::Response> {
        let registry = &self.state.registry;
        Ok(Response::new(get_provider_schema::Response {
            provider: Some(provider_schema()),
            resource_schemas: registry
                .resources
                .iter()
                .map(|(name, entry)| ((*name).to_owned(), entry.schema.clone()))
                .collect(),
            data_source_schemas: registry
                .data_sources
                .iter()
                .map(|(name, entry)| ((*name).to_owned(), entry.schema.clone()))
                .collect(),
            server_capabilities: Some(capabilities()),
            ..get_provider_schema::Response::default()
        }))
    }

    async fn validate_provider_config(
        &self,
        request: Request<validate_provider_config::Request>,
    ) -> Reply<validate_provider_config::Response> {
        let ty = implied_type(&provider_schema());
        let diagnostics = match wire::decode(
            request.get_ref().config.as_ref(),
            &ty,
            "provider configuration",
        ) {
            Ok(_) => Vec::new(),
            Err(diagnostic) => vec![diagnostic],
        };
        Ok(Response::new(validate_provider_config::Response {
            diagnostics,
        }))
    }

    async fn configure_provider(
        &self,
        request: Request<configure_provider::Request>,
    ) -> Reply<configure_provider::Response> {
        let request = request.into_inner();
        info!(terraform_version = %request.terraform_version, "configuring the provider");
        let ty = implied_type(&provider_schema());
        let configured = async {
            let config = wire::decode(request.config.as_ref(), &ty, "provider configuration")
                .map_err(|d| vec![d])?;
            let settings = configure::ProviderSettings::from_config(&config)?;
            let client = configure::connect(settings).await.map_err(|d| vec![d])?;
            // Terraform configures once per process; a second call keeps
            // the first client.
            let _ = self.state.client.set(client);
            Ok::<_, Vec<Diagnostic>>(())
        };
        let diagnostics = configured.await.err().unwrap_or_default();
        Ok(Response::new(configure_provider::Response { diagnostics }))
    }

    async fn stop_provider(
        &self,
        _request: Request<stop_provider::Request>,
    ) -> Reply<stop_provider::Response> {
        info!("Terraform asked the provider to stop: cancelling waits");
        self.state.stop.cancel();
        Ok(Response::new(stop_provider::Response::default()))
    }

    async fn validate_resource_config(
        &self,
        request: Request<validate_resource_config::Request>,
    ) -> Reply<validate_resource_config::Response> {
        let request = request.into_inner();
        Ok(Response::new(validate_resource_config::Response {
            diagnostics: handlers::validate_resource(
                &self.state,
                &request.type_name,
                request.config.as_ref(),
            ),
        }))
    }

    async fn validate_data_resource_config(
        &self,
        request: Request<validate_data_resource_config::Request>,
    ) -> Reply<validate_data_resource_config::Response> {
        let request = request.into_inner();
        Ok(Response::new(validate_data_resource_config::Response {
            diagnostics: handlers::validate_data_source(
                &self.state,
                &request.type_name,
                request.config.as_ref(),
            ),
        }))
    }

    async fn upgrade_resource_state(
        &self,
        request: Request<upgrade_resource_state::Request>,
    ) -> Reply<upgrade_resource_state::Response> {
        Ok(Response::new(handlers::upgrade(
            &self.state,
            request.get_ref(),
        )))
    }

    async fn read_resource(
        &self,
        request: Request<read_resource::Request>,
    ) -> Reply<read_resource::Response> {
        Ok(Response::new(
            handlers::read(&self.state, request.into_inner()).await,
        ))
    }

    async fn plan_resource_change(
        &self,
        request: Request<plan_resource_change::Request>,
    ) -> Reply<plan_resource_change::Response> {
        Ok(Response::new(
            handlers::plan(&self.state, request.into_inner()).await,
        ))
    }

    async fn apply_resource_change(
        &self,
        request: Request<apply_resource_change::Request>,
    ) -> Reply<apply_resource_change::Response> {
        Ok(Response::new(
            handlers::apply(&self.state, request.into_inner()).await,
        ))
    }

    async fn import_resource_state(
        &self,
        request: Request<import_resource_state::Request>,
    ) -> Reply<import_resource_state::Response> {
        Ok(Response::new(
            handlers::import(&self.state, request.into_inner()).await,
        ))
    }

    async fn read_data_source(
        &self,
        request: Request<read_data_source::Request>,
    ) -> Reply<read_data_source::Response> {
        Ok(Response::new(
            handlers::read_data_source(&self.state, request.into_inner()).await,
        ))
    }

    async fn move_resource_state(
        &self,
        _request: Request<move_resource_state::Request>,
    ) -> Reply<move_resource_state::Response> {
        Ok(Response::new(move_resource_state::Response {
            diagnostics: not_offered("MoveResourceState", "moves between resource types"),
            ..move_resource_state::Response::default()
        }))
    }

    async fn call_function(
        &self,
        _request: Request<call_function::Request>,
    ) -> Reply<call_function::Response> {
        Err(Status::unimplemented(
            "the dbgrpc provider has no functions",
        ))
    }

    async fn get_functions(
        &self,
        _request: Request<get_functions::Request>,
    ) -> Reply<get_functions::Response> {
        Ok(Response::new(get_functions::Response::default()))
    }

    async fn validate_ephemeral_resource_config(
        &self,
        _request: Request<validate_ephemeral_resource_config::Request>,
    ) -> Reply<validate_ephemeral_resource_config::Response> {
        Ok(Response::new(
            validate_ephemeral_resource_config::Response {
                diagnostics: not_offered("ValidateEphemeralResourceConfig", "ephemeral resources"),
            },
        ))
    }

    async fn open_ephemeral_resource(
        &self,
        _request: Request<open_ephemeral_resource::Request>,
    ) -> Reply<open_ephemeral_resource::Response> {
        Ok(Response::new(open_ephemeral_resource::Response {
            diagnostics: not_offered("OpenEphemeralResource", "ephemeral resources"),
            ..open_ephemeral_resource::Response::default()
        }))
    }

    async fn renew_ephemeral_resource(
        &self,
        _request: Request<renew_ephemeral_resource::Request>,
    ) -> Reply<renew_ephemeral_resource::Response> {
        Ok(Response::new(renew_ephemeral_resource::Response {
            diagnostics: not_offered("RenewEphemeralResource", "ephemeral resources"),
            ..renew_ephemeral_resource::Response::default()
        }))
    }

    async fn close_ephemeral_resource(
        &self,
        _request: Request<close_ephemeral_resource::Request>,
    ) -> Reply<close_ephemeral_resource::Response> {
        Ok(Response::new(close_ephemeral_resource::Response {
            diagnostics: not_offered("CloseEphemeralResource", "ephemeral resources"),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn unoffered_rpcs_answer_an_error_diagnostic_naming_themselves() {
        let reply = DbgrpcProvider::default()
            .open_ephemeral_resource(Request::new(open_ephemeral_resource::Request::default()))
            .await
            .unwrap()
            .into_inner();
        let [diagnostic] = reply.diagnostics.as_slice() else {
            panic!("{:?}", reply.diagnostics);
        };
        assert_eq!(diagnostic.severity, i32::from(Severity::Error));
        assert!(
            diagnostic.detail.contains("OpenEphemeralResource"),
            "{diagnostic:?}"
        );
    }

    #[tokio::test]
    async fn resource_calls_before_configure_say_so() {
        let reply = DbgrpcProvider::default()
            .read_resource(Request::new(read_resource::Request {
                type_name: "dbgrpc_nothing".into(),
                ..read_resource::Request::default()
            }))
            .await
            .unwrap()
            .into_inner();
        assert!(
            reply.diagnostics[0]
                .summary
                .contains("Unknown resource type"),
            "{:?}",
            reply.diagnostics
        );
    }

    #[tokio::test]
    async fn validation_and_stop_succeed_quietly_and_stop_cancels_waits() {
        let provider = DbgrpcProvider::default();
        let validated = provider
            .validate_provider_config(Request::new(validate_provider_config::Request::default()))
            .await
            .unwrap()
            .into_inner();
        assert!(validated.diagnostics.is_empty());
        assert!(!provider.state().stop.is_cancelled());
        let stopped = provider
            .stop_provider(Request::new(stop_provider::Request::default()))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(stopped.error, "");
        assert!(provider.state().stop.is_cancelled());
    }
}
