//! The `databricks-grpc` command line: `serve` runs the gRPC server (against a
//! workspace, or the embedded emulator with `--emulator`); `plugin` runs the
//! same service as a HashiCorp go-plugin plugin (also chosen when no command
//! is given and the magic cookie is in the environment); `emulator` runs the
//! Databricks emulator alone.

use std::{io::Write, net::SocketAddr, process::ExitCode, time::Duration};

use anyhow::Context;
use clap::{Args, CommandFactory as _, Parser, Subcommand};
#[cfg(unix)]
use databricks_grpc::plugin;
use databricks_grpc::{
    config::{DatabricksConfig, Environment, Overrides, Secret},
    databricks::Client,
    emulator::{self, EmulatorConfig, EmulatorHandle, Pace},
    hub::Backoff,
    server,
    service::{ComputeService, ServiceOptions},
    telemetry::{self, LogFormat},
};
use tokio::net::TcpListener;
use tracing::info;

/// A typed gRPC API in front of the Databricks Libraries and Command Execution
/// REST APIs.
#[derive(Debug, Parser)]
#[command(name = "databricks-grpc", version, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Log line format on stderr (default: text; hclog in plugin mode). The
    /// level comes from RUST_LOG (default: info).
    #[arg(long, global = true, value_enum)]
    log_format: Option<LogFormat>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the gRPC server (ComputeService, health, reflection).
    ///
    /// Reads DATABRICKS_HOST and DATABRICKS_TOKEN (or --host/--token), or with
    /// --emulator starts the embedded Databricks emulator and uses it instead.
    Serve(ServeArgs),
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
struct ServeArgs {
    /// Address for the gRPC server (plaintext HTTP/2). Port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:50051")]
    listen: SocketAddr,
    #[command(flatten)]
    backend: BackendArgs,
}

#[cfg(unix)]
#[derive(Debug, Args)]
struct PluginArgs {
    /// How the host connects: a unix socket (in PLUGIN_UNIX_SOCKET_DIR or the
    /// temp dir) or TCP on 127.0.0.1 within PLUGIN_MIN_PORT..PLUGIN_MAX_PORT.
    #[arg(long, value_enum, default_value_t = plugin::Network::Unix)]
    network: plugin::Network,
    #[command(flatten)]
    backend: BackendArgs,
}

/// Where Databricks is and how the service polls it: shared by `serve` and
/// `plugin`, so both read their configuration the same way.
#[derive(Debug, Args)]
struct BackendArgs {
    /// Start the embedded Databricks emulator and serve it instead of a
    /// workspace; DATABRICKS_HOST/DATABRICKS_TOKEN are then ignored.
    #[arg(long)]
    emulator: bool,
    /// With --emulator: the emulator's address (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:0", requires = "emulator")]
    emulator_listen: SocketAddr,
    /// With --emulator: how long each library lifecycle step takes
    /// (PENDING → RESOLVING → INSTALLING → INSTALLED), e.g. 2s, 500ms, 0s.
    #[arg(long, default_value = "2s", value_parser = parse_duration, requires = "emulator")]
    library_step: Duration,
    /// Workspace URL, e.g. https://adb-123.4.azuredatabricks.net [env: DATABRICKS_HOST]
    #[arg(long, conflicts_with = "emulator")]
    host: Option<String>,
    /// Personal access token; prefer the DATABRICKS_TOKEN environment variable,
    /// as flags are visible to other local users [env: DATABRICKS_TOKEN]
    #[arg(long, conflicts_with = "emulator")]
    token: Option<String>,
    /// Profile (section) of ~/.databrickscfg to read; the default is
    /// [__settings__] default_profile, else [DEFAULT]
    /// [env: DATABRICKS_CONFIG_PROFILE; file: DATABRICKS_CONFIG_FILE]
    #[arg(long, conflicts_with = "emulator")]
    profile: Option<String>,
    /// Force an authentication method: pat, basic or oauth-m2m. Without it,
    /// the one configured method is used [env: DATABRICKS_AUTH_TYPE]
    #[arg(long, conflicts_with = "emulator")]
    auth_type: Option<String>,
    /// Also look for credentials in ~/.netrc (or $NETRC) when no other
    /// method is configured (the Databricks SDKs never read it)
    #[arg(long, conflicts_with = "emulator")]
    netrc: bool,
    /// Permit plain http:// to a workspace that is not on loopback.
    /// Credentials then travel unencrypted; https:// is always verified.
    #[arg(long, conflicts_with = "emulator")]
    allow_insecure_http: bool,
    /// Time allowed for one Databricks request, e.g. 60s.
    #[arg(long, default_value = "60s", value_parser = parse_duration)]
    request_timeout: Duration,
    /// Streaming RPCs poll Databricks this soon after a change...
    #[arg(long, default_value = "100ms", value_parser = parse_duration)]
    poll_initial: Duration,
    /// ...and back off, doubling, to at most this interval. One poll loop
    /// serves every stream watching the same command or cluster.
    #[arg(long, default_value = "5s", value_parser = parse_duration)]
    poll_max: Duration,
    /// Destroy an execution context the server created (ExecuteCommand
    /// without context_id) after it has been unused this long.
    #[arg(long, default_value = "20m", value_parser = parse_duration)]
    context_idle_timeout: Duration,
}

