//! The resource and data source RPCs, decoded: find the type, read the
//! values with its schema's type, call it, check and write its answer.
//! The checks catch provider bugs Terraform would report less clearly
//! (an unknown left in a state; a wrong shape).

use std::sync::{Arc, OnceLock};

use tokio_util::sync::CancellationToken;

use super::{
    client::Compute,
    diagnostics,
    proto::{
        Diagnostic, apply_resource_change, import_resource_state, plan_resource_change,
        read_data_source, read_resource, upgrade_resource_state,
    },
    registry::{Entry, Registry},
    resource::{ApplyRequest, Ctx, DataSource, ManagedResource, Outcome, PlanRequest},
    value::{self, Value},
    wire,
};

/// What the provider keeps for its process's life.
#[derive(Debug, Default)]
pub struct ProviderState {
    /// The types it serves.
    pub registry: Registry,
    /// The service client, once ConfigureProvider succeeded.
    pub client: OnceLock<Compute>,
    /// Cancelled by StopProvider.
    pub stop: CancellationToken,
}

/// Shared by every RPC (Terraform calls concurrently).
pub type Shared = Arc<ProviderState>;

impl ProviderState {
    /// The context of a resource call, or the error of an unconfigured
    /// provider.
    fn ctx(&self) -> Result<Ctx, Vec<Diagnostic>> {
        match self.client.get() {
            Some(client) => Ok(Ctx {
                client: client.clone(),
                stop: self.stop.clone(),
            }),
            None => Err(vec![diagnostics::error(
                "The dbgrpc provider is not configured",
                "Terraform called a resource before ConfigureProvider succeeded.",
            )]),
        }
    }

    fn resource(&self, type_name: &str) -> Result<&Entry<dyn ManagedResource>, Vec<Diagnostic>> {
        self.registry.resources.get(type_name).ok_or_else(|| {
            vec![diagnostics::error(
                format!("Unknown resource type {type_name:?}"),
                format!(
                    "The dbgrpc provider has: {}.",
                    names(self.registry.resources.keys())
                ),
            )]
        })
    }

    fn data_source(&self, type_name: &str) -> Result<&Entry<dyn DataSource>, Vec<Diagnostic>> {
        self.registry.data_sources.get(type_name).ok_or_else(|| {
            vec![diagnostics::error(
                format!("Unknown data source {type_name:?}"),
                format!(
                    "The dbgrpc provider has: {}.",
                    names(self.registry.data_sources.keys())
                ),
            )]
        })
    }
}

fn names<'a>(names: impl Iterator<Item = &'a &'static str>) -> String {
    names.copied().collect::<Vec<_>>().join(", ")
}

/// A state returned to Terraform must be wholly known.
fn check_known(state: &Value, type_name: &str) -> Result<(), Vec<Diagnostic>> {
    if state.is_wholly_known() {
        Ok(())
    } else {
        Err(vec![diagnostics::error(
            format!("The dbgrpc provider left an unknown value in {type_name}'s state"),
            "This is a bug in the provider: please report it.",
        )])
    }
}

/// ValidateResourceConfig.
pub fn validate_resource(
    state: &ProviderState,
    type_name: &str,
    config: Option<&super::proto::DynamicValue>,
) -> Vec<Diagnostic> {
    let validated = state.resource(type_name).and_then(|entry| {
        let config = wire::decode(config, &entry.ty, "configuration").map_err(|d| vec![d])?;
        Ok(entry.kind.validate(&config))
    });
    validated.unwrap_or_else(|diagnostics| diagnostics)
}

/// ValidateDataResourceConfig.
pub fn validate_data_source(
    state: &ProviderState,
    type_name: &str,
    config: Option<&super::proto::DynamicValue>,
) -> Vec<Diagnostic> {
    let validated = state.data_source(type_name).and_then(|entry| {
        let config = wire::decode(config, &entry.ty, "configuration").map_err(|d| vec![d])?;
        Ok(entry.kind.validate(&config))
    });
    validated.unwrap_or_else(|diagnostics| diagnostics)
}

