//! `terraform-provider-dbgrpc`: databricks-grpc as a Terraform provider
//! (plugin protocol 6). Terraform launches it with its magic cookie; it
//! prints the go-plugin handshake line on stdout and nothing else, logs
//! hclog JSON on stderr, ignores SIGINT and exits after Terraform's
//! `GRPCController/Shutdown` (or SIGTERM, or Terraform dying).

use std::process::ExitCode;

#[cfg(unix)]
fn main() -> ExitCode {
    use databricks_grpc::{
        config::Environment,
        plugin::{self, cookie_matches},
        provider,
        telemetry::{self, LogFormat},
    };

    // The cookie comes first: no listener, no log line, nothing on stdout.
    if !cookie_matches(&Environment, provider::COOKIE_KEY, provider::COOKIE_VALUE) {
        eprintln!("{}", provider::NOT_LAUNCHED_BY_TERRAFORM);
        return ExitCode::FAILURE;
    }
    telemetry::init(LogFormat::Hclog, std::io::stderr);
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            tracing::error!(%error, "could not start the async runtime");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        let parent_alive = plugin::lifeline::arm_parent_death_signal();
        let env = plugin::PluginEnv::from_lookup(&Environment)?;
        if !parent_alive {
            anyhow::bail!("Terraform exited before the provider started");
        }
        // Installs the signal handlers (SIGINT ignored) before the handshake.
        let shutdown = plugin::lifeline::process_shutdown();
        let mut stdout = std::io::stdout();
        provider::serve(&env, shutdown, &mut stdout).await?;
        Ok(())
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(error = format!("{error:#}"), "the provider failed");
            ExitCode::from(2)
        }
    }
}

#[cfg(not(unix))]
fn main() -> ExitCode {
    eprintln!("terraform-provider-dbgrpc runs on unix only");
    ExitCode::FAILURE
}
