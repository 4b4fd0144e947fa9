//! The load benchmark: starts everything in-process on loopback ports (the
//! servers whose memory is measured run in child processes of this one)
//! and prints one table, each figure beside a reference measured in the
//! same run, with the ratio and the goal.
//!
//! ```sh
//! cargo build --release && cargo run --release --example loadgen [-- --quick]
//! ```
//!
//! - P1 unary: ClusterStatus through `serve` vs. a minimal adapter (`floor.rs`).
//! - P3 stream fan-out: 10,000 StreamCommandStatus over 100 commands (`fanout.rs`).
//! - P4 large workspace: AllStatuses over 2,000 and 20,000 clusters (`large.rs`).
//! - P5 plugin start: spawn → handshake of the release binary (`plugin_start.rs`).
//! - Coalesced reads: 200 concurrent ClusterStatus of one cluster (`unary.rs`).
//!
//! `--quick` runs a shorter version (about 15 s) with fewer repeats and
//! only the 2,000-cluster workspace.

mod fanout;
mod floor;
mod large;
mod memory;
#[path = "../common/plugin_start.rs"]
mod plugin_launch;
mod plugin_start;
mod report;
mod served;
mod unary;
mod upstream;

use std::{
    net::SocketAddr,
    pin::Pin,
    time::{Duration, Instant},
};

use databricks_grpc::{
    proto::compute::compute_service_client::ComputeServiceClient,
    telemetry::{self, LogFormat},
};
use tokio_stream::Stream;
use tonic::{Status, transport::Channel};

/// A boxed server stream, as the generated service trait wants.
type ResponseStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send>>;

/// How long and how often each part runs.
pub(crate) struct Plan {
    /// Rounds of P1, each measuring both sides one after the other: many
    /// short rounds, so that a burst of load from elsewhere on the machine
    /// lands on both sides alike and the median sets it aside.
    unary_rounds: usize,
    /// Time per side and round at one caller.
    one_caller: Duration,
    /// Time per side and round at 32 callers.
    many_callers: Duration,
    /// The window over which P3 counts upstream polls.
    fan_out_window: Duration,
    /// Workspace sizes of P4 (clusters).
    workspaces: Vec<usize>,
    /// Times each P4 measure is repeated (the median is shown).
    workspace_repeats: usize,
    /// Launches per P5 mode.
    launches: usize,
}

impl Plan {
    fn new(quick: bool) -> Self {
        if quick {
            Self {
                unary_rounds: 3,
                one_caller: Duration::from_millis(300),
                many_callers: Duration::from_millis(300),
                fan_out_window: Duration::from_secs(3),
                workspaces: vec![2_000],
                workspace_repeats: 1,
                launches: 3,
            }
        } else {
            Self {
                unary_rounds: 7,
                one_caller: Duration::from_secs(1),
                many_callers: Duration::from_secs(1),
                fan_out_window: Duration::from_secs(10),
                workspaces: vec![2_000, 20_000],
                workspace_repeats: 3,
                launches: 10,
            }
        }
    }
}

fn main() -> anyhow::Result<()> {
    // Logs go where `serve` sends them (formatted at its default level),
    // then nowhere, so that logging costs what it costs in production.
    telemetry::init(LogFormat::Text, std::io::sink);
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [flag, upstream] = args.as_slice() {
        if flag == served::CHILD_FLAG {
            return served::run_child(upstream);
        }
    }
    let quick = match args.as_slice() {
        [] => false,
        [flag] if flag == "--quick" => true,
        _ => anyhow::bail!("usage: loadgen [--quick]"),
    };
    let plan = Plan::new(quick);
    let started = Instant::now();
    let runtime = tokio::runtime::Runtime::new()?;
    let mut rows = runtime.block_on(async {
        let mut rows = unary::measure(&plan).await?;
        rows.extend(fanout::measure(&plan).await?);
        rows.extend(large::measure(&plan).await?);
        anyhow::Ok(rows)
    })?;
    drop(runtime);
    rows.extend(plugin_start::measure(&plan)?);
    report::print(&rows);
    println!(
        "\n{} run in {:.0} s on {} CPUs",
        if quick { "--quick" } else { "full" },
        started.elapsed().as_secs_f64(),
        std::thread::available_parallelism().map_or(0, std::num::NonZero::get)
    );
    Ok(())
}

/// `count` clients of the server at `addr`, each on its own HTTP/2 connection.
pub(crate) async fn connect(
    addr: SocketAddr,
    count: usize,
) -> anyhow::Result<Vec<ComputeServiceClient<Channel>>> {
    let mut clients = Vec::with_capacity(count);
    for _ in 0..count {
        let channel = Channel::from_shared(format!("http://{addr}"))?
            .connect()
            .await?;
        clients.push(ComputeServiceClient::new(channel));
    }
    Ok(clients)
}
