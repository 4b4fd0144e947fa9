//! The data source types (`data "dbgrpc_…" {}`), one file each.

use super::resource::DataSource;

/// Every data source type.
pub fn all() -> Vec<Box<dyn DataSource>> {
    vec![]
}
