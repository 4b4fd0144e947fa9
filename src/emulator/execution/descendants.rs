//! Ending every process a context started, however it detached. Each
//! context process is started with [`MARKER_VARIABLE`] naming its emulator
//! and context; every process it starts inherits that environment, even
//! one that made itself a new session or was orphaned when the context
//! process died. When a context ends, every process that still carries its
//! marker is killed; when the emulator stops, every process carrying the
//! emulator's. (A child subreaper would keep orphans in the context
//! process's tree, but would then have to reap them behind the back of the
//! user's own `subprocess` calls; the inherited marker needs no reaping.)
//! A process that starts a child with an empty environment hides that
//! child from the scan.
//!
//! Linux only (`/proc`); elsewhere nothing is scanned.

use std::{fs, io};

/// The environment variable that marks a context's processes.
pub(super) const MARKER_VARIABLE: &str = "DATABRICKS_GRPC_EMULATOR_CONTEXT";

/// How often a scan is repeated while it still finds processes (a process
/// may fork while its relatives are being killed).
const MAX_SWEEPS: usize = 20;

/// The marker value of context `context_id` of emulator `instance`.
pub(super) fn context_marker(instance: &str, context_id: &str) -> String {
    format!("{instance}/{context_id}/")
}

/// What marks every process of emulator `instance`.
pub(super) fn instance_prefix(instance: &str) -> String {
    format!("{instance}/")
}

/// Kills every process whose marker starts with `prefix` (a whole context
/// marker, or an [`instance_prefix`]), until a scan finds none; answers how
/// many were killed. Blocking: call it off the async threads.
pub(super) fn kill_marked(prefix: &str) -> usize {
    let needle = format!("{MARKER_VARIABLE}={prefix}");
    let own = std::process::id();
    let mut killed = 0;
    for _ in 0..MAX_SWEEPS {
        let found: Vec<u32> = marked_processes(&needle)
            .into_iter()
            .filter(|&pid| pid != own)
            .collect();
        if found.is_empty() {
            break;
        }
        killed += found.into_iter().filter(|&pid| kill(pid)).count();
    }
    if killed > 0 {
        tracing::debug!(killed, prefix, "killed processes a context left behind");
    }
    killed
}

/// The live (not zombie) processes whose environment holds `needle` at the
/// start of one of its entries.
fn marked_processes(needle: &str) -> Vec<u32> {
    let Ok(entries) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .filter_map(|entry| entry.file_name().to_str()?.parse::<u32>().ok())
        .filter(|&pid| is_marked(pid, needle).unwrap_or(false))
        .filter(|&pid| !has_exited(pid))
        .collect()
}

fn is_marked(pid: u32, needle: &str) -> io::Result<bool> {
    let environment = fs::read(format!("/proc/{pid}/environ"))?;
    Ok(environment
        .split(|&byte| byte == 0)
        .any(|entry| entry.starts_with(needle.as_bytes())))
}

/// True when `pid` has exited and only waits to be reaped (or is gone).
pub(in crate::emulator) fn has_exited(pid: u32) -> bool {
    let Ok(stat) = fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return true;
    };
    // The state follows the parenthesised command name, which may itself
    // hold spaces and parentheses.
    stat.rsplit_once(')')
        .and_then(|(_, rest)| rest.split_whitespace().next())
        .is_none_or(|state| state == "Z" || state == "X")
}

/// Sends SIGKILL to `pid`; answers whether it was delivered.
#[cfg(unix)]
fn kill(pid: u32) -> bool {
    use nix::{
        sys::signal::{Signal, kill},
        unistd::Pid,
    };
    i32::try_from(pid).is_ok_and(|raw| kill(Pid::from_raw(raw), Signal::SIGKILL).is_ok())
}

#[cfg(not(unix))]
fn kill(_pid: u32) -> bool {
    false
}

/// Kills, off the async threads, every process still marked with `prefix`.
pub(super) async fn end_marked(prefix: String) {
    let _ = tokio::task::spawn_blocking(move || kill_marked(&prefix)).await;
}
