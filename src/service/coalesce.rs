//! Single-flight reads: callers that ask for the same thing while a request
//! for it is in flight wait for that request's answer instead of sending
//! their own. Nothing is cached: the flight is forgotten the moment its
//! answer arrives, so a read that starts later sends a new request.
//!
//! The shared request is a [`Shared`] future (futures-util), polled by
//! whichever of its callers is waiting. A caller that gives up (its call is
//! cancelled or its own deadline passes) only stops waiting; the request
//! goes on for the others, and is dropped (cancelling the upstream call)
//! when the last of them leaves. The map holds only a weak handle, so it
//! never keeps a request alive by itself.

use std::{
    collections::HashMap,
    fmt,
    future::Future,
    hash::Hash,
    sync::{
        Arc, Mutex, MutexGuard, PoisonError, Weak,
        atomic::{AtomicU64, AtomicUsize, Ordering},
    },
    time::Duration,
};

use futures_util::future::{BoxFuture, FutureExt, Shared, WeakShared};
use tracing::debug;

use crate::telemetry::series;

/// A caller's own deadline passed while it waited for a shared answer
/// (DEADLINE_EXCEEDED); the request goes on for the other callers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the call's deadline passed before Databricks answered")]
pub struct DeadlinePassed;

/// Reads in flight keyed by `K`, each answering every caller that asked for
/// its key while it was in flight with a clone of its `V`.
pub(super) struct Coalescer<K, V> {
    flights: Arc<Mutex<Flights<K, V>>>,
    waiting: Arc<AtomicUsize>,
}

type Answer<V> = Shared<BoxFuture<'static, V>>;
type Flights<K, V> = HashMap<K, Flight<V>>;

/// One request in flight: which one (so that only it removes its entry),
/// and a weak handle to its answer.
struct Flight<V> {
    id: u64,
    answer: WeakShared<BoxFuture<'static, V>>,
}

/// Owned by the shared request: removes its flight from the map when the
/// request ends, answered or dropped.
struct Landing<K: Hash + Eq, V> {
    flights: Weak<Mutex<Flights<K, V>>>,
    key: K,
    id: u64,
}

/// Counts a caller as waiting for as long as it exists.
struct Waiting(Arc<AtomicUsize>);

// === impl Coalescer ===

impl<K, V> Coalescer<K, V>
where
    K: Hash + Eq + Clone + Send + 'static,
    V: Clone + Send + Sync + 'static,
{
    /// A coalescer with nothing in flight.
    pub(super) fn new() -> Self {
        Self {
            flights: Arc::default(),
            waiting: Arc::default(),
        }
    }

    /// The answer for `key`: that of the request in flight for it, or of a
    /// new one made by `fetch`. Waits at most `deadline` (the caller's own),
    /// after which this caller alone gets [`DeadlinePassed`].
    pub(super) async fn read<F, Fut>(
        &self,
        key: K,
        deadline: Option<Duration>,
        fetch: F,
    ) -> Result<V, DeadlinePassed>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = V> + Send + 'static,
    {
        let _waiting = Waiting::enter(&self.waiting);
        let answer = self.join_or_start(key, fetch);
        match deadline {
            Some(deadline) => tokio::time::timeout(deadline, answer)
                .await
                .map_err(|_| DeadlinePassed),
            None => Ok(answer.await),
        }
    }

    /// Callers waiting now, whether they started their read or joined one.
    pub(super) fn waiting(&self) -> usize {
        self.waiting.load(Ordering::Relaxed)
    }

    fn join_or_start<F, Fut>(&self, key: K, fetch: F) -> Answer<V>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = V> + Send + 'static,
    {
        let mut flights = lock(&self.flights);
        if let Some(answer) = flights.get(&key).and_then(|flight| flight.answer.upgrade()) {
            debug!(waiting = self.waiting(), "joined a read in flight");
            metrics::counter!(series::COALESCED_READS).increment(1);
            return answer;
        }
        let id = next_flight_id();
        let landing = Landing {
            flights: Arc::downgrade(&self.flights),
            key: key.clone(),
            id,
        };
        let request = fetch();
        let answer = async move {
            let answer = request.await;
            drop(landing);
            answer
        }
        .boxed()
        .shared();
        if let Some(weak) = answer.downgrade() {
            flights.insert(key, Flight { id, answer: weak });
        }
        answer
    }
}

impl<K, V> fmt::Debug for Coalescer<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Coalescer")
            .field("in_flight", &lock(&self.flights).len())
            .field("waiting", &self.waiting.load(Ordering::Relaxed))
            .finish()
    }
}

// === impl Landing ===

impl<K: Hash + Eq, V> Drop for Landing<K, V> {
    fn drop(&mut self) {
        let Some(flights) = self.flights.upgrade() else {
            return;
        };
        let mut flights = lock(&flights);
        if flights
            .get(&self.key)
            .is_some_and(|flight| flight.id == self.id)
        {
            flights.remove(&self.key);
        }
    }
}

// === impl Waiting ===

impl Waiting {
    fn enter(count: &Arc<AtomicUsize>) -> Self {
        count.fetch_add(1, Ordering::Relaxed);
        Self(count.clone())
    }
}

impl Drop for Waiting {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

fn lock<K, V>(flights: &Mutex<Flights<K, V>>) -> MutexGuard<'_, Flights<K, V>> {
    flights.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A process-wide unique id, so a finished flight never removes the entry
/// of a newer flight for the same key.
fn next_flight_id() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

#[cfg(test)]
mod tests;
