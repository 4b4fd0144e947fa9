//! The command line: subcommands, their flags and `--help` texts.

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use clap::{Args, Parser, Subcommand, builder::RangedU64ValueParser};
#[cfg(unix)]
use databricks_grpc::plugin;
use databricks_grpc::{emulator, server, service::caps::CallLimits, telemetry::LogFormat};

/// A typed gRPC API in front of the Databricks Libraries and Command Execution
/// REST APIs.
#[derive(Debug, Parser)]
#[command(name = "databricks-grpc", version, propagate_version = true)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Option<Command>,
    /// Log line format on stderr (default: text; hclog in plugin mode). The
    /// level comes from RUST_LOG (default: info).
    #[arg(long, global = true, value_enum)]
    pub(crate) log_format: Option<LogFormat>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Run the gRPC server (ComputeService, health, reflection).
    ///
    /// Reads DATABRICKS_HOST and DATABRICKS_TOKEN (or --host/--token), or with
    /// --emulator starts the embedded Databricks emulator and uses it instead.
    Serve(Box<ServeArgs>),
    /// Run as a HashiCorp go-plugin plugin, launched by a Go host (a
    /// Terraform or Pulumi provider backend) with the magic cookie set.
    ///
    /// Prints only the go-plugin handshake line on stdout, logs hclog JSON on
    /// stderr, and serves on a unix socket (AutoMTLS when the host asks).
    /// Reads the Databricks configuration like `serve`.
    #[cfg(unix)]
    Plugin(PluginArgs),
    /// Run the Databricks emulator alone, for SDKs, curl and tests.
    ///
    /// Emulates the Libraries API 2.0, the cluster endpoints it needs, and
    /// REST API 1.2 command execution, with two seeded clusters. It RUNS the
    /// Python (in python3 processes) and SQL (in sqlite3) it is sent, so it
    /// listens on loopback only. Prints its URL, token and cluster ids.
    Emulator(EmulatorArgs),
}

#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// Address for the gRPC server (HTTP/2; plaintext unless --tls-cert).
    /// Port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:50051")]
    pub(crate) listen: SocketAddr,
    /// Forward each caller's own `authorization` metadata (`Bearer <token>`
    /// or `Basic …`) to Databricks instead of using server credentials, so a
    /// shared server never lends its identity. Only the host is configured;
    /// a call without credentials fails UNAUTHENTICATED. Each credential
    /// gets its own managed contexts and poll loops. Use TLS in front of
    /// the server (it serves plaintext), as tokens travel in every call.
    #[arg(long, conflicts_with_all = ["token", "auth_type", "netrc"])]
    pub(crate) auth_passthrough: bool,
    /// With --auth-passthrough on an address that is not loopback and without
    /// --tls-cert: accept callers' credentials over plaintext anyway, because
    /// TLS ends in front of this server (a mesh sidecar or a proxy).
    #[arg(long, requires = "auth_passthrough")]
    pub(crate) allow_plaintext_credentials: bool,
    /// Serve gRPC over TLS with this PEM certificate chain (leaf first).
    /// Needs --tls-key.
    #[arg(long, value_name = "PEM", requires = "tls_key")]
    pub(crate) tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert.
    #[arg(long, value_name = "PEM", requires = "tls_cert")]
    pub(crate) tls_key: Option<PathBuf>,
    /// On SIGTERM or Ctrl-C, how long calls in flight may take to finish.
    /// Health turns NOT_SERVING first; then new calls are refused with
    /// UNAVAILABLE, open streams end with it and new connections are refused
    /// at once; calls still running at the limit are dropped. Then the server
    /// destroys its managed execution contexts (all at once, for at most 5s)
    /// and exits.
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    pub(crate) drain_limit: Duration,
    #[command(flatten)]
    pub(crate) connections: ConnectionArgs,
    #[command(flatten)]
    pub(crate) metrics: MetricsArgs,
    #[command(flatten)]
    pub(crate) overload: OverloadArgs,
    #[command(flatten)]
    pub(crate) backend: BackendArgs,
}

/// Where `serve` exposes its metrics.
#[derive(Debug, Args)]
#[command(next_help_heading = "Metrics")]
pub(crate) struct MetricsArgs {
    /// Serve Prometheus metrics (text format) on GET /metrics at this
    /// address, a listener apart from gRPC (off by default). Metrics carry
    /// no ids and no credentials, but bind it where only your scraper
    /// reaches, e.g. 127.0.0.1:9090 or a pod address. Port 0 picks a free
    /// port (logged).
    #[arg(long, value_name = "ADDR")]
    pub(crate) metrics_listen: Option<SocketAddr>,
}

