//! Integration tests: one binary. Each test starts the emulator (or a canned
//! upstream) and the gRPC server in-process on ephemeral loopback ports and
//! drives them through the generated client.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    unreachable_pub
)]

mod app;
mod auth;
mod bounds;
mod caller_table;
mod cluster_start;
mod cluster_watch;
mod clusters;
mod coalescing;
mod commands;
mod connections;
mod dead_contexts;
mod errors;
mod fault_matrix;
mod faults;
mod helpers;
mod large_workspace;
mod libraries;
mod library_files;
mod library_sets;
mod metrics;
mod overload;
mod passthrough;
mod plugin;
mod provider;
mod quiet_blips;
mod rate_limit;
mod raw_h2;
mod result_limits;
mod retries;
mod secrets;
mod server;
mod shutdown;
mod streaming;
mod tf_cluster;
mod tf_cluster_libraries;
mod tf_configure;
mod tf_harness;
mod tf_library_file;
