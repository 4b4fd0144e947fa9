//! Pass-through mode (`serve --auth-passthrough`): every call reaches
//! Databricks with its caller's own `authorization`, and no caller's managed
//! context, poll loop or snapshot ever serves another. The emulator's journal
//! records which user each upstream request authenticated as.

use base64::{Engine, engine::general_purpose::STANDARD};
use databricks_grpc::{
    emulator::{self, EmulatorConfig, Pace},
    proto::compute::{
        self as pb, CommandOutcome, Language, compute_service_client::ComputeServiceClient,
    },
    service::errors::CALLER_CREDENTIALS_REQUIRED,
};
use tokio_stream::StreamExt;
use tonic::{
    Code, Request, Status,
    metadata::{Ascii, MetadataValue},
    service::{Interceptor, interceptor::InterceptedService},
    transport::Channel,
};

use crate::{
    commands::text,
    helpers::{RUNNING, TestApp},
};

pub const ALICE_TOKEN: &str = "dapi-alice-3c9e17";
pub const BOB_TOKEN: &str = "dapi-bob-b2d40a";

/// A client whose every call carries one `authorization` value.
pub type UserClient = ComputeServiceClient<InterceptedService<Channel, Authorization>>;

#[derive(Clone)]
pub struct Authorization(MetadataValue<Ascii>);

impl Interceptor for Authorization {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        request
            .metadata_mut()
            .insert("authorization", self.0.clone());
        Ok(request)
    }
}

pub fn with_authorization(app: &TestApp, value: &str) -> UserClient {
    let value = Authorization(value.parse().unwrap());
    ComputeServiceClient::with_interceptor(app.channel.clone(), value)
}

pub fn as_user(app: &TestApp, token: &str) -> UserClient {
    with_authorization(app, &format!("Bearer {token}"))
}

/// A pass-through server over an emulator that knows alice and bob.
async fn spawn() -> TestApp {
    let config = EmulatorConfig::default()
        .with_pace(Pace::PerRead)
        .with_user_token("alice", ALICE_TOKEN)
        .with_user_token("bob", BOB_TOKEN);
    TestApp::spawn_pass_through(config).await
}

/// Who each upstream request to `path` authenticated as, in order.
pub fn principals(app: &TestApp, path: &str) -> Vec<String> {
    app.upstream_calls(path)
        .into_iter()
        .map(|entry| entry.principal.unwrap_or_else(|| "(refused)".to_owned()))
        .collect()
}

fn cluster_status() -> pb::ClusterStatusRequest {
    pb::ClusterStatusRequest {
        cluster_id: RUNNING.into(),
    }
}

pub fn execute(command: &str) -> pb::ExecuteCommandRequest {
    pb::ExecuteCommandRequest {
        cluster_id: RUNNING.into(),
        language: Language::Python as i32,
        command: command.into(),
        context_id: String::new(),
    }
}

/// Runs `command` in the caller's managed context and streams it to the end.
pub async fn run(client: &mut UserClient, command: &str) -> pb::Command {
    let started = client
        .execute_command(execute(command))
        .await
        .unwrap()
        .into_inner();
    let updates: Vec<_> = client
        .stream_command_status(stream_request(&started))
        .await
        .unwrap()
        .into_inner()
        .map(|update| update.unwrap().command.unwrap())
        .collect()
        .await;
    updates.last().cloned().unwrap()
}

pub fn stream_request(started: &pb::ExecuteCommandResponse) -> pb::StreamCommandStatusRequest {
    pb::StreamCommandStatusRequest {
        cluster_id: RUNNING.into(),
        context_id: started.context_id.clone(),
        command_id: started.command_id.clone(),
    }
}

#[tokio::test]
async fn each_call_reaches_databricks_as_its_caller() {
    let app = spawn().await;
    as_user(&app, ALICE_TOKEN)
        .cluster_status(cluster_status())
        .await
        .unwrap();
    as_user(&app, BOB_TOKEN)
        .cluster_status(cluster_status())
        .await
        .unwrap();
    let basic = STANDARD.encode(format!(
        "{}:{}",
        emulator::DEFAULT_USERNAME,
        emulator::DEFAULT_PASSWORD
    ));
    with_authorization(&app, &format!("Basic {basic}"))
        .cluster_status(cluster_status())
        .await
        .unwrap();
    assert_eq!(
        principals(&app, "/api/2.0/libraries/cluster-status"),
        ["alice", "bob", emulator::DEFAULT_USERNAME]
    );
    assert_eq!(app.service.callers(), 0, "stateless calls keep no state");
    app.stop().await;
}

#[tokio::test]
async fn a_call_without_usable_credentials_is_refused_before_any_upstream_call() {
    let mut app = spawn().await;
    let status = app.cluster_status(RUNNING).await.unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated, "{status:?}");
    assert_eq!(status.message(), CALLER_CREDENTIALS_REQUIRED);
    let status = app.client.execute_command(execute("1")).await.unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated, "{status:?}");
    for unusable in [format!("Token {ALICE_TOKEN}"), ALICE_TOKEN.to_owned()] {
        let status = with_authorization(&app, &unusable)
            .cluster_status(cluster_status())
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::Unauthenticated, "{status:?}");
        assert!(!status.message().contains(ALICE_TOKEN));
    }
    assert_eq!(app.api_calls(), 0, "refused before any upstream call");
    assert_eq!(app.service.callers(), 0);
    app.stop().await;
}

