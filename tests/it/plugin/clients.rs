//! gRPC channels to a plugin's socket: plaintext h2c, and AutoMTLS the way
//! a go-plugin host does it (its own P-521 CA:TRUE certificate as client
//! certificate, the plugin's certificate from field 6 as the only root,
//! server name `localhost`, ALPN h2).

use std::{io, path::PathBuf, sync::Arc};

use base64::{Engine as _, engine::general_purpose::STANDARD_NO_PAD};
use hyper_util::rt::TokioIo;
use rustls::{
    ClientConfig, RootCertStore,
    pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName},
};
use tokio::net::UnixStream;
use tokio_rustls::{TlsConnector, client::TlsStream};
use tonic::transport::{Channel, Endpoint};
use tonic_health::pb::{
    HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient,
};

/// A host identity like go-plugin's: ECDSA P-521, CA:TRUE, SAN localhost.
pub struct HostCert {
    pub pem: String,
    pub der: CertificateDer<'static>,
    key: Vec<u8>,
}

// === impl HostCert ===

impl HostCert {
    pub fn generate() -> Self {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P521_SHA512).unwrap();
        let mut params = rcgen::CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(rcgen::DnType::OrganizationName, "HashiCorp");
        params.extended_key_usages = vec![
            rcgen::ExtendedKeyUsagePurpose::ClientAuth,
            rcgen::ExtendedKeyUsagePurpose::ServerAuth,
        ];
        let cert = params.self_signed(&key).unwrap();
        Self {
            pem: cert.pem(),
            der: cert.der().clone(),
            key: key.serialize_der(),
        }
    }
}

/// A plaintext channel over the unix socket.
pub async fn plain_channel(socket: PathBuf) -> Channel {
    Endpoint::from_static("http://unused")
        .connect_with_connector(tower::service_fn(move |_| {
            let socket = socket.clone();
            async move { Ok::<_, io::Error>(TokioIo::new(UnixStream::connect(socket).await?)) }
        }))
        .await
        .unwrap()
}

/// The plugin's certificate from handshake field 6.
pub fn server_cert(field6: &str) -> CertificateDer<'static> {
    CertificateDer::from(STANDARD_NO_PAD.decode(field6).unwrap())
}

/// A TLS connector trusting only `server`, presenting `client` if given.
pub fn connector(server: CertificateDer<'static>, client: Option<&HostCert>) -> TlsConnector {
    let mut roots = RootCertStore::empty();
    roots.add(server).unwrap();
    let builder = ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots);
    let mut config = match client {
        Some(host) => builder
            .with_client_auth_cert(
                vec![host.der.clone()],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(host.key.clone())),
            )
            .unwrap(),
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = vec![b"h2".to_vec()];
    TlsConnector::from(Arc::new(config))
}

/// One TLS connection to the socket.
pub async fn tls_connect(socket: PathBuf, tls: TlsConnector) -> io::Result<TlsStream<UnixStream>> {
    let stream = UnixStream::connect(socket).await?;
    let name = ServerName::try_from("localhost").unwrap();
    tls.connect(name, stream).await
}

/// A channel over TLS connections made by `tls`.
pub async fn tls_channel(
    socket: PathBuf,
    tls: TlsConnector,
) -> Result<Channel, tonic::transport::Error> {
    Endpoint::from_static("http://unused")
        .connect_with_connector(tower::service_fn(move |_| {
            let (socket, tls) = (socket.clone(), tls.clone());
            async move { Ok::<_, io::Error>(TokioIo::new(tls_connect(socket, tls).await?)) }
        }))
        .await
}

/// The health status of `service` (go-plugin's Ping checks `plugin`).
pub async fn health(channel: Channel, service: &str) -> Result<ServingStatus, tonic::Status> {
    let reply = HealthClient::new(channel)
        .check(HealthCheckRequest {
            service: service.to_owned(),
        })
        .await?;
    Ok(reply.into_inner().status())
}
