//! P5: spawn → handshake line of the release binary in go-plugin mode
//! (`plugin --emulator`, cookie and `PLUGIN_*` set, as a go-plugin host
//! launches it), plaintext and AutoMTLS. The reference is the same binary
//! spawned with `--version` until it exits: the cost of starting a process
//! at all.

use std::{
    io::{BufRead as _, BufReader},
    path::PathBuf,
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use anyhow::{Context as _, bail};
use databricks_grpc::plugin::{COOKIE_KEY, COOKIE_VALUE};

use crate::{
    Plan,
    report::{Row, median, ms, ratio},
};

/// The goal for both modes.
const GOAL_MS: f64 = 20.0;

/// Measures P5; a row saying how to build the binary when it is missing.
pub(crate) fn measure(plan: &Plan) -> anyhow::Result<Vec<Row>> {
    let Some(binary) = binary()? else {
        return Ok(vec![Row {
            measure: "P5 plugin start".to_owned(),
            ours: "not measured: run `cargo build --release` first".to_owned(),
            reference: "—".to_owned(),
            ratio: None,
            goal: format!("≤ {GOAL_MS:.0} ms"),
            met: None,
        }]);
    };
    let mut floor = Vec::new();
    for _ in 0..plan.launches {
        let started = Instant::now();
        let status = Command::new(&binary)
            .arg("--version")
            .stdout(Stdio::null())
            .status()?;
        floor.push(ms(started.elapsed()));
        if !status.success() {
            bail!("`{} --version` failed", binary.display());
        }
    }
    let floor = median(&floor);
    let host_pem = host_certificate()?;
    let mut rows = Vec::new();
    for (mode, cert) in [("plaintext", None), ("AutoMTLS", Some(host_pem.as_str()))] {
        let mut times = Vec::new();
        for _ in 0..plan.launches {
            times.push(ms(launch(&binary, cert)?));
        }
        let median = median(&times);
        rows.push(Row {
            measure: format!(
                "P5 plugin start, {mode}: spawn → handshake, median of {}",
                plan.launches
            ),
            ours: format!("{median:.1} ms"),
            reference: format!("{floor:.1} ms (spawn → exit of `--version`)"),
            ratio: ratio(median, floor),
            goal: format!("≤ {GOAL_MS:.0} ms"),
            met: Some(median <= GOAL_MS),
        });
    }
    Ok(rows)
}

/// `$DATABRICKS_GRPC_BIN`, else `databricks-grpc` beside the examples
/// directory this benchmark was built into; `None` when it is not there.
fn binary() -> anyhow::Result<Option<PathBuf>> {
    let path = match std::env::var_os("DATABRICKS_GRPC_BIN") {
        Some(path) => PathBuf::from(path),
        None => {
            let exe = std::env::current_exe()?;
            let profile_dir = exe
                .parent()
                .and_then(std::path::Path::parent)
                .context("the benchmark has no parent directory")?;
            profile_dir.join("databricks-grpc")
        }
    };
    Ok(path.is_file().then_some(path))
}

/// A host certificate like go-plugin's: ECDSA P-521, CA:TRUE.
fn host_certificate() -> anyhow::Result<String> {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P521_SHA512)?;
    let mut params = rcgen::CertificateParams::new(vec!["localhost".to_owned()])?;
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    Ok(params.self_signed(&key)?.pem())
}

/// Launches the plugin once, times it to its handshake line, then stops it
/// with SIGTERM and waits for it.
fn launch(binary: &PathBuf, client_cert: Option<&str>) -> anyhow::Result<Duration> {
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
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(i32::try_from(child.id())?),
        nix::sys::signal::Signal::SIGTERM,
    )?;
    let status = child.wait()?;
    if !line.starts_with("1|1|") {
        bail!("unexpected handshake line {line:?}");
    }
    if !status.success() {
        bail!("the plugin exited with {status}");
    }
    Ok(handshake)
}
