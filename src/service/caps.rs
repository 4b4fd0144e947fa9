//! Overload protection of the server itself: at most so many unary calls
//! at once, so many open streams, and so many calls of one caller. A call
//! beyond a cap is refused at once ([`Overloaded`], RESOURCE_EXHAUSTED with
//! `RetryInfo`); nothing ever waits in a queue, so memory stays flat however
//! many calls arrive. Once shutdown starts every new call is refused with
//! UNAVAILABLE [`ShuttingDown`] while the admitted ones finish.
//!
//! An [`Admitted`] call holds its slots until it is dropped: a unary call
//! until its answer is sent, a stream until it ends.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, MutexGuard, PoisonError},
    time::Duration,
};

use metrics::{counter, gauge};
use tokio::sync::watch;

use super::shutdown::ShuttingDown;

/// How long a refused caller is told to wait before trying again.
pub const OVERLOAD_RETRY_AFTER: Duration = Duration::from_secs(1);

/// The caps; 0 is "no cap".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallLimits {
    /// Unary calls in progress at once, all callers together.
    pub calls: usize,
    /// Streaming calls open at once, all callers together.
    pub streams: usize,
    /// Calls (unary and streaming) of one caller at once.
    pub per_caller: usize,
}

/// Whether a call answers once or streams (either way).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallKind {
    /// One request, one answer.
    Unary,
    /// A client, server or bidirectional stream.
    Stream,
}

/// The cap a call was refused by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cap {
    /// `--max-calls`.
    GlobalCalls,
    /// `--max-streams`.
    Streams,
    /// `--max-calls-per-caller`.
    PerCaller,
}

/// A call refused because a cap is reached (RESOURCE_EXHAUSTED).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("server overloaded: {} (at most {limit}); retry later", cap.describe())]
pub struct Overloaded {
    /// Which cap.
    pub cap: Cap,
    /// Its value.
    pub limit: usize,
}

/// Why a call was not admitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    /// A cap is reached.
    #[error(transparent)]
    Overloaded(#[from] Overloaded),
    /// The server is stopping.
    #[error(transparent)]
    ShuttingDown(#[from] ShuttingDown),
}

/// The counts of one server's calls, shared by every call.
#[derive(Debug)]
pub struct CallCaps {
    limits: CallLimits,
    counts: Mutex<Counts>,
    /// Calls admitted and not yet ended, for the drain at shutdown.
    in_flight: watch::Sender<usize>,
}

#[derive(Debug, Default)]
struct Counts {
    draining: bool,
    calls: usize,
    streams: usize,
    /// Only callers with a call in progress: an entry goes with its last
    /// call, so the map is never larger than the calls in progress.
    per_caller: HashMap<u64, usize>,
}

/// An admitted call's slots, given back when it drops.
#[derive(Debug)]
pub struct Admitted {
    caps: Arc<CallCaps>,
    kind: CallKind,
    caller: u64,
}

// === impl Cap ===

impl Cap {
    /// The `cap` label of `dbgrpc_calls_refused_total`.
    pub fn label(self) -> &'static str {
        match self {
            Self::GlobalCalls => "global_calls",
            Self::Streams => "streams",
            Self::PerCaller => "per_caller",
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Self::GlobalCalls => "too many calls in progress",
            Self::Streams => "too many streams open",
            Self::PerCaller => "too many calls in progress from this caller",
        }
    }
}

// === impl Refused ===

impl Refused {
    /// The `cap` label of `dbgrpc_calls_refused_total`.
    pub fn label(self) -> &'static str {
        match self {
            Self::Overloaded(overloaded) => overloaded.cap.label(),
            Self::ShuttingDown(_) => "draining",
        }
    }
}

// === impl CallCaps ===

impl CallCaps {
    /// Counts for a server with `limits`.
    pub fn new(limits: CallLimits) -> Arc<Self> {
        Arc::new(Self {
            limits,
            counts: Mutex::default(),
            in_flight: watch::channel(0).0,
        })
    }

    /// Admits a call of `kind` from `caller` (a [`CallerIdentity`] hash), or
    /// refuses it at once. Refusals are counted in
    /// `dbgrpc_calls_refused_total`.
    ///
    /// [`CallerIdentity`]: super::CallerIdentity
    pub fn admit(self: &Arc<Self>, kind: CallKind, caller: u64) -> Result<Admitted, Refused> {
        let admitted = self.try_admit(kind, caller);
        if let Err(refused) = admitted {
            counter!("dbgrpc_calls_refused_total", "cap" => refused.label()).increment(1);
        }
        admitted
    }

    fn try_admit(self: &Arc<Self>, kind: CallKind, caller: u64) -> Result<Admitted, Refused> {
        let mut counts = self.lock();
        if counts.draining {
            return Err(ShuttingDown.into());
        }
        let (count, limit, cap) = match kind {
            CallKind::Unary => (counts.calls, self.limits.calls, Cap::GlobalCalls),
            CallKind::Stream => (counts.streams, self.limits.streams, Cap::Streams),
        };
        if reached(count, limit) {
            return Err(Overloaded { cap, limit }.into());
        }
        let of_caller = counts.per_caller.get(&caller).copied().unwrap_or(0);
        if reached(of_caller, self.limits.per_caller) {
            return Err(Overloaded {
                cap: Cap::PerCaller,
                limit: self.limits.per_caller,
            }
            .into());
        }
        *counts.per_caller.entry(caller).or_default() += 1;
        match kind {
            CallKind::Unary => counts.calls += 1,
            CallKind::Stream => counts.streams += 1,
        }
        self.publish(&counts);
        Ok(Admitted {
            caps: self.clone(),
            kind,
            caller,
        })
    }

