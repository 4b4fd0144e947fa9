//! `dbgrpc_cluster_libraries` against the emulator: the create → read →
//! no-op plan → version bump → destroy cycle (only owned libraries change,
//! a bump replaces with one restart), drift, a cluster that is gone,
//! import, a FAILED library, a terminated cluster, validation pointing at
//! attributes, and StopProvider ending the wait.

use databricks_grpc::{
    emulator::Pace,
    proto::compute::{self as pb, LibraryInstallStatus as S, library::Kind},
    provider::{
        proto::{Diagnostic, diagnostic::Severity, provider_server::Provider, stop_provider},
        value::Value,
    },
};
use tonic::Request;

use crate::{
    helpers::{RUNNING, TERMINATED, eventually},
    tf_harness::{Tf, emulator, errors, path_names},
};

const TYPE: &str = "dbgrpc_cluster_libraries";
// Cloud URIs: the emulator fails a /Volumes library whose file it lacks.
const V1: &str = "s3://ci-artifacts/libs/etl-1.0.0-aaaaaaaaaaaa.jar";
const V2: &str = "s3://ci-artifacts/libs/etl-1.0.0-bbbbbbbbbbbb.jar";
const PACKAGE: &str = "simplejson==3.19.2";
const MISSING_CLUSTER: &str = "0000-000000-nosuchcl";

async fn start() -> Tf {
    Tf::start(emulator().with_pace(Pace::PerRead)).await
}

/// A library block with nothing set.
fn block() -> Value {
    Value::object([
        ("jar", Value::Null),
        ("whl", Value::Null),
        ("egg", Value::Null),
        ("requirements", Value::Null),
        ("pypi", Value::List(vec![])),
        ("maven", Value::List(vec![])),
        ("cran", Value::List(vec![])),
    ])
}

fn jar_block(uri: &str) -> Value {
    let mut library = block();
    library.set_attr("jar", Value::string(uri));
    library
}

fn pypi_block(package: &str) -> Value {
    let mut library = block();
    library.set_attr(
        "pypi",
        Value::List(vec![Value::object([
            ("package", Value::string(package)),
            ("repo", Value::Null),
        ])]),
    );
    library
}

fn jar(uri: &str) -> pb::Library {
    pb::Library {
        kind: Some(Kind::Jar(uri.into())),
    }
}

fn pypi(package: &str) -> pb::Library {
    pb::Library {
        kind: Some(Kind::Pypi(pb::PythonPyPiLibrary {
            package: package.into(),
            repo: String::new(),
        })),
    }
}

fn config(tf: &Tf, cluster_id: &str, libraries: Vec<Value>, restart: Option<&str>) -> Value {
    tf.config(
        TYPE,
        vec![
            ("cluster_id", Value::string(cluster_id)),
            ("library", Value::List(libraries)),
            ("restart", Value::optional_string(restart)),
        ],
    )
}

async fn statuses(tf: &Tf, cluster_id: &str) -> Vec<pb::LibraryFullStatus> {
    let mut client = tf.provider.state().client.get().unwrap().clone();
    client
        .cluster_status(pb::ClusterStatusRequest {
            cluster_id: cluster_id.into(),
        })
        .await
        .unwrap()
        .into_inner()
        .library_statuses
}

/// The status of the cluster's own entry of `library`.
fn status_of(statuses: &[pb::LibraryFullStatus], library: &pb::Library) -> Option<S> {
    statuses
        .iter()
        .find(|status| {
            !status.is_library_for_all_clusters && status.library.as_ref() == Some(library)
        })
        .map(|status| S::try_from(status.status).unwrap())
}

async fn install(tf: &Tf, cluster_id: &str, libraries: Vec<pb::Library>) {
    let mut client = tf.provider.state().client.get().unwrap().clone();
    client
        .install(pb::InstallRequest {
            cluster_id: cluster_id.into(),
            libraries,
        })
        .await
        .unwrap();
}

fn restarts(tf: &Tf) -> usize {
    tf.upstream_calls("/api/2.1/clusters/restart").len()
        + tf.upstream_calls("/api/2.0/clusters/restart").len()
}

fn warnings(diagnostics: &[Diagnostic]) -> Vec<String> {
    diagnostics
        .iter()
        .filter(|d| d.severity == i32::from(Severity::Warning))
        .map(|d| format!("{}: {}", d.summary, d.detail))
        .collect()
}

