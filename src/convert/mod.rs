//! Conversions between the gRPC messages and the REST models. Inbound
//! conversions validate and fail with [`InvalidRequest`], which names every bad
//! field; outbound conversions never fail, keeping unknown values as raw text.

mod cluster_progress;
mod cluster_watch;
mod clusters_in;
mod clusters_out;
mod commands_in;
mod commands_out;
mod libraries_in;
mod libraries_out;
mod library_files_in;
mod library_files_out;
mod library_sets_in;
mod limits;
mod results_limit;
mod text;

pub use cluster_progress::{ClusterTargetUnreachable, cluster_progress, is_reached, target_name};
pub use cluster_watch::{SETTLED, cluster_watch, is_settled};
pub use clusters_in::{
    DEFAULT_SOURCES, ListClusters, MAX_AUTOTERMINATION_MINUTES, MAX_CLUSTER_LIST_PAGE,
    MAX_EVENTS_PAGE, MAX_IDEMPOTENCY_TOKEN_BYTES, MIN_AUTOTERMINATION_MINUTES,
    cluster_events as cluster_events_request, create_cluster, edit_cluster, list_clusters,
    resize_cluster, watch_cluster,
};
pub use clusters_out::{cluster, cluster_events, cluster_state};
pub use commands_in::{
    ExecuteCommand, MAX_COMMAND_BYTES, command_request, context_request, create_context,
    execute_command, language,
};
pub use commands_out::{command, context_status, is_terminal};
pub use libraries_in::{cluster_id, libraries_request};
pub use libraries_out::{cluster_library_statuses, library_full_status, library_out};
pub use library_files_in::{
    FileLocation, FileStore, ListRequest, MAX_FILE_LIST_PAGE, MAX_FILE_NAME_BYTES, UploadHeader,
    file_path, list_request, upload_header,
};
pub use library_files_out::{
    VERSION_HASH_DIGITS, dbfs_entry, library_for, versioned_name, volume_entry, workspace_entry,
};
pub use library_sets_in::{
    ApplyLibraries, MAX_LIBRARY_SET, MAX_REPLACE_CLUSTERS, ReplaceLibrary, ReplaceTargets, Restart,
    apply_libraries, replace_library,
};
pub(crate) use limits::too_long;
pub use limits::{
    MAX_ID_BYTES, MAX_MAP_ENTRIES, MAX_NAME_BYTES, MAX_PAGE_TOKEN_BYTES, MAX_PATH_BYTES,
    MAX_UPSTREAM_TOKEN_BYTES,
};
pub use results_limit::{CUT_BY_DATABRICKS, MAX_RESULTS_BYTES};

/// One invalid field of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldViolation {
    /// Path of the field, e.g. `libraries[1].maven.coordinates`.
    pub field: String,
    /// What is wrong with it, for people.
    pub description: String,
}

/// A request rejected before any call to Databricks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid request: {}", describe(.violations))]
pub struct InvalidRequest {
    /// Every problem found, in field order.
    pub violations: Vec<FieldViolation>,
}

// === impl InvalidRequest ===

impl InvalidRequest {
    /// A request with a single bad field.
    pub fn field(field: impl Into<String>, description: impl Into<String>) -> Self {
        Self {
            violations: vec![FieldViolation {
                field: field.into(),
                description: description.into(),
            }],
        }
    }
}

fn describe(violations: &[FieldViolation]) -> String {
    violations
        .iter()
        .map(|violation| format!("{} {}", violation.field, violation.description))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Collects violations while a request is checked.
#[derive(Debug, Default)]
pub(crate) struct Violations(Vec<FieldViolation>);

impl Violations {
    pub(crate) fn add(&mut self, field: impl Into<String>, description: impl Into<String>) {
        self.0.push(FieldViolation {
            field: field.into(),
            description: description.into(),
        });
    }

    /// Checks an id field: not empty, at most [`MAX_ID_BYTES`], no spaces or
    /// control characters.
    pub(crate) fn check_id(&mut self, field: &str, value: &str) {
        if value.is_empty() {
            self.add(field, "must not be empty");
        } else if self.check_length(field, value, MAX_ID_BYTES)
            && value.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            self.add(field, "must not contain spaces or control characters");
        }
    }

    /// Checks that `value` is at most `limit` bytes; false (and a violation)
    /// when it is longer.
    pub(crate) fn check_length(&mut self, field: &str, value: &str, limit: usize) -> bool {
        let fits = value.len() <= limit;
        if !fits {
            self.add(field, limits::too_long(limit, value.len()));
        }
        fits
    }

    pub(crate) fn finish<T>(self, value: T) -> Result<T, InvalidRequest> {
        if self.0.is_empty() {
            Ok(value)
        } else {
            Err(InvalidRequest { violations: self.0 })
        }
    }
}
