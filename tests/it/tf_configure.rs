//! ConfigureProvider: the provider block resolved by the same code as
//! `serve` (http:// only to loopback; secrets never in diagnostics), and the
//! in-process channel reaching the emulator.

use databricks_grpc::{
    proto::compute::ListClustersRequest,
    provider::{
        proto::{DynamicValue, configure_provider, provider_server::Provider},
        schema::provider_schema,
        service::DbgrpcProvider,
        value::{self, Value, block_type},
    },
};
use tonic::Request;

use crate::tf_harness::{Tf, emulator, errors};

async fn configure(settings: Vec<(&str, Value)>) -> Vec<String> {
    let ty = block_type(provider_schema().block.as_ref().unwrap()).unwrap();
    let mut config = Value::object(
        [
            "host",
            "token",
            "profile",
            "auth_type",
            "client_id",
            "client_secret",
        ]
        .map(|name| (name, Value::Null)),
    );
    for (name, value) in settings {
        config.set_attr(name, value);
    }
    let reply = DbgrpcProvider::default()
        .configure_provider(Request::new(configure_provider::Request {
            terraform_version: "1.11.4".into(),
            config: Some(DynamicValue {
                msgpack: value::encode(&config, &ty).unwrap(),
                json: Vec::new(),
            }),
            client_capabilities: None,
        }))
        .await
        .unwrap()
        .into_inner();
    errors(&reply.diagnostics)
}

#[tokio::test]
async fn a_configured_provider_reaches_the_emulator_through_its_own_service() {
    let tf = Tf::start(emulator()).await;
    let mut client = tf.provider.state().client.get().unwrap().clone();
    client
        .list_clusters(ListClustersRequest::default())
        .await
        .unwrap();
    assert_eq!(tf.upstream_calls("/api/2.1/clusters/list").len(), 1);
    // An unknown type answers a diagnostic naming it.
    let answer = tf.read_data_unknown_type().await;
    assert!(
        answer.iter().any(|e| e.contains("Unknown data source")),
        "{answer:?}"
    );
}

#[tokio::test]
async fn plain_http_to_a_remote_host_is_refused_and_the_token_is_never_shown() {
    let errors = configure(vec![
        ("host", Value::string("http://databricks.example.com")),
        ("token", Value::string("dapi-very-secret-0042")),
    ])
    .await;
    let [error] = errors.as_slice() else {
        panic!("{errors:?}")
    };
    assert!(error.contains("could not be configured"), "{error}");
    assert!(error.contains("http://"), "{error}");
    assert!(!error.contains("dapi-very-secret-0042"), "{error}");
}

#[tokio::test]
async fn an_unknown_setting_points_at_it() {
    let errors = configure(vec![("host", Value::unknown())]).await;
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].contains("`host` is not known yet"), "{errors:?}");
}