/// The elements of a set, in an order that does not depend on how they
/// travelled.
fn sorted(set: &Value) -> Vec<String> {
    let mut elements: Vec<String> = set.elements().iter().map(|e| format!("{e:?}")).collect();
    elements.sort();
    elements
}

#[tokio::test]
async fn create_read_noop_bump_and_destroy_touch_only_owned_libraries() {
    let tf = start().await;
    // Someone else's library on the cluster: never changed.
    install(&tf, RUNNING, vec![pypi("requests")]).await;
    let created = config(&tf, RUNNING, vec![jar_block(V1), pypi_block(PACKAGE)], None);
    let plan = tf.plan(TYPE, &Value::Null, &created, Vec::new()).await;
    assert!(plan.diagnostics.is_empty(), "{:?}", plan.diagnostics);
    assert_eq!(plan.state.attr("id"), &Value::string(RUNNING));
    assert_eq!(plan.state.attr("restart"), &Value::string("never"));
    assert_eq!(plan.state.attr("start_cluster"), &Value::Bool(false));
    assert_eq!(plan.state.attr("library"), created.attr("library"));
    let replace: Vec<_> = plan.requires_replace.iter().map(path_names).collect();
    assert_eq!(replace, [["cluster_id"]]);
    // Planning makes no call.
    assert!(
        tf.upstream_calls("/api/2.0/libraries/cluster-status")
            .is_empty()
    );

    let applied = tf
        .apply(TYPE, &Value::Null, &plan.state, &created, plan.private)
        .await;
    assert!(applied.diagnostics.is_empty(), "{:?}", applied.diagnostics);
    assert_eq!(applied.state, plan.state, "apply must return the plan");
    let now = statuses(&tf, RUNNING).await;
    assert_eq!(status_of(&now, &jar(V1)), Some(S::Installed), "{now:?}");
    assert_eq!(status_of(&now, &pypi(PACKAGE)), Some(S::Installed));

    // Refresh reproduces the state exactly: the next plan changes nothing.
    let read = tf.read(TYPE, &applied.state, applied.private).await;
    assert!(read.diagnostics.is_empty(), "{:?}", read.diagnostics);
    assert_eq!(read.state, applied.state);
    let again = tf
        .plan(TYPE, &read.state, &created, read.private.clone())
        .await;
    assert_eq!(again.state, read.state, "a no-op plan must equal the state");

    // A new build of the jar, allowed to restart: replaced, one restart.
    let installs = tf.upstream_calls("/api/2.0/libraries/install").len();
    let bumped = config(
        &tf,
        RUNNING,
        vec![jar_block(V2), pypi_block(PACKAGE)],
        Some("if_needed"),
    );
    let plan = tf.plan(TYPE, &read.state, &bumped, read.private).await;
    let updated = tf
        .apply(TYPE, &read.state, &plan.state, &bumped, plan.private)
        .await;
    assert!(updated.diagnostics.is_empty(), "{:?}", updated.diagnostics);
    assert_eq!(updated.state, plan.state);
    assert_eq!(restarts(&tf), 1);
    assert_eq!(
        tf.upstream_calls("/api/2.0/libraries/install").len(),
        installs + 1
    );
    let now = statuses(&tf, RUNNING).await;
    assert_eq!(status_of(&now, &jar(V2)), Some(S::Installed), "{now:?}");
    assert_eq!(status_of(&now, &jar(V1)), None, "{now:?}");
    assert_eq!(status_of(&now, &pypi(PACKAGE)), Some(S::Installed));
    assert_eq!(status_of(&now, &pypi("requests")), Some(S::Installed));

    // Dropping the package from the configuration uninstalls it (it is in
    // `previous`); with restart "never" a warning says a restart is due.
    let trimmed = config(&tf, RUNNING, vec![jar_block(V2)], None);
    let plan = tf
        .plan(TYPE, &updated.state, &trimmed, updated.private)
        .await;
    let trimmed = tf
        .apply(TYPE, &updated.state, &plan.state, &trimmed, plan.private)
        .await;
    assert!(
        errors(&trimmed.diagnostics).is_empty(),
        "{:?}",
        trimmed.diagnostics
    );
    assert_eq!(trimmed.state, plan.state);
    let told = warnings(&trimmed.diagnostics);
    assert!(
        told.iter().any(|w| w.contains("needs a restart")),
        "{told:?}"
    );
    assert_eq!(restarts(&tf), 1);
    let now = statuses(&tf, RUNNING).await;
    assert_eq!(
        status_of(&now, &pypi(PACKAGE)),
        Some(S::UninstallOnRestart),
        "{now:?}"
    );
    assert_eq!(status_of(&now, &jar(V2)), Some(S::Installed), "{now:?}");

    // Destroy removes only what this resource owns, and returns null.
    let destroyed = tf
        .apply(
            TYPE,
            &trimmed.state,
            &Value::Null,
            &Value::Null,
            trimmed.private,
        )
        .await;
    assert!(
        errors(&destroyed.diagnostics).is_empty(),
        "{:?}",
        destroyed.diagnostics
    );
    assert_eq!(destroyed.state, Value::Null);
    let now = statuses(&tf, RUNNING).await;
    for owned in [jar(V2), pypi(PACKAGE)] {
        assert!(
            matches!(status_of(&now, &owned), None | Some(S::UninstallOnRestart)),
            "{owned:?} left: {now:?}"
        );
    }
    // Untouched (the restart made it reinstall, as any restart does).
    assert!(
        matches!(status_of(&now, &pypi("requests")), Some(s) if s != S::UninstallOnRestart),
        "{now:?}"
    );
    let uninstalled = tf.upstream_calls("/api/2.0/libraries/uninstall");
    assert!(!uninstalled.is_empty());
    assert!(
        uninstalled
            .iter()
            .all(|call| !format!("{call:?}").contains("requests")),
        "{uninstalled:?}"
    );
}

