//! Drives the Terraform provider's RPCs in-process the way Terraform does:
//! configured against an emulator, values sent as msgpack for the type's
//! schema, answers decoded back. `proposed` mimics Terraform's
//! ProposedNewState for flat schemas (computed attributes the config
//! leaves null come from prior state).

use databricks_grpc::{
    emulator::{DEFAULT_TOKEN, EmulatorConfig, EmulatorHandle, JournalEntry},
    provider::{
        proto::{
            AttributePath, Diagnostic, DynamicValue, apply_resource_change, configure_provider,
            diagnostic::Severity, import_resource_state, plan_resource_change,
            provider_server::Provider, read_data_source, read_resource, schema::Block,
            validate_data_resource_config, validate_resource_config,
        },
        registry::Registry,
        schema::provider_schema,
        service::DbgrpcProvider,
        value::{self, Type, Value, block_type},
    },
};
use tonic::Request;

use crate::helpers::spawn_emulator;

/// A configured provider and the emulator behind it.
pub struct Tf {
    pub provider: DbgrpcProvider,
    pub emulator: EmulatorHandle,
    registry: Registry,
}

/// What plan answered.
#[derive(Debug)]
pub struct Plan {
    pub state: Value,
    pub requires_replace: Vec<AttributePath>,
    pub private: Vec<u8>,
    pub diagnostics: Vec<Diagnostic>,
}

/// What apply, read, import or a data source read answered.
#[derive(Debug)]
pub struct Answer {
    pub state: Value,
    pub private: Vec<u8>,
    pub diagnostics: Vec<Diagnostic>,
}

impl Answer {
    /// The error diagnostics' summaries and details.
    pub fn errors(&self) -> Vec<String> {
        errors(&self.diagnostics)
    }
}

/// The error diagnostics' summaries and details, one string each.
pub fn errors(diagnostics: &[Diagnostic]) -> Vec<String> {
    diagnostics
        .iter()
        .filter(|d| d.severity == i32::from(Severity::Error))
        .map(|d| format!("{}: {}", d.summary, d.detail))
        .collect()
}

/// The attribute names of a path.
pub fn path_names(path: &AttributePath) -> Vec<String> {
    use databricks_grpc::provider::proto::attribute_path::step::Selector;
    path.steps
        .iter()
        .filter_map(|step| match &step.selector {
            Some(Selector::AttributeName(name)) => Some(name.clone()),
            _ => None,
        })
        .collect()
}

fn dynamic(value: &Value, ty: &Type) -> Option<DynamicValue> {
    Some(DynamicValue {
        msgpack: value::encode(value, ty).unwrap(),
        json: Vec::new(),
    })
}

fn read_back(dynamic: Option<DynamicValue>, ty: &Type) -> Value {
    match dynamic {
        Some(dynamic) if !dynamic.msgpack.is_empty() => {
            value::decode(&dynamic.msgpack, ty).unwrap()
        }
        _ => Value::Null,
    }
}

impl Tf {
    /// An emulator with `config`, and a provider configured against it.
    pub async fn start(config: EmulatorConfig) -> Self {
        let emulator = spawn_emulator(config).await;
        let provider = DbgrpcProvider::default();
        let provider_type = block_type(provider_schema().block.as_ref().unwrap()).unwrap();
        let settings = Value::object([
            ("host", Value::string(emulator.url())),
            ("token", Value::string(DEFAULT_TOKEN)),
            ("profile", Value::Null),
            ("auth_type", Value::Null),
            ("client_id", Value::Null),
            ("client_secret", Value::Null),
        ]);
        let configured = provider
            .configure_provider(Request::new(configure_provider::Request {
                terraform_version: "1.11.4".into(),
                config: dynamic(&settings, &provider_type),
                client_capabilities: None,
            }))
            .await
            .unwrap()
            .into_inner();
        assert!(
            configured.diagnostics.is_empty(),
            "{:?}",
            configured.diagnostics
        );
        Self {
            provider,
            emulator,
            registry: Registry::new(),
        }
    }

