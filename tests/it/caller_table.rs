//! Pass-through mode's table of callers. Only a call that needs lasting state
//! (a managed context, a poll loop, a page snapshot), made with a credential
//! Databricks has accepted, takes a slot; a full table evicts a caller that
//! owns nothing before it refuses anyone. The tests use a small table.

use databricks_grpc::{
    emulator::{EmulatorConfig, Pace},
    proto::compute::{self as pb, CommandOutcome},
};
use tonic::{Code, Response, Status, codec::Streaming};

use crate::{
    helpers::{RUNNING, TestApp, pypi},
    passthrough::{UserClient, as_user, execute, principals, run},
};

const USERS: [&str; 5] = ["alice", "bob", "carol", "dave", "erin"];

fn token(user: &str) -> String {
    format!("dapi-{user}-5e1f0c")
}

/// A pass-through server keeping state for `max_callers` callers, over an
/// emulator that knows every one of [`USERS`].
async fn spawn(max_callers: usize, pace: Pace) -> TestApp {
    let config = USERS
        .iter()
        .fold(EmulatorConfig::default().with_pace(pace), |config, user| {
            config.with_user_token(*user, token(user))
        });
    TestApp::spawn_pass_through_with_caller_limit(config, max_callers).await
}

fn user(app: &TestApp, name: &str) -> UserClient {
    as_user(app, &token(name))
}

/// The first message of a stream, with the stream still open, or the error
/// that ended it before one.
async fn first<T>(
    call: Result<Response<Streaming<T>>, Status>,
) -> Result<(T, Streaming<T>), Status> {
    let mut stream = call?.into_inner();
    let message = stream.message().await?;
    Ok((message.ok_or_else(|| Status::aborted("ended"))?, stream))
}

fn first_page() -> pb::AllStatusesRequest {
    pb::AllStatusesRequest {
        page_size: 1,
        page_token: String::new(),
    }
}

fn watch_running() -> pb::WatchClusterStatusRequest {
    pb::WatchClusterStatusRequest {
        cluster_id: RUNNING.into(),
    }
}

/// Every RPC that may keep state, with `client`; each must fail.
async fn assert_every_stateful_call_refused(client: &mut UserClient) {
    let refused = |status: Status| {
        assert_eq!(status.code(), Code::PermissionDenied, "{status:?}");
    };
    refused(client.execute_command(execute("1")).await.unwrap_err());
    refused(client.all_statuses(first_page()).await.unwrap_err());
    let watch = client.watch_cluster_status(watch_running()).await;
    refused(first(watch).await.unwrap_err());
    let stream = client
        .stream_command_status(pb::StreamCommandStatusRequest {
            cluster_id: RUNNING.into(),
            context_id: "ctx-1".into(),
            command_id: "cmd-1".into(),
        })
        .await;
    refused(first(stream).await.unwrap_err());
}

#[tokio::test]
async fn a_refused_credential_never_holds_a_slot() {
    let app = spawn(4, Pace::PerRead).await;
    let mut bogus = as_user(&app, "dapi-bogus-0");
    let status = bogus
        .cluster_status(pb::ClusterStatusRequest {
            cluster_id: RUNNING.into(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied, "{status:?}");
    assert_every_stateful_call_refused(&mut bogus).await;
    assert_eq!(app.service.callers(), 0);
    assert_eq!(app.service.active_poll_loops(), 0);

    // An accepted credential takes no slot either until it needs state.
    user(&app, "alice")
        .cluster_status(pb::ClusterStatusRequest {
            cluster_id: RUNNING.into(),
        })
        .await
        .unwrap();
    assert_eq!(app.service.callers(), 0, "a stateless call keeps nothing");
    app.stop().await;
}

#[tokio::test]
async fn a_flood_of_refused_credentials_locks_no_one_out() {
    const MAX_CALLERS: usize = 8;
    let app = spawn(MAX_CALLERS, Pace::PerRead).await;
    for i in 0..MAX_CALLERS + 5 {
        let mut bogus = as_user(&app, &format!("bogus-{i}"));
        let status = bogus
            .cluster_status(pb::ClusterStatusRequest {
                cluster_id: RUNNING.into(),
            })
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::PermissionDenied, "{status:?}");
        bogus.execute_command(execute("1")).await.unwrap_err();
    }
    assert_eq!(app.service.callers(), 0);

    let done = run(&mut user(&app, "alice"), "1 + 1").await;
    assert_eq!(done.outcome, CommandOutcome::Succeeded as i32, "{done:?}");
    assert_eq!(app.service.callers(), 1);
    app.stop().await;
}

#[tokio::test]
async fn a_full_table_of_idle_callers_makes_room_for_a_new_one() {
    let app = spawn(2, Pace::PerRead).await;
    for name in ["alice", "bob"] {
        let page = user(&app, name).all_statuses(first_page()).await.unwrap();
        assert!(!page.into_inner().next_page_token.is_empty());
    }
    assert_eq!(app.service.callers(), 2, "each keeps a page snapshot");

    let carols = user(&app, "carol").all_statuses(first_page()).await;
    assert!(carols.is_ok(), "{carols:?}");
    assert_eq!(app.service.callers(), 2, "an idle caller made room");
    app.stop().await;
}

#[tokio::test]
async fn callers_that_own_a_context_or_a_stream_are_never_evicted() {
    let app = spawn(3, Pace::Manual).await;
    let mut alice = user(&app, "alice");
    run(&mut alice, "x = 'kept'").await;
    let mut bob = user(&app, "bob");
    bob.install(pb::InstallRequest {
        cluster_id: RUNNING.into(),
        libraries: vec![pypi("pandas")],
    })
    .await
    .unwrap();
    let (update, bobs) = first(bob.watch_cluster_status(watch_running()).await)
        .await
        .unwrap();
    assert!(!update.settled);
    // Dave is the newest, but owns only a snapshot.
    user(&app, "dave").all_statuses(first_page()).await.unwrap();
    assert_eq!(app.service.callers(), 3);

    let carols = first(
        user(&app, "carol")
            .watch_cluster_status(watch_running())
            .await,
    )
    .await;
    assert!(carols.is_ok(), "dave's slot is free: {carols:?}");
    assert_eq!(app.service.callers(), 3);
    assert_eq!(app.service.managed_context_ids().len(), 1, "alice's");
    assert_eq!(app.service.active_poll_loops(), 2, "bob's and carol's");

    let status = user(&app, "erin")
        .execute_command(execute("1"))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
    let kept = run(&mut alice, "print(x)").await;
    assert_eq!(crate::commands::text(&kept), "kept");
    assert_eq!(principals(&app, "/api/1.2/contexts/create"), ["alice"]);
    assert_eq!(
        app.service.active_poll_loops(),
        2,
        "both streams still open"
    );
    drop((bobs, carols));
    app.stop().await;
}
