//! The resolution rules, as the Databricks SDKs apply them: values given as
//! flags win, then `DATABRICKS_*` environment variables, then the profile in
//! `~/.databrickscfg` (a file value never overwrites one already set); hosts
//! are normalised and plain `http://` is kept to loopback.

use std::{collections::HashMap, path::PathBuf, time::Duration};

use super::{
    ConfigError, ConfigFile, Credentials, DEFAULT_RATE_BURST, DEFAULT_RATE_LIMIT,
    DEFAULT_REQUEST_TIMEOUT, DEFAULT_RETRY_TIMEOUT, DatabricksConfig, Lookup, Overrides, RateLimit,
    credentials, netrc,
};

// === impl DatabricksConfig ===

impl DatabricksConfig {
    /// Resolves host and credentials from `overrides`, the environment and
    /// the config-file profile, like the SDKs.
    pub fn resolve(overrides: Overrides, lookup: &dyn Lookup) -> Result<Self, ConfigError> {
        let mut problems = Vec::new();
        let (profile, profile_source) = match load_profile(&overrides, lookup) {
            Ok(found) => found,
            Err(problem) => {
                problems.push(problem);
                (HashMap::new(), None)
            }
        };
        let value = |flag: Option<String>, key: &str| -> Option<String> {
            flag.or_else(|| lookup.get(&format!("DATABRICKS_{}", key.to_ascii_uppercase())))
                .or_else(|| profile.get(key).filter(|v| !v.is_empty()).cloned())
        };
        let host = value(overrides.host.clone(), "host");
        let allow_http = overrides.allow_insecure_http;
        let host = match host
            .as_deref()
            .map(|raw| normalize_host(raw).and_then(|h| check_transport(h, allow_http)))
        {
            None => {
                problems.push("no workspace host: set DATABRICKS_HOST, pass --host, use a profile with host = … (or use --emulator)".to_owned());
                None
            }
            Some(Err(problem)) => {
                problems.push(problem);
                None
            }
            Some(Ok(host)) => Some(host),
        };
        let fields = credentials::Fields {
            token: value(overrides.token.map(|t| t.0), "token"),
            username: value(None, "username"),
            password: value(None, "password"),
            client_id: value(overrides.client_id, "client_id"),
            client_secret: value(overrides.client_secret.map(|s| s.0), "client_secret"),
            auth_type: value(overrides.auth_type, "auth_type"),
        };
        let netrc = match (&host, overrides.netrc) {
            (Some(host), true) => netrc::credentials_for(host, lookup),
            _ => None,
        };
        let credentials = if overrides.pass_through {
            Ok(Credentials::PassThrough)
        } else {
            credentials::choose(fields, netrc)
        };
        let credentials = match credentials {
            Ok(credentials) => Some(credentials),
            Err(problem) => {
                problems.push(problem);
                None
            }
        };
        let mut seconds = |flag: Option<Duration>, key: &str, default: Duration| {
            flag.or_else(|| match profile.get(key).filter(|v| !v.is_empty()) {
                None => None,
                Some(raw) => match raw.trim().parse::<u64>() {
                    Ok(value) if value > 0 => Some(Duration::from_secs(value)),
                    _ => {
                        problems.push(format!(
                            "{key} = {raw:?} in the profile is not a whole number of seconds above zero"
                        ));
                        None
                    }
                },
            })
            .unwrap_or(default)
        };
        let request_timeout = seconds(
            overrides.request_timeout,
            "http_timeout_seconds",
            DEFAULT_REQUEST_TIMEOUT,
        );
        let retry_timeout = seconds(
            overrides.retry_timeout,
            "retry_timeout_seconds",
            DEFAULT_RETRY_TIMEOUT,
        );
        let per_second = match overrides.rate_limit {
            Some(rate) => rate,
            None => match value(None, "rate_limit") {
                None => DEFAULT_RATE_LIMIT,
                Some(raw) => raw.trim().parse::<u32>().unwrap_or_else(|_| {
                    problems.push(format!(
                        "rate_limit = {raw:?} (DATABRICKS_RATE_LIMIT or the profile) is not a whole number of requests per second"
                    ));
                    DEFAULT_RATE_LIMIT
                }),
            },
        };
        let rate_limit = RateLimit {
            per_second,
            burst: overrides.rate_burst.unwrap_or(DEFAULT_RATE_BURST),
        };
        match (host, credentials) {
            (Some(host), Some(credentials)) if problems.is_empty() => Ok(Self {
                host,
                source: profile_source.unwrap_or_else(|| "flags and environment".to_owned()),
                credentials,
                request_timeout,
                retry_timeout,
                rate_limit,
            }),
            _ => Err(ConfigError { problems }),
        }
    }
}

/// The keys of the selected profile and a description of where it came
/// from. A profile named explicitly must exist; a missing `[DEFAULT]` is
/// fine.
fn load_profile(
    overrides: &Overrides,
    lookup: &dyn Lookup,
) -> Result<(HashMap<String, String>, Option<String>), String> {
    let path = match lookup.get("DATABRICKS_CONFIG_FILE") {
        Some(path) => PathBuf::from(path),
        None => match lookup.get("HOME") {
            Some(home) => PathBuf::from(home).join(".databrickscfg"),
            None => return Ok((HashMap::new(), None)),
        },
    };
    let explicit = overrides
        .profile
        .clone()
        .or_else(|| lookup.get("DATABRICKS_CONFIG_PROFILE"));
    let file = ConfigFile::read(&path)
        .map_err(|error| format!("could not read {}: {error}", path.display()))?;
    let Some(file) = file else {
        return match explicit {
            Some(name) => Err(format!(
                "profile [{name}] was asked for, but {} does not exist",
                path.display()
            )),
            None => Ok((HashMap::new(), None)),
        };
    };
    let name = explicit
        .clone()
        .or_else(|| file.default_profile().map(str::to_owned))
        .unwrap_or_else(|| "DEFAULT".to_owned());
    match file.profile(&name) {
        Some(profile) => Ok((
            profile.clone(),
            Some(format!("profile [{name}] in {}", path.display())),
        )),
        None if explicit.is_some() => Err(format!("profile [{name}] is not in {}", path.display())),
        None => Ok((HashMap::new(), None)),
    }
}

/// Adds `https://` when no scheme is given, drops a trailing `/` and `:443`,
/// like the Databricks SDKs.
pub(super) fn normalize_host(raw: &str) -> Result<String, String> {
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

/// Plain `http://` only to loopback (the emulator), unless explicitly allowed:
/// credentials must not cross a network unencrypted by accident.
pub(super) fn check_transport(host: String, allow_insecure_http: bool) -> Result<String, String> {
    let Some(rest) = host.strip_prefix("http://") else {
        return Ok(host);
    };
    let name = rest
        .rsplit_once(':')
        .map_or(rest, |(name, _)| name)
        .trim_matches(['[', ']']);
    let loopback = name == "localhost"
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    if loopback || allow_insecure_http {
        Ok(host)
    } else {
        Err(format!(
            "{host} uses plain http:// to a host that is not loopback, which would send credentials \
             unencrypted; use https:// or pass --allow-insecure-http"
        ))
    }
}
