//! Which Databricks the service calls, with which credentials and timeouts:
//! resolved from the flags and environment, given, or a fresh emulator.

use std::time::Duration;

use crate::{
    app::{Backend, start_emulator},
    config::{
        Credentials, DEFAULT_REQUEST_TIMEOUT, DEFAULT_RETRY_TIMEOUT, DatabricksConfig, Environment,
        Secret,
    },
    emulator::EmulatorHandle,
};

/// The configuration of `backend`, starting its emulator if it is one.
/// `pass_through` and the timeouts given (`--request-timeout`,
/// `--retry-timeout`) win over the backend's own.
pub(super) async fn connect(
    backend: Backend,
    pass_through: bool,
    request_timeout: Option<Duration>,
    retry_timeout: Option<Duration>,
) -> anyhow::Result<(DatabricksConfig, Option<EmulatorHandle>)> {
    match backend {
        Backend::Workspace(mut overrides) => {
            overrides.pass_through |= pass_through;
            overrides.request_timeout = request_timeout.or(overrides.request_timeout);
            overrides.retry_timeout = retry_timeout.or(overrides.retry_timeout);
            Ok((DatabricksConfig::resolve(overrides, &Environment)?, None))
        }
        Backend::Resolved(mut config) => {
            if pass_through {
                config.credentials = Credentials::PassThrough;
            }
            config.request_timeout = request_timeout.unwrap_or(config.request_timeout);
            config.retry_timeout = retry_timeout.unwrap_or(config.retry_timeout);
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
                .with_retry_timeout(retry_timeout.unwrap_or(DEFAULT_RETRY_TIMEOUT));
            Ok((config, Some(handle)))
        }
    }
}
