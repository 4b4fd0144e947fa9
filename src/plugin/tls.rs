//! AutoMTLS: when the host sends `PLUGIN_CLIENT_CERT`, the plugin makes a
//! fresh self-signed certificate for this run (P-256, SAN `localhost`),
//! serves TLS 1.3/1.2 with ALPN `h2`, and requires the host's certificate,
//! pinned exactly ([`PinnedClientCert`]). Everything uses the aws-lc-rs
//! provider, which can verify the host's P-521 signatures (ring cannot).

use std::sync::Arc;

use rustls::{
    ServerConfig,
    crypto::CryptoProvider,
    pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, pem::PemObject as _},
};
use tokio_rustls::TlsAcceptor;

pub use super::pinned::PinnedClientCert;

/// The server side of AutoMTLS for one run.
pub struct AutoTls {
    /// Accepts TLS connections from the pinned host only.
    pub acceptor: TlsAcceptor,
    /// Our certificate (DER), for handshake field 6.
    pub server_cert: CertificateDer<'static>,
}

/// AutoMTLS could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// `PLUGIN_CLIENT_CERT` holds no PEM certificate.
    #[error("PLUGIN_CLIENT_CERT is not a PEM certificate")]
    ClientCert(#[source] rustls::pki_types::pem::Error),
    /// The key pair or certificate could not be generated.
    #[error("could not generate the plugin's certificate")]
    Generate(#[from] rcgen::Error),
    /// rustls refused the configuration.
    #[error("could not configure TLS")]
    Config(#[from] rustls::Error),
}

/// The crypto provider plugin TLS uses: aws-lc-rs (P-521 capable).
pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// The host's certificate from `PLUGIN_CLIENT_CERT` (the first PEM block).
///
/// # Errors
///
/// [`TlsError::ClientCert`] when there is no PEM certificate.
pub fn parse_client_cert(pem: &str) -> Result<CertificateDer<'static>, TlsError> {
    CertificateDer::from_pem_slice(pem.as_bytes()).map_err(TlsError::ClientCert)
}

// === impl AutoTls ===

impl AutoTls {
    /// A fresh certificate and a server config that pins `client_cert_pem`.
    ///
    /// # Errors
    ///
    /// When the host's certificate cannot be parsed or ours generated.
    pub fn new(client_cert_pem: &str) -> Result<Self, TlsError> {
        let host_cert = parse_client_cert(client_cert_pem)?;
        let (server_cert, key) = generate_cert()?;
        let provider = provider();
        let verifier = Arc::new(PinnedClientCert::new(host_cert, provider.clone()));
        let mut config = ServerConfig::builder_with_provider(provider)
            .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])?
            .with_client_cert_verifier(verifier)
            .with_single_cert(vec![server_cert.clone()], key)?;
        // grpc-go >= 1.67 refuses a TLS server that did not select h2.
        config.alpn_protocols = vec![b"h2".to_vec()];
        Ok(Self {
            acceptor: TlsAcceptor::from(Arc::new(config)),
            server_cert,
        })
    }
}

/// A self-signed P-256 certificate for `localhost` (SAN: Go ignores the CN)
/// usable for both server and client auth, and its PKCS#8 key.
fn generate_cert() -> Result<(CertificateDer<'static>, PrivateKeyDer<'static>), rcgen::Error> {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?;
    let mut params = rcgen::CertificateParams::new(vec!["localhost".to_owned()])?;
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "localhost");
    params.extended_key_usages = vec![
        rcgen::ExtendedKeyUsagePurpose::ServerAuth,
        rcgen::ExtendedKeyUsagePurpose::ClientAuth,
    ];
    let cert = params.self_signed(&key)?;
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
    Ok((cert.der().clone(), key))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host_pem() -> String {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P521_SHA512).unwrap();
        let mut params = rcgen::CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params.self_signed(&key).unwrap().pem()
    }

    #[test]
    fn parses_the_hosts_pem() {
        let pem = host_pem();
        let der = parse_client_cert(&pem).unwrap();
        assert!(der.len() > 100);
        assert!(matches!(
            parse_client_cert("not a cert"),
            Err(TlsError::ClientCert(_))
        ));
    }

    #[test]
    fn every_run_gets_a_fresh_certificate() {
        let pem = host_pem();
        let first = AutoTls::new(&pem).unwrap();
        let second = AutoTls::new(&pem).unwrap();
        assert_ne!(first.server_cert, second.server_cert);
        assert_eq!(first.acceptor.config().alpn_protocols, vec![b"h2".to_vec()]);
    }

    /// Every start makes a fresh key, which is AWS-LC's first use of its
    /// random generator. Built with CPU Jitter Entropy, that first use runs
    /// the jitter collector's start-up tests (~420 M instructions, most of
    /// an AutoMTLS start); `.cargo/config.toml` builds AWS-LC without it.
    /// Its functions (`<prefix>_jent_…`) are then absent from the binary.
    #[test]
    fn aws_lc_is_built_without_cpu_jitter_entropy() {
        let binary = std::fs::read(std::env::current_exe().unwrap()).unwrap();
        // The suffix is spelt backwards here, so this test's own literal
        // (laid out next to other string data) can never match it.
        let suffix: Vec<u8> = b"colla_rotcelloc_yportne_tnej_"
            .iter()
            .rev()
            .copied()
            .collect();
        let jitter_symbols: Vec<_> = binary
            .split(|&byte| byte == 0)
            // A symbol name is identifier characters only.
            .filter(|name| name.iter().all(|&b| b.is_ascii_alphanumeric() || b == b'_'))
            .filter(|name| name.ends_with(&suffix))
            .map(String::from_utf8_lossy)
            .collect();
        assert!(
            jitter_symbols.is_empty(),
            "AWS-LC was built with CPU Jitter Entropy ({jitter_symbols:?}): \
             build with AWS_LC_SYS_NO_JITTER_ENTROPY=1 (see .cargo/config.toml)"
        );
        // The check can see symbols at all: a function linked in for sure.
        assert!(
            binary
                .split(|&byte| byte == 0)
                .any(|name| name.ends_with(b"_EC_KEY_generate_key")),
            "no AWS-LC symbols in the test binary (stripped?)"
        );
    }
}
