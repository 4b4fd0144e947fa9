//! Limits and budgets of the gRPC server: how it treats connections and how
//! long it may take to stop. One value, shared by `serve` and plugin mode.

use std::time::Duration;

use crate::service::caps::CallLimits;

/// How long calls in flight at shutdown may take to finish, by default
/// (`serve --drain-limit`).
pub const DEFAULT_DRAIN_LIMIT: Duration = Duration::from_secs(10);

/// How long destroying the managed execution contexts may take at shutdown:
/// all of them at once, each destroy call (retries included) within it.
/// Contexts not destroyed by then are left to Databricks.
pub const CONTEXT_CLEANUP_BUDGET: Duration = Duration::from_secs(5);

/// At most this many connections are open at once unless a flag says
/// otherwise (and never more than half the process's file descriptor limit).
pub const DEFAULT_MAX_CONNECTIONS: usize = 4096;
/// A connection must deliver its first bytes (the HTTP/2 preface, or a TLS
/// ClientHello) this soon after it is accepted, or it is closed.
pub const DEFAULT_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// An HTTP/2 PING goes to each peer this often...
pub const DEFAULT_HTTP2_KEEPALIVE_INTERVAL: Duration = Duration::from_secs(60);
/// ...and a peer that has not answered it this soon is dropped.
pub const DEFAULT_HTTP2_KEEPALIVE_TIMEOUT: Duration = Duration::from_secs(20);
/// Streams one connection may have open at once (SETTINGS_MAX_CONCURRENT_STREAMS).
pub const DEFAULT_MAX_CONCURRENT_STREAMS: u32 = 1000;

/// Unary ComputeService calls in progress at once, by default
/// (`serve --max-calls`; 0 is no cap).
pub const DEFAULT_MAX_CALLS: usize = 4096;
/// Streaming ComputeService calls open at once, by default
/// (`serve --max-streams`; 0 is no cap).
pub const DEFAULT_MAX_STREAMS: usize = 4096;
/// Calls of one caller in progress at once, by default
/// (`serve --max-calls-per-caller`; 0 is no cap).
pub const DEFAULT_MAX_CALLS_PER_CALLER: usize = 1024;

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
    /// Connections open at once; beyond it the oldest connection still
    /// waiting for its handshake is closed to make room, else the new one is.
    pub max_connections: usize,
    /// Time a new connection has to send its first bytes.
    pub handshake_timeout: Duration,
    /// How often each connection is sent an HTTP/2 PING.
    pub http2_keepalive_interval: Duration,
    /// How long a PING may go unanswered before the connection is closed.
    pub http2_keepalive_timeout: Duration,
    /// Streams one connection may have open at once, advertised in SETTINGS.
    pub max_concurrent_streams: u32,
    /// Caps on ComputeService calls in progress; calls beyond them are
    /// refused with RESOURCE_EXHAUSTED.
    pub call_limits: CallLimits,
}

// === impl ServerOptions ===

impl Default for ServerOptions {
    fn default() -> Self {
        Self {
            drain_limit: DEFAULT_DRAIN_LIMIT,
            context_cleanup_budget: CONTEXT_CLEANUP_BUDGET,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            handshake_timeout: DEFAULT_HANDSHAKE_TIMEOUT,
            http2_keepalive_interval: DEFAULT_HTTP2_KEEPALIVE_INTERVAL,
            http2_keepalive_timeout: DEFAULT_HTTP2_KEEPALIVE_TIMEOUT,
            max_concurrent_streams: DEFAULT_MAX_CONCURRENT_STREAMS,
            call_limits: CallLimits {
                calls: DEFAULT_MAX_CALLS,
                streams: DEFAULT_MAX_STREAMS,
                per_caller: DEFAULT_MAX_CALLS_PER_CALLER,
            },
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

    /// These options with `limits` as the call caps.
    #[must_use]
    pub fn with_call_limits(mut self, limits: CallLimits) -> Self {
        self.call_limits = limits;
        self
    }

    /// These options with `budget` for destroying managed contexts.
    #[must_use]
    pub fn with_context_cleanup_budget(mut self, budget: Duration) -> Self {
        self.context_cleanup_budget = budget;
        self
    }
}
