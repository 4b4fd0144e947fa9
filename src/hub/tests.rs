//! The shared poller, in memory with paused time.

use std::sync::atomic::{AtomicU32, Ordering};

use tonic::Code;

use super::*;

/// A poll failure: one the next poll may not see, or one for good.
#[derive(Debug)]
enum Fake {
    Blip,
    Gone,
    /// A blip (`true`) or `Gone` (`false`) that counts its conversions
    /// into [`CONVERSIONS`].
    Counted(bool),
}

/// How often a [`Fake::Counted`] became a `Status`.
static CONVERSIONS: AtomicU32 = AtomicU32::new(0);

impl std::fmt::Display for Fake {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{self:?}")
    }
}

impl From<Fake> for Status {
    fn from(fake: Fake) -> Self {
        match fake {
            Fake::Blip => Status::unavailable("blip"),
            Fake::Gone => Status::not_found("gone"),
            Fake::Counted(blip) => {
                CONVERSIONS.fetch_add(1, Ordering::SeqCst);
                Status::from(if blip { Fake::Blip } else { Fake::Gone })
            }
        }
    }
}

impl PollFailure for Fake {
    fn worth_another_poll(&self) -> bool {
        matches!(self, Self::Blip | Self::Counted(true))
    }
}

/// A fake upstream: the value is the number of polls so far, capped at `last`.
fn counter(
    polls: Arc<AtomicU32>,
    last: u32,
) -> impl FnMut() -> std::future::Ready<Result<u32, Fake>> + Send {
    move || {
        let n = polls.fetch_add(1, Ordering::SeqCst) + 1;
        std::future::ready(Ok(n.min(last)))
    }
}

fn is_three(value: &u32) -> bool {
    *value == 3
}

#[tokio::test(start_paused = true)]
async fn many_subscribers_share_one_loop() {
    let hub: Hub<&str, u32> = Hub::new(Backoff::default());
    let polls = Arc::new(AtomicU32::new(0));
    let streams: Vec<_> = (0..100)
        .map(|_| Box::pin(hub.subscribe("cmd", counter(polls.clone(), 3), is_three)))
        .collect();
    assert_eq!(hub.active_loops(), 1);
    for mut stream in streams {
        let mut last = None;
        while let Some(value) = stream.next().await {
            last = Some(value.unwrap());
        }
        assert_eq!(last, Some(3), "every subscriber sees the final value");
    }
    assert_eq!(
        polls.load(Ordering::SeqCst),
        3,
        "one poll per step, not per subscriber"
    );
    assert_eq!(hub.active_loops(), 0);
}

#[tokio::test(start_paused = true)]
async fn first_message_is_immediate_and_each_change_is_sent() {
    let hub: Hub<&str, u32> = Hub::new(Backoff::default());
    let polls = Arc::new(AtomicU32::new(0));
    let values: Vec<u32> = hub
        .subscribe("cmd", counter(polls, 3), is_three)
        .map(Result::unwrap)
        .collect()
        .await;
    assert_eq!(values, vec![1, 2, 3]);
}

#[tokio::test(start_paused = true)]
async fn loop_stops_when_the_last_subscriber_leaves() {
    let hub: Hub<&str, u32> = Hub::new(Backoff::default());
    let polls = Arc::new(AtomicU32::new(0));
    // Never final: only the subscriber leaving can stop it.
    let mut stream = Box::pin(hub.subscribe("cmd", counter(polls.clone(), 1), |_| false));
    assert_eq!(stream.next().await.unwrap().unwrap(), 1);
    drop(stream);
    tokio::task::yield_now().await;
    tokio::time::advance(Duration::from_millis(1)).await;
    tokio::task::yield_now().await;
    assert_eq!(hub.active_loops(), 0);
    let after_leave = polls.load(Ordering::SeqCst);
    tokio::time::advance(Duration::from_secs(60)).await;
    assert_eq!(
        polls.load(Ordering::SeqCst),
        after_leave,
        "no polling after the last subscriber left"
    );
}

#[tokio::test(start_paused = true)]
async fn backoff_doubles_to_the_cap() {
    let backoff = Backoff {
        initial: Duration::from_millis(100),
        max: Duration::from_millis(400),
    };
    let hub: Hub<&str, u32> = Hub::new(backoff);
    let polls = Arc::new(AtomicU32::new(0));
    let _stream = Box::pin(hub.subscribe("cmd", counter(polls.clone(), 1), |_| false));
    // Value 1 never changes after the first poll: delays 100, 200, 400, 400, 400 ms.
    tokio::time::sleep(Duration::from_millis(1550)).await;
    assert_eq!(polls.load(Ordering::SeqCst), 6);
}

#[tokio::test(start_paused = true)]
async fn permanent_errors_end_every_stream_and_transient_ones_are_ridden_out() {
    let hub: Hub<&str, u32> = Hub::new(Backoff::default());
    let attempts = Arc::new(AtomicU32::new(0));
    let flaky = {
        let attempts = attempts.clone();
        move || {
            let n = attempts.fetch_add(1, Ordering::SeqCst);
            std::future::ready(if n < 2 { Err(Fake::Blip) } else { Ok(3) })
        }
    };
    let values: Vec<_> = hub.subscribe("a", flaky, is_three).collect().await;
    assert_eq!(values.len(), 1);
    assert_eq!(*values[0].as_ref().unwrap(), 3);

    let broken = || std::future::ready(Err::<u32, _>(Fake::Gone));
    let values: Vec<_> = hub.subscribe("b", broken, is_three).collect().await;
    assert_eq!(values.len(), 1);
    assert_eq!(values[0].as_ref().unwrap_err().code(), Code::NotFound);
    assert_eq!(hub.active_loops(), 0);
}

#[tokio::test(start_paused = true)]
async fn the_error_that_ends_a_loop_becomes_one_status_for_every_subscriber() {
    let hub: Hub<&str, u32> = Hub::new(Backoff::default());
    let polls = Arc::new(AtomicU32::new(0));
    // Two blips the loop rides out, then a failure for good.
    let broken = move || {
        let n = polls.fetch_add(1, Ordering::SeqCst);
        std::future::ready(Err::<u32, _>(Fake::Counted(n < 2)))
    };
    let streams: Vec<_> = (0..10)
        .map(|_| Box::pin(hub.subscribe("c", broken.clone(), is_three)))
        .collect();
    for mut stream in streams {
        let ended = stream.next().await.unwrap();
        assert_eq!(ended.unwrap_err().code(), Code::NotFound);
    }
    assert_eq!(
        CONVERSIONS.load(Ordering::SeqCst),
        1,
        "converted (and so logged) once: not per blip, not per subscriber"
    );
}
