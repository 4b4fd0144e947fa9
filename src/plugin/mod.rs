//! go-plugin mode: the binary as a HashiCorp go-plugin gRPC plugin, so a Go
//! host (a Terraform or Pulumi provider backend) launches it with
//! `plugin.NewClient` and dispenses a `ComputeService` client.
//!
//! A host starts the process with the magic cookie and `PLUGIN_*` variables
//! in its environment ([`PluginEnv`]). The plugin checks the cookie
//! ([`check_cookie`]) before anything else, picks the app protocol version,
//! binds a unix socket (or TCP on loopback) ([`listener`]), sets up AutoMTLS
//! when the host sent its certificate ([`tls`]), mounts ComputeService next to
//! the services every host calls ([`services`]), and only then prints the one
//! [`Handshake`] line on stdout. Logs go to stderr as hclog JSON
//! ([`crate::telemetry`]). [`serve`] runs all of that until the host calls
//! `GRPCController/Shutdown` or the caller's shutdown future completes
//! ([`lifeline`] offers SIGTERM, parent death and a closed stdout).
//!
//! Provider authors copy [`COOKIE_KEY`], [`COOKIE_VALUE`],
//! [`PROTOCOL_VERSION`] and [`PLUGIN_NAME`] into their `plugin.ClientConfig`.

mod cookie;
pub mod endpoint;
mod env;
mod handshake;
pub mod lifeline;
pub mod listener;
mod pinned;
pub mod proto;
mod serve;
pub mod services;
pub mod tls;

pub use cookie::{CookieError, check_cookie, cookie_matches, cookie_present};
pub use env::{EnvError, PluginEnv};
pub use handshake::{Handshake, Network, negotiate_version, negotiate_version_among};
pub use serve::{DRAIN_LIMIT, PluginError, serve};

/// The environment variable a host sets to show it launched us on purpose
/// (go-plugin `HandshakeConfig.MagicCookieKey`).
pub const COOKIE_KEY: &str = "DATABRICKS_GRPC_PLUGIN_MAGIC_COOKIE";

/// The value [`COOKIE_KEY`] must hold (go-plugin
/// `HandshakeConfig.MagicCookieValue`). A UX guard, not a secret.
pub const COOKIE_VALUE: &str = "a517db5142eb03a8cfeecdbd61505a8391540e8a65d7de2c308bb4bbb294b1a7";

/// The app protocol version we speak: `databricks.compute.v1`
/// (go-plugin `HandshakeConfig.ProtocolVersion`).
pub const PROTOCOL_VERSION: u32 = 1;

/// Every app protocol version we implement, lowest first.
pub const SUPPORTED_VERSIONS: &[u32] = &[PROTOCOL_VERSION];

/// The name hosts use in their plugin map and `Dispense` call. It never
/// goes on the wire; it is a convention shared with the Go example.
pub const PLUGIN_NAME: &str = "compute";

/// go-plugin's core protocol version, always 1 (handshake field 1).
pub const CORE_PROTOCOL_VERSION: u32 = 1;

/// Largest gRPC message accepted or sent in plugin mode: 256 MiB, as
/// Terraform's Go SDK (the host itself allows 2 GiB).
pub const MAX_MESSAGE_SIZE: usize = 256 * 1024 * 1024;
