//! The workspace rate limit end to end: a call that cannot get a slot before
//! its deadline is refused RESOURCE_EXHAUSTED with RetryInfo and nothing is
//! sent; a 429 pauses every caller; OAuth token fetches take slots too.

use std::time::Duration;

use databricks_grpc::{
    config::{Credentials, Secret},
    emulator::{
        DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_TOKEN, EmulatorConfig, EmulatorHandle,
        Fault,
    },
    proto::compute as pb,
};
use tonic::{Code, Status};
use tonic_types::StatusExt;

use crate::helpers::{TestApp, spawn_emulator};

const STATUS_PATH: &str = "/api/2.0/libraries/all-cluster-statuses";
const TOKEN_PATH: &str = "/oidc/v1/token";

fn token() -> Credentials {
    Credentials::Pat {
        token: Secret::new(DEFAULT_TOKEN),
    }
}

/// AllStatuses (one upstream read, bounded by the caller's deadline), with
/// a gRPC deadline of `deadline`.
async fn status_within(app: &mut TestApp, deadline: Duration) -> Result<(), Status> {
    let mut request = tonic::Request::new(pb::AllStatusesRequest::default());
    request.set_timeout(deadline);
    app.client.all_statuses(request).await.map(drop)
}

fn requests_to(emulator: &EmulatorHandle, path: &str) -> usize {
    emulator
        .journal()
        .iter()
        .filter(|entry| entry.path == path)
        .count()
}

/// The refusal a caller sees: RESOURCE_EXHAUSTED from this server (not a
/// bare upstream 429), with a RetryInfo delay.
fn assert_rate_limited(status: &Status) {
    assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
    let details = status.get_error_details();
    let info = details.error_info().unwrap();
    assert_eq!(info.reason, "WORKSPACE_RATE_LIMITED", "{status:?}");
    assert_eq!(info.domain, "databricks-grpc");
    let delay = details.retry_info().unwrap().retry_delay;
    assert!(delay.is_some_and(|delay| !delay.is_zero()), "{status:?}");
    assert!(status.message().contains("nothing was sent"), "{status:?}");
}

#[tokio::test]
async fn a_call_whose_deadline_cannot_be_met_is_refused_before_anything_is_sent() {
    let emulator = spawn_emulator(EmulatorConfig::default()).await;
    let mut app = TestApp::spawn_rate_limited(&emulator.url(), token(), 1, 1).await;
    // The one slot of this second.
    status_within(&mut app, Duration::from_secs(10))
        .await
        .unwrap();
    assert_eq!(requests_to(&emulator, STATUS_PATH), 1);
    // The next slot is a second away; this call has 300 ms.
    let refused = status_within(&mut app, Duration::from_millis(300))
        .await
        .unwrap_err();
    assert_rate_limited(&refused);
    assert_eq!(requests_to(&emulator, STATUS_PATH), 1, "nothing was sent");
    // A call that can wait for the slot gets it.
    status_within(&mut app, Duration::from_secs(10))
        .await
        .unwrap();
    assert_eq!(requests_to(&emulator, STATUS_PATH), 2);
    app.stop().await;
}

#[tokio::test]
async fn a_429_pauses_every_caller_and_its_retry_waits_in_the_limiter() {
    let emulator = spawn_emulator(EmulatorConfig::default()).await;
    let mut app = TestApp::spawn_rate_limited(&emulator.url(), token(), 50, 50).await;
    emulator.inject_fault(
        STATUS_PATH,
        Fault::TooManyRequests {
            retry_after_secs: 30,
        },
        1,
    );
    // The 429 pauses the limiter for 30 s: the call's own retry cannot get
    // a slot within its 2 s and is refused by the limiter, not sent.
    let throttled = status_within(&mut app, Duration::from_secs(2))
        .await
        .unwrap_err();
    assert_rate_limited(&throttled);
    assert_eq!(requests_to(&emulator, STATUS_PATH), 1);
    // Every other call waits out the pause too: none is sent.
    for _ in 0..5 {
        let paused = status_within(&mut app, Duration::from_secs(2))
            .await
            .unwrap_err();
        assert_rate_limited(&paused);
    }
    assert_eq!(
        requests_to(&emulator, STATUS_PATH),
        1,
        "a request was sent during the pause"
    );
    app.stop().await;
}

#[tokio::test]
async fn the_oauth_token_fetch_takes_a_slot_of_the_limit() {
    let emulator = spawn_emulator(EmulatorConfig::default()).await;
    let oauth = Credentials::OAuthM2M {
        client_id: DEFAULT_CLIENT_ID.into(),
        client_secret: Secret::new(DEFAULT_CLIENT_SECRET),
    };
    let mut app = TestApp::spawn_rate_limited(&emulator.url(), oauth, 1, 1).await;
    // The token fetch takes the one slot of this second, so the request
    // itself cannot go within 300 ms.
    let refused = status_within(&mut app, Duration::from_millis(300))
        .await
        .unwrap_err();
    assert_rate_limited(&refused);
    assert_eq!(requests_to(&emulator, TOKEN_PATH), 1);
    assert_eq!(requests_to(&emulator, STATUS_PATH), 0);
    app.stop().await;
}