    /// The value type of a resource (data sources: [`Tf::data_ty`]).
    pub fn ty(&self, type_name: &str) -> Type {
        self.registry.resources[type_name].ty.clone()
    }

    /// A configuration of resource `type_name` (data sources:
    /// [`Tf::data_config`]).
    pub fn config(&self, type_name: &str, given: Vec<(&str, Value)>) -> Value {
        let schema = &self.registry.resources[type_name].schema;
        configuration(type_name, schema.block.as_ref().unwrap(), given)
    }

    /// Terraform's proposed new state: config, with each computed
    /// attribute the config leaves null taken from `prior`.
    pub fn proposed(&self, type_name: &str, prior: &Value, config: &Value) -> Value {
        let block = self.registry.resources[type_name]
            .schema
            .block
            .clone()
            .unwrap();
        let mut proposed = config.clone();
        for attribute in &block.attributes {
            if attribute.computed && config.attr(&attribute.name).is_null() {
                proposed.set_attr(&attribute.name, prior.attr(&attribute.name).clone());
            }
        }
        proposed
    }

    /// ValidateResourceConfig.
    pub async fn validate(&self, type_name: &str, config: &Value) -> Vec<Diagnostic> {
        self.provider
            .validate_resource_config(Request::new(validate_resource_config::Request {
                type_name: type_name.into(),
                config: dynamic(config, &self.ty(type_name)),
                client_capabilities: None,
            }))
            .await
            .unwrap()
            .into_inner()
            .diagnostics
    }

    /// PlanResourceChange with Terraform's proposal.
    pub async fn plan(
        &self,
        type_name: &str,
        prior: &Value,
        config: &Value,
        prior_private: Vec<u8>,
    ) -> Plan {
        let ty = self.ty(type_name);
        let proposed = self.proposed(type_name, prior, config);
        let reply = self
            .provider
            .plan_resource_change(Request::new(plan_resource_change::Request {
                type_name: type_name.into(),
                prior_state: dynamic(prior, &ty),
                proposed_new_state: dynamic(&proposed, &ty),
                config: dynamic(config, &ty),
                prior_private,
                provider_meta: None,
                client_capabilities: None,
            }))
            .await
            .unwrap()
            .into_inner();
        Plan {
            state: read_back(reply.planned_state, &ty),
            requires_replace: reply.requires_replace,
            private: reply.planned_private,
            diagnostics: reply.diagnostics,
        }
    }

    /// ApplyResourceChange (`planned` null destroys).
    pub async fn apply(
        &self,
        type_name: &str,
        prior: &Value,
        planned: &Value,
        config: &Value,
        private: Vec<u8>,
    ) -> Answer {
        let ty = self.ty(type_name);
        let reply = self
            .provider
            .apply_resource_change(Request::new(apply_resource_change::Request {
                type_name: type_name.into(),
                prior_state: dynamic(prior, &ty),
                planned_state: dynamic(planned, &ty),
                config: dynamic(config, &ty),
                planned_private: private,
                provider_meta: None,
            }))
            .await
            .unwrap()
            .into_inner();
        Answer {
            state: read_back(reply.new_state, &ty),
            private: reply.private,
            diagnostics: reply.diagnostics,
        }
    }

    /// Plan then apply, as `terraform apply` does for one resource; panics
    /// on error diagnostics in the plan.
    pub async fn plan_and_apply(&self, type_name: &str, prior: &Value, config: &Value) -> Answer {
        let plan = self.plan(type_name, prior, config, Vec::new()).await;
        assert!(
            errors(&plan.diagnostics).is_empty(),
            "{:?}",
            plan.diagnostics
        );
        self.apply(type_name, prior, &plan.state, config, plan.private)
            .await
    }

    /// ReadResource.
    pub async fn read(&self, type_name: &str, state: &Value, private: Vec<u8>) -> Answer {
        let ty = self.ty(type_name);
        let reply = self
            .provider
            .read_resource(Request::new(read_resource::Request {
                type_name: type_name.into(),
                current_state: dynamic(state, &ty),
                private,
                provider_meta: None,
                client_capabilities: None,
            }))
            .await
            .unwrap()
            .into_inner();
        Answer {
            state: read_back(reply.new_state, &ty),
            private: reply.private,
            diagnostics: reply.diagnostics,
        }
    }

