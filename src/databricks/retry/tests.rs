//! The retry table.

use http::{HeaderMap, HeaderValue, StatusCode};

use super::*;
use crate::databricks::ApiError;

fn api(status: u16, body: &str) -> Error {
    let mut headers = HeaderMap::new();
    if status == 429 {
        headers.insert("retry-after", HeaderValue::from_static("3"));
    }
    ApiError::from_response(
        "POST /x",
        StatusCode::from_u16(status).unwrap(),
        &headers,
        body.as_bytes(),
    )
    .into()
}

#[test]
fn safe_calls_retry_transient_failures() {
    for error in [
        api(503, ""),
        api(502, ""),
        api(504, ""),
        api(500, r#"{"error": "ClusterNotReadyException: not yet"}"#),
        Error::Timeout {
            endpoint: "GET /x".into(),
            after: Duration::from_secs(1),
        },
    ] {
        assert!(delay(&error, Resend::Safe, 0).is_some(), "{error:?}");
    }
    assert!(
        delay(
            &api(
                400,
                r#"{"error_code":"INVALID_PARAMETER_VALUE","message":"bad"}"#
            ),
            Resend::Safe,
            0
        )
        .is_none()
    );
    assert!(delay(&api(404, ""), Resend::Safe, 0).is_none());
}

#[test]
fn send_once_calls_retry_only_what_never_arrived() {
    assert!(
        delay(&api(429, ""), Resend::OnlyIfNotSent, 0).is_some(),
        "429 is an explicit refusal"
    );
    for error in [
        api(503, ""),
        api(500, r#"{"error": "ClusterNotReadyException"}"#),
        Error::Timeout {
            endpoint: "POST /x".into(),
            after: Duration::from_secs(1),
        },
    ] {
        assert!(
            delay(&error, Resend::OnlyIfNotSent, 0).is_none(),
            "{error:?} may have run"
        );
    }
}

#[test]
fn retry_after_is_honoured_and_backoff_is_capped() {
    let wait = delay(&api(429, ""), Resend::Safe, 0).unwrap();
    assert!(wait >= Duration::from_secs(3), "{wait:?}");
    let first = delay(&api(503, ""), Resend::Safe, 0).unwrap();
    assert!(first >= BASE_DELAY / 2 && first <= BASE_DELAY, "{first:?}");
    let late = delay(&api(503, ""), Resend::Safe, 30).unwrap();
    assert!(late <= MAX_DELAY && late >= MAX_DELAY / 2, "{late:?}");
}
