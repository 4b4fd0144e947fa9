//! Admission of connections: a cap on how many are open at once, a deadline
//! for each new one to start speaking, and room for a real client when
//! connections that never speak fill the cap.
//!
//! [`Admission::admit`] wraps an accepted byte stream in a [`Guarded`] that
//! holds one of the `max_connections` slots until it is dropped. A guarded
//! connection is *waiting* until its peer has sent [`FIRST_BYTES`] bytes
//! (the HTTP/2 preface is exactly that long; a TLS ClientHello is longer,
//! and tonic bounds the rest of the TLS handshake). While it waits, its
//! reads fail once the handshake timeout has passed, or at once when it is
//! evicted: when every slot is taken, a new connection takes the slot of the
//! oldest connection still waiting. Only when every slot holds a connection
//! past its first bytes is the new one refused, which closes it. Caps hit
//! are logged at WARN at most once per [`WARN_EVERY`], with counts.
//!
//! [`Incoming`] is the TCP accept loop of `serve` built on it; plugin mode
//! admits the connections of its own listener.

mod guarded;
mod incoming;
#[cfg(test)]
mod tests;

use std::{
    collections::BTreeMap,
    sync::{Arc, Mutex, MutexGuard, PoisonError},
    time::Duration,
};

use tokio::{sync::oneshot, time::Instant};
use tracing::warn;

pub use guarded::Guarded;
pub use incoming::Incoming;

use super::ServerOptions;

/// Bytes a new connection must send before its handshake deadline: the
/// length of the HTTP/2 client preface.
pub const FIRST_BYTES: usize = 24;
/// The cap warning is logged at most this often.
pub const WARN_EVERY: Duration = Duration::from_secs(10);

/// The connection slots of one server, shared by its accept loop and every
/// connection it admitted.
#[derive(Debug, Clone)]
pub struct Admission {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    max_connections: usize,
    handshake_timeout: Duration,
    state: Mutex<Slots>,
}

/// Who holds the slots. `waiting` is in admission order, so its first
/// entry is the oldest connection still waiting for its first bytes.
#[derive(Debug, Default)]
struct Slots {
    open: usize,
    next_id: u64,
    waiting: BTreeMap<u64, oneshot::Sender<()>>,
    warned_at: Option<Instant>,
    evicted_since_warning: u64,
    refused_since_warning: u64,
}

// === impl Admission ===

impl Admission {
    /// Slots for `options.max_connections` connections (at most half the
    /// process's file descriptor limit, so a full house still leaves
    /// descriptors for upstream calls), each with `options.handshake_timeout`.
    pub fn new(options: &ServerOptions) -> Self {
        let max_connections = within_fd_limit(options.max_connections);
        Self {
            shared: Arc::new(Shared {
                max_connections,
                handshake_timeout: options.handshake_timeout,
                state: Mutex::new(Slots::default()),
            }),
        }
    }

    /// The cap in force.
    pub fn max_connections(&self) -> usize {
        self.shared.max_connections
    }

    /// Connections holding a slot now.
    pub fn open(&self) -> usize {
        self.shared.slots().open
    }

    /// Admits `io` into a free slot, or the slot of the oldest connection
    /// still waiting (which is evicted); `None` when every slot holds an
    /// established connection: drop `io` to close it.
    pub fn admit<IO>(&self, io: IO) -> Option<Guarded<IO>> {
        let shared = &self.shared;
        let mut slots = shared.slots();
        if slots.open >= shared.max_connections {
            match slots.waiting.pop_first() {
                // The slot passes from the evicted connection to this one.
                Some((_, evict)) => {
                    let _ = evict.send(());
                    slots.evicted_since_warning += 1;
                    slots.warn_if_due(shared.max_connections);
                }
                None => {
                    slots.refused_since_warning += 1;
                    slots.warn_if_due(shared.max_connections);
                    return None;
                }
            }
        } else {
            slots.open += 1;
        }
        let id = slots.next_id;
        slots.next_id += 1;
        let (evict, evicted) = oneshot::channel();
        slots.waiting.insert(id, evict);
        drop(slots);
        Some(Guarded::new(io, id, Arc::clone(shared), evicted))
    }

    /// Closes every connection still waiting for its first bytes (at
    /// shutdown: nothing is in flight on them, and a graceful stop would
    /// otherwise wait for their handshake timeout).
    pub fn close_waiting(&self) {
        let mut slots = self.shared.slots();
        let waiting = std::mem::take(&mut slots.waiting);
        slots.open -= waiting.len();
        drop(slots);
        for evict in waiting.into_values() {
            let _ = evict.send(());
        }
    }
}

/// `wanted`, lowered to half the soft RLIMIT_NOFILE when that is smaller.
fn within_fd_limit(wanted: usize) -> usize {
    #[cfg(unix)]
    if let Ok((soft, _)) =
        nix::sys::resource::getrlimit(nix::sys::resource::Resource::RLIMIT_NOFILE)
    {
        let budget = usize::try_from(soft / 2).unwrap_or(usize::MAX).max(1);
        if budget < wanted {
            warn!(
                max_connections = budget,
                requested = wanted,
                fd_limit = soft,
                "max connections lowered to half the file descriptor limit"
            );
            return budget;
        }
    }
    wanted.max(1)
}

// === impl Shared ===

impl Shared {
    fn slots(&self) -> MutexGuard<'_, Slots> {
        // The counts stay consistent under every panic point (none mutates
        // halfway), so a poisoned lock is still usable.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Gives back the slot of connection `id` if it still waits for it; an
    /// evicted connection's slot has already passed to its successor.
    fn release_waiting(&self, id: u64) {
        let mut slots = self.slots();
        if slots.waiting.remove(&id).is_some() {
            slots.open -= 1;
        }
    }
}

// === impl Slots ===

impl Slots {
    /// Logs the cap warning with the counts so far, unless one was logged
    /// less than [`WARN_EVERY`] ago; true when it logged.
    fn warn_if_due(&mut self, max_connections: usize) -> bool {
        let now = Instant::now();
        if self
            .warned_at
            .is_some_and(|at| now.duration_since(at) < WARN_EVERY)
        {
            return false;
        }
        warn!(
            max_connections,
            evicted = self.evicted_since_warning,
            refused = self.refused_since_warning,
            "connection cap reached; closed since the last such warning: `evicted` connections \
             still waiting for their handshake, `refused` new ones"
        );
        self.warned_at = Some(now);
        self.evicted_since_warning = 0;
        self.refused_since_warning = 0;
        true
    }
}