/// UpgradeResourceState: every schema is at version 0, so the stored JSON
/// is read with the current type (attributes no longer in the schema are
/// dropped) and written back as msgpack.
pub fn upgrade(
    state: &ProviderState,
    request: &upgrade_resource_state::Request,
) -> upgrade_resource_state::Response {
    let upgraded = state.resource(&request.type_name).and_then(|entry| {
        if request.version > entry.schema.version {
            return Err(vec![diagnostics::error(
                "Resource state from a newer provider",
                format!(
                    "The state of this {} was written with schema version {}; this provider \
                     knows version {}. Use the newer provider.",
                    request.type_name, request.version, entry.schema.version
                ),
            )]);
        }
        let raw = request.raw_state.as_ref().map(|raw| raw.json.as_slice());
        let json: serde_json::Value = match raw {
            Some(bytes) if !bytes.is_empty() => serde_json::from_slice(bytes).map_err(|error| {
                vec![diagnostics::error(
                    "Unreadable resource state",
                    error.to_string(),
                )]
            })?,
            _ => {
                return Err(vec![diagnostics::error(
                    "Unreadable resource state",
                    "The state has no JSON form (flatmap states predate Terraform 0.12).",
                )]);
            }
        };
        let value = value::from_json(&json, &entry.ty).map_err(|error| {
            vec![diagnostics::error(
                "Unreadable resource state",
                error.to_string(),
            )]
        })?;
        wire::encode(&value, &entry.ty, "upgraded state").map_err(|d| vec![d])
    });
    match upgraded {
        Ok(upgraded_state) => upgrade_resource_state::Response {
            upgraded_state: Some(upgraded_state),
            diagnostics: Vec::new(),
        },
        Err(diagnostics) => upgrade_resource_state::Response {
            upgraded_state: None,
            diagnostics,
        },
    }
}

/// ReadResource.
pub async fn read(
    state: &ProviderState,
    request: read_resource::Request,
) -> read_resource::Response {
    let read = async {
        let entry = state.resource(&request.type_name)?;
        let ctx = state.ctx()?;
        let current = wire::decode(request.current_state.as_ref(), &entry.ty, "state")
            .map_err(|d| vec![d])?;
        let outcome = entry.kind.read(&ctx, current, request.private).await;
        check_known(&outcome.state, &request.type_name)?;
        let new_state = wire::encode(&outcome.state, &entry.ty, "state").map_err(|d| vec![d])?;
        Ok::<_, Vec<Diagnostic>>((new_state, outcome))
    };
    match read.await {
        Ok((new_state, outcome)) => read_resource::Response {
            new_state: Some(new_state),
            diagnostics: outcome.diagnostics,
            private: outcome.private,
            deferred: None,
        },
        Err(diagnostics) => read_resource::Response {
            diagnostics,
            ..read_resource::Response::default()
        },
    }
}

/// PlanResourceChange.
pub async fn plan(
    state: &ProviderState,
    request: plan_resource_change::Request,
) -> plan_resource_change::Response {
    let planned = async {
        let entry = state.resource(&request.type_name)?;
        let decode = |value, what| wire::decode(value, &entry.ty, what).map_err(|d| vec![d]);
        let prior = decode(request.prior_state.as_ref(), "prior state")?;
        let proposed = decode(request.proposed_new_state.as_ref(), "proposed state")?;
        let config = decode(request.config.as_ref(), "configuration")?;
        if proposed.is_null() {
            // A destroy (only with plan_destroy, which is not announced).
            return Ok(plan_resource_change::Response {
                planned_state: Some(
                    wire::encode(&Value::Null, &entry.ty, "plan").map_err(|d| vec![d])?,
                ),
                planned_private: request.prior_private,
                ..plan_resource_change::Response::default()
            });
        }
        let ctx = state.ctx()?;
        let planned = entry
            .kind
            .plan(
                &ctx,
                PlanRequest {
                    prior,
                    proposed,
                    config,
                    prior_private: request.prior_private,
                },
            )
            .await;
        let failed = planned
            .diagnostics
            .iter()
            .any(|d| d.severity == i32::from(super::proto::diagnostic::Severity::Error));
        let planned_state = if failed {
            None
        } else {
            Some(wire::encode(&planned.state, &entry.ty, "plan").map_err(|d| vec![d])?)
        };
        Ok(plan_resource_change::Response {
            planned_state,
            requires_replace: planned
                .requires_replace
                .iter()
                .map(|path| diagnostics::attribute(path))
                .collect(),
            planned_private: planned.private,
            diagnostics: planned.diagnostics,
            legacy_type_system: false,
            deferred: None,
        })
    };
    planned
        .await
        .unwrap_or_else(|diagnostics| plan_resource_change::Response {
            diagnostics,
            ..plan_resource_change::Response::default()
        })
}