#[tokio::test]
async fn a_library_uninstalled_outside_terraform_shows_as_drift_and_is_reinstalled() {
    let tf = start().await;
    let wanted = config(&tf, RUNNING, vec![jar_block(V1), pypi_block(PACKAGE)], None);
    let created = tf.plan_and_apply(TYPE, &Value::Null, &wanted).await;
    assert!(
        errors(&created.diagnostics).is_empty(),
        "{:?}",
        created.diagnostics
    );
    let mut client = tf.provider.state().client.get().unwrap().clone();
    client
        .uninstall(pb::UninstallRequest {
            cluster_id: RUNNING.into(),
            libraries: vec![pypi(PACKAGE)],
        })
        .await
        .unwrap();
    // Marked UNINSTALL_ON_RESTART: no longer there as far as the state goes.
    let read = tf.read(TYPE, &created.state, created.private).await;
    assert!(read.diagnostics.is_empty(), "{:?}", read.diagnostics);
    assert_eq!(
        sorted(read.state.attr("library")),
        sorted(&Value::List(vec![jar_block(V1)]))
    );
    // The plan puts it back; the apply reinstalls it.
    let plan = tf.plan(TYPE, &read.state, &wanted, read.private).await;
    assert_ne!(plan.state, read.state);
    assert_eq!(plan.state.attr("library"), wanted.attr("library"));
    let applied = tf
        .apply(TYPE, &read.state, &plan.state, &wanted, plan.private)
        .await;
    assert!(
        errors(&applied.diagnostics).is_empty(),
        "{:?}",
        applied.diagnostics
    );
    assert_eq!(applied.state, plan.state);
    // Still loaded in its old form: restart "never" says a restart is due.
    let told = warnings(&applied.diagnostics);
    assert!(
        told.iter().any(|w| w.contains("needs a restart")),
        "{told:?}"
    );
    let now = statuses(&tf, RUNNING).await;
    assert!(
        now.iter()
            .any(|s| s.library.as_ref() == Some(&pypi(PACKAGE))
                && s.status != S::UninstallOnRestart as i32),
        "{now:?}"
    );
}

#[tokio::test]
async fn a_cluster_that_is_gone_removes_the_resource_instead_of_failing() {
    let tf = start().await;
    let mut state = config(&tf, MISSING_CLUSTER, vec![jar_block(V1)], None);
    state.set_attr("id", Value::string(MISSING_CLUSTER));
    state.set_attr("restart", Value::string("never"));
    state.set_attr("start_cluster", Value::Bool(false));
    let read = tf.read(TYPE, &state, Vec::new()).await;
    assert!(read.diagnostics.is_empty(), "{:?}", read.diagnostics);
    assert_eq!(read.state, Value::Null);
    // Destroying it has nothing left to do.
    let destroyed = tf
        .apply(TYPE, &state, &Value::Null, &Value::Null, Vec::new())
        .await;
    assert!(
        destroyed.diagnostics.is_empty(),
        "{:?}",
        destroyed.diagnostics
    );
    assert_eq!(destroyed.state, Value::Null);
    // Importing it says why it cannot.
    let imported = tf.import(TYPE, MISSING_CLUSTER).await;
    assert_eq!(imported.state, Value::Null);
    let failed = imported.errors();
    assert!(
        failed.iter().any(|e| e.contains("does not exist")),
        "{failed:?}"
    );
}

