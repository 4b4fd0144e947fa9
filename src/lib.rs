//! databricks-grpc: a typed gRPC API in front of the Databricks REST API.
//!
//! # Layout
//!
//! - [`app`]: the one assembly of emulator, client, service and server that
//!   `serve`, `plugin` and the integration tests all run.
//! - [`config`]: typed configuration read from flags and the environment.
//! - [`proto`]: code generated from `proto/` and the descriptor set for reflection.
//! - [`databricks`]: the REST adapter: wire models, the reqwest client, its errors.
//! - [`convert`]: gRPC messages to REST models (validating) and back.
//! - [`service`]: the `ComputeService` implementation and the error → status table.
//! - [`server`]: mounts the service with health and reflection on a listener,
//!   and stops it within bounds (drain limit, context clean-up budget).
//! - [`managed_contexts`]: execution contexts the server creates, reuses and destroys.
//! - [`hub`]: the shared poller behind the streaming RPCs.
//! - [`emulator`]: an in-process emulator of the Databricks endpoints we use.
//! - [`plugin`]: go-plugin mode: cookie, handshake, AutoMTLS, host services.
//! - [`provider`]: Terraform provider mode (plugin protocol 6), in progress.
//! - [`telemetry`]: tracing set-up, including hclog JSON lines.

pub mod app;
pub mod config;
pub mod convert;
pub mod databricks;
pub mod emulator;
pub mod hub;
pub mod managed_contexts;
#[cfg(unix)]
pub mod plugin;
pub mod proto;
#[cfg(unix)]
pub mod provider;
pub mod server;
pub mod service;
pub mod telemetry;
