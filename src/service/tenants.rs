//! Whose identity a call uses. Normally every call uses the server's own
//! credentials and shares one [`Tenant`]. In pass-through mode
//! (`serve --auth-passthrough`) each distinct `authorization` a caller sends
//! gets a tenant of its own: its own client, managed contexts, poll loops
//! and AllStatuses snapshots. One caller's state can then never serve, or be
//! paid for by, another, because it is never in reach of another's calls.

use std::{
    collections::HashMap,
    fmt,
    sync::{Arc, Mutex, PoisonError},
    time::Duration,
};

use http::HeaderValue;
use tokio::{task::JoinHandle, time::Instant};
use tonic::{Status, metadata::MetadataMap};
use tracing::{Instrument, debug};

use super::{ServiceOptions, snapshots};
use crate::{
    databricks::{self, Client, execution::CommandRequest},
    hub::Hub,
    managed_contexts::ManagedContexts,
    proto::compute as pb,
};

/// Distinct caller credentials a pass-through server keeps state for at once.
pub const MAX_CALLERS: usize = 10_000;

/// A pass-through caller's state is dropped this long after its last call,
/// once it owns no managed context and no poll loop.
pub const CALLER_IDLE: Duration = snapshots::SNAPSHOT_TTL;

/// Everything done with one identity: the client that carries it and the
/// state made with it.
#[derive(Debug)]
pub(super) struct Tenant {
    pub(super) client: Client,
    pub(super) snapshots: snapshots::Snapshots,
    pub(super) contexts: Arc<ManagedContexts>,
    pub(super) commands: Hub<CommandRequest, pb::Command>,
    pub(super) clusters: Hub<String, pb::WatchClusterStatusResponse>,
}

/// The tenants of one service.
#[derive(Debug)]
pub(super) enum Tenants {
    /// The server's own credentials: one tenant for every call.
    Shared(Arc<Tenant>),
    /// Pass-through: one tenant per caller credential.
    PerCaller {
        base: Client,
        options: ServiceOptions,
        callers: Mutex<HashMap<CallerKey, Caller>>,
    },
}

#[derive(Debug)]
pub(super) struct Caller {
    tenant: Arc<Tenant>,
    last_call: Instant,
}

/// A caller's `authorization` value, the key of its state. `Debug` never
/// shows it.
#[derive(Clone, PartialEq, Eq, Hash)]
pub(super) struct CallerKey(Vec<u8>);

// === impl Tenant ===

impl Tenant {
    fn new(client: Client, options: ServiceOptions) -> Self {
        Self {
            contexts: Arc::new(ManagedContexts::new(
                client.clone(),
                options.context_idle_timeout,
            )),
            client,
            snapshots: snapshots::Snapshots::default(),
            commands: Hub::new(options.poll),
            clusters: Hub::new(options.poll),
        }
    }

    pub(super) fn active_poll_loops(&self) -> usize {
        self.commands.active_loops() + self.clusters.active_loops()
    }
}

// === impl Tenants ===

impl Tenants {
    /// Shared when `client` has credentials of its own; per caller when it
    /// is a pass-through client.
    pub(super) fn new(client: Client, options: ServiceOptions) -> Self {
        if client.is_pass_through() {
            Self::PerCaller {
                base: client,
                options,
                callers: Mutex::default(),
            }
        } else {
            Self::Shared(Arc::new(Tenant::new(client, options)))
        }
    }

    /// The tenant a call with `metadata` acts as.
    pub(super) fn for_call(&self, metadata: &MetadataMap) -> Result<Arc<Tenant>, Status> {
        let (base, options, callers) = match self {
            Self::Shared(tenant) => return Ok(tenant.clone()),
            Self::PerCaller {
                base,
                options,
                callers,
            } => (base, options, callers),
        };
        let authorization = caller_authorization(metadata)?;
        let key = CallerKey(authorization.as_bytes().to_vec());
        let mut callers = callers.lock().unwrap_or_else(PoisonError::into_inner);
        let known = callers.len();
        if let Some(caller) = callers.get_mut(&key) {
            caller.last_call = Instant::now();
            return Ok(caller.tenant.clone());
        }
        if known >= MAX_CALLERS {
            return Err(Status::resource_exhausted(format!(
                "this server holds state for {MAX_CALLERS} distinct caller credentials; try again in a minute"
            )));
        }
        let tenant = Arc::new(Tenant::new(base.for_caller(authorization), *options));
        debug!(
            callers = known + 1,
            "first call with a new caller credential"
        );
        callers.insert(
            key,
            Caller {
                tenant: tenant.clone(),
                last_call: Instant::now(),
            },
        );
        Ok(tenant)
    }

    /// Every tenant now.
    pub(super) fn all(&self) -> Vec<Arc<Tenant>> {
        match self {
            Self::Shared(tenant) => vec![tenant.clone()],
            Self::PerCaller { callers, .. } => callers
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .values()
                .map(|caller| caller.tenant.clone())
                .collect(),
        }
    }

    /// Destroys idle managed contexts in every tenant, then forgets callers
    /// with nothing left, every quarter of the idle timeout (at most a
    /// minute), until the handle is aborted.
    pub(super) fn spawn_housekeeping(self: &Arc<Self>) -> JoinHandle<()> {
        let tenants = Arc::downgrade(self);
        let period = match self.as_ref() {
            Self::Shared(tenant) => tenant.contexts.idle_timeout(),
            Self::PerCaller { options, .. } => options.context_idle_timeout,
        } / 4;
        let period = period.clamp(Duration::from_millis(10), Duration::from_secs(60));
        let task = async move {
            loop {
                tokio::time::sleep(period).await;
                let Some(tenants) = tenants.upgrade() else {
                    return;
                };
                for tenant in tenants.all() {
                    tenant.contexts.reap_idle().await;
                }
                tenants.forget_idle_callers();
            }
        };
        tokio::spawn(task.instrument(tracing::debug_span!("housekeeping")))
    }

