//! Size limits of caller-supplied strings, checked at validation so that an
//! oversized value is refused with INVALID_ARGUMENT naming its field and
//! never reaches Databricks or the logs.

/// Longest id (cluster, context, command). Databricks cluster ids are about
/// 20 characters (`0123-456789-abcdefgh`) and context and command ids about
/// 40, so 256 bytes is generous and still short enough for a URL query.
pub const MAX_ID_BYTES: usize = 256;

/// Longest library path or URL (jar, egg, whl, requirements, repository):
/// Linux's `PATH_MAX`, also above what HTTP servers accept in a URL.
pub const MAX_PATH_BYTES: usize = 4096;

/// Longest package spec, Maven coordinate or exclusion. A PyPI requirement
/// with extras, version specifiers and an environment marker, or a
/// `group:artifact:version` coordinate, is well under 200 bytes; 1024 leaves
/// room for long specifiers without admitting megabytes.
pub const MAX_NAME_BYTES: usize = 1024;

/// Longest AllStatuses `page_token`. The tokens this server issues encode a
/// snapshot number and a cluster id: under 400 bytes.
pub const MAX_PAGE_TOKEN_BYTES: usize = 1024;

/// Longest page token of Databricks' own (`clusters/list`, `clusters/events`)
/// a caller may hand back: they are opaque base64 of a few hundred bytes.
pub const MAX_UPSTREAM_TOKEN_BYTES: usize = 4096;

/// Most entries of a caller's map (`spark_conf`, `custom_tags`, ...).
/// Databricks allows 45 custom tags; Spark configurations rarely pass 100.
pub const MAX_MAP_ENTRIES: usize = 256;

/// The description of a value over `limit` bytes.
pub(crate) fn too_long(limit: usize, actual: usize) -> String {
    format!("must be at most {limit} bytes (got {actual})")
}
