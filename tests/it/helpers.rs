//! `TestApp`: the emulator and the gRPC server on `127.0.0.1:0`, assembled
//! and served by `App` as `serve` does, a connected client, and a canned
//! upstream for wire shapes the emulator never sends.

use std::{
    net::{Ipv4Addr, SocketAddr, SocketAddrV4},
    sync::{Mutex, Once},
    time::Duration,
};

use axum::Router;
use databricks_grpc::{
    app::{self, App, AppConfig, Backend, Banner, EmbeddedEmulator, FrontDoor},
    config::{Credentials, DatabricksConfig, Secret},
    emulator::{self, EmulatorConfig, EmulatorHandle, JournalEntry, Pace},
    hub::Backoff,
    proto::compute::{self as pb, compute_service_client::ComputeServiceClient},
    server,
    service::{ComputeService, ServiceOptions},
};
use tokio::{net::TcpListener, sync::oneshot, task::JoinHandle};
use tonic::transport::Channel;

/// The running cluster seeded by the emulator.
pub const RUNNING: &str = emulator::RUNNING_CLUSTER_ID;
/// The terminated cluster seeded by the emulator.
pub const TERMINATED: &str = emulator::TERMINATED_CLUSTER_ID;

/// A gRPC server wired to an upstream, with a client connected to it.
pub struct TestApp {
    pub client: ComputeServiceClient<Channel>,
    pub channel: Channel,
    pub emulator: Option<EmulatorHandle>,
    grpc_addr: std::net::SocketAddr,
    /// A clone of the served service, to inspect poll loops and contexts.
    pub service: ComputeService,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<()>>,
}

impl TestApp {
    /// Emulator advancing one lifecycle step per status read.
    pub async fn spawn() -> Self {
        Self::spawn_with(EmulatorConfig::default().with_pace(Pace::PerRead)).await
    }

    /// Emulator with `config`; the server uses the emulator's token.
    pub async fn spawn_with(config: EmulatorConfig) -> Self {
        Self::build(emulator_app(config), server::ServerOptions::default()).await
    }

    /// Emulator with `config`; the server forwards each caller's own
    /// credentials (`serve --auth-passthrough`) and has none of its own.
    pub async fn spawn_pass_through(config: EmulatorConfig) -> Self {
        let mut app = emulator_app(config);
        app.pass_through = true;
        Self::build(app, server::ServerOptions::default()).await
    }

    /// A server pointed at `host` with `token` (no emulator of its own).
    pub async fn spawn_against(host: &str, token: Secret) -> Self {
        Self::spawn_with_credentials(host, Credentials::Pat { token }).await
    }

    /// A server pointed at `host` authenticating with `credentials`. A
    /// short retry budget (1 s) keeps tests of failures quick.
    pub async fn spawn_with_credentials(host: &str, credentials: Credentials) -> Self {
        Self::spawn_with_retry_budget(host, credentials, RETRY_BUDGET).await
    }

    /// As [`spawn_pass_through`](Self::spawn_pass_through), keeping state
    /// for at most `max_callers` callers at once.
    pub async fn spawn_pass_through_with_caller_limit(
        config: EmulatorConfig,
        max_callers: usize,
    ) -> Self {
        let mut app = emulator_app(config);
        app.pass_through = true;
        app.max_callers = max_callers;
        Self::build(app, server::ServerOptions::default()).await
    }

    /// As [`spawn_with_credentials`](Self::spawn_with_credentials), retrying
    /// transient failures for up to `retry_budget` when callers set no deadline.
    pub async fn spawn_with_retry_budget(
        host: &str,
        credentials: Credentials,
        retry_budget: Duration,
    ) -> Self {
        Self::spawn_with_timeouts(host, credentials, REQUEST_TIMEOUT, retry_budget).await
    }

    /// A server pointed at `host` whose requests time out after
    /// `request_timeout` (`--request-timeout`) and whose retries stop after
    /// `retry_budget` (`--retry-timeout`).
    pub async fn spawn_with_timeouts(
        host: &str,
        credentials: Credentials,
        request_timeout: Duration,
        retry_budget: Duration,
    ) -> Self {
        let mut app = upstream_app(host, credentials, retry_budget);
        app.request_timeout = Some(request_timeout);
        Self::build(app, server::ServerOptions::default()).await
    }

    /// As [`spawn_with_retry_budget`](Self::spawn_with_retry_budget), with
    /// the server's limits and shutdown budgets from `server_options`.
    pub async fn spawn_with_server_options(
        host: &str,
        credentials: Credentials,
        retry_budget: Duration,
        server_options: server::ServerOptions,
    ) -> Self {
        Self::build(
            upstream_app(host, credentials, retry_budget),
            server_options,
        )
        .await
    }

