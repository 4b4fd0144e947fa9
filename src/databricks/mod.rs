//! The Databricks REST adapter: wire models, the HTTP client and its errors.

pub mod models;
