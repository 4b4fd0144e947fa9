//! OAuth machine-to-machine access tokens for one service principal: fetched
//! from `{host}/oidc/v1/token` with the client credentials, cached, and
//! fetched again before they expire. A token endpoint that is briefly down
//! costs nothing while the cached token is still valid: the call goes ahead
//! with it and the refresh is tried again a minute later. Fetches themselves
//! ride out 429, 502, 503, 504 and network errors for up to a minute, as the
//! Databricks SDKs do.

use std::time::Duration;

use http::{HeaderMap, HeaderValue, StatusCode, header};
use serde::Deserialize;
use tokio::{sync::Mutex, time::Instant};
use tracing::{debug, info, warn};

use super::{
    ApiError, Error,
    auth::sensitive,
    limiter::RateLimiter,
    recording,
    retry::{self, Resend},
};

/// Refresh a token when less than half its life is left, and at most this
/// long before it expires.
const REFRESH_BEFORE: Duration = Duration::from_secs(20 * 60);
/// After a failed refresh, the still-valid token is used this long before
/// the next try.
const REFRESH_RETRY: Duration = Duration::from_secs(60);
/// How long one fetch may keep retrying transient token-endpoint failures.
const FETCH_BUDGET: Duration = Duration::from_secs(60);
/// Time allowed for one token request.
const FETCH_TIMEOUT: Duration = Duration::from_secs(30);
/// `METHOD path` of a token request, as failures name it.
const TOKEN_ENDPOINT: &str = "POST /oidc/v1/token";

/// Cached OAuth access tokens for one service principal.
#[derive(Debug)]
pub(crate) struct OAuthTokens {
    http: reqwest::Client,
    token_url: String,
    client_basic: HeaderValue,
    cached: Mutex<Option<Cached>>,
    /// The workspace's rate limit: a token request is a request to it.
    limiter: RateLimiter,
}

/// A token and the two moments that matter for it.
#[derive(Debug, Clone)]
struct Cached {
    header: HeaderValue,
    refresh_at: Instant,
    expires_at: Instant,
}

/// What to do for the next request.
#[derive(Debug, PartialEq)]
enum Plan {
    /// The cached token is fresh.
    Use(HeaderValue),
    /// Fetch a token; if that fails, `fallback` is still valid to send.
    Fetch { fallback: Option<HeaderValue> },
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    #[serde(default)]
    expires_in: Option<u64>,
}

/// Why one token request failed: what to tell (without secrets), and the
/// failure as the client's [`Error`], whose [`Error::transience`] says
/// whether trying again may help, as for any other call.
struct Failure {
    message: String,
    cause: Error,
}

// === impl OAuthTokens ===

impl OAuthTokens {
    /// Tokens from `token_url`, authenticating with `client_basic` (the
    /// client id and secret as a Basic header), each request waiting in
    /// `limiter`.
    pub(crate) fn new(
        http: reqwest::Client,
        token_url: String,
        client_basic: HeaderValue,
        limiter: RateLimiter,
    ) -> Self {
        Self {
            http,
            token_url,
            client_basic,
            cached: Mutex::new(None),
            limiter,
        }
    }

    /// Drops the cached token (Databricks refused it) so the next request
    /// fetches a new one.
    pub(crate) async fn invalidate(&self) {
        *self.cached.lock().await = None;
    }

    /// The header for the next request. One fetch at a time: concurrent
    /// callers wait for it and share its token. A fetch retries transient
    /// failures until `retry_until` (the call's deadline or retry budget),
    /// for at most [`FETCH_BUDGET`].
    pub(crate) async fn header(&self, retry_until: Instant) -> Result<HeaderValue, Error> {
        let mut cached = self.cached.lock().await;
        let fallback = match plan(cached.as_ref(), Instant::now()) {
            Plan::Use(header) => return Ok(header),
            Plan::Fetch { fallback } => fallback,
        };
        // With a valid token in hand, one try is enough: a refresh that fails
        // must not hold up calls the current token can still make.
        let give_up_at = if fallback.is_some() {
            Instant::now()
        } else {
            retry_until.min(Instant::now() + FETCH_BUDGET)
        };
        match self.fetch(give_up_at).await {
            Ok((header, lifetime)) => {
                *cached = Some(Cached::new(header.clone(), lifetime, Instant::now()));
                Ok(header)
            }
            Err(error) => match (fallback, cached.as_mut()) {
                (Some(header), Some(entry)) => {
                    warn!(error = %error, "could not refresh the OAuth token; the current one is still valid and is used, and the refresh is tried again in a minute");
                    entry.refresh_at = (Instant::now() + REFRESH_RETRY).min(entry.expires_at);
                    Ok(header)
                }
                _ => Err(error),
            },
        }
    }

