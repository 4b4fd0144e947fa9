//! The Clusters RPCs as `Tenant` methods over Clusters API 2.1.

mod ensure;

#[allow(unused_imports)] // Used by StartCluster and ApplyLibraries, next commits.
pub(crate) use ensure::{ClusterNotStartable, DEFAULT_ENSURE_WAIT, Ensured};
