use serde_json::{Value, json};

use super::*;
use crate::databricks::models::{MavenLibrary, PyPiLibrary};

const V1: &str = "/Volumes/main/default/libs/etl-1.0.0-aaaaaaaaaaaa.jar";
const V2: &str = "/Volumes/main/default/libs/etl-1.0.0-bbbbbbbbbbbb.jar";

fn jar(uri: &str) -> Library {
    Library::Jar(uri.to_owned())
}

fn pypi(package: &str) -> Library {
    Library::Pypi(PyPiLibrary {
        package: package.to_owned(),
        repo: None,
    })
}

fn maven(coordinates: &str) -> Library {
    Library::Maven(MavenLibrary {
        coordinates: coordinates.to_owned(),
        repo: None,
        exclusions: Vec::new(),
    })
}

/// Statuses as `libraries/cluster-status` sends them.
fn statuses(body: Value) -> Vec<LibraryFullStatus> {
    serde_json::from_value(body).unwrap_or_else(|error| panic!("{error}"))
}

fn on_cluster(library: &Library, status: &str) -> Value {
    json!({"library": library, "status": status})
}

#[test]
fn first_apply_installs_everything_without_restart() {
    let desired = [jar(V1), pypi("simplejson==3.8.0")];
    let plan = plan(&desired, &[], &[], Loaded::Yes);
    assert_eq!(plan.install, desired);
    assert!(plan.uninstall.is_empty() && plan.unchanged.is_empty() && plan.foreign.is_empty());
    assert!(!plan.restart_needed);
}

#[test]
fn applying_what_is_installed_changes_nothing() {
    let desired = [jar(V1), pypi("simplejson==3.8.0")];
    let installed = statuses(json!([
        on_cluster(&desired[0], "INSTALLED"),
        on_cluster(&desired[1], "INSTALLING"),
    ]));
    let plan = plan(&desired, &desired, &installed, Loaded::Yes);
    assert!(plan.changes_nothing(), "{plan:?}");
    assert_eq!(plan.unchanged, desired);
    assert!(!plan.restart_needed);
}

#[test]
fn a_new_version_replaces_the_installed_one_and_needs_a_restart() {
    let installed = statuses(json!([
        on_cluster(&jar(V1), "INSTALLED"),
        on_cluster(&pypi("simplejson==3.8.0"), "INSTALLED"),
    ]));
    let desired = [jar(V2), pypi("simplejson==3.8.0")];
    // Replaced even though the caller never said it owned V1: same identity.
    let plan = plan(&desired, &[], &installed, Loaded::Yes);
    assert_eq!(plan.install, [jar(V2)]);
    assert_eq!(plan.uninstall, [jar(V1)]);
    assert_eq!(plan.unchanged, [pypi("simplejson==3.8.0")]);
    assert!(plan.restart_needed);
}

#[test]
fn replacement_is_by_identity_for_pypi_and_maven() {
    let installed = statuses(json!([
        on_cluster(&pypi("Simple_JSON==3.8.0"), "INSTALLED"),
        on_cluster(&maven("org.jsoup:jsoup:1.7.2"), "INSTALLED"),
    ]));
    let desired = [pypi("simple-json>=3.9"), maven("org.jsoup:jsoup:1.15.3")];
    let plan = plan(&desired, &[], &installed, Loaded::Yes);
    assert_eq!(plan.install, desired);
    assert_eq!(
        plan.uninstall,
        [pypi("Simple_JSON==3.8.0"), maven("org.jsoup:jsoup:1.7.2")]
    );
}

#[test]
fn previous_minus_desired_is_uninstalled() {
    let installed = statuses(json!([
        on_cluster(&jar(V1), "INSTALLED"),
        on_cluster(&pypi("pandas"), "INSTALLED"),
    ]));
    let plan = plan(
        &[jar(V1)],
        &[jar(V1), pypi("pandas")],
        &installed,
        Loaded::Yes,
    );
    assert!(plan.install.is_empty());
    assert_eq!(plan.uninstall, [pypi("pandas")]);
    assert!(plan.restart_needed);
    // Something in previous that is no longer on the cluster needs no call.
    let plan = super::plan(&[jar(V1)], &[pypi("gone")], &installed[..1], Loaded::Yes);
    assert!(plan.changes_nothing(), "{plan:?}");
}

#[test]
fn foreign_and_all_cluster_libraries_are_never_touched() {
    let installed = statuses(json!([
        on_cluster(&pypi("someone-elses"), "INSTALLED"),
        {"library": jar("/Workspace/Shared/jars/etl-0.9.jar"), "status": "SKIPPED",
         "is_library_for_all_clusters": true},
        {"library": {"conda": "x"}, "status": "INSTALLED"},
    ]));
    // etl is owned by identity, but the all-clusters copy stays foreign.
    let plan = plan(&[jar(V1)], &[pypi("mine")], &installed, Loaded::Yes);
    assert_eq!(plan.install, [jar(V1)]);
    assert!(plan.uninstall.is_empty(), "{plan:?}");
    assert_eq!(plan.foreign, installed);
    assert!(!plan.restart_needed);
}

#[test]
fn uninstall_on_restart_still_counts_as_loaded() {
    // V1 was uninstalled by an apply under NEVER; V2 installed; no restart yet.
    let installed = statuses(json!([
        on_cluster(&jar(V2), "INSTALLED"),
        on_cluster(&jar(V1), "UNINSTALL_ON_RESTART"),
    ]));
    let plan = plan(&[jar(V2)], &[jar(V1)], &installed, Loaded::Yes);
    assert!(plan.changes_nothing(), "no second uninstall call: {plan:?}");
    assert!(plan.restart_needed, "V1 is still loaded");

    // Re-requesting a library marked for removal installs it again, and the
    // restart is needed for the cluster to settle.
    let installed = statuses(json!([on_cluster(&jar(V1), "UNINSTALL_ON_RESTART")]));
    let plan = super::plan(&[jar(V1)], &[], &installed, Loaded::Yes);
    assert_eq!(plan.install, [jar(V1)]);
    assert!(plan.unchanged.is_empty());
    assert!(plan.restart_needed);
}

#[test]
fn a_terminated_cluster_needs_no_restart() {
    let installed = statuses(json!([on_cluster(&jar(V1), "PENDING")]));
    let plan = plan(&[jar(V2)], &[jar(V1)], &installed, Loaded::No);
    assert_eq!(plan.install, [jar(V2)]);
    assert_eq!(plan.uninstall, [jar(V1)]);
    assert!(!plan.restart_needed);
}

#[test]
fn a_failed_library_counts_as_requested() {
    let installed = statuses(json!([on_cluster(&pypi("nope"), "FAILED")]));
    let plan = plan(&[pypi("nope")], &[], &installed, Loaded::Yes);
    assert!(plan.changes_nothing());
    assert_eq!(plan.unchanged, [pypi("nope")]);
}
