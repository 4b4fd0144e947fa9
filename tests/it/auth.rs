//! Every authentication method end to end against the emulator: basic auth,
//! OAuth M2M with token caching and refresh, and refusals.

use databricks_grpc::{
    config::{Credentials, Secret},
    emulator::{DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_PASSWORD, DEFAULT_USERNAME},
};
use tonic::Code;

use crate::helpers::{RUNNING, TestApp, spawn_emulator};

const TOKEN_PATH: &str = "/oidc/v1/token";

fn oauth(secret: &str) -> Credentials {
    Credentials::OAuthM2M {
        client_id: DEFAULT_CLIENT_ID.into(),
        client_secret: Secret::new(secret),
    }
}

#[tokio::test]
async fn basic_auth_works_and_a_wrong_password_is_refused() {
    let emulator = spawn_emulator(Default::default()).await;
    let basic = Credentials::Basic {
        username: DEFAULT_USERNAME.into(),
        password: Secret::new(DEFAULT_PASSWORD),
    };
    let mut app = TestApp::spawn_with_credentials(&emulator.url(), basic).await;
    assert_eq!(
        app.cluster_status(RUNNING).await.unwrap().cluster_id,
        RUNNING
    );
    app.stop().await;

    let wrong = Credentials::Basic {
        username: DEFAULT_USERNAME.into(),
        password: Secret::new("nope-pw-77"),
    };
    let mut app = TestApp::spawn_with_credentials(&emulator.url(), wrong).await;
    let refused = app.cluster_status(RUNNING).await.unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied);
    assert!(!format!("{refused:?}").contains("nope-pw-77"));
    app.stop().await;
    emulator.shutdown();
    emulator.join().await.unwrap();
}

#[tokio::test]
async fn oauth_tokens_are_cached_and_refreshed_when_they_expire() {
    let emulator = spawn_emulator(Default::default()).await;
    let mut app =
        TestApp::spawn_with_credentials(&emulator.url(), oauth(DEFAULT_CLIENT_SECRET)).await;
    for _ in 0..3 {
        app.cluster_status(RUNNING).await.unwrap();
    }
    let fetches = |emulator: &databricks_grpc::emulator::EmulatorHandle| {
        emulator
            .journal()
            .iter()
            .filter(|e| e.path == TOKEN_PATH && e.status == 200)
            .count()
    };
    assert_eq!(
        fetches(&emulator),
        1,
        "one token serves every call while it is valid"
    );
    // The token expires mid-run: the next call is refused once, a new token
    // is fetched, and the caller sees success.
    emulator.expire_oauth_tokens();
    assert_eq!(
        app.cluster_status(RUNNING).await.unwrap().cluster_id,
        RUNNING
    );
    assert_eq!(fetches(&emulator), 2);
    let refused_once = emulator
        .journal()
        .iter()
        .filter(|e| e.path == "/api/2.0/libraries/cluster-status" && e.status == 403)
        .count();
    assert_eq!(refused_once, 1);
    app.stop().await;
    emulator.shutdown();
    emulator.join().await.unwrap();
}

#[tokio::test]
async fn a_wrong_client_secret_is_unauthenticated_and_never_echoed() {
    let emulator = spawn_emulator(Default::default()).await;
    let mut app =
        TestApp::spawn_with_credentials(&emulator.url(), oauth("wrong-secret-4242")).await;
    let refused = app.cluster_status(RUNNING).await.unwrap_err();
    assert_eq!(refused.code(), Code::Unauthenticated, "{refused:?}");
    assert!(
        refused.message().contains("client id and secret"),
        "{}",
        refused.message()
    );
    assert!(!format!("{refused:?}").contains("wrong-secret-4242"));
    let api_calls = emulator
        .journal()
        .iter()
        .filter(|e| e.path.starts_with("/api/"))
        .count();
    assert_eq!(api_calls, 0, "no API call is made without a token");
    app.stop().await;
    emulator.shutdown();
    emulator.join().await.unwrap();
}
