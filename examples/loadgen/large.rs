//! P4: AllStatuses over a large workspace (the emulator seeded with N
//! clusters × 50 libraries, in this process), served by a child server so
//! that its peak memory is its own. The reference is this process fetching
//! the same body with reqwest and parsing it into a `serde_json::Value`.

use std::time::{Duration, Instant};

use anyhow::Context as _;
use databricks_grpc::{
    emulator::{self, EmulatorConfig, Pace},
    proto::compute::{self as pb, compute_service_client::ComputeServiceClient},
};
use tokio::net::TcpListener;
use tonic::transport::Channel;

use crate::{
    Plan, connect,
    memory::mib,
    report::{Row, median, ms, ratio, thousands},
    served::ChildServer,
};

/// Libraries on every seeded cluster.
const LIBRARIES: usize = 50;
/// The largest page a caller may ask for (fewest round trips).
const PAGE_SIZE: i32 = 1000;
/// A page is at most about 3 MiB, within the 4 MiB default; allow headroom.
const RECEIVE_LIMIT: usize = 8 * 1024 * 1024;

/// What one workspace size measured.
struct Measured {
    clusters: usize,
    body_bytes: usize,
    serve_all_pages: Duration,
    fetch_and_parse: Duration,
    parse_only: Duration,
    peak_growth_kib: u64,
}

/// Measures P4 for each workspace size of the plan.
pub(crate) async fn measure(plan: &Plan) -> anyhow::Result<Vec<Row>> {
    let mut rows = Vec::new();
    for &clusters in &plan.workspaces {
        let measured = workspace(clusters, plan.workspace_repeats).await?;
        rows.extend(rows_for(&measured));
    }
    Ok(rows)
}

async fn workspace(clusters: usize, repeats: usize) -> anyhow::Result<Measured> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let config = EmulatorConfig::default().with_pace(Pace::Manual);
    let upstream = emulator::spawn(listener, config).await?;
    upstream.seed_workspace(clusters, LIBRARIES);
    let http = reqwest::Client::new();
    let url = format!("{}/api/2.0/libraries/all-cluster-statuses", upstream.url());
    let (mut fetches, mut parses, mut body_bytes) = (Vec::new(), Vec::new(), 0);
    for _ in 0..repeats {
        let started = Instant::now();
        let body = http
            .get(&url)
            .bearer_auth(upstream.token())
            .send()
            .await?
            .error_for_status()?
            .bytes()
            .await?;
        let parse_started = Instant::now();
        let value: serde_json::Value = serde_json::from_slice(&body)?;
        parses.push(ms(parse_started.elapsed()));
        fetches.push(ms(started.elapsed()));
        body_bytes = body.len();
        drop(value);
    }
    let server = ChildServer::spawn(&upstream.url()).await?;
    let client = connect(server.addr, 1)
        .await?
        .remove(0)
        .max_decoding_message_size(RECEIVE_LIMIT);
    let base = server.memory()?;
    let mut serves = Vec::new();
    let mut peak = None;
    for _ in 0..repeats {
        let started = Instant::now();
        all_pages(client.clone()).await?;
        serves.push(ms(started.elapsed()));
        // The peak of the first listing alone: the server keeps each
        // listing's snapshot for a while, so later ones add to it.
        peak = peak.or(Some(server.memory()?));
    }
    let peak = peak.context("no listing was served")?;
    server.stop().await?;
    upstream.shutdown();
    upstream.join().await?;
    let from_ms = |values: &[f64]| Duration::from_secs_f64(median(values) / 1000.0);
    Ok(Measured {
        clusters,
        body_bytes,
        serve_all_pages: from_ms(&serves),
        fetch_and_parse: from_ms(&fetches),
        parse_only: from_ms(&parses),
        peak_growth_kib: peak.peak_kib.saturating_sub(base.rss_kib),
    })
}

/// Reads every page, as a caller listing the workspace would.
async fn all_pages(mut client: ComputeServiceClient<Channel>) -> anyhow::Result<()> {
    let mut page_token = String::new();
    loop {
        let page = client
            .all_statuses(pb::AllStatusesRequest {
                page_size: PAGE_SIZE,
                page_token,
            })
            .await?
            .into_inner();
        if page.next_page_token.is_empty() {
            return Ok(());
        }
        page_token = page.next_page_token;
    }
}

fn rows_for(measured: &Measured) -> Vec<Row> {
    #[allow(clippy::cast_precision_loss)] // body sizes are far below 2^52
    let body_mb = measured.body_bytes as f64 / 1e6;
    #[allow(clippy::cast_precision_loss)] // body sizes are far below 2^52
    let body_mib = measured.body_bytes as f64 / (1024.0 * 1024.0);
    let workspace = format!(
        "{} clusters × {LIBRARIES} libraries ({body_mb:.1} MB upstream)",
        thousands(measured.clusters)
    );
    let serve = ms(measured.serve_all_pages);
    let fetch = ms(measured.fetch_and_parse);
    let peak = mib(measured.peak_growth_kib);
    vec![
        Row {
            measure: format!("P4 AllStatuses, {workspace}: all pages of {PAGE_SIZE}"),
            ours: format!("{serve:.0} ms"),
            reference: format!(
                "{fetch:.0} ms (reqwest + serde_json::Value; parse alone {:.0} ms)",
                ms(measured.parse_only)
            ),
            ratio: ratio(serve, fetch),
            goal: "≤ 2×".to_owned(),
            met: ratio(serve, fetch).map(|r| r <= 2.0),
        },
        Row {
            measure: format!("P4 server peak RSS growth, {workspace}"),
            ours: format!("{peak:.1} MiB"),
            reference: format!("{body_mib:.1} MiB body"),
            ratio: ratio(peak, body_mib),
            goal: "≤ 3×".to_owned(),
            met: ratio(peak, body_mib).map(|r| r <= 3.0),
        },
    ]
}
