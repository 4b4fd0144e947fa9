//! Whose identity a call uses. Normally every call uses the server's own
//! credentials and shares one [`Tenant`]. In pass-through mode
//! (`serve --auth-passthrough`) each distinct `authorization` a caller sends
//! gets a tenant of its own: its own client, managed contexts, poll loops
//! and AllStatuses snapshots. One caller's state can then never serve, or be
//! paid for by, another, because it is never in reach of another's calls.
//!
//! A pass-through tenant is kept in the table only once it is needed and
//! earned: a call that keeps state past its end (a managed context, a poll
//! loop, a page snapshot) registers its caller after Databricks has accepted
//! the caller's credential ([`Tenants::lasting`], [`Tenants::keep`]). Any
//! other call, and every call of a credential Databricks refuses, is served
//! by a transient tenant that holds nothing and is dropped with the call.
//! When the table is full, the caller that owns nothing and has been quiet
//! longest makes room; only a table whose every caller owns a context, a
//! poll loop or a call in flight refuses a new one.

use std::{
    collections::HashMap,
    future::Future,
    sync::{Arc, Mutex, MutexGuard, PoisonError},
    time::Duration,
};

use tokio::{task::JoinHandle, time::Instant};
use tonic::{Status, metadata::MetadataMap};
use tracing::{Instrument, debug};

use super::{
    ServiceOptions,
    caller_key::{CallerKey, caller_authorization},
    cluster_locks::{ClusterGuard, ClusterLocks},
    snapshots,
};
use crate::{
    databricks::{self, Client, models::CommandRequest},
    hub::Hub,
    managed_contexts::ManagedContexts,
    proto::compute as pb,
    telemetry::series,
};

/// Every caller in a full table owns state, so a new caller cannot be kept.
#[derive(Debug, thiserror::Error)]
#[error(
    "this server keeps managed contexts and streams for {max_callers} distinct caller credentials, and each has some now; try again later"
)]
pub(super) struct CallerTableFull {
    /// The table's size.
    pub(super) max_callers: usize,
}

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
    /// The pass-through caller whose credential `client` carries; `None` for
    /// the shared tenant.
    caller: Option<CallerKey>,
    pub(super) snapshots: snapshots::Snapshots,
    pub(super) contexts: Arc<ManagedContexts>,
    pub(super) commands: Hub<CommandRequest, pb::Command>,
    pub(super) clusters: Hub<String, pb::WatchClusterStatusResponse>,
    /// WatchCluster's loops, keyed by cluster and target (`ClusterTarget`).
    pub(super) cluster_targets: Hub<(String, i32), pb::WatchClusterResponse>,
    /// One table for every tenant of the service: see `cluster_locks.rs`.
    cluster_locks: Arc<ClusterLocks>,
    /// How often a wait for a cluster state reads the cluster again.
    pub(super) poll: crate::hub::Backoff,
}

/// The tenants of one service.
#[derive(Debug)]
pub(super) enum Tenants {
    /// The server's own credentials: one tenant for every call (counted in
    /// `dbgrpc_tenants` while the service lives).
    Shared {
        tenant: Arc<Tenant>,
        _counted: series::Live,
    },
    /// Pass-through: one tenant per caller credential.
    PerCaller {
        base: Client,
        options: ServiceOptions,
        max_callers: usize,
        callers: Mutex<HashMap<CallerKey, Caller>>,
        cluster_locks: Arc<ClusterLocks>,
    },
}

#[derive(Debug)]
pub(super) struct Caller {
    tenant: Arc<Tenant>,
    last_call: Instant,
    /// Counts the caller in `dbgrpc_tenants` while the table keeps it.
    _kept: series::Live,
}

// === impl Tenant ===

