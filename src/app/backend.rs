//! Which Databricks the service calls, with which credentials and timeouts:
//! resolved from the flags and environment, given, or a fresh emulator.

use std::time::Duration;

use crate::{
    app::{Backend, start_emulator},
    config::{
        Credentials, DEFAULT_REQUEST_TIMEOUT, DEFAULT_RETRY_TIMEOUT, DatabricksConfig, Environment,
        RateLimit, Secret,
    },
    emulator::EmulatorHandle,
};

/// Settings given as flags, which win over the backend's own.
#[derive(Debug, Clone, Copy)]
pub(super) struct Given {
    /// `--request-timeout`.
    pub(super) request_timeout: Option<Duration>,
    /// `--retry-timeout`.
    pub(super) retry_timeout: Option<Duration>,
    /// `--rate-limit`.
    pub(super) rate_limit: Option<u32>,
    /// `--rate-burst`.
    pub(super) rate_burst: Option<u32>,
}

/// The configuration of `backend`, starting its emulator if it is one.
/// `pass_through` and the settings `given` win over the backend's own.
pub(super) async fn connect(
    backend: Backend,
    pass_through: bool,
    given: Given,
) -> anyhow::Result<(DatabricksConfig, Option<EmulatorHandle>)> {
    let Given {
        request_timeout,
        retry_timeout,
        rate_limit,
        rate_burst,
    } = given;
    let rate_limit_over = |own: RateLimit| RateLimit {
        per_second: rate_limit.unwrap_or(own.per_second),
        burst: rate_burst.unwrap_or(own.burst),
    };
    match backend {
        Backend::Workspace(mut overrides) => {
            overrides.pass_through |= pass_through;
            overrides.request_timeout = request_timeout.or(overrides.request_timeout);
            overrides.retry_timeout = retry_timeout.or(overrides.retry_timeout);
            overrides.rate_limit = rate_limit.or(overrides.rate_limit);
            overrides.rate_burst = rate_burst.or(overrides.rate_burst);
            Ok((DatabricksConfig::resolve(overrides, &Environment)?, None))
        }
        Backend::Resolved(mut config) => {
            if pass_through {
                config.credentials = Credentials::PassThrough;
            }
            config.request_timeout = request_timeout.unwrap_or(config.request_timeout);
            config.retry_timeout = retry_timeout.unwrap_or(config.retry_timeout);
            config.rate_limit = rate_limit_over(config.rate_limit);
            Ok((config, None))
        }
        Backend::Emulator(embedded) => {
            let handle = start_emulator(embedded.listen, embedded.config, embedded.banner).await?;
            let credentials = if pass_through {
                Credentials::PassThrough
            } else {
                Credentials::Pat {
                    token: Secret::new(handle.token()),
                }
            };
            let config = DatabricksConfig::with_credentials(&handle.url(), credentials)?
                .with_request_timeout(request_timeout.unwrap_or(DEFAULT_REQUEST_TIMEOUT))
                .with_retry_timeout(retry_timeout.unwrap_or(DEFAULT_RETRY_TIMEOUT))
                .with_rate_limit(rate_limit_over(RateLimit::default()));
            Ok((config, Some(handle)))
        }
    }
}
