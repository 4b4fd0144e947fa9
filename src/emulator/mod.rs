//! An in-process emulator of the Databricks REST endpoints this crate uses
//! (Libraries API 2.0, the cluster calls around it, and REST API 1.2 command
//! execution), faithful enough for the official SDKs and deterministic
//! enough for tests. Execution contexts are real local `python3` processes:
//! the emulator runs the code it is sent, so serve it on loopback only.
//!
//! [`app`] builds the axum `Router` over an [`EmulatorState`] (test it with
//! `oneshot`); [`spawn`] serves it on a listener the caller bound and returns
//! an [`EmulatorHandle`]. Lifecycles (cluster start, library install) advance
//! by [`Pace`]: with wall-clock time, one step per status read, or only when
//! a test calls [`EmulatorHandle::tick`].
//!
//! Layout: `config` (what to run with, and [`Pace`]), `handle` ([`spawn`]
//! and the [`EmulatorHandle`]), `state` (shared state and pace), `store` (clusters and
//! libraries), `lifecycle` (the pure state machine), `catalogue` (what
//! resolves), `library` (a library specification: read, kept, reported),
//! `libraries` and `clusters` (handlers; with `cluster_changes`,
//! `cluster_events` and `cluster_catalogue`), `execution` (1.2
//! contexts and commands, with their processes), `request` (body parsing),
//! `auth`, `journal` (middleware) and `errors` (error bodies).

use axum::{Router, middleware};

mod auth;
mod catalogue;
mod cluster_catalogue;
mod cluster_changes;
mod cluster_events;
mod clusters;
mod config;
mod errors;
mod execution;
mod faults;
mod handle;
mod journal;
mod libraries;
mod library;
mod lifecycle;
mod oauth;
mod request;
mod state;
mod store;

pub use config::{DEFAULT_PYTHON, DEFAULT_TOKEN, EmulatorConfig, Pace};
pub use faults::Fault;
pub use handle::{EmulatorHandle, spawn};
pub use journal::JournalEntry;
pub use oauth::{
    DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_PASSWORD, DEFAULT_USERNAME, Logins,
};
pub use state::EmulatorState;

/// A seeded cluster that is `RUNNING` (name `emulator-running`).
pub const RUNNING_CLUSTER_ID: &str = "0101-120000-running1";
/// A seeded cluster that is `TERMINATED` (name `emulator-terminated`).
pub const TERMINATED_CLUSTER_ID: &str = "0101-120000-stopped2";

/// The emulator's routes over `state`: authentication on `/api/` paths,
/// Databricks-style 404s elsewhere, and every request journaled.
pub fn app(state: EmulatorState) -> Router {
    Router::new()
        .merge(libraries::routes())
        .merge(clusters::routes())
        .merge(execution::routes())
        .merge(oauth::routes())
        .fallback(errors::no_endpoint)
        .method_not_allowed_fallback(errors::no_endpoint)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            auth::require_token,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            faults::inject,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            journal::record,
        ))
        .with_state(state)
}

#[cfg(test)]
mod tests;
