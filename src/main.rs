//! The `databricks-grpc` command line: `serve` runs the gRPC server (against a
//! workspace, or the embedded emulator with `--emulator`); `plugin` runs the
//! same service as a HashiCorp go-plugin plugin (also chosen when no command
//! is given and the magic cookie is in the environment); `emulator` runs the
//! Databricks emulator alone.

mod cli;

use std::{
    io::Write,
    net::{IpAddr, SocketAddr},
    process::ExitCode,
    time::Duration,
};

use anyhow::Context;
use clap::{CommandFactory as _, Parser};
use cli::{BackendArgs, Cli, Command, EmulatorArgs, PluginArgs, ServeArgs};
#[cfg(unix)]
use databricks_grpc::plugin;
use databricks_grpc::{
    config::{
        Credentials, DEFAULT_REQUEST_TIMEOUT, DEFAULT_RETRY_TIMEOUT, DatabricksConfig, Environment,
        Overrides, Secret,
    },
    databricks::Client,
    emulator::{self, EmulatorConfig, EmulatorHandle, Pace},
    hub::Backoff,
    server,
    service::{ComputeService, ServiceOptions},
    telemetry::{self, LogFormat},
};
use tokio::net::TcpListener;
use tracing::info;

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
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => Some(server::tls::from_pem_files(cert, key)?),
        _ => None,
    };
    let exposed = !args.listen.ip().is_loopback();
    if args.auth_passthrough && exposed && tls.is_none() && !args.allow_plaintext_credentials {
        anyhow::bail!(
            "--auth-passthrough on {} would take callers' tokens over plaintext: serve TLS with \
             --tls-cert/--tls-key, or, when TLS ends in front of this server (a sidecar or proxy), \
             pass --allow-plaintext-credentials",
            args.listen
        );
    }
    let transport = if tls.is_some() { " (TLS)" } else { "" };
    let front_door = FrontDoor::Tcp(args.listen);
    let (service, emulator) = build_service(
        args.backend,
        front_door,
        Banner::Stdout,
        args.auth_passthrough,
    )
    .await?;
    let listener = TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("could not listen on {}", args.listen))?;
    let address = listener.local_addr()?;
    let shutdown = shutdown_signal();
    print_stdout(&format!("gRPC server listening on {address}{transport}"));
    let options = args
        .connections
        .server_options()
        .with_drain_limit(args.drain_limit);
    let served = server::serve(listener, service, tls, options, shutdown).await;
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
    let front_door = FrontDoor::Plugin(args.network);
    let (service, emulator) = build_service(args.backend, front_door, Banner::Log, false).await?;
    let shutdown = plugin::lifeline::process_shutdown();
    let mut stdout = std::io::stdout();
    let served = plugin::serve(&env, args.network, service, shutdown, &mut stdout).await;
    stop_emulator(emulator).await?;
    Ok(served?)
}

/// The ComputeService `serve` and `plugin` run: against the workspace the
/// flags, environment and profiles name, or a fresh emulator (only behind a
/// loopback `front_door`). With `pass_through`, only the host is resolved:
/// every call must bring its caller's own credentials.
async fn build_service(
    args: BackendArgs,
    front_door: FrontDoor,
    banner: Banner,
    pass_through: bool,
) -> anyhow::Result<(ComputeService, Option<EmulatorHandle>)> {
    if args.poll_initial.is_zero() || args.poll_max < args.poll_initial {
        anyhow::bail!("--poll-initial must be above zero and at most --poll-max");
    }
    let (config, emulator) = if args.emulator {
        refuse_exposed_emulator(front_door)?;
        let handle = start_emulator(
            args.emulator_listen,
            emulator::DEFAULT_TOKEN,
            args.library_step,
            banner,
        )
        .await?;
        let credentials = if pass_through {
            Credentials::PassThrough
        } else {
            Credentials::Pat {
                token: Secret::new(handle.token()),
            }
        };
        let config = DatabricksConfig::with_credentials(&handle.url(), credentials)?
            .with_request_timeout(args.request_timeout.unwrap_or(DEFAULT_REQUEST_TIMEOUT))
            .with_retry_timeout(args.retry_timeout.unwrap_or(DEFAULT_RETRY_TIMEOUT));
        (config, Some(handle))
    } else {
        let overrides = Overrides {
            host: args.host,
            token: args.token.map(Secret::new),
            profile: args.profile,
            auth_type: args.auth_type,
            netrc: args.netrc,
            allow_insecure_http: args.allow_insecure_http,
            request_timeout: args.request_timeout,
            retry_timeout: args.retry_timeout,
            pass_through,
        };
        (DatabricksConfig::resolve(overrides, &Environment)?, None)
    };
    info!(
        host = %config.host,
        auth = config.credentials.auth_type(),
        source = %config.source,
        request_timeout = ?config.request_timeout,
        retry_timeout = ?config.retry_timeout,
        "Databricks configuration resolved"
    );
    let client = Client::new(&config)?;
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
    let shutdown = shutdown_signal();
    let handle =
        start_emulator(args.listen, &args.token, args.library_step, Banner::Stdout).await?;
    shutdown.await;
    stop_emulator(Some(handle)).await
}

