//! AutoMTLS from the host's side: field 6, ALPN h2, the P-521 host
//! certificate accepted, any other client refused.

use databricks_grpc::plugin::proto::{Empty, grpc_controller_client::GrpcControllerClient};
use tonic_health::pb::health_check_response::ServingStatus;

use super::{
    clients::{HostCert, connector, health, server_cert, tls_channel, tls_connect},
    harness::{PluginProcess, exists},
};

async fn start_with(host: &HostCert) -> PluginProcess {
    PluginProcess::start(
        &["plugin", "--emulator"],
        &[("PLUGIN_CLIENT_CERT", &host.pem)],
    )
    .await
}

#[tokio::test]
async fn the_pinned_host_gets_mutual_tls_with_alpn_h2() {
    let host = HostCert::generate();
    let mut plugin = start_with(&host).await;
    let fields = plugin.fields();
    assert_eq!(fields.len(), 6, "{}", plugin.handshake);
    assert!(!fields[5].contains('='), "unpadded base64");
    let server = server_cert(fields[5]);
    let socket = plugin.socket();

    let stream = tls_connect(socket.clone(), connector(server.clone(), Some(&host)))
        .await
        .unwrap();
    let (_, session) = stream.get_ref();
    assert_eq!(session.alpn_protocol(), Some(&b"h2"[..]));
    assert_eq!(
        session.protocol_version(),
        Some(rustls::ProtocolVersion::TLSv1_3)
    );
    drop(stream);

    let channel = tls_channel(socket.clone(), connector(server, Some(&host)))
        .await
        .unwrap();
    assert_eq!(
        health(channel.clone(), "plugin").await.unwrap(),
        ServingStatus::Serving
    );
    GrpcControllerClient::new(channel)
        .shutdown(Empty {})
        .await
        .unwrap();
    assert_eq!(plugin.exit().await.code(), Some(0));
    assert!(!exists(&socket));
}

#[tokio::test]
async fn other_clients_are_refused() {
    let host = HostCert::generate();
    let mut plugin = start_with(&host).await;
    let server = server_cert(plugin.fields()[5]);
    let socket = plugin.socket();
    let stranger = HostCert::generate();
    for client in [Some(&stranger), None] {
        // Under TLS 1.3 the client learns of the refusal on its first read.
        let refused = match tls_channel(socket.clone(), connector(server.clone(), client)).await {
            Ok(channel) => health(channel, "plugin").await.is_err(),
            Err(_) => true,
        };
        assert!(
            refused,
            "a client with {:?} certificate got through",
            client.map(|_| "another")
        );
    }
    plugin.signal(nix::sys::signal::Signal::SIGTERM);
    assert_eq!(plugin.exit().await.code(), Some(0));
}

#[tokio::test]
async fn a_bad_client_cert_fails_start_up_before_the_handshake() {
    let output = super::harness::base_command(&["plugin", "--emulator"])
        .env(
            databricks_grpc::plugin::COOKIE_KEY,
            databricks_grpc::plugin::COOKIE_VALUE,
        )
        .env("PLUGIN_CLIENT_CERT", "not a certificate")
        .output()
        .await
        .unwrap();
    assert!(!output.status.success());
    assert!(output.stdout.is_empty());
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("\"@level\":\"error\""), "{stderr}");
}
