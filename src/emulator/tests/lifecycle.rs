//! Library lifecycles by pace: stages, failures, duplicates, uninstall and
//! restart, terminated clusters.

use serde_json::{Value, json};

use super::{Emu, pypi};
use crate::emulator::{
    Pace, RUNNING_CLUSTER_ID as RUNNING, TERMINATED_CLUSTER_ID as TERMINATED, store::LEGACY_LIBRARY,
};

fn stages(statuses: &[Value]) -> Vec<&str> {
    statuses
        .iter()
        .map(|s| s["status"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn per_read_pace_shows_every_stage() {
    let emu = Emu::new(Pace::PerRead);
    let library = pypi("simplejson==3.19.2");
    emu.install(RUNNING, json!([library])).await;
    let mut seen = Vec::new();
    for _ in 0..4 {
        seen.push(emu.status_of(RUNNING, &library).await["status"].clone());
    }
    assert_eq!(
        seen,
        [
            json!("RESOLVING"),
            json!("INSTALLING"),
            json!("INSTALLED"),
            json!("INSTALLED")
        ]
    );
}

#[tokio::test]
async fn manual_pace_moves_only_on_tick() {
    let emu = Emu::new(Pace::Manual);
    let library = pypi("pandas");
    emu.install(RUNNING, json!([library])).await;
    let status = emu.status_of(RUNNING, &library).await;
    assert_eq!(
        status,
        json!({"library": library, "status": "PENDING", "is_library_for_all_clusters": false})
    );
    for expected in ["RESOLVING", "INSTALLING", "INSTALLED"] {
        emu.state.tick();
        assert_eq!(emu.status_of(RUNNING, &library).await["status"], expected);
        assert_eq!(
            emu.status_of(RUNNING, &library).await["status"],
            expected,
            "reads do not advance"
        );
    }
}

#[tokio::test]
async fn unresolvable_libraries_fail_with_messages() {
    let emu = Emu::new(Pace::Manual);
    let unknown = pypi("no-such-package-anywhere==1.0");
    let egg = json!({"egg": "/Volumes/main/libs/old.egg"});
    emu.install(RUNNING, json!([unknown, egg, pypi("numpy")]))
        .await;
    emu.state.tick();
    emu.state.tick();
    let statuses = emu.statuses(RUNNING).await;
    assert_eq!(stages(&statuses)[..3], ["FAILED", "FAILED", "INSTALLING"]);
    let message = statuses[0]["messages"][0].as_str().unwrap();
    assert!(message.starts_with(&format!(
        "Library installation attempted on the driver node of cluster {RUNNING} and failed."
    )));
    assert!(
        message.contains("ERROR_NO_MATCHING_DISTRIBUTION")
            && message.contains("no-such-package-anywhere"),
        "{message}"
    );
    assert!(
        statuses[1]["messages"][0]
            .as_str()
            .unwrap()
            .contains("14.0")
    );
}

#[tokio::test]
async fn another_version_of_an_installed_package_fails_as_duplicate() {
    let emu = Emu::new(Pace::Timed(std::time::Duration::ZERO));
    emu.install(RUNNING, json!([pypi("pandas==2.2.2")])).await;
    emu.install(RUNNING, json!([pypi("pandas==2.2.2")])).await; // identical: no-op
    emu.install(RUNNING, json!([pypi("Pandas==2.1.0")])).await;
    let statuses = emu.statuses(RUNNING).await;
    assert_eq!(statuses.len(), 3, "{statuses:?}");
    assert_eq!(statuses[0]["status"], "INSTALLED");
    assert_eq!(statuses[1]["status"], "FAILED");
    let message = statuses[1]["messages"][0].as_str().unwrap();
    assert!(
        message.contains("Error code: ERROR_DUPLICATE_INSTALLATION"),
        "{message}"
    );
    assert!(
        message.ends_with("PyPI package pandas has been installed already."),
        "{message}"
    );
}

#[tokio::test]
async fn uninstall_marks_then_restart_removes() {
    let emu = Emu::new(Pace::Manual);
    let (numpy, pandas) = (pypi("numpy"), pypi("pandas"));
    emu.install(RUNNING, json!([numpy, pandas])).await;
    for _ in 0..3 {
        emu.state.tick();
    }
    emu.ok(
        "/api/2.0/libraries/uninstall",
        json!({"cluster_id": RUNNING, "libraries": [numpy, pypi("requests")]}),
    )
    .await;
    let legacy = json!({"jar": LEGACY_LIBRARY});
    let order: Vec<_> = emu
        .statuses(RUNNING)
        .await
        .into_iter()
        .map(|s| (s["library"].clone(), s["status"].clone()))
        .collect();
    assert_eq!(
        order,
        [
            (pandas.clone(), json!("INSTALLED")),
            (legacy.clone(), json!("SKIPPED")),
            (numpy.clone(), json!("UNINSTALL_ON_RESTART"))
        ]
    );
    // The library for all clusters cannot be uninstalled through a cluster.
    emu.ok(
        "/api/2.0/libraries/uninstall",
        json!({"cluster_id": RUNNING, "libraries": [legacy]}),
    )
    .await;
    emu.ok("/api/2.0/clusters/restart", json!({"cluster_id": RUNNING}))
        .await;
    emu.state.tick();
    let order: Vec<_> = emu
        .statuses(RUNNING)
        .await
        .into_iter()
        .map(|s| (s["library"].clone(), s["status"].clone()))
        .collect();
    assert_eq!(
        order,
        [(pandas, json!("PENDING")), (legacy, json!("SKIPPED"))]
    );
}

#[tokio::test]
async fn terminated_cluster_keeps_libraries_pending_until_started() {
    let emu = Emu::new(Pace::Manual);
    let library = pypi("pyarrow");
    emu.install(TERMINATED, json!([library])).await;
    for _ in 0..5 {
        emu.state.tick();
    }
    let waiting = json!({
        "library": library, "status": "PENDING",
        "messages": ["Library status is temporarily unavailable"], "is_library_for_all_clusters": false
    });
    assert_eq!(emu.status_of(TERMINATED, &library).await, waiting);
    emu.ok("/api/2.0/clusters/start", json!({"cluster_id": TERMINATED}))
        .await;
    assert_eq!(emu.cluster_state(TERMINATED).await, "PENDING");
    assert_eq!(emu.status_of(TERMINATED, &library).await, waiting);
    let mut seen = Vec::new();
    for _ in 0..4 {
        emu.state.tick();
        let status = emu.status_of(TERMINATED, &library).await;
        seen.push((
            emu.cluster_state(TERMINATED).await,
            status["status"].as_str().unwrap().to_owned(),
        ));
    }
    let expected = [
        ("RUNNING", "PENDING"),
        ("RUNNING", "RESOLVING"),
        ("RUNNING", "INSTALLING"),
        ("RUNNING", "INSTALLED"),
    ];
    assert_eq!(seen, expected.map(|(a, b)| (a.to_owned(), b.to_owned())));
    assert_eq!(
        emu.status_of(TERMINATED, &library).await.get("messages"),
        None
    );
}

#[tokio::test]
async fn timed_pace_steps_with_elapsed_time() {
    let period = std::time::Duration::from_secs(2);
    let emu = Emu::new(Pace::Timed(period));
    let library = pypi("requests");
    emu.install(RUNNING, json!([library])).await;
    emu.state.catch_up_at(period * 2);
    let statuses = emu
        .state
        .with_store(crate::emulator::state::Access::Other, |store| {
            store.library_statuses(RUNNING)
        });
    assert_eq!(
        statuses.unwrap()["library_statuses"][0]["status"],
        "INSTALLING"
    );
    emu.state.catch_up_at(period * 100);
    assert_eq!(
        emu.status_of(RUNNING, &library).await["status"],
        "INSTALLED"
    );
}
