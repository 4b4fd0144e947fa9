//! `dbgrpc_library_file` through the provider's RPCs against the emulator:
//! the versioned path known at plan time, a rebuilt file planned as a
//! replacement, a file deleted outside Terraform read as gone, and bad
//! input pointed at its attribute before any upstream call.

use databricks_grpc::{
    proto::compute::{DeleteLibraryFileRequest, ListLibraryFilesRequest},
    provider::value::Value,
};
use sha2::{Digest, Sha256};

use crate::tf_harness::{Tf, emulator, errors, path_names};

const TYPE: &str = "dbgrpc_library_file";
const LIBS: &str = "/Volumes/main/default/libs";

async fn listed(tf: &Tf) -> Vec<String> {
    let mut client = tf.provider.state().client.get().unwrap().clone();
    client
        .list_library_files(ListLibraryFilesRequest {
            directory: LIBS.into(),
            ..ListLibraryFilesRequest::default()
        })
        .await
        .unwrap()
        .into_inner()
        .files
        .into_iter()
        .map(|file| file.path)
        .collect()
}

fn versioned(bytes: &[u8]) -> String {
    let hash = hex::encode(Sha256::digest(bytes));
    format!("{LIBS}/etl-{}.jar", &hash[..12])
}

#[tokio::test]
async fn a_file_is_uploaded_under_the_path_planned_and_a_rebuild_replaces_it() {
    let tf = Tf::start(emulator()).await;
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("etl.jar");
    std::fs::write(&source, b"build one").unwrap();
    let config = tf.config(
        TYPE,
        vec![
            ("source", Value::string(source.to_str().unwrap())),
            ("directory", Value::string(LIBS)),
        ],
    );
    assert!(tf.validate(TYPE, &config).await.is_empty());
    // Plan knows the path and hash without calling anything.
    let plan = tf.plan(TYPE, &Value::Null, &config, Vec::new()).await;
    assert!(
        errors(&plan.diagnostics).is_empty(),
        "{:?}",
        plan.diagnostics
    );
    assert_eq!(
        plan.state.attr("path").as_str(),
        Some(versioned(b"build one").as_str())
    );
    assert_eq!(
        plan.state.attr("content_sha256").as_str(),
        Some(hex::encode(Sha256::digest(b"build one")).as_str())
    );
    assert!(
        tf.emulator.journal().is_empty(),
        "{:?}",
        tf.emulator.journal()
    );
    let created = tf
        .apply(TYPE, &Value::Null, &plan.state, &config, plan.private)
        .await;
    assert!(created.errors().is_empty(), "{:?}", created.diagnostics);
    assert_eq!(created.state, plan.state);
    assert_eq!(listed(&tf).await, [versioned(b"build one")]);
    // Read reproduces the state, and a plan of the same config is a no-op.
    let read = tf.read(TYPE, &created.state, created.private).await;
    assert_eq!(read.state, created.state);
    let again = tf.plan(TYPE, &read.state, &config, Vec::new()).await;
    assert_eq!(again.state, read.state);
    // A rebuilt file: a new path at plan time, which forces replacement.
    std::fs::write(&source, b"build two").unwrap();
    let rebuilt = tf.plan(TYPE, &read.state, &config, Vec::new()).await;
    assert_eq!(
        rebuilt.state.attr("path").as_str(),
        Some(versioned(b"build two").as_str())
    );
    let replaced: Vec<_> = rebuilt.requires_replace.iter().map(path_names).collect();
    assert!(replaced.contains(&vec!["path".to_owned()]), "{replaced:?}");
    // Destroy deletes the file.
    let destroyed = tf
        .apply(TYPE, &read.state, &Value::Null, &Value::Null, Vec::new())
        .await;
    assert!(destroyed.errors().is_empty(), "{:?}", destroyed.diagnostics);
    assert!(destroyed.state.is_null());
    assert!(listed(&tf).await.is_empty());
}

#[tokio::test]
async fn a_file_deleted_outside_terraform_reads_as_gone() {
    let tf = Tf::start(emulator()).await;
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("etl.jar");
    std::fs::write(&source, b"bytes").unwrap();
    let config = tf.config(
        TYPE,
        vec![
            ("source", Value::string(source.to_str().unwrap())),
            ("directory", Value::string(LIBS)),
        ],
    );
    let created = tf.plan_and_apply(TYPE, &Value::Null, &config).await;
    assert!(created.errors().is_empty(), "{:?}", created.diagnostics);
    let mut client = tf.provider.state().client.get().unwrap().clone();
    client
        .delete_library_file(DeleteLibraryFileRequest {
            path: versioned(b"bytes"),
            force: true,
        })
        .await
        .unwrap();
    let read = tf.read(TYPE, &created.state, Vec::new()).await;
    assert!(read.errors().is_empty(), "{:?}", read.diagnostics);
    assert!(read.state.is_null());
}

#[tokio::test]
async fn bad_input_points_at_its_attribute_before_any_call() {
    let tf = Tf::start(emulator()).await;
    let bad_directory = tf.config(
        TYPE,
        vec![
            ("source", Value::string("/tmp/etl.jar")),
            ("directory", Value::string("/tmp/libs")),
        ],
    );
    let diagnostics = tf.validate(TYPE, &bad_directory).await;
    let [diagnostic] = diagnostics.as_slice() else {
        panic!("{diagnostics:?}")
    };
    assert_eq!(
        path_names(diagnostic.attribute.as_ref().unwrap()),
        ["directory"]
    );
    assert!(diagnostic.detail.contains("/Volumes/"), "{diagnostic:?}");
    // A source that is not there fails the plan, pointing at source.
    let missing = tf.config(
        TYPE,
        vec![
            ("source", Value::string("/nonexistent/etl.jar")),
            ("directory", Value::string(LIBS)),
        ],
    );
    let plan = tf.plan(TYPE, &Value::Null, &missing, Vec::new()).await;
    let [diagnostic] = plan.diagnostics.as_slice() else {
        panic!("{:?}", plan.diagnostics)
    };
    assert_eq!(
        path_names(diagnostic.attribute.as_ref().unwrap()),
        ["source"]
    );
    assert!(
        diagnostic.detail.contains("/nonexistent/etl.jar"),
        "{diagnostic:?}"
    );
    // Unknown values wait for plan.
    let unknown = tf.config(
        TYPE,
        vec![
            ("source", Value::unknown()),
            ("directory", Value::string(LIBS)),
        ],
    );
    assert!(tf.validate(TYPE, &unknown).await.is_empty());
    let plan = tf.plan(TYPE, &Value::Null, &unknown, Vec::new()).await;
    assert!(plan.state.attr("path").is_unknown());
    assert!(tf.emulator.journal().is_empty());
    // Import is refused with a reason.
    let imported = tf.import(TYPE, &format!("{LIBS}/x.jar")).await;
    assert!(
        imported.errors()[0].contains("cannot be imported"),
        "{:?}",
        imported.diagnostics
    );
}
