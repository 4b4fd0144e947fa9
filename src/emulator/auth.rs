//! Authentication for every `/api/` path, answering like Databricks: the
//! bearer token, an unexpired OAuth access token from the emulator's token
//! endpoint, or basic auth with the configured user. 401 without a
//! credential, 403 for a wrong one, both with a numeric `error_code`.
//! Credentials are never logged or echoed.

use axum::{
    extract::{Request, State},
    http::{HeaderMap, header::AUTHORIZATION},
    middleware::Next,
    response::{IntoResponse, Response},
};

use super::{EmulatorState, errors::ErrorResponse, oauth::basic_credentials};

/// Middleware: refuses `/api/` requests without the emulator's token.
pub(crate) async fn require_token(
    State(state): State<EmulatorState>,
    request: Request,
    next: Next,
) -> Response {
    if !request.uri().path().starts_with("/api/") {
        return next.run(request).await;
    }
    if let Some((user, password)) = basic_credentials(request.headers()) {
        let logins = state.logins();
        // The legacy docs also allow `token:<PAT>` as basic credentials.
        let accepted = (same(user.as_bytes(), logins.username.as_bytes())
            && same(password.as_bytes(), logins.password.as_bytes()))
            || (user == "token" && same(password.as_bytes(), state.token().as_bytes()));
        if accepted {
            return next.run(request).await;
        }
        tracing::debug!(
            path = request.uri().path(),
            "refused: wrong basic credentials"
        );
        return ErrorResponse::invalid_token().into_response();
    }
    match bearer(request.headers()) {
        None => {
            tracing::debug!(path = request.uri().path(), "refused: no credential");
            ErrorResponse::unauthenticated().into_response()
        }
        Some(token)
            if same(token.as_bytes(), state.token().as_bytes())
                || state.issued_tokens().is_valid(token) =>
        {
            next.run(request).await
        }
        Some(_) => {
            tracing::debug!(
                path = request.uri().path(),
                "refused: wrong or expired token"
            );
            ErrorResponse::invalid_token().into_response()
        }
    }
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
