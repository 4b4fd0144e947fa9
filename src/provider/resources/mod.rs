//! The managed resource types (`resource "dbgrpc_…" {}`), one file each.

pub mod cluster;

use super::resource::ManagedResource;

/// Every managed resource type.
pub fn all() -> Vec<Box<dyn ManagedResource>> {
    vec![Box::new(cluster::Cluster)]
}
