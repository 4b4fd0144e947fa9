//! Memory of UploadLibrary: streams 1 GiB through an in-process gRPC server
//! to `databricks-grpc emulator` (a child process, so that the emulator's
//! copy of the file is not counted here) and prints this process's resident
//! set before and after, beside the emulator's, which keeps the whole file
//! in memory and so grows by about 1 GiB: the reference.
//!
//! ```sh
//! cargo build --release && cargo run --release --example upload_rss
//! UPLOAD_RSS_MIB=2048 cargo run --release --example upload_rss   # another size
//! ```
//!
//! The client produces the bytes as it sends them (1 MiB chunks), so
//! whatever this process gains is the server's: its spool buffers, the
//! request body stream and the connection windows. The spool file lives in
//! the temporary directory (`TMPDIR`), which needs 1 GiB free.

#[path = "common/plugin_start.rs"]
mod plugin_start;

use std::{
    io::{BufRead as _, BufReader},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use anyhow::Context as _;
use databricks_grpc::{
    app::{App, AppConfig, Backend, FrontDoor},
    config::{Credentials, DatabricksConfig, Secret},
    emulator,
    proto::compute::{
        self as pb, compute_service_client::ComputeServiceClient, upload_library_request::Item,
    },
    server,
};
use tokio::net::TcpListener;
use tokio_stream::StreamExt as _;

const CHUNK: usize = 1024 * 1024;

/// Bytes to upload: `UPLOAD_RSS_MIB` MiB (default 1024), to show that what
/// the server keeps does not grow with the file.
fn total() -> usize {
    std::env::var("UPLOAD_RSS_MIB")
        .ok()
        .and_then(|mib| mib.parse::<usize>().ok())
        .filter(|mib| *mib > 0)
        .unwrap_or(1024)
        * CHUNK
}

fn main() -> anyhow::Result<()> {
    let binary = plugin_start::binary()?;
    let (mut child, url) = start_emulator(&binary)?;
    let result = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(measure(&url, child.id()));
    let _ = child.kill();
    let _ = child.wait();
    result
}

/// Starts the emulator and reads its URL from the banner.
fn start_emulator(binary: &std::path::Path) -> anyhow::Result<(Child, String)> {
    let mut child = Command::new(binary)
        .args([
            "emulator",
            "--listen",
            "127.0.0.1:0",
            "--library-step",
            "0s",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .with_context(|| format!("could not start {}", binary.display()))?;
    let stdout = child.stdout.take().context("no stdout")?;
    let mut lines = BufReader::new(stdout).lines();
    let url = loop {
        let line = lines.next().context("the emulator printed no banner")??;
        if let Some(url) = line.strip_prefix("Databricks emulator listening on ") {
            break url.trim().to_owned();
        }
    };
    // Keep draining its stdout so it never blocks on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));
    Ok((child, url))
}

async fn measure(url: &str, emulator_pid: u32) -> anyhow::Result<()> {
    let credentials = Credentials::Pat {
        token: Secret::new(emulator::DEFAULT_TOKEN.to_owned()),
    };
    let databricks = DatabricksConfig::with_credentials(url, credentials)?;
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let config = AppConfig::new(Backend::Resolved(databricks), FrontDoor::plaintext(addr));
    let app = App::build(config).await?;
    tokio::spawn(app.serve(
        listener,
        server::ServerOptions::default(),
        std::future::pending(),
    ));
    let mut client = ComputeServiceClient::connect(format!("http://{addr}")).await?;

    let (own_before, emulator_before) = (rss_kib(std::process::id())?, rss_kib(emulator_pid)?);
    let header = pb::UploadLibraryRequest {
        item: Some(Item::Header(pb::UploadLibraryHeader {
            destination: "/Volumes/main/default/libs".into(),
            file_name: "big.jar".into(),
            overwrite: true,
            expected_size: total() as u64,
            ..Default::default()
        })),
    };
    let chunks = tokio_stream::iter(0..total() / CHUNK).map(|index| pb::UploadLibraryRequest {
        item: Some(Item::Chunk(vec![(index % 251) as u8; CHUNK])),
    });
    let started = Instant::now();
    let response = client
        .upload_library(tokio_stream::once(header).chain(chunks))
        .await?
        .into_inner();
    let took = started.elapsed();
    let (own_after, emulator_after) = (rss_kib(std::process::id())?, rss_kib(emulator_pid)?);
    let own_peak = peak_kib(std::process::id())?;

    println!(
        "uploaded {} ({} bytes, sha256 {}) in {:.1} s",
        response.path,
        response.size,
        response.sha256,
        secs(took)
    );
    println!("| process | RSS before | RSS after | growth |");
    println!("|---|---|---|---|");
    let own_growth = own_after.saturating_sub(own_before);
    let emulator_growth = emulator_after.saturating_sub(emulator_before);
    println!(
        "| server + client (this process) | {:.1} MiB | {:.1} MiB | {:.1} MiB (peak {:.1} MiB) |",
        mib(own_before),
        mib(own_after),
        mib(own_growth),
        mib(own_peak)
    );
    println!(
        "| emulator (keeps the file in memory) | {:.1} MiB | {:.1} MiB | {:.1} MiB |",
        mib(emulator_before),
        mib(emulator_after),
        mib(emulator_growth)
    );
    #[allow(clippy::cast_precision_loss)]
    let ratio = own_growth as f64 / emulator_growth.max(1) as f64;
    println!(
        "server growth / emulator growth: {ratio:.4} ({} MiB sent; goal: a few MiB)",
        total() / CHUNK
    );
    Ok(())
}

fn status_field(pid: u32, name: &str) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let line = status
        .lines()
        .find(|line| line.starts_with(name))
        .with_context(|| format!("no {name}"))?;
    Ok(line
        .split_whitespace()
        .nth(1)
        .context("empty line")?
        .parse()?)
}

fn rss_kib(pid: u32) -> anyhow::Result<u64> {
    status_field(pid, "VmRSS:")
}

fn peak_kib(pid: u32) -> anyhow::Result<u64> {
    status_field(pid, "VmHWM:")
}

#[allow(clippy::cast_precision_loss)]
fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

fn secs(duration: Duration) -> f64 {
    duration.as_secs_f64()
}
