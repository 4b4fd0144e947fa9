//! The one pooled reqwest client that speaks the Databricks REST wire format:
//! base URL, bearer token, `User-Agent`, timeouts, and error parsing.

use std::{sync::Arc, time::Duration};

use http::{HeaderMap, HeaderValue, Method, header};
use serde::{Serialize, de::DeserializeOwned};
use tokio::time::Instant;
use tracing::{debug, warn};

use super::{
    auth::Authenticator,
    body,
    error::{ApiError, Error},
    limiter::{self, RateLimiter},
    recording,
    retry::{self, Resend},
    trace_parent::{TRACEPARENT, TraceParent},
};
use crate::config::DatabricksConfig;

/// `User-Agent` sent on every request, SDK style (`key/value` tokens), e.g.
/// `databricks-grpc/0.1.0 reqwest/0.13 os/linux auth/pat`.
pub fn user_agent(auth_type: &str) -> String {
    format!(
        "databricks-grpc/{} reqwest/0.13 os/{} auth/{auth_type}",
        env!("CARGO_PKG_VERSION"),
        std::env::consts::OS
    )
}

/// A Databricks workspace client. Cheap to clone: clones share one
/// connection pool.
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    retry_budget: Duration,
    auth: Arc<Authenticator>,
    host: String,
    default_timeout: Duration,
    /// The workspace's rate limit, shared by every clone (pass-through
    /// callers' clients included) and the OAuth token fetch.
    limiter: RateLimiter,
}

/// Per-call options.
#[derive(Debug, Clone, Copy, Default)]
pub struct CallOptions {
    /// Time allowed for the whole call, retries included (the caller's gRPC
    /// deadline); the retry budget when `None`.
    pub timeout: Option<Duration>,
    /// An opaque hash of the caller's identity (its credential in
    /// pass-through mode, else its address), for per-caller fairness.
    pub caller: Option<u64>,
    /// The caller's W3C `traceparent`, sent on every request of the call.
    pub traceparent: Option<TraceParent>,
}

// === impl Client ===

