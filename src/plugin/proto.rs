//! Code generated from `proto-plugin/plugin/go_plugin.proto`: the services
//! every go-plugin host calls (`plugin.GRPCController`, `plugin.GRPCStdio`,
//! `plugin.GRPCBroker`), with clients for tests.

#![allow(missing_docs, unreachable_pub, clippy::all, clippy::pedantic)]

tonic::include_proto!("plugin");
