//! Protocol concerns: authentication, Databricks-style 404s, the journal.

use axum::http::StatusCode;
use serde_json::json;

use super::{Emu, pypi};
use crate::emulator::{
    DEFAULT_TOKEN, EmulatorConfig, EmulatorState, Pace, RUNNING_CLUSTER_ID, app,
};

#[tokio::test]
async fn missing_or_non_bearer_credentials_get_401_with_a_numeric_code() {
    let emu = Emu::new(Pace::Manual);
    let expected = json!({
        "error_code": 401,
        "message": "Credential was not sent or was of an unsupported type for this API."
    });
    let uri = "/api/2.0/libraries/all-cluster-statuses";
    assert_eq!(
        emu.send("GET", uri, None, None).await,
        (StatusCode::UNAUTHORIZED, expected.clone())
    );
    let digest = Some("Digest abc");
    assert_eq!(
        emu.send("GET", uri, None, digest).await,
        (StatusCode::UNAUTHORIZED, expected)
    );
}

#[tokio::test]
async fn basic_auth_accepts_the_user_and_the_legacy_token_form() {
    let emu = Emu::new(Pace::Manual);
    let uri = "/api/2.0/libraries/all-cluster-statuses";
    // token:dapi-emulator-token
    let token_form = Some("Basic dG9rZW46ZGFwaS1lbXVsYXRvci10b2tlbg==");
    assert_eq!(
        emu.send("GET", uri, None, token_form).await.0,
        StatusCode::OK
    );
    // emulator-user:emulator-password
    let user = Some("Basic ZW11bGF0b3ItdXNlcjplbXVsYXRvci1wYXNzd29yZA==");
    assert_eq!(emu.send("GET", uri, None, user).await.0, StatusCode::OK);
    // emulator-user:wrong
    let wrong = Some("Basic ZW11bGF0b3ItdXNlcjp3cm9uZw==");
    assert_eq!(
        emu.send("GET", uri, None, wrong).await.0,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn a_wrong_token_gets_403_with_a_numeric_code() {
    let emu = Emu::new(Pace::Manual);
    let response = emu
        .send(
            "GET",
            "/api/2.0/clusters/list",
            None,
            Some("Bearer dapi-wrong"),
        )
        .await;
    assert_eq!(
        response,
        (
            StatusCode::FORBIDDEN,
            json!({"error_code": 403, "message": "Invalid access token."})
        )
    );
    // Unknown /api/ paths are refused before routing too.
    let response = emu
        .send("GET", "/api/2.0/nope", None, Some("Bearer dapi-wrong"))
        .await;
    assert_eq!(response.0, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_custom_token_replaces_the_default() {
    let state = EmulatorState::new(
        EmulatorConfig::default()
            .with_token("dapi-other")
            .with_pace(Pace::Manual),
    );
    let emu = Emu {
        router: app(state.clone()),
        state,
    };
    let uri = "/api/2.0/clusters/list";
    assert_eq!(
        emu.send("GET", uri, None, Some("Bearer dapi-other"))
            .await
            .0,
        StatusCode::OK
    );
    assert_eq!(emu.get(uri).await.0, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn well_known_config_is_a_fast_404_without_auth() {
    let emu = Emu::new(Pace::Manual);
    let response = emu
        .send("GET", "/.well-known/databricks-config", None, None)
        .await;
    let expected = json!({
        "error_code": "ENDPOINT_NOT_FOUND",
        "message": "No API found for 'GET /.well-known/databricks-config'"
    });
    assert_eq!(response, (StatusCode::NOT_FOUND, expected));
}

#[tokio::test]
async fn unknown_paths_and_wrong_methods_are_endpoint_not_found() {
    let emu = Emu::new(Pace::Manual);
    let (status, body) = emu.get("/api/2.0/libraries/nope").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        body,
        json!({"error_code": "ENDPOINT_NOT_FOUND", "message": "No API found for 'GET /api/2.0/libraries/nope'"})
    );
    let (status, body) = emu.get("/api/2.0/libraries/install").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        body["message"],
        "No API found for 'GET /api/2.0/libraries/install'"
    );
    let (status, body) = emu
        .post("/api/2.0/libraries/cluster-status", json!({}))
        .await;
    assert_eq!(
        (status, body["error_code"].as_str()),
        (StatusCode::NOT_FOUND, Some("ENDPOINT_NOT_FOUND"))
    );
}

#[tokio::test]
async fn journal_records_every_request_without_secrets() {
    let emu = Emu::new(Pace::Manual);
    emu.send(
        "GET",
        "/api/2.0/clusters/list",
        None,
        Some("Bearer dapi-secret-guess"),
    )
    .await;
    emu.install(RUNNING_CLUSTER_ID, json!([pypi("requests")]))
        .await;
    emu.get(&format!(
        "/api/2.0/libraries/cluster-status?cluster_id={RUNNING_CLUSTER_ID}"
    ))
    .await;
    emu.send("GET", "/nowhere?x=1", None, None).await;
    emu.send(
        "POST",
        "/api/2.0/libraries/install",
        Some("{oops"),
        Some(&format!("Bearer {DEFAULT_TOKEN}")),
    )
    .await;

    let journal = emu.state.journal();
    let summary: Vec<_> = journal
        .iter()
        .map(|e| {
            (
                e.method.as_str(),
                e.path.as_str(),
                e.query.as_deref(),
                e.status,
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("GET", "/api/2.0/clusters/list", None, 403),
            ("POST", "/api/2.0/libraries/install", None, 200),
            (
                "GET",
                "/api/2.0/libraries/cluster-status",
                Some("cluster_id=0101-120000-running1"),
                200
            ),
            ("GET", "/nowhere", Some("x=1"), 404),
            ("POST", "/api/2.0/libraries/install", None, 400),
        ]
    );
    assert_eq!(
        journal[1].body,
        Some(json!({"cluster_id": RUNNING_CLUSTER_ID, "libraries": [pypi("requests")]}))
    );
    assert_eq!(journal[0].body, None);
    assert_eq!(
        journal[4].body, None,
        "a body that is not JSON is not recorded as JSON"
    );
    let dump = format!("{journal:?}");
    assert!(
        !dump.contains(DEFAULT_TOKEN) && !dump.contains("dapi-secret-guess"),
        "{dump}"
    );
}

#[test]
fn config_debug_redacts_the_token() {
    let config = EmulatorConfig::default().with_token("dapi-very-secret");
    let state = EmulatorState::new(config.clone());
    assert!(!format!("{config:?} {state:?}").contains("dapi-very-secret"));
    assert_eq!(config.pace, Pace::Timed(std::time::Duration::from_secs(2)));
    assert_eq!(state.token(), "dapi-very-secret");
}
