//! The workspace rate limiter: one token bucket per [`Client`](super::Client)
//! (and its pass-through clones), taken before every HTTP request to the
//! workspace, OAuth token fetches included.
//!
//! - A request waits for a token only as long as its deadline allows; when
//!   the estimated wait cannot end before it, the request is refused at once
//!   ([`Refused`]) and nothing is sent.
//! - Waiting is fair: one queue per caller identity, served round robin, so
//!   one caller's burst cannot starve the others.
//! - A 429 (or a 503 with `Retry-After`) pauses the whole bucket until
//!   `Retry-After` (an exponential pause when none is given) and halves the
//!   rate; the rate then grows back linearly to the configured one (AIMD).
//!
//! Waiters are granted by one dispatcher task, started when the first
//! request has to wait and ending when no one waits.

use std::{
    collections::{HashMap, VecDeque},
    sync::{Arc, Mutex, MutexGuard, PoisonError},
    time::Duration,
};

use metrics::{counter, gauge, histogram};
use tokio::{sync::oneshot, time::Instant};
use tracing::{debug, info};

use crate::config::RateLimit;

/// Time kept free before a deadline for the request itself: a token granted
/// later than this is useless to the caller. A quarter of the time left when
/// that is shorter.
const REQUEST_RESERVE: Duration = Duration::from_millis(100);
/// The first pause after a throttle without `Retry-After`; each further one
/// in a row doubles, up to [`MAX_BACKOFF_PAUSE`].
const FIRST_BACKOFF_PAUSE: Duration = Duration::from_secs(1);
/// The longest pause without `Retry-After`.
const MAX_BACKOFF_PAUSE: Duration = Duration::from_secs(30);
/// Slow-downs never go below the configured rate divided by this.
const MIN_RATE_DIVISOR: f64 = 16.0;
/// After a slow-down the rate grows back by the configured rate divided by
/// this, per second (from half to full in ten seconds).
const RECOVERY_SECONDS: f64 = 20.0;

/// The workspace's limiter. Cheap to clone: clones share one bucket. Off
/// (every request goes at once) when the configured rate is 0.
#[derive(Debug, Clone)]
pub struct RateLimiter {
    shared: Option<Arc<Shared>>,
}

/// A request refused because no token could be granted before its deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refused {
    /// About how long until the limiter could serve a new request.
    pub wait: Duration,
}

#[derive(Debug)]
struct Shared {
    limit: RateLimit,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    /// Tokens in the bucket, at most the burst.
    tokens: f64,
    /// When `tokens` was last brought up to date.
    refilled_at: Instant,
    /// Requests per second now (the configured rate, or less after a
    /// throttle).
    rate: f64,
    /// When `rate` last changed (a slow-down or recovery step).
    rate_changed_at: Instant,
    /// No token is granted before this.
    paused_until: Instant,
    /// Pauses without `Retry-After` in a row (the exponent of the next one).
    backoff_pauses: u32,
    /// The waiting requests of each caller, oldest first.
    queues: HashMap<u64, VecDeque<Waiter>>,
    /// Callers with waiting requests, in the order they are served next.
    turns: VecDeque<u64>,
    /// Requests waiting, across all queues.
    waiting: usize,
    /// Ticket of the next waiter.
    next_ticket: u64,
    /// A dispatcher task is running.
    dispatching: bool,
}

#[derive(Debug)]
struct Waiter {
    ticket: u64,
    grant: oneshot::Sender<()>,
}

/// Removes a waiter from its queue when its request stops waiting (granted,
/// refused at its deadline, or cancelled because the caller went away).
struct QueuePlace {
    shared: Arc<Shared>,
    caller: u64,
    ticket: u64,
}

// === impl RateLimiter ===

impl RateLimiter {
    /// A limiter for `limit`; off when its rate is 0.
    pub fn new(limit: RateLimit) -> Self {
        if limit.is_off() {
            return Self::off();
        }
        let now = Instant::now();
        let rate = f64::from(limit.per_second);
        gauge!("dbgrpc_limiter_rate").set(rate);
        Self {
            shared: Some(Arc::new(Shared {
                limit,
                state: Mutex::new(State {
                    tokens: f64::from(limit.burst_size()),
                    refilled_at: now,
                    rate,
                    rate_changed_at: now,
                    paused_until: now,
                    backoff_pauses: 0,
                    queues: HashMap::new(),
                    turns: VecDeque::new(),
                    waiting: 0,
                    next_ticket: 0,
                    dispatching: false,
                }),
            })),
        }
    }

    /// A limiter that lets every request go at once.
    pub fn off() -> Self {
        Self { shared: None }
    }

    /// True unless the limiter is off.
    pub fn is_on(&self) -> bool {
        self.shared.is_some()
    }

