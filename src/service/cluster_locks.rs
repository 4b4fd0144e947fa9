//! Per-cluster serialisation of the operations that change one cluster
//! (start, restart, edit, resize, terminate, apply libraries): one async
//! mutex per cluster id, shared by every tenant of a service (callers with
//! different credentials still act on the same workspace's clusters).
//! Different clusters never wait for each other. An entry lives only while
//! someone holds or awaits its lock; dead entries are swept on the next call.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, PoisonError, Weak},
};

use tokio::sync::{Mutex as AsyncMutex, OwnedMutexGuard};

/// The lock table.
#[derive(Debug, Default)]
pub(crate) struct ClusterLocks {
    locks: Mutex<HashMap<String, Weak<AsyncMutex<()>>>>,
}

/// Held while one operation changes one cluster; dropping it lets the next in.
#[derive(Debug)]
pub(crate) struct ClusterGuard {
    _held: OwnedMutexGuard<()>,
}

// === impl ClusterLocks ===

impl ClusterLocks {
    /// Waits until no other operation holds `cluster_id`, then holds it until
    /// the guard drops. Waiters are served in order (tokio's mutex is fair).
    pub(crate) async fn lock(&self, cluster_id: &str) -> ClusterGuard {
        let mutex = self.entry(cluster_id);
        ClusterGuard {
            _held: mutex.lock_owned().await,
        }
    }

    /// Clusters with a lock held or awaited now.
    pub(crate) fn len(&self) -> usize {
        let mut locks = self.locks.lock().unwrap_or_else(PoisonError::into_inner);
        locks.retain(|_, lock| lock.strong_count() > 0);
        locks.len()
    }

    fn entry(&self, cluster_id: &str) -> Arc<AsyncMutex<()>> {
        let mut locks = self.locks.lock().unwrap_or_else(PoisonError::into_inner);
        locks.retain(|_, lock| lock.strong_count() > 0);
        if let Some(live) = locks.get(cluster_id).and_then(Weak::upgrade) {
            return live;
        }
        let fresh = Arc::new(AsyncMutex::new(()));
        locks.insert(cluster_id.to_owned(), Arc::downgrade(&fresh));
        fresh
    }
}

#[cfg(test)]
mod tests {
    use std::{future::Future, pin::pin, task::Poll};

    use super::ClusterLocks;

    /// Polls `future` once; true if it is still waiting.
    fn waits<F: Future>(future: std::pin::Pin<&mut F>) -> bool {
        let waker = std::task::Waker::noop();
        let mut context = std::task::Context::from_waker(waker);
        matches!(future.poll(&mut context), Poll::Pending)
    }

    #[tokio::test]
    async fn a_second_operation_on_the_same_cluster_waits_for_the_first() {
        let locks = ClusterLocks::default();
        let first = locks.lock("a").await;
        let mut second = pin!(locks.lock("a"));
        assert!(waits(second.as_mut()), "the same cluster must wait");
        drop(first);
        assert!(!waits(second.as_mut()), "released: the next one goes");
    }

    #[tokio::test]
    async fn different_clusters_do_not_wait_for_each_other() {
        let locks = ClusterLocks::default();
        let _a = locks.lock("a").await;
        let mut b = pin!(locks.lock("b"));
        assert!(!waits(b.as_mut()));
    }

    #[tokio::test]
    async fn entries_go_once_nobody_holds_or_awaits_them() {
        let locks = ClusterLocks::default();
        let held = locks.lock("a").await;
        {
            let mut waiting = pin!(locks.lock("a"));
            assert!(waits(waiting.as_mut()));
            // Dropped while waiting: a cancelled caller leaves nothing behind.
        }
        assert_eq!(locks.len(), 1);
        drop(held);
        assert_eq!(locks.len(), 0);
    }
}
