//! P5: spawn → handshake line of the release binary in go-plugin mode, as a
//! go-plugin host launches it (`examples/common/plugin_start.rs` does the
//! launching, shared with the `plugin_startup` example), plaintext and
//! AutoMTLS. The reference is the same binary spawned with `--version`
//! until it exits: the cost of starting a process at all.

use std::{
    path::Path,
    process::{Command, Stdio},
    time::Instant,
};

use anyhow::bail;

use crate::{
    Plan,
    plugin_launch::{self, GOAL, Mode},
    report::{Row, median, ms, ratio},
};

/// Measures P5; a row saying how to build the binary when it is missing.
pub(crate) fn measure(plan: &Plan) -> anyhow::Result<Vec<Row>> {
    let goal = format!("≤ {:.0} ms", ms(GOAL));
    let binary = match plugin_launch::binary() {
        Ok(binary) => binary,
        Err(missing) => {
            return Ok(vec![Row {
                measure: "P5 plugin start".to_owned(),
                ours: format!("not measured: {missing}"),
                reference: "—".to_owned(),
                ratio: None,
                goal,
                met: None,
            }]);
        }
    };
    let floor = version_floor(&binary, plan.launches)?;
    let mut rows = Vec::new();
    for mode in Mode::ALL {
        let figures = plugin_launch::measure(&binary, mode, plan.launches)?;
        let median = ms(figures.median);
        rows.push(Row {
            measure: format!(
                "P5 plugin start, {}: spawn → handshake, median of {}",
                mode.label(),
                plan.launches
            ),
            ours: format!("{median:.1} ms"),
            reference: format!("{floor:.1} ms (spawn → exit of `--version`)"),
            ratio: ratio(median, floor),
            goal: goal.clone(),
            met: Some(figures.median <= GOAL),
        });
    }
    Ok(rows)
}

/// Median milliseconds of `launches` runs of `binary --version`.
fn version_floor(binary: &Path, launches: usize) -> anyhow::Result<f64> {
    let mut times = Vec::new();
    for _ in 0..launches {
        let started = Instant::now();
        let status = Command::new(binary)
            .arg("--version")
            .stdout(Stdio::null())
            .status()?;
        times.push(ms(started.elapsed()));
        if !status.success() {
            bail!("`{} --version` failed", binary.display());
        }
    }
    Ok(median(&times))
}
