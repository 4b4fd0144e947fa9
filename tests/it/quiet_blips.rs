//! A blip a stream rides out is logged once, at debug: no warning from the
//! conversion to a gRPC status, none from the client's retry loop.

use std::{
    io::Write,
    sync::{Arc, Mutex},
};

use databricks_grpc::{
    emulator::Fault,
    proto::compute::{CommandOutcome, Language},
};
use tracing_subscriber::fmt::MakeWriter;

use crate::{
    commands::{execute, stream},
    helpers::TestApp,
};

const COMMAND_STATUS_PATH: &str = "/api/1.2/commands/status";

/// Collects every log line in memory (and lets the suite's secret scanner
/// see them).
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

impl Capture {
    fn lines(&self) -> Vec<String> {
        let logs = String::from_utf8(self.0.lock().unwrap().clone()).unwrap();
        logs.lines().map(str::to_owned).collect()
    }
}

/// The lines logged at `level` that contain `text`.
fn logged<'a>(lines: &'a [String], level: &str, text: &str) -> Vec<&'a String> {
    let level = format!(" {level} ");
    lines
        .iter()
        .filter(|line| line.contains(&level) && line.contains(text))
        .collect()
}

// current_thread: every spawned task (the poll loop among them) runs on this
// thread and sees the thread-local subscriber.
#[tokio::test(flavor = "current_thread")]
async fn a_stream_rides_out_upstream_blips_without_a_warning() {
    let capture = Capture::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .with_writer(capture.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let mut app = TestApp::spawn().await;
    let started = execute(&mut app, Language::Python, "print('hi')", "").await;
    // The first poll's answer is cut off (the client does not retry that, the
    // poll loop does); the second is a 503 (the client retries it at once).
    let emulator = app.emulator();
    emulator.inject_fault(COMMAND_STATUS_PATH, Fault::TruncatedJson, 1);
    emulator.inject_fault(COMMAND_STATUS_PATH, Fault::Unavailable, 1);
    let updates = stream(&mut app, &started).await;
    assert_eq!(
        updates.last().unwrap().outcome,
        CommandOutcome::Succeeded as i32,
        "the stream rode both blips out"
    );
    assert_eq!(app.emulator().injected_faults(), 2, "both blips happened");
    app.stop().await;

    let lines = capture.lines();
    assert!(
        lines.iter().any(|line| line.contains("command started")),
        "the capture sees the run's logs:\n{}",
        lines.join("\n")
    );
    let warnings = logged(&lines, "WARN", "");
    assert!(warnings.is_empty(), "warnings for blips: {warnings:#?}");
    let ridden_out = logged(&lines, "DEBUG", "transient poll failure");
    assert_eq!(ridden_out.len(), 1, "the cut-off answer: {ridden_out:#?}");
    let retried = logged(&lines, "DEBUG", "transient failure; retrying");
    assert_eq!(retried.len(), 1, "the 503: {retried:#?}");
}
