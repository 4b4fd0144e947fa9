//! Libraries API 2.0 wire types.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A library specification, exactly one kind per object (`{"jar": "..."}`,
/// `{"pypi": {"package": "..."}}`, ...). Identity is the whole value.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Library {
    /// URI of a JAR.
    Jar(String),
    /// URI of an egg (deprecated upstream).
    Egg(String),
    /// URI of a wheel.
    Whl(String),
    /// Path of a requirements.txt file.
    Requirements(String),
    /// A PyPI package.
    Pypi(PyPiLibrary),
    /// A Maven package.
    Maven(MavenLibrary),
    /// A CRAN package.
    Cran(CranLibrary),
}

/// `{"package": ..., "repo": ...}` for PyPI.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PyPiLibrary {
    /// Package name with an optional version specifier.
    pub package: String,
    /// Index URL; absent means the default index.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repo: Option<String>,
}

/// `{"coordinates": ..., "repo": ..., "exclusions": [...]}` for Maven.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct MavenLibrary {
    /// `group:artifact:version`.
    pub coordinates: String,
    /// Repository URL; absent means Maven Central and Spark Packages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repo: Option<String>,
    /// `group:artifact` patterns to exclude.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclusions: Vec<String>,
}

/// `{"package": ..., "repo": ...}` for CRAN.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CranLibrary {
    /// Package name.
    pub package: String,
    /// Repository URL; absent means the default mirror.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repo: Option<String>,
}

/// A library as found in a status response: a kind we know, or the raw JSON
/// of one we do not, so that an unknown kind never fails the whole call.
///
/// Read in one pass by a hand-written `Deserialize` (see `reported_library.rs`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum ReportedLibrary {
    /// A library of a kind this crate models.
    Known(Library),
    /// Anything else, kept as sent.
    Unrecognized(Value),
}

/// Body of `POST /api/2.0/libraries/install` and `/uninstall`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LibrariesRequest {
    /// The target cluster.
    pub cluster_id: String,
    /// The libraries to install or uninstall.
    pub libraries: Vec<Library>,
}

/// One library's status on one cluster (`LibraryFullStatus`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LibraryFullStatus {
    /// The library as stored by Databricks.
    pub library: ReportedLibrary,
    /// The raw status string, e.g. `INSTALLED`; unknown values are kept.
    pub status: String,
    /// Info, warning and failure messages; absent means none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub messages: Vec<String>,
    /// Set for libraries installed on all clusters.
    #[serde(default)]
    pub is_library_for_all_clusters: bool,
}

/// `ClusterLibraryStatuses`: the body of `GET /api/2.0/libraries/cluster-status`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClusterLibraryStatuses {
    /// The cluster.
    pub cluster_id: String,
    /// Absent on the wire when the cluster has no libraries.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub library_statuses: Vec<LibraryFullStatus>,
}

/// Body of `GET /api/2.0/libraries/all-cluster-statuses` (may be `{}`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AllClusterStatuses {
    /// Library statuses per cluster.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub statuses: Vec<ClusterLibraryStatuses>,
}