impl Client {
    /// Builds the client for `config`. Fails only if the TLS backend cannot
    /// initialise or the token is not a valid header value.
    pub fn new(config: &DatabricksConfig) -> Result<Self, Error> {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT, HeaderValue::from_static("application/json"));
        let http = reqwest::Client::builder()
            .user_agent(user_agent(config.credentials.auth_type()))
            .default_headers(headers)
            .connect_timeout(Duration::from_secs(10))
            // reqwest's default too; said here so it cannot silently change:
            // small requests must not wait for Nagle and delayed ACKs.
            .tcp_nodelay(true)
            .pool_idle_timeout(Duration::from_secs(90))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|source| Error::NotSent {
                host: config.host.clone(),
                source,
            })?;
        let limiter = RateLimiter::new(config.rate_limit);
        let auth = Authenticator::new(&config.credentials, &config.host, http.clone(), &limiter)?;
        Ok(Self {
            limiter,
            auth: Arc::new(auth),
            http,
            host: config.host.clone(),
            default_timeout: config.request_timeout,
            retry_budget: config.retry_timeout,
        })
    }

    /// The same workspace and connection pool, authenticating every request
    /// with `authorization` (a caller's own header, in pass-through mode)
    /// instead of the configured credentials.
    pub fn for_caller(&self, mut authorization: HeaderValue) -> Self {
        authorization.set_sensitive(true);
        Self {
            auth: Arc::new(Authenticator::Static(authorization)),
            ..self.clone()
        }
    }

    /// The same client, allowing each request at least `timeout` (an upload
    /// whose body takes longer to send than the usual request timeout). A
    /// caller's deadline still bounds every call.
    pub fn with_request_timeout_at_least(&self, timeout: Duration) -> Self {
        Self {
            default_timeout: self.default_timeout.max(timeout),
            ..self.clone()
        }
    }

    /// True for a pass-through client, which has no credentials of its own
    /// and sends nothing until [`Client::for_caller`] gives it a caller's.
    pub fn is_pass_through(&self) -> bool {
        matches!(*self.auth, Authenticator::CallerOnly)
    }

    /// The workspace base URL.
    pub fn host(&self) -> &str {
        &self.host
    }

    pub(super) async fn get<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, &str)],
        options: CallOptions,
    ) -> Result<T, Error> {
        let request = self.http.get(self.url(path)).query(query);
        self.send(Method::GET, path, request, options, Resend::Safe)
            .await
    }

    pub(super) async fn post<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
        options: CallOptions,
        resend: Resend,
    ) -> Result<T, Error> {
        let request = self.http.post(self.url(path)).json(body);
        self.send(Method::POST, path, request, options, resend)
            .await
    }

    /// A request of any method for `url_path` (which may carry an encoded
    /// file path), to be sent with [`Client::send`].
    pub(super) fn request(&self, method: Method, url_path: &str) -> reqwest::RequestBuilder {
        self.http.request(method, self.url(url_path))
    }

    /// Sends `request`, retrying as [`retry::delay`] allows. A caller's
    /// deadline (`options.timeout`) bounds everything, each attempt included;
    /// without one, each attempt gets the request timeout and retries stop
    /// once the retry budget is spent.
    pub(super) async fn send<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        request: reqwest::RequestBuilder,
        options: CallOptions,
        resend: Resend,
    ) -> Result<T, Error> {
        let endpoint = format!("{method} {path}");
        let request = match options.traceparent {
            Some(traceparent) => request.header(TRACEPARENT, traceparent.to_string()),
            None => request,
        };
        self.exchange_with_retries(&endpoint, request, options, resend)
            .await
            .and_then(|body| parse(&endpoint, body))
            .map_err(|error| unconfirmed_if_unsafe(error, &endpoint, resend))
    }

    /// The retry loop of [`Client::send`]: the first success, or the error
    /// that ends the call.
    async fn exchange_with_retries(
        &self,
        endpoint: &str,
        request: reqwest::RequestBuilder,
        options: CallOptions,
        resend: Resend,
    ) -> Result<(u16, bytes::Bytes), Error> {
        let started = Instant::now();
        let call_deadline = options.timeout.map(|timeout| started + timeout);
        let retry_until = call_deadline.unwrap_or(started + self.retry_budget);
        let mut attempt = 0;
        let mut answer_lost = false;
        loop {
            let timeout = match call_deadline {
                Some(deadline) => self
                    .default_timeout
                    .min(deadline.saturating_duration_since(Instant::now()))
                    .max(Duration::from_millis(1)),
                None => self.default_timeout,
            };
            let Some(this_try) = request.try_clone() else {
                return self
                    .exchange(request, endpoint, timeout, retry_until, options.caller)
                    .await;
            };
            let error = match self
                .exchange(this_try, endpoint, timeout, retry_until, options.caller)
                .await
            {
                Ok(body) => return Ok(body),
                Err(Error::Api(mut api)) => {
                    api.after_lost_answer = answer_lost;
                    Error::Api(api)
                }
                Err(error) => error,
            };
            answer_lost |= error.may_have_arrived();
            if matches!(error, Error::RateLimited { .. }) {
                // The limiter found no slot before the deadline: nothing was
                // sent, and resending cannot find one either.
                return Err(error);
            }
            let Some(wait) = retry::delay(&error, resend, attempt) else {
                return Err(error);
            };
            // A throttle paused the shared limiter: the resend waits there,
            // with every other request, instead of backing off on its own.
            let wait = if self.limiter.is_on() && paused_the_limiter(&error) {
                Duration::ZERO
            } else {
                wait
            };
            if Instant::now() + wait >= retry_until {
                warn!(%endpoint, attempts = attempt + 1, error = %error, "giving up: no time left to retry");
                return Err(error);
            }
            attempt += 1;
            recording::retry(recording::retry_reason(&error));
            // Not a warning: a retry that succeeds is the policy working. The
            // failure that ends a call is logged where the caller is told.
            debug!(%endpoint, attempt, wait = ?wait, error = %error, "transient failure; retrying");
            if !wait.is_zero() {
                tokio::time::sleep(wait).await;
            }
        }
    }

    /// One request and its answer; an error status becomes [`ApiError`].
    /// Fetching an OAuth token for it may retry until `retry_until`.
    async fn exchange(
        &self,
        request: reqwest::RequestBuilder,
        endpoint: &str,
        timeout: Duration,
        retry_until: Instant,
        caller: Option<u64>,
    ) -> Result<(u16, bytes::Bytes), Error> {
        let resend = request.try_clone();
        let mut response = self
            .attempt(request, endpoint, timeout, retry_until, caller)
            .await?;
        // A refused OAuth token (expired or revoked early): Databricks did
        // nothing with the request, so it is safe to send once more with a
        // fresh token.
        if matches!(response.status().as_u16(), 401 | 403) && self.auth.is_refreshable() {
            if let Some(resend) = resend {
                debug!(%endpoint, "OAuth token refused; fetching a new one");
                self.auth.invalidate().await;
                recording::retry(recording::TOKEN_REFRESH);
                response = self
                    .attempt(resend, endpoint, timeout, retry_until, caller)
                    .await?;
            }
        }
        let status = response.status();
        let headers = response.headers().clone();
        let body = body::read_capped(response, endpoint, body::body_limit(endpoint), |source| {
            self.transport_error(endpoint, timeout, source)
        })
        .await?;
        let request_id = super::error::upstream_request_id(&headers);
        debug!(%endpoint, status = status.as_u16(), bytes = body.len(), request_id = request_id.unwrap_or("-"), "databricks answered");
        if !status.is_success() {
            let error = ApiError::from_response(endpoint, status, &headers, &body);
            self.limiter.answered(status.as_u16(), error.retry_after);
            return Err(error.into());
        }
        self.limiter.answered(status.as_u16(), None);
        Ok((status.as_u16(), body))
    }

    async fn attempt(
        &self,
        request: reqwest::RequestBuilder,
        endpoint: &str,
        timeout: Duration,
        retry_until: Instant,
        caller: Option<u64>,
    ) -> Result<reqwest::Response, Error> {
        let authorization = self.auth.header(retry_until).await?;
        self.limiter.acquire(caller, retry_until).await?;
        let sent_at = Instant::now();
        let answered = request
            .header(header::AUTHORIZATION, authorization)
            .timeout(timeout)
            .send()
            .await
            .map_err(|source| self.transport_error(endpoint, timeout, source));
        recording::attempt(
            endpoint,
            answered.as_ref().map(reqwest::Response::status),
            sent_at.elapsed(),
        );
        answered
    }

    /// The error for a failed transport. The URL is dropped from `source`:
    /// its query carries caller-supplied ids, which logs keep short.
    fn transport_error(&self, endpoint: &str, timeout: Duration, source: reqwest::Error) -> Error {
        let source = source.without_url();
        if source.is_timeout() {
            Error::Timeout {
                endpoint: endpoint.to_owned(),
                after: timeout,
            }
        } else if source.is_connect() || source.is_builder() {
            Error::NotSent {
                host: self.host.clone(),
                source,
            }
        } else {
            Error::NoResponse {
                endpoint: endpoint.to_owned(),
                source,
            }
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.host)
    }
}

/// Any failure after a call that must not be repeated may have reached
/// Databricks (a broken connection, no answer in time, an answer that cannot
/// be read): the caller must learn that it may have run, with a status no
/// retry policy resends, whatever the cause.
fn unconfirmed_if_unsafe(error: Error, endpoint: &str, resend: Resend) -> Error {
    if resend != Resend::OnlyIfNotSent || !error.may_have_arrived() {
        return error;
    }
    Error::OutcomeUnknown {
        endpoint: endpoint.to_owned(),
        cause: Box::new(error),
    }
}

/// True for a Databricks answer that paused the workspace's limiter (a 429,
/// or a 503 with `Retry-After`).
fn paused_the_limiter(error: &Error) -> bool {
    match error {
        Error::Api(api) => limiter::throttles(api.http_status, api.retry_after),
        _ => false,
    }
}

/// Decodes a success body; an empty body means `{}`.
fn parse<T: DeserializeOwned>(
    endpoint: &str,
    (status, body): (u16, bytes::Bytes),
) -> Result<T, Error> {
    let body: &[u8] = if body.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        &body
    };
    serde_json::from_slice(body).map_err(|source| Error::BadResponseBody {
        endpoint: endpoint.to_owned(),
        http_status: status,
        source,
    })
}