/// How `serve` limits connections and streams.
#[derive(Debug, Args)]
pub(crate) struct ConnectionArgs {
    /// Connections open at once (at most half the file descriptor limit).
    /// When all are taken, the oldest connection that has not yet sent its
    /// first bytes is closed to make room; if every one has, the new one is.
    #[arg(long, default_value_t = server::DEFAULT_MAX_CONNECTIONS,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..))]
    pub(crate) max_connections: usize,
    /// Time a new connection has to send its first bytes (the HTTP/2
    /// preface, or a TLS ClientHello; the TLS handshake gets 10s more).
    #[arg(long, default_value = "10s", value_parser = parse_positive_duration)]
    pub(crate) handshake_timeout: Duration,
    /// How often each connection is sent an HTTP/2 PING...
    #[arg(long, default_value = "60s", value_parser = parse_positive_duration)]
    pub(crate) http2_keepalive_interval: Duration,
    /// ...and how long it may go unanswered before the connection is closed.
    #[arg(long, default_value = "20s", value_parser = parse_positive_duration)]
    pub(crate) http2_keepalive_timeout: Duration,
    /// Streams (calls) one connection may have open at once, advertised as
    /// HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS; more are refused.
    #[arg(long, default_value_t = server::DEFAULT_MAX_CONCURRENT_STREAMS,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub(crate) max_concurrent_streams: u32,
}

impl ConnectionArgs {
    /// These limits, and the defaults of everything else.
    #[allow(
        clippy::needless_update,
        reason = "options these flags do not set keep their defaults as fields are added"
    )]
    pub(crate) fn server_options(&self) -> server::ServerOptions {
        server::ServerOptions {
            max_connections: self.max_connections,
            handshake_timeout: self.handshake_timeout,
            http2_keepalive_interval: self.http2_keepalive_interval,
            http2_keepalive_timeout: self.http2_keepalive_timeout,
            max_concurrent_streams: self.max_concurrent_streams,
            ..server::ServerOptions::default()
        }
    }
}

/// The --help heading of [`OverloadArgs`].
const OVERLOAD: &str = "Overload protection";

/// How `serve` protects itself from overload: calls beyond a cap are
/// refused at once with RESOURCE_EXHAUSTED and RetryInfo, never queued.
#[derive(Debug, Args)]
pub(crate) struct OverloadArgs {
    /// Unary ComputeService calls in progress at once, all callers
    /// together (0: no cap).
    #[arg(long, default_value_t = server::DEFAULT_MAX_CALLS, help_heading = OVERLOAD)]
    pub(crate) max_calls: usize,
    /// Streaming ComputeService calls open at once, all callers together;
    /// a stream counts until it ends (0: no cap).
    #[arg(long, default_value_t = server::DEFAULT_MAX_STREAMS, help_heading = OVERLOAD)]
    pub(crate) max_streams: usize,
    /// Calls, unary and streaming, one caller may have in progress at once
    /// (0: no cap). The caller is its credential with --auth-passthrough,
    /// otherwise its IP address.
    #[arg(long, default_value_t = server::DEFAULT_MAX_CALLS_PER_CALLER, help_heading = OVERLOAD)]
    pub(crate) max_calls_per_caller: usize,
}

impl OverloadArgs {
    /// The caps these flags set.
    pub(crate) fn call_limits(&self) -> CallLimits {
        CallLimits {
            calls: self.max_calls,
            streams: self.max_streams,
            per_caller: self.max_calls_per_caller,
        }
    }
}

#[cfg(unix)]
#[derive(Debug, Args)]
pub(crate) struct PluginArgs {
    /// How the host connects: a unix socket (in PLUGIN_UNIX_SOCKET_DIR or the
    /// temp dir) or TCP on 127.0.0.1 within PLUGIN_MIN_PORT..PLUGIN_MAX_PORT.
    #[arg(long, value_enum, default_value_t = plugin::Network::Unix)]
    pub(crate) network: plugin::Network,
    #[command(flatten)]
    pub(crate) backend: BackendArgs,
}