    /// A pass-through server (`--auth-passthrough`) in front of `host`,
    /// within the limits of `server_options`.
    pub async fn spawn_pass_through_within(
        host: &str,
        server_options: server::ServerOptions,
    ) -> Self {
        let mut app = upstream_app(host, Credentials::PassThrough, RETRY_BUDGET);
        app.pass_through = true;
        Self::build(app, server_options).await
    }

    /// A server pointed at `host` with `credentials` whose workspace rate
    /// limit is `per_second` requests/s in bursts of `burst`.
    pub async fn spawn_rate_limited(
        host: &str,
        credentials: Credentials,
        per_second: u32,
        burst: u32,
    ) -> Self {
        let mut app = upstream_app(host, credentials, RETRY_BUDGET);
        app.rate_limit = Some(per_second);
        app.rate_burst = Some(burst);
        Self::build(app, server::ServerOptions::default()).await
    }

    /// The default emulator, served within the limits of `options`.
    pub async fn spawn_emulator_within(options: server::ServerOptions) -> Self {
        let config = EmulatorConfig::default().with_pace(Pace::PerRead);
        Self::build(emulator_app(config), options).await
    }

    /// Builds `config` with [`App::build`] and serves it within
    /// `server_options` with [`App::serve`] on an ephemeral port, with a
    /// connected client. The emulator is taken out of the app so that tests
    /// can read it after the server stopped; [`stop`](Self::stop) stops it.
    async fn build(config: AppConfig, server_options: server::ServerOptions) -> Self {
        init_test_logs();
        let mut app = App::build(config).await.unwrap();
        let emulator = app.take_emulator();
        let service = app.service().clone();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let grpc_addr = listener.local_addr().unwrap();
        let (shutdown, stop) = oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            let stopped = async {
                let _ = stop.await;
            };
            app.serve(listener, server_options, stopped).await.unwrap();
        });
        // The listener is already bound, so connecting cannot race the server.
        let channel = Channel::from_shared(format!("http://{grpc_addr}"))
            .unwrap()
            .connect()
            .await
            .unwrap();
        Self {
            client: ComputeServiceClient::new(channel.clone()),
            channel,
            emulator,
            grpc_addr,
            service,
            shutdown: Some(shutdown),
            server: Some(server),
        }
    }

    /// Installs `libraries` on `cluster_id` through the gRPC client; the call
    /// must succeed.
    pub async fn install(&mut self, cluster_id: &str, libraries: Vec<pb::Library>) {
        let request = pb::InstallRequest {
            cluster_id: cluster_id.into(),
            libraries,
        };
        self.client.install(request).await.unwrap();
    }

    /// ClusterStatus for `cluster_id` through the gRPC client.
    pub async fn cluster_status(
        &mut self,
        cluster_id: &str,
    ) -> Result<pb::ClusterStatusResponse, tonic::Status> {
        let request = pb::ClusterStatusRequest {
            cluster_id: cluster_id.into(),
        };
        self.client
            .cluster_status(request)
            .await
            .map(tonic::Response::into_inner)
    }

    /// The gRPC server's address, for extra connections.
    pub fn grpc_addr(&self) -> std::net::SocketAddr {
        self.grpc_addr
    }

    pub fn emulator(&self) -> &EmulatorHandle {
        self.emulator.as_ref().expect("this app has an emulator")
    }

    /// Requests the emulator served for `path`.
    pub fn upstream_calls(&self, path: &str) -> Vec<JournalEntry> {
        self.emulator()
            .journal()
            .into_iter()
            .filter(|entry| entry.path == path)
            .collect()
    }

    /// How many requests reached the emulator's `/api/` endpoints.
    pub fn api_calls(&self) -> usize {
        self.emulator()
            .journal()
            .iter()
            .filter(|entry| entry.path.starts_with("/api/"))
            .count()
    }

    /// Starts the gRPC server's shutdown (as SIGTERM does) without waiting
    /// for it; [`stop_server`](Self::stop_server) waits.
    pub fn begin_shutdown(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }

    /// Stops the gRPC server (which destroys its managed contexts), leaving
    /// the emulator running; re-raises a server panic.
    pub async fn stop_server(&mut self) {
        self.begin_shutdown();
        if let Some(server) = self.server.take() {
            server.await.unwrap();
        }
    }

    /// Stops the server and the emulator, re-raising panics of either, and
    /// checks that no log line so far carried a secret.
    pub async fn stop(mut self) {
        self.stop_server().await;
        app::stop_emulator(self.emulator.take()).await.unwrap();
        assert_no_secrets_logged();
    }
}

