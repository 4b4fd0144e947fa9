//! The Clusters API: details, list, start/restart/delete and their refusals.

use axum::http::StatusCode;
use serde_json::json;

use super::Emu;
use crate::emulator::{Pace, RUNNING_CLUSTER_ID as RUNNING, TERMINATED_CLUSTER_ID as TERMINATED};

#[tokio::test]
async fn get_returns_sdk_shaped_details() {
    let emu = Emu::new(Pace::Manual);
    for version in ["2.0", "2.1"] {
        let (status, body) = emu
            .get(&format!("/api/{version}/clusters/get?cluster_id={RUNNING}"))
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["cluster_id"], RUNNING);
        assert_eq!(body["cluster_name"], "emulator-running");
        assert_eq!(body["state"], "RUNNING");
        assert_eq!(body["spark_version"], "15.4.x-scala2.12");
        assert_eq!(body["num_workers"], 2);
        assert!(body["creator_user_name"].is_string() && body["node_type_id"].is_string());
        assert_eq!(body.get("state_message"), None);
        assert_eq!(body.get("termination_reason"), None);
    }
    let (_, body) = emu
        .get(&format!("/api/2.0/clusters/get?cluster_id={TERMINATED}"))
        .await;
    assert_eq!(body["state"], "TERMINATED");
    assert_eq!(body["termination_reason"]["code"], "INACTIVITY");
    assert_eq!(
        body["state_message"],
        "Inactive cluster terminated (inactive for 120 minutes)."
    );
}

#[tokio::test]
async fn get_refuses_unknown_and_missing_ids() {
    let emu = Emu::new(Pace::Manual);
    let response = emu.get("/api/2.0/clusters/get?cluster_id=0000-nope").await;
    let expected = json!({"error_code": "INVALID_PARAMETER_VALUE", "message": "Cluster 0000-nope does not exist"});
    assert_eq!(response, (StatusCode::BAD_REQUEST, expected));
    let (status, body) = emu.get("/api/2.0/clusters/get").await;
    assert_eq!(
        (status, body["message"].as_str()),
        (
            StatusCode::BAD_REQUEST,
            Some("Missing required field: cluster_id")
        )
    );
}