    /// ImportResourceState: the one imported state.
    pub async fn import(&self, type_name: &str, id: &str) -> Answer {
        let ty = self.ty(type_name);
        let reply = self
            .provider
            .import_resource_state(Request::new(import_resource_state::Request {
                type_name: type_name.into(),
                id: id.into(),
                client_capabilities: None,
            }))
            .await
            .unwrap()
            .into_inner();
        let imported = reply.imported_resources.into_iter().next();
        Answer {
            state: imported
                .as_ref()
                .map(|resource| read_back(resource.state.clone(), &ty))
                .unwrap_or(Value::Null),
            private: imported
                .map(|resource| resource.private)
                .unwrap_or_default(),
            diagnostics: reply.diagnostics,
        }
    }
}

impl Tf {
    /// Requests the emulator served for `path`.
    pub fn upstream_calls(&self, path: &str) -> Vec<JournalEntry> {
        self.emulator
            .journal()
            .into_iter()
            .filter(|entry| entry.path == path)
            .collect()
    }

    /// A data source read of a type that does not exist: its errors.
    pub async fn read_data_unknown_type(&self) -> Vec<String> {
        let reply = self
            .provider
            .read_data_source(Request::new(read_data_source::Request {
                type_name: "dbgrpc_nothing".into(),
                ..read_data_source::Request::default()
            }))
            .await
            .unwrap()
            .into_inner();
        errors(&reply.diagnostics)
    }
}

/// A configuration of `block`: the given attributes, every other attribute
/// null and every block an empty list (as Terraform sends a LIST/SET block
/// nobody wrote).
fn configuration(type_name: &str, block: &Block, given: Vec<(&str, Value)>) -> Value {
    let mut object = std::collections::BTreeMap::new();
    for attribute in &block.attributes {
        object.insert(attribute.name.clone(), Value::Null);
    }
    for nested in &block.block_types {
        object.insert(nested.type_name.clone(), Value::List(Vec::new()));
    }
    for (name, value) in given {
        assert!(object.contains_key(name), "{type_name} has no {name}");
        object.insert(name.to_owned(), value);
    }
    Value::Map(object)
}

/// EmulatorConfig's default, for `Tf::start`.
pub fn emulator() -> EmulatorConfig {
    EmulatorConfig::default()
}

/// Data sources by their own schema: `dbgrpc_cluster` is both a resource
/// and a data source, and `ty`/`config` find the resource first.
impl Tf {
    /// The value type of a data source.
    pub fn data_ty(&self, type_name: &str) -> Type {
        self.registry.data_sources[type_name].ty.clone()
    }

    /// A data source configuration: the given attributes, every other
    /// attribute null.
    pub fn data_config(&self, type_name: &str, given: Vec<(&str, Value)>) -> Value {
        let schema = &self.registry.data_sources[type_name].schema;
        configuration(type_name, schema.block.as_ref().unwrap(), given)
    }

    /// ValidateDataResourceConfig with the data source's type.
    pub async fn validate_data_source(&self, type_name: &str, config: &Value) -> Vec<Diagnostic> {
        self.provider
            .validate_data_resource_config(Request::new(validate_data_resource_config::Request {
                type_name: type_name.into(),
                config: dynamic(config, &self.data_ty(type_name)),
            }))
            .await
            .unwrap()
            .into_inner()
            .diagnostics
    }

    /// ReadDataSource with the data source's type.
    pub async fn read_data_source(&self, type_name: &str, config: &Value) -> Answer {
        let ty = self.data_ty(type_name);
        let reply = self
            .provider
            .read_data_source(Request::new(read_data_source::Request {
                type_name: type_name.into(),
                config: dynamic(config, &ty),
                provider_meta: None,
                client_capabilities: None,
            }))
            .await
            .unwrap()
            .into_inner();
        Answer {
            state: read_back(reply.state, &ty),
            private: Vec::new(),
            diagnostics: reply.diagnostics,
        }
    }
}
