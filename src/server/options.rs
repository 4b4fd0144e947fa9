//! Limits and budgets of the gRPC server: how it treats connections and how
//! long it may take to stop. One value, shared by `serve` and plugin mode.

/// Transport limits and shutdown budgets of the gRPC server. `Default` is
/// what `serve` uses when no flag changes it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServerOptions {}
