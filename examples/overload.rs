//! The workspace rate limit under overload. A canned upstream (in this
//! process) answers `clusters/get`, and 429 with `Retry-After: 1` to any
//! request above 30 in the last second, as a throttled workspace does. 200
//! callers offer ten times that (300 GetCluster calls/s, open loop) across
//! 20 clusters, each call with a 2 s deadline, through the real server
//! (`App`, gRPC over loopback). The same run is made with the limiter off,
//! as the reference.
//!
//! ```sh
//! cargo run --release --example overload
//! OVERLOAD_SECONDS=10 cargo run --release --example overload     # shorter
//! OVERLOAD_RATE=30 OVERLOAD_BURST=30 cargo run --release --example overload
//! ```
//!
//! The limiter runs at `OVERLOAD_RATE` requests/s (default 28) in bursts of
//! `OVERLOAD_BURST` (default 1): a full bucket plus a second's tokens is 29,
//! just under the 30 the upstream admits in any one second, so timing jitter
//! does not cross it. Upstream rates count the seconds of the run after the
//! first (not the calls still finishing after it). RSS is this process's:
//! server, upstream and callers together.

use std::{
    collections::{BTreeMap, VecDeque},
    net::SocketAddr,
    sync::{Arc, Mutex, PoisonError},
    time::{Duration, Instant},
};

use anyhow::Context as _;
use axum::{
    Json, Router,
    extract::{Query, State},
    http::{StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};
use databricks_grpc::{
    app::{App, AppConfig, Backend, FrontDoor},
    config::{Credentials, DatabricksConfig, Secret},
    proto::compute::{self as pb, compute_service_client::ComputeServiceClient},
    server::ServerOptions,
};
use serde::Deserialize;
use serde_json::json;
use tokio::{net::TcpListener, sync::oneshot, task::JoinSet};
use tonic::{Code, transport::Channel};
use tonic_types::StatusExt as _;

/// The upstream admits this many requests in any one second.
const UPSTREAM_LIMIT: usize = 30;
const CALLERS: usize = 200;
const CLUSTERS: usize = 20;
/// Connections the callers share (HTTP/2 multiplexes the calls).
const CHANNELS: usize = 20;
/// Calls offered per second, all callers together: ten times the limit.
const OFFERED_PER_SECOND: f64 = 300.0;
const DEADLINE: Duration = Duration::from_secs(2);

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let seconds = env_number("OVERLOAD_SECONDS", 60)?;
    let rate = env_number("OVERLOAD_RATE", 28)?;
    let burst = env_number("OVERLOAD_BURST", 1)?;
    let run_for = Duration::from_secs(u64::from(seconds));
    println!(
        "overload: {CALLERS} callers offering {OFFERED_PER_SECOND} calls/s for {seconds}s across {CLUSTERS} clusters, \
         {DEADLINE:?} deadlines; upstream admits {UPSTREAM_LIMIT}/s, else 429 + Retry-After: 1"
    );
    let limited = run(rate, burst, run_for).await?;
    let reference = run(0, 0, run_for).await?;
    print_table(rate, burst, &limited, &reference);
    Ok(())
}

fn env_number(name: &str, default: u32) -> anyhow::Result<u32> {
    match std::env::var(name) {
        Ok(value) => value
            .parse()
            .with_context(|| format!("{name}={value:?} is not a whole number")),
        Err(_) => Ok(default),
    }
}

/// What one run measured.
#[derive(Debug, Default)]
struct Outcome {
    /// Upstream requests (admitted, throttled) per whole second of the run.
    upstream: BTreeMap<u64, (usize, usize)>,
    offered: usize,
    succeeded: usize,
    refused_by_limiter: usize,
    bare_upstream_429: usize,
    other_errors: BTreeMap<String, usize>,
    late: usize,
    latencies: Vec<Duration>,
    rss_start_kib: u64,
    rss_end_kib: u64,
    /// RSS after the first tenth of the run (the working set under load).
    rss_warm_kib: u64,
    /// Whole seconds the callers offered load.
    seconds: u64,
}

