//! Managed contexts against the emulator's real Python processes.

use super::*;
use crate::{
    config::{DatabricksConfig, Secret},
    databricks::models::{CommandStatusResponse, ExecuteCommandRequest},
    emulator::{self, EmulatorConfig, EmulatorHandle, Pace},
};

const RUNNING: &str = emulator::RUNNING_CLUSTER_ID;

async fn emulator_and_client() -> (EmulatorHandle, Client) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let config = EmulatorConfig::default().with_pace(Pace::PerRead);
    let handle = emulator::spawn(listener, config).await.unwrap();
    let config = DatabricksConfig::new(&handle.url(), Secret::new(handle.token())).unwrap();
    (handle, Client::new(&config).unwrap())
}

/// Kills the Python process of `context_id` and waits until Databricks
/// reports the context in `Error`, without anyone reading the command.
async fn kill_driver(client: &Client, context_id: &str) {
    let command = ExecuteCommandRequest {
        cluster_id: RUNNING.into(),
        context_id: context_id.into(),
        language: "python".into(),
        command: "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)".into(),
    };
    client
        .execute_command(&command, CallOptions::default())
        .await
        .unwrap();
    let context = ContextRequest {
        cluster_id: RUNNING.into(),
        context_id: context_id.into(),
    };
    loop {
        let status = client
            .context_status(&context, CallOptions::default())
            .await
            .unwrap();
        if status.status == "Error" {
            return;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test]
async fn an_idle_context_is_checked_and_replaced_when_dead() {
    let (emulator, client) = emulator_and_client().await;
    let contexts = ManagedContexts::new(client.clone(), Duration::from_secs(600))
        .verifying_after(Duration::ZERO);
    let first = contexts.context_for(RUNNING, "python").await.unwrap();
    kill_driver(&client, &first).await;
    let second = contexts.context_for(RUNNING, "python").await.unwrap();
    assert_ne!(second, first, "the dead context is replaced");
    assert_eq!(contexts.context_ids(), vec![second.clone()]);
    assert_eq!(
        contexts.context_for(RUNNING, "python").await.unwrap(),
        second,
        "a live one is kept"
    );
    emulator.shutdown();
    emulator.join().await.unwrap();
}

#[tokio::test]
async fn a_recently_used_context_is_reused_without_a_check() {
    let (emulator, client) = emulator_and_client().await;
    let contexts = ManagedContexts::new(client.clone(), Duration::from_secs(600));
    let first = contexts.context_for(RUNNING, "python").await.unwrap();
    let reads = emulator.journal().len();
    assert_eq!(
        contexts.context_for(RUNNING, "python").await.unwrap(),
        first
    );
    assert_eq!(
        emulator.journal().len(),
        reads,
        "no status read when just used"
    );
    kill_driver(&client, &first).await;
    assert_eq!(
        contexts.context_for(RUNNING, "python").await.unwrap(),
        first,
        "nothing said it died, and it was used a moment ago"
    );
    emulator.shutdown();
    emulator.join().await.unwrap();
}

#[test]
fn only_a_platform_error_naming_a_dead_driver_condemns_a_context() {
    let status = |status: &str, summary: &str| CommandStatusResponse {
        id: "c".into(),
        status: status.into(),
        results: Some(crate::databricks::models::Results {
            result_type: Some("error".into()),
            summary: Some(summary.into()),
            ..Default::default()
        }),
    };
    assert!(reports_dead_driver(&status(
        "Error",
        "Command failed: the driver became unresponsive"
    )));
    assert!(reports_dead_driver(&status(
        "Error",
        "Fatal error: The Python kernel is unresponsive."
    )));
    assert!(
        !reports_dead_driver(&status(
            "Finished",
            "Exception: the driver became unresponsive"
        )),
        "a user's own exception saying so"
    );
    assert!(!reports_dead_driver(&status(
        "Error",
        "Command was cancelled"
    )));
}
