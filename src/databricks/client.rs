//! The one pooled reqwest client that speaks the Databricks REST wire format:
//! base URL, bearer token, `User-Agent`, timeouts, and error parsing.

use std::time::Duration;

use http::{HeaderMap, HeaderValue, Method, header};
use serde::{Serialize, de::DeserializeOwned};
use tracing::{debug, instrument};

use super::{
    error::{ApiError, Error},
    execution::{
        CommandRequest, CommandStatusResponse, ContextRequest, ContextStatusResponse,
        CreateContextRequest, ExecuteCommandRequest, IdResponse,
    },
    models::{
        AllClusterStatuses, ClusterDetails, ClusterIdRequest, ClusterLibraryStatuses,
        LibrariesRequest,
    },
};
use crate::config::DatabricksConfig;

/// `User-Agent` sent on every request, SDK style (`key/value` tokens), e.g.
/// `databricks-grpc/0.1.0 reqwest/0.13 os/linux auth/pat`.
pub fn user_agent() -> String {
    format!(
        "databricks-grpc/{} reqwest/0.13 os/{} auth/pat",
        env!("CARGO_PKG_VERSION"),
        std::env::consts::OS
    )
}

/// A Databricks workspace client. Cheap to clone: clones share one
/// connection pool.
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    host: String,
    default_timeout: Duration,
}

/// Per-call options.
#[derive(Debug, Clone, Copy, Default)]
pub struct CallOptions {
    /// Time allowed for this call; the client default when `None`.
    pub timeout: Option<Duration>,
}

// === impl Client ===

