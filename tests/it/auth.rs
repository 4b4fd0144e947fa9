//! Every authentication method end to end against the emulator: basic auth,
//! OAuth M2M with token caching and refresh, refusals, and each route of
//! configuration (environment, profiles, auth type, netrc) resolved and used.

use std::{collections::HashMap, time::Duration};

use databricks_grpc::{
    config::{Credentials, DatabricksConfig, Overrides, Secret},
    emulator::{
        DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_PASSWORD, DEFAULT_USERNAME,
        EmulatorConfig, EmulatorHandle, Fault, Logins,
    },
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

/// A `~/.databrickscfg`-style file and a `.netrc` in a fresh directory.
fn config_dir(name: &str, databrickscfg: &str, netrc: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "databricks-grpc-it-auth-{}-{name}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("databrickscfg"), databrickscfg).unwrap();
    std::fs::write(dir.join("netrc"), netrc).unwrap();
    dir
}

/// Each way of configuring credentials, resolved exactly as `serve` resolves
/// them (flags, environment, profile, netrc), then used for a real call: the
/// emulator's journal says who the call authenticated as.
#[tokio::test]
async fn every_configuration_route_resolves_and_authenticates() {
    let emulator = spawn_emulator(Default::default()).await;
    let host = emulator.url();
    let token = emulator.token().to_owned();
    let profiles = format!(
        "[DEFAULT]\nhost = {host}\ntoken = {token}\n\n\
         [basic]\nhost = {host}\nusername = {DEFAULT_USERNAME}\npassword = {DEFAULT_PASSWORD}\n\n\
         [robot]\nhost = {host}\nclient_id = {DEFAULT_CLIENT_ID}\nclient_secret = {DEFAULT_CLIENT_SECRET}  # the SP\n"
    );
    let netrc_host = host.trim_start_matches("http://");
    let netrc = format!(
        "machine {} login token password {token}\n",
        netrc_host.split(':').next().unwrap()
    );
    let dir = config_dir("routes", &profiles, &netrc);
    let file = dir.join("databrickscfg").display().to_string();
    let netrc_path = dir.join("netrc").display().to_string();
    let empty = dir.join("missing").display().to_string();
    type Case<'a> = (&'a str, Vec<(&'a str, String)>, Overrides, &'a str, &'a str);
    let cases: Vec<Case> = vec![
        (
            "environment token",
            vec![
                ("DATABRICKS_HOST", host.clone()),
                ("DATABRICKS_TOKEN", token.clone()),
                ("DATABRICKS_CONFIG_FILE", empty.clone()),
            ],
            Overrides::default(),
            "pat",
            DEFAULT_USERNAME,
        ),
        (
            "[DEFAULT] profile",
            vec![("DATABRICKS_CONFIG_FILE", file.clone())],
            Overrides::default(),
            "pat",
            DEFAULT_USERNAME,
        ),
        (
            "named basic profile",
            vec![
                ("DATABRICKS_CONFIG_FILE", file.clone()),
                ("DATABRICKS_CONFIG_PROFILE", "basic".into()),
            ],
            Overrides::default(),
            "basic",
            DEFAULT_USERNAME,
        ),
        (
            "--profile robot (oauth-m2m)",
            vec![("DATABRICKS_CONFIG_FILE", file.clone())],
            Overrides {
                profile: Some("robot".into()),
                ..Overrides::default()
            },
            "oauth-m2m",
            DEFAULT_CLIENT_ID,
        ),
        (
            "DATABRICKS_AUTH_TYPE picks basic over a token",
            vec![
                ("DATABRICKS_CONFIG_FILE", empty.clone()),
                ("DATABRICKS_HOST", host.clone()),
                ("DATABRICKS_TOKEN", token.clone()),
                ("DATABRICKS_USERNAME", DEFAULT_USERNAME.into()),
                ("DATABRICKS_PASSWORD", DEFAULT_PASSWORD.into()),
                ("DATABRICKS_AUTH_TYPE", "basic".into()),
            ],
            Overrides::default(),
            "basic",
            DEFAULT_USERNAME,
        ),
        (
            "--netrc",
            vec![
                ("DATABRICKS_CONFIG_FILE", empty.clone()),
                ("DATABRICKS_HOST", host.clone()),
                ("NETRC", netrc_path.clone()),
            ],
            Overrides {
                netrc: true,
                ..Overrides::default()
            },
            "pat",
            DEFAULT_USERNAME,
        ),
    ];
    for (name, env, overrides, method, principal) in cases {
        let env: HashMap<String, String> =
            env.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        let config = DatabricksConfig::resolve(overrides, &env)
            .unwrap_or_else(|error| panic!("{name}: {error}"));
        assert_eq!(config.credentials.auth_type(), method, "{name}");
        let mut app = TestApp::spawn_with_credentials(&config.host, config.credentials).await;
        let before = emulator.journal().len();
        app.cluster_status(RUNNING)
            .await
            .unwrap_or_else(|status| panic!("{name}: {status:?}"));
        let call = emulator
            .journal()
            .into_iter()
            .skip(before)
            .find(|entry| entry.path == "/api/2.0/libraries/cluster-status")
            .unwrap();
        assert_eq!(call.principal.as_deref(), Some(principal), "{name}");
        app.stop().await;
    }
    std::fs::remove_dir_all(dir).unwrap();
    emulator.shutdown();
    emulator.join().await.unwrap();
}

/// What the emulator's token endpoint answered, in order.
fn token_answers(emulator: &EmulatorHandle) -> Vec<u16> {
    emulator
        .journal()
        .iter()
        .filter(|entry| entry.path == TOKEN_PATH)
        .map(|entry| entry.status)
        .collect()
}

#[tokio::test]
async fn a_failing_token_endpoint_is_ridden_out() {
    let emulator = spawn_emulator(Default::default()).await;
    emulator.inject_fault(TOKEN_PATH, Fault::Unavailable, 2);
    emulator.inject_fault(
        TOKEN_PATH,
        Fault::TooManyRequests {
            retry_after_secs: 0,
        },
        1,
    );
    // Room for three waits (the default test budget is 1 s).
    let credentials = oauth(DEFAULT_CLIENT_SECRET);
    let mut app =
        TestApp::spawn_with_retry_budget(&emulator.url(), credentials, Duration::from_secs(10))
            .await;
    app.cluster_status(RUNNING).await.unwrap();
    assert_eq!(token_answers(&emulator), [503, 503, 429, 200]);
    app.stop().await;
    emulator.shutdown();
    emulator.join().await.unwrap();
}

#[tokio::test]
async fn a_valid_token_carries_on_while_its_refresh_fails() {
    // A 4 s token is due for refresh after 2 s and expires after 4 s.
    let logins = Logins {
        token_ttl: Duration::from_secs(4),
        ..Logins::default()
    };
    let emulator = spawn_emulator(EmulatorConfig::default().with_logins(logins)).await;
    let mut app =
        TestApp::spawn_with_credentials(&emulator.url(), oauth(DEFAULT_CLIENT_SECRET)).await;
    app.cluster_status(RUNNING).await.unwrap();
    // Age the token into its refresh window on the client's (tokio) clock,
    // then take the token endpoint down. The clock is paused only for the
    // jump: left paused, it would also jump ahead whenever the runtime waited
    // on loopback IO, firing request timeouts at random. The emulator shares
    // the clock: to it the token has 1.7 s left, so it is still accepted.
    tokio::time::pause();
    tokio::time::advance(Duration::from_millis(2300)).await;
    tokio::time::resume();
    emulator.inject_fault(TOKEN_PATH, Fault::Unavailable, 100);
    // One refresh try, then the still-valid token: the call succeeds with
    // exactly one more (failed) visit to the token endpoint.
    app.cluster_status(RUNNING).await.unwrap();
    assert_eq!(token_answers(&emulator), [200, 503], "tried once");
    // Within the minute after a failed refresh, no new try is made.
    app.cluster_status(RUNNING).await.unwrap();
    assert_eq!(token_answers(&emulator), [200, 503]);
    emulator.clear_faults();
    app.stop().await;
    emulator.shutdown();
    emulator.join().await.unwrap();
}

#[tokio::test]
async fn a_token_endpoint_that_stays_down_is_unavailable_not_unauthenticated() {
    let emulator = spawn_emulator(Default::default()).await;
    emulator.inject_fault(TOKEN_PATH, Fault::Unavailable, 1000);
    let mut app =
        TestApp::spawn_with_credentials(&emulator.url(), oauth(DEFAULT_CLIENT_SECRET)).await;
    // The fetch retries within the call's retry budget (1 s here).
    let status = app.cluster_status(RUNNING).await.unwrap_err();
    assert_eq!(status.code(), Code::Unavailable, "{status:?}");
    assert!(status.message().contains("HTTP 503"), "{status:?}");
    assert!(token_answers(&emulator).len() > 1, "the fetch was retried");
    assert_ne!(status.code(), Code::Unauthenticated);
    app.stop().await;
    emulator.shutdown();
    emulator.join().await.unwrap();
}