#[tokio::test]
async fn a_token_databricks_refuses_is_reported_and_never_echoed() {
    let app = spawn().await;
    let status = as_user(&app, "dapi-wrong-token-123")
        .cluster_status(cluster_status())
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied, "{status:?}");
    assert!(
        status.message().contains("Invalid access token"),
        "{status:?}"
    );
    assert!(!format!("{status:?}").contains("dapi-wrong-token-123"));
    assert_eq!(
        principals(&app, "/api/2.0/libraries/cluster-status"),
        ["(refused)"]
    );
    app.stop().await;
}

#[tokio::test]
async fn managed_contexts_are_never_shared_between_callers() {
    let mut app = spawn().await;
    let mut alice = as_user(&app, ALICE_TOKEN);
    let mut bob = as_user(&app, BOB_TOKEN);

    let set = run(&mut alice, "secret = 'alice only'").await;
    assert_eq!(set.outcome, CommandOutcome::Succeeded as i32);
    let peek = run(&mut bob, "print(secret)").await;
    assert_eq!(peek.outcome, CommandOutcome::UserError as i32, "{peek:?}");
    let own = run(&mut alice, "print(secret)").await;
    assert_eq!(text(&own), "alice only");

    assert_eq!(
        principals(&app, "/api/1.2/contexts/create"),
        ["alice", "bob"]
    );
    assert_eq!(app.service.managed_context_ids().len(), 2);
    // Each context is destroyed, on shutdown, by the caller it belongs to.
    app.stop_server().await;
    let mut destroyed_by = principals(&app, "/api/1.2/contexts/destroy");
    destroyed_by.sort();
    assert_eq!(destroyed_by, ["alice", "bob"]);
    app.stop().await;
}

#[tokio::test]
async fn a_poll_loop_serves_only_the_caller_it_polls_for() {
    let app = spawn().await;
    let mut alice = as_user(&app, ALICE_TOKEN);
    let mut bob = as_user(&app, BOB_TOKEN);
    let started = alice
        .execute_command(execute("import time\ntime.sleep(2)"))
        .await
        .unwrap()
        .into_inner();
    let mut alices = alice
        .stream_command_status(stream_request(&started))
        .await
        .unwrap()
        .into_inner();
    alices.next().await.unwrap().unwrap();
    // Bob knows the ids, and watches the same running command.
    let mut bobs = bob
        .stream_command_status(stream_request(&started))
        .await
        .unwrap()
        .into_inner();
    bobs.next().await.unwrap().unwrap();
    assert_eq!(
        app.service.active_poll_loops(),
        2,
        "one loop per caller, not one shared"
    );
    let last = |updates: Vec<Result<pb::StreamCommandStatusResponse, Status>>| {
        updates.last().unwrap().as_ref().unwrap().command.clone()
    };
    let alice_last = last(alices.collect().await).unwrap();
    let bob_last = last(bobs.collect().await).unwrap();
    assert_eq!(alice_last.outcome, CommandOutcome::Succeeded as i32);
    assert_eq!(bob_last.outcome, CommandOutcome::Succeeded as i32);
    let polls = principals(&app, "/api/1.2/commands/status");
    assert!(polls.iter().any(|who| who == "alice"), "{polls:?}");
    assert!(polls.iter().any(|who| who == "bob"), "{polls:?}");
    app.stop().await;
}

#[tokio::test]
async fn a_page_token_never_reads_another_callers_snapshot() {
    let app = spawn().await;
    let first = as_user(&app, ALICE_TOKEN)
        .all_statuses(pb::AllStatusesRequest {
            page_size: 1,
            page_token: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(!first.next_page_token.is_empty());
    let second = as_user(&app, BOB_TOKEN)
        .all_statuses(pb::AllStatusesRequest {
            page_size: 1,
            page_token: first.next_page_token,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(second.statuses.len(), 1);
    assert_eq!(
        principals(&app, "/api/2.0/libraries/all-cluster-statuses"),
        ["alice", "bob"],
        "bob's page comes from his own fetch, not alice's snapshot"
    );
    app.stop().await;
}

#[tokio::test]
async fn without_pass_through_a_callers_authorization_is_not_forwarded() {
    let config = EmulatorConfig::default().with_user_token("bob", BOB_TOKEN);
    let app = TestApp::spawn_with(config).await;
    as_user(&app, BOB_TOKEN)
        .cluster_status(cluster_status())
        .await
        .unwrap();
    assert_eq!(
        principals(&app, "/api/2.0/libraries/cluster-status"),
        [emulator::DEFAULT_USERNAME],
        "the server's own credentials are used"
    );
    app.stop().await;
}
