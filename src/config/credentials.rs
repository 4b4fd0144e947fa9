//! Choosing how to authenticate from the resolved fields, in the SDKs'
//! order: `pat` (token), `basic` (username + password), `oauth-m2m` (client
//! id + secret). `auth_type` forces one; two complete sets without it are an
//! error, as in the SDKs.

use std::fmt;

use super::Secret;

/// How requests authenticate to Databricks.
#[derive(Clone, PartialEq, Eq)]
pub enum Credentials {
    /// A personal access token: `Authorization: Bearer <token>`.
    Pat {
        /// The token.
        token: Secret,
    },
    /// Username and password: `Authorization: Basic …` (legacy).
    Basic {
        /// The user.
        username: String,
        /// The password.
        password: Secret,
    },
    /// OAuth machine-to-machine: a service principal's client id and
    /// secret, exchanged at `{host}/oidc/v1/token` for short-lived tokens.
    OAuthM2M {
        /// The service principal's application id.
        client_id: String,
        /// Its OAuth secret.
        client_secret: Secret,
    },
    /// No credentials of its own: every call carries the caller's
    /// `authorization`, forwarded as is (`serve --auth-passthrough`).
    PassThrough,
}

/// The credential fields found in flags, environment and profile.
#[derive(Debug, Default)]
pub(super) struct Fields {
    pub(super) token: Option<String>,
    pub(super) username: Option<String>,
    pub(super) password: Option<String>,
    pub(super) client_id: Option<String>,
    pub(super) client_secret: Option<String>,
    pub(super) auth_type: Option<String>,
}

// === impl Credentials ===

impl Credentials {
    /// The SDK name of the method: `pat`, `basic` or `oauth-m2m`
    /// (`pass-through` for the callers' own credentials).
    pub fn auth_type(&self) -> &'static str {
        match self {
            Credentials::Pat { .. } => "pat",
            Credentials::Basic { .. } => "basic",
            Credentials::OAuthM2M { .. } => "oauth-m2m",
            Credentials::PassThrough => "pass-through",
        }
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credentials::Pat { .. } => f.write_str("Pat { token: [redacted] }"),
            Credentials::Basic { username, .. } => write!(
                f,
                "Basic {{ username: {username:?}, password: [redacted] }}"
            ),
            Credentials::OAuthM2M { client_id, .. } => {
                write!(
                    f,
                    "OAuthM2M {{ client_id: {client_id:?}, client_secret: [redacted] }}"
                )
            }
            Credentials::PassThrough => f.write_str("PassThrough"),
        }
    }
}

/// Picks the credentials; `netrc` is used only when nothing else is set.
pub(super) fn choose(fields: Fields, netrc: Option<Credentials>) -> Result<Credentials, String> {
    let pat = fields.token.clone().map(|token| Credentials::Pat {
        token: Secret::new(token),
    });
    let basic = match (&fields.username, &fields.password) {
        (Some(username), Some(password)) => Some(Credentials::Basic {
            username: username.clone(),
            password: Secret::new(password.clone()),
        }),
        _ => None,
    };
    let oauth = match (&fields.client_id, &fields.client_secret) {
        (Some(client_id), Some(client_secret)) => Some(Credentials::OAuthM2M {
            client_id: client_id.clone(),
            client_secret: Secret::new(client_secret.clone()),
        }),
        _ => None,
    };
    if let Some(forced) = fields.auth_type.as_deref() {
        let (chosen, needs) = match forced {
            "pat" => (pat, "DATABRICKS_TOKEN"),
            "basic" => (basic, "DATABRICKS_USERNAME and DATABRICKS_PASSWORD"),
            "oauth-m2m" => (oauth, "DATABRICKS_CLIENT_ID and DATABRICKS_CLIENT_SECRET"),
            other => {
                return Err(format!(
                    "auth type {other:?} is not supported here; use pat, basic or oauth-m2m"
                ));
            }
        };
        return chosen.ok_or_else(|| format!("auth type {forced} needs {needs}"));
    }
    let complete: Vec<Credentials> = [pat, basic, oauth].into_iter().flatten().collect();
    match complete.len() {
        1 => Ok(complete
            .into_iter()
            .next()
            .unwrap_or_else(|| unreachable!("length checked"))),
        0 => incomplete(&fields).map_or_else(|| netrc.ok_or_else(nothing_configured), Err),
        _ => {
            let names: Vec<_> = complete.iter().map(Credentials::auth_type).collect();
            Err(format!(
                "more than one authorization method configured: {}; set DATABRICKS_AUTH_TYPE (or --auth-type) to choose",
                names.join(" and ")
            ))
        }
    }
}

/// A half-configured method is a mistake worth naming.
fn incomplete(fields: &Fields) -> Option<String> {
    match (
        &fields.username,
        &fields.password,
        &fields.client_id,
        &fields.client_secret,
    ) {
        (Some(_), None, _, _) => {
            Some("DATABRICKS_USERNAME is set but DATABRICKS_PASSWORD is not".to_owned())
        }
        (None, Some(_), _, _) => {
            Some("DATABRICKS_PASSWORD is set but DATABRICKS_USERNAME is not".to_owned())
        }
        (_, _, Some(_), None) => {
            Some("DATABRICKS_CLIENT_ID is set but DATABRICKS_CLIENT_SECRET is not".to_owned())
        }
        (_, _, None, Some(_)) => {
            Some("DATABRICKS_CLIENT_SECRET is set but DATABRICKS_CLIENT_ID is not".to_owned())
        }
        _ => None,
    }
}

fn nothing_configured() -> String {
    "no credentials: set DATABRICKS_TOKEN (or --token), DATABRICKS_USERNAME + DATABRICKS_PASSWORD, \
     or DATABRICKS_CLIENT_ID + DATABRICKS_CLIENT_SECRET, or name a profile (or use --emulator)"
        .to_owned()
}
