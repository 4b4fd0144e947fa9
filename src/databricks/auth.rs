//! The `Authorization` header of every request: static for a token or basic
//! auth; for OAuth M2M, a cached access token (see `oauth.rs`).

use base64::{Engine, engine::general_purpose::STANDARD};
use http::HeaderValue;
use tokio::time::Instant;

use super::{Error, limiter::RateLimiter, oauth::OAuthTokens};
use crate::config::Credentials;

/// Produces the `Authorization` header.
#[derive(Debug)]
pub(crate) enum Authenticator {
    /// A token or basic credentials: one fixed header.
    Static(HeaderValue),
    /// OAuth machine-to-machine.
    OAuth(OAuthTokens),
    /// Pass-through mode: nothing of its own to send. Only clients made by
    /// `Client::for_caller` send requests; this refuses any other.
    CallerOnly,
}

// === impl Authenticator ===

impl Authenticator {
    /// The authenticator for `credentials` against the workspace `host`;
    /// OAuth token fetches wait in the workspace's `limiter`.
    pub(crate) fn new(
        credentials: &Credentials,
        host: &str,
        http: reqwest::Client,
        limiter: &RateLimiter,
    ) -> Result<Self, Error> {
        Ok(match credentials {
            Credentials::Pat { token } => {
                Self::Static(sensitive(&format!("Bearer {}", token.expose()))?)
            }
            Credentials::Basic { username, password } => {
                Self::Static(sensitive(&basic(username, password.expose()))?)
            }
            Credentials::OAuthM2M {
                client_id,
                client_secret,
            } => Self::OAuth(OAuthTokens::new(
                http,
                format!("{host}/oidc/v1/token"),
                sensitive(&basic(client_id, client_secret.expose()))?,
                limiter.clone(),
            )),
            Credentials::PassThrough => Self::CallerOnly,
        })
    }

    /// True when a refused header may be replaced by fetching a new token.
    pub(crate) fn is_refreshable(&self) -> bool {
        matches!(self, Self::OAuth(_))
    }

    /// Drops a cached OAuth token so the next request fetches a new one.
    pub(crate) async fn invalidate(&self) {
        if let Self::OAuth(tokens) = self {
            tokens.invalidate().await;
        }
    }

    /// The header for the next request; fetching an OAuth token for it may
    /// retry until `retry_until`.
    pub(crate) async fn header(&self, retry_until: Instant) -> Result<HeaderValue, Error> {
        match self {
            Self::Static(value) => Ok(value.clone()),
            Self::OAuth(tokens) => tokens.header(retry_until).await,
            Self::CallerOnly => Err(Error::NoCallerCredentials),
        }
    }
}

fn basic(user: &str, secret: &str) -> String {
    format!("Basic {}", STANDARD.encode(format!("{user}:{secret}")))
}

/// A header value marked sensitive, so it is never printed by `Debug`.
pub(crate) fn sensitive(value: &str) -> Result<HeaderValue, Error> {
    let mut header = HeaderValue::from_str(value).map_err(|_| Error::InvalidToken)?;
    header.set_sensitive(true);
    Ok(header)
}
