//! Pages over AllStatuses. Databricks returns every cluster in one response;
//! we keep it as a sorted snapshot and cut pages by count and by encoded size.
//! The page token names the snapshot and the last cluster_id returned, so a
//! cluster is never returned twice nor skipped: when the snapshot has expired,
//! a fresh list is read and paging resumes after that cluster_id.

use std::ops::Range;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};

use super::snapshots::EncodedCluster;
use crate::{
    convert::{InvalidRequest, MAX_PAGE_TOKEN_BYTES, too_long},
    proto::compute as pb,
};

/// Clusters per page when the caller does not say.
pub const DEFAULT_PAGE_SIZE: usize = 100;
/// Largest page size honoured; larger requests are lowered to it.
pub const MAX_PAGE_SIZE: usize = 1000;
/// Encoded size a page stays under, leaving room below the 4 MiB default
/// receive limit of gRPC clients.
pub const PAGE_BYTE_BUDGET: usize = 3 * 1024 * 1024;

const TOKEN_PREFIX: &str = "v1";

/// Where a page starts and how large it may be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    /// Where the previous page ended; `None` for the first page.
    pub after: Option<Cursor>,
    /// Most clusters in the page.
    pub size: usize,
}

/// The end of the previous page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    /// The snapshot the previous page came from.
    pub snapshot: u64,
    /// The last cluster_id returned.
    pub cluster_id: String,
}

// === impl PageRequest ===

impl PageRequest {
    /// Validates `page_size` and `page_token` from the request.
    pub fn parse(page_size: i32, page_token: &str) -> Result<Self, InvalidRequest> {
        let size = match page_size {
            size if size < 0 => {
                return Err(InvalidRequest::field("page_size", "must not be negative"));
            }
            0 => DEFAULT_PAGE_SIZE,
            size => usize::try_from(size)
                .unwrap_or(MAX_PAGE_SIZE)
                .min(MAX_PAGE_SIZE),
        };
        let after = if page_token.is_empty() {
            None
        } else if page_token.len() > MAX_PAGE_TOKEN_BYTES {
            return Err(InvalidRequest::field(
                "page_token",
                too_long(MAX_PAGE_TOKEN_BYTES, page_token.len()),
            ));
        } else {
            Some(decode_token(page_token)?)
        };
        Ok(Self { after, size })
    }

    /// The snapshot the previous page came from, if any.
    pub fn snapshot(&self) -> Option<u64> {
        self.after.as_ref().map(|cursor| cursor.snapshot)
    }

    /// Cuts one page out of `all`, every cluster's statuses sorted by
    /// cluster_id.
    pub fn cut(&self, all: &[EncodedCluster]) -> Cut {
        let start = match &self.after {
            Some(after) => all.partition_point(|cluster| cluster.cluster_id <= after.cluster_id),
            None => 0,
        };
        let mut end = start;
        let mut bytes = 0;
        for cluster in all.iter().skip(start).take(self.size) {
            // Field tag, length prefix and the message itself.
            let length = cluster.message.len();
            let size = 1 + prost::length_delimiter_len(length) + length;
            if end > start && bytes + size > PAGE_BYTE_BUDGET {
                break;
            }
            bytes += size;
            end += 1;
        }
        Cut {
            clusters: start..end,
            is_last: end == all.len(),
        }
    }
}

/// Where one page lies in its list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cut {
    /// The page's clusters, as indices into the list.
    pub clusters: Range<usize>,
    /// True when no cluster follows the page.
    pub is_last: bool,
}

/// A page's cluster could not be decoded from its snapshot (a bug: the
/// snapshot encoded it).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a page snapshot could not be read: {0}")]
pub struct UnreadableSnapshot(#[from] prost::DecodeError);

// === impl Cut ===

impl Cut {
    /// The page of `all` (the list it was cut from), whose token names
    /// snapshot `snapshot`.
    pub fn page(
        &self,
        snapshot: u64,
        all: &[EncodedCluster],
    ) -> Result<pb::AllStatusesResponse, UnreadableSnapshot> {
        let clusters = &all[self.clusters.clone()];
        let mut statuses = Vec::with_capacity(clusters.len());
        for cluster in clusters {
            statuses.push(cluster.decode()?);
        }
        let next_page_token = match clusters.last() {
            Some(last) if !self.is_last => encode_token(snapshot, &last.cluster_id),
            _ => String::new(),
        };
        Ok(pb::AllStatusesResponse {
            statuses,
            next_page_token,
        })
    }
}

fn encode_token(snapshot: u64, cluster_id: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("{TOKEN_PREFIX}:{snapshot}:{cluster_id}"))
}