    /// Drops the state of callers idle for [`CALLER_IDLE`] that own no
    /// managed context and no poll loop, and that no call holds now.
    fn forget_idle_callers(&self) {
        let Self::PerCaller { callers, .. } = self else {
            return;
        };
        let mut callers = callers.lock().unwrap_or_else(PoisonError::into_inner);
        let before = callers.len();
        // A call in flight holds the tenant (so the count is above one); new
        // calls clone it only under this lock.
        callers.retain(|_, caller| {
            Arc::strong_count(&caller.tenant) > 1
                || caller.last_call.elapsed() < CALLER_IDLE
                || caller.tenant.active_poll_loops() > 0
                || !caller.tenant.contexts.is_empty()
        });
        if callers.len() < before {
            debug!(
                forgotten = before - callers.len(),
                callers = callers.len(),
                "forgot idle callers"
            );
        }
    }
}

/// The caller's `authorization` metadata, as a header to forward: `Bearer`
/// or `Basic` with a non-empty credential. Never echoed in errors.
fn caller_authorization(metadata: &MetadataMap) -> Result<HeaderValue, Status> {
    let required = || Status::from(databricks::Error::NoCallerCredentials);
    let value = metadata
        .get("authorization")
        .and_then(|value| value.to_str().ok())
        .ok_or_else(required)?;
    let (scheme, credential) = value.trim().split_once(' ').ok_or_else(required)?;
    let known = scheme.eq_ignore_ascii_case("bearer") || scheme.eq_ignore_ascii_case("basic");
    if !known || credential.trim().is_empty() {
        return Err(required());
    }
    databricks::sensitive_header(value.trim()).map_err(|_| required())
}

// === impl CallerKey ===

impl fmt::Debug for CallerKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CallerKey([redacted])")
    }
}

#[cfg(test)]
mod tests {
    use tonic::metadata::MetadataValue;

    use super::*;
    use crate::service::status::CALLER_CREDENTIALS_REQUIRED;

    fn with_authorization(value: &'static str) -> MetadataMap {
        let mut metadata = MetadataMap::new();
        metadata.insert("authorization", MetadataValue::from_static(value));
        metadata
    }

    #[test]
    fn bearer_and_basic_are_forwarded_as_sent() {
        for value in ["Bearer dapi-1", "bearer dapi-1", "Basic dXNlcjpwdw=="] {
            let header = caller_authorization(&with_authorization(value)).unwrap();
            assert_eq!(header.as_bytes(), value.as_bytes());
            assert!(header.is_sensitive());
        }
    }

    #[test]
    fn anything_else_is_refused_without_echoing_it() {
        for value in ["", "dapi-1", "Bearer ", "Token dapi-1", "Bearer   "] {
            let status = caller_authorization(&with_authorization(value)).unwrap_err();
            assert_eq!(status.code(), tonic::Code::Unauthenticated, "{value:?}");
            assert_eq!(status.message(), CALLER_CREDENTIALS_REQUIRED, "{value:?}");
        }
        let status = caller_authorization(&MetadataMap::new()).unwrap_err();
        assert_eq!(status.message(), CALLER_CREDENTIALS_REQUIRED);
    }

    fn pass_through_tenants() -> Tenants {
        let config = crate::config::DatabricksConfig::with_credentials(
            "http://127.0.0.1:9",
            crate::config::Credentials::PassThrough,
        )
        .unwrap();
        Tenants::new(Client::new(&config).unwrap(), ServiceOptions::default())
    }

    #[tokio::test(start_paused = true)]
    async fn idle_callers_are_forgotten_and_busy_ones_kept() {
        let tenants = pass_through_tenants();
        let alice = with_authorization("Bearer dapi-alice");
        let bob = with_authorization("Bearer dapi-bob");
        let first = tenants.for_call(&alice).unwrap();
        assert!(Arc::ptr_eq(&first, &tenants.for_call(&alice).unwrap()));
        let held = tenants.for_call(&bob).unwrap();
        drop(first);
        assert_eq!(tenants.all().len(), 2);

        tokio::time::advance(CALLER_IDLE / 2).await;
        tenants.forget_idle_callers();
        assert_eq!(tenants.all().len(), 2, "not idle long enough yet");

        tokio::time::advance(CALLER_IDLE).await;
        tenants.forget_idle_callers();
        let left = tenants.all();
        assert_eq!(left.len(), 1, "bob's call is still in flight");
        assert!(Arc::ptr_eq(&left[0], &held));
        drop((left, held));
        tenants.forget_idle_callers();
        assert!(tenants.all().is_empty());
    }

    #[test]
    fn the_shared_tenant_ignores_caller_metadata() {
        let config = crate::config::DatabricksConfig::new(
            "http://127.0.0.1:9",
            crate::config::Secret::new("t"),
        )
        .unwrap();
        let tenants = Tenants::new(Client::new(&config).unwrap(), ServiceOptions::default());
        let one = tenants.for_call(&MetadataMap::new()).unwrap();
        let other = tenants
            .for_call(&with_authorization("Bearer dapi-bob"))
            .unwrap();
        assert!(Arc::ptr_eq(&one, &other));
    }

    #[test]
    fn caller_keys_are_redacted() {
        let key = CallerKey(b"Bearer dapi-secret".to_vec());
        assert_eq!(format!("{key:?}"), "CallerKey([redacted])");
    }
}