/// Where the emulator's banner goes: stdout, or (plugin mode, where stdout
/// carries only the handshake) the log.
#[derive(Debug, Clone, Copy)]
enum Banner {
    Stdout,
    Log,
}

/// Where callers reach the gRPC server.
#[derive(Debug, Clone, Copy)]
enum FrontDoor {
    /// `serve --listen`.
    Tcp(SocketAddr),
    /// Plugin mode: a unix socket, or TCP on [`plugin::listener::TCP_HOST`].
    #[cfg(unix)]
    Plugin(plugin::Network),
}

impl FrontDoor {
    /// The IP address callers connect to; `None` for a unix socket.
    fn ip(self) -> Option<IpAddr> {
        match self {
            Self::Tcp(address) => Some(address.ip()),
            #[cfg(unix)]
            Self::Plugin(plugin::Network::Tcp) => Some(plugin::listener::TCP_HOST.into()),
            #[cfg(unix)]
            Self::Plugin(plugin::Network::Unix) => None,
        }
    }
}

/// The one rule for both front ends: with `--emulator`, ExecuteCommand runs
/// the code it is sent on this machine, so the gRPC server (like the
/// emulator itself) may only be reachable from this machine.
fn refuse_exposed_emulator(front_door: FrontDoor) -> anyhow::Result<()> {
    let Some(ip) = front_door.ip() else {
        return Ok(());
    };
    if ip.to_canonical().is_loopback() {
        return Ok(());
    }
    let address = match front_door {
        FrontDoor::Tcp(address) => address.to_string(),
        #[cfg(unix)]
        FrontDoor::Plugin(_) => ip.to_string(),
    };
    anyhow::bail!(
        "--emulator runs the code callers send (ExecuteCommand), so the gRPC server then only \
         listens on loopback (127.0.0.1 or [::1]), not {address}; serve a real workspace \
         (without --emulator) to listen on other addresses"
    )
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

/// Completes on Ctrl-C or SIGTERM. On unix the handlers are installed when
/// this is called, not when it is first polled, so a signal that arrives
/// right after the banner still stops the server gracefully.
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    let (interrupt, terminate) = {
        use tokio::signal::unix::{SignalKind, signal};
        (
            signal(SignalKind::interrupt()).ok(),
            signal(SignalKind::terminate()).ok(),
        )
    };
    async move {
        #[cfg(unix)]
        {
            let received = |signal: Option<tokio::signal::unix::Signal>| async move {
                match signal {
                    Some(mut signal) => {
                        signal.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                () = received(interrupt) => info!("Ctrl-C received, shutting down"),
                () = received(terminate) => info!("SIGTERM received, shutting down"),
            }
        }
        #[cfg(not(unix))]
        {
            if tokio::signal::ctrl_c().await.is_err() {
                std::future::pending::<()>().await;
            }
            info!("Ctrl-C received, shutting down");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tcp(address: &str) -> FrontDoor {
        FrontDoor::Tcp(address.parse().unwrap())
    }

    #[test]
    fn the_emulator_is_served_on_loopback_only() {
        for local in [
            "127.0.0.1:0",
            "127.0.0.2:50051",
            "[::1]:0",
            "[::ffff:127.0.0.1]:0",
        ] {
            assert!(refuse_exposed_emulator(tcp(local)).is_ok(), "{local}");
        }
        for exposed in ["0.0.0.0:0", "[::]:0", "10.1.2.3:50051", "[2001:db8::1]:0"] {
            let error = refuse_exposed_emulator(tcp(exposed))
                .unwrap_err()
                .to_string();
            assert!(error.contains("only listens on loopback"), "{error}");
            assert!(error.contains(exposed), "{error}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn plugin_front_doors_are_local() {
        for network in [plugin::Network::Unix, plugin::Network::Tcp] {
            assert!(refuse_exposed_emulator(FrontDoor::Plugin(network)).is_ok());
        }
    }
}