    /// Fetches a token, retrying transient failures while a wait still ends
    /// before `give_up_at`.
    async fn fetch(&self, give_up_at: Instant) -> Result<(HeaderValue, Duration), Error> {
        let mut attempt = 0;
        loop {
            self.limiter.acquire(None, give_up_at).await?;
            let failure = match self.request_token().await {
                Ok(token) => return Ok(token),
                Err(failure) => failure,
            };
            let transient = failure.is_transient();
            let wait = retry::backoff(attempt, failure.cause.retry_after());
            if !transient || Instant::now() + wait >= give_up_at {
                let token_url = self.token_url.clone();
                let message = failure.message;
                return Err(if transient {
                    Error::TokenEndpointUnavailable { token_url, message }
                } else {
                    Error::TokenRefused { token_url, message }
                });
            }
            attempt += 1;
            recording::retry(recording::retry_reason(&failure.cause));
            debug!(attempt, wait = ?wait, error = %failure.message, "token endpoint failed; retrying");
            tokio::time::sleep(wait).await;
        }
    }

    /// One token request.
    async fn request_token(&self) -> Result<(HeaderValue, Duration), Failure> {
        let sent_at = Instant::now();
        let sent = self
            .http
            .post(&self.token_url)
            .header(header::AUTHORIZATION, self.client_basic.clone())
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body("grant_type=client_credentials&scope=all-apis")
            .timeout(FETCH_TIMEOUT)
            .send()
            .await
            .map_err(|error| Failure {
                message: format!("the token endpoint could not be reached: {error}"),
                cause: transport_failure(&self.token_url, error),
            });
        recording::attempt(
            TOKEN_ENDPOINT,
            sent.as_ref()
                .map(reqwest::Response::status)
                .map_err(|failure| &failure.cause),
            sent_at.elapsed(),
        );
        let response = sent?;
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.bytes().await.map_err(|error| Failure {
            message: format!("the token response broke off: {error}"),
            cause: transport_failure(&self.token_url, error),
        })?;
        if !status.is_success() {
            let failure = http_failure(status, &headers, &body);
            self.limiter
                .answered(status.as_u16(), failure.cause.retry_after());
            return Err(failure);
        }
        self.limiter.answered(status.as_u16(), None);
        let token: TokenResponse = serde_json::from_slice(&body).map_err(|source| Failure {
            message: "the token response was not understood".to_owned(),
            cause: Error::BadResponseBody {
                endpoint: TOKEN_ENDPOINT.to_owned(),
                http_status: status.as_u16(),
                source,
            },
        })?;
        let lifetime = Duration::from_secs(token.expires_in.unwrap_or(3600).max(1));
        info!(expires_in = ?lifetime, "fetched an OAuth access token");
        let header = sensitive(&format!("Bearer {}", token.access_token)).map_err(|_| Failure {
            message: "the access token cannot be sent in a header".to_owned(),
            cause: Error::InvalidToken,
        })?;
        Ok((header, lifetime))
    }
}

// === impl Cached ===

impl Cached {
    fn new(header: HeaderValue, lifetime: Duration, now: Instant) -> Self {
        let margin = (lifetime / 2).min(REFRESH_BEFORE);
        Self {
            header,
            refresh_at: now + lifetime - margin,
            expires_at: now + lifetime,
        }
    }
}

/// Use the cached token until it is due for refresh; then fetch, keeping it
/// as the fallback while it has not expired.
fn plan(cached: Option<&Cached>, now: Instant) -> Plan {
    match cached {
        Some(entry) if now < entry.refresh_at => Plan::Use(entry.header.clone()),
        Some(entry) if now < entry.expires_at => Plan::Fetch {
            fallback: Some(entry.header.clone()),
        },
        _ => Plan::Fetch { fallback: None },
    }
}

// === impl Failure ===

impl Failure {
    /// Worth another try: a token request is safe to repeat, so this is the
    /// rule every [`Resend::Safe`] call follows: connection failures, 429,
    /// 502, 503 and 504 (as in the SDKs), and an answer carrying a message
    /// both SDKs treat as "try again"; not other 4xx/5xx or unusable answers.
    fn is_transient(&self) -> bool {
        self.cause.transience().allows_resend(Resend::Safe)
    }
}

/// A token request that failed in transport: refused connections never
/// arrived; a timeout or a broken connection may have.
fn transport_failure(token_url: &str, source: reqwest::Error) -> Error {
    let source = source.without_url();
    if source.is_timeout() {
        Error::Timeout {
            endpoint: TOKEN_ENDPOINT.to_owned(),
            after: FETCH_TIMEOUT,
        }
    } else if source.is_connect() {
        Error::NotSent {
            host: token_url.to_owned(),
            source,
        }
    } else {
        Error::NoResponse {
            endpoint: TOKEN_ENDPOINT.to_owned(),
            source,
        }
    }
}

/// A token endpoint's error answer, read as any Databricks error answer is.
fn http_failure(status: StatusCode, headers: &HeaderMap, body: &[u8]) -> Failure {
    let text = String::from_utf8_lossy(body);
    Failure {
        message: format!(
            "HTTP {}: {}",
            status.as_u16(),
            text.chars().take(300).collect::<String>()
        ),
        cause: ApiError::from_response(TOKEN_ENDPOINT, status, headers, body).into(),
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod token_response_tests;
