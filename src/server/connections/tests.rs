//! Admission on in-memory connections, in paused time.

use std::{io, time::Duration};

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _, DuplexStream, duplex};

use super::*;

const PREFACE: &[u8; FIRST_BYTES] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

fn admission(max_connections: usize) -> Admission {
    Admission::new(&ServerOptions {
        max_connections,
        handshake_timeout: Duration::from_secs(10),
        ..ServerOptions::default()
    })
}

/// An admitted server side and the client side of one connection.
fn connect(admission: &Admission) -> Option<(Guarded<DuplexStream>, DuplexStream)> {
    let (client, server) = duplex(1024);
    admission.admit(server).map(|guarded| (guarded, client))
}

/// The server side reads the preface the client sent.
async fn establish(guarded: &mut Guarded<DuplexStream>, client: &mut DuplexStream) {
    client.write_all(PREFACE).await.unwrap();
    let mut buf = [0; FIRST_BYTES];
    guarded.read_exact(&mut buf).await.unwrap();
    assert!(guarded.is_established());
}

/// What the next read does within `within`: `None` when it is still pending.
async fn next_read(
    guarded: &mut Guarded<DuplexStream>,
    within: Duration,
) -> Option<io::Result<usize>> {
    let mut buf = [0; 64];
    tokio::time::timeout(within, guarded.read(&mut buf))
        .await
        .ok()
}

#[tokio::test(start_paused = true)]
async fn a_connection_that_sends_nothing_is_closed_at_its_handshake_deadline() {
    let admission = admission(4);
    let (mut guarded, _client) = connect(&admission).unwrap();
    assert!(
        next_read(&mut guarded, Duration::from_secs(9))
            .await
            .is_none()
    );
    let error = next_read(&mut guarded, Duration::from_secs(2))
        .await
        .expect("closed at 10 s")
        .unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::ConnectionAborted);
    assert_eq!(admission.open(), 0, "its slot is given back at once");
}

#[tokio::test(start_paused = true)]
async fn a_connection_that_sends_a_few_bytes_still_has_its_deadline() {
    let admission = admission(4);
    let (mut guarded, mut client) = connect(&admission).unwrap();
    client.write_all(&PREFACE[..3]).await.unwrap();
    assert_eq!(
        next_read(&mut guarded, Duration::ZERO)
            .await
            .unwrap()
            .unwrap(),
        3
    );
    let closed = next_read(&mut guarded, Duration::from_secs(11)).await;
    assert!(matches!(closed, Some(Err(_))), "{closed:?}");
}

#[tokio::test(start_paused = true)]
async fn a_connection_that_sent_its_preface_stays_open() {
    let admission = admission(4);
    let (mut guarded, mut client) = connect(&admission).unwrap();
    establish(&mut guarded, &mut client).await;
    assert!(
        next_read(&mut guarded, Duration::from_secs(3600))
            .await
            .is_none()
    );
    assert_eq!(admission.open(), 1);
    drop(guarded);
    assert_eq!(admission.open(), 0);
}

#[tokio::test(start_paused = true)]
async fn a_full_house_evicts_the_oldest_connection_still_waiting() {
    let admission = admission(3);
    let (mut talking, mut client) = connect(&admission).unwrap();
    establish(&mut talking, &mut client).await;
    let (mut oldest, _a) = connect(&admission).unwrap();
    let (mut younger, _b) = connect(&admission).unwrap();
    let (_newest, _c) = connect(&admission).expect("room is made for a new connection");
    assert_eq!(admission.open(), 3);
    let error = next_read(&mut oldest, Duration::ZERO)
        .await
        .expect("the oldest waiting connection is closed at once")
        .unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::ConnectionAborted);
    assert!(next_read(&mut younger, Duration::ZERO).await.is_none());
    assert!(next_read(&mut talking, Duration::ZERO).await.is_none());
    drop(oldest);
    assert_eq!(admission.open(), 3, "the evicted slot passed to the newest");
}

#[tokio::test(start_paused = true)]
async fn a_full_house_of_established_connections_refuses_new_ones() {
    let admission = admission(2);
    let (mut first, mut first_client) = connect(&admission).unwrap();
    establish(&mut first, &mut first_client).await;
    let (mut second, mut second_client) = connect(&admission).unwrap();
    establish(&mut second, &mut second_client).await;
    assert!(connect(&admission).is_none());
    assert!(connect(&admission).is_none());
    drop(first);
    assert!(
        connect(&admission).is_some(),
        "a closed connection frees its slot"
    );
}

#[tokio::test(start_paused = true)]
async fn an_evicted_connection_dropped_before_it_noticed_keeps_the_count_right() {
    let admission = admission(1);
    let (oldest, _a) = connect(&admission).unwrap();
    let (newest, _b) = connect(&admission).unwrap();
    drop(oldest);
    assert_eq!(admission.open(), 1);
    drop(newest);
    assert_eq!(admission.open(), 0);
}

#[tokio::test(start_paused = true)]
async fn closing_the_waiting_connections_leaves_established_ones_open() {
    let admission = admission(4);
    let (mut talking, mut client) = connect(&admission).unwrap();
    establish(&mut talking, &mut client).await;
    let (mut silent, _a) = connect(&admission).unwrap();
    admission.close_waiting();
    let closed = next_read(&mut silent, Duration::ZERO).await;
    assert!(matches!(closed, Some(Err(_))), "{closed:?}");
    assert!(next_read(&mut talking, Duration::ZERO).await.is_none());
    drop(silent);
    assert_eq!(admission.open(), 1);
}

#[tokio::test(start_paused = true)]
async fn the_cap_warning_is_logged_at_most_once_per_period_with_counts() {
    let mut slots = Slots {
        refused_since_warning: 1,
        ..Slots::default()
    };
    assert!(slots.warn_if_due(2), "the first hit is logged at once");
    slots.refused_since_warning += 5;
    assert!(!slots.warn_if_due(2));
    tokio::time::advance(WARN_EVERY - Duration::from_millis(1)).await;
    assert!(!slots.warn_if_due(2));
    assert_eq!(
        slots.refused_since_warning, 5,
        "counted until the next warning"
    );
    tokio::time::advance(Duration::from_millis(1)).await;
    assert!(slots.warn_if_due(2));
    assert_eq!(slots.refused_since_warning, 0);
}