    /// Refuses every call from now on with [`ShuttingDown`]; the admitted
    /// ones go on.
    pub fn begin_draining(&self) {
        self.lock().draining = true;
    }

    /// Calls admitted and not ended yet.
    pub fn in_flight(&self) -> usize {
        *self.in_flight.borrow()
    }

    /// Completes once no admitted call is left.
    pub async fn drained(&self) {
        let mut in_flight = self.in_flight.subscribe();
        let _ = in_flight.wait_for(|calls| *calls == 0).await;
    }

    fn release(&self, kind: CallKind, caller: u64) {
        let mut counts = self.lock();
        match kind {
            CallKind::Unary => counts.calls = counts.calls.saturating_sub(1),
            CallKind::Stream => counts.streams = counts.streams.saturating_sub(1),
        }
        if let Some(of_caller) = counts.per_caller.get_mut(&caller) {
            *of_caller = of_caller.saturating_sub(1);
            if *of_caller == 0 {
                counts.per_caller.remove(&caller);
            }
        }
        self.publish(&counts);
    }

    /// Publishes `counts` to the drain watch and the gauges.
    fn publish(&self, counts: &Counts) {
        self.in_flight.send_replace(counts.calls + counts.streams);
        gauge!("dbgrpc_calls_in_flight").set(counts.calls as f64);
        gauge!("dbgrpc_streams_open").set(counts.streams as f64);
    }

    fn lock(&self) -> MutexGuard<'_, Counts> {
        self.counts.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// True when `count` calls fill a cap of `limit` (0: no cap).
fn reached(count: usize, limit: usize) -> bool {
    limit != 0 && count >= limit
}

// === impl Admitted ===

impl Drop for Admitted {
    fn drop(&mut self) {
        self.caps.release(self.kind, self.caller);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALICE: u64 = 1;
    const BOB: u64 = 2;

    fn caps(calls: usize, streams: usize, per_caller: usize) -> Arc<CallCaps> {
        CallCaps::new(CallLimits {
            calls,
            streams,
            per_caller,
        })
    }

    fn refusal(caps: &Arc<CallCaps>, kind: CallKind, caller: u64) -> Refused {
        caps.admit(kind, caller).unwrap_err()
    }

    #[test]
    fn the_call_beyond_the_global_cap_is_refused_until_one_ends() {
        let caps = caps(2, 0, 0);
        let first = caps.admit(CallKind::Unary, ALICE).unwrap();
        let _second = caps.admit(CallKind::Unary, BOB).unwrap();
        let refused = refusal(&caps, CallKind::Unary, 3);
        assert_eq!(
            refused,
            Refused::Overloaded(Overloaded {
                cap: Cap::GlobalCalls,
                limit: 2
            })
        );
        // Streams have their own cap.
        let _stream = caps.admit(CallKind::Stream, 3).unwrap();
        drop(first);
        assert!(caps.admit(CallKind::Unary, 3).is_ok());
    }

    #[test]
    fn streams_count_until_they_end() {
        let caps = caps(0, 1, 0);
        let stream = caps.admit(CallKind::Stream, ALICE).unwrap();
        let refused = refusal(&caps, CallKind::Stream, BOB);
        assert_eq!(refused.label(), "streams");
        drop(stream);
        assert!(caps.admit(CallKind::Stream, BOB).is_ok());
    }

    #[test]
    fn one_callers_cap_leaves_the_others_alone() {
        let caps = caps(0, 0, 2);
        let _one = caps.admit(CallKind::Unary, ALICE).unwrap();
        let _two = caps.admit(CallKind::Stream, ALICE).unwrap();
        assert_eq!(refusal(&caps, CallKind::Unary, ALICE).label(), "per_caller");
        assert!(caps.admit(CallKind::Unary, BOB).is_ok());
    }

    #[test]
    fn callers_without_calls_are_forgotten() {
        let caps = caps(0, 0, 1);
        for caller in 0..1000 {
            drop(caps.admit(CallKind::Unary, caller).unwrap());
        }
        assert!(caps.lock().per_caller.is_empty());
        assert_eq!(caps.in_flight(), 0);
    }

    #[tokio::test]
    async fn draining_refuses_new_calls_and_waits_for_the_admitted_ones() {
        let caps = caps(0, 0, 0);
        let admitted = caps.admit(CallKind::Unary, ALICE).unwrap();
        caps.begin_draining();
        assert_eq!(
            refusal(&caps, CallKind::Unary, BOB),
            Refused::ShuttingDown(ShuttingDown)
        );
        assert_eq!(caps.in_flight(), 1);
        let drained = tokio::spawn({
            let caps = caps.clone();
            async move { caps.drained().await }
        });
        drop(admitted);
        drained.await.unwrap();
        assert_eq!(caps.in_flight(), 0);
    }
}