/// Retry budget of test apps: short, so tests of failures are quick.
const RETRY_BUDGET: Duration = Duration::from_secs(1);
/// Time allowed for one upstream request in test apps.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

/// A fresh emulator with `config` on `127.0.0.1:0` (banner in the log),
/// served with the server's own token; test timeouts and polling.
fn emulator_app(config: EmulatorConfig) -> AppConfig {
    let backend = Backend::Emulator(EmbeddedEmulator {
        config,
        listen: LOOPBACK,
        banner: Banner::Log,
    });
    test_app(backend, RETRY_BUDGET)
}

/// The upstream at `host`, reached with `credentials`; test timeouts and
/// polling, retrying for up to `retry_budget`.
fn upstream_app(host: &str, credentials: Credentials, retry_budget: Duration) -> AppConfig {
    let databricks = DatabricksConfig::with_credentials(host, credentials).unwrap();
    test_app(Backend::Resolved(databricks), retry_budget)
}

/// `backend` behind a plaintext loopback front door, with the request
/// timeout of tests, `retry_budget`, and fast polling so that streaming
/// tests end quickly.
fn test_app(backend: Backend, retry_budget: Duration) -> AppConfig {
    let mut config = AppConfig::new(backend, FrontDoor::plaintext(LOOPBACK));
    config.request_timeout = Some(REQUEST_TIMEOUT);
    config.retry_timeout = Some(retry_budget);
    // The workspace rate limit is off unless a test turns it on
    // (`spawn_rate_limited`): tests count upstream requests and time retries
    // of canned 429s, which a shared pause would change.
    config.rate_limit = Some(0);
    config.service = ServiceOptions {
        poll: Backoff {
            initial: Duration::from_millis(50),
            max: Duration::from_millis(400),
        },
        ..ServiceOptions::default()
    };
    config
}

/// Any free port on loopback.
const LOOPBACK: SocketAddr = SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 0));

/// A fresh emulator with `config` on `127.0.0.1:0`, started as the app
/// starts its own (banner in the log).
pub async fn spawn_emulator(config: EmulatorConfig) -> EmulatorHandle {
    app::start_emulator(LOOPBACK, config, Banner::Log)
        .await
        .unwrap()
}

/// Serves `router` on an ephemeral port as a fake Databricks; returns its URL.
pub async fn spawn_canned_upstream(router: Router) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    format!("http://{addr}")
}

/// A URL where nothing listens: bind a port, then free it.
pub async fn unreachable_url() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{addr}")
}

pub fn pypi(package: &str) -> pb::Library {
    pb::Library {
        kind: Some(pb::library::Kind::Pypi(pb::PythonPyPiLibrary {
            package: package.into(),
            repo: String::new(),
        })),
    }
}

/// The status of `library` on `cluster_id`, via ClusterStatus.
pub async fn status_of(
    app: &mut TestApp,
    cluster_id: &str,
    library: &pb::Library,
) -> Option<pb::LibraryFullStatus> {
    let response = app.cluster_status(cluster_id).await.unwrap();
    response
        .library_statuses
        .into_iter()
        .find(|status| status.library.as_ref() == Some(library))
}

/// Every secret the tests use, plus the prefix of the emulator's OAuth
/// access tokens. No log line may contain any of them.
const KNOWN_SECRETS: &[&str] = &[
    emulator::DEFAULT_TOKEN,
    emulator::DEFAULT_PASSWORD,
    emulator::DEFAULT_CLIENT_SECRET,
    "emu-oauth-",
    "dapi-wrong-token-123",
    "dapi-secret-token-4f1c2d3e",
    "dapi-other-secret-9a8b",
    "nope-pw-77",
    "wrong-secret-4242",
    crate::passthrough::ALICE_TOKEN,
    crate::passthrough::BOB_TOKEN,
];

/// True when `line` contains a known secret.
pub fn carries_secret(line: &str) -> bool {
    KNOWN_SECRETS.iter().any(|secret| line.contains(secret))
}

/// A log line that contained a known secret, with the name of the thread
/// that logged it.
pub struct Leak {
    /// The logging thread's name: the test's path on a test thread.
    pub thread: Option<String>,
    /// The line, without its line break.
    pub line: String,
}

/// Log lines that contained a known secret.
static LEAKS: Mutex<Vec<Leak>> = Mutex::new(Vec::new());
/// Log lines scanned so far.
static SCANNED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Scans every log line for known secrets; shows the lines on stderr when
/// TEST_LOG is set.
struct SecretScanner;

