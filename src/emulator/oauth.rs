//! OAuth machine-to-machine and basic auth in the emulator: the workspace
//! token endpoint (`POST /oidc/v1/token`, client credentials in
//! `Authorization: Basic`), its discovery document, and the short-lived
//! access tokens it issues, which the auth layer then accepts.

use std::{
    collections::HashMap,
    sync::{Mutex, PoisonError},
    time::Duration,
};

use axum::{
    Json, Router,
    extract::State,
    http::{HeaderMap, StatusCode, header::AUTHORIZATION},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use base64::{Engine, engine::general_purpose::STANDARD};
use rand::Rng;
use serde_json::json;
use tokio::time::Instant;

use super::{EmulatorState, auth::same};

/// The service principal the emulator accepts by default.
pub const DEFAULT_CLIENT_ID: &str = "emulator-client";
/// Its secret.
pub const DEFAULT_CLIENT_SECRET: &str = "emulator-client-secret";
/// The user accepted for basic auth by default.
pub const DEFAULT_USERNAME: &str = "emulator-user";
/// Its password.
pub const DEFAULT_PASSWORD: &str = "emulator-password";

/// Credentials the emulator accepts besides its bearer token.
#[derive(Clone)]
pub struct Logins {
    /// OAuth client id.
    pub client_id: String,
    /// OAuth client secret.
    pub client_secret: String,
    /// Lifetime of issued access tokens.
    pub token_ttl: Duration,
    /// Basic-auth user.
    pub username: String,
    /// Basic-auth password.
    pub password: String,
}

/// Access tokens issued so far and when each expires.
#[derive(Debug, Default)]
pub(crate) struct IssuedTokens(Mutex<HashMap<String, Instant>>);

// === impl Logins ===

impl Default for Logins {
    fn default() -> Self {
        Self {
            client_id: DEFAULT_CLIENT_ID.to_owned(),
            client_secret: DEFAULT_CLIENT_SECRET.to_owned(),
            token_ttl: Duration::from_secs(3600),
            username: DEFAULT_USERNAME.to_owned(),
            password: DEFAULT_PASSWORD.to_owned(),
        }
    }
}

impl std::fmt::Debug for Logins {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Logins")
            .field("client_id", &self.client_id)
            .field("token_ttl", &self.token_ttl)
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

// === impl IssuedTokens ===

impl IssuedTokens {
    /// Issues a new token valid for `ttl`.
    pub(crate) fn issue(&self, ttl: Duration) -> String {
        let token: String = format!("emu-oauth-{:032x}", rand::rng().random::<u128>());
        let mut tokens = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        tokens.retain(|_, expires| *expires > Instant::now());
        tokens.insert(token.clone(), Instant::now() + ttl);
        token
    }

    /// True when `token` was issued here and has not expired.
    pub(crate) fn is_valid(&self, token: &str) -> bool {
        let tokens = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        tokens
            .get(token)
            .is_some_and(|expires| *expires > Instant::now())
    }

    /// Expires every issued token (tests of refresh).
    pub(crate) fn expire_all(&self) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }
}

/// The decoded `user:password` of an `Authorization: Basic …` header.
pub(crate) fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (user, password) = decoded.split_once(':')?;
    Some((user.to_owned(), password.to_owned()))
}

/// The token endpoint and its discovery document.
pub(crate) fn routes() -> Router<EmulatorState> {
    Router::new().route("/oidc/v1/token", post(token)).route(
        "/oidc/.well-known/oauth-authorization-server",
        get(discovery),
    )
}

async fn token(State(state): State<EmulatorState>, headers: HeaderMap, body: String) -> Response {
    let logins = state.logins();
    let client_ok = basic_credentials(&headers).is_some_and(|(id, secret)| {
        same(id.as_bytes(), logins.client_id.as_bytes())
            && same(secret.as_bytes(), logins.client_secret.as_bytes())
    });
    if !client_ok {
        let body =
            json!({"error": "invalid_client", "error_description": "Client authentication failed"});
        return (StatusCode::UNAUTHORIZED, Json(body)).into_response();
    }
    if !body
        .split('&')
        .any(|pair| pair == "grant_type=client_credentials")
    {
        let body = json!({"error": "unsupported_grant_type", "error_description": "grant_type must be client_credentials"});
        return (StatusCode::BAD_REQUEST, Json(body)).into_response();
    }
    let access_token = state.issued_tokens().issue(logins.token_ttl);
    let body = json!({
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": logins.token_ttl.as_secs().max(1),
        "scope": "all-apis",
    });
    Json(body).into_response()
}

async fn discovery(headers: HeaderMap) -> Response {
    let host = headers
        .get("host")
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1");
    let base = format!("http://{host}/oidc");
    Json(json!({
        "issuer": base,
        "authorization_endpoint": format!("{base}/v1/authorize"),
        "token_endpoint": format!("{base}/v1/token"),
    }))
    .into_response()
}
