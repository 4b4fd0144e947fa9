//! databricks-grpc as `serve` builds it (`App::build` with the default
//! flags, then `App::serve`), on an ephemeral loopback port, in this process
//! or in a child process of the benchmark.

use std::{net::SocketAddr, process::Stdio};

use anyhow::Context as _;
use databricks_grpc::{
    app::{App, AppConfig, Backend, FrontDoor},
    config::{Credentials, DatabricksConfig, Secret},
    emulator,
    server::ServerOptions,
    service::ComputeService,
};
use tokio::{
    io::{AsyncBufReadExt as _, AsyncWriteExt as _, BufReader, Lines},
    net::TcpListener,
    process::{Child, ChildStdin, ChildStdout},
    sync::{mpsc, oneshot},
    task::JoinHandle,
};

use crate::memory::{self, Memory};

/// The hidden flag that makes the benchmark a child server process.
pub(crate) const CHILD_FLAG: &str = "--child-server";

/// A server running in this process.
pub(crate) struct InProcess {
    /// Where it listens.
    pub(crate) addr: SocketAddr,
    /// A clone of the served service.
    pub(crate) service: ComputeService,
    stop: oneshot::Sender<()>,
    task: JoinHandle<anyhow::Result<()>>,
}

/// A server running in a child process, so its memory is its own.
pub(crate) struct ChildServer {
    /// Where it listens.
    pub(crate) addr: SocketAddr,
    child: Child,
    stdin: ChildStdin,
    stdout: Lines<BufReader<ChildStdout>>,
}

// === impl InProcess ===

impl InProcess {
    /// Starts the server against `upstream` (a Databricks base URL; the
    /// emulator's default token is sent).
    pub(crate) async fn start(upstream: &str) -> anyhow::Result<Self> {
        let databricks = DatabricksConfig::with_credentials(
            upstream,
            Credentials::Pat {
                token: Secret::new(emulator::DEFAULT_TOKEN),
            },
        )?;
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let config = AppConfig::new(Backend::Resolved(databricks), FrontDoor::plaintext(addr));
        let app = App::build(config).await?;
        let service = app.service().clone();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let shutdown = async {
                let _ = stopped.await;
            };
            app.serve(listener, ServerOptions::default(), shutdown)
                .await
        });
        Ok(Self {
            addr,
            service,
            stop,
            task,
        })
    }

    /// Stops the server and waits for it.
    pub(crate) async fn stop(self) -> anyhow::Result<()> {
        let _ = self.stop.send(());
        self.task.await?
    }
}

/// The child process: serves against `upstream`, prints `listening ADDR`,
/// answers `loops` with the number of poll loops, stops at end of input.
pub(crate) fn run_child(upstream: &str) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let served = InProcess::start(upstream).await?;
        println!("listening {}", served.addr);
        let mut lines = stdin_lines();
        while let Some(line) = lines.recv().await {
            if line.trim() == "loops" {
                println!("{}", served.service.active_poll_loops());
            }
        }
        served.stop().await
    })
}

/// The lines of standard input, read on a thread of their own (blocking
/// reads); the channel closes at end of input.
fn stdin_lines() -> mpsc::UnboundedReceiver<String> {
    let (sender, lines) = mpsc::unbounded_channel();
    std::thread::spawn(move || {
        for line in std::io::stdin().lines() {
            let Ok(line) = line else { break };
            if sender.send(line).is_err() {
                break;
            }
        }
    });
    lines
}

// === impl ChildServer ===

impl ChildServer {
    /// Starts this benchmark again as a child server against `upstream`.
    pub(crate) async fn spawn(upstream: &str) -> anyhow::Result<Self> {
        let mut child = tokio::process::Command::new(std::env::current_exe()?)
            .args([CHILD_FLAG, upstream])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .context("could not start the child server")?;
        let stdin = child.stdin.take().context("no stdin pipe")?;
        let stdout = child.stdout.take().context("no stdout pipe")?;
        let mut stdout = BufReader::new(stdout).lines();
        let line = stdout.next_line().await?.unwrap_or_default();
        let addr = line
            .strip_prefix("listening ")
            .with_context(|| format!("unexpected first line from the child server: {line:?}"))?
            .parse()?;
        Ok(Self {
            addr,
            child,
            stdin,
            stdout,
        })
    }

    /// The child's resident memory now and at its peak.
    pub(crate) fn memory(&self) -> anyhow::Result<Memory> {
        memory::of(self.child.id().context("the child server has exited")?)
    }

    /// The number of upstream poll loops the child runs.
    pub(crate) async fn poll_loops(&mut self) -> anyhow::Result<usize> {
        self.stdin.write_all(b"loops\n").await?;
        self.stdin.flush().await?;
        let line = self.stdout.next_line().await?.unwrap_or_default();
        Ok(line.trim().parse()?)
    }

    /// Ends the child's input, so it shuts down; kills it if it has not
    /// exited within 15 seconds.
    pub(crate) async fn stop(self) -> anyhow::Result<()> {
        let Self {
            mut child, stdin, ..
        } = self;
        drop(stdin);
        let waited = tokio::time::timeout(std::time::Duration::from_secs(15), child.wait()).await;
        if waited.is_err() {
            child.kill().await?;
        }
        Ok(())
    }
}
