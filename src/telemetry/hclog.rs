//! hclog-compatible JSON lines, so a go-plugin host re-logs our lines at
//! their level: `@level`, `@message`, `@timestamp` (exactly six fractional
//! digits: a Go host degrades 3- or 9-digit stamps to raw DEBUG lines),
//! `@module` (the tracing target), then span and event fields as JSON values.

use std::{
    fmt,
    time::{SystemTime, UNIX_EPOCH},
};

use serde_json::{Map, Value};
use tracing::{
    Event, Level, Subscriber,
    field::{Field, Visit},
};
use tracing_subscriber::{
    fmt::{
        FmtContext, FormatEvent, FormattedFields,
        format::{JsonFields, Writer},
    },
    registry::LookupSpan,
};

/// Formats events as hclog JSON; pair it with [`JsonFields`] so span fields
/// are recorded as JSON.
#[derive(Debug, Clone, Copy, Default)]
pub struct HclogFormat;

/// Collects an event's fields; `message` becomes `@message`.
struct Fields<'a>(&'a mut Map<String, Value>);

/// `time` as `YYYY-MM-DDTHH:MM:SS.ffffffZ` (Go's hclog layout in UTC).
pub fn hclog_timestamp(time: SystemTime) -> String {
    let since = time.duration_since(UNIX_EPOCH).unwrap_or_default();
    let seconds = since.as_secs();
    let (year, month, day) = civil_from_days(seconds / 86_400);
    let second_of_day = seconds % 86_400;
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:06}Z",
        second_of_day / 3600,
        second_of_day / 60 % 60,
        second_of_day % 60,
        since.subsec_micros()
    )
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian
/// (Howard Hinnant's `civil_from_days`, for non-negative days).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let day_of_era = z % 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

/// hclog's level names.
fn level_name(level: Level) -> &'static str {
    match level {
        Level::TRACE => "trace",
        Level::DEBUG => "debug",
        Level::INFO => "info",
        Level::WARN => "warn",
        Level::ERROR => "error",
    }
}

// === impl HclogFormat ===

impl<S> FormatEvent<S, JsonFields> for HclogFormat
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, JsonFields>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let mut object = Map::new();
        // Outer spans first, so inner spans and the event win on clashes.
        for span in ctx
            .event_scope()
            .into_iter()
            .flat_map(|scope| scope.from_root())
        {
            if let Some(fields) = span.extensions().get::<FormattedFields<JsonFields>>() {
                if let Ok(Value::Object(map)) = serde_json::from_str(fields.as_str()) {
                    object.extend(map);
                }
            }
        }
        event.record(&mut Fields(&mut object));
        let metadata = event.metadata();
        // hclog requires @message to be a string: always set it.
        let message = object
            .remove("message")
            .unwrap_or(Value::String(String::new()));
        let message = match message {
            Value::String(text) => text,
            other => other.to_string(),
        };
        object.insert("@message".into(), message.into());
        object.insert("@level".into(), level_name(*metadata.level()).into());
        object.insert(
            "@timestamp".into(),
            hclog_timestamp(SystemTime::now()).into(),
        );
        object.insert("@module".into(), metadata.target().into());
        let line = serde_json::to_string(&object).map_err(|_| fmt::Error)?;
        writeln!(writer, "{line}")
    }
}

// === impl Fields ===

impl Fields<'_> {
    fn insert(&mut self, field: &Field, value: Value) {
        // tracing-log's bookkeeping fields add nothing for the host.
        if !field.name().starts_with("log.") {
            self.0.insert(field.name().to_owned(), value);
        }
    }
}

impl Visit for Fields<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.insert(field, value.into());
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.insert(field, value.into());
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.insert(field, value.into());
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.insert(field, value.into());
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        self.insert(field, value.into());
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.insert(field, value.to_string().into());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.insert(field, format!("{value:?}").into());
    }
}

#[cfg(test)]
mod tests;
