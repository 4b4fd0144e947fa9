//! ConfigureProvider: the `provider "dbgrpc" {}` block becomes the same
//! [`Overrides`] `databricks-grpc serve` builds from its flags, resolved by
//! the same code (then `DATABRICKS_*`, then the profile; `http://` only to
//! loopback), assembled by [`App::build`] and reached through an
//! in-process gRPC channel.

use super::{
    client::{self, Compute},
    diagnostics,
    proto::Diagnostic,
    schema::setting_names,
    value::Value,
};
use crate::{
    app::{App, AppConfig, Backend, FrontDoor},
    config::{Overrides, Secret},
};

/// The settings of the provider block, as Terraform sent them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProviderSettings {
    /// `host`.
    pub host: Option<String>,
    /// `token` (Debug redacts it: [`Secret`]).
    pub token: Option<Secret>,
    /// `profile`.
    pub profile: Option<String>,
    /// `auth_type`.
    pub auth_type: Option<String>,
    /// `client_id`.
    pub client_id: Option<String>,
    /// `client_secret` (redacted like `token`).
    pub client_secret: Option<Secret>,
}

impl ProviderSettings {
    /// Reads the settings from the decoded provider block. An unknown value
    /// (one that depends on a resource not yet created) is an error that
    /// points at it: the provider must know where to connect.
    pub fn from_config(config: &Value) -> Result<Self, Vec<Diagnostic>> {
        let unknown: Vec<Diagnostic> = setting_names()
            .filter(|name| config.attr(name).is_unknown())
            .map(|name| {
                diagnostics::error_at(
                    &[name],
                    format!("`{name}` is not known yet"),
                    "The provider connects before anything is applied, so its settings cannot \
                     depend on resources that do not exist yet.",
                )
            })
            .collect();
        if !unknown.is_empty() {
            return Err(unknown);
        }
        let text = |name: &str| {
            config
                .attr(name)
                .as_str()
                .filter(|text| !text.is_empty())
                .map(str::to_owned)
        };
        Ok(Self {
            host: text("host"),
            token: text("token").map(Secret::new),
            profile: text("profile"),
            auth_type: text("auth_type"),
            client_id: text("client_id"),
            client_secret: text("client_secret").map(Secret::new),
        })
    }

    /// What `serve`'s flags would give: settings left out come from
    /// `DATABRICKS_*` and the profile.
    pub fn overrides(self) -> Overrides {
        Overrides {
            host: self.host,
            token: self.token,
            profile: self.profile,
            auth_type: self.auth_type,
            client_id: self.client_id,
            client_secret: self.client_secret,
            ..Overrides::default()
        }
    }
}

/// Builds the app from `settings` and connects a client to its service.
///
/// # Errors
///
/// One diagnostic with every configuration problem the resolution found
/// (never a secret: the resolver does not print them).
pub async fn connect(settings: ProviderSettings) -> Result<Compute, Diagnostic> {
    let config = AppConfig::new(
        Backend::Workspace(settings.overrides()),
        FrontDoor::InProcess,
    );
    let app = App::build(config).await.map_err(|error| {
        diagnostics::error(
            "The dbgrpc provider could not be configured",
            format!(
                "{error:#}\n\nSet host and credentials in the provider block, or through \
                 DATABRICKS_HOST / DATABRICKS_TOKEN (or a profile in ~/.databrickscfg), the way \
                 `databricks-grpc serve` reads them."
            ),
        )
    })?;
    client::connect(app.service().clone())
        .await
        .map_err(|error| {
            diagnostics::error(
                "The dbgrpc provider could not reach its own service",
                error.to_string(),
            )
        })
}
