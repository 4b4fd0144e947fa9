//! Code generated from `proto/databricks/compute/v1/compute.proto`, plus the
//! encoded descriptor set that gRPC reflection serves.

#![allow(missing_docs, unreachable_pub, clippy::all, clippy::pedantic)]

/// Encoded `FileDescriptorSet` of our protos (with their imports), for reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/compute_descriptor.bin"));

/// `databricks.compute.v1`: the ComputeService contract.
pub mod compute {
    tonic::include_proto!("databricks.compute.v1");
}
