//! [`AppConfig`]: everything [`App::build`](super::App::build) needs, as
//! plain data. The binary fills it from flags; tests fill it directly.

use std::{fmt, net::SocketAddr, time::Duration};

use tonic::transport::ServerTlsConfig;

#[cfg(unix)]
use crate::plugin;
use crate::{
    config::{Credentials, DatabricksConfig, Overrides},
    emulator::EmulatorConfig,
    service::{MAX_CALLERS, ServiceOptions},
};

/// What to assemble: where Databricks is, how calls reach it, how the
/// service polls, and where callers reach the server.
#[derive(Debug)]
pub struct AppConfig {
    /// The Databricks the service calls.
    pub backend: Backend,
    /// Where callers reach the gRPC server; the rules about exposure
    /// (`--emulator` only on loopback, pass-through only over TLS) read it.
    pub front_door: FrontDoor,
    /// Forward each caller's own credentials (`--auth-passthrough`); the
    /// server then has none of its own.
    pub pass_through: bool,
    /// Time allowed for one request without a gRPC deadline
    /// (`--request-timeout`); `None` keeps the backend's own or the default.
    pub request_timeout: Option<Duration>,
    /// How long a call without a deadline may retry (`--retry-timeout`);
    /// `None` keeps the backend's own or the default.
    pub retry_timeout: Option<Duration>,
    /// Requests/s to the workspace (`--rate-limit`; 0 = off); `None` keeps
    /// the backend's own (DATABRICKS_RATE_LIMIT, the profile) or the default.
    pub rate_limit: Option<u32>,
    /// Burst of the workspace rate limit (`--rate-burst`); `None` keeps the
    /// backend's own or the default.
    pub rate_burst: Option<u32>,
    /// Poll backoff and managed-context idle timeout.
    pub service: ServiceOptions,
    /// In pass-through mode, how many callers' state is kept at once.
    pub max_callers: usize,
    /// Where to serve Prometheus metrics on `GET /metrics`
    /// (`--metrics-listen`); `None` records nothing.
    pub metrics_listen: Option<SocketAddr>,
}

/// The Databricks the service calls.
#[derive(Debug)]
pub enum Backend {
    /// A workspace, resolved from these flags, the environment and profiles
    /// the way the Databricks SDKs do.
    Workspace(Overrides),
    /// An already-resolved workspace (tests: a canned upstream, a URL where
    /// nothing listens, an emulator they started themselves).
    Resolved(DatabricksConfig),
    /// A fresh embedded emulator, started by the build (`--emulator`).
    Emulator(EmbeddedEmulator),
}

/// An emulator the build starts, and where its banner goes.
#[derive(Clone)]
pub struct EmbeddedEmulator {
    /// What it runs with (token, pace, logins).
    pub config: EmulatorConfig,
    /// Its loopback address; port 0 picks a free port.
    pub listen: SocketAddr,
    /// Where its URL, token and clusters are announced.
    pub banner: Banner,
}

/// Where the emulator's banner goes: stdout, or (plugin mode, where stdout
/// carries only the handshake; tests) the log, without the token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Banner {
    /// The banner lines on stdout.
    Stdout,
    /// One info log line.
    Log,
}

/// Where callers reach the gRPC server.
#[derive(Debug, Clone)]
pub enum FrontDoor {
    /// `serve`: TCP on `address`.
    Tcp {
        /// The address `--listen` names.
        address: SocketAddr,
        /// TLS to serve with (`--tls-cert`/`--tls-key`); `None` is plaintext.
        tls: Option<ServerTlsConfig>,
        /// `--allow-plaintext-credentials`: TLS ends in front of the server.
        allow_plaintext_credentials: bool,
    },
    /// Plugin mode: a unix socket, or TCP on [`plugin::listener::TCP_HOST`].
    #[cfg(unix)]
    Plugin(plugin::Network),
    /// No listener: a front end in this process calls [`App::service`]
    /// itself (the Terraform provider).
    ///
    /// [`App::service`]: super::App::service
    InProcess,
}

// === impl AppConfig ===

impl AppConfig {
    /// `backend` behind `front_door`, with server credentials, the backend's
    /// timeouts, default service options and caller limit.
    pub fn new(backend: Backend, front_door: FrontDoor) -> Self {
        Self {
            backend,
            front_door,
            pass_through: false,
            request_timeout: None,
            retry_timeout: None,
            rate_limit: None,
            rate_burst: None,
            service: ServiceOptions::default(),
            max_callers: MAX_CALLERS,
            metrics_listen: None,
        }
    }

    /// True when calls will carry their callers' credentials, however the
    /// backend was configured.
    pub(super) fn passes_callers_credentials(&self) -> bool {
        self.pass_through
            || match &self.backend {
                Backend::Workspace(overrides) => overrides.pass_through,
                Backend::Resolved(config) => matches!(config.credentials, Credentials::PassThrough),
                Backend::Emulator(_) => false,
            }
    }
}

// === impl EmbeddedEmulator ===

impl fmt::Debug for EmbeddedEmulator {
    /// The address, pace and banner; never the token or logins.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmbeddedEmulator")
            .field("listen", &self.listen)
            .field("pace", &self.config.pace)
            .field("banner", &self.banner)
            .finish_non_exhaustive()
    }
}

// === impl FrontDoor ===

impl FrontDoor {
    /// Plaintext TCP on `address`, as tests and `serve` without TLS use.
    pub fn plaintext(address: SocketAddr) -> Self {
        Self::Tcp {
            address,
            tls: None,
            allow_plaintext_credentials: false,
        }
    }
}
