//! The shared poller: one upstream poll loop per key, however many streams
//! watch it. The loop publishes each new value into a `watch` channel; every
//! subscriber reads from it. The loop ends when the value is final, when the
//! upstream fails for good, or when its last subscriber leaves, noticed at
//! once rather than at the next poll.
//!
//! A poll fails with the upstream's own error type ([`PollFailure`]), which
//! says whether the next poll may succeed. A failure the loop rides out is
//! logged once at debug and never becomes a `Status`; the one that ends the
//! loop becomes one `Status`, once, shared by every subscriber.
//!
//! Used for StreamCommandStatus (key: the command) and WatchClusterStatus
//! (key: the cluster).

use std::{
    collections::HashMap,
    future::Future,
    hash::Hash,
    sync::{Arc, Mutex, PoisonError},
    time::Duration,
};

use tokio::sync::watch;
use tokio_stream::{Stream, StreamExt, wrappers::WatchStream};
use tonic::Status;
use tracing::{Instrument, debug};

use crate::{databricks, telemetry::series};

/// Consecutive transient upstream failures tolerated before a loop gives up.
pub const MAX_TRANSIENT_FAILURES: u32 = 5;

/// How often a loop polls: `initial` after a change, doubling to `max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// Delay after the first poll and after every change.
    pub initial: Duration,
    /// The longest delay between polls.
    pub max: Duration,
}

/// What subscribers see: nothing yet, a value, or the error that ended the loop.
type Slot<V> = Option<Result<V, Status>>;

/// A failed poll: whether polling again may help, and what the caller is
/// told when the loop ends with it.
pub trait PollFailure: Into<Status> + std::fmt::Display {
    /// True when the next poll may succeed where this one failed.
    fn worth_another_poll(&self) -> bool;
}

/// Shared poll loops keyed by `K`, publishing values of type `V`.
#[derive(Debug)]
pub struct Hub<K, V> {
    topics: Arc<Mutex<HashMap<K, Topic<V>>>>,
    backoff: Backoff,
}

#[derive(Debug)]
struct Topic<V> {
    generation: u64,
    sender: Arc<watch::Sender<Slot<V>>>,
}

// === impl Backoff ===

impl Default for Backoff {
    fn default() -> Self {
        Self {
            initial: Duration::from_millis(100),
            max: Duration::from_secs(5),
        }
    }
}

// === impl Hub ===

impl<K, V> Hub<K, V>
where
    K: Hash + Eq + Clone + Send + std::fmt::Debug + 'static,
    V: Clone + PartialEq + Send + Sync + 'static,
{
    /// A hub whose loops poll with `backoff`.
    pub fn new(backoff: Backoff) -> Self {
        Self {
            topics: Arc::default(),
            backoff,
        }
    }

    /// Number of poll loops running now.
    pub fn active_loops(&self) -> usize {
        self.lock().len()
    }

    /// Subscribes to `key`, starting its poll loop if none runs. `poll` reads
    /// the upstream once; `is_final` says when the loop may stop. The stream
    /// yields the current value at once, then every change, and ends after a
    /// final value or an error.
    pub fn subscribe<F, Fut, E>(
        &self,
        key: K,
        poll: F,
        is_final: fn(&V) -> bool,
    ) -> impl Stream<Item = Result<V, Status>> + Send + 'static
    where
        F: FnMut() -> Fut + Send + 'static,
        Fut: Future<Output = Result<V, E>> + Send + 'static,
        E: PollFailure + Send + 'static,
    {
        let mut topics = self.lock();
        let receiver = match topics.get(&key) {
            Some(topic) => topic.sender.subscribe(),
            None => {
                let (sender, receiver) = watch::channel(None);
                let sender = Arc::new(sender);
                let generation = next_generation();
                topics.insert(
                    key.clone(),
                    Topic {
                        generation,
                        sender: sender.clone(),
                    },
                );
                let poll_loop = PollLoop {
                    key: key.clone(),
                    generation,
                    sender,
                    topics: self.topics.clone(),
                    backoff: self.backoff,
                    _running: series::Live::new(series::POLL_LOOPS),
                };
                let span = tracing::debug_span!("poll_loop", key = ?key);
                tokio::spawn(poll_loop.run(poll, is_final).instrument(span));
                receiver
            }
        };
        drop(topics);
        WatchStream::new(receiver).filter_map(|slot| slot)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<K, Topic<V>>> {
        self.topics.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn next_generation() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

/// One running loop and what it needs to retire itself.
struct PollLoop<K, V> {
    key: K,
    generation: u64,
    sender: Arc<watch::Sender<Slot<V>>>,
    topics: Arc<Mutex<HashMap<K, Topic<V>>>>,
    backoff: Backoff,
    /// Counts the loop in `dbgrpc_poll_loops` until it ends.
    _running: series::Live,
}

// === impl PollLoop ===

impl<K: Hash + Eq, V: Clone + PartialEq> PollLoop<K, V> {
    async fn run<F, Fut, E>(self, mut poll: F, is_final: fn(&V) -> bool)
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<V, E>>,
        E: PollFailure,
    {
        let mut delay = self.backoff.initial;
        let mut failures = 0;
        loop {
            let result = tokio::select! {
                result = poll() => result,
                () = self.sender.closed() => {
                    if self.retire_if_unwatched() { return; }
                    continue;
                }
            };
            match result {
                Ok(value) => {
                    failures = 0;
                    let done = is_final(&value);
                    let changed = self.sender.send_if_modified(|slot| match slot {
                        Some(Ok(current)) if *current == value => false,
                        _ => {
                            *slot = Some(Ok(value));
                            true
                        }
                    });
                    if changed {
                        delay = self.backoff.initial;
                    }
                    if done {
                        debug!("final value published");
                        return self.retire();
                    }
                }
                Err(error) if error.worth_another_poll() && failures < MAX_TRANSIENT_FAILURES => {
                    failures += 1;
                    debug!(failures, error = %error, "transient poll failure");
                }
                Err(error) => {
                    debug!(error = %error, "poll failed; ending the loop");
                    // The one conversion, and so the one "give up" log line,
                    // however many subscribers are told.
                    self.sender.send_replace(Some(Err(error.into())));
                    return self.retire();
                }
            }
            tokio::select! {
                () = tokio::time::sleep(delay) => {}
                () = self.sender.closed() => {
                    if self.retire_if_unwatched() { return; }
                }
            }
            delay = (delay * 2).min(self.backoff.max);
        }
    }

    /// Retires the loop if nobody watches, deciding under the topic lock so a
    /// subscriber arriving now is never handed a dead channel.
    fn retire_if_unwatched(&self) -> bool {
        let mut topics = self.topics.lock().unwrap_or_else(PoisonError::into_inner);
        if self.sender.receiver_count() > 0 {
            return false;
        }
        self.remove(&mut topics);
        debug!("last watcher left; poll loop ends");
        true
    }

    fn retire(self) {
        let mut topics = self.topics.lock().unwrap_or_else(PoisonError::into_inner);
        self.remove(&mut topics);
    }

    fn remove(&self, topics: &mut HashMap<K, Topic<V>>) {
        if topics
            .get(&self.key)
            .is_some_and(|topic| topic.generation == self.generation)
        {
            topics.remove(&self.key);
        }
    }
}

// === impl PollFailure ===

/// A Databricks status read is safe to repeat: the loop polls again after
/// whatever [`databricks::error::Transience::worth_another_poll`] allows.
impl PollFailure for databricks::Error {
    fn worth_another_poll(&self) -> bool {
        self.transience().worth_another_poll()
    }
}

#[cfg(test)]
mod tests;