impl Tenant {
    fn new(
        client: Client,
        caller: Option<CallerKey>,
        options: ServiceOptions,
        cluster_locks: Arc<ClusterLocks>,
    ) -> Self {
        Self {
            cluster_locks,
            poll: options.poll,
            contexts: Arc::new(ManagedContexts::new(
                client.clone(),
                options.context_idle_timeout,
            )),
            client,
            caller,
            snapshots: snapshots::Snapshots::default(),
            commands: Hub::new(options.poll),
            clusters: Hub::new(options.poll),
            cluster_targets: Hub::new(options.poll),
        }
    }

    /// The pass-through caller this tenant acts for; `None` for the shared
    /// tenant. Keys anything shared between calls, so that no answer made
    /// with one credential reaches a caller with another.
    pub(super) fn caller_key(&self) -> Option<&CallerKey> {
        self.caller.as_ref()
    }

    /// Waits until no other operation changes `cluster_id` (for any caller
    /// of this service), then holds it until the guard drops.
    pub(super) async fn lock_cluster(&self, cluster_id: &str) -> ClusterGuard {
        self.cluster_locks.lock(cluster_id).await
    }

    pub(super) fn active_poll_loops(&self) -> usize {
        self.commands.active_loops()
            + self.clusters.active_loops()
            + self.cluster_targets.active_loops()
    }
}

// === impl Caller ===

impl Caller {
    /// True when dropping this caller loses nothing but snapshots: no
    /// managed context (nor one being made), no poll loop, no call holding
    /// the tenant. New calls clone the tenant only under the table's lock.
    fn owns_nothing(&self) -> bool {
        Arc::strong_count(&self.tenant) == 1
            && self.tenant.active_poll_loops() == 0
            && self.tenant.contexts.is_empty()
    }
}

// === impl Tenants ===

impl Tenants {
    /// True in pass-through mode (one tenant per caller credential).
    pub(super) fn is_pass_through(&self) -> bool {
        matches!(self, Self::PerCaller { .. })
    }

    /// Shared when `client` has credentials of its own; per caller, for at
    /// most `max_callers` callers at once, when it is a pass-through client.
    pub(super) fn new(client: Client, options: ServiceOptions, max_callers: usize) -> Self {
        let cluster_locks = Arc::new(ClusterLocks::default());
        if client.is_pass_through() {
            Self::PerCaller {
                base: client,
                options,
                max_callers,
                callers: Mutex::default(),
                cluster_locks,
            }
        } else {
            Self::Shared {
                tenant: Arc::new(Tenant::new(client, None, options, cluster_locks)),
                _counted: series::Live::new(series::TENANTS),
            }
        }
    }

    /// The tenant a call with `metadata` acts as: the shared one, the
    /// caller's registered one, or else a transient one that the table never
    /// sees. A call that will keep state asks [`Tenants::lasting`] or
    /// [`Tenants::keep`] for the caller's registered tenant instead.
    pub(super) fn for_call(&self, metadata: &MetadataMap) -> Result<Arc<Tenant>, Status> {
        let (base, options, callers, cluster_locks) = match self {
            Self::Shared { tenant, .. } => return Ok(tenant.clone()),
            Self::PerCaller {
                base,
                options,
                callers,
                cluster_locks,
                ..
            } => (base, options, callers, cluster_locks),
        };
        let authorization = caller_authorization(metadata)?;
        let key = CallerKey::of(&authorization);
        if let Some(tenant) = registered(&mut lock(callers), &key) {
            return Ok(tenant);
        }
        let client = base.for_caller(authorization);
        Ok(Arc::new(Tenant::new(
            client,
            Some(key),
            *options,
            cluster_locks.clone(),
        )))
    }

    /// The tenant that already keeps state for `tenant`'s caller: the shared
    /// one, or the caller's registered one; `None` for a caller with no slot.
    pub(super) fn keeping(&self, tenant: &Arc<Tenant>) -> Option<Arc<Tenant>> {
        match (self, &tenant.caller) {
            (Self::PerCaller { callers, .. }, Some(key)) => registered(&mut lock(callers), key),
            _ => Some(tenant.clone()),
        }
    }

