//! Install, Uninstall, ClusterStatus and AllStatuses against the emulator.

use databricks_grpc::{
    emulator::{EmulatorConfig, Pace},
    proto::compute::{self as pb, LibraryInstallStatus as S},
};
use serde_json::json;

use crate::helpers::{RUNNING, TERMINATED, TestApp, pypi, status_of};

fn status_name(status: &pb::LibraryFullStatus) -> S {
    S::try_from(status.status).unwrap()
}

#[tokio::test]
async fn pypi_install_walks_the_lifecycle_to_installed() {
    let mut app = TestApp::spawn().await;
    let library = pypi("simplejson==3.19.2");
    app.install(RUNNING, vec![library.clone()]).await;
    // The emulator advances one step per read: every stage is observable.
    let mut seen = Vec::new();
    for _ in 0..4 {
        let status = status_of(&mut app, RUNNING, &library).await.unwrap();
        assert_eq!(
            status.raw_status,
            status_name(&status)
                .as_str_name()
                .trim_start_matches("LIBRARY_INSTALL_STATUS_")
        );
        assert!(!status.is_library_for_all_clusters);
        seen.push(status_name(&status));
    }
    assert_eq!(
        seen,
        vec![S::Resolving, S::Installing, S::Installed, S::Installed]
    );
    app.stop().await;
}

#[tokio::test]
async fn install_sends_the_exact_rest_body() {
    let mut app = TestApp::spawn().await;
    let maven = pb::Library {
        kind: Some(pb::library::Kind::Maven(pb::MavenLibrary {
            coordinates: "org.jsoup:jsoup:1.17.2".into(),
            repo: String::new(),
            exclusions: vec!["slf4j:slf4j".into()],
        })),
    };
    let whl = pb::Library {
        kind: Some(pb::library::Kind::Whl(
            "/Volumes/main/libs/a-0.1-py3-none-any.whl".into(),
        )),
    };
    app.install(RUNNING, vec![pypi("requests"), maven, whl])
        .await;
    let calls = app.upstream_calls("/api/2.0/libraries/install");
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].method, "POST");
    assert_eq!(
        calls[0].body,
        Some(json!({
            "cluster_id": RUNNING,
            "libraries": [
                {"pypi": {"package": "requests"}},
                {"maven": {"coordinates": "org.jsoup:jsoup:1.17.2", "exclusions": ["slf4j:slf4j"]}},
                {"whl": "/Volumes/main/libs/a-0.1-py3-none-any.whl"}
            ]
        }))
    );
    app.client
        .cluster_status(pb::ClusterStatusRequest {
            cluster_id: RUNNING.into(),
        })
        .await
        .unwrap();
    let reads = app.upstream_calls("/api/2.0/libraries/cluster-status");
    assert_eq!(
        (reads[0].method.as_str(), reads[0].query.as_deref()),
        ("GET", Some("cluster_id=0101-120000-running1"))
    );
    app.stop().await;
}

#[tokio::test]
async fn unknown_pypi_package_fails_with_messages() {
    let mut app = TestApp::spawn().await;
    let library = pypi("no-such-package-anywhere==1.0");
    app.install(RUNNING, vec![library.clone()]).await;
    let mut last = None;
    for _ in 0..5 {
        last = status_of(&mut app, RUNNING, &library).await;
    }
    let last = last.unwrap();
    assert_eq!(status_name(&last), S::Failed);
    assert!(
        last.messages
            .iter()
            .any(|m| m.contains("no-such-package-anywhere")),
        "{:?}",
        last.messages
    );
    app.stop().await;
}

#[tokio::test]
async fn terminated_cluster_accepts_install_and_waits_in_pending() {
    let mut app = TestApp::spawn_with(EmulatorConfig::default().with_pace(Pace::Manual)).await;
    let library = pypi("pandas");
    app.install(TERMINATED, vec![library.clone()]).await;
    for _ in 0..5 {
        app.emulator().tick();
    }
    let status = status_of(&mut app, TERMINATED, &library).await.unwrap();
    assert_eq!(status_name(&status), S::Pending);
    assert!(!status.messages.is_empty(), "a waiting library says why");
    app.stop().await;
}

#[tokio::test]
async fn uninstall_marks_for_restart() {
    let mut app = TestApp::spawn_with(EmulatorConfig::default().with_pace(Pace::Manual)).await;
    let library = pypi("numpy");
    let request = pb::InstallRequest {
        cluster_id: RUNNING.into(),
        libraries: vec![library.clone()],
    };
    app.client.install(request).await.unwrap();
    for _ in 0..3 {
        app.emulator().tick();
    }
    assert_eq!(
        status_name(&status_of(&mut app, RUNNING, &library).await.unwrap()),
        S::Installed
    );
    app.client
        .uninstall(pb::UninstallRequest {
            cluster_id: RUNNING.into(),
            libraries: vec![library.clone()],
        })
        .await
        .unwrap();
    let status = status_of(&mut app, RUNNING, &library).await.unwrap();
    assert_eq!(status_name(&status), S::UninstallOnRestart);
    app.stop().await;
}

#[tokio::test]
async fn library_for_all_clusters_is_flagged() {
    let mut app = TestApp::spawn().await;
    let response = app
        .client
        .cluster_status(pb::ClusterStatusRequest {
            cluster_id: RUNNING.into(),
        })
        .await
        .unwrap()
        .into_inner();
    let all_clusters: Vec<_> = response
        .library_statuses
        .iter()
        .filter(|s| s.is_library_for_all_clusters)
        .collect();
    assert_eq!(all_clusters.len(), 1, "{response:?}");
    assert_eq!(status_name(all_clusters[0]), S::Skipped);
    app.stop().await;
}

#[tokio::test]
async fn all_statuses_lists_every_cluster() {
    let mut app = TestApp::spawn().await;
    let response = app
        .client
        .all_statuses(pb::AllStatusesRequest::default())
        .await
        .unwrap()
        .into_inner();
    let ids: Vec<_> = response
        .statuses
        .iter()
        .map(|s| s.cluster_id.as_str())
        .collect();
    assert_eq!(ids, vec![RUNNING, TERMINATED]);
    assert!(response.next_page_token.is_empty());
    app.stop().await;
}
