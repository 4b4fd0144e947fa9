//! Resolution like the SDKs: flags, environment, profiles, auth methods.

use std::{collections::HashMap, path::PathBuf};

use super::*;

fn map(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// A config file in a fresh temporary directory; returns its path.
fn config_file(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "databricks-grpc-config-{}-{name}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("databrickscfg");
    std::fs::write(&path, text).unwrap();
    path
}

fn resolve(pairs: &[(&str, &str)]) -> Result<DatabricksConfig, ConfigError> {
    DatabricksConfig::resolve(Overrides::default(), &map(pairs))
}

#[test]
fn token_from_environment_and_host_normalized() {
    let config = resolve(&[
        ("DATABRICKS_HOST", "adb-123.azuredatabricks.net:443/"),
        ("DATABRICKS_TOKEN", "dapi1"),
    ])
    .unwrap();
    assert_eq!(config.host, "https://adb-123.azuredatabricks.net");
    assert_eq!(
        config.credentials,
        Credentials::Pat {
            token: Secret::new("dapi1")
        }
    );
}

#[test]
fn flags_win_over_environment() {
    let env = map(&[
        ("DATABRICKS_HOST", "https://a.example"),
        ("DATABRICKS_TOKEN", "env"),
    ]);
    let overrides = Overrides {
        host: Some("http://127.0.0.1:8080".into()),
        token: Some(Secret::new("flag")),
        ..Overrides::default()
    };
    let config = DatabricksConfig::resolve(overrides, &env).unwrap();
    assert_eq!(config.host, "http://127.0.0.1:8080");
    assert_eq!(
        config.credentials,
        Credentials::Pat {
            token: Secret::new("flag")
        }
    );
}

#[test]
fn reports_every_problem_at_once() {
    let error = resolve(&[]).unwrap_err();
    assert_eq!(error.problems.len(), 2, "{error}");
    let text = error.to_string();
    assert!(
        text.contains("DATABRICKS_HOST") && text.contains("DATABRICKS_TOKEN"),
        "{text}"
    );
}

#[test]
fn rejects_paths_and_odd_schemes() {
    assert!(
        resolve(&[
            ("DATABRICKS_HOST", "https://a.example/api"),
            ("DATABRICKS_TOKEN", "t")
        ])
        .is_err()
    );
    assert!(
        resolve(&[
            ("DATABRICKS_HOST", "ftp://a.example"),
            ("DATABRICKS_TOKEN", "t")
        ])
        .is_err()
    );
}

#[test]
fn profiles_default_named_and_settings() {
    let path = config_file(
        "profiles",
        "[DEFAULT]\nhost = https://default.example\ntoken = dapi-default\n\n\
         [staging]\nhost = https://staging.example\nclient_id = sp\nclient_secret = s3cret\n",
    );
    let file = path.to_str().unwrap();
    let config = resolve(&[("DATABRICKS_CONFIG_FILE", file)]).unwrap();
    assert_eq!(config.host, "https://default.example");
    assert!(config.source.contains("[DEFAULT]"), "{}", config.source);
    let config = resolve(&[
        ("DATABRICKS_CONFIG_FILE", file),
        ("DATABRICKS_CONFIG_PROFILE", "staging"),
    ])
    .unwrap();
    assert_eq!(config.credentials.auth_type(), "oauth-m2m");
    // The environment wins over the file.
    let config = resolve(&[
        ("DATABRICKS_CONFIG_FILE", file),
        ("DATABRICKS_HOST", "https://env.example"),
    ])
    .unwrap();
    assert_eq!(config.host, "https://env.example");
    // A named profile that is missing is an error.
    let error = resolve(&[
        ("DATABRICKS_CONFIG_FILE", file),
        ("DATABRICKS_CONFIG_PROFILE", "prod"),
    ])
    .unwrap_err();
    assert!(error.to_string().contains("[prod]"), "{error}");
}

#[test]
fn default_profile_setting_and_missing_default() {
    let path = config_file(
        "settings",
        "[__settings__]\ndefault_profile = dev\n[dev]\nhost = dev.example\ntoken = t\n",
    );
    let config = resolve(&[("DATABRICKS_CONFIG_FILE", path.to_str().unwrap())]).unwrap();
    assert_eq!(config.host, "https://dev.example");
    let path = config_file("nodefault", "[other]\nhost = x.example\n");
    let config = resolve(&[
        ("DATABRICKS_CONFIG_FILE", path.to_str().unwrap()),
        ("DATABRICKS_HOST", "h.example"),
        ("DATABRICKS_TOKEN", "t"),
    ])
    .unwrap();
    assert_eq!(
        config.host, "https://h.example",
        "a missing [DEFAULT] is skipped"
    );
}

#[test]
fn basic_and_oauth_and_conflicts() {
    let base = [("DATABRICKS_HOST", "h.example")];
    let basic = resolve(&[
        base[0],
        ("DATABRICKS_USERNAME", "u"),
        ("DATABRICKS_PASSWORD", "p"),
    ])
    .unwrap();
    assert_eq!(
        basic.credentials,
        Credentials::Basic {
            username: "u".into(),
            password: Secret::new("p")
        }
    );
    let both = resolve(&[
        base[0],
        ("DATABRICKS_USERNAME", "u"),
        ("DATABRICKS_PASSWORD", "p"),
        ("DATABRICKS_TOKEN", "t"),
    ]);
    let error = both.unwrap_err().to_string();
    assert!(
        error.contains("more than one authorization method configured: pat and basic"),
        "{error}"
    );
    let forced = resolve(&[
        base[0],
        ("DATABRICKS_USERNAME", "u"),
        ("DATABRICKS_PASSWORD", "p"),
        ("DATABRICKS_TOKEN", "t"),
        ("DATABRICKS_AUTH_TYPE", "basic"),
    ])
    .unwrap();
    assert_eq!(forced.credentials.auth_type(), "basic");
    let half = resolve(&[base[0], ("DATABRICKS_CLIENT_ID", "sp")])
        .unwrap_err()
        .to_string();
    assert!(half.contains("DATABRICKS_CLIENT_SECRET is not"), "{half}");
    let wrong = resolve(&[
        base[0],
        ("DATABRICKS_TOKEN", "t"),
        ("DATABRICKS_AUTH_TYPE", "oauth-m2m"),
    ])
    .unwrap_err();
    assert!(
        wrong.to_string().contains("needs DATABRICKS_CLIENT_ID"),
        "{wrong}"
    );
}

#[test]
fn netrc_only_when_asked() {
    let dir = config_file("netrc", "").parent().unwrap().to_path_buf();
    std::fs::write(
        dir.join(".netrc"),
        "machine adb-9.example\n login token\n password dapi-netrc\n",
    )
    .unwrap();
    let env = map(&[
        ("DATABRICKS_HOST", "adb-9.example"),
        ("HOME", dir.to_str().unwrap()),
    ]);
    assert!(
        DatabricksConfig::resolve(Overrides::default(), &env).is_err(),
        "the SDKs never read .netrc"
    );
    let overrides = Overrides {
        netrc: true,
        ..Overrides::default()
    };
    let config = DatabricksConfig::resolve(overrides, &env).unwrap();
    assert_eq!(
        config.credentials,
        Credentials::Pat {
            token: Secret::new("dapi-netrc")
        }
    );
}

#[test]
fn secrets_never_print() {
    for pairs in [
        vec![
            ("DATABRICKS_HOST", "a.example"),
            ("DATABRICKS_TOKEN", "dapi-very-secret"),
        ],
        vec![
            ("DATABRICKS_HOST", "a.example"),
            ("DATABRICKS_USERNAME", "u"),
            ("DATABRICKS_PASSWORD", "very-secret-pw"),
        ],
        vec![
            ("DATABRICKS_HOST", "a.example"),
            ("DATABRICKS_CLIENT_ID", "sp"),
            ("DATABRICKS_CLIENT_SECRET", "very-secret-cs"),
        ],
    ] {
        let config = resolve(&pairs).unwrap();
        let shown = format!("{config:?}");
        assert!(!shown.contains("very-secret"), "{shown}");
    }
}

#[test]
fn plain_http_only_to_loopback_unless_allowed() {
    for host in [
        "http://127.0.0.1:8433",
        "http://localhost:1",
        "http://[::1]:9",
    ] {
        assert!(
            resolve(&[("DATABRICKS_HOST", host), ("DATABRICKS_TOKEN", "t")]).is_ok(),
            "{host}"
        );
    }
    let error = resolve(&[
        ("DATABRICKS_HOST", "http://adb-1.example"),
        ("DATABRICKS_TOKEN", "t"),
    ])
    .unwrap_err();
    assert!(
        error.to_string().contains("--allow-insecure-http"),
        "{error}"
    );
    let env = map(&[
        ("DATABRICKS_HOST", "http://adb-1.example"),
        ("DATABRICKS_TOKEN", "t"),
    ]);
    let allowed = Overrides {
        allow_insecure_http: true,
        ..Overrides::default()
    };
    assert_eq!(
        DatabricksConfig::resolve(allowed, &env).unwrap().host,
        "http://adb-1.example"
    );
}

#[test]
fn pass_through_resolves_the_host_and_reads_no_credentials() {
    let env = map(&[
        ("DATABRICKS_HOST", "https://a.example"),
        ("DATABRICKS_TOKEN", "dapi-server"),
        ("DATABRICKS_USERNAME", "half-configured"),
    ]);
    let overrides = Overrides {
        pass_through: true,
        ..Overrides::default()
    };
    let config = DatabricksConfig::resolve(overrides.clone(), &env).unwrap();
    assert_eq!(config.host, "https://a.example");
    assert_eq!(config.credentials, Credentials::PassThrough);
    assert_eq!(config.credentials.auth_type(), "pass-through");
    let error = DatabricksConfig::resolve(overrides, &map(&[])).unwrap_err();
    assert_eq!(error.problems.len(), 1, "{error}");
    assert!(error.problems[0].contains("no workspace host"), "{error}");
}

#[test]
fn timeouts_come_from_flags_then_the_profile_then_defaults() {
    let path = config_file(
        "timeouts",
        "[DEFAULT]\nhost = https://a.example\ntoken = t\nretry_timeout_seconds = 30\nhttp_timeout_seconds = 10\n\n\
         [bad]\nhost = https://a.example\ntoken = t\nretry_timeout_seconds = soon\n",
    );
    let env = map(&[("DATABRICKS_CONFIG_FILE", path.to_str().unwrap())]);
    let from_file = DatabricksConfig::resolve(Overrides::default(), &env).unwrap();
    assert_eq!(from_file.retry_timeout, Duration::from_secs(30));
    assert_eq!(from_file.request_timeout, Duration::from_secs(10));

    let flags = Overrides {
        retry_timeout: Some(Duration::from_secs(5)),
        request_timeout: Some(Duration::from_millis(1500)),
        ..Overrides::default()
    };
    let from_flags = DatabricksConfig::resolve(flags, &env).unwrap();
    assert_eq!(from_flags.retry_timeout, Duration::from_secs(5));
    assert_eq!(from_flags.request_timeout, Duration::from_millis(1500));

    let defaults = resolve(&[
        ("DATABRICKS_HOST", "https://a.example"),
        ("DATABRICKS_TOKEN", "t"),
    ])
    .unwrap();
    assert_eq!(defaults.retry_timeout, DEFAULT_RETRY_TIMEOUT);
    assert_eq!(defaults.request_timeout, DEFAULT_REQUEST_TIMEOUT);

    let bad = Overrides {
        profile: Some("bad".into()),
        ..Overrides::default()
    };
    let error = DatabricksConfig::resolve(bad, &env).unwrap_err();
    assert!(
        error
            .to_string()
            .contains("retry_timeout_seconds = \"soon\""),
        "{error}"
    );
}

#[test]
fn rate_limit_from_flag_environment_or_profile_with_the_go_sdk_default() {
    let base = [
        ("DATABRICKS_HOST", "https://a.example"),
        ("DATABRICKS_TOKEN", "t"),
    ];
    assert_eq!(resolve(&base).unwrap().rate_limit, RateLimit::default());
    assert_eq!(
        RateLimit::default(),
        RateLimit {
            per_second: 15,
            burst: 30
        }
    );
    let mut env = base.to_vec();
    env.push(("DATABRICKS_RATE_LIMIT", "7"));
    assert_eq!(resolve(&env).unwrap().rate_limit.per_second, 7);
    let path = config_file(
        "rate-limit",
        "[DEFAULT]\nhost = https://a.example\ntoken = t\nrate_limit = 4\n",
    );
    let from_profile = resolve(&[("DATABRICKS_CONFIG_FILE", path.to_str().unwrap())]).unwrap();
    assert_eq!(from_profile.rate_limit.per_second, 4);
    let overrides = Overrides {
        rate_limit: Some(0),
        rate_burst: Some(5),
        ..Overrides::default()
    };
    let off = DatabricksConfig::resolve(overrides, &map(&env)).unwrap();
    assert!(off.rate_limit.is_off());
    assert_eq!(off.rate_limit.burst, 5);
    let mut bad = base.to_vec();
    bad.push(("DATABRICKS_RATE_LIMIT", "fast"));
    let problems = resolve(&bad).unwrap_err().problems;
    assert!(
        problems.iter().any(|p| p.contains("rate_limit")),
        "{problems:?}"
    );
}
