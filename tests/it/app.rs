//! `App` itself, as the front ends use it: built without a listener (the
//! core a second front end reuses), and served so that the server stops
//! before the emulator it calls.

use std::net::SocketAddr;

use databricks_grpc::{
    app::{App, AppConfig, Backend, Banner, EmbeddedEmulator, FrontDoor},
    emulator::{EmulatorConfig, Pace},
    proto::compute::{self as pb, Language, compute_service_server::ComputeService as Rpc},
    server::ServerOptions,
};
use tokio::{net::TcpListener, sync::oneshot};
use tonic::Request;

use crate::helpers::{RUNNING, assert_no_secrets_logged, init_test_logs};

/// A fresh emulator on loopback behind a plaintext loopback front door.
fn with_emulator() -> AppConfig {
    let loopback: SocketAddr = "127.0.0.1:0".parse().unwrap();
    let backend = Backend::Emulator(EmbeddedEmulator {
        config: EmulatorConfig::default().with_pace(Pace::PerRead),
        listen: loopback,
        banner: Banner::Log,
    });
    AppConfig::new(backend, FrontDoor::plaintext(loopback))
}

#[tokio::test]
async fn a_front_end_without_a_listener_calls_the_built_service() {
    init_test_logs();
    let mut app = App::build(with_emulator()).await.unwrap();
    let request = Request::new(pb::ClusterStatusRequest {
        cluster_id: RUNNING.into(),
    });
    let status = Rpc::cluster_status(app.service(), request).await.unwrap();
    assert_eq!(status.into_inner().cluster_id, RUNNING);
    let emulator = app.take_emulator().expect("the app started an emulator");
    assert_eq!(
        emulator.journal().len(),
        1,
        "one upstream call, no listener"
    );
    databricks_grpc::app::stop_emulator(Some(emulator))
        .await
        .unwrap();
    assert_no_secrets_logged();
}

/// The server destroys its managed contexts on the way out, so it must stop
/// while the emulator still answers; then the emulator goes, and nothing of
/// it is left listening.
#[tokio::test]
async fn serve_stops_the_server_and_then_the_emulator() {
    init_test_logs();
    let app = App::build(with_emulator()).await.unwrap();
    let emulator = app.emulator().expect("the app started an emulator");
    let (upstream, state) = (emulator.addr(), emulator.state().clone());
    let service = app.service().clone();
    let started = Rpc::execute_command(
        &service,
        Request::new(pb::ExecuteCommandRequest {
            cluster_id: RUNNING.into(),
            language: Language::Python as i32,
            command: "x = 1".into(),
            context_id: String::new(),
        }),
    )
    .await
    .unwrap();
    assert_eq!(
        service.managed_context_ids(),
        [started.into_inner().context_id]
    );

    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let serving = tokio::spawn(app.serve(listener, ServerOptions::default(), async {
        let _ = stopped.await;
    }));
    stop.send(()).unwrap();
    serving.await.unwrap().unwrap();

    let destroyed = state
        .journal()
        .into_iter()
        .filter(|entry| entry.path == "/api/1.2/contexts/destroy" && entry.status == 200)
        .count();
    assert_eq!(destroyed, 1, "the emulator answered the server's clean-up");
    assert_eq!(state.live_contexts(), 0);
    assert!(
        tokio::net::TcpStream::connect(upstream).await.is_err(),
        "the emulator stopped after the server"
    );
    assert_no_secrets_logged();
}
