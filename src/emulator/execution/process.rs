//! The `python3` process behind one execution context: how it is started
//! (running `driver_results.py` then `driver.py`, which speak JSON lines),
//! counted, and stopped. It dies with its context: the driving task kills
//! it once its mailbox closes, `kill_on_drop` covers a dropped task, and the
//! script exits by itself when its stdin closes or its parent changes. The
//! processes user code starts end with it (`descendants`).

use std::{
    io,
    path::{Path, PathBuf},
    process::Stdio,
    sync::{Arc, Mutex},
    time::Duration,
};

use tokio::{
    io::{AsyncBufReadExt as _, BufReader},
    process::{ChildStderr, Command},
    sync::{mpsc, watch},
    task::JoinHandle,
};
use tracing::Instrument as _;

use super::{
    context::Shared,
    descendants,
    driver::{Driver, Order},
};

/// The script every context process runs: the result formatting, then the
/// protocol loop.
const DRIVER: &str = concat!(include_str!("driver_results.py"), include_str!("driver.py"));
/// How long [`Process::stop`] waits for the process to be reaped.
const STOP_TIMEOUT: Duration = Duration::from_secs(5);

/// A running context process, as its owner sees it.
#[derive(Debug)]
pub(super) struct Process {
    pid: Option<u32>,
    mailbox: mpsc::UnboundedSender<Order>,
    task: JoinHandle<()>,
}

/// Counts one live process in `live` until dropped (after the process was
/// reaped, or with the task that owned it).
#[derive(Debug)]
pub(super) struct Alive(Arc<watch::Sender<usize>>);

/// The interpreter that `python` names, resolved once so that wrappers such
/// as pyenv shims are not paid for on every context; checks it is Python 3.8+.
pub(super) async fn resolve_interpreter(python: &str) -> Result<PathBuf, String> {
    let probe = "import sys\nassert sys.version_info >= (3, 8), 'Python 3.8+ is needed, not ' + \
                 sys.version\nprint(sys.executable)";
    let output = Command::new(python)
        .args(["-c", probe])
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output()
        .await
        .map_err(|error| error.to_string())?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let last = stderr.lines().last().unwrap_or_default();
        return Err(format!("it failed ({}): {last}", output.status));
    }
    let path = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    Ok(if path.is_empty() {
        python.into()
    } else {
        path.into()
    })
}

// === impl Process ===

impl Process {
    /// Starts the process of context `context_id`, driving `shared`; it and
    /// every process it starts carry `marker`, and all of them are killed
    /// when it ends.
    pub(super) fn start(
        interpreter: &Path,
        context_id: &str,
        marker: String,
        shared: Arc<Mutex<Shared>>,
        live: &Arc<watch::Sender<usize>>,
    ) -> io::Result<Self> {
        let mut child = Command::new(interpreter)
            .args(["-u", "-c", DRIVER])
            .env(descendants::MARKER_VARIABLE, &marker)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()?;
        let alive = Alive::new(live);
        let pid = child.id();
        let (Some(stdin), Some(stdout), Some(stderr)) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take())
        else {
            return Err(io::Error::other("the process has no pipes"));
        };
        let span = tracing::debug_span!("context", id = context_id, pid);
        tokio::spawn(log_stderr(stderr).instrument(span.clone()));
        let (mailbox, orders) = mpsc::unbounded_channel();
        let driver = Driver::new(child, stdin, shared, alive, marker);
        let task = tokio::spawn(driver.run(stdout, orders).instrument(span));
        tracing::debug!(context_id, pid, "context process started");
        Ok(Self { pid, mailbox, task })
    }

    /// The process id, as started.
    pub(super) fn pid(&self) -> Option<u32> {
        self.pid
    }

    /// Tells the task a command was queued.
    pub(super) fn wake(&self) {
        // A closed mailbox means the process died; the context reports it.
        let _ = self.mailbox.send(Order::Wake);
    }

    /// Asks the process to interrupt running command `id`.
    pub(super) fn interrupt(&self, id: &str) {
        let _ = self.mailbox.send(Order::Cancel(id.to_owned()));
    }

    /// Kills the process and waits (boundedly) until it is reaped.
    pub(super) async fn stop(self) {
        drop(self.mailbox);
        let _ = tokio::time::timeout(STOP_TIMEOUT, self.task).await;
    }
}

// === impl Alive ===

impl Alive {
    fn new(live: &Arc<watch::Sender<usize>>) -> Self {
        live.send_modify(|count| *count += 1);
        Self(Arc::clone(live))
    }
}

impl Drop for Alive {
    fn drop(&mut self) {
        self.0.send_modify(|count| *count = count.saturating_sub(1));
    }
}

/// Logs what the process writes to stderr (user output goes elsewhere).
async fn log_stderr(stderr: ChildStderr) {
    let mut lines = BufReader::new(stderr).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        tracing::debug!(line, "context process stderr");
    }
}
