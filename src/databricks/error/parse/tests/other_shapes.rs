//! The other error bodies of `databricks-rest-examples.json` and the REST
//! reference §3.1 through the parser: the 1.2 `{"error": ...}` shape, HTML,
//! `CODE: message` text, anything else, and empty bodies.

use super::response::{ALL, CREATE, Response, STATUS, plain};

/// The 1.2 `{"error": "..."}` shape: the text is the message, and the code
/// comes from the exception it names.
#[test]
fn the_1_2_shape() {
    let cases = [
        (
            "error_1_2_style_error_field",
            "GET /api/1.2/commands/status",
            500,
            r#"{"error": "RuntimeException: Unknown ExecutionStatus RunningInBackground(ExecutionId(fa230ea8-7880-4b17-ba35-ae2b32889a11), ...)"}"#,
            plain(
                "RUNTIME_EXCEPTION",
                "RuntimeException: Unknown ExecutionStatus RunningInBackground(ExecutionId(fa230ea8-7880-4b17-ba35-ae2b32889a11), ...)",
            ),
        ),
        (
            "error_1_2_cluster_not_ready",
            CREATE,
            500,
            r#"{"error": "ClusterNotReadyException: Cluster 0923-164208-abcd1234 is not ready yet, please retry later"}"#,
            plain(
                "CLUSTER_NOT_READY_EXCEPTION",
                "ClusterNotReadyException: Cluster 0923-164208-abcd1234 is not ready yet, please retry later",
            ),
        ),
        (
            "error_1_2_context_gone",
            "POST /api/1.2/commands/execute",
            400,
            r#"{"error": "ContextNotFound: Execution context 1111111111111111111 not found on cluster 0923-164208-abcd1234"}"#,
            plain(
                "CONTEXT_NOT_FOUND",
                "ContextNotFound: Execution context 1111111111111111111 not found on cluster 0923-164208-abcd1234",
            ),
        ),
        (
            "oauth_m2m_token_bad_secret",
            "POST /oidc/v1/token",
            401,
            r#"{"error": "invalid_client", "error_description": "Client authentication failed"}"#,
            plain("UNAUTHORIZED", "invalid_client"),
        ),
    ];
    for (example, endpoint, status, body, expected) in cases {
        let error = Response {
            example,
            endpoint,
            status,
            headers: &[],
            body,
        }
        .check(expected);
        let gone = example == "error_1_2_context_gone";
        assert_eq!(error.is_context_not_found(), gone, "{example}");
    }
}

/// Non-JSON bodies: example `error_html_from_proxy` (HTML, message from
/// `<pre>`), example `error_plain_text_code_prefix` (`CODE: message`), and
/// anything else (§3.1.5: `UNKNOWN`, the raw body).
#[test]
fn bodies_that_are_not_json() {
    Response {
        example: "error_html_from_proxy",
        endpoint: ALL,
        status: 503,
        headers: &[("content-type", "text/html;charset=utf-8")],
        body: "<html><head><title>Error 503 Service Unavailable</title></head><body><h2>HTTP ERROR 503</h2><p>Problem accessing /api/2.0/libraries/all-cluster-statuses. Reason:<pre>    Service Unavailable</pre></p></body></html>",
    }
    .check(plain("SERVICE_UNAVAILABLE", "Service Unavailable"));
    Response {
        example: "error_plain_text_code_prefix",
        endpoint: ALL,
        status: 400,
        headers: &[("content-type", "text/plain")],
        body: "MALFORMED_REQUEST: Invalid request payload",
    }
    .check(plain("MALFORMED_REQUEST", "Invalid request payload"));
    Response {
        example: "REST reference §3.1.5",
        endpoint: ALL,
        status: 502,
        headers: &[("content-type", "text/plain")],
        body: "upstream connect error or disconnect/reset before headers",
    }
    .check(plain(
        "UNKNOWN",
        "upstream connect error or disconnect/reset before headers",
    ));
}

/// §3.1.1: an empty (or blank) body takes its message from the reason
/// phrase, Databricks' header first.
#[test]
fn empty_bodies() {
    let mut response = Response {
        example: "REST reference §3.1.1",
        endpoint: STATUS,
        status: 503,
        headers: &[],
        body: "",
    };
    response.check(plain("SERVICE_UNAVAILABLE", "Service Unavailable"));
    response.body = " \r\n";
    response.check(plain("SERVICE_UNAVAILABLE", "Service Unavailable"));
    response.headers = &[("x-databricks-reason-phrase", "Worker environment not ready")];
    response.check(plain(
        "WORKER_ENVIRONMENT_NOT_READY",
        "Worker environment not ready",
    ));
}

/// §3.1.2: when a body has both, the 1.2 `error` is the message (both SDKs)
/// and a 2.0 `error_code` still names the code; a body with a message but
/// no code takes its code from the reason phrase.
#[test]
fn mixed_and_codeless_json() {
    Response {
        example: "REST reference §3.1.2, error and error_code",
        endpoint: CREATE,
        status: 400,
        headers: &[],
        body: r#"{"error_code": "INVALID_STATE", "message": "ignored", "error": "Cluster is not running."}"#,
    }
    .check(plain("INVALID_STATE", "Cluster is not running."));
    Response {
        example: "REST reference §3.1.2, no error_code",
        endpoint: STATUS,
        status: 404,
        headers: &[],
        body: r#"{"message": "No API found for 'GET /api/2.0/libraries/cluster-statuses'"}"#,
    }
    .check(plain(
        "NOT_FOUND",
        "No API found for 'GET /api/2.0/libraries/cluster-statuses'",
    ));
}
