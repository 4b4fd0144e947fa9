//! Typed configuration: where Databricks is and how to authenticate, read from
//! flags first and then the environment, through [`Lookup`] so tests can pass a
//! map. Every problem is reported at once.

use std::{collections::HashMap, fmt, time::Duration};

/// Default time allowed for one upstream request when the caller set no
/// gRPC deadline.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

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
    /// Personal access token sent as `Authorization: Bearer`.
    pub token: Secret,
    /// Time allowed for one upstream request when the caller set no deadline.
    pub request_timeout: Duration,
}

/// Values given on the command line; they win over the environment.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// `--host`.
    pub host: Option<String>,
    /// `--token`.
    pub token: Option<Secret>,
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
    /// Resolves host and token from `overrides`, then `DATABRICKS_HOST` and
    /// `DATABRICKS_TOKEN` in `lookup`.
    pub fn resolve(overrides: Overrides, lookup: &dyn Lookup) -> Result<Self, ConfigError> {
        let mut problems = Vec::new();
        let host = overrides.host.or_else(|| lookup.get("DATABRICKS_HOST"));
        let token = overrides
            .token
            .or_else(|| lookup.get("DATABRICKS_TOKEN").map(Secret::new));
        let host = match host.as_deref().map(normalize_host) {
            None => {
                problems.push(
                    "no workspace host: set DATABRICKS_HOST or pass --host (or use --emulator)"
                        .to_owned(),
                );
                None
            }
            Some(Err(problem)) => {
                problems.push(problem);
                None
            }
            Some(Ok(host)) => Some(host),
        };
        if token.is_none() {
            problems.push(
                "no token: set DATABRICKS_TOKEN or pass --token (or use --emulator)".to_owned(),
            );
        }
        match (host, token) {
            (Some(host), Some(token)) if problems.is_empty() => Ok(Self {
                host,
                token,
                request_timeout: DEFAULT_REQUEST_TIMEOUT,
            }),
            _ => Err(ConfigError { problems }),
        }
    }

    /// Configuration for a known host and token (the emulator, tests).
    pub fn new(host: &str, token: Secret) -> Result<Self, ConfigError> {
        let host = normalize_host(host).map_err(|problem| ConfigError {
            problems: vec![problem],
        })?;
        Ok(Self {
            host,
            token,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
        })
    }

    /// Sets the time allowed for one upstream request without a deadline.
    pub fn with_request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }
}

/// Adds `https://` when no scheme is given, drops a trailing `/` and `:443`,
/// like the Databricks SDKs.
fn normalize_host(raw: &str) -> Result<String, String> {
    let raw = raw.trim();
    let with_scheme = if raw.contains("://") {
        raw.to_owned()
    } else {
        format!("https://{raw}")
    };
    let url = reqwest::Url::parse(&with_scheme)
        .map_err(|error| format!("DATABRICKS_HOST {raw:?} is not a URL: {error}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!(
            "DATABRICKS_HOST {raw:?} must use https:// (or http:// for a local emulator)"
        ));
    }
    let Some(host) = url.host_str() else {
        return Err(format!("DATABRICKS_HOST {raw:?} has no host name"));
    };
    if !url.path().trim_end_matches('/').is_empty() || url.query().is_some() {
        return Err(format!(
            "DATABRICKS_HOST {raw:?} must be the workspace URL alone, without a path"
        ));
    }
    // `Url::port()` is None for the scheme's default port, which drops `:443`.
    Ok(match url.port() {
        Some(port) => format!("{}://{host}:{port}", url.scheme()),
        None => format!("{}://{host}", url.scheme()),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn map(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn reads_host_and_token_and_normalizes() {
        let env = map(&[
            ("DATABRICKS_HOST", "adb-123.azuredatabricks.net:443/"),
            ("DATABRICKS_TOKEN", "dapi1"),
        ]);
        let config = DatabricksConfig::resolve(Overrides::default(), &env).unwrap();
        assert_eq!(config.host, "https://adb-123.azuredatabricks.net");
        assert_eq!(config.token.expose(), "dapi1");
    }

    #[test]
    fn flags_win_over_environment() {
        let env = map(&[
            ("DATABRICKS_HOST", "https://a.example"),
            ("DATABRICKS_TOKEN", "env"),
        ]);
        let overrides = Overrides {
            host: Some("http://127.0.0.1:8080".into()),
            token: Some(Secret::new("flag")),
        };
        let config = DatabricksConfig::resolve(overrides, &env).unwrap();
        assert_eq!(config.host, "http://127.0.0.1:8080");
        assert_eq!(config.token.expose(), "flag");
    }

    #[test]
    fn reports_every_problem_at_once() {
        let error = DatabricksConfig::resolve(Overrides::default(), &map(&[])).unwrap_err();
        assert_eq!(error.problems.len(), 2);
        let text = error.to_string();
        assert!(
            text.contains("DATABRICKS_HOST") && text.contains("DATABRICKS_TOKEN"),
            "{text}"
        );
    }

    #[test]
    fn rejects_paths_and_odd_schemes() {
        let env = map(&[
            ("DATABRICKS_HOST", "https://a.example/api"),
            ("DATABRICKS_TOKEN", "t"),
        ]);
        assert!(DatabricksConfig::resolve(Overrides::default(), &env).is_err());
        let env = map(&[
            ("DATABRICKS_HOST", "ftp://a.example"),
            ("DATABRICKS_TOKEN", "t"),
        ]);
        assert!(DatabricksConfig::resolve(Overrides::default(), &env).is_err());
    }

    #[test]
    fn secret_never_prints() {
        let env = map(&[
            ("DATABRICKS_HOST", "a.example"),
            ("DATABRICKS_TOKEN", "dapi-very-secret"),
        ]);
        let config = DatabricksConfig::resolve(Overrides::default(), &env).unwrap();
        let shown = format!("{config:?} {}", config.token);
        assert!(!shown.contains("dapi-very-secret"), "{shown}");
    }
}