/// How one call ended.
enum CallEnd {
    Succeeded(Duration),
    RefusedByLimiter,
    UpstreamThrottle,
    Other(String),
}

async fn run(rate: u32, burst: u32, run_for: Duration) -> anyhow::Result<Outcome> {
    let upstream = Upstream::start().await?;
    let server = Server::start(&upstream.url, rate, burst).await?;
    let mut channels = Vec::new();
    for _ in 0..CHANNELS {
        channels.push(
            Channel::from_shared(format!("http://{}", server.addr))?
                .connect()
                .await?,
        );
    }
    let rss_start_kib = rss_kib()?;
    upstream.restart_clock();
    let started = Instant::now();
    let ends = Arc::new(Mutex::new(Vec::new()));
    let mut callers = JoinSet::new();
    let period = Duration::from_secs_f64(CALLERS as f64 / OFFERED_PER_SECOND);
    for caller in 0..CALLERS {
        let client = ComputeServiceClient::new(channels[caller % CHANNELS].clone());
        let ends = Arc::clone(&ends);
        callers.spawn(async move {
            // Spread the callers' first calls over one period.
            tokio::time::sleep(period.mul_f64(caller as f64 / CALLERS as f64)).await;
            let mut ticks = tokio::time::interval(period);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
            let mut calls = JoinSet::new();
            let mut sent = 0_usize;
            let mut finished = Vec::new();
            while started.elapsed() < run_for {
                ticks.tick().await;
                // Collect ended calls as they end, so that the load
                // generator's own memory stays flat.
                while let Some(Ok(end)) = calls.try_join_next() {
                    finished.push(end);
                }
                let mut client = client.clone();
                let cluster = format!("0101-000000-bench{:02}", (caller + sent) % CLUSTERS);
                sent += 1;
                calls.spawn(async move { one_call(&mut client, cluster).await });
            }
            finished.extend(calls.join_all().await);
            ends.lock()
                .unwrap_or_else(PoisonError::into_inner)
                .extend(finished);
        });
    }
    tokio::time::sleep(run_for / 10).await;
    let rss_warm_kib = rss_kib()?;
    callers.join_all().await;
    let rss_end_kib = rss_kib()?;
    server.stop().await?;
    let mut outcome = Outcome {
        upstream: upstream.per_second(),
        rss_start_kib,
        rss_end_kib,
        rss_warm_kib,
        seconds: run_for.as_secs(),
        ..Outcome::default()
    };
    for (end, took) in std::mem::take(&mut *ends.lock().unwrap_or_else(PoisonError::into_inner)) {
        outcome.offered += 1;
        if took >= DEADLINE {
            outcome.late += 1;
        }
        match end {
            CallEnd::Succeeded(latency) => {
                outcome.succeeded += 1;
                outcome.latencies.push(latency);
            }
            CallEnd::RefusedByLimiter => outcome.refused_by_limiter += 1,
            CallEnd::UpstreamThrottle => outcome.bare_upstream_429 += 1,
            CallEnd::Other(code) => *outcome.other_errors.entry(code).or_default() += 1,
        }
    }
    outcome.latencies.sort();
    Ok(outcome)
}

/// One GetCluster with the deadline; how it ended and how long it took.
async fn one_call(
    client: &mut ComputeServiceClient<Channel>,
    cluster: String,
) -> (CallEnd, Duration) {
    let started = Instant::now();
    let mut request = tonic::Request::new(pb::GetClusterRequest {
        cluster_id: cluster,
    });
    request.set_timeout(DEADLINE);
    // A backstop well past the deadline: a call still running then counts
    // as late, whatever the server does.
    let answer = tokio::time::timeout(DEADLINE * 2, client.get_cluster(request)).await;
    let took = started.elapsed();
    let end = match answer {
        Err(_) => CallEnd::Other("no answer by twice the deadline".to_owned()),
        Ok(Ok(_)) => CallEnd::Succeeded(took),
        Ok(Err(status)) => {
            let reason = status
                .get_error_details()
                .error_info()
                .map(|info| (info.reason.clone(), info.domain.clone()));
            match (status.code(), reason) {
                (Code::ResourceExhausted, Some((reason, _)))
                    if reason == "WORKSPACE_RATE_LIMITED" =>
                {
                    CallEnd::RefusedByLimiter
                }
                (Code::ResourceExhausted, Some((_, domain))) if domain == "databricks.com" => {
                    CallEnd::UpstreamThrottle
                }
                (code, _) => CallEnd::Other(format!("{code:?}")),
            }
        }
    };
    (end, took)
}

