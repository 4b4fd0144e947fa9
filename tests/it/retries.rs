//! Retries against a scripted upstream: transient faults are ridden out for
//! calls that are safe to repeat, never for ExecuteCommand/CreateContext
//! unless the request provably did not arrive, and the caller's deadline
//! bounds it all.

use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use axum::{
    Router,
    http::{StatusCode, header},
    response::IntoResponse,
    routing::any,
};
use databricks_grpc::{
    config::{Credentials, Secret},
    proto::compute::{self as pb, Language},
};
use tonic::Code;

use crate::helpers::{RUNNING, TestApp, spawn_canned_upstream};

/// An upstream that answers the first `failures` requests with `status`
/// (and `Retry-After: retry_after` when given), then `success_body`.
async fn flaky(
    failures: usize,
    status: StatusCode,
    retry_after: Option<&'static str>,
    success_body: &'static str,
) -> (TestApp, Arc<AtomicUsize>) {
    let served = Arc::new(AtomicUsize::new(0));
    let counter = served.clone();
    let router = Router::new().fallback(any(move || {
        let counter = counter.clone();
        async move {
            if counter.fetch_add(1, Ordering::SeqCst) < failures {
                let mut response = (
                    status,
                    [(header::CONTENT_TYPE, "application/json")],
                    r#"{"error_code":"TEMPORARILY_UNAVAILABLE","message":"try later"}"#,
                )
                    .into_response();
                if let Some(seconds) = retry_after {
                    response
                        .headers_mut()
                        .insert(header::RETRY_AFTER, seconds.parse().unwrap());
                }
                response
            } else {
                ([(header::CONTENT_TYPE, "application/json")], success_body).into_response()
            }
        }
    }));
    let app = TestApp::spawn_against(&spawn_canned_upstream(router).await, Secret::new("t")).await;
    (app, served)
}

fn execute_request() -> pb::ExecuteCommandRequest {
    pb::ExecuteCommandRequest {
        cluster_id: RUNNING.into(),
        language: Language::Python as i32,
        command: "print(1)".into(),
        context_id: "1234".into(),
    }
}

#[tokio::test]
async fn reads_ride_out_transient_503s() {
    let (mut app, served) = flaky(
        2,
        StatusCode::SERVICE_UNAVAILABLE,
        None,
        r#"{"cluster_id":"c1"}"#,
    )
    .await;
    let response = app.cluster_status("c1").await.unwrap();
    assert_eq!(response.cluster_id, "c1");
    assert_eq!(served.load(Ordering::SeqCst), 3, "two faults, then success");
    app.stop().await;
}

#[tokio::test]
async fn execute_is_never_resent_after_a_503() {
    let (mut app, served) = flaky(
        1,
        StatusCode::SERVICE_UNAVAILABLE,
        None,
        r#"{"id":"cmd-1"}"#,
    )
    .await;
    let status = app
        .client
        .execute_command(execute_request())
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Unavailable);
    assert_eq!(
        served.load(Ordering::SeqCst),
        1,
        "the command may have run: it is not sent again"
    );
    app.stop().await;
}

#[tokio::test]
async fn execute_is_resent_after_a_429_honouring_retry_after() {
    let (mut app, served) = flaky(
        1,
        StatusCode::TOO_MANY_REQUESTS,
        Some("0"),
        r#"{"id":"cmd-1"}"#,
    )
    .await;
    let started = app
        .client
        .execute_command(execute_request())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(started.command_id, "cmd-1");
    assert_eq!(
        served.load(Ordering::SeqCst),
        2,
        "a 429 is an explicit refusal: safe to resend"
    );
    app.stop().await;
}

/// Retries stop at the caller's deadline, not at the server's 30 s budget:
/// 600 ms leave room for three attempts (250 ms base delay, doubling), while
/// retries that outlived the call would go on until the server's drain limit
/// cut them at stop (six or more).
#[tokio::test]
async fn the_callers_deadline_bounds_the_retries() {
    let served = Arc::new(AtomicUsize::new(0));
    let counter = served.clone();
    let router = Router::new().fallback(any(move || {
        counter.fetch_add(1, Ordering::SeqCst);
        async {
            (
                StatusCode::SERVICE_UNAVAILABLE,
                r#"{"error_code":"TEMPORARILY_UNAVAILABLE","message":"down"}"#,
            )
        }
    }));
    let url = spawn_canned_upstream(router).await;
    // Without a deadline this server would keep retrying for 30 s.
    let credentials = Credentials::Pat {
        token: Secret::new("t"),
    };
    let mut app =
        TestApp::spawn_with_retry_budget(&url, credentials, Duration::from_secs(30)).await;
    let mut request = tonic::Request::new(pb::ClusterStatusRequest {
        cluster_id: "c1".into(),
    });
    request.set_timeout(Duration::from_millis(600));
    let status = app.client.cluster_status(request).await.unwrap_err();
    // The server gives up at the deadline and tonic's own deadline layer
    // ends the call at the same moment: whichever wins, the caller gets the
    // server's last error, DEADLINE_EXCEEDED, or tonic's CANCELLED "Timeout
    // expired".
    let deadline_layer_won =
        status.code() == Code::Cancelled && status.message() == "Timeout expired";
    assert!(
        matches!(status.code(), Code::Unavailable | Code::DeadlineExceeded) || deadline_layer_won,
        "{status:?}"
    );
    app.stop().await;
    let attempts = served.load(Ordering::SeqCst);
    assert!(
        (1..=4).contains(&attempts),
        "the 600 ms deadline must end the retries: {attempts} requests upstream"
    );
}

/// Reports, once, that the upstream handler holding it was dropped: the
/// upstream server saw the request go away.
struct DropReport(Option<tokio::sync::oneshot::Sender<()>>);

impl Drop for DropReport {
    fn drop(&mut self) {
        if let Some(report) = self.0.take() {
            let _ = report.send(());
        }
    }
}

#[tokio::test]
async fn a_cancelled_call_cancels_its_upstream_request() {
    let (started, has_started) = tokio::sync::oneshot::channel::<()>();
    let (dropped, was_dropped) = tokio::sync::oneshot::channel::<()>();
    let handoff = Arc::new(std::sync::Mutex::new(Some((started, dropped))));
    let router = Router::new().fallback(any(move || {
        let handoff = handoff.lock().unwrap().take();
        async move {
            let Some((started, dropped)) = handoff else {
                return StatusCode::GONE;
            };
            // The guard lives as long as this handler; the test gets a
            // sign that it started, then waits for it to be dropped.
            let _guard = DropReport(Some(dropped));
            let _ = started.send(());
            std::future::pending::<()>().await;
            StatusCode::OK
        }
    }));
    let url = spawn_canned_upstream(router).await;
    // Each upstream attempt may take 5 s here; cancelling must not wait for it.
    let app = TestApp::spawn_against(&url, Secret::new("t")).await;
    let mut client = app.client.clone();
    let call = tokio::spawn(async move {
        client
            .cluster_status(pb::ClusterStatusRequest {
                cluster_id: "c1".into(),
            })
            .await
    });
    has_started.await.unwrap();
    // The caller goes away (no deadline was set: only cancellation ends it).
    call.abort();
    let cancelled = tokio::time::timeout(Duration::from_secs(2), was_dropped).await;
    assert!(
        matches!(cancelled, Ok(Ok(()))),
        "the upstream request should end when the gRPC call is cancelled, not at its 5 s timeout"
    );
    app.stop().await;
}
