use std::{
    io,
    sync::{Arc, Mutex},
    time::Duration,
};

use tracing_subscriber::fmt::MakeWriter;

use super::*;

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Self;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

fn lines_of(emit: impl FnOnce()) -> Vec<Map<String, Value>> {
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(Level::TRACE)
        .with_writer(captured.clone())
        .with_ansi(false)
        .fmt_fields(JsonFields::new())
        .event_format(HclogFormat)
        .finish();
    tracing::subscriber::with_default(subscriber, emit);
    let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    text.lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

#[test]
fn timestamps_have_exactly_six_fraction_digits() {
    assert_eq!(hclog_timestamp(UNIX_EPOCH), "1970-01-01T00:00:00.000000Z");
    let leap_day = UNIX_EPOCH + Duration::from_secs(951_782_400);
    assert_eq!(hclog_timestamp(leap_day), "2000-02-29T00:00:00.000000Z");
    let later = UNIX_EPOCH + Duration::new(1_700_000_000, 123_456_789);
    assert_eq!(hclog_timestamp(later), "2023-11-14T22:13:20.123456Z");
    let new_year = UNIX_EPOCH + Duration::new(1_735_689_599, 999_999_999);
    assert_eq!(hclog_timestamp(new_year), "2024-12-31T23:59:59.999999Z");
}

#[test]
fn one_json_object_per_event_with_the_hclog_keys() {
    let lines = lines_of(|| {
        tracing::info!(target: "databricks_grpc::server", "gRPC server ready");
        tracing::warn!(attempt = 2, retryable = true, "slow down");
        tracing::error!(cluster = "c1", "it failed");
        tracing::debug!("details");
        tracing::trace!("more details");
    });
    let levels: Vec<_> = lines.iter().map(|line| line["@level"].clone()).collect();
    assert_eq!(levels, ["info", "warn", "error", "debug", "trace"]);
    let first = &lines[0];
    assert_eq!(first["@message"], "gRPC server ready");
    assert_eq!(first["@module"], "databricks_grpc::server");
    let stamp = first["@timestamp"].as_str().unwrap();
    let fraction = stamp.split('.').nth(1).unwrap();
    assert_eq!(fraction.len(), "123456Z".len(), "{stamp}");
    assert!(fraction.ends_with('Z'));
    assert_eq!(lines[1]["attempt"], 2);
    assert_eq!(lines[1]["retryable"], true);
    assert_eq!(lines[2]["cluster"], "c1");
    assert!(!lines[0].contains_key("message"));
}

#[test]
fn span_fields_are_included_and_events_win() {
    let lines = lines_of(|| {
        let span = tracing::info_span!("call", method = "Install", cluster = "outer");
        let _entered = span.enter();
        tracing::info!(cluster = "inner", "installing");
    });
    assert_eq!(lines[0]["method"], "Install");
    assert_eq!(lines[0]["cluster"], "inner");
}

#[test]
fn a_message_that_is_not_a_string_is_made_one() {
    let lines = lines_of(|| tracing::info!(message = 42));
    assert_eq!(lines[0]["@message"], "42");
}
