//! The seed scenario with real uploads: a build uploaded with UploadLibrary
//! (versioned, to a volume) is applied with a PyPI package; the next build is
//! uploaded and applied with the previous set, replacing the jar with one
//! restart; applying that set again makes no call that changes anything.

use databricks_grpc::proto::compute::{
    self as pb, ApplyStage, LibraryInstallStatus as S, RestartPolicy, upload_library_request::Item,
};
use sha2::{Digest, Sha256};

use super::{apply, calls_since, jar, mutating_calls, restart_calls, run_ok, status_name};
use crate::helpers::{RUNNING, TestApp, pypi};

const VOLUME: &str = "/Volumes/main/default/libs";
const JAR_NAME: &str = "etl-1.0.0.jar";
const PYPI: &str = "simplejson==3.19.2";

/// Uploads `content` as a versioned `JAR_NAME` under `VOLUME`, in two chunks.
async fn upload_build(app: &mut TestApp, content: &[u8]) -> pb::UploadLibraryResponse {
    let header = pb::UploadLibraryHeader {
        destination: VOLUME.into(),
        file_name: JAR_NAME.into(),
        versioned: true,
        ..Default::default()
    };
    let (first, second) = content.split_at(content.len() / 2);
    let messages = [
        Item::Header(header),
        Item::Chunk(first.to_vec()),
        Item::Chunk(second.to_vec()),
    ]
    .map(|item| pb::UploadLibraryRequest { item: Some(item) });
    let response = app
        .client
        .upload_library(tokio_stream::iter(messages))
        .await
        .unwrap()
        .into_inner();
    let hash = hex::encode(Sha256::digest(content));
    assert_eq!(response.sha256, hash);
    assert_eq!(
        response.path,
        format!("{VOLUME}/etl-1.0.0-{}.jar", &hash[..12])
    );
    assert_eq!(response.library, Some(jar(&response.path)));
    assert_eq!(
        app.emulator()
            .state()
            .stored_file(&response.path)
            .as_deref(),
        Some(content),
        "the upload is not in the volume"
    );
    response
}

#[tokio::test]
async fn seed_scenario_with_uploaded_builds_replaces_the_jar_once_and_is_idempotent() {
    let mut app = TestApp::spawn().await;
    let package = pypi(PYPI);

    // Build 1: upload, then apply [jar v1, pypi] and wait.
    let v1 = upload_build(&mut app, b"PK\x03\x04 etl build 1").await;
    let v1 = v1.library.unwrap();
    let first = run_ok(
        &mut app,
        apply(
            vec![v1.clone(), package.clone()],
            vec![],
            RestartPolicy::IfNeeded,
        ),
    )
    .await;
    assert_eq!(
        first[0].plan.as_ref().unwrap().install,
        [v1.clone(), package.clone()]
    );
    let last = first.last().unwrap();
    assert_eq!(status_name(last, &v1), Some(S::Installed), "{last:#?}");
    assert_eq!(status_name(last, &package), Some(S::Installed));
    assert_eq!(restart_calls(&app), 0);

    // Build 2: other bytes, so another path under the same name.
    let v2 = upload_build(&mut app, b"PK\x03\x04 etl build 2").await;
    let v2 = v2.library.unwrap();
    assert_ne!(v1, v2);
    let installs_before = app.upstream_calls("/api/2.0/libraries/install").len();
    let second = run_ok(
        &mut app,
        apply(
            vec![v2.clone(), package.clone()],
            vec![v1.clone(), package.clone()],
            RestartPolicy::IfNeeded,
        ),
    )
    .await;
    let plan = second[0].plan.clone().unwrap();
    assert_eq!(plan.install, std::slice::from_ref(&v2));
    assert_eq!(plan.uninstall, std::slice::from_ref(&v1));
    assert_eq!(plan.unchanged, std::slice::from_ref(&package));
    assert_eq!(restart_calls(&app), 1, "exactly one restart");
    assert_eq!(
        second
            .iter()
            .filter(|m| m.stage == ApplyStage::Restarting as i32)
            .count(),
        1
    );
    // PyPI untouched: one install call, with v2 only; one uninstall, v1 only.
    let installs = app.upstream_calls("/api/2.0/libraries/install");
    assert_eq!(installs.len(), installs_before + 1);
    assert_eq!(
        installs.last().unwrap().body,
        Some(serde_json::json!({"cluster_id": RUNNING, "libraries": [{"jar": jar_path(&v2)}]}))
    );
    let uninstalls = app.upstream_calls("/api/2.0/libraries/uninstall");
    assert_eq!(uninstalls.len(), 1);
    assert_eq!(
        uninstalls[0].body,
        Some(serde_json::json!({"cluster_id": RUNNING, "libraries": [{"jar": jar_path(&v1)}]}))
    );
    let last = second.last().unwrap();
    assert!(!last.restart_required, "{last:?}");
    assert_eq!(status_name(last, &v2), Some(S::Installed), "{last:#?}");
    assert_eq!(status_name(last, &v1), None, "v1 is still on the cluster");
    assert_eq!(status_name(last, &package), Some(S::Installed));

    // The same set again: reads only, no install, uninstall, restart or start.
    let before = mutating_calls(&app);
    let journal_before = app.emulator().journal().len();
    let third = run_ok(
        &mut app,
        apply(
            vec![v2.clone(), package.clone()],
            vec![v2.clone(), package.clone()],
            RestartPolicy::IfNeeded,
        ),
    )
    .await;
    assert_eq!(
        mutating_calls(&app),
        before,
        "the idempotent apply made a call"
    );
    assert_eq!(
        calls_since(&app, journal_before),
        [
            "GET /api/2.0/libraries/cluster-status",
            "GET /api/2.0/libraries/cluster-status",
            "GET /api/2.1/clusters/get",
            "GET /api/2.1/clusters/get",
        ]
    );
    let plan = third[0].plan.clone().unwrap();
    assert!(
        plan.install.is_empty() && plan.uninstall.is_empty(),
        "{plan:?}"
    );
    assert_eq!(plan.unchanged, [v2.clone(), package.clone()]);
    assert_eq!(status_name(third.last().unwrap(), &v2), Some(S::Installed));
    app.stop().await;
}

fn jar_path(library: &pb::Library) -> &str {
    match &library.kind {
        Some(pb::library::Kind::Jar(path)) => path,
        other => panic!("not a jar: {other:?}"),
    }
}
