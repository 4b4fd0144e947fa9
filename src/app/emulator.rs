//! Starting and stopping the embedded emulator the way every front end does:
//! on loopback only, announced by its banner, stopped after the server.

use std::{io::Write as _, net::SocketAddr};

use anyhow::Context as _;
use tokio::net::TcpListener;
use tracing::info;

use crate::{
    app::Banner,
    emulator::{self, EmulatorConfig, EmulatorHandle},
};

/// Binds `listen` (loopback only), serves an emulator with `config` on it
/// and announces it on `banner` (`--emulator`, and the `emulator` command).
///
/// # Errors
///
/// When `listen` is not loopback, or cannot be bound.
pub async fn start_emulator(
    listen: SocketAddr,
    config: EmulatorConfig,
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
    let handle = emulator::spawn(listener, config).await?;
    match banner {
        Banner::Stdout => print_stdout(&handle.banner()),
        // The binary's start-up lines keep the target they always had, which
        // log filters and hclog's @module name.
        Banner::Log => info!(
            target: "databricks_grpc",
            url = %handle.url(),
            running_cluster = emulator::RUNNING_CLUSTER_ID,
            terminated_cluster = emulator::TERMINATED_CLUSTER_ID,
            "Databricks emulator listening"
        ),
    }
    Ok(handle)
}

/// Stops the emulator, if any, and waits for its context processes.
///
/// # Errors
///
/// What the emulator's server returned.
pub async fn stop_emulator(emulator: Option<EmulatorHandle>) -> anyhow::Result<()> {
    if let Some(handle) = emulator {
        handle.shutdown();
        handle.join().await?;
    }
    Ok(())
}

/// Writes `text` and a line break to stdout and flushes; a closed stdout is
/// not worth a panic.
pub fn print_stdout(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "{}", text.trim_end());
    let _ = stdout.flush();
}
