//! What a managed resource and a data source implement. The framework
//! ([`super::service`]) decodes Terraform's msgpack into [`Value`]s with
//! the schema's type, calls these, and encodes the answers (every
//! attribute present), so a resource deals only in values and calls.

use std::future::Future;

use tokio_util::sync::CancellationToken;

use super::{
    client::Compute,
    diagnostics,
    proto::{Diagnostic, Schema},
    value::Value,
};

/// What every resource call gets: the client of the gRPC service and the
/// signal Terraform's StopProvider raises.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// The in-process gRPC service, configured by ConfigureProvider.
    pub client: Compute,
    /// Cancelled by StopProvider (Ctrl-C): waits give up at once.
    pub stop: CancellationToken,
}

impl Ctx {
    /// Runs `work` unless Terraform asks the provider to stop first; then
    /// answers the diagnostic saying what `doing` was cut short.
    pub async fn unless_stopped<T>(
        &self,
        doing: &str,
        work: impl Future<Output = T>,
    ) -> Result<T, Diagnostic> {
        tokio::select! {
            biased;
            () = self.stop.cancelled() => Err(diagnostics::error(
                format!("Stopped while {doing}"),
                "Terraform asked the provider to stop (Ctrl-C) before this finished. \
                 What was already done remains; the next plan shows what is left.",
            )),
            output = work => Ok(output),
        }
    }
}

/// PlanResourceChange, decoded.
#[derive(Debug, Clone)]
pub struct PlanRequest {
    /// The state before (null on create).
    pub prior: Value,
    /// Terraform's proposal: config, with computed attributes the config
    /// leaves null taken from `prior` (null on create).
    pub proposed: Value,
    /// The configuration (may contain unknowns).
    pub config: Value,
    /// The private bytes from the last read or apply.
    pub prior_private: Vec<u8>,
}

/// What a plan answers.
#[derive(Debug, Clone, Default)]
pub struct Planned {
    /// The planned state: config values kept, computed values known or
    /// unknown.
    pub state: Value,
    /// Attribute paths whose change forces a replacement.
    pub requires_replace: Vec<Vec<&'static str>>,
    /// Private bytes handed to apply.
    pub private: Vec<u8>,
    /// Warnings (an error diagnostic fails the plan).
    pub diagnostics: Vec<Diagnostic>,
}

/// ApplyResourceChange, decoded. `planned` null means destroy; `prior`
/// null means create.
#[derive(Debug, Clone)]
pub struct ApplyRequest {
    /// The state before (null on create).
    pub prior: Value,
    /// The planned state (null on destroy).
    pub planned: Value,
    /// The configuration, now wholly known.
    pub config: Value,
    /// The plan's private bytes.
    pub private: Vec<u8>,
}

/// What an apply, read or import answers. With error diagnostics, a
/// non-null `state` is what exists so far (a half-done create is kept,
/// not orphaned).
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    /// The new state; null when the object is gone (destroyed, or deleted
    /// outside Terraform).
    pub state: Value,
    /// Private bytes for the next call.
    pub private: Vec<u8>,
    /// Errors and warnings.
    pub diagnostics: Vec<Diagnostic>,
}

impl Outcome {
    /// A state with no diagnostics.
    pub fn state(state: Value) -> Self {
        Self {
            state,
            ..Self::default()
        }
    }

    /// Nothing but `diagnostics` (and a null state).
    pub fn failed(diagnostics: Vec<Diagnostic>) -> Self {
        Self {
            diagnostics,
            ..Self::default()
        }
    }
}

/// A managed resource type: `resource "dbgrpc_…" {}`.
#[tonic::async_trait]
pub trait ManagedResource: Send + Sync {
    /// Its type name, `dbgrpc_…`.
    fn type_name(&self) -> &'static str;

    /// Its schema (version 0).
    fn schema(&self) -> Schema;

    /// Checks a configuration (which may hold unknowns) before any call;
    /// each problem points at its attribute.
    fn validate(&self, config: &Value) -> Vec<Diagnostic>;

    /// Plans a create or an update.
    async fn plan(&self, ctx: &Ctx, request: PlanRequest) -> Planned;

    /// Creates, updates or (with `planned` null) destroys.
    async fn apply(&self, ctx: &Ctx, request: ApplyRequest) -> Outcome;

    /// Refreshes a state; null when the object is gone.
    async fn read(&self, ctx: &Ctx, state: Value, private: Vec<u8>) -> Outcome;

    /// The state of the object `id` names, for `terraform import` (read
    /// follows).
    async fn import(&self, ctx: &Ctx, id: &str) -> Outcome;
}

/// A data source type: `data "dbgrpc_…" {}`.
#[tonic::async_trait]
pub trait DataSource: Send + Sync {
    /// Its type name, `dbgrpc_…`.
    fn type_name(&self) -> &'static str;

    /// Its schema (version 0).
    fn schema(&self) -> Schema;

    /// Checks a configuration (which may hold unknowns).
    fn validate(&self, config: &Value) -> Vec<Diagnostic>;

    /// Reads it: the config with every computed attribute filled.
    async fn read(&self, ctx: &Ctx, config: Value) -> Outcome;
}