#[derive(Debug, Args)]
struct EmulatorArgs {
    /// Loopback address to listen on; port 0 picks a free port. The emulator
    /// runs the Python and SQL it is sent, so other addresses are refused.
    #[arg(long, default_value = "127.0.0.1:8433")]
    listen: SocketAddr,
    /// The only bearer token the emulator accepts.
    #[arg(long, default_value = emulator::DEFAULT_TOKEN)]
    token: String,
    /// How long each library and cluster lifecycle step takes, e.g. 2s, 0s.
    #[arg(long, default_value = "2s", value_parser = parse_duration)]
    library_step: Duration,
}

fn main() -> ExitCode {
    let mut cli = Cli::parse();
    #[cfg(unix)]
    if cli.command.is_none() && plugin::cookie_present(&Environment) {
        // Launched by a go-plugin host without a command: plugin mode.
        cli = Cli::parse_from(std::env::args_os().chain(["plugin".into()]));
    }
    let Some(command) = cli.command else {
        Cli::command()
            .error(
                clap::error::ErrorKind::MissingSubcommand,
                "a command is required: serve, plugin or emulator",
            )
            .exit()
    };
    let mut format = LogFormat::Text;
    #[cfg(unix)]
    if matches!(command, Command::Plugin(_)) {
        // The cookie comes first: no listener, no log line, nothing on stdout.
        if let Err(error) = plugin::check_cookie(&Environment) {
            eprintln!("{error}");
            return ExitCode::FAILURE;
        }
        format = LogFormat::Hclog;
    }
    telemetry::init(cli.log_format.unwrap_or(format), std::io::stderr);
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: could not start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match command {
            Command::Serve(args) => run_serve(args).await,
            #[cfg(unix)]
            Command::Plugin(args) => run_plugin(args).await,
            Command::Emulator(args) => run_emulator(args).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) if format == LogFormat::Hclog => {
            // In plugin mode the host shows hclog lines at their level.
            tracing::error!(error = format!("{error:#}"), "the plugin failed");
            ExitCode::from(2)
        }
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(2)
        }
    }
}

async fn run_serve(args: ServeArgs) -> anyhow::Result<()> {
    let (service, emulator) = build_service(args.backend, Banner::Stdout).await?;
    let listener = TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("could not listen on {}", args.listen))?;
    let address = listener.local_addr()?;
    print_stdout(&format!("gRPC server listening on {address}"));
    let served = server::serve(listener, service, shutdown_signal()).await;
    stop_emulator(emulator).await?;
    Ok(served?)
}

/// Plugin mode: stops on the host's Shutdown, SIGTERM, the host dying or
/// closing our stdout; the server stops (destroying its managed contexts)
/// before the emulator and its processes.
#[cfg(unix)]
async fn run_plugin(args: PluginArgs) -> anyhow::Result<()> {
    let parent_alive = plugin::lifeline::arm_parent_death_signal();
    let env = plugin::PluginEnv::from_lookup(&Environment)?;
    if !parent_alive {
        anyhow::bail!("the host exited before the plugin started");
    }
    let (service, emulator) = build_service(args.backend, Banner::Log).await?;
    let shutdown = plugin::lifeline::process_shutdown();
    let mut stdout = std::io::stdout();
    let served = plugin::serve(&env, args.network, service, shutdown, &mut stdout).await;
    stop_emulator(emulator).await?;
    Ok(served?)
}

