//! The token never appears in logs, even at TRACE, nor in statuses.

use std::{
    io::Write,
    sync::{Arc, Mutex},
};

use databricks_grpc::{
    config::Secret,
    emulator::{EmulatorConfig, Pace},
    proto::compute as pb,
};
use tracing_subscriber::fmt::MakeWriter;

use crate::helpers::{RUNNING, TestApp, pypi, spawn_emulator};

const TOKEN: &str = "dapi-secret-token-4f1c2d3e";

/// Collects every log line in memory.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        crate::helpers::scan(bytes);
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Capture {
    type Writer = Capture;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

// current_thread: every spawned task runs on this thread and sees the
// thread-local subscriber.
#[tokio::test(flavor = "current_thread")]
async fn token_never_reaches_logs_or_statuses() {
    let capture = Capture::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(capture.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let emulator = spawn_emulator(
        EmulatorConfig::default()
            .with_token(TOKEN)
            .with_pace(Pace::PerRead),
    )
    .await;
    let mut app = TestApp::spawn_against(&emulator.url(), Secret::new(TOKEN)).await;
    app.install(RUNNING, vec![pypi("requests")]).await;
    app.client
        .cluster_status(pb::ClusterStatusRequest {
            cluster_id: RUNNING.into(),
        })
        .await
        .unwrap();
    let not_found = app
        .client
        .cluster_status(pb::ClusterStatusRequest {
            cluster_id: "nope".into(),
        })
        .await
        .unwrap_err();
    assert!(!format!("{not_found:?}").contains(TOKEN));
    app.stop().await;
    emulator.shutdown();
    emulator.join().await.unwrap();

    // A server with the wrong token: the refusal is logged and returned, the tokens are not.
    let emulator = spawn_emulator(EmulatorConfig::default().with_token(TOKEN)).await;
    let mut app =
        TestApp::spawn_against(&emulator.url(), Secret::new("dapi-other-secret-9a8b")).await;
    let refused = app
        .client
        .all_statuses(pb::AllStatusesRequest::default())
        .await
        .unwrap_err();
    assert!(!format!("{refused:?}").contains("dapi-other-secret-9a8b"));
    app.stop().await;
    emulator.shutdown();
    emulator.join().await.unwrap();

    let logs = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.lines().count() > 10,
        "the capture must see the run's logs:\n{logs}"
    );
    assert!(
        logs.contains("install requested"),
        "service logs are captured:\n{logs}"
    );
    for secret in [TOKEN, "dapi-other-secret-9a8b"] {
        assert!(!logs.contains(secret), "secret {secret} found in logs");
    }
}

#[test]
fn the_suite_wide_scanner_recognises_secrets() {
    use databricks_grpc::emulator::{DEFAULT_CLIENT_SECRET, DEFAULT_TOKEN};

    use crate::helpers::carries_secret;
    assert!(carries_secret(&format!(
        "INFO header=Bearer {DEFAULT_TOKEN}"
    )));
    assert!(carries_secret(&format!("secret={DEFAULT_CLIENT_SECRET}")));
    assert!(carries_secret("token emu-oauth-0123abcd"));
    assert!(!carries_secret("INFO install requested libraries=1"));
}

#[test]
fn each_test_answers_for_its_own_leaks_and_for_unattributable_ones() {
    use crate::helpers::{Leak, is_test_thread, leaks_of};

    // libtest names this thread after the test: the scanner relies on it.
    let me = std::thread::current();
    assert_eq!(
        me.name(),
        Some("secrets::each_test_answers_for_its_own_leaks_and_for_unattributable_ones")
    );
    assert!(is_test_thread(me.name()));
    let leak = |thread: Option<&str>, line: &str| Leak {
        thread: thread.map(str::to_owned),
        line: line.to_owned(),
    };
    let leaks = [
        leak(Some("auth::leaker"), "mine"),
        leak(Some("faults::other"), "theirs"),
        leak(Some("tokio-runtime-worker"), "a worker's"),
        leak(None, "an unnamed thread's"),
    ];
    assert_eq!(
        leaks_of(&leaks, Some("auth::leaker")),
        ["mine", "a worker's", "an unnamed thread's"]
    );
    assert_eq!(
        leaks_of(&leaks, Some("auth::bystander")),
        ["a worker's", "an unnamed thread's"]
    );
}