    /// The tenant that may keep state for `tenant`'s caller: its registered
    /// one, or, once `accepted` (a request made with the caller's own
    /// credential) has succeeded, `tenant` itself, registered. When
    /// `accepted` fails, its error is the call's and nothing is kept.
    pub(super) async fn lasting<T>(
        &self,
        tenant: Arc<Tenant>,
        accepted: impl Future<Output = Result<T, databricks::Error>>,
    ) -> Result<Arc<Tenant>, Status> {
        if let Some(known) = self.keeping(&tenant) {
            return Ok(known);
        }
        accepted.await?;
        self.keep(tenant)
    }

    /// The registered tenant of `tenant`'s caller, registering `tenant` if
    /// the caller has none; a full table first forgets the quietest caller
    /// that owns nothing. Call it only after Databricks has accepted the
    /// caller's credential. RESOURCE_EXHAUSTED when every caller in a full
    /// table owns a managed context, a poll loop or a call in flight.
    pub(super) fn keep(&self, tenant: Arc<Tenant>) -> Result<Arc<Tenant>, Status> {
        let (
            Self::PerCaller {
                max_callers,
                callers,
                ..
            },
            Some(key),
        ) = (self, &tenant.caller)
        else {
            return Ok(tenant);
        };
        let mut callers = lock(callers);
        if let Some(known) = registered(&mut callers, key) {
            return Ok(known);
        }
        if callers.len() >= *max_callers && !forget_quietest_idle(&mut callers) {
            return Err(CallerTableFull {
                max_callers: *max_callers,
            }
            .into());
        }
        callers.insert(
            key.clone(),
            Caller {
                tenant: tenant.clone(),
                last_call: Instant::now(),
                _kept: series::Live::new(series::TENANTS),
            },
        );
        debug!(
            callers = callers.len(),
            "kept state for a new caller credential"
        );
        Ok(tenant)
    }

    /// Every registered tenant now.
    pub(super) fn all(&self) -> Vec<Arc<Tenant>> {
        match self {
            Self::Shared { tenant, .. } => vec![tenant.clone()],
            Self::PerCaller { callers, .. } => lock(callers)
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
            Self::Shared { tenant, .. } => tenant.contexts.idle_timeout(),
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

    /// Drops the state of callers idle for [`CALLER_IDLE`] that own nothing.
    fn forget_idle_callers(&self) {
        let Self::PerCaller { callers, .. } = self else {
            return;
        };
        let mut callers = lock(callers);
        let before = callers.len();
        callers
            .retain(|_, caller| !caller.owns_nothing() || caller.last_call.elapsed() < CALLER_IDLE);
        if callers.len() < before {
            debug!(
                forgotten = before - callers.len(),
                callers = callers.len(),
                "forgot idle callers"
            );
        }
    }
}

fn lock(callers: &Mutex<HashMap<CallerKey, Caller>>) -> MutexGuard<'_, HashMap<CallerKey, Caller>> {
    callers.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The registered tenant of `key`, marked as called now.
fn registered(callers: &mut HashMap<CallerKey, Caller>, key: &CallerKey) -> Option<Arc<Tenant>> {
    let caller = callers.get_mut(key)?;
    caller.last_call = Instant::now();
    Some(caller.tenant.clone())
}

/// Forgets the caller that owns nothing and was called least recently, if
/// there is one (a scan, done only when the table is full).
fn forget_quietest_idle(callers: &mut HashMap<CallerKey, Caller>) -> bool {
    let quietest = callers
        .iter()
        .filter(|(_, caller)| caller.owns_nothing())
        .min_by_key(|(_, caller)| caller.last_call)
        .map(|(key, _)| key.clone());
    let Some(key) = quietest else {
        return false;
    };
    callers.remove(&key);
    debug!("forgot the quietest idle caller to make room");
    true
}

#[cfg(test)]
mod tests;