/// The ComputeService `serve` and `plugin` run: against the workspace the
/// flags, environment and profiles name, or a fresh emulator.
async fn build_service(
    args: BackendArgs,
    banner: Banner,
) -> anyhow::Result<(ComputeService, Option<EmulatorHandle>)> {
    let (config, emulator) = if args.emulator {
        let handle = start_emulator(
            args.emulator_listen,
            emulator::DEFAULT_TOKEN,
            args.library_step,
            banner,
        )
        .await?;
        let config = DatabricksConfig::new(&handle.url(), Secret::new(handle.token()))?;
        (config, Some(handle))
    } else {
        let overrides = Overrides {
            host: args.host,
            token: args.token.map(Secret::new),
            profile: args.profile,
            auth_type: args.auth_type,
            netrc: args.netrc,
            allow_insecure_http: args.allow_insecure_http,
        };
        (DatabricksConfig::resolve(overrides, &Environment)?, None)
    };
    let config = config.with_request_timeout(args.request_timeout);
    info!(
        host = %config.host,
        auth = config.credentials.auth_type(),
        source = %config.source,
        request_timeout = ?config.request_timeout,
        "Databricks configuration resolved"
    );
    let client = Client::new(&config)?;
    if args.poll_initial.is_zero() || args.poll_max < args.poll_initial {
        anyhow::bail!("--poll-initial must be above zero and at most --poll-max");
    }
    let options = ServiceOptions {
        poll: Backoff {
            initial: args.poll_initial,
            max: args.poll_max,
        },
        context_idle_timeout: args.context_idle_timeout,
    };
    Ok((ComputeService::with_options(client, options), emulator))
}

/// Stops the emulator, if any, and waits for its context processes.
async fn stop_emulator(emulator: Option<EmulatorHandle>) -> anyhow::Result<()> {
    if let Some(handle) = emulator {
        handle.shutdown();
        handle.join().await?;
    }
    Ok(())
}

async fn run_emulator(args: EmulatorArgs) -> anyhow::Result<()> {
    let handle =
        start_emulator(args.listen, &args.token, args.library_step, Banner::Stdout).await?;
    shutdown_signal().await;
    handle.shutdown();
    handle.join().await?;
    Ok(())
}

/// Where the emulator's banner goes: stdout, or (plugin mode, where stdout
/// carries only the handshake) the log.
#[derive(Debug, Clone, Copy)]
enum Banner {
    Stdout,
    Log,
}

async fn start_emulator(
    listen: SocketAddr,
    token: &str,
    step: Duration,
    banner: Banner,
) -> anyhow::Result<EmulatorHandle> {
    // The emulator runs the code it is sent: never offer that beyond this machine.
    if !listen.ip().is_loopback() {
        anyhow::bail!(
            "the emulator runs the code it is sent, so it only listens on loopback (127.0.0.1 or ::1), not {listen}"
        );
    }
    let listener = TcpListener::bind(listen)
        .await
        .with_context(|| format!("could not listen on {listen} for the emulator"))?;
    let config = EmulatorConfig::default()
        .with_token(token)
        .with_pace(Pace::Timed(step));
    let handle = emulator::spawn(listener, config).await?;
    match banner {
        Banner::Stdout => print_stdout(&handle.banner()),
        Banner::Log => info!(
            url = %handle.url(),
            running_cluster = emulator::RUNNING_CLUSTER_ID,
            terminated_cluster = emulator::TERMINATED_CLUSTER_ID,
            "Databricks emulator listening"
        ),
    }
    Ok(handle)
}

/// Writes to stdout and flushes; a closed stdout is not worth a panic.
fn print_stdout(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "{}", text.trim_end());
    let _ = stdout.flush();
}

/// Completes on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => info!("Ctrl-C received, shutting down"),
        () = terminate => info!("SIGTERM received, shutting down"),
    }
}

/// Parses `500ms`, `2s`, `1m`, `1h` or a bare number of seconds.
fn parse_duration(text: &str) -> Result<Duration, String> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("0s"), Ok(Duration::ZERO));
        assert_eq!(parse_duration("3"), Ok(Duration::from_secs(3)));
        assert_eq!(parse_duration("1m"), Ok(Duration::from_secs(60)));
        assert!(parse_duration("soon").is_err());
        assert_eq!(parse_duration("20m"), Ok(Duration::from_secs(1200)));
        assert!(parse_duration("5d").is_err());
    }

    #[test]
    fn cli_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
