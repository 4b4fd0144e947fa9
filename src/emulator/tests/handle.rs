//! The spawned server: a real socket, the banner, shutdown and join.

use tokio::net::TcpListener;

use crate::emulator::{DEFAULT_TOKEN, EmulatorConfig, Pace, spawn};

#[tokio::test]
async fn spawned_emulator_serves_prints_its_banner_and_stops() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let handle = spawn(listener, EmulatorConfig::default().with_pace(Pace::Manual))
        .await
        .unwrap();
    let url = handle.url();
    assert_eq!(url, format!("http://127.0.0.1:{}", handle.addr().port()));
    assert_eq!(handle.token(), DEFAULT_TOKEN);
    let expected = format!(
        "Databricks emulator listening on {url}\n\
         \x20 DATABRICKS_HOST={url}\n\
         \x20 DATABRICKS_TOKEN=dapi-emulator-token\n\
         \x20 cluster 0101-120000-running1  RUNNING     emulator-running\n\
         \x20 cluster 0101-120000-stopped2  TERMINATED  emulator-terminated\n"
    );
    assert_eq!(handle.banner(), expected);

    let client = reqwest::Client::new();
    let response = client
        .get(format!(
            "{url}/api/2.0/libraries/cluster-status?cluster_id=0101-120000-running1"
        ))
        .bearer_auth(DEFAULT_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["cluster_id"], "0101-120000-running1");
    assert_eq!(handle.journal().len(), 1);

    handle.seed_workspace(1, 1);
    assert!(
        handle
            .banner()
            .ends_with("  cluster 0202-000000-w0000001  RUNNING     emulator-workspace-0001\n")
    );
    handle.tick();

    handle.shutdown();
    handle.join().await.unwrap();
    assert!(
        client
            .get(format!("{url}/api/2.0/clusters/list"))
            .send()
            .await
            .is_err(),
        "the server stopped"
    );
}