impl Client {
    /// Builds the client for `config`. Fails only if the TLS backend cannot
    /// initialise or the token is not a valid header value.
    pub fn new(config: &DatabricksConfig) -> Result<Self, Error> {
        let mut authorization = HeaderValue::from_str(&format!("Bearer {}", config.token.expose()))
            .map_err(|_| Error::InvalidToken)?;
        authorization.set_sensitive(true);
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, authorization);
        headers.insert(header::ACCEPT, HeaderValue::from_static("application/json"));
        let http = reqwest::Client::builder()
            .user_agent(user_agent())
            .default_headers(headers)
            .connect_timeout(Duration::from_secs(10))
            .pool_idle_timeout(Duration::from_secs(90))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|source| Error::NotSent {
                host: config.host.clone(),
                source,
            })?;
        Ok(Self {
            http,
            host: config.host.clone(),
            default_timeout: config.request_timeout,
        })
    }

    /// The workspace base URL.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// `POST /api/2.0/libraries/install`.
    #[instrument(skip_all, fields(cluster_id = %request.cluster_id, libraries = request.libraries.len()))]
    pub async fn install(
        &self,
        request: &LibrariesRequest,
        options: CallOptions,
    ) -> Result<(), Error> {
        self.post::<_, serde_json::Value>("/api/2.0/libraries/install", request, options)
            .await
            .map(drop)
    }

    /// `POST /api/2.0/libraries/uninstall`.
    #[instrument(skip_all, fields(cluster_id = %request.cluster_id, libraries = request.libraries.len()))]
    pub async fn uninstall(
        &self,
        request: &LibrariesRequest,
        options: CallOptions,
    ) -> Result<(), Error> {
        self.post::<_, serde_json::Value>("/api/2.0/libraries/uninstall", request, options)
            .await
            .map(drop)
    }

    /// `GET /api/2.0/libraries/cluster-status?cluster_id=`.
    #[instrument(skip(self, options))]
    pub async fn cluster_status(
        &self,
        cluster_id: &str,
        options: CallOptions,
    ) -> Result<ClusterLibraryStatuses, Error> {
        self.get(
            "/api/2.0/libraries/cluster-status",
            &[("cluster_id", cluster_id)],
            options,
        )
        .await
    }

    /// `GET /api/2.0/libraries/all-cluster-statuses`.
    #[instrument(skip_all)]
    pub async fn all_cluster_statuses(
        &self,
        options: CallOptions,
    ) -> Result<AllClusterStatuses, Error> {
        self.get("/api/2.0/libraries/all-cluster-statuses", &[], options)
            .await
    }

    /// `GET /api/2.0/clusters/get?cluster_id=`.
    #[instrument(skip(self, options))]
    pub async fn get_cluster(
        &self,
        cluster_id: &str,
        options: CallOptions,
    ) -> Result<ClusterDetails, Error> {
        let request = ClusterIdRequest {
            cluster_id: cluster_id.to_owned(),
        };
        self.get(
            "/api/2.0/clusters/get",
            &[("cluster_id", &request.cluster_id)],
            options,
        )
        .await
    }

    /// `POST /api/1.2/contexts/create`. Not idempotent: each success uses
    /// one of the cluster's execution context slots.
    #[instrument(skip_all, fields(cluster_id = %request.cluster_id, language = %request.language))]
    pub async fn create_context(
        &self,
        request: &CreateContextRequest,
        options: CallOptions,
    ) -> Result<IdResponse, Error> {
        self.post("/api/1.2/contexts/create", request, options)
            .await
    }

    /// `GET /api/1.2/contexts/status?clusterId=&contextId=`.
    #[instrument(skip_all, fields(cluster_id = %request.cluster_id, context_id = %request.context_id))]
    pub async fn context_status(
        &self,
        request: &ContextRequest,
        options: CallOptions,
    ) -> Result<ContextStatusResponse, Error> {
        let query = [
            ("clusterId", request.cluster_id.as_str()),
            ("contextId", request.context_id.as_str()),
        ];
        self.get("/api/1.2/contexts/status", &query, options).await
    }

    /// `POST /api/1.2/contexts/destroy`.
    #[instrument(skip_all, fields(cluster_id = %request.cluster_id, context_id = %request.context_id))]
    pub async fn destroy_context(
        &self,
        request: &ContextRequest,
        options: CallOptions,
    ) -> Result<IdResponse, Error> {
        self.post("/api/1.2/contexts/destroy", request, options)
            .await
    }

    /// `POST /api/1.2/commands/execute`. Not idempotent: sending it twice
    /// runs the code twice.
    #[instrument(skip_all, fields(cluster_id = %request.cluster_id, context_id = %request.context_id, language = %request.language))]
    pub async fn execute_command(
        &self,
        request: &ExecuteCommandRequest,
        options: CallOptions,
    ) -> Result<IdResponse, Error> {
        self.post("/api/1.2/commands/execute", request, options)
            .await
    }

    /// `GET /api/1.2/commands/status?clusterId=&contextId=&commandId=`.
    #[instrument(skip_all, fields(command_id = %request.command_id))]
    pub async fn command_status(
        &self,
        request: &CommandRequest,
        options: CallOptions,
    ) -> Result<CommandStatusResponse, Error> {
        let query = [
            ("clusterId", request.cluster_id.as_str()),
            ("contextId", request.context_id.as_str()),
            ("commandId", request.command_id.as_str()),
        ];
        self.get("/api/1.2/commands/status", &query, options).await
    }

    /// `POST /api/1.2/commands/cancel`.
    #[instrument(skip_all, fields(command_id = %request.command_id))]
    pub async fn cancel_command(
        &self,
        request: &CommandRequest,
        options: CallOptions,
    ) -> Result<IdResponse, Error> {
        self.post("/api/1.2/commands/cancel", request, options)
            .await
    }

    async fn get<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, &str)],
        options: CallOptions,
    ) -> Result<T, Error> {
        let request = self.http.get(self.url(path)).query(query);
        self.send(Method::GET, path, request, options).await
    }

    async fn post<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
        options: CallOptions,
    ) -> Result<T, Error> {
        let request = self.http.post(self.url(path)).json(body);
        self.send(Method::POST, path, request, options).await
    }

    async fn send<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        request: reqwest::RequestBuilder,
        options: CallOptions,
    ) -> Result<T, Error> {
        let endpoint = format!("{method} {path}");
        let timeout = options.timeout.unwrap_or(self.default_timeout);
        let response = request
            .timeout(timeout)
            .send()
            .await
            .map_err(|source| self.transport_error(&endpoint, timeout, source))?;
        let status = response.status();
        let headers = response.headers().clone();
        let body = response
            .bytes()
            .await
            .map_err(|source| self.transport_error(&endpoint, timeout, source))?;
        debug!(%endpoint, status = status.as_u16(), bytes = body.len(), "databricks answered");
        if !status.is_success() {
            return Err(ApiError::from_response(&endpoint, status, &headers, &body).into());
        }
        // An empty 2xx body means `{}`.
        let body: &[u8] = if body.iter().all(u8::is_ascii_whitespace) {
            b"{}"
        } else {
            &body
        };
        serde_json::from_slice(body).map_err(|source| Error::BadResponseBody {
            endpoint,
            http_status: status.as_u16(),
            source,
        })
    }

    fn transport_error(&self, endpoint: &str, timeout: Duration, source: reqwest::Error) -> Error {
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
