//! Terraform provider mode (plugin protocol 6): the
//! `terraform-provider-dbgrpc` binary answers Terraform's go-plugin
//! handshake (cookie [`COOKIE_KEY`], app protocol [`PROTOCOL_VERSION`],
//! AutoMTLS) through the same listener, TLS, controller and hclog logs as
//! [`crate::plugin`], and serves `tfplugin6.Provider` ([`service`]).
//!
//! Layers, top down: [`service`] (the RPCs) and [`handlers`] (decode with
//! the schema's type, call, check, encode); the types in [`resources`] and
//! [`data_sources`] behind the traits of [`resource`], registered in
//! [`registry`]; [`configure`] builds the [`crate::app::App`] from the
//! provider block and [`client`] reaches its service in-process, so every
//! resource is a plain gRPC client of ComputeService; [`value`] and
//! [`wire`] are Terraform's msgpack values.

pub mod client;
pub mod configure;
pub mod data_sources;
pub mod diagnostics;
pub mod handlers;
pub mod proto;
pub mod registry;
pub mod resource;
pub mod resources;
pub mod schema;
pub mod schema_builder;
mod serve;
pub mod service;
pub mod value;
pub mod wire;

pub use serve::serve;

/// The environment variable Terraform sets when it launches a provider.
pub const COOKIE_KEY: &str = "TF_PLUGIN_MAGIC_COOKIE";

/// The value Terraform gives [`COOKIE_KEY`] (fixed in Terraform's source).
pub const COOKIE_VALUE: &str = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";

/// The app protocol we speak: Terraform plugin protocol 6.
pub const PROTOCOL_VERSION: u32 = 6;

/// Every app protocol version we implement, lowest first.
pub const SUPPORTED_VERSIONS: &[u32] = &[PROTOCOL_VERSION];

/// The provider's type name: resources are `dbgrpc_*`.
pub const TYPE_NAME: &str = "dbgrpc";

/// The message for a process started without Terraform's cookie.
pub const NOT_LAUNCHED_BY_TERRAFORM: &str = "This binary is a Terraform provider plugin. It is not meant to be executed directly.\n\
     Terraform launches it (see the README: \"Use as a Terraform provider\").\n\
     To run the gRPC server yourself, use `databricks-grpc serve`.";