/// ApplyResourceChange.
pub async fn apply(
    state: &ProviderState,
    request: apply_resource_change::Request,
) -> apply_resource_change::Response {
    let applied = async {
        let entry = state.resource(&request.type_name)?;
        let decode = |value, what| wire::decode(value, &entry.ty, what).map_err(|d| vec![d]);
        let prior = decode(request.prior_state.as_ref(), "prior state")?;
        let planned = decode(request.planned_state.as_ref(), "planned state")?;
        let config = decode(request.config.as_ref(), "configuration")?;
        let ctx = state.ctx()?;
        let outcome = entry
            .kind
            .apply(
                &ctx,
                ApplyRequest {
                    prior,
                    planned,
                    config,
                    private: request.planned_private,
                },
            )
            .await;
        let Outcome {
            state: new_state,
            private,
            mut diagnostics,
        } = outcome;
        if let Err(mut unknown) = check_known(&new_state, &request.type_name) {
            diagnostics.append(&mut unknown);
            return Err(diagnostics);
        }
        let new_state = wire::encode(&new_state, &entry.ty, "new state").map_err(|d| vec![d])?;
        Ok(apply_resource_change::Response {
            new_state: Some(new_state),
            private,
            diagnostics,
            legacy_type_system: false,
        })
    };
    applied
        .await
        .unwrap_or_else(|diagnostics| apply_resource_change::Response {
            diagnostics,
            ..apply_resource_change::Response::default()
        })
}

/// ImportResourceState.
pub async fn import(
    state: &ProviderState,
    request: import_resource_state::Request,
) -> import_resource_state::Response {
    let imported = async {
        let entry = state.resource(&request.type_name)?;
        let ctx = state.ctx()?;
        let outcome = entry.kind.import(&ctx, &request.id).await;
        if outcome.state.is_null() {
            return Err(outcome.diagnostics);
        }
        check_known(&outcome.state, &request.type_name)?;
        let imported = import_resource_state::ImportedResource {
            type_name: request.type_name.clone(),
            state: Some(
                wire::encode(&outcome.state, &entry.ty, "imported state").map_err(|d| vec![d])?,
            ),
            private: outcome.private,
        };
        Ok(import_resource_state::Response {
            imported_resources: vec![imported],
            diagnostics: outcome.diagnostics,
            deferred: None,
        })
    };
    imported
        .await
        .unwrap_or_else(|diagnostics| import_resource_state::Response {
            diagnostics,
            ..import_resource_state::Response::default()
        })
}

/// ReadDataSource.
pub async fn read_data_source(
    state: &ProviderState,
    request: read_data_source::Request,
) -> read_data_source::Response {
    let read = async {
        let entry = state.data_source(&request.type_name)?;
        let ctx = state.ctx()?;
        let config = wire::decode(request.config.as_ref(), &entry.ty, "configuration")
            .map_err(|d| vec![d])?;
        let outcome = entry.kind.read(&ctx, config).await;
        if outcome.state.is_null() {
            return Err(outcome.diagnostics);
        }
        check_known(&outcome.state, &request.type_name)?;
        let state = wire::encode(&outcome.state, &entry.ty, "data").map_err(|d| vec![d])?;
        Ok(read_data_source::Response {
            state: Some(state),
            diagnostics: outcome.diagnostics,
            deferred: None,
        })
    };
    read.await
        .unwrap_or_else(|diagnostics| read_data_source::Response {
            diagnostics,
            ..read_data_source::Response::default()
        })
}
