//! The data source types (`data "dbgrpc_…" {}`), one file each.

pub mod cluster;
pub mod clusters;

use super::resource::DataSource;

/// Every data source type.
pub fn all() -> Vec<Box<dyn DataSource>> {
    vec![
        Box::new(cluster::ClusterData),
        Box::new(clusters::ClustersData),
    ]
}
