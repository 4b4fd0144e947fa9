//! Resident memory of a process, from `/proc/<pid>/status`.

use anyhow::Context as _;

/// `VmRSS` (resident now) and `VmHWM` (peak resident), in KiB.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Memory {
    /// Resident set now.
    pub(crate) rss_kib: u64,
    /// Highest resident set so far.
    pub(crate) peak_kib: u64,
}

/// The memory of process `pid`.
pub(crate) fn of(pid: u32) -> anyhow::Result<Memory> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .with_context(|| format!("could not read /proc/{pid}/status"))?;
    Ok(Memory {
        rss_kib: field(&status, "VmRSS:")?,
        peak_kib: field(&status, "VmHWM:")?,
    })
}

fn field(status: &str, name: &str) -> anyhow::Result<u64> {
    let line = status
        .lines()
        .find(|line| line.starts_with(name))
        .with_context(|| format!("no {name} line"))?;
    let kib = line
        .split_whitespace()
        .nth(1)
        .with_context(|| format!("empty {name} line"))?;
    Ok(kib.parse()?)
}

/// KiB as MiB.
#[allow(clippy::cast_precision_loss)] // KiB counts are far below 2^52
pub(crate) fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}
