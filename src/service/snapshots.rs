//! Short-lived snapshots of AllStatuses, so that paging through a large
//! workspace downloads the (unpaginated) upstream list once, not once per page.
//! A snapshot holds each cluster as its encoded protobuf message, a fraction
//! of the memory of the decoded message or of the JSON it came from; a page
//! decodes only its own clusters.

use std::{
    collections::VecDeque,
    sync::{Arc, Mutex, PoisonError},
    time::Duration,
};

use prost::Message;
use tokio::time::Instant;

use crate::{
    convert,
    databricks::models::{self, ClusterSink},
    proto::compute as pb,
};

/// How long a snapshot serves later pages.
pub const SNAPSHOT_TTL: Duration = Duration::from_secs(60);
/// Snapshots kept at once; the oldest goes first.
pub const MAX_SNAPSHOTS: usize = 4;
/// The snapshot id of pages whose list was not kept (no snapshot has it:
/// ids start at 1), so the next page reads a fresh list.
pub const NO_SNAPSHOT: u64 = 0;

/// Every cluster's statuses, sorted by `cluster_id`.
pub type Snapshot = Arc<Vec<EncodedCluster>>;

/// One cluster's statuses as an encoded `ClusterLibraryStatuses`.
#[derive(Debug, Clone, PartialEq)]
pub struct EncodedCluster {
    /// The cluster, which pages are ordered and resumed by.
    pub cluster_id: String,
    /// The encoded message.
    pub message: Vec<u8>,
    /// How many library statuses it holds, so that decoding allocates their
    /// list once, at its final size.
    pub libraries: usize,
}

/// The clusters of an upstream list, each converted and encoded as soon as
/// it is parsed (see [`ClusterSink`]), so that no model nor decoded message
/// of the whole list is ever held.
#[derive(Debug, Default)]
pub struct EncodedList(Vec<EncodedCluster>);

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

    /// Drops the snapshot `id`, if it is still kept.
    pub fn remove(&self, id: u64) {
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        inner.entries.retain(|(entry, _, _)| *entry != id);
    }

    /// Keeps `all` (sorted by [`EncodedList::sorted`]) and returns its id.
    pub fn insert(&self, all: Vec<EncodedCluster>) -> (u64, Snapshot) {
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

// === impl EncodedCluster ===

impl EncodedCluster {
    /// Encodes `cluster`.
    pub fn new(cluster: &pb::ClusterLibraryStatuses) -> Self {
        Self {
            cluster_id: cluster.cluster_id.clone(),
            message: cluster.encode_to_vec(),
            libraries: cluster.library_statuses.len(),
        }
    }

    /// The message again.
    pub fn decode(&self) -> Result<pb::ClusterLibraryStatuses, prost::DecodeError> {
        let mut cluster = pb::ClusterLibraryStatuses {
            cluster_id: String::new(),
            library_statuses: Vec::with_capacity(self.libraries),
        };
        cluster.merge(self.message.as_slice())?;
        Ok(cluster)
    }
}

// === impl EncodedList ===

impl ClusterSink for EncodedList {
    fn accept(&mut self, cluster: models::ClusterLibraryStatuses) {
        let cluster = convert::cluster_library_statuses(cluster);
        self.0.push(EncodedCluster::new(&cluster));
    }
}

impl EncodedList {
    /// The clusters sorted by cluster id, the order pages are cut in.
    pub fn sorted(self) -> Vec<EncodedCluster> {
        let mut all = self.0;
        all.sort_by(|a, b| a.cluster_id.cmp(&b.cluster_id));
        all
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn cluster(id: &str) -> models::ClusterLibraryStatuses {
        models::ClusterLibraryStatuses {
            cluster_id: id.into(),
            library_statuses: vec![],
        }
    }

    fn sorted(clusters: Vec<models::ClusterLibraryStatuses>) -> Vec<EncodedCluster> {
        let mut list = EncodedList::default();
        clusters
            .into_iter()
            .for_each(|cluster| list.accept(cluster));
        list.sorted()
    }

    #[test]
    fn encoded_clusters_decode_to_their_messages() {
        let cluster = models::ClusterLibraryStatuses {
            cluster_id: "c".into(),
            library_statuses: vec![models::LibraryFullStatus {
                library: models::ReportedLibrary::Known(models::Library::Jar("/a.jar".into())),
                status: "INSTALLED".into(),
                messages: vec!["ok".into()],
                is_library_for_all_clusters: true,
            }],
        };
        let expected = convert::cluster_library_statuses(cluster.clone());
        let encoded = sorted(vec![cluster]);
        assert_eq!(encoded[0].cluster_id, "c");
        let decoded = encoded[0].decode().unwrap();
        assert_eq!(decoded.library_statuses.capacity(), 1);
        assert_eq!(decoded, expected);
    }

    #[test]
    fn removed_snapshots_are_gone() {
        let snapshots = Snapshots::default();
        let (id, _) = snapshots.insert(sorted(vec![cluster("a")]));
        snapshots.remove(id);
        assert!(snapshots.get(id).is_none());
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
        let (id, _) = snapshots.insert(sorted(vec![cluster("a")]));
        tokio::time::advance(SNAPSHOT_TTL).await;
        assert!(snapshots.get(id).is_none());
    }
}