#[tokio::test]
async fn import_adopts_the_clusters_own_libraries_and_plans_no_change() {
    let tf = start().await;
    install(&tf, RUNNING, vec![jar(V1), pypi(PACKAGE)]).await;
    let imported = tf.import(TYPE, RUNNING).await;
    assert!(
        imported.diagnostics.is_empty(),
        "{:?}",
        imported.diagnostics
    );
    // Not the library for all clusters the emulator seeds.
    assert_eq!(
        sorted(imported.state.attr("library")),
        sorted(&Value::List(vec![jar_block(V1), pypi_block(PACKAGE)]))
    );
    assert_eq!(imported.state.attr("id"), &Value::string(RUNNING));
    assert_eq!(imported.state.attr("restart"), &Value::string("never"));
    assert_eq!(imported.state.attr("start_cluster"), &Value::Bool(false));
    let read = tf.read(TYPE, &imported.state, imported.private).await;
    assert_eq!(read.state, imported.state);
    let written = config(&tf, RUNNING, vec![pypi_block(PACKAGE), jar_block(V1)], None);
    let plan = tf.plan(TYPE, &read.state, &written, read.private).await;
    assert_eq!(
        sorted(plan.state.attr("library")),
        sorted(read.state.attr("library"))
    );
    assert_eq!(plan.state.attr("restart"), read.state.attr("restart"));
}

#[tokio::test]
async fn a_failed_library_is_an_error_with_databricks_messages_and_stays_owned() {
    let tf = start().await;
    let broken = "no-such-package-zz9";
    let wanted = config(&tf, RUNNING, vec![jar_block(V1), pypi_block(broken)], None);
    let created = tf.plan_and_apply(TYPE, &Value::Null, &wanted).await;
    let failed = created.errors();
    assert!(
        failed
            .iter()
            .any(|e| e.contains("No matching distribution")),
        "{failed:?}"
    );
    // Partial state: what the cluster has (the jar), not orphaned.
    assert_eq!(
        sorted(created.state.attr("library")),
        sorted(&Value::List(vec![jar_block(V1)]))
    );
    assert_eq!(created.state.attr("id"), &Value::string(RUNNING));
    // A refresh warns with Databricks' messages; the plan shows it again.
    let read = tf.read(TYPE, &created.state, created.private).await;
    let told = warnings(&read.diagnostics);
    assert!(
        told.iter()
            .any(|w| w.contains("FAILED") && w.contains("No matching distribution")),
        "{told:?}"
    );
    assert!(errors(&read.diagnostics).is_empty());
    let plan = tf.plan(TYPE, &read.state, &wanted, read.private).await;
    assert_eq!(plan.state.attr("library"), wanted.attr("library"));
    // Destroying removes it although the state no longer lists it.
    let destroyed = tf
        .apply(TYPE, &read.state, &Value::Null, &Value::Null, plan.private)
        .await;
    assert!(
        errors(&destroyed.diagnostics).is_empty(),
        "{:?}",
        destroyed.diagnostics
    );
    let now = statuses(&tf, RUNNING).await;
    for owned in [jar(V1), pypi(broken)] {
        assert!(
            matches!(status_of(&now, &owned), None | Some(S::UninstallOnRestart)),
            "{owned:?} left: {now:?}"
        );
    }
}

#[tokio::test]
async fn a_terminated_cluster_queues_the_libraries_at_once_without_starting() {
    let tf = start().await;
    let wanted = config(&tf, TERMINATED, vec![jar_block(V1)], None);
    let applied = tf.plan_and_apply(TYPE, &Value::Null, &wanted).await;
    assert!(
        errors(&applied.diagnostics).is_empty(),
        "{:?}",
        applied.diagnostics
    );
    let told = warnings(&applied.diagnostics);
    assert!(told.iter().any(|w| w.contains("queued")), "{told:?}");
    assert!(tf.upstream_calls("/api/2.1/clusters/start").is_empty());
    assert!(tf.upstream_calls("/api/2.0/clusters/start").is_empty());
    let now = statuses(&tf, TERMINATED).await;
    assert_eq!(status_of(&now, &jar(V1)), Some(S::Pending), "{now:?}");
    // Queued counts as there: the refresh keeps it.
    let read = tf.read(TYPE, &applied.state, applied.private).await;
    assert_eq!(read.state, applied.state);
    // Asked to, the apply starts the cluster once and waits for the jar.
    let mut started = wanted.clone();
    started.set_attr("start_cluster", Value::Bool(true));
    let plan = tf.plan(TYPE, &read.state, &started, read.private).await;
    let applied = tf
        .apply(TYPE, &read.state, &plan.state, &started, plan.private)
        .await;
    assert!(applied.diagnostics.is_empty(), "{:?}", applied.diagnostics);
    assert_eq!(applied.state.attr("start_cluster"), &Value::Bool(true));
    let starts = tf.upstream_calls("/api/2.1/clusters/start").len()
        + tf.upstream_calls("/api/2.0/clusters/start").len();
    assert_eq!(starts, 1);
    let now = statuses(&tf, TERMINATED).await;
    assert_eq!(status_of(&now, &jar(V1)), Some(S::Installed), "{now:?}");
}