/// The canned throttling upstream.
struct Upstream {
    url: String,
    state: Arc<Mutex<Window>>,
}

/// Requests admitted in the last second, and every request by second.
struct Window {
    clock: Instant,
    admitted: VecDeque<Instant>,
    per_second: BTreeMap<u64, (usize, usize)>,
}

#[derive(Deserialize)]
struct GetQuery {
    cluster_id: String,
}

impl Upstream {
    async fn start() -> anyhow::Result<Self> {
        let state = Arc::new(Mutex::new(Window {
            clock: Instant::now(),
            admitted: VecDeque::new(),
            per_second: BTreeMap::new(),
        }));
        let router = Router::new()
            .route("/api/2.1/clusters/get", get(get_cluster))
            .with_state(Arc::clone(&state));
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        tokio::spawn(async move { axum::serve(listener, router).await });
        Ok(Self {
            url: format!("http://{addr}"),
            state,
        })
    }

    /// Counts seconds from now (after the server and connections are up).
    fn restart_clock(&self) {
        let mut window = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        window.clock = Instant::now();
        window.per_second.clear();
    }

    fn per_second(&self) -> BTreeMap<u64, (usize, usize)> {
        self.state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .per_second
            .clone()
    }
}

async fn get_cluster(
    State(state): State<Arc<Mutex<Window>>>,
    Query(query): Query<GetQuery>,
) -> Response {
    let admitted = {
        let mut window = state.lock().unwrap_or_else(PoisonError::into_inner);
        let now = Instant::now();
        while window
            .admitted
            .front()
            .is_some_and(|at| now.duration_since(*at) >= Duration::from_secs(1))
        {
            window.admitted.pop_front();
        }
        let admitted = window.admitted.len() < UPSTREAM_LIMIT;
        if admitted {
            window.admitted.push_back(now);
        }
        let second = now.duration_since(window.clock).as_secs();
        let counts = window.per_second.entry(second).or_default();
        if admitted {
            counts.0 += 1;
        } else {
            counts.1 += 1;
        }
        admitted
    };
    if !admitted {
        let body = json!({
            "error_code": "REQUEST_LIMIT_EXCEEDED",
            "message": "Too many requests. Please wait a moment and try again."
        });
        return (
            StatusCode::TOO_MANY_REQUESTS,
            [(header::RETRY_AFTER, "1")],
            Json(body),
        )
            .into_response();
    }
    Json(json!({
        "cluster_id": query.cluster_id,
        "cluster_name": "bench",
        "state": "RUNNING",
        "num_workers": 2,
        "spark_version": "15.4.x-scala2.12",
        "node_type_id": "i3.xlarge"
    }))
    .into_response()
}

/// databricks-grpc as `serve` builds it, with the workspace rate limit at
/// `rate` (0 = off) in bursts of `burst`.
struct Server {
    addr: SocketAddr,
    stop: oneshot::Sender<()>,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl Server {
    async fn start(upstream: &str, rate: u32, burst: u32) -> anyhow::Result<Self> {
        let databricks = DatabricksConfig::with_credentials(
            upstream,
            Credentials::Pat {
                token: Secret::new("dapi-overload"),
            },
        )?;
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let mut config = AppConfig::new(Backend::Resolved(databricks), FrontDoor::plaintext(addr));
        config.rate_limit = Some(rate);
        config.rate_burst = Some(burst);
        let app = App::build(config).await?;
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let shutdown = async {
                let _ = stopped.await;
            };
            app.serve(listener, ServerOptions::default(), shutdown)
                .await
        });
        Ok(Self { addr, stop, task })
    }

    async fn stop(self) -> anyhow::Result<()> {
        let _ = self.stop.send(());
        self.task.await?
    }
}

