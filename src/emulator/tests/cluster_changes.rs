//! Create (with idempotency tokens and the checks of the spec), edit,
//! resize, permanent delete, list pages and filters, events in both paging
//! styles, and the runtime and node type lists.

use axum::http::StatusCode;
use serde_json::{Value, json};

use super::Emu;
use crate::emulator::{
    EmulatorConfig, EmulatorState, Pace, RUNNING_CLUSTER_ID as RUNNING,
    TERMINATED_CLUSTER_ID as TERMINATED,
};

fn spec() -> Value {
    json!({"cluster_name": "etl", "spark_version": "15.4.x-scala2.12",
           "node_type_id": "i3.xlarge", "num_workers": 1})
}

async fn create(emu: &Emu, body: Value) -> String {
    let (status, answer) = emu.post("/api/2.1/clusters/create", body).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    answer["cluster_id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn the_same_token_answers_the_same_cluster() {
    let emu = Emu::new(Pace::Manual);
    let mut body = spec();
    body["idempotency_token"] = json!("tok-1");
    let first = create(&emu, body.clone()).await;
    assert_eq!(create(&emu, body).await, first);
    assert_ne!(create(&emu, spec()).await, first);
    assert_eq!(emu.cluster_state(&first).await, "PENDING");
    emu.state.tick();
    assert_eq!(emu.cluster_state(&first).await, "RUNNING");
}

#[tokio::test]
async fn create_accepts_only_what_the_lists_report() {
    let emu = Emu::new(Pace::Manual);
    let refusals = [
        (
            json!({"spark_version": "1.0.x"}),
            "Invalid spark version 1.0.x.",
        ),
        (
            json!({"node_type_id": "z9.huge"}),
            "Node type z9.huge is not supported.",
        ),
        (
            json!({"num_workers": null}),
            "Missing required field: num_workers",
        ),
        (
            json!({"autotermination_minutes": 5}),
            "Automatic termination minutes",
        ),
        (
            json!({"autoscale": {"min_workers": 1, "max_workers": 2}}),
            "Only one of",
        ),
    ];
    for (change, message) in refusals {
        let mut body = spec();
        for (key, value) in change.as_object().unwrap() {
            if value.is_null() {
                body.as_object_mut().unwrap().remove(key);
            } else {
                body[key] = value.clone();
            }
        }
        let (status, answer) = emu.post("/api/2.1/clusters/create", body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
        assert_eq!(answer["error_code"], "INVALID_PARAMETER_VALUE");
        assert!(
            answer["message"].as_str().unwrap().starts_with(message),
            "{answer}"
        );
    }
    let (_, versions) = emu.get("/api/2.1/clusters/spark-versions").await;
    assert!(
        versions["versions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v["key"] == "15.4.x-scala2.12")
    );
    let (_, nodes) = emu.get("/api/2.0/clusters/list-node-types").await;
    assert!(
        nodes["node_types"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["node_type_id"] == "i3.xlarge")
    );
}

#[tokio::test]
async fn edit_and_resize_follow_the_state_rules() {
    let emu = Emu::new(Pace::Manual);
    let mut edit = spec();
    edit["cluster_id"] = json!(TERMINATED);
    emu.ok("/api/2.1/clusters/edit", edit.clone()).await;
    assert_eq!(
        emu.cluster_state(TERMINATED).await,
        "TERMINATED",
        "kept for the next start"
    );
    edit["cluster_id"] = json!(RUNNING);
    emu.ok("/api/2.1/clusters/edit", edit.clone()).await;
    assert_eq!(emu.cluster_state(RUNNING).await, "RESTARTING");
    let (status, answer) = emu.post("/api/2.1/clusters/edit", edit).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        answer["message"],
        format!("Cluster {RUNNING} is in unexpected state Restarting.")
    );
    let resize = json!({"cluster_id": RUNNING, "num_workers": 5});
    let (status, _) = emu.post("/api/2.1/clusters/resize", resize.clone()).await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "only a running cluster resizes"
    );
    emu.state.tick();
    emu.ok("/api/2.1/clusters/resize", resize).await;
    let (_, cluster) = emu
        .get(&format!("/api/2.1/clusters/get?cluster_id={RUNNING}"))
        .await;
    assert_eq!(
        (cluster["state"].clone(), cluster["num_workers"].clone()),
        (json!("RESIZING"), json!(5))
    );
}

#[tokio::test]
async fn a_permanently_deleted_cluster_does_not_exist() {
    let emu = Emu::new(Pace::Manual);
    emu.ok(
        "/api/2.1/clusters/permanent-delete",
        json!({"cluster_id": TERMINATED}),
    )
    .await;
    let (status, answer) = emu
        .get(&format!("/api/2.1/clusters/get?cluster_id={TERMINATED}"))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(answer["error_code"], "INVALID_PARAMETER_VALUE");
    assert_eq!(
        answer["message"],
        format!("Cluster {TERMINATED} does not exist")
    );
}

#[tokio::test]
async fn list_2_1_pages_at_100_and_2_0_returns_everything() {
    let emu = Emu::over(EmulatorState::new(
        EmulatorConfig::default()
            .with_pace(Pace::Manual)
            .with_seeded_clusters(230),
    ));
    let mut seen = 0;
    let mut uri = "/api/2.1/clusters/list?page_size=500".to_owned();
    let mut pages = 0;
    loop {
        let (status, page) = emu.get(&uri).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        let clusters = page["clusters"].as_array().unwrap().len();
        assert!(clusters <= 100);
        seen += clusters;
        pages += 1;
        match page["next_page_token"].as_str() {
            Some(token) => uri = format!("/api/2.1/clusters/list?page_token={token}"),
            None => break,
        }
    }
    assert_eq!((seen, pages), (232, 3));
    let (_, all) = emu.get("/api/2.0/clusters/list").await;
    assert_eq!(all["clusters"].as_array().unwrap().len(), 232);
    let filtered = "/api/2.1/clusters/list?filter_by.cluster_sources=JOB&filter_by.is_pinned=true";
    let (_, jobs) = emu.get(filtered).await;
    let jobs = jobs["clusters"].as_array().unwrap();
    assert_eq!(
        jobs.len(),
        (0..230).filter(|i| i % 3 == 2 && i % 5 == 0).count()
    );
    assert!(jobs.iter().all(|c| c["cluster_source"] == "JOB"));
    let (status, _) = emu.get("/api/2.1/clusters/list?page_token=garbage!").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn events_page_with_tokens_or_with_next_page() {
    let emu = Emu::new(Pace::Manual);
    let id = create(&emu, spec()).await;
    emu.state.tick();
    emu.ok("/api/2.1/clusters/pin", json!({"cluster_id": id}))
        .await;
    emu.ok("/api/2.1/clusters/delete", json!({"cluster_id": id}))
        .await;
    let (_, first) = emu
        .post(
            "/api/2.1/clusters/events",
            json!({"cluster_id": id, "limit": 2}),
        )
        .await;
    let kinds = |page: &Value| -> Vec<String> {
        page["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["type"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(kinds(&first), ["TERMINATING", "PINNED"]);
    assert_eq!(first["total_count"], 4);
    let (_, second) = emu
        .post("/api/2.1/clusters/events", first["next_page"].clone())
        .await;
    assert_eq!(kinds(&second), ["RUNNING", "CREATING"]);
    assert!(second.get("next_page").is_none());
    let ascending = json!({"cluster_id": id, "order": "ASC", "page_size": 3});
    let (_, page) = emu.post("/api/2.1/clusters/events", ascending).await;
    assert_eq!(kinds(&page), ["CREATING", "RUNNING", "PINNED"]);
    let token = page["next_page_token"].as_str().unwrap();
    let next = json!({"cluster_id": id, "order": "ASC", "page_size": 3, "page_token": token});
    let (_, page) = emu.post("/api/2.1/clusters/events", next).await;
    assert_eq!(kinds(&page), ["TERMINATING"]);
    let typed = json!({"cluster_id": id, "event_types": ["RUNNING"]});
    let (_, page) = emu.post("/api/2.1/clusters/events", typed).await;
    assert_eq!(kinds(&page), ["RUNNING"]);
}