/// Tests that send oversized values start them with this, so that the log
/// lines carrying (part of) them can be found.
pub const OVERSIZED_MARKER: &str = "oversized-value-";
/// The length of every log line so far that contained [`OVERSIZED_MARKER`].
static OVERSIZED_LINES: Mutex<Vec<usize>> = Mutex::new(Vec::new());

/// Records `bytes` (log output) as scanned, as a leak when it carries a
/// secret, and its length when it carries [`OVERSIZED_MARKER`].
pub fn scan(bytes: &[u8]) {
    let line = String::from_utf8_lossy(bytes);
    SCANNED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    if carries_secret(&line) {
        let mut leaks = LEAKS
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        leaks.push(Leak {
            thread: std::thread::current().name().map(str::to_owned),
            line: line.trim_end().to_owned(),
        });
    }
    if line.contains(OVERSIZED_MARKER) {
        OVERSIZED_LINES.lock().unwrap().push(line.len());
    }
    if line.contains(TRACED_MARKER) {
        TRACED_LINES
            .lock()
            .unwrap()
            .push(line.trim_end().to_owned());
    }
}

/// Tests of call spans send trace ids starting with this, so that the log
/// lines of their calls can be found.
pub const TRACED_MARKER: &str = "7ace7ace";
/// Every log line so far that contained [`TRACED_MARKER`].
static TRACED_LINES: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// The log lines so far that contained `trace_id` (which starts with
/// [`TRACED_MARKER`]).
pub fn traced_log_lines(trace_id: &str) -> Vec<String> {
    assert!(trace_id.starts_with(TRACED_MARKER));
    TRACED_LINES
        .lock()
        .unwrap()
        .iter()
        .filter(|line| line.contains(trace_id))
        .cloned()
        .collect()
}

/// The lengths of the log lines so far that carried [`OVERSIZED_MARKER`].
pub fn oversized_log_lines() -> Vec<usize> {
    OVERSIZED_LINES.lock().unwrap().clone()
}

impl std::io::Write for SecretScanner {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        scan(bytes);
        if std::env::var_os("TEST_LOG").is_some() {
            std::io::stderr().write_all(bytes)?;
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Installs, once per test binary, a subscriber that records every log line
/// of this crate at TRACE (others at DEBUG) and scans it for secrets.
pub fn init_test_logs() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let subscriber = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(
                "databricks_grpc=trace,debug",
            ))
            .with_writer(|| SecretScanner)
            .finish();
        let _ = tracing::subscriber::set_global_default(subscriber);
    });
}

/// True when `thread` names a test: libtest runs each test on a thread named
/// after its path, and every test of this binary lives in a module, so the
/// path has a `::`. Runtime workers ("tokio-runtime-worker"), the main thread
/// and unnamed threads do not.
pub fn is_test_thread(thread: Option<&str>) -> bool {
    thread.is_some_and(|name| name.contains("::"))
}

/// The lines of `leaks` that test thread `me` answers for: its own, and those
/// no test can be named for (logged off test threads, as by the workers of a
/// multi-threaded runtime). Another test's leaks fail that test instead.
pub fn leaks_of<'a>(leaks: &'a [Leak], me: Option<&str>) -> Vec<&'a str> {
    leaks
        .iter()
        .filter(|leak| leak.thread.as_deref() == me || !is_test_thread(leak.thread.as_deref()))
        .map(|leak| leak.line.as_str())
        .collect()
}

/// Fails when a log line so far that this test answers for (see
/// [`leaks_of`]) contained a known secret.
pub fn assert_no_secrets_logged() {
    let scanned = SCANNED.load(std::sync::atomic::Ordering::Relaxed);
    assert!(scanned > 0, "the scanner must see the log lines it checks");
    // Copied out so that a failing assertion does not poison the list for
    // the tests still running.
    let mine: Vec<String> = {
        let leaks = LEAKS
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let me = std::thread::current();
        leaks_of(&leaks, me.name())
            .into_iter()
            .map(str::to_owned)
            .collect()
    };
    assert!(
        mine.is_empty(),
        "secrets reached the logs:\n{}",
        mine.join("\n")
    );
}

/// Polls `condition` every few milliseconds until it holds, failing after 10 s.
pub async fn eventually(what: &str, mut condition: impl FnMut() -> bool) {
    let waited = tokio::time::timeout(Duration::from_secs(10), async {
        while !condition() {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await;
    assert!(waited.is_ok(), "timed out waiting for: {what}");
}