#[tokio::test]
async fn list_shows_every_cluster() {
    let emu = Emu::new(Pace::Manual);
    let (status, body) = emu.get("/api/2.1/clusters/list").await;
    assert_eq!(status, StatusCode::OK);
    let listed: Vec<_> = body["clusters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["cluster_id"].clone(), c["state"].clone()))
        .collect();
    assert_eq!(
        listed,
        [
            (json!(RUNNING), json!("RUNNING")),
            (json!(TERMINATED), json!("TERMINATED"))
        ]
    );
}

#[tokio::test]
async fn start_restart_and_delete_walk_the_states() {
    let emu = Emu::new(Pace::Manual);
    emu.ok("/api/2.0/clusters/start", json!({"cluster_id": TERMINATED}))
        .await;
    assert_eq!(emu.cluster_state(TERMINATED).await, "PENDING");
    emu.state.tick();
    assert_eq!(emu.cluster_state(TERMINATED).await, "RUNNING");

    emu.ok("/api/2.0/clusters/restart", json!({"cluster_id": RUNNING}))
        .await;
    assert_eq!(emu.cluster_state(RUNNING).await, "RESTARTING");
    emu.state.tick();
    assert_eq!(emu.cluster_state(RUNNING).await, "RUNNING");

    emu.ok("/api/2.0/clusters/delete", json!({"cluster_id": RUNNING}))
        .await;
    assert_eq!(emu.cluster_state(RUNNING).await, "TERMINATING");
    emu.state.tick();
    let (_, body) = emu
        .get(&format!("/api/2.0/clusters/get?cluster_id={RUNNING}"))
        .await;
    assert_eq!(
        (
            body["state"].as_str(),
            body["termination_reason"]["code"].as_str()
        ),
        (Some("TERMINATED"), Some("USER_REQUEST"))
    );
    emu.ok("/api/2.0/clusters/delete", json!({"cluster_id": RUNNING}))
        .await;
}

#[tokio::test]
async fn per_read_pace_advances_on_clusters_get() {
    let emu = Emu::new(Pace::PerRead);
    emu.ok("/api/2.0/clusters/start", json!({"cluster_id": TERMINATED}))
        .await;
    assert_eq!(emu.cluster_state(TERMINATED).await, "RUNNING");
}

#[tokio::test]
async fn starting_a_cluster_that_is_not_terminated_is_invalid_state() {
    let emu = Emu::new(Pace::Manual);
    let response = emu
        .post("/api/2.0/clusters/start", json!({"cluster_id": RUNNING}))
        .await;
    let expected = json!({"error_code": "INVALID_STATE", "message": format!("Cluster {RUNNING} is in unexpected state Running.")});
    assert_eq!(response, (StatusCode::BAD_REQUEST, expected));
    emu.ok("/api/2.0/clusters/start", json!({"cluster_id": TERMINATED}))
        .await;
    let (status, body) = emu
        .post("/api/2.0/clusters/start", json!({"cluster_id": TERMINATED}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body["message"],
        format!("Cluster {TERMINATED} is in unexpected state Pending.")
    );
    let (status, body) = emu
        .post(
            "/api/2.0/clusters/restart",
            json!({"cluster_id": TERMINATED}),
        )
        .await;
    assert_eq!(
        (status, body["error_code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("INVALID_STATE"))
    );
    let (status, body) = emu
        .post(
            "/api/2.0/clusters/delete",
            json!({"cluster_id": "0000-nope"}),
        )
        .await;
    assert_eq!(
        (status, body["message"].as_str()),
        (
            StatusCode::BAD_REQUEST,
            Some("Cluster 0000-nope does not exist")
        )
    );
}

#[tokio::test]
async fn seed_workspace_adds_installed_clusters_in_order() {
    let emu = Emu::new(Pace::PerRead);
    emu.state.seed_workspace(3, 4);
    emu.state.seed_workspace(1, 0);
    let (_, body) = emu.get("/api/2.0/libraries/all-cluster-statuses").await;
    let statuses = body["statuses"].as_array().unwrap();
    let ids: Vec<_> = statuses
        .iter()
        .map(|s| s["cluster_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            RUNNING,
            TERMINATED,
            "0202-000000-w0000001",
            "0202-000000-w0000002",
            "0202-000000-w0000003",
            "0202-000000-w0000004"
        ]
    );
    for cluster in &statuses[2..5] {
        let libraries = cluster["library_statuses"].as_array().unwrap();
        let own: Vec<_> = libraries
            .iter()
            .filter(|l| l["is_library_for_all_clusters"] == false)
            .collect();
        assert_eq!(own.len(), 4);
        assert!(own.iter().all(|l| l["status"] == "INSTALLED"), "{own:?}");
    }
    assert_eq!(
        statuses[2]["library_statuses"][0]["library"],
        statuses[3]["library_statuses"][0]["library"]
    );
    assert_eq!(emu.cluster_state("0202-000000-w0000004").await, "RUNNING");
}

#[tokio::test]
async fn seed_workspace_holds_the_pagination_fixture() {
    let emu = Emu::new(Pace::PerRead);
    emu.state.seed_workspace(2_000, 50);
    let (status, body) = emu.get("/api/2.0/libraries/all-cluster-statuses").await;
    assert_eq!(status, StatusCode::OK);
    let statuses = body["statuses"].as_array().unwrap();
    assert_eq!(statuses.len(), 2_002);
    let installed = statuses
        .iter()
        .flat_map(|cluster| cluster["library_statuses"].as_array().unwrap())
        .filter(|library| library["status"] == "INSTALLED")
        .count();
    assert_eq!(installed, 100_000);
}
