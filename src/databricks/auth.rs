//! The `Authorization` header of every request: static for a token or basic
//! auth; for OAuth M2M, an access token fetched from `{host}/oidc/v1/token`
//! with the client credentials, cached, and fetched again before it expires.

use std::time::Duration;

use base64::{Engine, engine::general_purpose::STANDARD};
use http::{HeaderValue, header};
use serde::Deserialize;
use tokio::{sync::Mutex, time::Instant};
use tracing::{debug, info};

use super::Error;
use crate::config::Credentials;

/// Refresh an OAuth token when less than this share of its life is left
/// (and at most this long before expiry).
const REFRESH_BEFORE: Duration = Duration::from_secs(20 * 60);

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

/// Cached OAuth access tokens for one service principal.
#[derive(Debug)]
pub(crate) struct OAuthTokens {
    http: reqwest::Client,
    token_url: String,
    client_basic: HeaderValue,
    cached: Mutex<Option<(HeaderValue, Instant)>>,
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    #[serde(default)]
    expires_in: Option<u64>,
}

// === impl Authenticator ===

impl Authenticator {
    /// The authenticator for `credentials` against the workspace `host`.
    pub(crate) fn new(
        credentials: &Credentials,
        host: &str,
        http: reqwest::Client,
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
            } => Self::OAuth(OAuthTokens {
                http,
                token_url: format!("{host}/oidc/v1/token"),
                client_basic: sensitive(&basic(client_id, client_secret.expose()))?,
                cached: Mutex::new(None),
            }),
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
            *tokens.cached.lock().await = None;
        }
    }

    /// The header for the next request.
    pub(crate) async fn header(&self) -> Result<HeaderValue, Error> {
        match self {
            Self::Static(value) => Ok(value.clone()),
            Self::OAuth(tokens) => tokens.header().await,
            Self::CallerOnly => Err(Error::NoCallerCredentials),
        }
    }
}

// === impl OAuthTokens ===

impl OAuthTokens {
    async fn header(&self) -> Result<HeaderValue, Error> {
        let mut cached = self.cached.lock().await;
        if let Some((value, refresh_at)) = cached.as_ref() {
            if Instant::now() < *refresh_at {
                return Ok(value.clone());
            }
            debug!("OAuth token is due for refresh");
        }
        let (value, lifetime) = self.fetch().await?;
        let margin = (lifetime / 2).min(REFRESH_BEFORE);
        *cached = Some((value.clone(), Instant::now() + lifetime - margin));
        Ok(value)
    }

    async fn fetch(&self) -> Result<(HeaderValue, Duration), Error> {
        let refused = |message: String| Error::TokenRefused {
            token_url: self.token_url.clone(),
            message,
        };
        let response = self
            .http
            .post(&self.token_url)
            .header(header::AUTHORIZATION, self.client_basic.clone())
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body("grant_type=client_credentials&scope=all-apis")
            .timeout(Duration::from_secs(30))
            .send()
            .await
            .map_err(|error| {
                refused(format!("the token endpoint could not be reached: {error}"))
            })?;
        let status = response.status();
        let body = response
            .bytes()
            .await
            .map_err(|error| refused(error.to_string()))?;
        if !status.is_success() {
            let text = String::from_utf8_lossy(&body);
            return Err(refused(format!(
                "HTTP {}: {}",
                status.as_u16(),
                text.chars().take(300).collect::<String>()
            )));
        }
        let token: TokenResponse = serde_json::from_slice(&body)
            .map_err(|_| refused("the token response was not understood".to_owned()))?;
        let lifetime = Duration::from_secs(token.expires_in.unwrap_or(3600));
        info!(expires_in = ?lifetime, "fetched an OAuth access token");
        Ok((
            sensitive(&format!("Bearer {}", token.access_token))?,
            lifetime,
        ))
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
