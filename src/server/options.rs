//! Limits and budgets of the gRPC server: how it treats connections and how
//! long it may take to stop. One value, shared by `serve` and plugin mode.

use std::time::Duration;

/// How long calls in flight at shutdown may take to finish, by default
/// (`serve --drain-limit`).
pub const DEFAULT_DRAIN_LIMIT: Duration = Duration::from_secs(10);

/// How long destroying the managed execution contexts may take at shutdown:
/// all of them at once, each destroy call (retries included) within it.
/// Contexts not destroyed by then are left to Databricks.
pub const CONTEXT_CLEANUP_BUDGET: Duration = Duration::from_secs(5);

/// Transport limits and shutdown budgets of the gRPC server. `Default` is
/// what `serve` uses when no flag changes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerOptions {
    /// After shutdown starts (health NOT_SERVING, streams ended, no new
    /// connections), how long in-flight calls may take before their
    /// connections are broken and the calls dropped.
    pub drain_limit: Duration,
    /// The time allowed for destroying managed contexts once the calls
    /// are done.
    pub context_cleanup_budget: Duration,
}

impl Default for ServerOptions {
    fn default() -> Self {
        Self {
            drain_limit: DEFAULT_DRAIN_LIMIT,
            context_cleanup_budget: CONTEXT_CLEANUP_BUDGET,
        }
    }
}

impl ServerOptions {
    /// These options with `limit` as the drain limit.
    #[must_use]
    pub fn with_drain_limit(mut self, limit: Duration) -> Self {
        self.drain_limit = limit;
        self
    }

    /// These options with `budget` for destroying managed contexts.
    #[must_use]
    pub fn with_context_cleanup_budget(mut self, budget: Duration) -> Self {
        self.context_cleanup_budget = budget;
        self
    }
}
