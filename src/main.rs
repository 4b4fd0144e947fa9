//! The `databricks-grpc` command line: `serve` runs the gRPC server (against a
//! workspace, or the embedded emulator with `--emulator`); `plugin` runs the
//! same service as a HashiCorp go-plugin plugin (also chosen when no command
//! is given and the magic cookie is in the environment); `emulator` runs the
//! Databricks emulator alone.

mod cli;

use std::process::ExitCode;

use anyhow::Context;
use clap::{CommandFactory as _, Parser};
use cli::{BackendArgs, Cli, Command, EmulatorArgs, PluginArgs, ServeArgs};
#[cfg(unix)]
use databricks_grpc::plugin;
use databricks_grpc::{
    app::{
        App, AppConfig, Backend, Banner, EmbeddedEmulator, FrontDoor, print_stdout, start_emulator,
        stop_emulator,
    },
    config::{Environment, Overrides, Secret},
    emulator::{self, EmulatorConfig, Pace},
    hub::Backoff,
    server,
    service::ServiceOptions,
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
            Command::Serve(args) => run_serve(*args).await,
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
    let transport = if tls.is_some() { " (TLS)" } else { "" };
    let front_door = FrontDoor::Tcp {
        address: args.listen,
        tls,
        allow_plaintext_credentials: args.allow_plaintext_credentials,
    };
    let mut config = app_config(args.backend, front_door, Banner::Stdout);
    config.pass_through = args.auth_passthrough;
    config.metrics_listen = args.metrics.metrics_listen;
    let app = App::build(config).await?;
    let listener = TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("could not listen on {}", args.listen))?;
    let address = listener.local_addr()?;
    let shutdown = shutdown_signal();
    print_stdout(&format!("gRPC server listening on {address}{transport}"));
    let options = args
        .connections
        .server_options()
        .with_drain_limit(args.drain_limit)
        .with_call_limits(args.overload.call_limits());
    app.serve(listener, options, shutdown).await
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
    let app = App::build(app_config(args.backend, front_door, Banner::Log)).await?;
    let shutdown = plugin::lifeline::process_shutdown();
    let mut stdout = std::io::stdout();
    app.serve_plugin(&env, shutdown, &mut stdout).await
}

async fn run_emulator(args: EmulatorArgs) -> anyhow::Result<()> {
    let shutdown = shutdown_signal();
    let config = EmulatorConfig::default()
        .with_token(args.token)
        .with_pace(Pace::Timed(args.library_step))
        .with_seeded_clusters(args.seed_clusters);
    let handle = start_emulator(args.listen, config, Banner::Stdout).await?;
    shutdown.await;
    stop_emulator(Some(handle)).await
}

/// What `serve` and `plugin` assemble from the flags they share: the
/// workspace the flags, environment and profiles name, or a fresh emulator
/// whose banner goes to `banner`, behind `front_door`.
fn app_config(args: BackendArgs, front_door: FrontDoor, banner: Banner) -> AppConfig {
    let backend = if args.emulator {
        Backend::Emulator(EmbeddedEmulator {
            config: EmulatorConfig::default()
                .with_token(emulator::DEFAULT_TOKEN)
                .with_pace(Pace::Timed(args.library_step)),
            listen: args.emulator_listen,
            banner,
        })
    } else {
        Backend::Workspace(Overrides {
            host: args.host,
            token: args.token.map(Secret::new),
            profile: args.profile,
            auth_type: args.auth_type,
            netrc: args.netrc,
            allow_insecure_http: args.allow_insecure_http,
            ..Overrides::default()
        })
    };
    let mut config = AppConfig::new(backend, front_door);
    config.request_timeout = args.request_timeout;
    config.retry_timeout = args.retry_timeout;
    config.rate_limit = args.rate_limit.rate_limit;
    config.rate_burst = args.rate_limit.rate_burst;
    config.service = ServiceOptions {
        poll: Backoff {
            initial: args.poll_initial,
            max: args.poll_max,
        },
        context_idle_timeout: args.context_idle_timeout,
    };
    config
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