/// Where Databricks is and how the service polls it: shared by `serve` and
/// `plugin`, so both read their configuration the same way.
#[derive(Debug, Args)]
pub(crate) struct BackendArgs {
    /// Start the embedded Databricks emulator and serve it instead of a
    /// workspace; DATABRICKS_HOST/DATABRICKS_TOKEN are then ignored.
    #[arg(long)]
    pub(crate) emulator: bool,
    /// With --emulator: the emulator's address (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:0", requires = "emulator")]
    pub(crate) emulator_listen: SocketAddr,
    /// With --emulator: how long each library lifecycle step takes
    /// (PENDING → RESOLVING → INSTALLING → INSTALLED), e.g. 2s, 500ms, 0s.
    #[arg(long, default_value = "2s", value_parser = parse_duration, requires = "emulator")]
    pub(crate) library_step: Duration,
    /// Workspace URL, e.g. https://adb-123.4.azuredatabricks.net [env: DATABRICKS_HOST]
    #[arg(long, conflicts_with = "emulator")]
    pub(crate) host: Option<String>,
    /// Personal access token; prefer the DATABRICKS_TOKEN environment variable,
    /// as flags are visible to other local users [env: DATABRICKS_TOKEN]
    #[arg(long, conflicts_with = "emulator")]
    pub(crate) token: Option<String>,
    /// Profile (section) of ~/.databrickscfg to read; the default is
    /// [__settings__] default_profile, else [DEFAULT]
    /// [env: DATABRICKS_CONFIG_PROFILE; file: DATABRICKS_CONFIG_FILE]
    #[arg(long, conflicts_with = "emulator")]
    pub(crate) profile: Option<String>,
    /// Force an authentication method: pat, basic or oauth-m2m. Without it,
    /// the one configured method is used [env: DATABRICKS_AUTH_TYPE]
    #[arg(long, conflicts_with = "emulator")]
    pub(crate) auth_type: Option<String>,
    /// Also look for credentials in ~/.netrc (or $NETRC) when no other
    /// method is configured (the Databricks SDKs never read it)
    #[arg(long, conflicts_with = "emulator")]
    pub(crate) netrc: bool,
    /// Permit plain http:// to a workspace that is not on loopback.
    /// Credentials then travel unencrypted; https:// is always verified.
    #[arg(long, conflicts_with = "emulator")]
    pub(crate) allow_insecure_http: bool,
    /// Time allowed for one Databricks request when the caller set no gRPC
    /// deadline, e.g. 60s [default: 60s, or http_timeout_seconds of the profile]
    #[arg(long, value_parser = parse_duration)]
    pub(crate) request_timeout: Option<Duration>,
    /// How long a call without a gRPC deadline may keep retrying transient
    /// failures, e.g. 5m [default: 300s, or retry_timeout_seconds of the profile]
    #[arg(long, value_parser = parse_duration)]
    pub(crate) retry_timeout: Option<Duration>,
    /// Streaming RPCs poll Databricks this soon after a change...
    #[arg(long, default_value = "100ms", value_parser = parse_duration)]
    pub(crate) poll_initial: Duration,
    /// ...and back off, doubling, to at most this interval. One poll loop
    /// serves every stream watching the same command or cluster.
    #[arg(long, default_value = "5s", value_parser = parse_duration)]
    pub(crate) poll_max: Duration,
    /// Destroy an execution context the server created (ExecuteCommand
    /// without context_id) after it has been unused this long.
    #[arg(long, default_value = "20m", value_parser = parse_duration)]
    pub(crate) context_idle_timeout: Duration,
    #[command(flatten)]
    pub(crate) rate_limit: RateLimitArgs,
}

/// The workspace-wide limit on requests to Databricks.
#[derive(Debug, Args)]
#[command(next_help_heading = "Workspace rate limit")]
pub(crate) struct RateLimitArgs {
    /// Requests per second to the workspace, shared by every call, stream
    /// poll and OAuth token fetch (all callers together); 0 turns the limit
    /// off. A call that cannot get a slot before its deadline is refused
    /// with RESOURCE_EXHAUSTED, and nothing is sent
    /// [default: 15, or DATABRICKS_RATE_LIMIT, or rate_limit of the profile]
    #[arg(long, value_name = "N")]
    pub(crate) rate_limit: Option<u32>,
    /// Requests that may go at once after a quiet spell [default: 30]
    #[arg(long, value_name = "N")]
    pub(crate) rate_burst: Option<u32>,
}

#[derive(Debug, Args)]
pub(crate) struct EmulatorArgs {
    /// Loopback address to listen on; port 0 picks a free port. The emulator
    /// runs the Python and SQL it is sent, so other addresses are refused.
    #[arg(long, default_value = "127.0.0.1:8433")]
    pub(crate) listen: SocketAddr,
    /// The only bearer token the emulator accepts.
    #[arg(long, default_value = emulator::DEFAULT_TOKEN)]
    pub(crate) token: String,
    /// How long each library and cluster lifecycle step takes, e.g. 2s, 0s.
    #[arg(long, default_value = "2s", value_parser = parse_duration)]
    pub(crate) library_step: Duration,
    /// Start with this many more clusters (names seeded-0000, ...; a third
    /// terminated, sources cycling UI, API, JOB), e.g. to page through
    /// clusters/list.
    #[arg(long, default_value_t = 0)]
    pub(crate) seed_clusters: usize,
}

/// Parses `500ms`, `2s`, `1m`, `1h` or a bare number of seconds.
pub(crate) fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, unit) = text
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .map_or((text, "s"), |index| text.split_at(index));
    let value: f64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a duration like 500ms, 2s or 1m"))?;
    let seconds = match unit {
        "ms" => value / 1000.0,
        "s" => value,
        "m" => value * 60.0,
        "h" => value * 3600.0,
        _ => return Err(format!("{text:?} has an unknown unit; use ms, s, m or h")),
    };
    Duration::try_from_secs_f64(seconds).map_err(|error| format!("{text:?}: {error}"))
}

/// A duration above zero.
fn parse_positive_duration(text: &str) -> Result<Duration, String> {
    let duration = parse_duration(text)?;
    if duration.is_zero() {
        return Err(format!("{text:?} must be above zero"));
    }
    Ok(duration)
}

#[cfg(test)]
mod tests;
