//! Tracing set-up: logs go to a writer chosen by the caller (stderr for the
//! CLI), filtered by `RUST_LOG`, as text, JSON or hclog JSON lines (plugin
//! mode: see [`hclog`]), and [`excerpt`], which keeps caller-supplied values in
//! log fields to a short prefix. Metrics: [`series`] names what is recorded,
//! [`exporter`] serves it in the Prometheus text format.

use std::io::IsTerminal;

use tracing_subscriber::{EnvFilter, fmt::MakeWriter, fmt::format::JsonFields};

mod excerpt;
pub mod exporter;
pub mod hclog;
pub mod series;

pub use excerpt::{Excerpt, LOG_EXCERPT_CHARS, excerpt};
pub use hclog::HclogFormat;

/// How log lines are formatted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line.
    Json,
    /// One hclog JSON object per line (`@level`, `@message`, `@timestamp`,
    /// `@module`), as a go-plugin host expects on a plugin's stderr.
    Hclog,
}

/// Installs the global subscriber writing to `writer`. `RUST_LOG` overrides
/// the default level (`info`). Text logs are coloured only when stderr is a
/// terminal. Returns false if a subscriber was already installed.
pub fn init<W>(format: LogFormat, writer: W) -> bool
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_target(true)
        .with_ansi(std::io::stderr().is_terminal());
    match format {
        LogFormat::Text => builder.try_init().is_ok(),
        LogFormat::Json => builder
            .with_ansi(false)
            .json()
            .flatten_event(true)
            .try_init()
            .is_ok(),
        LogFormat::Hclog => builder
            .with_ansi(false)
            .fmt_fields(JsonFields::new())
            .event_format(HclogFormat)
            .try_init()
            .is_ok(),
    }
}
