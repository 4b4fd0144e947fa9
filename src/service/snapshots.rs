//! Short-lived snapshots of AllStatuses, so that paging through a large
//! workspace downloads the (unpaginated) upstream list once, not once per page.

use std::{
    collections::VecDeque,
    sync::{Arc, Mutex, PoisonError},
    time::Duration,
};

use tokio::time::Instant;

use crate::proto::compute as pb;

/// How long a snapshot serves later pages.
pub const SNAPSHOT_TTL: Duration = Duration::from_secs(60);
/// Snapshots kept at once; the oldest goes first.
pub const MAX_SNAPSHOTS: usize = 4;
/// The snapshot id of pages whose list was not kept (no snapshot has it:
/// ids start at 1), so the next page reads a fresh list.
pub const NO_SNAPSHOT: u64 = 0;

/// Every cluster's statuses, sorted by `cluster_id`.
pub type Snapshot = Arc<Vec<pb::ClusterLibraryStatuses>>;

/// Recent AllStatuses snapshots, keyed by an id carried in page tokens.
#[derive(Debug, Default)]
pub struct Snapshots {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    next_id: u64,
    entries: VecDeque<(u64, Instant, Snapshot)>,
}

// === impl Snapshots ===

impl Snapshots {
    /// The snapshot `id` if it is still fresh.
    pub fn get(&self, id: u64) -> Option<Snapshot> {
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        inner
            .entries
            .retain(|(_, taken, _)| taken.elapsed() < SNAPSHOT_TTL);
        inner
            .entries
            .iter()
            .find(|(entry, _, _)| *entry == id)
            .map(|(_, _, snapshot)| snapshot.clone())
    }

    /// Keeps `all` (sorted by [`sorted`]) and returns its id.
    pub fn insert(&self, all: Vec<pb::ClusterLibraryStatuses>) -> (u64, Snapshot) {
        let snapshot = Arc::new(all);
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        inner.next_id += 1;
        let id = inner.next_id;
        if inner.entries.len() >= MAX_SNAPSHOTS {
            inner.entries.pop_front();
        }
        inner
            .entries
            .push_back((id, Instant::now(), snapshot.clone()));
        (id, snapshot)
    }
}

/// `all` sorted by cluster id, the order pages are cut in.
pub fn sorted(mut all: Vec<pb::ClusterLibraryStatuses>) -> Vec<pb::ClusterLibraryStatuses> {
    all.sort_by(|a, b| a.cluster_id.cmp(&b.cluster_id));
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cluster(id: &str) -> pb::ClusterLibraryStatuses {
        pb::ClusterLibraryStatuses {
            cluster_id: id.into(),
            library_statuses: vec![],
        }
    }

    #[test]
    fn sorted_kept_and_bounded() {
        let snapshots = Snapshots::default();
        let (first, snapshot) = snapshots.insert(sorted(vec![cluster("b"), cluster("a")]));
        assert_eq!(snapshot[0].cluster_id, "a");
        assert_ne!(first, NO_SNAPSHOT);
        assert!(snapshots.get(first).is_some());
        for _ in 0..MAX_SNAPSHOTS {
            snapshots.insert(vec![]);
        }
        assert!(
            snapshots.get(first).is_none(),
            "the oldest snapshot is evicted"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn snapshots_expire() {
        let snapshots = Snapshots::default();
        let (id, _) = snapshots.insert(vec![cluster("a")]);
        tokio::time::advance(SNAPSHOT_TTL).await;
        assert!(snapshots.get(id).is_none());
    }
}