fn decode_token(token: &str) -> Result<Cursor, InvalidRequest> {
    let text = URL_SAFE_NO_PAD
        .decode(token)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok());
    text.as_deref()
        .and_then(|text| text.split_once(':'))
        .filter(|(prefix, _)| *prefix == TOKEN_PREFIX)
        .and_then(|(_, rest)| rest.split_once(':'))
        .and_then(|(snapshot, cluster_id)| {
            let snapshot = snapshot.parse().ok()?;
            Some(Cursor {
                snapshot,
                cluster_id: cluster_id.to_owned(),
            })
        })
        .ok_or_else(|| {
            InvalidRequest::field("page_token", "is not a token returned by AllStatuses")
        })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use prost::Message;

    use super::*;

    fn page(
        request: &PageRequest,
        snapshot: u64,
        all: &[EncodedCluster],
    ) -> pb::AllStatusesResponse {
        request.cut(all).page(snapshot, all).unwrap()
    }

    fn clusters(ids: &[&str], libraries: usize) -> Vec<EncodedCluster> {
        ids.iter()
            .map(|id| pb::ClusterLibraryStatuses {
                cluster_id: id.to_string(),
                library_statuses: vec![
                    pb::LibraryFullStatus {
                        raw_status: "INSTALLED".repeat(1000),
                        ..Default::default()
                    };
                    libraries
                ],
            })
            .map(|cluster| EncodedCluster::new(&cluster))
            .collect()
    }

    fn ids(response: &pb::AllStatusesResponse) -> Vec<&str> {
        response
            .statuses
            .iter()
            .map(|c| c.cluster_id.as_str())
            .collect()
    }

    #[test]
    fn pages_in_id_order_without_gaps_or_repeats() {
        let all = clusters(&["a", "b", "c", "d", "e"], 0);
        let first = page(&PageRequest::parse(2, "").unwrap(), 7, &all);
        assert_eq!(ids(&first), vec!["a", "b"]);
        let second = PageRequest::parse(2, &first.next_page_token).unwrap();
        assert_eq!(second.snapshot(), Some(7));
        let second = page(&second, 7, &all);
        assert_eq!(ids(&second), vec!["c", "d"]);
        // On a fresh list (snapshot expired), a cluster added before the
        // cursor is not repeated and paging resumes after "d".
        let changed = clusters(&["a", "aa", "b", "c", "d", "e"], 0);
        let third = page(
            &PageRequest::parse(2, &second.next_page_token).unwrap(),
            8,
            &changed,
        );
        assert_eq!(ids(&third), vec!["e"]);
        assert!(third.next_page_token.is_empty());
    }

    #[test]
    fn byte_budget_ends_pages_early() {
        // Each cluster is about 0.5 MB, so at most six fit in 3 MiB.
        let all = clusters(&["a", "b", "c", "d", "e", "f", "g", "h"], 55);
        let page = page(&PageRequest::parse(1000, "").unwrap(), 1, &all);
        assert!(
            page.encoded_len() <= PAGE_BYTE_BUDGET,
            "{}",
            page.encoded_len()
        );
        assert!(page.statuses.len() < 8 && !page.next_page_token.is_empty());
    }

    #[test]
    fn bad_inputs() {
        assert!(PageRequest::parse(-1, "").is_err());
        assert!(PageRequest::parse(10, "garbage!").is_err());
        let long = encode_token(1, &"c".repeat(MAX_PAGE_TOKEN_BYTES));
        let error = PageRequest::parse(10, &long).unwrap_err();
        assert!(error.to_string().contains("at most"), "{error}");
        assert_eq!(PageRequest::parse(5000, "").unwrap().size, MAX_PAGE_SIZE);
        assert_eq!(PageRequest::parse(0, "").unwrap().size, DEFAULT_PAGE_SIZE);
    }
}
