//! databricks-grpc: a typed gRPC API in front of the Databricks REST API.
//!
//! # Layout
//!
//! - [`proto`]: code generated from `proto/` and the descriptor set for reflection.
//! - [`databricks`]: the REST adapter: wire models, the reqwest client, its errors.
//! - [`emulator`]: an in-process emulator of the Databricks endpoints we use.

pub mod databricks;
pub mod emulator;
pub mod proto;
