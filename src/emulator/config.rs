//! How to run the emulator: [`EmulatorConfig`] (token, logins, interpreter)
//! and [`Pace`], how its lifecycles advance.

use std::time::Duration;

use super::Logins;

/// The token the emulator accepts unless configured otherwise.
pub const DEFAULT_TOKEN: &str = "dapi-emulator-token";
/// The interpreter execution contexts run unless configured otherwise.
pub const DEFAULT_PYTHON: &str = "python3";

/// How lifecycles advance. One step moves every cluster transition
/// (`PENDING`→`RUNNING`, `RESTARTING`→`RUNNING`, `TERMINATING`→`TERMINATED`)
/// and every library stage on a running cluster forward by one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pace {
    /// One step per period of wall-clock time, applied lazily when a request
    /// arrives; a zero period settles everything at the next request.
    Timed(Duration),
    /// Each status read (`libraries/cluster-status`,
    /// `libraries/all-cluster-statuses`, `clusters/get`) first steps once.
    PerRead,
    /// Only [`EmulatorHandle::tick`](super::EmulatorHandle::tick) steps.
    Manual,
}

/// How to run the emulator.
#[derive(Clone)]
pub struct EmulatorConfig {
    /// The one bearer token accepted.
    pub token: String,
    /// How lifecycles advance.
    pub pace: Pace,
    /// The Python 3.8+ interpreter that runs execution contexts: a path, or
    /// a name looked up on `PATH`.
    pub python: String,
    /// Basic-auth and OAuth M2M credentials accepted besides the token.
    pub logins: Logins,
    /// More users' bearer tokens, as (user name, token). The journal records
    /// which user each request authenticated as.
    pub user_tokens: Vec<(String, String)>,
    /// Extra clusters for listing tests, besides the two seeded ones (see
    /// [`EmulatorConfig::with_seeded_clusters`]).
    pub seeded_clusters: usize,
}

// === impl Pace ===

impl Default for Pace {
    /// Two seconds per step.
    fn default() -> Self {
        Self::Timed(Duration::from_secs(2))
    }
}

// === impl EmulatorConfig ===

impl Default for EmulatorConfig {
    /// [`DEFAULT_TOKEN`], the default [`Pace`] and [`DEFAULT_PYTHON`].
    fn default() -> Self {
        Self {
            token: DEFAULT_TOKEN.to_owned(),
            pace: Pace::default(),
            python: DEFAULT_PYTHON.to_owned(),
            logins: Logins::default(),
            user_tokens: Vec::new(),
            seeded_clusters: 0,
        }
    }
}

impl EmulatorConfig {
    /// Accept `token` instead.
    pub fn with_token(mut self, token: impl Into<String>) -> Self {
        self.token = token.into();
        self
    }

    /// Advance lifecycles at `pace`.
    pub fn with_pace(mut self, pace: Pace) -> Self {
        self.pace = pace;
        self
    }

    /// Accept these basic-auth and OAuth credentials.
    pub fn with_logins(mut self, logins: Logins) -> Self {
        self.logins = logins;
        self
    }

    /// Also accept `token` as the personal access token of user `name`.
    pub fn with_user_token(mut self, name: impl Into<String>, token: impl Into<String>) -> Self {
        self.user_tokens.push((name.into(), token.into()));
        self
    }

    /// Start with `count` more clusters (ids `0303-000000-sNNNNNNN`, names
    /// `seeded-NNNN`): every third TERMINATED, the rest RUNNING; sources
    /// cycling UI, API, JOB; every fifth pinned; every fourth under policy
    /// `policy-a`. Enough of them make `clusters/list` page.
    pub fn with_seeded_clusters(mut self, count: usize) -> Self {
        self.seeded_clusters = count;
        self
    }

    /// Run execution contexts with `python` (a path or a name on `PATH`).
    pub fn with_python(mut self, python: impl Into<String>) -> Self {
        self.python = python.into();
        self
    }
}

impl std::fmt::Debug for EmulatorConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmulatorConfig")
            .field("token", &"<redacted>")
            .field("pace", &self.pace)
            .field("python", &self.python)
            .finish()
    }
}
