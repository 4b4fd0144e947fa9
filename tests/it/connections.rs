//! Connection and stream limits of `serve`, seen from raw TCP and HTTP/2
//! clients: the handshake timeout, the connection cap and who it makes room
//! for, SETTINGS_MAX_CONCURRENT_STREAMS and keepalive.

use std::{net::SocketAddr, time::Duration};

use databricks_grpc::{
    proto::compute::{self as pb, compute_service_client::ComputeServiceClient},
    server::ServerOptions,
};
use tokio::{io::AsyncReadExt as _, net::TcpStream};
use tonic::transport::Channel;

use crate::{
    helpers::{RUNNING, TestApp},
    raw_h2::{self, PATIENCE},
};

const CLUSTER_STATUS: &str = "/databricks.compute.v1.ComputeService/ClusterStatus";

async fn spawn(options: ServerOptions) -> TestApp {
    TestApp::spawn_emulator_within(options).await
}

/// Reads until the server closes `conn`; fails when it stays open.
async fn closed_by_server(conn: &mut TcpStream, what: &str) -> Vec<u8> {
    let mut received = Vec::new();
    let read = tokio::time::timeout(PATIENCE, conn.read_to_end(&mut received)).await;
    assert!(read.is_ok(), "the server left open {what}");
    received
}

/// A new client connection (its own channel) and a ClusterStatus on it.
async fn new_client_status(addr: SocketAddr) -> Result<pb::ClusterStatusResponse, tonic::Status> {
    let channel = Channel::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect_timeout(PATIENCE)
        .timeout(PATIENCE)
        .connect()
        .await
        .map_err(|error| tonic::Status::unavailable(error.to_string()))?;
    let request = pb::ClusterStatusRequest {
        cluster_id: RUNNING.into(),
    };
    let response = ComputeServiceClient::new(channel)
        .cluster_status(request)
        .await?;
    Ok(response.into_inner())
}

#[tokio::test]
async fn a_connection_that_sends_nothing_is_closed_after_the_handshake_timeout() {
    let app = spawn(ServerOptions {
        handshake_timeout: Duration::from_millis(200),
        ..ServerOptions::default()
    })
    .await;
    let mut silent = TcpStream::connect(app.grpc_addr()).await.unwrap();
    closed_by_server(&mut silent, "a connection that never sent its preface").await;
    app.stop().await;
}

#[tokio::test]
async fn idle_connections_filling_the_cap_make_room_for_a_new_client() {
    let mut app = spawn(ServerOptions {
        max_connections: 8,
        handshake_timeout: Duration::from_secs(3600),
        ..ServerOptions::default()
    })
    .await;
    // The app's own client holds one slot; idle connections take the rest.
    app.cluster_status(RUNNING).await.unwrap();
    let mut idle = Vec::new();
    for _ in 0..7 {
        idle.push(TcpStream::connect(app.grpc_addr()).await.unwrap());
    }
    let status = new_client_status(app.grpc_addr()).await;
    assert!(status.is_ok(), "a new client is served: {status:?}");
    closed_by_server(&mut idle[0], "the oldest idle connection at the cap").await;
    app.cluster_status(RUNNING).await.unwrap();
    drop(idle);
    app.stop().await;
}

#[tokio::test]
async fn beyond_a_cap_of_established_connections_new_ones_are_closed_at_once() {
    let mut app = spawn(ServerOptions {
        max_connections: 2,
        ..ServerOptions::default()
    })
    .await;
    app.cluster_status(RUNNING).await.unwrap();
    let (second, _) = raw_h2::handshake(app.grpc_addr()).await;
    let mut third = TcpStream::connect(app.grpc_addr()).await.unwrap();
    let received = closed_by_server(&mut third, "a connection beyond the cap").await;
    assert!(
        received.is_empty(),
        "refused before any HTTP/2: {received:?}"
    );
    drop(second);
    app.cluster_status(RUNNING).await.unwrap();
    app.stop().await;
}

#[tokio::test]
async fn settings_advertise_the_stream_limit_and_streams_beyond_it_are_refused() {
    let app = spawn(ServerOptions {
        max_concurrent_streams: 5,
        ..ServerOptions::default()
    })
    .await;
    let (mut conn, settings) = raw_h2::handshake(app.grpc_addr()).await;
    let advertised = settings
        .iter()
        .find(|(id, _)| *id == raw_h2::SETTINGS_MAX_CONCURRENT_STREAMS);
    assert_eq!(
        advertised,
        Some(&(raw_h2::SETTINGS_MAX_CONCURRENT_STREAMS, 5))
    );
    let headers = raw_h2::grpc_call_headers(CLUSTER_STATUS);
    let streams: Vec<u32> = (0..8).map(|n| 2 * n + 1).collect();
    for &stream in &streams {
        // HEADERS without END_STREAM: each call waits for its request.
        raw_h2::write_frame(
            &mut conn,
            raw_h2::HEADERS,
            raw_h2::END_HEADERS,
            stream,
            &headers,
        )
        .await;
    }
    let mut refused = Vec::new();
    let waited = tokio::time::timeout(PATIENCE, async {
        while refused.len() < 3 {
            let frame = raw_h2::read_frame(&mut conn)
                .await
                .expect("connection open");
            if frame.kind == raw_h2::RST_STREAM
                && frame.payload == raw_h2::REFUSED_STREAM.to_be_bytes()
            {
                refused.push(frame.stream);
            }
        }
    })
    .await;
    assert!(waited.is_ok(), "streams beyond 5 refused, got {refused:?}");
    assert_eq!(refused, streams[5..]);
    drop(conn);
    app.stop().await;
}

#[tokio::test]
async fn a_peer_that_leaves_pings_unanswered_is_dropped() {
    let app = spawn(ServerOptions {
        http2_keepalive_interval: Duration::from_millis(100),
        http2_keepalive_timeout: Duration::from_millis(100),
        ..ServerOptions::default()
    })
    .await;
    let (mut conn, _) = raw_h2::handshake(app.grpc_addr()).await;
    let mut pinged = false;
    let ended = tokio::time::timeout(PATIENCE, async {
        while let Some(frame) = raw_h2::read_frame(&mut conn).await {
            pinged |= frame.kind == raw_h2::PING && frame.flags & raw_h2::ACK == 0;
        }
    })
    .await;
    assert!(pinged, "the server pings its peers");
    assert!(ended.is_ok(), "the server drops a peer that never answers");
    app.stop().await;
}

#[tokio::test]
async fn a_connection_that_never_spoke_does_not_hold_up_shutdown() {
    let app = spawn(ServerOptions {
        handshake_timeout: Duration::from_secs(3600),
        ..ServerOptions::default()
    })
    .await;
    let mut silent = TcpStream::connect(app.grpc_addr()).await.unwrap();
    let stopped = tokio::time::timeout(PATIENCE, app.stop()).await;
    assert!(stopped.is_ok(), "shutdown waited for a silent connection");
    closed_by_server(&mut silent, "a silent connection at shutdown").await;
}
