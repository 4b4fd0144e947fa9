//! Large command results: cut to fit one message a default gRPC client
//! accepts, and upstream bodies over the hard cap refused without being read.

use std::sync::{
    Arc,
    atomic::{AtomicBool, AtomicUsize, Ordering},
};

use axum::{
    Router,
    body::Body,
    http::header,
    response::{IntoResponse, Response},
    routing::get,
};
use bytes::Bytes;
use databricks_grpc::{
    config::Secret,
    proto::compute::{self as pb, Language, command_results::Result as Kind},
};
use prost::Message;
use tokio_stream::StreamExt;
use tonic::Code;
use tonic_types::StatusExt;

use crate::{
    commands::{execute, open_stream},
    helpers::{RUNNING, TestApp, eventually, spawn_canned_upstream},
};

/// The default receive limit of tonic and other gRPC clients.
const DEFAULT_CLIENT_LIMIT: usize = 4 * 1024 * 1024;
const COMMAND_STATUS: &str = "/api/1.2/commands/status";

/// CommandStatus of a started command, until it has ended.
/// The last message of StreamCommandStatus and the finished CommandStatus
/// of `started`, each named by its RPC.
async fn streamed_and_polled(
    app: &mut TestApp,
    started: &pb::ExecuteCommandResponse,
) -> [(pb::Command, &'static str); 2] {
    let streamed: Vec<_> = open_stream(&mut app.client, started)
        .await
        .map(|update| update.unwrap().command.unwrap())
        .collect()
        .await;
    let polled = finished_status(app, started).await;
    [
        (streamed.last().unwrap().clone(), "StreamCommandStatus"),
        (polled, "CommandStatus"),
    ]
}

async fn finished_status(app: &mut TestApp, started: &pb::ExecuteCommandResponse) -> pb::Command {
    loop {
        let command = app
            .client
            .command_status(pb::CommandStatusRequest {
                cluster_id: RUNNING.into(),
                context_id: started.context_id.clone(),
                command_id: started.command_id.clone(),
            })
            .await
            .unwrap()
            .into_inner()
            .command
            .unwrap();
        if command.results.is_some() {
            return command;
        }
    }
}

/// The results were cut by this server, and say so.
fn assert_cut(command: &pb::Command, what: &str) -> pb::CommandResults {
    let message = pb::CommandStatusResponse {
        command: Some(command.clone()),
    };
    assert!(
        message.encoded_len() < DEFAULT_CLIENT_LIMIT,
        "{}",
        message.encoded_len()
    );
    let results = command.results.clone().unwrap();
    assert!(results.truncated, "{what}: truncated is set");
    assert!(
        results.truncation_message.contains("limit of one message"),
        "{what}: {}",
        results.truncation_message
    );
    results
}

#[tokio::test]
async fn a_large_sql_result_comes_back_cut_and_flagged() {
    let mut app = TestApp::spawn().await;
    // 10,000 rows of about 1 KB: 10 MB, more than a default client accepts.
    let sql = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10000) \
               SELECT i, hex(zeroblob(512)) AS pad FROM n";
    let started = execute(&mut app, Language::Sql, sql, "").await;
    // The generated client keeps tonic's default 4 MiB decode limit.
    for (command, what) in streamed_and_polled(&mut app, &started).await {
        let results = assert_cut(&command, what);
        let Some(Kind::Table(table)) = results.result else {
            panic!("{what}: a table");
        };
        assert!(
            (1000..10_000).contains(&table.data.len()),
            "{what}: {} rows",
            table.data.len()
        );
        assert_eq!(table.schema.len(), 2, "{what}: the schema is whole");
        assert!(
            results
                .truncation_message
                .contains(&format!("the first {} of 10000 rows", table.data.len())),
            "{}",
            results.truncation_message
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn a_large_text_result_comes_back_cut_and_flagged() {
    let output = "y".repeat(5 * 1024 * 1024);
    let body = serde_json::json!({"id": "3", "status": "Finished",
        "results": {"resultType": "text", "data": output}})
    .to_string();
    let router = Router::new().route(
        COMMAND_STATUS,
        get(move || {
            let body = body.clone();
            async move { ([(header::CONTENT_TYPE, "application/json")], body) }
        }),
    );
    let url = spawn_canned_upstream(router).await;
    let mut app = TestApp::spawn_against(&url, Secret::new("t")).await;
    let started = pb::ExecuteCommandResponse {
        command_id: "3".into(),
        context_id: "2".into(),
    };
    for (command, what) in streamed_and_polled(&mut app, &started).await {
        let results = assert_cut(&command, what);
        let Some(Kind::Text(text)) = results.result else {
            panic!("{what}: text");
        };
        assert!(
            output.starts_with(&text.data) && text.data.len() > 1024 * 1024,
            "{what}"
        );
        assert_eq!(text.text, text.data);
    }
    app.stop().await;
}

/// How much of its endless body a streaming upstream handed out, and whether
/// the body was dropped (the reader went away).
#[derive(Default)]
struct Produced {
    bytes: AtomicUsize,
    dropped: AtomicBool,
}

/// Sets `dropped` when the body stream is dropped.
struct DropFlag(Arc<Produced>);

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.dropped.store(true, Ordering::SeqCst);
    }
}

const CHUNK: usize = 1024 * 1024;
/// Four times the 64 MiB cap of the endpoint.
const ENDLESS: usize = 256 * CHUNK;
/// The opening of the endless body: a command status whose text never ends.
const START: &[u8] = br#"{"id":"1","status":"Finished","results":{"resultType":"text","data":""#;

/// A command status whose text never ends (within [`ENDLESS`] bytes); with
/// `declare_length`, its `Content-Length` says so up front.
fn endless_status(produced: Arc<Produced>, declare_length: bool) -> Response {
    let flag = DropFlag(produced);
    let chunks = tokio_stream::iter(0..ENDLESS / CHUNK).map(move |index| {
        let produced = &flag.0;
        let chunk = if index == 0 {
            Bytes::from_static(START)
        } else {
            Bytes::from(vec![b'x'; CHUNK])
        };
        produced.bytes.fetch_add(chunk.len(), Ordering::SeqCst);
        Ok::<_, std::convert::Infallible>(chunk)
    });
    let mut response = Body::from_stream(chunks).into_response();
    if declare_length {
        let length = (ENDLESS - CHUNK + START.len()).to_string();
        response
            .headers_mut()
            .insert(header::CONTENT_LENGTH, length.parse().unwrap());
    }
    response
}

#[tokio::test]
async fn an_upstream_body_over_the_hard_cap_is_refused_without_reading_it() {
    for declare_length in [false, true] {
        let produced = Arc::new(Produced::default());
        let served = produced.clone();
        let router = Router::new().route(
            COMMAND_STATUS,
            get(move || {
                let produced = served.clone();
                async move { endless_status(produced, declare_length) }
            }),
        );
        let url = spawn_canned_upstream(router).await;
        let mut app = TestApp::spawn_against(&url, Secret::new("t")).await;
        let status = app
            .client
            .command_status(pb::CommandStatusRequest {
                cluster_id: RUNNING.into(),
                context_id: "2".into(),
                command_id: "1".into(),
            })
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
        let details = status.get_error_details();
        assert_eq!(
            details.error_info().unwrap().reason,
            "UPSTREAM_BODY_TOO_LARGE"
        );
        assert!(details.retry_info().is_none(), "repeating it cannot help");
        // The server stopped reading: the upstream's body was dropped long
        // before its end. Only what the sockets buffer lies beyond the cap
        // (64 MiB), and nothing at all is read past the headers when
        // Content-Length announces the size.
        eventually("the upstream body is dropped", || {
            produced.dropped.load(Ordering::SeqCst)
        })
        .await;
        let sent = produced.bytes.load(Ordering::SeqCst);
        println!(
            "Content-Length {declare_length}: the upstream handed out {sent} of {ENDLESS} bytes"
        );
        let most = if declare_length {
            32 * CHUNK
        } else {
            96 * CHUNK
        };
        assert!(
            sent < most,
            "Content-Length {declare_length}: {sent} bytes handed out"
        );
        app.stop().await;
    }
}
