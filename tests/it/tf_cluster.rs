//! `resource "dbgrpc_cluster"` and the `dbgrpc_cluster` / `dbgrpc_clusters`
//! data sources, driven as Terraform drives them against the emulator:
//! create → read → no-op plan → resize → edit → destroy, import, a cluster
//! gone outside Terraform, validation at the attribute with no upstream
//! call, the idempotency token, and StopProvider cutting a wait short with
//! the cluster kept in state.

use databricks_grpc::{
    emulator::{EmulatorConfig, Pace},
    proto::compute as pb,
    provider::{
        proto::{provider_server::Provider, stop_provider},
        value::Value,
    },
};
use tonic::Request;

use crate::{
    helpers::{RUNNING, TERMINATED},
    tf_harness::{Tf, errors, path_names},
};

const CLUSTER: &str = "dbgrpc_cluster";
const CLUSTERS: &str = "dbgrpc_clusters";
const CREATE: &str = "/api/2.1/clusters/create";
const EDIT: &str = "/api/2.1/clusters/edit";
const RESIZE: &str = "/api/2.1/clusters/resize";
const GET: &str = "/api/2.1/clusters/get";

/// Attributes of a configuration, by name.
type Attributes = Vec<(&'static str, Value)>;

/// One step per `clusters/get`: a create reaches RUNNING at the first poll.
async fn per_read() -> Tf {
    Tf::start(EmulatorConfig::default().with_pace(Pace::PerRead)).await
}

fn s(text: &str) -> Value {
    Value::string(text)
}

fn tags(entries: &[(&str, &str)]) -> Value {
    Value::object(entries.iter().map(|(k, v)| (*k, s(v))))
}

fn autoscale(min: i64, max: i64) -> Value {
    Value::List(vec![Value::object([
        ("min_workers", Value::int(min)),
        ("max_workers", Value::int(max)),
    ])])
}

fn cluster_config(tf: &Tf, extra: Vec<(&str, Value)>) -> Value {
    let mut given = vec![
        ("cluster_name", s("etl")),
        ("spark_version", s("15.4.x-scala2.12")),
        ("node_type_id", s("i3.xlarge")),
    ];
    given.extend(extra);
    tf.config(CLUSTER, given)
}

fn client(tf: &Tf) -> databricks_grpc::provider::client::Compute {
    tf.provider.state().client.get().unwrap().clone()
}

async fn remote(tf: &Tf, cluster_id: &str) -> Result<pb::Cluster, tonic::Status> {
    let answer = client(tf)
        .get_cluster(pb::GetClusterRequest {
            cluster_id: cluster_id.into(),
        })
        .await?;
    Ok(answer.into_inner().cluster.unwrap())
}

/// Every attribute the plan knew came back identical (Terraform's
/// "inconsistent result after apply" check).
fn assert_consistent(planned: &Value, applied: &Value) {
    let Value::Map(attributes) = planned else {
        panic!("{planned:?}")
    };
    for (name, value) in attributes {
        if value.is_wholly_known() {
            assert_eq!(applied.attr(name), value, "{name}");
        } else {
            assert!(applied.attr(name).is_wholly_known(), "{name}");
        }
    }
}

#[tokio::test]
async fn create_read_noop_resize_edit_and_destroy() {
    let tf = per_read().await;
    let config = cluster_config(
        &tf,
        vec![
            ("num_workers", Value::int(1)),
            ("custom_tags", tags(&[("team", "data")])),
        ],
    );
    let plan = tf.plan(CLUSTER, &Value::Null, &config, Vec::new()).await;
    assert!(
        errors(&plan.diagnostics).is_empty(),
        "{:?}",
        plan.diagnostics
    );
    for name in [
        "cluster_id",
        "id",
        "autotermination_minutes",
        "data_security_mode",
    ] {
        assert!(plan.state.attr(name).is_unknown(), "{name}");
    }
    assert!(plan.requires_replace.is_empty());

    let created = tf
        .apply(
            CLUSTER,
            &Value::Null,
            &plan.state,
            &config,
            plan.private.clone(),
        )
        .await;
    assert!(created.errors().is_empty(), "{:?}", created.errors());
    assert_consistent(&plan.state, &created.state);
    let cluster_id = created
        .state
        .attr("cluster_id")
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(created.state.attr("id"), &s(&cluster_id));
    assert_eq!(
        created.state.attr("autotermination_minutes"),
        &Value::int(120)
    );
    assert_eq!(
        created.state.attr("data_security_mode"),
        &s("USER_ISOLATION")
    );
    assert!(
        created.state.attr("spark_conf").is_null(),
        "no phantom {{}}"
    );
    assert_eq!(
        remote(&tf, &cluster_id).await.unwrap().raw_state,
        "RUNNING",
        "create waited until RUNNING"
    );
    let sent = tf.upstream_calls(CREATE);
    assert_eq!(sent.len(), 1);
    let token = sent[0].body.as_ref().unwrap()["idempotency_token"].clone();
    assert!(token.as_str().unwrap().starts_with("tf-"), "{token}");

    // Refresh of an unchanged cluster: identical; the next plan: no-op.
    let read = tf
        .read(CLUSTER, &created.state, created.private.clone())
        .await;
    assert!(read.errors().is_empty(), "{:?}", read.errors());
    assert_eq!(read.state, created.state);
    let noop = tf
        .plan(CLUSTER, &read.state, &config, read.private.clone())
        .await;
    assert_eq!(noop.state, read.state, "plan after apply changes nothing");

    // Only the size changes on a running cluster: ResizeCluster.
    let bigger = cluster_config(
        &tf,
        vec![
            ("num_workers", Value::int(3)),
            ("custom_tags", tags(&[("team", "data")])),
        ],
    );
    let plan = tf
        .plan(CLUSTER, &read.state, &bigger, read.private.clone())
        .await;
    let resized = tf
        .apply(CLUSTER, &read.state, &plan.state, &bigger, plan.private)
        .await;
    assert!(resized.errors().is_empty(), "{:?}", resized.errors());
    assert_consistent(&plan.state, &resized.state);
    assert_eq!(resized.state.attr("num_workers"), &Value::int(3));
    assert_eq!(tf.upstream_calls(RESIZE).len(), 1);
    assert!(tf.upstream_calls(EDIT).is_empty());

    // Anything else: EditCluster with the whole spec, computed values kept.
    let tuned = cluster_config(
        &tf,
        vec![
            ("num_workers", Value::int(3)),
            ("custom_tags", tags(&[("team", "data")])),
            ("spark_conf", tags(&[("spark.speculation", "true")])),
        ],
    );
    let edited = tf.plan_and_apply(CLUSTER, &resized.state, &tuned).await;
    assert!(edited.errors().is_empty(), "{:?}", edited.errors());
    assert_eq!(tf.upstream_calls(EDIT).len(), 1);
    let body = tf.upstream_calls(EDIT)[0].body.clone().unwrap();
    assert_eq!(body["autotermination_minutes"], 120, "{body}");
    assert_eq!(body["custom_tags"]["team"], "data", "{body}");
    assert_eq!(
        edited.state.attr("spark_conf"),
        &tags(&[("spark.speculation", "true")])
    );
    assert_eq!(
        remote(&tf, &cluster_id).await.unwrap().raw_state,
        "RUNNING",
        "the edit's restart was waited for"
    );

    // To autoscale: a resize again.
    let scaled = cluster_config(
        &tf,
        vec![
            ("autoscale", autoscale(1, 4)),
            ("custom_tags", tags(&[("team", "data")])),
            ("spark_conf", tags(&[("spark.speculation", "true")])),
        ],
    );
    let plan = tf.plan(CLUSTER, &edited.state, &scaled, Vec::new()).await;
    let autoscaled = tf
        .apply(CLUSTER, &edited.state, &plan.state, &scaled, plan.private)
        .await;
    assert!(autoscaled.errors().is_empty(), "{:?}", autoscaled.errors());
    assert_consistent(&plan.state, &autoscaled.state);
    assert!(autoscaled.state.attr("num_workers").is_null());
    assert_eq!(tf.upstream_calls(RESIZE).len(), 2);
    let read = tf.read(CLUSTER, &autoscaled.state, Vec::new()).await;
    assert_eq!(read.state, autoscaled.state);

    // Destroy: deleted for good, null state.
    let destroyed = tf
        .apply(CLUSTER, &read.state, &Value::Null, &Value::Null, Vec::new())
        .await;
    assert!(destroyed.errors().is_empty(), "{:?}", destroyed.errors());
    assert!(destroyed.state.is_null());
    assert_eq!(
        remote(&tf, &cluster_id).await.unwrap_err().code(),
        tonic::Code::NotFound
    );
    // Destroying again (already gone) is fine too.
    let again = tf
        .apply(CLUSTER, &read.state, &Value::Null, &Value::Null, Vec::new())
        .await;
    assert!(again.errors().is_empty(), "{:?}", again.errors());
}

#[tokio::test]
async fn a_retried_apply_of_one_plan_makes_one_cluster() {
    let tf = per_read().await;
    let config = cluster_config(&tf, vec![]);
    let plan = tf.plan(CLUSTER, &Value::Null, &config, Vec::new()).await;
    let first = tf
        .apply(
            CLUSTER,
            &Value::Null,
            &plan.state,
            &config,
            plan.private.clone(),
        )
        .await;
    let retried = tf
        .apply(
            CLUSTER,
            &Value::Null,
            &plan.state,
            &config,
            plan.private.clone(),
        )
        .await;
    assert!(first.errors().is_empty() && retried.errors().is_empty());
    assert_eq!(tf.upstream_calls(CREATE).len(), 2);
    assert_eq!(
        first.state.attr("cluster_id"),
        retried.state.attr("cluster_id"),
        "the plan's token made the second create return the first cluster"
    );
    // A single-node cluster: no size in config, none in state.
    assert!(first.state.attr("num_workers").is_null());
    assert_eq!(
        remote(&tf, first.state.attr("cluster_id").as_str().unwrap())
            .await
            .unwrap()
            .num_workers,
        0
    );
    // Two plans are two clusters.
    let other = tf.plan(CLUSTER, &Value::Null, &config, Vec::new()).await;
    assert_ne!(other.private, plan.private);
}

#[tokio::test]
async fn a_cluster_deleted_outside_terraform_leaves_the_state_instead_of_failing() {
    let tf = per_read().await;
    let config = cluster_config(&tf, vec![("num_workers", Value::int(2))]);
    let created = tf.plan_and_apply(CLUSTER, &Value::Null, &config).await;
    let cluster_id = created.state.attr("cluster_id").as_str().unwrap();
    client(&tf)
        .permanent_delete_cluster(pb::PermanentDeleteClusterRequest {
            cluster_id: cluster_id.into(),
        })
        .await
        .unwrap();
    let read = tf.read(CLUSTER, &created.state, created.private).await;
    assert!(read.diagnostics.is_empty(), "{:?}", read.diagnostics);
    assert!(read.state.is_null(), "gone: removed from state");
    // The plan that follows creates it again.
    let plan = tf.plan(CLUSTER, &Value::Null, &config, Vec::new()).await;
    assert!(errors(&plan.diagnostics).is_empty());
    assert!(plan.state.attr("cluster_id").is_unknown());
}

#[tokio::test]
async fn drift_outside_terraform_shows_in_the_refresh() {
    let tf = per_read().await;
    let config = cluster_config(&tf, vec![("num_workers", Value::int(2))]);
    let created = tf.plan_and_apply(CLUSTER, &Value::Null, &config).await;
    let cluster_id = created.state.attr("cluster_id").as_str().unwrap();
    client(&tf)
        .resize_cluster(pb::ResizeClusterRequest {
            cluster_id: cluster_id.into(),
            num_workers: Some(5),
            autoscale: None,
        })
        .await
        .unwrap();
    let read = tf.read(CLUSTER, &created.state, Vec::new()).await;
    assert_eq!(read.state.attr("num_workers"), &Value::int(5));
    let plan = tf.plan(CLUSTER, &read.state, &config, Vec::new()).await;
    assert_eq!(plan.state.attr("num_workers"), &Value::int(2), "back to 2");
}

#[tokio::test]
async fn import_by_id_reads_the_cluster_and_a_matching_config_plans_nothing() {
    let tf = per_read().await;
    let created = client(&tf)
        .create_cluster(pb::CreateClusterRequest {
            cluster_name: "adopted".into(),
            spark_version: "15.4.x-scala2.12".into(),
            node_type_id: "i3.xlarge".into(),
            autoscale: Some(pb::Autoscale {
                min_workers: 1,
                max_workers: 4,
            }),
            autotermination_minutes: Some(60),
            spark_conf: [("spark.speculation".into(), "true".into())].into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let imported = tf.import(CLUSTER, &created.cluster_id).await;
    assert!(imported.errors().is_empty(), "{:?}", imported.errors());
    assert_eq!(imported.state.attr("id"), &s(&created.cluster_id));
    assert_eq!(imported.state.attr("autoscale"), &autoscale(1, 4));
    assert!(imported.state.attr("custom_tags").is_null());
    let read = tf.read(CLUSTER, &imported.state, imported.private).await;
    assert_eq!(read.state, imported.state);
    let config = tf.config(
        CLUSTER,
        vec![
            ("cluster_name", s("adopted")),
            ("spark_version", s("15.4.x-scala2.12")),
            ("node_type_id", s("i3.xlarge")),
            ("autoscale", autoscale(1, 4)),
            ("autotermination_minutes", Value::int(60)),
            ("spark_conf", tags(&[("spark.speculation", "true")])),
        ],
    );
    let plan = tf.plan(CLUSTER, &read.state, &config, Vec::new()).await;
    assert_eq!(plan.state, read.state, "no changes after import");

    let missing = tf.import(CLUSTER, "0000-000000-missing0").await;
    assert!(missing.state.is_null());
    let errors = missing.errors();
    assert!(
        errors.iter().any(|e| e.contains("Cannot import cluster")),
        "{errors:?}"
    );
}

#[tokio::test]
async fn a_terminated_cluster_is_edited_not_resized_and_not_waited_for() {
    let tf = per_read().await;
    let imported = tf.import(CLUSTER, TERMINATED).await;
    assert!(imported.errors().is_empty(), "{:?}", imported.errors());
    let mut config = tf.config(CLUSTER, vec![]);
    for name in ["cluster_name", "spark_version", "node_type_id"] {
        config.set_attr(name, imported.state.attr(name).clone());
    }
    config.set_attr("num_workers", Value::int(7));
    let updated = tf.plan_and_apply(CLUSTER, &imported.state, &config).await;
    assert!(updated.errors().is_empty(), "{:?}", updated.errors());
    assert_eq!(updated.state.attr("num_workers"), &Value::int(7));
    assert!(tf.upstream_calls(RESIZE).is_empty());
    assert_eq!(tf.upstream_calls(EDIT).len(), 1);
    assert_eq!(
        remote(&tf, TERMINATED).await.unwrap().raw_state,
        "TERMINATED"
    );
}

#[tokio::test]
async fn an_update_of_a_starting_cluster_waits_for_running_then_resizes() {
    let tf = Tf::start(EmulatorConfig::default().with_pace(Pace::Manual)).await;
    let created = client(&tf)
        .create_cluster(pb::CreateClusterRequest {
            cluster_name: "starting".into(),
            spark_version: "15.4.x-scala2.12".into(),
            node_type_id: "i3.xlarge".into(),
            num_workers: Some(1),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let imported = tf.import(CLUSTER, &created.cluster_id).await;
    let mut config = tf.config(CLUSTER, vec![("num_workers", Value::int(4))]);
    for name in ["cluster_name", "spark_version", "node_type_id"] {
        config.set_attr(name, imported.state.attr(name).clone());
    }
    let gets_before = tf.upstream_calls(GET).len();
    let done = std::sync::atomic::AtomicBool::new(false);
    let update = async {
        let updated = tf.plan_and_apply(CLUSTER, &imported.state, &config).await;
        done.store(true, std::sync::atomic::Ordering::SeqCst);
        updated
    };
    let lifecycle = async {
        // Still PENDING when the update reads it and starts waiting; then
        // the cluster comes up (and any later step settles).
        while tf.upstream_calls(GET).len() < gets_before + 2
            && !done.load(std::sync::atomic::Ordering::SeqCst)
        {
            tokio::task::yield_now().await;
        }
        while !done.load(std::sync::atomic::Ordering::SeqCst) {
            tf.emulator.tick();
            tokio::task::yield_now().await;
        }
    };
    let (updated, ()) = tokio::join!(update, lifecycle);
    assert!(updated.errors().is_empty(), "{:?}", updated.errors());
    assert_eq!(updated.state.attr("num_workers"), &Value::int(4));
    assert_eq!(tf.upstream_calls(RESIZE).len(), 1, "resized once RUNNING");
    assert!(tf.upstream_calls(EDIT).is_empty());
}

#[tokio::test]
async fn every_bad_value_is_an_error_at_its_attribute_before_any_call() {
    let tf = per_read().await;
    let before = tf.emulator.journal().len();
    let cases: Vec<(Attributes, Vec<&str>)> = vec![
        (
            vec![
                ("num_workers", Value::int(2)),
                ("autoscale", autoscale(1, 3)),
            ],
            vec!["autoscale"],
        ),
        (vec![("num_workers", Value::int(-1))], vec!["num_workers"]),
        (
            vec![("autoscale", autoscale(4, 2))],
            vec!["autoscale", "min_workers"],
        ),
        (
            vec![("autoscale", autoscale(1, -3))],
            vec!["autoscale", "max_workers"],
        ),
        (
            vec![("autotermination_minutes", Value::int(-5))],
            vec!["autotermination_minutes"],
        ),
        (
            vec![("autotermination_minutes", Value::int(3))],
            vec!["autotermination_minutes"],
        ),
    ];
    for (extra, path) in cases {
        let config = cluster_config(&tf, extra);
        let diagnostics = tf.validate(CLUSTER, &config).await;
        assert_eq!(errors(&diagnostics).len(), 1, "{diagnostics:?}");
        let at = path_names(diagnostics[0].attribute.as_ref().unwrap());
        assert_eq!(at, path, "{diagnostics:?}");
        let plan = tf.plan(CLUSTER, &Value::Null, &config, Vec::new()).await;
        assert_eq!(errors(&plan.diagnostics).len(), 1, "{:?}", plan.diagnostics);
        assert!(plan.state.is_null(), "no planned state with an error");
    }
    assert_eq!(tf.emulator.journal().len(), before, "no upstream call");
}

#[tokio::test]
async fn what_the_service_refuses_points_at_the_attribute_or_carries_databricks_error() {
    let tf = per_read().await;
    // The service checks every field before any upstream call and names it.
    let before = tf.emulator.journal().len();
    let mut unnamed = cluster_config(&tf, vec![("spark_conf", tags(&[("", "x")]))]);
    unnamed.set_attr("cluster_name", s(""));
    let refused = tf.plan_and_apply(CLUSTER, &Value::Null, &unnamed).await;
    assert!(refused.state.is_null(), "nothing was created");
    let mut at: Vec<Vec<String>> = refused
        .diagnostics
        .iter()
        .map(|d| path_names(d.attribute.as_ref().unwrap()))
        .collect();
    at.sort();
    assert_eq!(
        at,
        [vec!["cluster_name"], vec!["spark_conf"]],
        "{:?}",
        refused.diagnostics
    );
    assert_eq!(tf.emulator.journal().len(), before, "no upstream call");
    // Databricks' own refusal: its error code and message.
    let mut unknown_runtime = cluster_config(&tf, vec![]);
    unknown_runtime.set_attr("spark_version", s("1.0.x-nothing"));
    let refused = tf
        .plan_and_apply(CLUSTER, &Value::Null, &unknown_runtime)
        .await;
    let errors = refused.errors();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].contains("Failed creating cluster etl"),
        "{errors:?}"
    );
    assert!(errors[0].contains("INVALID_PARAMETER_VALUE"), "{errors:?}");
    assert!(errors[0].contains("Invalid spark version"), "{errors:?}");
}

#[tokio::test]
async fn stop_provider_ends_the_wait_and_keeps_the_cluster_in_state() {
    // Nothing moves unless ticked: the create waits in PENDING for ever.
    let tf = Tf::start(EmulatorConfig::default().with_pace(Pace::Manual)).await;
    let config = cluster_config(&tf, vec![("num_workers", Value::int(1))]);
    let plan = tf.plan(CLUSTER, &Value::Null, &config, Vec::new()).await;
    let apply = tf.apply(CLUSTER, &Value::Null, &plan.state, &config, plan.private);
    let stop = async {
        // Ctrl-C once the wait has begun (WatchCluster has polled).
        while tf.upstream_calls(GET).is_empty() {
            tokio::task::yield_now().await;
        }
        tf.provider
            .stop_provider(Request::new(stop_provider::Request::default()))
            .await
            .unwrap();
    };
    let (applied, ()) = tokio::join!(apply, stop);
    let errors = applied.errors();
    assert!(
        errors
            .iter()
            .any(|e| e.contains("Stopped while waiting for cluster")),
        "{errors:?}"
    );
    let cluster_id = applied
        .state
        .attr("cluster_id")
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(applied.state.attr("id"), &s(&cluster_id));
    assert_eq!(applied.state.attr("num_workers"), &Value::int(1));
    assert!(applied.state.is_wholly_known());
    assert_eq!(remote(&tf, &cluster_id).await.unwrap().raw_state, "PENDING");
    // The next refresh finds it, so it is not orphaned.
    tf.emulator.tick();
    let read = tf.read(CLUSTER, &applied.state, applied.private).await;
    assert_eq!(read.state.attr("cluster_id"), &s(&cluster_id));
}

#[tokio::test]
async fn a_create_whose_cluster_cannot_reach_running_keeps_it_in_state_with_the_reason() {
    let tf = Tf::start(EmulatorConfig::default().with_pace(Pace::Manual)).await;
    let config = cluster_config(&tf, vec![("num_workers", Value::int(1))]);
    let plan = tf.plan(CLUSTER, &Value::Null, &config, Vec::new()).await;
    let apply = tf.apply(CLUSTER, &Value::Null, &plan.state, &config, plan.private);
    let terminate = async {
        // Someone terminates the cluster while the create waits for it.
        while tf.upstream_calls(GET).is_empty() {
            tokio::task::yield_now().await;
        }
        let listed = client(&tf)
            .list_clusters(pb::ListClustersRequest {
                name: "etl".into(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        let cluster_id = listed.clusters[0].cluster_id.clone();
        client(&tf)
            .terminate_cluster(pb::TerminateClusterRequest {
                cluster_id: cluster_id.clone(),
            })
            .await
            .unwrap();
        cluster_id
    };
    let (applied, cluster_id) = tokio::join!(apply, terminate);
    let errors = applied.errors();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].contains("FailedPrecondition"), "{errors:?}");
    assert!(errors[0].contains("TERMINATING"), "{errors:?}");
    assert_eq!(applied.state.attr("cluster_id"), &s(&cluster_id));
    assert_eq!(
        applied.state.attr("autotermination_minutes"),
        &Value::int(120),
        "what GetCluster knows is filled"
    );
}

#[tokio::test]
async fn the_cluster_data_source_finds_by_id_or_exact_name() {
    let tf = per_read().await;
    let by_id = tf
        .read_data_source(
            CLUSTER,
            &tf.data_config(CLUSTER, vec![("cluster_id", s(RUNNING))]),
        )
        .await;
    assert!(by_id.errors().is_empty(), "{:?}", by_id.errors());
    assert_eq!(by_id.state.attr("state"), &s("RUNNING"));
    assert_eq!(by_id.state.attr("id"), &s(RUNNING));
    assert_eq!(by_id.state.attr("cluster_name"), &s("emulator-running"));
    assert!(by_id.state.is_wholly_known());
    let by_name = tf
        .read_data_source(
            CLUSTER,
            &tf.data_config(CLUSTER, vec![("cluster_name", s("emulator-running"))]),
        )
        .await;
    assert_eq!(by_name.state, by_id.state);

    let none = tf
        .read_data_source(
            CLUSTER,
            &tf.data_config(CLUSTER, vec![("cluster_name", s("nope"))]),
        )
        .await;
    assert_eq!(
        path_names(none.diagnostics[0].attribute.as_ref().unwrap()),
        ["cluster_name"]
    );
    let missing = tf
        .read_data_source(
            CLUSTER,
            &tf.data_config(CLUSTER, vec![("cluster_id", s("0000-000000-missing0"))]),
        )
        .await;
    assert!(
        missing.errors()[0].contains("No cluster"),
        "{:?}",
        missing.errors()
    );

    let mut twins = Vec::new();
    for _ in 0..2 {
        let created = client(&tf)
            .create_cluster(pb::CreateClusterRequest {
                cluster_name: "twin".into(),
                spark_version: "15.4.x-scala2.12".into(),
                node_type_id: "i3.xlarge".into(),
                num_workers: Some(0),
                ..Default::default()
            })
            .await
            .unwrap();
        twins.push(created.into_inner().cluster_id);
    }
    let several = tf
        .read_data_source(
            CLUSTER,
            &tf.data_config(CLUSTER, vec![("cluster_name", s("twin"))]),
        )
        .await;
    let errors = several.errors();
    assert!(errors[0].contains("2 clusters are named"), "{errors:?}");
    for id in &twins {
        assert!(errors[0].contains(id.as_str()), "{errors:?}");
    }
}

#[tokio::test]
async fn the_cluster_data_source_needs_exactly_one_of_id_and_name() {
    let tf = per_read().await;
    let before = tf.emulator.journal().len();
    let neither = tf
        .validate_data_source(CLUSTER, &tf.data_config(CLUSTER, vec![]))
        .await;
    assert_eq!(
        path_names(neither[0].attribute.as_ref().unwrap()),
        ["cluster_id"]
    );
    let both = tf.data_config(
        CLUSTER,
        vec![("cluster_id", s(RUNNING)), ("cluster_name", s("x"))],
    );
    let diagnostics = tf.validate_data_source(CLUSTER, &both).await;
    assert_eq!(
        path_names(diagnostics[0].attribute.as_ref().unwrap()),
        ["cluster_name"]
    );
    let read = tf.read_data_source(CLUSTER, &both).await;
    assert_eq!(read.errors().len(), 1);
    assert_eq!(tf.emulator.journal().len(), before, "no upstream call");
}

#[tokio::test]
async fn the_clusters_data_source_lists_every_page_with_the_filters() {
    const SEEDED: usize = 150;
    let tf = Tf::start(
        EmulatorConfig::default()
            .with_pace(Pace::Manual)
            .with_seeded_clusters(SEEDED),
    )
    .await;
    let all = tf
        .read_data_source(CLUSTERS, &tf.data_config(CLUSTERS, vec![]))
        .await;
    assert!(all.errors().is_empty(), "{:?}", all.errors());
    let ids = all.state.attr("ids").strings();
    let interactive = 2 + (0..SEEDED).filter(|i| i % 3 != 2).count();
    assert_eq!(ids.len(), interactive, "UI and API clusters, every page");
    assert!(tf.upstream_calls("/api/2.1/clusters/list").len() >= 2);
    assert_eq!(all.state.attr("clusters").elements().len(), ids.len());
    assert_eq!(all.state.attr("id"), &s("clusters"));

    let running = tf
        .read_data_source(
            CLUSTERS,
            &tf.data_config(
                CLUSTERS,
                vec![
                    ("states", Value::List(vec![s("RUNNING")])),
                    ("name", s("emulator-running")),
                ],
            ),
        )
        .await;
    assert_eq!(running.state.attr("ids").strings(), [RUNNING]);
    let [summary] = running.state.attr("clusters").elements() else {
        panic!("{:?}", running.state)
    };
    assert_eq!(summary.attr("state"), &s("RUNNING"));
    let jobs = tf
        .read_data_source(
            CLUSTERS,
            &tf.data_config(CLUSTERS, vec![("sources", Value::List(vec![s("JOB")]))]),
        )
        .await;
    assert_eq!(
        jobs.state.attr("ids").strings().len(),
        (0..SEEDED).filter(|i| i % 3 == 2).count()
    );

    let before = tf.emulator.journal().len();
    let bad = tf.data_config(CLUSTERS, vec![("states", Value::List(vec![s("RUNNIN")]))]);
    let diagnostics = tf.validate_data_source(CLUSTERS, &bad).await;
    assert_eq!(
        path_names(diagnostics[0].attribute.as_ref().unwrap()),
        ["states"]
    );
    let bad = tf.data_config(CLUSTERS, vec![("sources", Value::List(vec![s("CLI")]))]);
    let diagnostics = tf.validate_data_source(CLUSTERS, &bad).await;
    assert_eq!(
        path_names(diagnostics[0].attribute.as_ref().unwrap()),
        ["sources"]
    );
    assert_eq!(tf.emulator.journal().len(), before, "no upstream call");
}
