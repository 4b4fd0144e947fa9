//! Declarative library sets: ApplyLibraries (one cluster to a desired set)
//! and ReplaceLibrary (one library's new version across clusters).
//!
//! - [`identity`]: when two specifications are versions of one library.
//! - [`plan`]: what to install, uninstall and keep, and whether to restart.
//! - `steps.rs`: the reads and calls both RPCs make on one cluster.
//! - `apply.rs`, `replace.rs`: the two RPCs; `settle.rs`: ApplyLibraries'
//!   wait for the libraries it touched; `describe.rs`: the messages.

mod apply;
mod describe;
mod identity;
mod plan;
mod replace;
mod settle;
mod steps;

pub(crate) use settle::LibrariesFailed;
