//! Compiles `proto/` with protox (pure Rust, no system `protoc`) and writes the
//! encoded descriptor set next to the generated code for gRPC reflection.
//! Also compiles `proto-plugin/`: the go-plugin host services (package
//! `plugin`), kept apart because their names cannot pass buf's STANDARD lint
//! and reflection does not list them. And `proto-tfplugin/`: Terraform's
//! plugin protocol 6 (package `tfplugin6`), for the provider binary, kept
//! apart for the same reasons.

use std::{env, error::Error, fs, path::PathBuf};

use prost::Message;

const PROTO_ROOT: &str = "proto";
const PROTO_FILES: &[&str] = &["databricks/compute/v1/compute.proto"];
const PLUGIN_PROTO_ROOT: &str = "proto-plugin";
const PLUGIN_PROTO_FILES: &[&str] = &["plugin/go_plugin.proto"];
const TFPLUGIN_PROTO_ROOT: &str = "proto-tfplugin";
const TFPLUGIN_PROTO_FILES: &[&str] = &["tfplugin6.proto"];

fn main() -> Result<(), Box<dyn Error>> {
    println!("cargo:rerun-if-changed={PROTO_ROOT}");
    println!("cargo:rerun-if-changed={PLUGIN_PROTO_ROOT}");
    println!("cargo:rerun-if-changed={TFPLUGIN_PROTO_ROOT}");
    let descriptors = protox::compile(PROTO_FILES, [PROTO_ROOT])?;
    let out_dir = PathBuf::from(env::var("OUT_DIR")?);
    fs::write(
        out_dir.join("compute_descriptor.bin"),
        descriptors.encode_to_vec(),
    )?;
    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        .compile_fds(descriptors)?;
    let plugin = protox::compile(PLUGIN_PROTO_FILES, [PLUGIN_PROTO_ROOT])?;
    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        .compile_fds(plugin)?;
    let tfplugin = protox::compile(TFPLUGIN_PROTO_FILES, [TFPLUGIN_PROTO_ROOT])?;
    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        .compile_fds(tfplugin)?;
    Ok(())
}
