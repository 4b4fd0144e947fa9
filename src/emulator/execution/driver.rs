//! The task that drives one context process: it hands queued commands to
//! the process one at a time, relays cancels, records answers, and fails
//! the context if the process dies or ignores a cancel. It kills the
//! process once its mailbox closes (the context was destroyed or shut down),
//! and, whichever way the process ended, every process it started.

use std::{
    io,
    sync::{Arc, Mutex, MutexGuard, PoisonError},
    time::Duration,
};

use serde::{Deserialize, Serialize};
use tokio::{
    io::{AsyncBufReadExt as _, AsyncWriteExt as _, BufReader},
    process::{Child, ChildStdin, ChildStdout},
    sync::mpsc,
    time::Instant,
};

use super::{
    context::{CommandStatus, Shared},
    descendants,
    process::Alive,
    results::{self, Results},
};

/// How long a running command may ignore a cancel before its process is
/// killed (the context then turns `Error`, the command `Cancelled`); short
/// in tests, which wait for it.
const CANCEL_GRACE: Duration = Duration::from_secs(if cfg!(test) { 1 } else { 10 });

/// What the owner asks of the driving task.
#[derive(Debug)]
pub(super) enum Order {
    /// A command was queued: dispatch it if the process is idle.
    Wake,
    /// Interrupt the running command with this id.
    Cancel(String),
}

/// A line to the process.
#[derive(Debug, Serialize)]
#[serde(tag = "op", rename_all = "lowercase")]
enum Request<'a> {
    Execute {
        id: &'a str,
        language: &'a str,
        command: &'a str,
    },
    Cancel {
        id: &'a str,
    },
}

/// A line from the process.
#[derive(Debug, Deserialize)]
#[serde(tag = "event", rename_all = "lowercase")]
enum Event {
    Ready,
    Result {
        id: String,
        cancelled: bool,
        results: Option<Box<Results>>,
    },
}

/// The driving task's state.
pub(super) struct Driver {
    child: Child,
    stdin: ChildStdin,
    shared: Arc<Mutex<Shared>>,
    /// The marker of this context's processes, to end them all.
    marker: String,
    /// Held so that the process counts as alive while the task runs.
    _alive: Alive,
}

// === impl Driver ===

impl Driver {
    /// The driver of `child`, whose stdin is `stdin`, for the context `shared`.
    pub(super) fn new(
        child: Child,
        stdin: ChildStdin,
        shared: Arc<Mutex<Shared>>,
        alive: Alive,
        marker: String,
    ) -> Self {
        Self {
            child,
            stdin,
            shared,
            marker,
            _alive: alive,
        }
    }

    /// Serves until the mailbox closes (kill) or the process fails (the
    /// context turns `Error`).
    pub(super) async fn run(
        mut self,
        stdout: ChildStdout,
        mut orders: mpsc::UnboundedReceiver<Order>,
    ) {
        let mut lines = BufReader::new(stdout).lines();
        // Set while a cancel is unanswered: user code that swallows the
        // interrupt must not leave the command `Cancelling` for ever.
        let mut cancel_deadline = None;
        let broken = loop {
            if let Err(error) = self.dispatch().await {
                break format!("could not be written to ({error})");
            }
            tokio::select! {
                order = orders.recv() => match order {
                    None => return self.kill().await,
                    Some(Order::Wake) => {}
                    Some(Order::Cancel(id)) => {
                        if let Err(error) = self.send(&Request::Cancel { id: &id }).await {
                            break format!("could not be written to ({error})");
                        }
                        cancel_deadline.get_or_insert(Instant::now() + CANCEL_GRACE);
                    }
                },
                () = expiry(cancel_deadline) => {
                    break format!("ignored a cancel for {} s", CANCEL_GRACE.as_secs());
                }
                line = lines.next_line() => match line {
                    Ok(Some(line)) => {
                        if self.handle(&line) {
                            cancel_deadline = None;
                        }
                    }
                    Ok(None) => break "closed its output".to_owned(),
                    Err(error) => break format!("could not be read ({error})"),
                },
            }
        };
        let _ = self.child.start_kill();
        let detail = match self.child.wait().await {
            Ok(status) => format!("ended ({status}): it {broken}"),
            Err(error) => format!("failed: it {broken} ({error})"),
        };
        tracing::debug!(%detail, "context process died");
        // Before the context says so, so that nothing it started outlives
        // the news.
        descendants::end_marked(self.marker.clone()).await;
        self.lock()
            .fail(CommandStatus::Error, results::died(&detail));
    }

    /// Hands the next queued command to the process if it is idle.
    async fn dispatch(&mut self) -> io::Result<()> {
        let Some(work) = self.lock().next() else {
            return Ok(());
        };
        tracing::debug!(command_id = %work.id, language = %work.language, "dispatch command");
        self.send(&Request::Execute {
            id: &work.id,
            language: &work.language,
            command: &work.command,
        })
        .await
    }

    async fn send(&mut self, request: &Request<'_>) -> io::Result<()> {
        let mut line = serde_json::to_vec(request).map_err(io::Error::other)?;
        line.push(b'\n');
        self.stdin.write_all(&line).await?;
        self.stdin.flush().await
    }

    /// Applies one line of the process; answers whether it ended a command.
    fn handle(&self, line: &str) -> bool {
        match serde_json::from_str::<Event>(line) {
            Ok(Event::Ready) => {
                tracing::debug!("context process ready");
                self.lock().ready();
                false
            }
            Ok(Event::Result {
                id,
                cancelled,
                results,
            }) => {
                tracing::debug!(command_id = %id, cancelled, "command answered");
                self.lock().finish(&id, cancelled, results.map(|r| *r));
                true
            }
            Err(error) => {
                tracing::debug!(%error, line, "unreadable line from the context process");
                false
            }
        }
    }

    async fn kill(mut self) {
        let result = self.child.kill().await;
        tracing::debug!(?result, "context process killed");
        descendants::end_marked(self.marker).await;
    }

    fn lock(&self) -> MutexGuard<'_, Shared> {
        self.shared.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Completes at `deadline`, or never without one.
async fn expiry(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}
