//! The Libraries API: validation, refusals and the shape of status lists.

use axum::http::StatusCode;
use serde_json::json;

use super::{Emu, pypi};
use crate::emulator::{
    Pace, RUNNING_CLUSTER_ID as RUNNING, TERMINATED_CLUSTER_ID as TERMINATED, store::LEGACY_LIBRARY,
};

#[tokio::test]
async fn install_on_an_unknown_cluster_is_refused() {
    let emu = Emu::new(Pace::Manual);
    let body = json!({"cluster_id": "1005-abcd", "libraries": [pypi("x")]});
    let expected = json!({"error_code": "INVALID_PARAMETER_VALUE", "message": "Cluster 1005-abcd does not exist"});
    assert_eq!(
        emu.post("/api/2.0/libraries/install", body).await,
        (StatusCode::BAD_REQUEST, expected.clone())
    );
    assert_eq!(
        emu.get("/api/2.0/libraries/cluster-status?cluster_id=1005-abcd")
            .await,
        (StatusCode::BAD_REQUEST, expected)
    );
}

#[tokio::test]
async fn bad_bodies_and_queries_are_refused() {
    let emu = Emu::new(Pace::Manual);
    let (status, body) = emu
        .post(
            "/api/2.0/libraries/install",
            json!({"libraries": [pypi("x")]}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body,
        json!({"error_code": "INVALID_PARAMETER_VALUE", "message": "Missing required field: cluster_id"})
    );
    let auth = format!("Bearer {}", crate::emulator::DEFAULT_TOKEN);
    let (status, body) = emu
        .send(
            "POST",
            "/api/2.0/libraries/install",
            Some("{\"cluster_id\":"),
            Some(&auth),
        )
        .await;
    assert_eq!(
        (status, body["error_code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("MALFORMED_REQUEST"))
    );
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .starts_with("Invalid JSON given in the body of the request - ")
    );
    let body =
        json!({"cluster_id": RUNNING, "libraries": [{"pypi": {"package": "x"}, "jar": "/a.jar"}]});
    let (status, body) = emu.post("/api/2.0/libraries/install", body).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("several library kinds"),
        "{body}"
    );
    let (status, body) = emu.get("/api/2.0/libraries/cluster-status").await;
    assert_eq!(
        (status, body["message"].as_str()),
        (
            StatusCode::BAD_REQUEST,
            Some("Missing required field: cluster_id")
        )
    );
}

#[tokio::test]
async fn an_empty_uninstall_is_the_historic_500() {
    let emu = Emu::new(Pace::Manual);
    let response = emu
        .post(
            "/api/2.0/libraries/uninstall",
            json!({"cluster_id": RUNNING, "libraries": []}),
        )
        .await;
    assert_eq!(
        response,
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            json!({"error_code": "INTERNAL_ERROR", "message": "Unexpected error"})
        )
    );
}

#[tokio::test]
async fn library_for_all_clusters_is_flagged_and_last_of_the_requested() {
    let emu = Emu::new(Pace::Manual);
    emu.install(RUNNING, json!([pypi("requests")])).await;
    let statuses = emu.statuses(RUNNING).await;
    assert_eq!(statuses.len(), 2);
    assert_eq!(statuses[0]["is_library_for_all_clusters"], false);
    assert_eq!(
        statuses[1],
        json!({"library": {"jar": LEGACY_LIBRARY}, "status": "SKIPPED", "is_library_for_all_clusters": true})
    );
}

#[tokio::test]
async fn all_cluster_statuses_lists_every_cluster_in_id_order() {
    let emu = Emu::new(Pace::Manual);
    emu.install(TERMINATED, json!([pypi("pydantic")])).await;
    let (status, body) = emu.get("/api/2.0/libraries/all-cluster-statuses").await;
    assert_eq!(status, StatusCode::OK);
    let statuses = body["statuses"].as_array().unwrap();
    let ids: Vec<_> = statuses
        .iter()
        .map(|s| s["cluster_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [RUNNING, TERMINATED]);
    assert_eq!(statuses[1]["library_statuses"][0]["status"], "PENDING");
}
