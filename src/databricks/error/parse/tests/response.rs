//! An error response as `databricks-rest-examples.json` writes it, and the
//! `ApiError` fields the parser must make of it.

use std::time::Duration;

use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};

use crate::databricks::ApiError;

/// One error response as the examples file writes it.
pub(super) struct Response {
    pub(super) example: &'static str,
    pub(super) endpoint: &'static str,
    pub(super) status: u16,
    pub(super) headers: &'static [(&'static str, &'static str)],
    pub(super) body: &'static str,
}

/// What the parser must make of it.
pub(super) struct Expected {
    pub(super) error_code: &'static str,
    pub(super) message: &'static str,
    pub(super) request_id: Option<&'static str>,
    pub(super) retry_after: Option<u64>,
}

impl Response {
    pub(super) fn parse(&self) -> ApiError {
        let mut headers = HeaderMap::new();
        for (name, value) in self.headers {
            headers.insert(
                HeaderName::from_static(name),
                HeaderValue::from_static(value),
            );
        }
        let status = StatusCode::from_u16(self.status).unwrap();
        ApiError::from_response(self.endpoint, status, &headers, self.body.as_bytes())
    }

    pub(super) fn check(&self, expected: Expected) -> ApiError {
        let error = self.parse();
        let example = self.example;
        assert_eq!(error.endpoint, self.endpoint, "{example}");
        assert_eq!(error.http_status, self.status, "{example}");
        assert_eq!(error.error_code, expected.error_code, "{example}");
        assert_eq!(error.message, expected.message, "{example}");
        assert_eq!(
            error.request_id.as_deref(),
            expected.request_id,
            "{example}"
        );
        let retry_after = expected.retry_after.map(Duration::from_secs);
        assert_eq!(error.retry_after, retry_after, "{example}");
        assert!(!error.after_lost_answer, "{example}");
        error
    }
}

pub(super) const STATUS: &str = "GET /api/2.0/libraries/cluster-status";
pub(super) const INSTALL: &str = "POST /api/2.0/libraries/install";
pub(super) const ALL: &str = "GET /api/2.0/libraries/all-cluster-statuses";
pub(super) const CREATE: &str = "POST /api/1.2/contexts/create";

/// An answer with no request id and no `Retry-After`.
pub(super) fn plain(error_code: &'static str, message: &'static str) -> Expected {
    Expected {
        error_code,
        message,
        request_id: None,
        retry_after: None,
    }
}
