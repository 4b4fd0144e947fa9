//! P5, plugin start: how long the release binary takes from spawn to the
//! go-plugin handshake line when launched as a host would
//! (`plugin --emulator`, cookie and `PLUGIN_*` set), plaintext or AutoMTLS,
//! and its peak RSS (`VmHWM` from `/proc/<pid>/status`, read right after the
//! handshake). Each launch is stopped with SIGTERM before the next.
//!
//! Shared by the examples that report P5: include it with
//!
//! ```ignore
//! #[path = "common/plugin_start.rs"]
//! mod plugin_start;
//!
//! let binary = plugin_start::binary()?;
//! let figures = plugin_start::measure(&binary, plugin_start::Mode::AutoMtls, 10)?;
//! println!("{:.1} ms", plugin_start::ms(figures.median));
//! ```
//!
//! An including example may use only part of this module.
#![allow(dead_code)]

use std::{
    io::{BufRead as _, BufReader},
    path::{Path, PathBuf},
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use anyhow::{Context as _, bail};
use databricks_grpc::plugin::{COOKIE_KEY, COOKIE_VALUE};

/// The P5 goal for the median spawn → handshake time, in both modes:
/// Terraform starts a provider 3–4 times per plan or apply.
pub(crate) const GOAL: Duration = Duration::from_millis(20);

/// How the host launches the plugin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// No `PLUGIN_CLIENT_CERT`: the plugin serves plaintext.
    Plaintext,
    /// `PLUGIN_CLIENT_CERT` set (a go-plugin-like ECDSA P-521 CA:TRUE host
    /// certificate): the plugin makes its own certificate and serves mTLS.
    AutoMtls,
}

/// The figures of `runs` launches in one mode.
#[derive(Debug, Clone)]
pub(crate) struct Figures {
    /// The mode measured.
    pub(crate) mode: Mode,
    /// Median spawn → handshake line.
    pub(crate) median: Duration,
    /// Fastest launch.
    pub(crate) min: Duration,
    /// Slowest launch.
    pub(crate) max: Duration,
    /// Peak RSS in KiB: median, min, max.
    pub(crate) peak_rss_kib: [u64; 3],
}

/// One launch: time to handshake and peak RSS in KiB.
struct Sample {
    handshake: Duration,
    peak_rss_kib: u64,
}

// === impl Mode ===

impl Mode {
    /// Both modes, plaintext first.
    pub(crate) const ALL: [Self; 2] = [Self::Plaintext, Self::AutoMtls];

    /// The name tables print.
    pub(crate) fn label(self) -> &'static str {
        match self {
            Self::Plaintext => "plaintext",
            Self::AutoMtls => "AutoMTLS",
        }
    }
}

// === impl Figures ===

impl Figures {
    /// Median over [`GOAL`]: at most 1.0 meets the goal.
    pub(crate) fn ratio_to_goal(&self) -> f64 {
        self.median.as_secs_f64() / GOAL.as_secs_f64()
    }
}

/// The release binary: `$DATABRICKS_GRPC_BIN`, else `databricks-grpc` in
/// the profile directory the running example was built into (so a custom
/// `CARGO_TARGET_DIR` works), else `target/release/databricks-grpc`.
///
/// # Errors
///
/// When no such file exists.
pub(crate) fn binary() -> anyhow::Result<PathBuf> {
    let beside_example = std::env::current_exe().ok().and_then(|exe| {
        // <target>/release/examples/<name> → <target>/release/databricks-grpc
        Some(exe.parent()?.parent()?.join("databricks-grpc"))
    });
    let path = std::env::var_os("DATABRICKS_GRPC_BIN")
        .map(PathBuf::from)
        .or(beside_example.filter(|path| path.is_file()))
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/release/databricks-grpc")
        });
    if !path.is_file() {
        bail!(
            "{} not found: run `cargo build --release` first",
            path.display()
        );
    }
    Ok(path)
}

/// Launches `binary` `runs` times in `mode` and summarises the launches.
///
/// # Errors
///
/// When a launch fails, prints an unexpected handshake or exits unsuccessfully.
pub(crate) fn measure(binary: &Path, mode: Mode, runs: usize) -> anyhow::Result<Figures> {
    if runs == 0 {
        bail!("measure at least one launch");
    }
    let host_cert = match mode {
        Mode::Plaintext => None,
        Mode::AutoMtls => Some(host_cert_pem()?),
    };
    let samples = (0..runs)
        .map(|_| launch(binary, host_cert.as_deref()))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let mut times: Vec<Duration> = samples.iter().map(|s| s.handshake).collect();
    let mut rss: Vec<u64> = samples.iter().map(|s| s.peak_rss_kib).collect();
    times.sort();
    rss.sort_unstable();
    Ok(Figures {
        mode,
        median: times[runs / 2],
        min: times[0],
        max: times[runs - 1],
        peak_rss_kib: [rss[runs / 2], rss[0], rss[runs - 1]],
    })
}

/// Milliseconds, for printing.
pub(crate) fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

/// MiB from KiB, for printing.
#[allow(clippy::cast_precision_loss)] // KiB counts are far below 2^52
pub(crate) fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

/// A host certificate like go-plugin's (and Terraform's): ECDSA P-521,
/// CA:TRUE.
pub(crate) fn host_cert_pem() -> anyhow::Result<String> {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P521_SHA512)?;
    let mut params = rcgen::CertificateParams::new(vec!["localhost".to_owned()])?;
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    Ok(params.self_signed(&key)?.pem())
}

/// Launches the plugin once, measures, then stops it with SIGTERM.
fn launch(binary: &Path, client_cert: Option<&str>) -> anyhow::Result<Sample> {
    let mut command = Command::new(binary);
    command
        .args(["plugin", "--emulator"])
        .env(COOKIE_KEY, COOKIE_VALUE)
        .env("PLUGIN_PROTOCOL_VERSIONS", "1")
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    if let Some(pem) = client_cert {
        command.env("PLUGIN_CLIENT_CERT", pem);
    }
    let started = Instant::now();
    let mut child = command.spawn().context("could not start the plugin")?;
    let stdout = child.stdout.take().context("no stdout pipe")?;
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line)?;
    let handshake = started.elapsed();
    if !line.starts_with("1|1|unix|") {
        bail!("unexpected handshake line {line:?}");
    }
    let peak_rss_kib = peak_rss(child.id())?;
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(i32::try_from(child.id())?),
        nix::sys::signal::Signal::SIGTERM,
    )?;
    let status = child.wait()?;
    if !status.success() {
        bail!("the plugin exited with {status}");
    }
    Ok(Sample {
        handshake,
        peak_rss_kib,
    })
}

/// `VmHWM` (peak resident set) of `pid`, in KiB.
fn peak_rss(pid: u32) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let line = status
        .lines()
        .find(|line| line.starts_with("VmHWM:"))
        .context("no VmHWM line")?;
    let kib = line.split_whitespace().nth(1).context("empty VmHWM line")?;
    Ok(kib.parse()?)
}