    /// Waits for a token for one request of `caller` (`None`: the server's
    /// own requests), as long as one can be granted before `deadline`;
    /// refuses at once when it cannot. Dropping the future leaves the queue.
    pub async fn acquire(&self, caller: Option<u64>, deadline: Instant) -> Result<(), Refused> {
        let Some(shared) = &self.shared else {
            return Ok(());
        };
        let started = Instant::now();
        let usable_until =
            deadline - REQUEST_RESERVE.min(deadline.saturating_duration_since(started) / 4);
        let caller = caller.unwrap_or(0);
        let (mut granted, place) = {
            let mut state = shared.lock();
            state.refill(started, shared.limit);
            if state.waiting == 0 && started >= state.paused_until && state.tokens >= 1.0 {
                state.tokens -= 1.0;
                histogram!("dbgrpc_limiter_wait_seconds").record(0.0);
                return Ok(());
            }
            let wait = state.estimated_wait(caller, started);
            if started + wait > usable_until {
                counter!("dbgrpc_limiter_refused_total").increment(1);
                debug!(wait = ?wait, "no workspace rate-limit token before the deadline; refused");
                return Err(Refused { wait });
            }
            let (grant, granted) = oneshot::channel();
            let ticket = state.enqueue(caller, grant);
            if !state.dispatching {
                state.dispatching = true;
                tokio::spawn(Arc::clone(shared).dispatch());
            }
            let place = QueuePlace {
                shared: Arc::clone(shared),
                caller,
                ticket,
            };
            (granted, place)
        };
        let outcome = tokio::time::timeout_at(usable_until, &mut granted).await;
        drop(place);
        let got_token = match outcome {
            Ok(result) => result.is_ok(),
            // Granted at the very moment the deadline came: use it.
            Err(_) => granted.try_recv().is_ok(),
        };
        if got_token {
            histogram!("dbgrpc_limiter_wait_seconds").record(started.elapsed().as_secs_f64());
            return Ok(());
        }
        counter!("dbgrpc_limiter_refused_total").increment(1);
        let wait = {
            let mut state = shared.lock();
            let now = Instant::now();
            state.refill(now, shared.limit);
            state.estimated_wait(caller, now)
        };
        Err(Refused { wait })
    }

    /// Requests waiting for a token now.
    pub fn waiting(&self) -> usize {
        self.shared
            .as_ref()
            .map_or(0, |shared| shared.lock().waiting)
    }

    /// Requests per second now (after slow-downs, with the recovery so far);
    /// `None` when off.
    pub fn current_rate(&self) -> Option<f64> {
        let shared = self.shared.as_ref()?;
        let mut state = shared.lock();
        state.refill(Instant::now(), shared.limit);
        Some(state.rate)
    }

    /// Tells the limiter how the workspace answered a request: a 429, or a
    /// 503 with `Retry-After`, pauses and slows it down; anything else ends
    /// a run of exponential pauses.
    pub fn answered(&self, status: u16, retry_after: Option<Duration>) {
        if !throttles(status, retry_after) {
            if let Some(shared) = &self.shared {
                shared.lock().backoff_pauses = 0;
            }
            return;
        }
        let status_label = if status == 429 { "429" } else { "503" };
        counter!("dbgrpc_upstream_throttled_total", "status" => status_label).increment(1);
        if let Some(shared) = &self.shared {
            shared.throttled(retry_after);
        }
    }
}

/// True for an answer that throttles the whole workspace: a 429, or a 503
/// that says when to come back.
pub fn throttles(status: u16, retry_after: Option<Duration>) -> bool {
    status == 429 || (status == 503 && retry_after.is_some())
}

// === impl Shared ===

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Pauses until `retry_after` (or an exponential pause) and halves the
    /// rate, unless already paused: answers that arrive during a pause were
    /// sent before it and only extend it.
    fn throttled(&self, retry_after: Option<Duration>) {
        let mut state = self.lock();
        let now = Instant::now();
        state.refill(now, self.limit);
        if now < state.paused_until {
            if let Some(asked) = retry_after {
                state.paused_until = state.paused_until.max(now + asked);
            }
            return;
        }
        let (pause, reason) = match retry_after {
            Some(asked) => (asked, "retry_after"),
            None => {
                let pause = FIRST_BACKOFF_PAUSE
                    .saturating_mul(1 << state.backoff_pauses.min(10))
                    .min(MAX_BACKOFF_PAUSE);
                state.backoff_pauses += 1;
                (pause, "backoff")
            }
        };
        let configured = f64::from(self.limit.per_second);
        state.paused_until = now + pause;
        state.tokens = 0.0;
        state.rate = (state.rate / 2.0).max(configured / MIN_RATE_DIVISOR);
        state.rate_changed_at = now + pause;
        counter!("dbgrpc_limiter_pauses_total", "reason" => reason).increment(1);
        gauge!("dbgrpc_limiter_rate").set(state.rate);
        info!(pause = ?pause, rate = state.rate, "Databricks throttled the workspace; every request waits, then the rate recovers");
    }

    /// Grants tokens to waiters, round robin over callers, until no one
    /// waits.
    async fn dispatch(self: Arc<Self>) {
        loop {
            let wake_at = {
                let mut state = self.lock();
                let now = Instant::now();
                state.refill(now, self.limit);
                loop {
                    if state.turns.is_empty() {
                        state.dispatching = false;
                        return;
                    }
                    if now < state.paused_until {
                        break state.paused_until;
                    }
                    if state.tokens < 1.0 {
                        break now + Duration::from_secs_f64((1.0 - state.tokens) / state.rate);
                    }
                    let Some(waiter) = state.next_waiter() else {
                        continue;
                    };
                    // A waiter whose caller went away takes no token.
                    if waiter.grant.send(()).is_ok() {
                        state.tokens -= 1.0;
                    }
                }
            };
            tokio::time::sleep_until(wake_at).await;
        }
    }
}

