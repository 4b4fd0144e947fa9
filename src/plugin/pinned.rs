//! A rustls client-certificate verifier that accepts exactly one certificate:
//! the one the host sent in `PLUGIN_CLIENT_CERT`.
//!
//! rustls' stock `WebPkiClientVerifier` rejects the host's certificate
//! (`CaUsedAsEndEntity`: go-plugin makes it CA:TRUE and uses it as a leaf),
//! so pinning is done by hand. Handshake signatures are still verified, with
//! the aws-lc-rs provider's algorithms (which include ECDSA P-521/SHA-512,
//! the host's key type: a verifier that does not offer that scheme makes Go
//! send no certificate at all under TLS 1.3).

use std::sync::Arc;

use rustls::{
    CertificateError, DigitallySignedStruct, DistinguishedName, Error, SignatureScheme,
    client::danger::HandshakeSignatureValid,
    crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature},
    pki_types::{CertificateDer, UnixTime},
    server::danger::{ClientCertVerified, ClientCertVerifier},
};

/// Requires a client certificate and accepts only the pinned one.
#[derive(Debug)]
pub struct PinnedClientCert {
    pinned: CertificateDer<'static>,
    provider: Arc<CryptoProvider>,
}

// === impl PinnedClientCert ===

impl PinnedClientCert {
    /// Accepts exactly `pinned`; verifies signatures with `provider`.
    pub fn new(pinned: CertificateDer<'static>, provider: Arc<CryptoProvider>) -> Self {
        Self { pinned, provider }
    }
}

impl ClientCertVerifier for PinnedClientCert {
    fn offer_client_auth(&self) -> bool {
        true
    }

    fn client_auth_mandatory(&self) -> bool {
        true
    }

    // No hints: Go skips a certificate whose issuer is missing from a
    // non-empty hint list.
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, Error> {
        if end_entity.as_ref() == self.pinned.as_ref() {
            Ok(ClientCertVerified::assertion())
        } else {
            tracing::warn!("refused a TLS client whose certificate is not the host's");
            Err(Error::InvalidCertificate(
                CertificateError::ApplicationVerificationFailure,
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cert() -> CertificateDer<'static> {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P521_SHA512).unwrap();
        let params = rcgen::CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
        params.self_signed(&key).unwrap().der().clone()
    }

    fn verifier(pinned: CertificateDer<'static>) -> PinnedClientCert {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        PinnedClientCert::new(pinned, provider)
    }

    #[test]
    fn accepts_only_the_pinned_certificate() {
        let host = cert();
        let verifier = verifier(host.clone());
        let now = UnixTime::now();
        assert!(verifier.verify_client_cert(&host, &[], now).is_ok());
        let other = cert();
        let refused = verifier.verify_client_cert(&other, &[], now).unwrap_err();
        assert_eq!(
            refused,
            Error::InvalidCertificate(CertificateError::ApplicationVerificationFailure)
        );
    }

    #[test]
    fn requires_a_certificate_and_gives_no_hints() {
        let verifier = verifier(cert());
        assert!(verifier.offer_client_auth());
        assert!(verifier.client_auth_mandatory());
        assert!(verifier.root_hint_subjects().is_empty());
    }

    #[test]
    fn offers_the_hosts_p521_scheme() {
        let schemes = verifier(cert()).supported_verify_schemes();
        assert!(
            schemes.contains(&SignatureScheme::ECDSA_NISTP521_SHA512),
            "{schemes:?}"
        );
        assert!(schemes.contains(&SignatureScheme::ECDSA_NISTP256_SHA256));
    }
}
