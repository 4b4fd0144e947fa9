//! TLS for `serve`: a certificate chain and private key from PEM files,
//! checked at start-up so a wrong file fails with its name rather than at
//! the first connection. Handshakes (TLS 1.2/1.3, ALPN `h2`, aws-lc-rs) are
//! tonic's.

use std::{path::Path, time::Duration};

use rustls::pki_types::{CertificateDer, PrivateKeyDer, pem::PemObject as _};
use tonic::transport::{Identity, ServerTlsConfig};

/// A client that has not finished its handshake by then is dropped.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// The TLS files could not be used.
#[derive(Debug, thiserror::Error)]
pub enum TlsFilesError {
    /// A file could not be read.
    #[error("could not read {path}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The certificate file holds no PEM certificate.
    #[error("{path} holds no PEM certificate (-----BEGIN CERTIFICATE-----)")]
    NoCertificate {
        /// The file.
        path: String,
    },
    /// The key file holds no PEM private key.
    #[error("{path} holds no PEM private key (PKCS#8, PKCS#1 or SEC1)")]
    NoKey {
        /// The file.
        path: String,
    },
}

/// The server TLS configuration for the certificate chain in `cert_path`
/// (leaf first) and the private key in `key_path`.
///
/// # Errors
///
/// When a file cannot be read or holds no certificate or key.
pub fn from_pem_files(cert_path: &Path, key_path: &Path) -> Result<ServerTlsConfig, TlsFilesError> {
    // tonic builds its rustls config with the process default provider.
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let cert = read(cert_path)?;
    let key = read(key_path)?;
    let has_cert = CertificateDer::pem_slice_iter(&cert).any(|item| item.is_ok());
    if !has_cert {
        return Err(TlsFilesError::NoCertificate {
            path: cert_path.display().to_string(),
        });
    }
    if PrivateKeyDer::from_pem_slice(&key).is_err() {
        return Err(TlsFilesError::NoKey {
            path: key_path.display().to_string(),
        });
    }
    Ok(ServerTlsConfig::new()
        .identity(Identity::from_pem(cert, key))
        .timeout(HANDSHAKE_TIMEOUT))
}

fn read(path: &Path) -> Result<Vec<u8>, TlsFilesError> {
    std::fs::read(path).map_err(|source| TlsFilesError::Read {
        path: path.display().to_string(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn wrong_files_are_named() {
        let dir = std::env::temp_dir().join(format!("databricks-grpc-tls-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec!["localhost".to_owned()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        let cert_path = write(&dir, "cert.pem", &cert.pem());
        let key_path = write(&dir, "key.pem", &key.serialize_pem());
        assert!(from_pem_files(&cert_path, &key_path).is_ok());

        let error = from_pem_files(&key_path, &key_path).unwrap_err();
        assert!(
            matches!(error, TlsFilesError::NoCertificate { .. }),
            "{error}"
        );
        let error = from_pem_files(&cert_path, &cert_path).unwrap_err();
        assert!(matches!(error, TlsFilesError::NoKey { .. }), "{error}");
        let missing = dir.join("missing.pem");
        let error = from_pem_files(&missing, &key_path).unwrap_err();
        assert!(error.to_string().contains("missing.pem"), "{error}");
        std::fs::remove_dir_all(dir).unwrap();
    }
}
