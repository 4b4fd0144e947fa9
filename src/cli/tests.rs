use super::*;

#[test]
fn durations() {
    assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
    assert_eq!(parse_duration("2s"), Ok(Duration::from_secs(2)));
    assert_eq!(parse_duration("0s"), Ok(Duration::ZERO));
    assert_eq!(parse_duration("3"), Ok(Duration::from_secs(3)));
    assert_eq!(parse_duration("1m"), Ok(Duration::from_secs(60)));
    assert!(parse_duration("soon").is_err());
    assert_eq!(parse_duration("20m"), Ok(Duration::from_secs(1200)));
    assert!(parse_duration("5d").is_err());
}

#[test]
fn pass_through_takes_a_host_but_no_server_credentials() {
    use clap::Parser;
    let parsed = Cli::try_parse_from([
        "databricks-grpc",
        "serve",
        "--auth-passthrough",
        "--host",
        "https://adb-1.example",
    ]);
    assert!(parsed.is_ok(), "{parsed:?}");
    for flag in [["--token", "dapi-x"], ["--auth-type", "pat"]] {
        let parsed = Cli::try_parse_from([
            "databricks-grpc",
            "serve",
            "--auth-passthrough",
            flag[0],
            flag[1],
        ]);
        let error = parsed.unwrap_err().to_string();
        assert!(error.contains("cannot be used with"), "{error}");
    }
}

#[test]
fn serve_drains_for_the_default_limit_unless_told() {
    use clap::Parser;
    use databricks_grpc::server::{CONTEXT_CLEANUP_BUDGET, DEFAULT_DRAIN_LIMIT};
    let drain_limit = |extra: &[&str]| {
        let cli = Cli::try_parse_from(["databricks-grpc", "serve"].iter().chain(extra));
        match cli.unwrap().command {
            Some(Command::Serve(args)) => args.drain_limit,
            other => panic!("{other:?}"),
        }
    };
    assert_eq!(drain_limit(&[]), DEFAULT_DRAIN_LIMIT);
    assert_eq!(
        drain_limit(&["--drain-limit", "500ms"]),
        Duration::from_millis(500)
    );
    // The help names the clean-up budget.
    assert_eq!(CONTEXT_CLEANUP_BUDGET, Duration::from_secs(5));
    let help = {
        use clap::CommandFactory;
        Cli::command()
            .find_subcommand_mut("serve")
            .unwrap()
            .render_long_help()
            .to_string()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    assert!(help.contains("for at most 5s"), "{help}");
}

#[test]
fn connection_flags_default_to_the_server_defaults() {
    use clap::Parser;
    let cli = Cli::try_parse_from(["databricks-grpc", "serve", "--emulator"]).unwrap();
    let Some(Command::Serve(args)) = cli.command else {
        panic!("serve parses as serve");
    };
    assert_eq!(
        args.connections.server_options(),
        server::ServerOptions::default()
    );
    for flag in ["--max-connections=0", "--handshake-timeout=0s"] {
        let parsed = Cli::try_parse_from(["databricks-grpc", "serve", flag]);
        assert!(parsed.is_err(), "{flag} is refused");
    }
}

#[test]
fn cli_is_consistent() {
    use clap::CommandFactory;
    Cli::command().debug_assert();
}

#[test]
fn metrics_are_off_unless_an_address_is_given() {
    use clap::Parser;
    let metrics_listen = |extra: &[&str]| {
        let cli = Cli::try_parse_from(["databricks-grpc", "serve"].iter().chain(extra));
        match cli.unwrap().command {
            Some(Command::Serve(args)) => args.metrics.metrics_listen,
            other => panic!("{other:?}"),
        }
    };
    assert_eq!(metrics_listen(&[]), None);
    assert_eq!(
        metrics_listen(&["--metrics-listen", "127.0.0.1:9090"]),
        Some("127.0.0.1:9090".parse().unwrap())
    );
    let help = {
        use clap::CommandFactory;
        Cli::command()
            .find_subcommand_mut("serve")
            .unwrap()
            .render_long_help()
            .to_string()
    };
    let heading = help.find("Metrics:").expect("a Metrics heading");
    assert!(
        help[heading..].contains("--metrics-listen <ADDR>"),
        "{help}"
    );
}

#[test]
fn overload_caps_default_to_the_server_defaults_and_0_turns_one_off() {
    use clap::Parser;
    let serve = |extra: &[&str]| {
        let base = ["databricks-grpc", "serve", "--emulator"];
        let cli = Cli::try_parse_from(base.iter().chain(extra)).unwrap();
        let Some(Command::Serve(args)) = cli.command else {
            panic!("serve parses as serve");
        };
        args.overload.call_limits()
    };
    assert_eq!(serve(&[]), server::ServerOptions::default().call_limits);
    let limits = serve(&[
        "--max-calls=5",
        "--max-streams=0",
        "--max-calls-per-caller=2",
    ]);
    assert_eq!(
        limits,
        CallLimits {
            calls: 5,
            streams: 0,
            per_caller: 2,
        }
    );
}