// === impl State ===

impl State {
    /// Brings the rate (recovery) and the tokens up to date at `now`; no
    /// tokens accrue during a pause.
    fn refill(&mut self, now: Instant, limit: RateLimit) {
        let from = self.refilled_at.max(self.paused_until);
        if now > from {
            let earned = (now - from).as_secs_f64() * self.rate;
            self.tokens = (self.tokens + earned).min(f64::from(limit.burst_size()));
        }
        self.refilled_at = self.refilled_at.max(now);
        let configured = f64::from(limit.per_second);
        if self.rate < configured && now > self.rate_changed_at {
            let grown = (now - self.rate_changed_at).as_secs_f64() * configured / RECOVERY_SECONDS;
            self.rate = (self.rate + grown).min(configured);
            self.rate_changed_at = now;
            gauge!("dbgrpc_limiter_rate").set(self.rate);
        }
    }

    /// How long a new request of `caller` would wait: until the pause ends,
    /// then for the tokens of every request served before it (round robin:
    /// each other caller's queue counts up to one more than the caller's
    /// own) and its own.
    fn estimated_wait(&self, caller: u64, now: Instant) -> Duration {
        let own = self.queues.get(&caller).map_or(0, VecDeque::len);
        let others: usize = self
            .queues
            .iter()
            .filter(|(key, _)| **key != caller)
            .map(|(_, queue)| queue.len().min(own + 1))
            .sum();
        let needed = (own + others + 1) as f64;
        let paused_for = self.paused_until.saturating_duration_since(now);
        let available = if paused_for.is_zero() {
            self.tokens
        } else {
            0.0
        };
        let for_tokens = ((needed - available).max(0.0) / self.rate).min(3600.0);
        paused_for + Duration::from_secs_f64(for_tokens)
    }

    /// Queues a waiter for `caller`; returns its ticket.
    fn enqueue(&mut self, caller: u64, grant: oneshot::Sender<()>) -> u64 {
        let ticket = self.next_ticket;
        self.next_ticket += 1;
        let queue = self.queues.entry(caller).or_default();
        if queue.is_empty() {
            self.turns.push_back(caller);
        }
        queue.push_back(Waiter { ticket, grant });
        self.waiting += 1;
        gauge!("dbgrpc_limiter_queue_depth").set(self.waiting as f64);
        ticket
    }

    /// The oldest waiter of the caller whose turn it is; that caller goes to
    /// the back of the round.
    fn next_waiter(&mut self) -> Option<Waiter> {
        let caller = self.turns.pop_front()?;
        let queue = self.queues.get_mut(&caller)?;
        let waiter = queue.pop_front();
        if queue.is_empty() {
            self.queues.remove(&caller);
        } else {
            self.turns.push_back(caller);
        }
        if waiter.is_some() {
            self.waiting -= 1;
            gauge!("dbgrpc_limiter_queue_depth").set(self.waiting as f64);
        }
        waiter
    }

    /// Takes waiter `ticket` of `caller` out of its queue, if still there.
    fn leave(&mut self, caller: u64, ticket: u64) {
        let Some(queue) = self.queues.get_mut(&caller) else {
            return;
        };
        let Some(index) = queue.iter().position(|waiter| waiter.ticket == ticket) else {
            return;
        };
        queue.remove(index);
        self.waiting -= 1;
        gauge!("dbgrpc_limiter_queue_depth").set(self.waiting as f64);
        if queue.is_empty() {
            self.queues.remove(&caller);
            self.turns.retain(|key| *key != caller);
        }
    }
}

// === impl QueuePlace ===

impl Drop for QueuePlace {
    fn drop(&mut self) {
        self.shared.lock().leave(self.caller, self.ticket);
    }
}

#[cfg(test)]
mod tests;