#[tokio::test]
async fn a_refused_create_carries_the_services_message_and_leaves_no_state() {
    let tf = start().await;
    // Two builds of one jar: the service refuses the set before any change.
    let wanted = config(&tf, RUNNING, vec![jar_block(V1), jar_block(V2)], None);
    let applied = tf.plan_and_apply(TYPE, &Value::Null, &wanted).await;
    let failed = applied.errors();
    assert!(
        failed
            .iter()
            .any(|e| e.contains("InvalidArgument") && e.contains("list each library once")),
        "{failed:?}"
    );
    assert_eq!(applied.state, Value::Null);
    assert!(tf.upstream_calls("/api/2.0/libraries/install").is_empty());
}

#[tokio::test]
async fn every_invalid_setting_points_at_its_attribute_and_calls_nothing() {
    let tf = start().await;
    let mut two = jar_block(V1);
    two.set_attr("whl", Value::string("s3://ci-artifacts/x.whl"));
    let cases = [
        (config(&tf, RUNNING, vec![two], None), "library"),
        (config(&tf, RUNNING, vec![block()], None), "library"),
        (
            config(&tf, RUNNING, vec![jar_block(V1)], Some("always")),
            "restart",
        ),
        (config(&tf, "", vec![jar_block(V1)], None), "cluster_id"),
    ];
    for (config, attribute) in cases {
        let diagnostics = tf.validate(TYPE, &config).await;
        let [problem] = diagnostics.as_slice() else {
            panic!("{attribute}: {diagnostics:?}")
        };
        assert_eq!(problem.severity, i32::from(Severity::Error));
        assert_eq!(
            path_names(problem.attribute.as_ref().unwrap()),
            [attribute],
            "{problem:?}"
        );
    }
    // Unknowns are not judged: a library from a resource not created yet.
    let mut pending = jar_block(V1);
    pending.set_attr("jar", Value::unknown());
    let later = tf.config(
        TYPE,
        vec![
            ("cluster_id", Value::unknown()),
            ("library", Value::List(vec![pending])),
        ],
    );
    assert!(tf.validate(TYPE, &later).await.is_empty());
    let plan = tf.plan(TYPE, &Value::Null, &later, Vec::new()).await;
    assert!(plan.diagnostics.is_empty(), "{:?}", plan.diagnostics);
    assert!(plan.state.attr("id").is_unknown());
    assert!(
        tf.emulator.journal().is_empty(),
        "{:?}",
        tf.emulator.journal()
    );
}

#[tokio::test]
async fn stop_provider_ends_the_wait_and_keeps_what_was_installed() {
    // Nothing settles: the emulator moves only when the test ticks it.
    let tf = Tf::start(emulator().with_pace(Pace::Manual)).await;
    let wanted = config(&tf, RUNNING, vec![jar_block(V1)], None);
    let plan = tf.plan(TYPE, &Value::Null, &wanted, Vec::new()).await;
    let apply = tf.apply(TYPE, &Value::Null, &plan.state, &wanted, plan.private);
    let stop = async {
        eventually("the install call", || {
            !tf.upstream_calls("/api/2.0/libraries/install").is_empty()
        })
        .await;
        tf.provider
            .stop_provider(Request::new(stop_provider::Request::default()))
            .await
            .unwrap();
    };
    let (applied, ()) = tokio::join!(apply, stop);
    let failed = applied.errors();
    assert!(failed.iter().any(|e| e.contains("Stopped")), "{failed:?}");
    // The jar was requested: it is in the state, owned, not orphaned.
    assert_eq!(
        sorted(applied.state.attr("library")),
        sorted(&Value::List(vec![jar_block(V1)]))
    );
}
