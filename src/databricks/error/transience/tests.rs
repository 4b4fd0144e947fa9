//! The classification, and what the retry loop and the poll loops make of it.

use http::{HeaderMap, StatusCode};

use super::*;
use crate::databricks::ApiError;

fn api(status: u16, body: &str) -> Error {
    ApiError::from_response(
        "GET /x",
        StatusCode::from_u16(status).unwrap(),
        &HeaderMap::new(),
        body.as_bytes(),
    )
    .into()
}

fn unreadable() -> Error {
    Error::BadResponseBody {
        endpoint: "GET /x".into(),
        http_status: 200,
        source: serde_json::from_str::<u32>("{").unwrap_err(),
    }
}

#[test]
fn each_failure_has_one_class() {
    let cases = [
        (api(429, ""), Transience::Throttled),
        (
            api(
                400,
                r#"{"error_code":"REQUEST_LIMIT_EXCEEDED","message":"slow"}"#,
            ),
            Transience::Throttled,
        ),
        (api(503, ""), Transience::Transient),
        (
            api(500, r#"{"error": "ClusterNotReadyException: not yet"}"#),
            Transience::Transient,
        ),
        (
            Error::Timeout {
                endpoint: "GET /x".into(),
                after: Duration::from_secs(1),
            },
            Transience::Transient,
        ),
        (
            api(500, r#"{"error_code":"INTERNAL_ERROR","message":"oops"}"#),
            Transience::ServerFault,
        ),
        (unreadable(), Transience::ServerFault),
        (
            Error::BodyTooLarge {
                endpoint: "GET /x".into(),
                limit: 1,
            },
            Transience::ServerFault,
        ),
        (
            Error::TokenEndpointUnavailable {
                token_url: "u".into(),
                message: "m".into(),
            },
            Transience::ServerFault,
        ),
        (api(501, ""), Transience::Permanent),
        (api(404, ""), Transience::Permanent),
        (
            Error::OutcomeUnknown {
                endpoint: "POST /x".into(),
                cause: Box::new(unreadable()),
            },
            Transience::Permanent,
        ),
        (
            Error::TokenRefused {
                token_url: "u".into(),
                message: "m".into(),
            },
            Transience::Permanent,
        ),
        (Error::NoCallerCredentials, Transience::Permanent),
        (Error::InvalidToken, Transience::Permanent),
    ];
    for (error, class) in cases {
        assert_eq!(error.transience(), class, "{error:?}");
    }
}

#[test]
fn a_resend_needs_a_request_that_never_arrived_or_a_safe_one() {
    use Transience::*;
    for (class, safe, send_once) in [
        (NeverArrived, true, true),
        (Throttled, true, true),
        (Transient, true, false),
        (ServerFault, false, false),
        (Permanent, false, false),
    ] {
        assert_eq!(class.allows_resend(Resend::Safe), safe, "{class:?}");
        assert_eq!(
            class.allows_resend(Resend::OnlyIfNotSent),
            send_once,
            "{class:?}"
        );
    }
}

#[test]
fn poll_loops_ride_out_everything_but_permanent_failures() {
    use Transience::*;
    for class in [NeverArrived, Throttled, Transient, ServerFault] {
        assert!(class.worth_another_poll(), "{class:?}");
    }
    assert!(!Permanent.worth_another_poll());
}
