//! The Databricks REST adapter: wire models, the HTTP client and its errors.

mod auth;
pub mod body;
pub mod client;
mod clusters_api;
pub mod error;
mod execution_api;
mod files_api;
mod libraries_api;
pub mod limiter;
pub mod models;
mod oauth;
mod recording;
pub mod retry;
mod trace_parent;

pub(crate) use auth::sensitive as sensitive_header;
pub use client::{CallOptions, Client};
pub use error::{ApiError, Error};
pub use files_api::{DBFS_BLOCK_BYTES, files_url_path};
pub use limiter::RateLimiter;
pub use trace_parent::{TRACEPARENT, TraceParent};
