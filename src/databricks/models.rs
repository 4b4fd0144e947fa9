//! Serde types for the Databricks REST wire format, shared by the REST client
//! and the emulator: `libraries.rs` (Libraries API 2.0), `clusters.rs` (Clusters
//! API 2.1), `execution.rs` (REST API 1.2 contexts and commands) and
//! `errors.rs` (error bodies).
//!
//! Golden wire tests in `tests/` (one file per family) read and write literal
//! JSON from the Databricks examples, so a renamed field or a changed
//! optionality fails a test even where both sides of the wire agree.

mod all_statuses;
mod clusters;
mod errors;
mod execution;
mod libraries;
mod reported_library;
#[cfg(test)]
mod tests;

pub use all_statuses::{ClusterSink, EachCluster};
pub use clusters::{
    Autoscale, ClusterDetails, ClusterEvent, ClusterEventsRequest, ClusterEventsResponse,
    ClusterIdRequest, ClusterSpec, CreateClusterRequest, CreateClusterResponse, EditClusterRequest,
    ListClustersQuery, ListClustersResponse, ResizeClusterRequest, StringMap, TerminationReason,
};
pub use errors::{ApiErrorBody, ErrorCode};
pub use execution::{
    CommandRequest, CommandStatusResponse, ContextRequest, ContextStatusResponse,
    CreateContextRequest, ExecuteCommandRequest, IdResponse, Results,
};
pub use libraries::{
    AllClusterStatuses, ClusterLibraryStatuses, CranLibrary, LibrariesRequest, Library,
    LibraryFullStatus, MavenLibrary, PyPiLibrary, ReportedLibrary,
};
