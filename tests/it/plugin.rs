//! go-plugin mode, black-box: the binary launched as a go-plugin host
//! launches it. Covers what Debian's older go-plugin host cannot check in
//! the interop test: ALPN h2, nothing but the handshake on stdout, no
//! certificate field without AutoMTLS, the pinned client certificate, TCP,
//! multiplexing refusal and every way the plugin is told to exit.

pub(crate) mod clients;
pub(crate) mod harness;
mod tls;

use databricks_grpc::plugin::proto::{
    Empty, grpc_controller_client::GrpcControllerClient, grpc_stdio_client::GrpcStdioClient,
};
use std::path::PathBuf;

use databricks_grpc::plugin::{COOKIE_KEY, COOKIE_VALUE};
use nix::sys::signal::Signal;
use tonic_health::pb::health_check_response::ServingStatus;

use self::{
    clients::{health, plain_channel},
    harness::{PluginProcess, base_command, exists},
};

const EMULATOR: &[&str] = &["plugin", "--emulator"];

#[tokio::test]
async fn without_the_cookie_it_explains_and_exits_1_printing_nothing() {
    let output = base_command(&["plugin", "--emulator"])
        .output()
        .await
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty(), "{:?}", output.stdout);
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.starts_with("This binary is a plugin."), "{stderr}");
}

#[tokio::test]
async fn the_cookie_alone_selects_plugin_mode_configured_like_serve() {
    // No command, no flags: what Terraform-style hosts run. The workspace
    // comes from the environment, as for `serve` (nothing listens there).
    let env = [
        ("DATABRICKS_HOST", "http://127.0.0.1:9"),
        ("DATABRICKS_TOKEN", "dapi-test"),
    ];
    let mut plugin = PluginProcess::start(&[], &env).await;
    assert!(
        plugin.handshake.starts_with("1|1|unix|"),
        "{}",
        plugin.handshake
    );
    plugin.signal(Signal::SIGTERM);
    assert!(plugin.exit().await.success());
}

#[tokio::test]
async fn plaintext_handshake_serves_health_and_shuts_down_cleanly() {
    let env = [("PLUGIN_PROTOCOL_VERSIONS", "3,1")];
    let mut plugin = PluginProcess::start(EMULATOR, &env).await;
    let fields = plugin.fields();
    assert_eq!(fields.len(), 6, "{}", plugin.handshake);
    assert_eq!(&fields[..3], ["1", "1", "unix"]);
    assert_eq!(
        &fields[4..],
        ["grpc", ""],
        "no certificate without AutoMTLS"
    );
    let socket = plugin.socket();
    assert!(
        socket.starts_with(&plugin.dir.0),
        "socket in PLUGIN_UNIX_SOCKET_DIR"
    );
    assert!(exists(&socket));

    let channel = plain_channel(socket.clone()).await;
    for service in ["plugin", ""] {
        assert_eq!(
            health(channel.clone(), service).await.unwrap(),
            ServingStatus::Serving
        );
    }
    let mut stdio = GrpcStdioClient::new(channel.clone())
        .stream_stdio(())
        .await
        .unwrap()
        .into_inner();
    GrpcControllerClient::new(channel)
        .shutdown(Empty {})
        .await
        .unwrap();
    assert!(
        stdio.message().await.unwrap().is_none(),
        "stdio ends, empty"
    );
    assert_eq!(plugin.exit().await.code(), Some(0));
    assert_eq!(
        plugin.rest_of_stdout().await,
        "",
        "stdout carries only the handshake"
    );
    assert!(!exists(&socket), "the socket file is removed");
    assert_hclog_lines(&plugin.all_stderr().await);
}

/// Every stderr line is an hclog JSON object a Go host parses.
pub(crate) fn assert_hclog_lines(stderr: &str) {
    assert!(
        stderr.contains("plugin serving; handshake sent"),
        "{stderr}"
    );
    for line in stderr.lines() {
        let object: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(line).unwrap_or_else(|_| panic!("not JSON: {line}"));
        let level = object["@level"].as_str().unwrap();
        assert!(
            ["trace", "debug", "info", "warn", "error"].contains(&level),
            "{line}"
        );
        assert!(object["@message"].is_string(), "{line}");
        assert!(object["@module"].is_string(), "{line}");
        let stamp = object["@timestamp"].as_str().unwrap();
        assert_eq!(stamp.len(), "2006-01-02T15:04:05.000000Z".len(), "{line}");
        assert_eq!(stamp.split('.').nth(1).map(str::len), Some(7), "{line}");
    }
}

