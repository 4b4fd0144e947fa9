//! Typed configuration: where Databricks is and how to authenticate. The
//! types live here; `resolve.rs` holds the rules that fill them the way the
//! Databricks SDKs do. All reads go through [`Lookup`], so tests can pass a
//! map; every problem is reported at once.

mod credentials;
mod netrc;
mod profile;
mod resolve;

use std::{collections::HashMap, fmt, time::Duration};

pub use credentials::Credentials;
pub use profile::ConfigFile;
use resolve::{check_transport, normalize_host};

/// Default retry budget of a call without a deadline (as the Python SDK).
pub const DEFAULT_RETRY_TIMEOUT: Duration = Duration::from_secs(300);

/// Default time allowed for one upstream request when the caller set no
/// gRPC deadline.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// Default workspace request rate, requests/s (as the Databricks Go SDK).
pub const DEFAULT_RATE_LIMIT: u32 = 15;

/// Default burst of the workspace rate limit.
pub const DEFAULT_RATE_BURST: u32 = 30;

/// Reads a configuration key (an environment variable name).
pub trait Lookup {
    /// The value of `key`, if set and not empty.
    fn get(&self, key: &str) -> Option<String>;
}

/// The process environment.
#[derive(Debug, Clone, Copy, Default)]
pub struct Environment;

/// A secret value whose `Debug` and `Display` never show it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

/// How to reach one Databricks workspace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatabricksConfig {
    /// Normalized base URL: scheme, host and port, no trailing `/`.
    pub host: String,
    /// How requests authenticate.
    pub credentials: Credentials,
    /// Where the settings came from, for the start-up log (never secrets).
    pub source: String,
    /// Time allowed for one upstream request when the caller set no deadline.
    pub request_timeout: Duration,
    /// How long a call may keep retrying transient failures when the caller
    /// set no deadline.
    pub retry_timeout: Duration,
    /// The workspace-wide request rate limit (every call, stream poll and
    /// token fetch shares it).
    pub rate_limit: RateLimit,
}

/// A token bucket: `per_second` requests a second on average, up to `burst`
/// at once. A rate of 0 turns the limit off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Requests per second (`--rate-limit`, `rate_limit` in the profile,
    /// DATABRICKS_RATE_LIMIT); 0 = no limit.
    pub per_second: u32,
    /// Requests that may go at once after a quiet spell (`--rate-burst`).
    pub burst: u32,
}

/// Values given on the command line; they win over the environment.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// `--host`.
    pub host: Option<String>,
    /// `--token`.
    pub token: Option<Secret>,
    /// `--profile`: the `~/.databrickscfg` section to read.
    pub profile: Option<String>,
    /// `--auth-type`: `pat`, `basic` or `oauth-m2m`.
    pub auth_type: Option<String>,
    /// The service principal's OAuth client id (the Terraform provider's
    /// `client_id`); else DATABRICKS_CLIENT_ID or the profile's.
    pub client_id: Option<String>,
    /// The service principal's OAuth client secret (the Terraform
    /// provider's `client_secret`); else DATABRICKS_CLIENT_SECRET or the
    /// profile's.
    pub client_secret: Option<Secret>,
    /// `--netrc`: also look for credentials in `~/.netrc` (opt-in; the SDKs
    /// never read it).
    pub netrc: bool,
    /// `--allow-insecure-http`: permit plain `http://` to a host that is not
    /// loopback (credentials then cross the network unencrypted).
    pub allow_insecure_http: bool,
    /// `--request-timeout`; else the profile's `http_timeout_seconds`.
    pub request_timeout: Option<Duration>,
    /// `--retry-timeout`; else the profile's `retry_timeout_seconds`.
    pub retry_timeout: Option<Duration>,
    /// `--rate-limit`; else DATABRICKS_RATE_LIMIT or the profile's
    /// `rate_limit`.
    pub rate_limit: Option<u32>,
    /// `--rate-burst`.
    pub rate_burst: Option<u32>,
    /// `--auth-passthrough`: resolve the host only; every call carries its
    /// caller's own credentials, and none are read from the environment,
    /// profiles or `.netrc`.
    pub pass_through: bool,
}

/// Configuration that could not be resolved; lists every problem.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid Databricks configuration:\n  - {}", .problems.join("\n  - "))]
pub struct ConfigError {
    /// One sentence per problem.
    pub problems: Vec<String>,
}

// === impl Lookup ===

impl Lookup for Environment {
    fn get(&self, key: &str) -> Option<String> {
        std::env::var(key).ok().filter(|value| !value.is_empty())
    }
}

impl Lookup for HashMap<String, String> {
    fn get(&self, key: &str) -> Option<String> {
        HashMap::get(self, key)
            .filter(|value| !value.is_empty())
            .cloned()
    }
}

// === impl Secret ===

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself, for the one place that must send it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

// === impl DatabricksConfig ===

impl DatabricksConfig {
    /// Configuration for a known host and token (the emulator, tests).
    pub fn new(host: &str, token: Secret) -> Result<Self, ConfigError> {
        Self::with_credentials(host, Credentials::Pat { token })
    }

    /// Configuration for a known host and credentials.
    pub fn with_credentials(host: &str, credentials: Credentials) -> Result<Self, ConfigError> {
        let host = normalize_host(host)
            .and_then(|h| check_transport(h, false))
            .map_err(|problem| ConfigError {
                problems: vec![problem],
            })?;
        Ok(Self {
            host,
            credentials,
            source: "explicit".to_owned(),
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            retry_timeout: DEFAULT_RETRY_TIMEOUT,
            rate_limit: RateLimit::default(),
        })
    }

    /// Sets the workspace rate limit.
    pub fn with_rate_limit(mut self, rate_limit: RateLimit) -> Self {
        self.rate_limit = rate_limit;
        self
    }

    /// Sets how long a call may retry transient failures without a deadline.
    pub fn with_retry_timeout(mut self, timeout: Duration) -> Self {
        self.retry_timeout = timeout;
        self
    }

    /// Sets the time allowed for one upstream request without a deadline.
    pub fn with_request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }
}

// === impl RateLimit ===

impl RateLimit {
    /// No limit: every request goes at once.
    pub const OFF: Self = Self {
        per_second: 0,
        burst: 0,
    };

    /// True when the limit is off.
    pub fn is_off(self) -> bool {
        self.per_second == 0
    }

    /// The bucket's size: the burst, at least one request.
    pub fn burst_size(self) -> u32 {
        self.burst.max(1)
    }
}

impl Default for RateLimit {
    /// [`DEFAULT_RATE_LIMIT`] requests/s, bursts of [`DEFAULT_RATE_BURST`].
    fn default() -> Self {
        Self {
            per_second: DEFAULT_RATE_LIMIT,
            burst: DEFAULT_RATE_BURST,
        }
    }
}

#[cfg(test)]
mod tests;
