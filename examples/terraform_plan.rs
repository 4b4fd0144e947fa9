//! Wall time of `terraform plan` with the provider, and how much of it is
//! provider start-up. Applies a configuration with one cluster, one library
//! file and the cluster's libraries (plus both data sources) against an
//! in-process emulator, then times a no-change `terraform plan` 9 times.
//! References measured in the same run: `terraform plan` of a
//! configuration with no provider at all (Terraform's own cost), and the
//! provider's spawn → handshake time when launched as Terraform launches
//! it (cookie, `PLUGIN_CLIENT_CERT`), times the 3 provider processes a plan
//! starts.
//!
//! ```sh
//! cargo build --release && cargo run --release --example terraform_plan
//! ```
//!
//! Needs `terraform` on PATH (or `$TERRAFORM`) and the release binaries
//! next to this example's build directory (`target/release/`).

#[path = "common/plugin_start.rs"]
mod plugin_start;

use std::{
    io::{BufRead as _, BufReader},
    path::{Path, PathBuf},
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use anyhow::{Context as _, bail};
use plugin_start::ms;

use databricks_grpc::{
    app::{self, Banner},
    emulator::{DEFAULT_TOKEN, EmulatorConfig, Pace},
    provider::{COOKIE_KEY, COOKIE_VALUE},
};

const RUNS: usize = 9;
/// Provider processes Terraform starts for one plan (schema, validate,
/// plan walk).
const PROCESSES_PER_PLAN: u32 = 3;

fn release_dir() -> anyhow::Result<PathBuf> {
    let dir = std::env::current_exe()?
        .parent()
        .and_then(Path::parent)
        .context("no build directory")?
        .to_path_buf();
    if !dir.join("terraform-provider-dbgrpc").is_file() {
        bail!(
            "{} has no terraform-provider-dbgrpc: run `cargo build --release` first",
            dir.display()
        );
    }
    Ok(dir)
}

fn terraform() -> String {
    std::env::var("TERRAFORM").unwrap_or_else(|_| "terraform".to_owned())
}

fn run_terraform(dir: &Path, cli_config: &Path, args: &[&str]) -> anyhow::Result<(Duration, i32)> {
    let started = Instant::now();
    let output = Command::new(terraform())
        .args(args)
        .current_dir(dir)
        .env("TF_CLI_CONFIG_FILE", cli_config)
        .env("TF_IN_AUTOMATION", "1")
        .env_remove("TF_LOG")
        .output()
        .context("could not run terraform")?;
    let elapsed = started.elapsed();
    let code = output.status.code().unwrap_or(-1);
    if code != 0 {
        bail!(
            "terraform {args:?} exited {code}:\n{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok((elapsed, code))
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

/// Spawn → handshake line of the provider launched as Terraform does.
fn provider_start(binary: &Path, cert: &str) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let mut child = Command::new(binary)
        .env(COOKIE_KEY, COOKIE_VALUE)
        .env("PLUGIN_PROTOCOL_VERSIONS", "5,6")
        .env("PLUGIN_CLIENT_CERT", cert)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .context("could not start the provider")?;
    let stdout = child.stdout.take().context("no stdout")?;
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line)?;
    let elapsed = started.elapsed();
    if !line.starts_with("1|6|unix|") {
        bail!("unexpected handshake {line:?}");
    }
    child.kill()?;
    child.wait()?;
    Ok(elapsed)
}

fn configuration(host: &str, jar: &Path) -> String {
    format!(
        r#"terraform {{
  required_providers {{
    dbgrpc = {{ source = "example.com/dbgrpc/dbgrpc" }}
  }}
}}
provider "dbgrpc" {{
  host  = "{host}"
  token = "{DEFAULT_TOKEN}"
}}
resource "dbgrpc_cluster" "etl" {{
  cluster_name  = "bench"
  spark_version = "15.4.x-scala2.12"
  node_type_id  = "i3.xlarge"
  num_workers   = 1
}}
resource "dbgrpc_library_file" "etl" {{
  source    = "{jar}"
  directory = "/Volumes/main/default/libs"
  lifecycle {{ create_before_destroy = true }}
}}
resource "dbgrpc_cluster_libraries" "etl" {{
  cluster_id = dbgrpc_cluster.etl.cluster_id
  library {{ jar = dbgrpc_library_file.etl.path }}
  library {{
    pypi {{ package = "requests==2.32.3" }}
  }}
}}
data "dbgrpc_cluster" "etl" {{ cluster_id = dbgrpc_cluster.etl.cluster_id }}
data "dbgrpc_clusters" "all" {{}}
"#,
        jar = jar.display()
    )
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let release = release_dir()?;
    let emulator = app::start_emulator(
        "127.0.0.1:0".parse()?,
        EmulatorConfig::default().with_pace(Pace::Timed(Duration::ZERO)),
        Banner::Log,
    )
    .await?;
    let work = tempfile::tempdir()?;
    let cli_config = work.path().join("cli.tfrc");
    std::fs::write(
        &cli_config,
        format!(
            "provider_installation {{\n  dev_overrides {{\n    \"example.com/dbgrpc/dbgrpc\" = \"{}\"\n  }}\n  direct {{}}\n}}\n",
            release.display()
        ),
    )?;
    let managed = work.path().join("managed");
    let empty = work.path().join("empty");
    std::fs::create_dir_all(&managed)?;
    std::fs::create_dir_all(&empty)?;
    let jar = managed.join("etl.jar");
    std::fs::write(&jar, b"benchmark jar")?;
    std::fs::write(
        managed.join("main.tf"),
        configuration(&emulator.url(), &jar),
    )?;
    std::fs::write(empty.join("main.tf"), "locals {\n  nothing = 1\n}\n")?;
    let (managed_dir, empty_dir) = (managed.clone(), empty.clone());
    let cli = cli_config.clone();
    let binary = release.join("terraform-provider-dbgrpc");
    let launched = binary.clone();
    let figures = tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
        run_terraform(
            &managed_dir,
            &cli,
            &["apply", "-auto-approve", "-input=false"],
        )?;
        let mut plans = Vec::new();
        let mut references = Vec::new();
        let mut starts = Vec::new();
        let cert = plugin_start::host_cert_pem()?;
        for _ in 0..RUNS {
            plans.push(
                run_terraform(
                    &managed_dir,
                    &cli,
                    &["plan", "-detailed-exitcode", "-input=false"],
                )?
                .0,
            );
            references.push(
                run_terraform(
                    &empty_dir,
                    &cli,
                    &["plan", "-detailed-exitcode", "-input=false"],
                )?
                .0,
            );
            starts.push(provider_start(&launched, &cert)?);
        }
        run_terraform(
            &managed_dir,
            &cli,
            &["destroy", "-auto-approve", "-input=false"],
        )?;
        Ok((median(plans), median(references), median(starts)))
    })
    .await??;
    let (plan, reference, start) = figures;
    let start_per_plan = start * PROCESSES_PER_PLAN;
    println!("terraform: {}; provider: {}", terraform(), binary.display());
    println!(
        "medians of {RUNS} runs, each `terraform plan -detailed-exitcode` reporting no changes\n"
    );
    println!("| measurement | median | reference | reference median | ratio |");
    println!("|---|---|---|---|---|");
    println!(
        "| plan: 3 resources + 2 data sources, no changes | {:.0} ms | plan with no provider | {:.0} ms | {:.2} |",
        ms(plan),
        ms(reference),
        ms(plan) / ms(reference)
    );
    println!(
        "| provider spawn → handshake, × {PROCESSES_PER_PLAN} processes | {:.1} ms (one: {:.1} ms) | that plan | {:.0} ms | {:.3} |",
        ms(start_per_plan),
        ms(start),
        ms(plan),
        ms(start_per_plan) / ms(plan)
    );
    app::stop_emulator(Some(emulator)).await?;
    Ok(())
}
