//! REST API 1.2 contexts and commands: the request bodies the client sends
//! (camelCase), the `{"id": ...}` answers and the context status.

use super::{golden, literal, refused, wire};
use crate::databricks::models::{
    CommandRequest, ContextRequest, ContextStatusResponse, CreateContextRequest,
    ExecuteCommandRequest, IdResponse,
};

const CLUSTER: &str = "0923-164208-abcd1234";
const CONTEXT: &str = "3845165776084034518";
const COMMAND: &str = "3a601163-d3c7-40f9-9c61-deb92c7a2c9d";

/// Example `contexts_create_ok`, request body.
#[test]
fn the_create_context_body() {
    let body = CreateContextRequest {
        cluster_id: CLUSTER.into(),
        language: "python".into(),
    };
    let expected = literal(r#"{"clusterId": "0923-164208-abcd1234", "language": "python"}"#);
    assert_eq!(wire(&body), expected);
}

/// Example `contexts_destroy_ok`, request body.
#[test]
fn the_destroy_context_body() {
    let body = ContextRequest {
        cluster_id: CLUSTER.into(),
        context_id: CONTEXT.into(),
    };
    let expected =
        literal(r#"{"clusterId": "0923-164208-abcd1234", "contextId": "3845165776084034518"}"#);
    assert_eq!(wire(&body), expected);
}

/// Example `commands_execute_ok`, request body.
#[test]
fn the_execute_command_body() {
    let body = ExecuteCommandRequest {
        cluster_id: CLUSTER.into(),
        context_id: CONTEXT.into(),
        language: "python".into(),
        command: "print(spark.range(3).count())".into(),
    };
    let expected = literal(
        r#"{"clusterId": "0923-164208-abcd1234", "contextId": "3845165776084034518",
            "language": "python", "command": "print(spark.range(3).count())"}"#,
    );
    assert_eq!(wire(&body), expected);
}

/// Example `commands_cancel_ok`, request body.
#[test]
fn the_cancel_command_body() {
    let body = CommandRequest {
        cluster_id: CLUSTER.into(),
        context_id: CONTEXT.into(),
        command_id: COMMAND.into(),
    };
    let expected = literal(
        r#"{"clusterId": "0923-164208-abcd1234", "contextId": "3845165776084034518",
            "commandId": "3a601163-d3c7-40f9-9c61-deb92c7a2c9d"}"#,
    );
    assert_eq!(wire(&body), expected);
}

/// Examples `contexts_create_ok`, `contexts_destroy_ok`, `commands_execute_ok`
/// and `commands_cancel_ok`, response bodies.
#[test]
fn the_id_answers() {
    for (example, json, id) in [
        (
            "contexts_create_ok",
            r#"{"id": "3845165776084034518"}"#,
            CONTEXT,
        ),
        (
            "contexts_destroy_ok",
            r#"{"id": "3845165776084034518"}"#,
            CONTEXT,
        ),
        (
            "commands_execute_ok",
            r#"{"id": "3a601163-d3c7-40f9-9c61-deb92c7a2c9d"}"#,
            COMMAND,
        ),
        (
            "commands_cancel_ok",
            r#"{"id": "3a601163-d3c7-40f9-9c61-deb92c7a2c9d"}"#,
            COMMAND,
        ),
    ] {
        assert_eq!(golden::<IdResponse>(json).id, id, "{example}");
    }
}

/// The id is required: an answer without one (or an empty `{}`, which an
/// empty body reads as) is not a success.
#[test]
fn an_answer_without_an_id_is_refused() {
    assert!(refused::<IdResponse>("{}").contains("`id`"));
    assert!(refused::<IdResponse>(r#"{"contextId": "3845165776084034518"}"#).contains("`id`"));
}

/// Examples `contexts_status_pending`, `contexts_status_running` and
/// `contexts_status_error`, response bodies: Capitalized status words.
#[test]
fn the_context_statuses() {
    for (example, json, status) in [
        (
            "contexts_status_pending",
            r#"{"id": "3845165776084034518", "status": "Pending"}"#,
            "Pending",
        ),
        (
            "contexts_status_running",
            r#"{"id": "3845165776084034518", "status": "Running"}"#,
            "Running",
        ),
        (
            "contexts_status_error",
            r#"{"id": "3845165776084034518", "status": "Error"}"#,
            "Error",
        ),
    ] {
        let parsed: ContextStatusResponse = golden(json);
        assert_eq!(parsed.id, CONTEXT, "{example}");
        assert_eq!(parsed.status, status, "{example}");
    }
}

/// Both `id` and `status` are required in a context status.
#[test]
fn a_context_status_needs_its_id_and_status() {
    assert!(
        refused::<ContextStatusResponse>(r#"{"id": "3845165776084034518"}"#).contains("`status`")
    );
    assert!(refused::<ContextStatusResponse>(r#"{"status": "Running"}"#).contains("`id`"));
}
