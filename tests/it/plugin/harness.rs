//! `PluginProcess`: the release-or-debug binary launched the way a
//! go-plugin host launches it (cookie, `PLUGIN_*`, piped stdio), with its
//! handshake line parsed and its stderr collected.

use std::{
    path::{Path, PathBuf},
    process::{ExitStatus, Stdio},
    sync::{Arc, Mutex},
    time::Duration,
};

use databricks_grpc::plugin::{COOKIE_KEY, COOKIE_VALUE};
use tokio::{
    io::{AsyncBufReadExt as _, AsyncReadExt as _, BufReader},
    process::{Child, ChildStdout, Command},
};

/// Upper bound for any single wait; never a synchronisation delay.
pub const LIMIT: Duration = Duration::from_secs(30);

/// A private directory for the plugin's socket, removed on drop.
pub struct TempDir(pub PathBuf);

/// A running plugin and what it printed.
pub struct PluginProcess {
    pub child: Child,
    /// The first stdout line, without the newline.
    pub handshake: String,
    /// The rest of stdout, for `rest_of_stdout`.
    pub stdout: Option<BufReader<ChildStdout>>,
    pub stderr: Arc<Mutex<String>>,
    stderr_done: Option<tokio::task::JoinHandle<()>>,
    pub dir: TempDir,
}

// === impl TempDir ===

impl TempDir {
    pub fn new() -> Self {
        let path = std::env::temp_dir().join(format!(
            "dbgrpc-it-{}-{}",
            std::process::id(),
            rand::random::<u32>()
        ));
        std::fs::create_dir(&path).unwrap();
        Self(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

// === impl PluginProcess ===

impl PluginProcess {
    /// `databricks-grpc <args>` with the cookie, the socket directory and
    /// `env`; waits for the handshake line.
    pub async fn start(args: &[&str], env: &[(&str, &str)]) -> Self {
        Self::launch(base_command(args), (COOKIE_KEY, COOKIE_VALUE), env).await
    }

    /// `command` (set up by [`command`]) with the cookie `(key, value)`,
    /// the socket directory and `env`; waits for the handshake line.
    pub async fn launch(
        mut command: Command,
        (cookie_key, cookie_value): (&str, &str),
        env: &[(&str, &str)],
    ) -> Self {
        let dir = TempDir::new();
        command
            .env(cookie_key, cookie_value)
            .env("PLUGIN_UNIX_SOCKET_DIR", &dir.0)
            .envs(env.iter().copied());
        let mut child = command.spawn().unwrap();
        let (stderr, stderr_done) = collect(child.stderr.take().unwrap());
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        let read = tokio::time::timeout(LIMIT, stdout.read_line(&mut line)).await;
        assert!(
            matches!(read, Ok(Ok(n)) if n > 0),
            "no handshake line; stderr: {}",
            stderr.lock().unwrap()
        );
        assert!(line.ends_with('\n'), "{line:?}");
        Self {
            child,
            handshake: line.trim_end_matches('\n').to_owned(),
            stdout: Some(stdout),
            stderr,
            stderr_done: Some(stderr_done),
            dir,
        }
    }

    /// The handshake's `|`-separated fields.
    pub fn fields(&self) -> Vec<&str> {
        self.handshake.split('|').collect()
    }

    /// Field 4: the socket path (unix).
    pub fn socket(&self) -> PathBuf {
        PathBuf::from(self.fields()[3])
    }

    /// Waits for the process to exit (bounded).
    pub async fn exit(&mut self) -> ExitStatus {
        tokio::time::timeout(LIMIT, self.child.wait())
            .await
            .expect("the plugin did not exit")
            .unwrap()
    }

    /// Everything written to stdout after the handshake (reads to EOF).
    pub async fn rest_of_stdout(&mut self) -> String {
        let mut rest = String::new();
        let mut stdout = self.stdout.take().unwrap();
        tokio::time::timeout(LIMIT, stdout.read_to_string(&mut rest))
            .await
            .unwrap()
            .unwrap();
        rest
    }

    /// Sends `signal` to the plugin.
    pub fn signal(&self, signal: nix::sys::signal::Signal) {
        let pid = nix::unistd::Pid::from_raw(self.child.id().unwrap() as i32);
        nix::sys::signal::kill(pid, signal).unwrap();
    }

    /// All of stderr, once the process has closed it (call after `exit`).
    pub async fn all_stderr(&mut self) -> String {
        if let Some(done) = self.stderr_done.take() {
            tokio::time::timeout(LIMIT, done).await.unwrap().unwrap();
        }
        self.stderr.lock().unwrap().clone()
    }
}

/// The binary with `args`, piped stdio, and no inherited plugin or
/// Databricks settings.
pub fn base_command(args: &[&str]) -> Command {
    command(env!("CARGO_BIN_EXE_databricks-grpc"), args)
}

/// `program` with `args`, set up like [`base_command`].
pub fn command(program: &str, args: &[&str]) -> Command {
    let mut command = Command::new(program);
    command
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .env("RUST_LOG", "info,databricks_grpc=debug")
        .kill_on_drop(true);
    for (key, _) in std::env::vars() {
        if key.starts_with("PLUGIN_") || key.starts_with("DATABRICKS_") {
            command.env_remove(key);
        }
    }
    command
}

/// Collects a pipe into a shared string in the background, until EOF.
fn collect(
    pipe: impl tokio::io::AsyncRead + Unpin + Send + 'static,
) -> (Arc<Mutex<String>>, tokio::task::JoinHandle<()>) {
    let text = Arc::new(Mutex::new(String::new()));
    let sink = text.clone();
    let done = tokio::spawn(async move {
        let mut lines = BufReader::new(pipe).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            let mut text = sink.lock().unwrap();
            text.push_str(&line);
            text.push('\n');
        }
    });
    (text, done)
}

/// Whether `path` exists.
pub fn exists(path: &Path) -> bool {
    path.symlink_metadata().is_ok()
}
