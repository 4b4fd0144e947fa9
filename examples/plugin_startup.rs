//! Start-up cost of go-plugin mode: launches the release binary 10 times as
//! a go-plugin host would (`plugin --emulator`, cookie and `PLUGIN_*` set),
//! with and without AutoMTLS, and reports the median, min and max time from
//! spawn to the handshake line and the peak RSS (`VmHWM` from
//! `/proc/<pid>/status`, read right after the handshake).
//!
//! ```sh
//! cargo build --release && cargo run --release --example plugin_startup
//! ```
//!
//! The binary is `$DATABRICKS_GRPC_BIN`, else `target/release/databricks-grpc`.

use std::{
    io::{BufRead as _, BufReader},
    path::PathBuf,
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use anyhow::{Context as _, bail};
use databricks_grpc::plugin::{COOKIE_KEY, COOKIE_VALUE};

const RUNS: usize = 10;

/// One launch: time to handshake and peak RSS in KiB.
struct Sample {
    handshake: Duration,
    peak_rss_kib: u64,
}

fn main() -> anyhow::Result<()> {
    let binary = binary()?;
    // A host certificate like go-plugin's: ECDSA P-521, CA:TRUE.
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P521_SHA512)?;
    let mut params = rcgen::CertificateParams::new(vec!["localhost".to_owned()])?;
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let host_pem = params.self_signed(&key)?.pem();

    println!("binary: {}", binary.display());
    println!("{RUNS} launches per mode: `plugin --emulator`, stopped with SIGTERM after each\n");
    println!("| mode | spawn → handshake: median (min–max) | peak RSS (VmHWM): median (min–max) |");
    println!("|---|---|---|");
    for (mode, cert) in [("plaintext", None), ("AutoMTLS", Some(host_pem.as_str()))] {
        let samples = (0..RUNS)
            .map(|_| launch(&binary, cert))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let mut times: Vec<Duration> = samples.iter().map(|s| s.handshake).collect();
        let mut rss: Vec<u64> = samples.iter().map(|s| s.peak_rss_kib).collect();
        times.sort();
        rss.sort_unstable();
        println!(
            "| {mode} | {:.1} ms ({:.1}–{:.1}) | {:.1} MiB ({:.1}–{:.1}) |",
            ms(median(&times)),
            ms(times[0]),
            ms(times[RUNS - 1]),
            mib(median(&rss)),
            mib(rss[0]),
            mib(rss[RUNS - 1]),
        );
    }
    Ok(())
}

fn binary() -> anyhow::Result<PathBuf> {
    let path = std::env::var_os("DATABRICKS_GRPC_BIN").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/release/databricks-grpc"),
        PathBuf::from,
    );
    if !path.is_file() {
        bail!(
            "{} not found: run `cargo build --release` first",
            path.display()
        );
    }
    Ok(path)
}

/// Launches the plugin once, measures, then stops it with SIGTERM.
fn launch(binary: &PathBuf, client_cert: Option<&str>) -> anyhow::Result<Sample> {
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

fn median<T: Copy>(sorted: &[T]) -> T {
    sorted[sorted.len() / 2]
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

#[allow(clippy::cast_precision_loss)] // KiB counts are far below 2^52
fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}
