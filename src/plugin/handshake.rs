//! The handshake line: the first and only line the plugin writes on stdout,
//! `CORE|APP|NETWORK|ADDRESS|grpc|SERVERCERT`, plus the app version choice.

use std::fmt;

use base64::{Engine as _, engine::general_purpose::STANDARD_NO_PAD};

use super::{CORE_PROTOCOL_VERSION, SUPPORTED_VERSIONS};

/// How the host reaches the plugin (handshake field 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Network {
    /// A unix domain socket; the address is its path.
    #[default]
    Unix,
    /// TCP on 127.0.0.1; the address is `127.0.0.1:PORT`.
    Tcp,
}

/// One plugin launch's handshake, formatted by `Display` (without the
/// trailing newline).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handshake {
    /// The negotiated app protocol version (field 2).
    pub app_version: u32,
    /// Field 3.
    pub network: Network,
    /// Field 4: the socket path or `127.0.0.1:PORT`.
    pub address: String,
    /// Field 6: our certificate (DER) under AutoMTLS; never set otherwise,
    /// as a host without AutoMTLS crashes on a certificate.
    pub server_cert: Option<Vec<u8>>,
    /// Field 7, printed only when the host set `PLUGIN_MULTIPLEX_GRPC`
    /// (older hosts would glue it onto the certificate). Always `false`:
    /// we do not multiplex brokered connections.
    pub multiplex: Option<bool>,
}

/// The app protocol version to announce: the highest version both sides
/// speak, else our lowest (the host then reports a clear version mismatch).
pub fn negotiate_version(offered: &[u32]) -> u32 {
    negotiate_version_among(SUPPORTED_VERSIONS, offered)
}

/// The highest of `supported` (non-empty, lowest first) that the host
/// `offered`, else the lowest of `supported`.
pub fn negotiate_version_among(supported: &[u32], offered: &[u32]) -> u32 {
    let lowest = supported.first().copied().unwrap_or_default();
    supported
        .iter()
        .copied()
        .filter(|version| offered.contains(version))
        .max()
        .unwrap_or(lowest)
}

// === impl Network ===

impl Network {
    /// The handshake spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unix => "unix",
            Self::Tcp => "tcp",
        }
    }
}

// === impl Handshake ===

impl fmt::Display for Handshake {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // go-plugin decodes field 6 with unpadded standard base64.
        let cert = self
            .server_cert
            .as_deref()
            .map(|der| STANDARD_NO_PAD.encode(der))
            .unwrap_or_default();
        write!(
            f,
            "{CORE_PROTOCOL_VERSION}|{}|{}|{}|grpc|{cert}",
            self.app_version,
            self.network.as_str(),
            self.address
        )?;
        match self.multiplex {
            Some(multiplex) => write!(f, "|{multiplex}"),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn handshake() -> Handshake {
        Handshake {
            app_version: 1,
            network: Network::Unix,
            address: "/tmp/plugin123".into(),
            server_cert: None,
            multiplex: None,
        }
    }

    #[test]
    fn plaintext_line_ends_with_an_empty_cert_field() {
        assert_eq!(handshake().to_string(), "1|1|unix|/tmp/plugin123|grpc|");
    }

    #[test]
    fn tcp_line() {
        let line = Handshake {
            network: Network::Tcp,
            address: "127.0.0.1:10000".into(),
            ..handshake()
        };
        assert_eq!(line.to_string(), "1|1|tcp|127.0.0.1:10000|grpc|");
    }

    #[test]
    fn cert_is_unpadded_standard_base64() {
        // 0xfb 0xff encodes with '+', '/' and, padded, one '='.
        let line = Handshake {
            server_cert: Some(vec![0xfb, 0xff]),
            ..handshake()
        };
        assert_eq!(line.to_string(), "1|1|unix|/tmp/plugin123|grpc|+/8");
    }

    #[test]
    fn multiplex_field_only_when_asked() {
        let line = Handshake {
            multiplex: Some(false),
            ..handshake()
        };
        assert_eq!(line.to_string(), "1|1|unix|/tmp/plugin123|grpc||false");
    }

    #[test]
    fn version_negotiation() {
        assert_eq!(negotiate_version(&[1]), 1);
        assert_eq!(negotiate_version(&[6, 1, 5]), 1);
        // No overlap or nothing offered: our lowest, so the host names the mismatch.
        assert_eq!(negotiate_version(&[5, 6]), SUPPORTED_VERSIONS[0]);
        assert_eq!(negotiate_version(&[]), SUPPORTED_VERSIONS[0]);
    }

    #[test]
    fn version_negotiation_among_other_supported_versions() {
        // Terraform offers "5,6" or "6,5"; a protocol-6 provider picks 6.
        assert_eq!(negotiate_version_among(&[6], &[5, 6]), 6);
        assert_eq!(negotiate_version_among(&[6], &[6, 5]), 6);
        assert_eq!(negotiate_version_among(&[5, 6], &[6, 5]), 6);
        assert_eq!(negotiate_version_among(&[5, 6], &[5]), 5);
        assert_eq!(negotiate_version_among(&[6], &[1]), 6);
    }
}