#[tokio::test]
async fn sigterm_exits_cleanly_and_sigint_is_ignored() {
    let mut plugin = PluginProcess::start(EMULATOR, &[]).await;
    let socket = plugin.socket();
    plugin.signal(Signal::SIGINT);
    // Still serving after SIGINT: a health check goes through.
    let channel = plain_channel(socket.clone()).await;
    assert_eq!(
        health(channel, "plugin").await.unwrap(),
        ServingStatus::Serving
    );
    plugin.signal(Signal::SIGTERM);
    assert_eq!(plugin.exit().await.code(), Some(0));
    assert!(!exists(&socket));
    let stderr = plugin.all_stderr().await;
    assert!(stderr.contains("SIGINT ignored"), "{stderr}");
}

#[tokio::test]
async fn the_host_closing_stdout_stops_the_plugin() {
    let mut plugin = PluginProcess::start(EMULATOR, &[]).await;
    let socket = plugin.socket();
    drop(plugin.stdout.take());
    assert_eq!(plugin.exit().await.code(), Some(0));
    assert!(!exists(&socket));
    assert!(plugin.all_stderr().await.contains("closed our stdout"));
}

#[tokio::test]
async fn no_common_version_announces_our_lowest() {
    let env = [("PLUGIN_PROTOCOL_VERSIONS", "5,6")];
    let mut plugin = PluginProcess::start(EMULATOR, &env).await;
    assert_eq!(plugin.fields()[1], "1");
    plugin.signal(Signal::SIGTERM);
    assert!(plugin.exit().await.success());
}

#[tokio::test]
async fn multiplexing_requests_get_an_explicit_false() {
    let env = [("PLUGIN_MULTIPLEX_GRPC", "true")];
    let mut plugin = PluginProcess::start(EMULATOR, &env).await;
    assert_eq!(plugin.fields().len(), 7, "{}", plugin.handshake);
    assert!(
        plugin.handshake.ends_with("|grpc||false"),
        "{}",
        plugin.handshake
    );
    plugin.signal(Signal::SIGTERM);
    assert!(plugin.exit().await.success());
}

#[tokio::test]
async fn tcp_takes_the_first_free_port_of_the_range() {
    // Hold one port so the plugin has to skip it.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let first = taken.local_addr().unwrap().port();
    let (min, max) = (first.to_string(), first.saturating_add(200).to_string());
    let env = [
        ("PLUGIN_MIN_PORT", min.as_str()),
        ("PLUGIN_MAX_PORT", max.as_str()),
    ];
    let mut args = EMULATOR.to_vec();
    args.extend(["--network", "tcp"]);
    let mut plugin = PluginProcess::start(&args, &env).await;
    let fields = plugin.fields();
    assert_eq!(fields[2], "tcp");
    let (host, port) = fields[3].split_once(':').unwrap();
    let port: u16 = port.parse().unwrap();
    assert_eq!(host, "127.0.0.1");
    assert!(port > first && port <= first.saturating_add(200), "{port}");
    plugin.signal(Signal::SIGTERM);
    assert!(plugin.exit().await.success());
}

#[tokio::test]
async fn the_host_dying_stops_the_plugin() {
    use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, BufReader};

    // A shell plays the host: it starts the plugin, then is SIGKILLed.
    let dir = harness::TempDir::new();
    let script = "\"$0\" plugin --emulator & echo $!; wait";
    let mut host = harness::command("sh", &["-c", script, env!("CARGO_BIN_EXE_databricks-grpc")]);
    host.env(COOKIE_KEY, COOKIE_VALUE)
        .env("PLUGIN_UNIX_SOCKET_DIR", &dir.0);
    let mut host = host.spawn().unwrap();
    let mut stdout = BufReader::new(host.stdout.take().unwrap());
    let mut socket = None;
    for _ in 0..2 {
        // The shell's `echo $!` and the plugin's handshake, in either order.
        let mut line = String::new();
        stdout.read_line(&mut line).await.unwrap();
        if line.starts_with("1|") {
            socket = Some(PathBuf::from(line.split('|').nth(3).unwrap()));
        }
    }
    let socket = socket.expect("a handshake line");
    assert!(exists(&socket));
    host.start_kill().unwrap();
    host.wait().await.unwrap();
    // Only the orphaned plugin still holds the pipe: EOF means it exited.
    let mut rest = String::new();
    tokio::time::timeout(harness::LIMIT, stdout.read_to_string(&mut rest))
        .await
        .expect("the orphaned plugin did not exit")
        .unwrap();
    assert_eq!(rest, "");
    assert!(!exists(&socket), "the socket file is removed");
}
