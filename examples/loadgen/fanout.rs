//! P3: 10,000 concurrent StreamCommandStatus over 100 commands that run for
//! ever (a scripted upstream), on a server in a child process so that its
//! memory is its own. The reference is a second child server with one
//! stream per command, opened at the same moments: one poll loop per
//! command on the first server polls upstream exactly as often.

use std::{collections::HashMap, time::Duration};

use anyhow::{Context as _, bail};
use databricks_grpc::proto::compute::{self as pb, compute_service_client::ComputeServiceClient};
use tokio::sync::{mpsc, watch};
use tonic::transport::Channel;

use crate::{
    Plan, connect,
    report::{Row, ratio, thousands},
    served::ChildServer,
    upstream::Commands,
};

/// Distinct long-running commands.
const COMMANDS: usize = 100;
/// Streams per command on the measured server.
const STREAMS_PER_COMMAND: usize = 100;
/// Connections to the measured server: 100 streams on each, below the 200
/// concurrent streams a connection is allowed by default.
const CONNECTIONS: usize = 100;
/// Memory budget per open stream.
const RSS_GOAL_KIB: f64 = 20.0;

/// Measures P3.
pub(crate) async fn measure(plan: &Plan) -> anyhow::Result<Vec<Row>> {
    let upstream = Commands::spawn().await?;
    let mut fan = ChildServer::spawn(&upstream.url).await?;
    let reference = ChildServer::spawn(&upstream.url).await?;
    let fan_channels = connect(fan.addr, CONNECTIONS).await?;
    let reference_channels = connect(reference.addr, 1).await?;
    let before = fan.memory()?;
    let (stop, stopped) = watch::channel(false);
    let (opened, mut first_messages) = mpsc::unbounded_channel();
    for command in 0..COMMANDS {
        let reference_client = &reference_channels[0];
        open(
            reference_client,
            &format!("ref-{command}"),
            &opened,
            &stopped,
        );
        for stream in 0..STREAMS_PER_COMMAND {
            let client = &fan_channels[(command * STREAMS_PER_COMMAND + stream) % CONNECTIONS];
            open(client, &format!("fan-{command}"), &opened, &stopped);
        }
    }
    drop(opened);
    let streams = COMMANDS * (STREAMS_PER_COMMAND + 1);
    tokio::time::timeout(Duration::from_secs(60), async {
        for _ in 0..streams {
            first_messages
                .recv()
                .await
                .context("a stream task ended early")??;
        }
        anyhow::Ok(())
    })
    .await
    .context("the streams did not all get their first message within 60 s")??;
    let after = fan.memory()?;
    let polls_before = upstream.polls();
    tokio::time::sleep(plan.fan_out_window).await;
    let polled = polled_since(&polls_before, &upstream.polls());
    let loops = fan.poll_loops().await?;
    stop.send_replace(true);
    fan.stop().await?;
    reference.stop().await?;
    let window = plan.fan_out_window.as_secs_f64();
    let rate = |prefix: &str| {
        let (requests, _) = polled.get(prefix).copied().unwrap_or_default();
        #[allow(clippy::cast_precision_loss)] // small counts
        let rate = requests as f64 / window;
        rate
    };
    let distinct = |prefix: &str| polled.get(prefix).map_or(0, |(_, distinct)| *distinct);
    let opened_streams = COMMANDS * STREAMS_PER_COMMAND;
    #[allow(clippy::cast_precision_loss)] // small counts
    let per_stream_kib =
        after.rss_kib.saturating_sub(before.rss_kib) as f64 / opened_streams as f64;
    #[allow(clippy::cast_precision_loss)] // small counts
    let loop_ratio = loops as f64 / COMMANDS as f64;
    Ok(vec![
        Row {
            measure: format!(
                "P3 poll loops, {} streams over {COMMANDS} commands",
                thousands(opened_streams)
            ),
            ours: loops.to_string(),
            reference: format!("{COMMANDS} distinct commands"),
            ratio: Some(loop_ratio),
            goal: format!("≤ {COMMANDS} loops"),
            met: Some(loops <= COMMANDS),
        },
        Row {
            measure: format!(
                "P3 upstream commands/status requests/s over {:.0} s ({} distinct commands polled)",
                window,
                distinct("fan")
            ),
            ours: format!("{:.1}/s", rate("fan")),
            reference: format!("{:.1}/s (1 stream per command)", rate("ref")),
            ratio: ratio(rate("fan"), rate("ref")),
            goal: "≤ 1.2× (one loop per command)".to_owned(),
            met: ratio(rate("fan"), rate("ref")).map(|r| r <= 1.2),
        },
        Row {
            measure: format!(
                "P3 server RSS growth per open stream ({} streams on {CONNECTIONS} connections)",
                thousands(opened_streams)
            ),
            ours: format!("{per_stream_kib:.1} KiB"),
            reference: "—".to_owned(),
            ratio: None,
            goal: format!("≤ {RSS_GOAL_KIB:.0} KiB"),
            met: Some(per_stream_kib <= RSS_GOAL_KIB),
        },
    ])
}

/// Opens a stream on `command_id` in a task that reports its first message
/// on `opened`, then reads on until `stop` turns true.
fn open(
    client: &ComputeServiceClient<Channel>,
    command_id: &str,
    opened: &mpsc::UnboundedSender<anyhow::Result<()>>,
    stop: &watch::Receiver<bool>,
) {
    let mut client = client.clone();
    let request = pb::StreamCommandStatusRequest {
        cluster_id: "0101-120000-bench".to_owned(),
        context_id: "fan-out-context".to_owned(),
        command_id: command_id.to_owned(),
    };
    let opened = opened.clone();
    let mut stop = stop.clone();
    tokio::spawn(async move {
        let first = async {
            let mut stream = client.stream_command_status(request).await?.into_inner();
            if stream.message().await?.is_none() {
                bail!("the stream ended before its first message");
            }
            anyhow::Ok(stream)
        };
        let mut stream = match first.await {
            Ok(stream) => {
                let _ = opened.send(Ok(()));
                stream
            }
            Err(error) => {
                let _ = opened.send(Err(error));
                return;
            }
        };
        loop {
            tokio::select! {
                _ = stop.wait_for(|stop| *stop) => return,
                message = stream.message() => if !matches!(message, Ok(Some(_))) { return },
            }
        }
    });
}

/// Per command-id prefix (`fan`, `ref`): requests since `before` and how
/// many distinct commands they polled.
fn polled_since(
    before: &HashMap<String, u64>,
    now: &HashMap<String, u64>,
) -> HashMap<String, (u64, usize)> {
    let mut polled: HashMap<String, (u64, usize)> = HashMap::new();
    for (command, count) in now {
        let since = count - before.get(command).copied().unwrap_or_default();
        if since == 0 {
            continue;
        }
        let prefix = command.split('-').next().unwrap_or_default().to_owned();
        let entry = polled.entry(prefix).or_default();
        entry.0 += since;
        entry.1 += 1;
    }
    polled
}
