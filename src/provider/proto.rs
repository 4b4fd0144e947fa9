//! Code generated from `proto-tfplugin/tfplugin6.proto`: Terraform's
//! plugin protocol 6 (`tfplugin6.Provider`), with a client for tests.

#![allow(missing_docs, unreachable_pub, clippy::all, clippy::pedantic)]

tonic::include_proto!("tfplugin6");
