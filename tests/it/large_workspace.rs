//! AllStatuses for 2,000 clusters × 50 libraries, read by a client with the
//! default 4 MiB receive limit.

use std::collections::HashSet;

use databricks_grpc::proto::compute as pb;
use prost::Message;

use crate::helpers::TestApp;

const DEFAULT_CLIENT_LIMIT: usize = 4 * 1024 * 1024;
const ALL_STATUSES_PATH: &str = "/api/2.0/libraries/all-cluster-statuses";

#[tokio::test]
async fn two_thousand_clusters_page_within_the_default_limit() {
    let mut app = TestApp::spawn().await;
    app.emulator().seed_workspace(2000, 50);
    for page_size in [0, 1000] {
        let fetches_before = app.upstream_calls(ALL_STATUSES_PATH).len();
        let mut seen = HashSet::new();
        let mut token = String::new();
        let mut pages = 0;
        let mut libraries = 0;
        let mut largest = 0;
        loop {
            // The generated client keeps tonic's default 4 MiB decode limit.
            let page = app
                .client
                .all_statuses(pb::AllStatusesRequest {
                    page_size,
                    page_token: token.clone(),
                })
                .await
                .unwrap()
                .into_inner();
            assert!(
                page.encoded_len() < DEFAULT_CLIENT_LIMIT,
                "page of {} bytes",
                page.encoded_len()
            );
            pages += 1;
            largest = largest.max(page.encoded_len());
            for cluster in &page.statuses {
                assert!(
                    seen.insert(cluster.cluster_id.clone()),
                    "{} returned twice",
                    cluster.cluster_id
                );
                libraries += cluster.library_statuses.len();
            }
            if page.next_page_token.is_empty() {
                break;
            }
            token = page.next_page_token;
        }
        // 2,000 seeded clusters plus the 2 default ones, each with the all-clusters library.
        assert_eq!(seen.len(), 2002, "page_size {page_size}");
        assert!(libraries >= 2000 * 50, "{libraries}");
        assert!(
            pages >= 2,
            "page_size {page_size} needs several pages, got {pages}"
        );
        let fetches = app.upstream_calls(ALL_STATUSES_PATH).len() - fetches_before;
        println!(
            "page_size {page_size}: {} clusters, {libraries} library statuses in {pages} pages; largest page {largest} bytes; {fetches} upstream fetch(es)",
            seen.len()
        );
        assert_eq!(
            fetches, 1,
            "{pages} pages are cut from one upstream snapshot"
        );
    }
    app.stop().await;
}

/// A snapshot goes once its last page is served: asking for that page again
/// reads a fresh list (and still resumes after the same cluster).
#[tokio::test]
async fn a_snapshot_is_dropped_after_its_last_page() {
    let app = TestApp::spawn().await;
    app.emulator().seed_workspace(3, 1);
    let page = |page_token: String| {
        let mut client = app.client.clone();
        async move {
            client
                .all_statuses(pb::AllStatusesRequest {
                    page_size: 2,
                    page_token,
                })
                .await
                .unwrap()
                .into_inner()
        }
    };
    let first = page(String::new()).await;
    let second = page(first.next_page_token).await;
    assert!(!second.next_page_token.is_empty());
    let last_token = second.next_page_token;
    let last = page(last_token.clone()).await;
    assert!(last.next_page_token.is_empty(), "5 clusters in pages of 2");
    let fetches = app.upstream_calls(ALL_STATUSES_PATH).len();
    assert_eq!(fetches, 1, "the pages came from one snapshot");

    let again = page(last_token).await;
    assert_eq!(again, last, "the same last page, from a fresh list");
    assert_eq!(
        app.upstream_calls(ALL_STATUSES_PATH).len(),
        fetches + 1,
        "the served snapshot is gone, so the list is read again"
    );
    app.stop().await;
}
