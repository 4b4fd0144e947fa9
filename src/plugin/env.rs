//! What a go-plugin host tells its plugin through `PLUGIN_*` environment
//! variables, read through [`Lookup`] so tests pass a map.

use std::{ops::RangeInclusive, path::PathBuf};

use crate::config::Lookup;

/// The `PLUGIN_*` settings of one launch.
#[derive(Clone, PartialEq, Eq)]
pub struct PluginEnv {
    /// `PLUGIN_PROTOCOL_VERSIONS`: the app versions the host speaks, in its
    /// (arbitrary) order; unparsable entries are dropped.
    pub protocol_versions: Vec<u32>,
    /// `PLUGIN_MIN_PORT..=PLUGIN_MAX_PORT`: ports to try for TCP; `0..=0`
    /// lets the OS pick.
    pub ports: RangeInclusive<u16>,
    /// `PLUGIN_CLIENT_CERT`: the host's certificate (PEM); present only when
    /// the host wants AutoMTLS.
    pub client_cert: Option<String>,
    /// `PLUGIN_UNIX_SOCKET_DIR`: where to create the socket (else the temp dir).
    pub unix_socket_dir: Option<PathBuf>,
    /// `PLUGIN_UNIX_SOCKET_GROUP`: group name or gid that must own the socket.
    pub unix_socket_group: Option<String>,
    /// `PLUGIN_MULTIPLEX_GRPC` was set: the host expects handshake field 7.
    pub multiplex_requested: bool,
}

/// `PLUGIN_*` values that cannot be used; lists every problem.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid go-plugin environment:\n  - {}", .problems.join("\n  - "))]
pub struct EnvError {
    /// One sentence per problem.
    pub problems: Vec<String>,
}

// === impl PluginEnv ===

impl PluginEnv {
    /// Reads the `PLUGIN_*` variables.
    ///
    /// # Errors
    ///
    /// [`EnvError`] when a port is not a number or the range is reversed.
    pub fn from_lookup(lookup: &dyn Lookup) -> Result<Self, EnvError> {
        let mut problems = Vec::new();
        let min = port(lookup, "PLUGIN_MIN_PORT", &mut problems);
        let max = port(lookup, "PLUGIN_MAX_PORT", &mut problems);
        if min > max {
            problems.push(format!(
                "PLUGIN_MIN_PORT ({min}) is above PLUGIN_MAX_PORT ({max})"
            ));
        }
        if !problems.is_empty() {
            return Err(EnvError { problems });
        }
        Ok(Self {
            protocol_versions: versions(lookup.get("PLUGIN_PROTOCOL_VERSIONS")),
            ports: min..=max,
            client_cert: lookup.get("PLUGIN_CLIENT_CERT"),
            unix_socket_dir: lookup.get("PLUGIN_UNIX_SOCKET_DIR").map(PathBuf::from),
            unix_socket_group: lookup.get("PLUGIN_UNIX_SOCKET_GROUP"),
            multiplex_requested: lookup.get("PLUGIN_MULTIPLEX_GRPC").is_some(),
        })
    }

    /// Whether the host asked for AutoMTLS.
    pub fn auto_mtls(&self) -> bool {
        self.client_cert.is_some()
    }
}

impl std::fmt::Debug for PluginEnv {
    // The certificate is public, but long: show whether it is there.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PluginEnv")
            .field("protocol_versions", &self.protocol_versions)
            .field("ports", &self.ports)
            .field("auto_mtls", &self.auto_mtls())
            .field("unix_socket_dir", &self.unix_socket_dir)
            .field("unix_socket_group", &self.unix_socket_group)
            .field("multiplex_requested", &self.multiplex_requested)
            .finish()
    }
}

/// A port variable: absent or empty means 0.
fn port(lookup: &dyn Lookup, key: &str, problems: &mut Vec<String>) -> u16 {
    match lookup.get(key) {
        None => 0,
        Some(text) => text.trim().parse().unwrap_or_else(|_| {
            problems.push(format!("{key}={text:?} is not a port number"));
            0
        }),
    }
}

/// The comma-separated version list; entries that are not numbers are
/// dropped with a warning, as Go plugins do.
fn versions(text: Option<String>) -> Vec<u32> {
    let Some(text) = text else {
        return Vec::new();
    };
    text.split(',')
        .filter_map(|entry| match entry.trim().parse() {
            Ok(version) => Some(version),
            Err(_) => {
                tracing::warn!(
                    entry,
                    "ignoring a PLUGIN_PROTOCOL_VERSIONS entry that is not a number"
                );
                None
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn read(pairs: &[(&str, &str)]) -> Result<PluginEnv, EnvError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(key, value)| ((*key).to_owned(), (*value).to_owned()))
            .collect();
        PluginEnv::from_lookup(&map)
    }

    #[test]
    fn a_terraform_like_launch() {
        let env = read(&[
            ("PLUGIN_PROTOCOL_VERSIONS", "6,5,x"),
            ("PLUGIN_MIN_PORT", "10000"),
            ("PLUGIN_MAX_PORT", "25000"),
            ("PLUGIN_CLIENT_CERT", "-----BEGIN CERTIFICATE-----\n..."),
        ])
        .unwrap();
        assert_eq!(env.protocol_versions, vec![6, 5]);
        assert_eq!(env.ports, 10000..=25000);
        assert!(env.auto_mtls());
        assert!(!env.multiplex_requested);
        assert!(!format!("{env:?}").contains("BEGIN"));
    }

    #[test]
    fn nothing_set_means_defaults() {
        let env = read(&[]).unwrap();
        assert!(env.protocol_versions.is_empty());
        assert_eq!(env.ports, 0..=0);
        assert!(!env.auto_mtls());
        assert_eq!(env.unix_socket_dir, None);
    }

    #[test]
    fn every_bad_port_is_reported() {
        let error = read(&[("PLUGIN_MIN_PORT", "low"), ("PLUGIN_MAX_PORT", "70000")]).unwrap_err();
        assert_eq!(error.problems.len(), 2, "{error}");
        let error = read(&[("PLUGIN_MIN_PORT", "20"), ("PLUGIN_MAX_PORT", "10")]).unwrap_err();
        assert!(error.to_string().contains("above"), "{error}");
    }
}