fn rss_kib() -> anyhow::Result<u64> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .context("no VmRSS in /proc/self/status")
}

fn print_table(rate: u32, burst: u32, limited: &Outcome, reference: &Outcome) {
    let on = format!("limiter {rate}/s, burst {burst}");
    let rows: Vec<(&str, String, String)> = vec![
        (
            "upstream req/s after 1st s (mean)",
            mean_rate(limited),
            mean_rate(reference),
        ),
        (
            "upstream req/s, busiest second after 1st",
            max_rate(limited),
            max_rate(reference),
        ),
        (
            "upstream 429s after 1st s",
            throttled(limited).to_string(),
            throttled(reference).to_string(),
        ),
        (
            "calls offered",
            limited.offered.to_string(),
            reference.offered.to_string(),
        ),
        (
            "succeeded",
            limited.succeeded.to_string(),
            reference.succeeded.to_string(),
        ),
        (
            "refused RESOURCE_EXHAUSTED (limiter)",
            limited.refused_by_limiter.to_string(),
            reference.refused_by_limiter.to_string(),
        ),
        (
            "failed with a bare upstream 429",
            limited.bare_upstream_429.to_string(),
            reference.bare_upstream_429.to_string(),
        ),
        ("other errors", others(limited), others(reference)),
        (
            "calls ending at/after their deadline",
            limited.late.to_string(),
            reference.late.to_string(),
        ),
        ("p99 latency of successes", p99(limited), p99(reference)),
        (
            "RSS start -> 1/10 of run -> end (MiB)",
            rss(limited),
            rss(reference),
        ),
    ];
    println!();
    println!(
        "| {:<42} | {:<24} | {:<24} |",
        "", on, "limiter off (reference)"
    );
    println!("|{:-<44}|{:-<26}|{:-<26}|", "", "", "");
    for (name, left, right) in rows {
        println!("| {name:<42} | {left:<24} | {right:<24} |");
    }
}

fn after_first_second(outcome: &Outcome) -> impl Iterator<Item = (usize, usize)> + '_ {
    outcome
        .upstream
        .iter()
        .filter(|(second, _)| **second >= 1 && **second < outcome.seconds)
        .map(|(_, counts)| *counts)
}

fn mean_rate(outcome: &Outcome) -> String {
    let seconds = after_first_second(outcome).count().max(1);
    let total: usize = after_first_second(outcome).map(|(ok, no)| ok + no).sum();
    format!("{:.1}", total as f64 / seconds as f64)
}

fn max_rate(outcome: &Outcome) -> String {
    after_first_second(outcome)
        .map(|(ok, no)| ok + no)
        .max()
        .unwrap_or(0)
        .to_string()
}

fn throttled(outcome: &Outcome) -> usize {
    after_first_second(outcome).map(|(_, no)| no).sum()
}

fn others(outcome: &Outcome) -> String {
    if outcome.other_errors.is_empty() {
        return "0".to_owned();
    }
    outcome
        .other_errors
        .iter()
        .map(|(code, count)| format!("{code}: {count}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn p99(outcome: &Outcome) -> String {
    if outcome.latencies.is_empty() {
        return "-".to_owned();
    }
    let index = (outcome.latencies.len() * 99 / 100).min(outcome.latencies.len() - 1);
    format!("{:?}", outcome.latencies[index])
}

fn rss(outcome: &Outcome) -> String {
    format!(
        "{:.1} -> {:.1} -> {:.1}",
        outcome.rss_start_kib as f64 / 1024.0,
        outcome.rss_warm_kib as f64 / 1024.0,
        outcome.rss_end_kib as f64 / 1024.0
    )
}
