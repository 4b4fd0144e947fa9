//! REST API 1.2 refusals: unknown contexts and commands, bad bodies, and a
//! missing interpreter, each answered like Databricks would.

use axum::http::StatusCode;
use serde_json::{Value, json};

use super::Emu;
use crate::emulator::{EmulatorConfig, EmulatorState, Pace, RUNNING_CLUSTER_ID as RUNNING, app};

#[tokio::test]
async fn unknown_ids_and_bad_bodies_are_refused_like_databricks() {
    let emu = Emu::new(Pace::Manual);
    let (status, body) = emu.context_status("1111111111111111111").await;
    let gone = json!({"error": format!("ContextNotFound: Execution context 1111111111111111111 not found on cluster {RUNNING}")});
    assert_eq!((status, body), (StatusCode::BAD_REQUEST, gone.clone()));
    let execute = json!({"clusterId": RUNNING, "contextId": "1111111111111111111", "language": "python", "command": "x"});
    let refused = emu.post("/api/1.2/commands/execute", execute).await;
    assert_eq!(refused, (StatusCode::BAD_REQUEST, gone));
    let context = emu.create_context(RUNNING).await;
    let status = emu
        .get(&format!(
            "/api/1.2/commands/status?clusterId={RUNNING}&contextId={context}&commandId=nope"
        ))
        .await;
    let expected = format!(
        "CommandNotFound: Command nope not found in execution context {context} on cluster {RUNNING}"
    );
    assert_eq!(
        status,
        (StatusCode::BAD_REQUEST, json!({"error": expected}))
    );
    assert_eq!(
        emu.cancel(&context, "nope").await.0,
        StatusCode::BAD_REQUEST
    );
    let cases: [(Value, &str); 3] = [
        (
            json!({"language": "python"}),
            "Missing required field: clusterId",
        ),
        (
            json!({"clusterId": RUNNING}),
            "Missing required field: language",
        ),
        (
            json!({"clusterId": RUNNING, "language": "cobol"}),
            "Invalid value for field language: expected one of python, scala, sql, r, got 'cobol'",
        ),
    ];
    for (body, message) in cases {
        let (status, body) = emu.post("/api/1.2/contexts/create", body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(
            body,
            json!({"error_code": "INVALID_PARAMETER_VALUE", "message": message})
        );
    }
    let missing = emu
        .get(&format!(
            "/api/1.2/commands/status?clusterId={RUNNING}&contextId={context}"
        ))
        .await;
    assert_eq!(missing.1["message"], "Missing required field: commandId");
}

#[tokio::test]
async fn a_missing_interpreter_is_reported_at_create() {
    let config = EmulatorConfig::default()
        .with_pace(Pace::Manual)
        .with_python("/nonexistent/python3");
    let state = EmulatorState::new(config);
    let emu = Emu {
        router: app(state.clone()),
        state,
    };
    let (status, body) = emu
        .post(
            "/api/1.2/contexts/create",
            json!({"clusterId": RUNNING, "language": "python"}),
        )
        .await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    let error = body["error"].as_str().unwrap();
    assert!(error.starts_with("ExecutionContextStartException: the emulator could not start the Python interpreter '/nonexistent/python3'"), "{error}");
}
