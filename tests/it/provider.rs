//! Terraform provider mode, black-box: `terraform-provider-dbgrpc` launched
//! the way Terraform launches it (its magic cookie, `PLUGIN_PROTOCOL_VERSIONS`
//! "5,6", its P-521 client certificate), reached over AutoMTLS with the
//! certificate from handshake field 6.

use databricks_grpc::{
    plugin::proto::{Empty, grpc_controller_client::GrpcControllerClient},
    provider::{
        COOKIE_KEY, COOKIE_VALUE,
        proto::{get_provider_schema, provider_client::ProviderClient},
    },
};

use crate::plugin::{
    assert_hclog_lines,
    clients::{HostCert, connector, server_cert, tls_channel},
    harness::{PluginProcess, command, exists},
};

async fn start_like_terraform(host: &HostCert) -> PluginProcess {
    PluginProcess::launch(
        command(env!("CARGO_BIN_EXE_terraform-provider-dbgrpc"), &[]),
        (COOKIE_KEY, COOKIE_VALUE),
        &[
            ("PLUGIN_PROTOCOL_VERSIONS", "5,6"),
            ("PLUGIN_MIN_PORT", "10000"),
            ("PLUGIN_MAX_PORT", "25000"),
            ("PLUGIN_CLIENT_CERT", &host.pem),
        ],
    )
    .await
}

#[tokio::test]
async fn terraform_gets_the_provider_schema_over_mtls_and_shuts_it_down() {
    let host = HostCert::generate();
    let mut provider = start_like_terraform(&host).await;
    let fields = provider.fields();
    assert_eq!(fields.len(), 6, "{}", provider.handshake);
    assert_eq!(&fields[..3], ["1", "6", "unix"], "{}", provider.handshake);
    assert_eq!(fields[4], "grpc");
    assert!(
        fields[5].len() > 50 && !fields[5].contains('='),
        "{}",
        fields[5]
    );
    let server = server_cert(fields[5]);
    let socket = provider.socket();
    let channel = tls_channel(socket.clone(), connector(server, Some(&host)))
        .await
        .unwrap();

    let schema = ProviderClient::new(channel.clone())
        .get_provider_schema(get_provider_schema::Request {})
        .await
        .unwrap()
        .into_inner();
    assert!(schema.diagnostics.is_empty(), "{:?}", schema.diagnostics);
    // The binary serves exactly the five types (each with its block).
    let mut resources: Vec<&str> = schema.resource_schemas.keys().map(String::as_str).collect();
    resources.sort_unstable();
    assert_eq!(
        resources,
        [
            "dbgrpc_cluster",
            "dbgrpc_cluster_libraries",
            "dbgrpc_library_file"
        ]
    );
    let mut data_sources: Vec<&str> = schema
        .data_source_schemas
        .keys()
        .map(String::as_str)
        .collect();
    data_sources.sort_unstable();
    assert_eq!(data_sources, ["dbgrpc_cluster", "dbgrpc_clusters"]);
    assert!(
        schema
            .resource_schemas
            .values()
            .chain(schema.data_source_schemas.values())
            .all(|schema| schema.block.is_some())
    );
    let block = schema.provider.unwrap().block.unwrap();
    let attributes: Vec<(&str, &[u8], bool, bool)> = block
        .attributes
        .iter()
        .map(|a| {
            (
                a.name.as_str(),
                a.r#type.as_slice(),
                a.optional,
                a.sensitive,
            )
        })
        .collect();
    let string = &br#""string""#[..];
    assert_eq!(
        attributes,
        [
            ("host", string, true, false),
            ("token", string, true, true),
            ("profile", string, true, false),
            ("auth_type", string, true, false),
            ("client_id", string, true, false),
            ("client_secret", string, true, true),
        ]
    );
    assert!(block.attributes.iter().all(|a| !a.description.is_empty()));

    GrpcControllerClient::new(channel)
        .shutdown(Empty {})
        .await
        .unwrap();
    assert_eq!(provider.exit().await.code(), Some(0));
    assert!(!exists(&socket));
    assert_eq!(
        provider.rest_of_stdout().await,
        "",
        "stdout after the handshake"
    );
    let stderr = provider.all_stderr().await;
    assert!(
        stderr.contains("the host asked the plugin to shut down"),
        "{stderr}"
    );
    assert_hclog_lines(&stderr);
}

#[tokio::test]
async fn sigint_is_ignored_and_sigterm_stops_it() {
    let host = HostCert::generate();
    let mut provider = start_like_terraform(&host).await;
    let server = server_cert(provider.fields()[5]);
    let socket = provider.socket();
    provider.signal(nix::sys::signal::Signal::SIGINT);
    // Still serving after SIGINT: a call succeeds on a fresh connection.
    let channel = tls_channel(socket.clone(), connector(server, Some(&host)))
        .await
        .unwrap();
    ProviderClient::new(channel)
        .get_provider_schema(get_provider_schema::Request {})
        .await
        .unwrap();
    provider.signal(nix::sys::signal::Signal::SIGTERM);
    assert_eq!(provider.exit().await.code(), Some(0));
    // Signals arrive in order; the SIGINT is drained (and logged) first.
    let stderr = provider.all_stderr().await;
    assert!(stderr.contains("SIGINT ignored"), "{stderr}");
    assert!(!exists(&socket));
}

#[tokio::test]
async fn without_terraforms_cookie_it_explains_and_exits_1_printing_nothing() {
    let output = command(env!("CARGO_BIN_EXE_terraform-provider-dbgrpc"), &[])
        .env_remove(COOKIE_KEY)
        .output()
        .await
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty(), "{:?}", output.stdout);
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("Terraform provider plugin"), "{stderr}");
}
