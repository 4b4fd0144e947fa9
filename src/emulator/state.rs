//! The shared state behind every handler: the token, the store, the pace at
//! which the store's lifecycles advance, the execution contexts, and the
//! journal.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::time::Instant;

use super::{
    EmulatorConfig, JournalEntry, Pace,
    execution::Execution,
    faults::FaultPlan,
    journal::Journal,
    oauth::{IssuedTokens, Logins},
    store::Store,
};

/// Whether a request is one of the status reads that advance the workspace
/// by one step in [`Pace::PerRead`] mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    /// A status read (`libraries/cluster-status`, `all-cluster-statuses`,
    /// `clusters/get`).
    Poll,
    /// Anything else.
    Other,
}

/// The emulator's state; cheap to clone (an `Arc` inside). Build one with
/// [`EmulatorState::new`] and serve it with [`app`](super::app).
#[derive(Clone)]
pub struct EmulatorState {
    inner: Arc<Inner>,
}

struct Inner {
    token: String,
    logins: Logins,
    user_tokens: Vec<(String, String)>,
    issued_tokens: IssuedTokens,
    faults: FaultPlan,
    pace: Pace,
    started: Instant,
    workspace: Mutex<Workspace>,
    execution: Execution,
    journal: Journal,
}

/// The store plus how many timed steps it has already been given.
struct Workspace {
    store: Store,
    timed_steps: u128,
}

// === impl EmulatorState ===

impl EmulatorState {
    /// A fresh workspace with the two seeded clusters.
    pub fn new(config: EmulatorConfig) -> Self {
        let mut store = Store::seeded();
        store.seed_clusters(config.seeded_clusters);
        let workspace = Workspace {
            store,
            timed_steps: 0,
        };
        let inner = Inner {
            token: config.token,
            logins: config.logins,
            user_tokens: config.user_tokens,
            issued_tokens: IssuedTokens::default(),
            faults: FaultPlan::default(),
            pace: config.pace,
            started: Instant::now(),
            workspace: Mutex::new(workspace),
            execution: Execution::new(config.python),
            journal: Journal::default(),
        };
        Self {
            inner: Arc::new(inner),
        }
    }

    /// The one bearer token the emulator accepts.
    pub fn token(&self) -> &str {
        &self.inner.token
    }

    /// Other users' tokens, as (user name, token).
    pub(crate) fn user_tokens(&self) -> &[(String, String)] {
        &self.inner.user_tokens
    }

    /// The basic-auth and OAuth credentials accepted besides the token.
    pub fn logins(&self) -> &Logins {
        &self.inner.logins
    }

    /// The faults planned for coming requests.
    pub(crate) fn faults(&self) -> &FaultPlan {
        &self.inner.faults
    }

    /// The OAuth access tokens issued so far.
    pub(crate) fn issued_tokens(&self) -> &IssuedTokens {
        &self.inner.issued_tokens
    }

    /// How lifecycles advance.
    pub fn pace(&self) -> Pace {
        self.inner.pace
    }

    /// Advances every lifecycle by one step, whatever the pace.
    pub fn tick(&self) {
        self.lock().store.step();
    }

    /// Every request served so far, oldest first.
    pub fn journal(&self) -> Vec<JournalEntry> {
        self.inner.journal.entries()
    }

    /// Adds `clusters` running clusters with `libraries_per_cluster`
    /// installed libraries each (ids `0202-000000-wNNNNNNN`, sorting after
    /// the seeded clusters).
    pub fn seed_workspace(&self, clusters: usize, libraries_per_cluster: usize) {
        self.lock()
            .store
            .seed_workspace(clusters, libraries_per_cluster);
    }

    /// Adds `count` clusters for listing tests (see
    /// [`EmulatorConfig::with_seeded_clusters`]).
    pub fn seed_clusters(&self, count: usize) {
        self.lock().store.seed_clusters(count);
    }

    /// How many execution-context processes are alive.
    pub fn live_contexts(&self) -> usize {
        self.inner.execution.live()
    }

    pub(crate) fn execution(&self) -> &Execution {
        &self.inner.execution
    }

    pub(crate) fn journal_log(&self) -> &Journal {
        &self.inner.journal
    }

    /// Runs `f` on the store once the pace has had its say: timed steps that
    /// fell due are applied, and a [`Access::Poll`] in per-read mode steps once.
    pub(crate) fn with_store<R>(&self, access: Access, f: impl FnOnce(&mut Store) -> R) -> R {
        let mut workspace = self.lock();
        match self.inner.pace {
            Pace::Timed(period) => workspace.catch_up(period, self.inner.started.elapsed()),
            Pace::PerRead if access == Access::Poll => {
                workspace.store.step();
            }
            Pace::PerRead | Pace::Manual => {}
        }
        f(&mut workspace.store)
    }

    fn lock(&self) -> MutexGuard<'_, Workspace> {
        self.inner
            .workspace
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    #[cfg(test)]
    pub(crate) fn catch_up_at(&self, elapsed: std::time::Duration) {
        if let Pace::Timed(period) = self.inner.pace {
            self.lock().catch_up(period, elapsed);
        }
    }
}

impl std::fmt::Debug for EmulatorState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmulatorState")
            .field("token", &"<redacted>")
            .field("pace", &self.inner.pace)
            .finish_non_exhaustive()
    }
}

// === impl Workspace ===

/// The most steps one catch-up applies: the longest chain (start, then three
/// library stages) is far shorter, and a settled store stops earlier anyway.
const MAX_CATCH_UP: u32 = 64;

impl Workspace {
    /// Applies the steps due `elapsed` after start-up at one step per `period`
    /// (all of them at once for a zero period).
    fn catch_up(&mut self, period: std::time::Duration, elapsed: std::time::Duration) {
        let due = match period.as_nanos() {
            0 => self.timed_steps + u128::from(MAX_CATCH_UP),
            nanos => elapsed.as_nanos() / nanos,
        };
        let mut applied = 0;
        while self.timed_steps < due {
            if applied == MAX_CATCH_UP || !self.store.step() {
                // Nothing left to move: later changes start from the next due step.
                self.timed_steps = due;
                break;
            }
            self.timed_steps += 1;
            applied += 1;
        }
    }
}
