//! The managed resource types (`resource "dbgrpc_…" {}`), one file each.

pub mod cluster;
pub mod cluster_libraries;
pub mod library_file;

use super::resource::ManagedResource;

/// Every managed resource type.
pub fn all() -> Vec<Box<dyn ManagedResource>> {
    vec![
        Box::new(cluster::Cluster),
        Box::new(cluster_libraries::ClusterLibraries),
        Box::new(library_file::LibraryFile),
    ]
}
