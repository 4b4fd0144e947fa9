//! P1 (ClusterStatus through `serve` against the floor adapter, both in
//! front of one fixed-body upstream) and the coalesced-reads row.

use std::{
    net::SocketAddr,
    time::{Duration, Instant},
};

use databricks_grpc::proto::compute::{self as pb, compute_service_client::ComputeServiceClient};
use tokio::task::JoinSet;
use tonic::transport::Channel;

use crate::{
    Plan, connect, floor,
    report::{self, Row, median, ms, ratio},
    served::InProcess,
    upstream::{self, FixedBody},
};

/// Connections each side's 32 callers share (8 callers per HTTP/2
/// connection): one connection is driven by one task on each end, so a
/// single one would cap throughput at one core.
const CHANNELS: usize = 4;
/// Callers of the throughput measure.
const CALLERS: usize = 32;
/// Concurrent identical ClusterStatus calls of the coalescing row.
const COALESCED_CALLS: usize = 200;
/// Calls each side makes before it is measured.
const WARM_UP_CALLS: usize = 100;

/// One round of one side: p50 and p99 at one caller, calls/s at 32.
struct Round {
    p50: Duration,
    p99: Duration,
    calls_per_second: f64,
}

/// Measures P1 and the coalescing row.
pub(crate) async fn measure(plan: &Plan) -> anyhow::Result<Vec<Row>> {
    let upstream = FixedBody::spawn().await?;
    let ours = InProcess::start(&upstream.url).await?;
    let floor_addr = floor::spawn(&upstream.url).await?;
    let ours_clients = connect(ours.addr, CHANNELS).await?;
    let floor_clients = connect(floor_addr, CHANNELS).await?;
    for clients in [&ours_clients, &floor_clients] {
        for _ in 0..WARM_UP_CALLS {
            cluster_status(&clients[0], "0101-120000-bench").await?;
        }
    }
    let (mut ours_rounds, mut floor_rounds) = (Vec::new(), Vec::new());
    for _ in 0..plan.unary_rounds {
        ours_rounds.push(round(&ours_clients, plan).await?);
        floor_rounds.push(round(&floor_clients, plan).await?);
    }
    let coalesced = coalesced_requests(&upstream, ours.addr).await?;
    ours.stop().await?;
    Ok(rows(&ours_rounds, &floor_rounds, coalesced, plan))
}

fn rows(ours: &[Round], floor: &[Round], coalesced: usize, plan: &Plan) -> Vec<Row> {
    let stat = |rounds: &[Round], pick: fn(&Round) -> f64| {
        median(&rounds.iter().map(pick).collect::<Vec<_>>())
    };
    let p50 = (stat(ours, |r| ms(r.p50)), stat(floor, |r| ms(r.p50)));
    let p99 = (stat(ours, |r| ms(r.p99)), stat(floor, |r| ms(r.p99)));
    let rate = (
        stat(ours, |r| r.calls_per_second),
        stat(floor, |r| r.calls_per_second),
    );
    let rounds = if plan.unary_rounds > 1 {
        format!(", median of {} rounds", plan.unary_rounds)
    } else {
        String::new()
    };
    #[allow(clippy::cast_precision_loss)] // small counts
    let coalesced_ratio = coalesced as f64 / COALESCED_CALLS as f64;
    vec![
        Row {
            measure: format!("P1 ClusterStatus p50, 1 caller{rounds}"),
            ours: format!("{:.3} ms", p50.0),
            reference: format!("{:.3} ms (floor adapter)", p50.1),
            ratio: ratio(p50.0, p50.1),
            goal: "≤ 1.15×".to_owned(),
            met: ratio(p50.0, p50.1).map(|r| r <= 1.15),
        },
        Row {
            measure: format!("P1 ClusterStatus p99, 1 caller{rounds}"),
            ours: format!("{:.3} ms", p99.0),
            reference: format!("{:.3} ms (floor adapter)", p99.1),
            ratio: ratio(p99.0, p99.1),
            goal: "reported".to_owned(),
            met: None,
        },
        Row {
            measure: format!(
                "P1 ClusterStatus calls/s, {CALLERS} callers on {CHANNELS} connections{rounds}"
            ),
            ours: format!("{:.0}/s", rate.0),
            reference: format!("{:.0}/s (floor adapter)", rate.1),
            ratio: ratio(rate.0, rate.1),
            goal: "≥ 0.85×".to_owned(),
            met: ratio(rate.0, rate.1).map(|r| r >= 0.85),
        },
        Row {
            measure: format!(
                "Coalesced reads: upstream requests for {COALESCED_CALLS} concurrent ClusterStatus of one cluster"
            ),
            ours: coalesced.to_string(),
            reference: format!("{COALESCED_CALLS} calls"),
            ratio: Some(coalesced_ratio),
            goal: "≤ 2 requests".to_owned(),
            met: Some(coalesced <= 2),
        },
    ]
}

/// One caller for `plan.one_caller`, then 32 for `plan.many_callers`.
async fn round(clients: &[ComputeServiceClient<Channel>], plan: &Plan) -> anyhow::Result<Round> {
    let mut latencies = Vec::new();
    let started = Instant::now();
    while started.elapsed() < plan.one_caller {
        let call = Instant::now();
        cluster_status(&clients[0], "0101-120000-bench").await?;
        latencies.push(call.elapsed());
    }
    let p50 = report::percentile(&mut latencies, 0.50);
    let p99 = report::percentile(&mut latencies, 0.99);
    let mut callers = JoinSet::new();
    let started = Instant::now();
    let until = started + plan.many_callers;
    for caller in 0..CALLERS {
        let client = clients[caller % clients.len()].clone();
        // A cluster of its own per caller: identical concurrent reads would
        // be coalesced by databricks-grpc (not by the floor), which would
        // flatter this row instead of measuring the adapter.
        let cluster_id = format!("0101-120000-bench{caller:02}");
        callers.spawn(async move {
            let mut calls = 0_u32;
            while Instant::now() < until {
                cluster_status(&client, &cluster_id).await?;
                calls += 1;
            }
            anyhow::Ok(calls)
        });
    }
    let mut calls = 0;
    for done in callers.join_all().await {
        calls += done?;
    }
    Ok(Round {
        p50,
        p99,
        calls_per_second: f64::from(calls) / started.elapsed().as_secs_f64(),
    })
}

/// Upstream requests made for 200 concurrent ClusterStatus calls of one
/// cluster, whose upstream answer takes 100 ms so that the calls overlap.
async fn coalesced_requests(upstream: &FixedBody, addr: SocketAddr) -> anyhow::Result<usize> {
    let clients = connect(addr, 1 + COALESCED_CALLS / 100).await?;
    let before = upstream.requests();
    let mut calls = JoinSet::new();
    for call in 0..COALESCED_CALLS {
        let client = clients[call % clients.len()].clone();
        calls.spawn(async move { cluster_status(&client, upstream::SLOW_CLUSTER).await });
    }
    for done in calls.join_all().await {
        done?;
    }
    Ok(upstream.requests() - before)
}

async fn cluster_status(
    client: &ComputeServiceClient<Channel>,
    cluster_id: &str,
) -> anyhow::Result<pb::ClusterStatusResponse> {
    let request = pb::ClusterStatusRequest {
        cluster_id: cluster_id.to_owned(),
    };
    Ok(client.clone().cluster_status(request).await?.into_inner())
}
