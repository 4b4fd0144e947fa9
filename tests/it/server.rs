//! The server's standard services: health and reflection (v1 and v1alpha),
//! and TLS.

use databricks_grpc::{
    config::{DatabricksConfig, Secret},
    databricks::Client,
    emulator::EmulatorConfig,
    proto::compute::{self as pb, compute_service_client::ComputeServiceClient},
    server,
    service::ComputeService,
};
use tokio::net::TcpListener;
use tokio_stream::StreamExt;
use tonic::transport::{Certificate, Channel, ClientTlsConfig};
use tonic_health::pb::{
    HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient,
};
use tonic_reflection::pb::{v1, v1alpha};

use crate::helpers::{RUNNING, TestApp, spawn_emulator};

const SERVICE: &str = "databricks.compute.v1.ComputeService";

#[tokio::test]
async fn health_reports_compute_service_serving() {
    let app = TestApp::spawn().await;
    let mut health = HealthClient::new(app.channel.clone());
    for service in [SERVICE, ""] {
        let response = health
            .check(HealthCheckRequest {
                service: service.into(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(response.status(), ServingStatus::Serving, "{service:?}");
    }
    let unknown = health
        .check(HealthCheckRequest {
            service: "no.Such".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), tonic::Code::NotFound);
    app.stop().await;
}

#[tokio::test]
async fn reflection_v1_lists_and_describes_our_service() {
    let app = TestApp::spawn().await;
    let mut client = v1::server_reflection_client::ServerReflectionClient::new(app.channel.clone());
    let requests = tokio_stream::iter(vec![
        v1::ServerReflectionRequest {
            host: String::new(),
            message_request: Some(v1::server_reflection_request::MessageRequest::ListServices(
                String::new(),
            )),
        },
        v1::ServerReflectionRequest {
            host: String::new(),
            message_request: Some(
                v1::server_reflection_request::MessageRequest::FileContainingSymbol(SERVICE.into()),
            ),
        },
    ]);
    let mut responses = client
        .server_reflection_info(requests)
        .await
        .unwrap()
        .into_inner();
    let Some(v1::server_reflection_response::MessageResponse::ListServicesResponse(list)) =
        responses.next().await.unwrap().unwrap().message_response
    else {
        panic!("expected a service list");
    };
    let names: Vec<_> = list.service.iter().map(|s| s.name.as_str()).collect();
    assert!(
        names.contains(&SERVICE) && names.contains(&"grpc.health.v1.Health"),
        "{names:?}"
    );
    let Some(v1::server_reflection_response::MessageResponse::FileDescriptorResponse(files)) =
        responses.next().await.unwrap().unwrap().message_response
    else {
        panic!("expected file descriptors");
    };
    assert!(!files.file_descriptor_proto.is_empty());
    app.stop().await;
}

#[tokio::test]
async fn reflection_v1alpha_answers_too() {
    let app = TestApp::spawn().await;
    let mut client =
        v1alpha::server_reflection_client::ServerReflectionClient::new(app.channel.clone());
    let requests = tokio_stream::iter(vec![v1alpha::ServerReflectionRequest {
        host: String::new(),
        message_request: Some(
            v1alpha::server_reflection_request::MessageRequest::ListServices(String::new()),
        ),
    }]);
    let mut responses = client
        .server_reflection_info(requests)
        .await
        .unwrap()
        .into_inner();
    let response = responses.next().await.unwrap().unwrap();
    assert!(format!("{response:?}").contains(SERVICE));
    let _ = pb::InstallRequest::default();
    app.stop().await;
}

/// A self-signed certificate for `localhost` written to PEM files, and the
/// server TLS configuration made from them as `serve --tls-cert/--tls-key`
/// makes it.
fn localhost_tls() -> (String, tonic::transport::ServerTlsConfig) {
    let dir = std::env::temp_dir().join(format!("databricks-grpc-it-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["localhost".to_owned()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    let (cert_path, key_path) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert_path, cert.pem()).unwrap();
    std::fs::write(&key_path, key.serialize_pem()).unwrap();
    let tls = server::tls::from_pem_files(&cert_path, &key_path).unwrap();
    std::fs::remove_dir_all(dir).unwrap();
    (cert.pem(), tls)
}

#[tokio::test]
async fn tls_serves_clients_that_verify_it_and_refuses_plaintext() {
    let emulator = spawn_emulator(EmulatorConfig::default()).await;
    let config = DatabricksConfig::new(&emulator.url(), Secret::new(emulator.token())).unwrap();
    let service = ComputeService::new(Client::new(&config).unwrap());
    let (cert_pem, tls) = localhost_tls();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let served = tokio::spawn(server::serve(
        listener,
        service,
        Some(tls),
        server::ServerOptions::default(),
        async {
            let _ = stopped.await;
        },
    ));
    let request = || pb::ClusterStatusRequest {
        cluster_id: RUNNING.into(),
    };

    let verified = ClientTlsConfig::new()
        .ca_certificate(Certificate::from_pem(&cert_pem))
        .domain_name("localhost");
    let channel = Channel::from_shared(format!("https://{addr}"))
        .unwrap()
        .tls_config(verified)
        .unwrap()
        .connect()
        .await
        .unwrap();
    let answer = ComputeServiceClient::new(channel)
        .cluster_status(request())
        .await
        .unwrap();
    assert_eq!(answer.into_inner().cluster_id, RUNNING);

    let plaintext = match Channel::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
    {
        Ok(channel) => ComputeServiceClient::new(channel)
            .cluster_status(request())
            .await
            .map(drop)
            .map_err(|status| status.to_string()),
        Err(error) => Err(error.to_string()),
    };
    assert!(plaintext.is_err(), "a plaintext client must not be served");

    let _ = stop.send(());
    served.await.unwrap().unwrap();
    emulator.shutdown();
    emulator.join().await.unwrap();
}

#[test]
fn pass_through_off_loopback_needs_tls_or_an_explicit_waiver() {
    let run = |extra: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_databricks-grpc"))
            .args([
                "serve",
                "--auth-passthrough",
                "--host",
                "https://adb-1.example",
            ])
            .args(extra)
            .env_remove("DATABRICKS_CONFIG_FILE")
            .output()
            .unwrap()
    };
    let refused = run(&["--listen", "0.0.0.0:0"]);
    assert_eq!(refused.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("--tls-cert"), "{stderr}");
    assert!(stderr.contains("--allow-plaintext-credentials"), "{stderr}");
    assert!(refused.stdout.is_empty(), "nothing may be served");
    let waiver = run(&[
        "--listen",
        "0.0.0.0:0",
        "--allow-plaintext-credentials",
        "--tls-key",
    ]);
    assert_eq!(
        waiver.status.code(),
        Some(2),
        "clap refuses a half TLS pair"
    );
}

/// `serve --emulator` hands callers ExecuteCommand on this machine, so an
/// address beyond loopback is refused before anything listens; loopback
/// starts, and SIGTERM stops it with status 0.
#[tokio::test]
async fn serve_emulator_listens_on_loopback_only() {
    use tokio::io::AsyncBufReadExt as _;

    use crate::plugin::harness::{LIMIT, base_command};

    let serve = |listen: &str| base_command(&["serve", "--emulator", "--listen", listen]);
    let refused = tokio::time::timeout(LIMIT, serve("0.0.0.0:0").output())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(refused.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("only listens on loopback"), "{stderr}");
    assert!(stderr.contains("0.0.0.0:0"), "{stderr}");
    assert!(refused.stdout.is_empty(), "nothing may be served");

    let mut accepted = serve("127.0.0.1:0").spawn().unwrap();
    let mut stdout = tokio::io::BufReader::new(accepted.stdout.take().unwrap()).lines();
    let banner = tokio::time::timeout(LIMIT, async {
        loop {
            match stdout.next_line().await.unwrap() {
                Some(line) if line.starts_with("gRPC server listening on 127.0.0.1:") => {
                    return line;
                }
                Some(_) => continue,
                None => panic!("serve exited without listening"),
            }
        }
    })
    .await
    .unwrap();
    assert!(!banner.contains(":0 "), "{banner}");
    let pid = nix::unistd::Pid::from_raw(accepted.id().unwrap() as i32);
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).unwrap();
    let status = tokio::time::timeout(LIMIT, accepted.wait())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(status.code(), Some(0));
}
