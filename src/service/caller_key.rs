//! A pass-through caller's identity: the `authorization` value it sends,
//! checked for a usable scheme and never shown.

use std::fmt;

use http::HeaderValue;
use tonic::{Status, metadata::MetadataMap};

use crate::databricks;

/// A caller's `authorization` value, the key of its state. `Debug` never
/// shows it.
#[derive(Clone, PartialEq, Eq, Hash)]
pub(super) struct CallerKey(Vec<u8>);

// === impl CallerKey ===

impl CallerKey {
    /// The key of the caller sending `authorization`.
    pub(super) fn of(authorization: &HeaderValue) -> Self {
        Self::of_bytes(authorization.as_bytes())
    }

    /// The key of the caller sending an `authorization` of `bytes`.
    pub(super) fn of_bytes(bytes: &[u8]) -> Self {
        Self(bytes.to_vec())
    }
}

/// The caller's `authorization` metadata, as a header to forward: `Bearer`
/// or `Basic` with a non-empty credential. Never echoed in errors.
pub(super) fn caller_authorization(metadata: &MetadataMap) -> Result<HeaderValue, Status> {
    let required = || Status::from(databricks::Error::NoCallerCredentials);
    let value = metadata
        .get("authorization")
        .and_then(|value| value.to_str().ok())
        .ok_or_else(required)?;
    let (scheme, credential) = value.trim().split_once(' ').ok_or_else(required)?;
    let known = scheme.eq_ignore_ascii_case("bearer") || scheme.eq_ignore_ascii_case("basic");
    if !known || credential.trim().is_empty() {
        return Err(required());
    }
    databricks::sensitive_header(value.trim()).map_err(|_| required())
}

impl fmt::Debug for CallerKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CallerKey([redacted])")
    }
}

#[cfg(test)]
mod tests {
    use tonic::metadata::MetadataValue;

    use super::*;
    use crate::service::errors::CALLER_CREDENTIALS_REQUIRED;

    fn with_authorization(value: &'static str) -> MetadataMap {
        let mut metadata = MetadataMap::new();
        metadata.insert("authorization", MetadataValue::from_static(value));
        metadata
    }

    #[test]
    fn bearer_and_basic_are_forwarded_as_sent() {
        for value in ["Bearer dapi-1", "bearer dapi-1", "Basic dXNlcjpwdw=="] {
            let header = caller_authorization(&with_authorization(value)).unwrap();
            assert_eq!(header.as_bytes(), value.as_bytes());
            assert!(header.is_sensitive());
        }
    }

    #[test]
    fn anything_else_is_refused_without_echoing_it() {
        for value in ["", "dapi-1", "Bearer ", "Token dapi-1", "Bearer   "] {
            let status = caller_authorization(&with_authorization(value)).unwrap_err();
            assert_eq!(status.code(), tonic::Code::Unauthenticated, "{value:?}");
            assert_eq!(status.message(), CALLER_CREDENTIALS_REQUIRED, "{value:?}");
        }
        let status = caller_authorization(&MetadataMap::new()).unwrap_err();
        assert_eq!(status.message(), CALLER_CREDENTIALS_REQUIRED);
    }

    #[test]
    fn caller_keys_are_redacted() {
        let key = CallerKey(b"Bearer dapi-secret".to_vec());
        assert_eq!(format!("{key:?}"), "CallerKey([redacted])");
    }
}
