//! The managed resource types (`resource "dbgrpc_…" {}`), one file each.

use super::resource::ManagedResource;

/// Every managed resource type.
pub fn all() -> Vec<Box<dyn ManagedResource>> {
    vec![]
}
