//! Oversized ids, paths, packages and page tokens: refused at validation,
//! naming the field, before any upstream call, and never copied whole into
//! logs or error messages.

use databricks_grpc::proto::compute::{self as pb, Language, library::Kind};
use tonic::Code;
use tonic_types::StatusExt;

use crate::helpers::{OVERSIZED_MARKER, RUNNING, TestApp, oversized_log_lines, pypi};

/// A marked value of `bytes` bytes.
fn oversized(bytes: usize) -> String {
    format!(
        "{OVERSIZED_MARKER}{}",
        "x".repeat(bytes - OVERSIZED_MARKER.len())
    )
}

fn library(kind: Kind) -> pb::Library {
    pb::Library { kind: Some(kind) }
}

/// The call was refused as invalid, naming exactly `field`, with a short
/// message.
fn assert_refused(field: &str, result: Result<(), tonic::Status>) {
    let status = result.expect_err(field);
    assert_eq!(status.code(), Code::InvalidArgument, "{field}: {status:?}");
    let details = status.get_error_details();
    let fields: Vec<_> = details
        .bad_request()
        .map(|b| b.field_violations.iter().map(|v| v.field.clone()).collect())
        .unwrap_or_default();
    assert_eq!(fields, vec![field.to_owned()]);
    assert!(
        status.message().len() < 200 && status.message().contains(field),
        "{field}: {}",
        status.message()
    );
}

/// The field a call carried the oversized value in, and how it ended.
type Outcome = (&'static str, Result<(), tonic::Status>);

/// Sends `value` as every caller-supplied string of every RPC, one at a
/// time.
async fn send_everywhere(app: &mut TestApp, value: &str) -> Vec<Outcome> {
    let mut outcomes: Vec<Outcome> = Vec::new();
    let c = &mut app.client;
    let install = |cluster_id: &str, library| pb::InstallRequest {
        cluster_id: cluster_id.into(),
        libraries: vec![library],
    };
    for (library, field) in [
        (library(Kind::Jar(value.into())), "libraries[0].jar"),
        (library(Kind::Whl(value.into())), "libraries[0].whl"),
        (pypi(value), "libraries[0].pypi.package"),
        (
            library(Kind::Pypi(pb::PythonPyPiLibrary {
                package: "simplejson".into(),
                repo: format!("https://pypi.example/{value}"),
            })),
            "libraries[0].pypi.repo",
        ),
        (
            library(Kind::Maven(pb::MavenLibrary {
                coordinates: "org.jsoup:jsoup:1.17.2".into(),
                repo: String::new(),
                exclusions: vec![format!("g:{value}")],
            })),
            "libraries[0].maven.exclusions[0]",
        ),
    ] {
        record(
            &mut outcomes,
            c.install(install(RUNNING, library)).await,
            field,
        );
    }
    record(
        &mut outcomes,
        c.install(install(value, pypi("simplejson"))).await,
        "cluster_id",
    );
    let uninstall = pb::UninstallRequest {
        cluster_id: value.into(),
        libraries: vec![pypi("simplejson")],
    };
    record(&mut outcomes, c.uninstall(uninstall).await, "cluster_id");
    let cluster = || value.to_owned();
    record(
        &mut outcomes,
        c.cluster_status(pb::ClusterStatusRequest {
            cluster_id: cluster(),
        })
        .await,
        "cluster_id",
    );
    record(
        &mut outcomes,
        c.all_statuses(pb::AllStatusesRequest {
            page_size: 10,
            page_token: cluster(),
        })
        .await,
        "page_token",
    );
    record(
        &mut outcomes,
        c.watch_cluster_status(pb::WatchClusterStatusRequest {
            cluster_id: cluster(),
        })
        .await,
        "cluster_id",
    );
    record(
        &mut outcomes,
        c.create_context(pb::CreateContextRequest {
            cluster_id: cluster(),
            language: Language::Python as i32,
        })
        .await,
        "cluster_id",
    );
    let context = || pb::ContextStatusRequest {
        cluster_id: RUNNING.into(),
        context_id: value.into(),
    };
    record(
        &mut outcomes,
        c.context_status(context()).await,
        "context_id",
    );
    record(
        &mut outcomes,
        c.destroy_context(pb::DestroyContextRequest {
            cluster_id: RUNNING.into(),
            context_id: value.into(),
        })
        .await,
        "context_id",
    );
    for (cluster_id, context_id, field) in
        [(value, "", "cluster_id"), (RUNNING, value, "context_id")]
    {
        let execute = pb::ExecuteCommandRequest {
            cluster_id: cluster_id.into(),
            language: Language::Python as i32,
            command: "print(1)".into(),
            context_id: context_id.into(),
        };
        record(&mut outcomes, c.execute_command(execute).await, field);
    }
    record(
        &mut outcomes,
        c.command_status(pb::CommandStatusRequest {
            cluster_id: RUNNING.into(),
            context_id: "1".into(),
            command_id: value.into(),
        })
        .await,
        "command_id",
    );
    record(
        &mut outcomes,
        c.cancel_command(pb::CancelCommandRequest {
            cluster_id: RUNNING.into(),
            context_id: "1".into(),
            command_id: value.into(),
        })
        .await,
        "command_id",
    );
    record(
        &mut outcomes,
        c.stream_command_status(pb::StreamCommandStatusRequest {
            cluster_id: value.into(),
            context_id: "1".into(),
            command_id: "2".into(),
        })
        .await,
        "cluster_id",
    );
    outcomes
}

fn record<T>(outcomes: &mut Vec<Outcome>, result: Result<T, tonic::Status>, field: &'static str) {
    outcomes.push((field, result.map(drop)));
}

#[tokio::test]
async fn oversized_values_are_refused_before_any_upstream_call() {
    let mut app = TestApp::spawn().await;
    for (field, outcome) in send_everywhere(&mut app, &oversized(1 << 20)).await {
        assert_refused(field, outcome);
    }
    // Just over the 256-byte id limit is refused too.
    let status = app.cluster_status(&"c".repeat(257)).await;
    assert_refused("cluster_id", status.map(drop));
    assert_eq!(app.api_calls(), 0, "refused before any upstream call");
    app.stop().await;
}

#[tokio::test]
async fn a_four_megabyte_id_leaves_at_most_a_short_prefix_in_the_logs() {
    let mut app = TestApp::spawn().await;
    for (field, outcome) in send_everywhere(&mut app, &oversized(4_000_000)).await {
        let message = outcome.err().map(|status| status.message().to_owned());
        let length = message.as_ref().map_or(0, String::len);
        assert!(length < 1024, "{field}: a {length}-byte error message");
    }
    let lengths = oversized_log_lines();
    assert!(
        lengths.iter().all(|&length| length <= 4096),
        "log lines carrying the id: {lengths:?} bytes"
    );
    app.stop().await;
}
