//! Authentication for every `/api/` path, answering like Databricks: the
//! bearer token, an unexpired OAuth access token from the emulator's token
//! endpoint, or basic auth with the configured user. 401 without a
//! credential, 403 for a wrong one, both with a numeric `error_code`.
//! Credentials are never logged or echoed.

use std::sync::{Arc, OnceLock};

use axum::{
    extract::{Request, State},
    http::{HeaderMap, header::AUTHORIZATION},
    middleware::Next,
    response::{IntoResponse, Response},
};

use super::{EmulatorState, errors::ErrorResponse, oauth::basic_credentials};

/// Where the authenticated user's name goes for the journal: the journal
/// puts an empty slot in the request, and this layer fills it.
#[derive(Debug, Clone, Default)]
pub(crate) struct PrincipalSlot(pub(crate) Arc<OnceLock<String>>);

/// Middleware: refuses `/api/` requests without an accepted credential, and
/// notes who an accepted one belongs to.
pub(crate) async fn require_token(
    State(state): State<EmulatorState>,
    request: Request,
    next: Next,
) -> Response {
    if !request.uri().path().starts_with("/api/") {
        return next.run(request).await;
    }
    let principal = match authenticate(&state, request.headers()) {
        Ok(principal) => principal,
        Err(refusal) => {
            tracing::debug!(path = request.uri().path(), refusal, "refused");
            return if refusal == NO_CREDENTIAL {
                ErrorResponse::unauthenticated().into_response()
            } else {
                ErrorResponse::invalid_token().into_response()
            };
        }
    };
    if let Some(slot) = request.extensions().get::<PrincipalSlot>() {
        let _ = slot.0.set(principal);
    }
    next.run(request).await
}

const NO_CREDENTIAL: &str = "no credential";

/// The user a request's credential belongs to, or why it is refused.
fn authenticate(state: &EmulatorState, headers: &HeaderMap) -> Result<String, &'static str> {
    let logins = state.logins();
    if let Some((user, password)) = basic_credentials(headers) {
        if same(user.as_bytes(), logins.username.as_bytes())
            && same(password.as_bytes(), logins.password.as_bytes())
        {
            return Ok(logins.username.clone());
        }
        // The legacy docs also allow `token:<PAT>` as basic credentials.
        if user == "token" {
            if let Some(owner) = token_owner(state, &password) {
                return Ok(owner);
            }
        }
        return Err("wrong basic credentials");
    }
    let token = bearer(headers).ok_or(NO_CREDENTIAL)?;
    if state.issued_tokens().is_valid(token) {
        return Ok(logins.client_id.clone());
    }
    token_owner(state, token).ok_or("wrong or expired token")
}

/// The user whose personal access token `token` is: the emulator's user for
/// its own token, or one of the configured users.
fn token_owner(state: &EmulatorState, token: &str) -> Option<String> {
    if same(token.as_bytes(), state.token().as_bytes()) {
        return Some(state.logins().username.clone());
    }
    state
        .user_tokens()
        .iter()
        .find(|(_, known)| same(token.as_bytes(), known.as_bytes()))
        .map(|(name, _)| name.clone())
}

/// The credential of an `Authorization: Bearer <token>` header.
fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// Compares without stopping at the first difference, so response timing
/// says nothing about how much of a guess was right.
pub(crate) fn same(left: &[u8], right: &[u8]) -> bool {
    left.len() == right.len() && left.iter().zip(right).fold(0, |acc, (l, r)| acc | (l ^ r)) == 0
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn headers(value: &'static str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, HeaderValue::from_static(value));
        headers
    }

    #[test]
    fn only_bearer_credentials_count() {
        assert_eq!(bearer(&headers("Bearer abc")), Some("abc"));
        assert_eq!(bearer(&headers("bearer abc")), Some("abc"));
        assert_eq!(bearer(&headers("Basic dG9rZW46YWJj")), None);
        assert_eq!(bearer(&headers("Bearer ")), None);
        assert_eq!(bearer(&headers("Bearer")), None);
        assert_eq!(bearer(&HeaderMap::new()), None);
    }

    #[test]
    fn comparison_is_exact() {
        assert!(same(b"abc", b"abc"));
        assert!(!same(b"abc", b"abd"));
        assert!(!same(b"abc", b"abcd"));
    }
}
