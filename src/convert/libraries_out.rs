//! Outbound: REST library statuses to gRPC messages. Never fails: an unknown
//! status or library kind is passed through as raw text.

use crate::{
    databricks::models::{self, Library, ReportedLibrary},
    proto::compute::{self as pb, LibraryInstallStatus, library::Kind},
};

/// Converts one cluster's statuses.
pub fn cluster_library_statuses(
    statuses: models::ClusterLibraryStatuses,
) -> pb::ClusterLibraryStatuses {
    pb::ClusterLibraryStatuses {
        cluster_id: statuses.cluster_id,
        library_statuses: statuses
            .library_statuses
            .into_iter()
            .map(library_full_status)
            .collect(),
    }
}

/// Converts one library's status.
pub fn library_full_status(status: models::LibraryFullStatus) -> pb::LibraryFullStatus {
    let (library, unrecognized_library_json) = match status.library {
        ReportedLibrary::Known(library) => (Some(library_out(library)), String::new()),
        ReportedLibrary::Unrecognized(raw) => (None, raw.to_string()),
    };
    pb::LibraryFullStatus {
        library,
        status: install_status(&status.status) as i32,
        messages: status.messages,
        is_library_for_all_clusters: status.is_library_for_all_clusters,
        raw_status: status.status,
        unrecognized_library_json,
    }
}

/// Maps a REST status string; unknown strings become `UNSPECIFIED`.
fn install_status(raw: &str) -> LibraryInstallStatus {
    match raw {
        "PENDING" => LibraryInstallStatus::Pending,
        "RESOLVING" => LibraryInstallStatus::Resolving,
        "INSTALLING" => LibraryInstallStatus::Installing,
        "INSTALLED" => LibraryInstallStatus::Installed,
        "SKIPPED" => LibraryInstallStatus::Skipped,
        "FAILED" => LibraryInstallStatus::Failed,
        "UNINSTALL_ON_RESTART" => LibraryInstallStatus::UninstallOnRestart,
        "RESTORED" => LibraryInstallStatus::Restored,
        _ => LibraryInstallStatus::Unspecified,
    }
}

/// Converts one library specification.
pub fn library_out(library: Library) -> pb::Library {
    let kind = match library {
        Library::Jar(uri) => Kind::Jar(uri),
        Library::Egg(uri) => Kind::Egg(uri),
        Library::Whl(uri) => Kind::Whl(uri),
        Library::Requirements(path) => Kind::Requirements(path),
        Library::Pypi(pypi) => Kind::Pypi(pb::PythonPyPiLibrary {
            package: pypi.package,
            repo: pypi.repo.unwrap_or_default(),
        }),
        Library::Maven(maven) => Kind::Maven(pb::MavenLibrary {
            coordinates: maven.coordinates,
            repo: maven.repo.unwrap_or_default(),
            exclusions: maven.exclusions,
        }),
        Library::Cran(cran) => Kind::Cran(pb::RCranLibrary {
            package: cran.package,
            repo: cran.repo.unwrap_or_default(),
        }),
    };
    pb::Library { kind: Some(kind) }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn status(library: serde_json::Value, status: &str) -> pb::LibraryFullStatus {
        let parsed = serde_json::from_value(json!({"library": library, "status": status}));
        library_full_status(parsed.unwrap_or_else(|error| panic!("{error}")))
    }

    #[test]
    fn every_documented_status_maps() {
        for (raw, expected) in [
            ("PENDING", LibraryInstallStatus::Pending),
            ("RESOLVING", LibraryInstallStatus::Resolving),
            ("INSTALLING", LibraryInstallStatus::Installing),
            ("INSTALLED", LibraryInstallStatus::Installed),
            ("SKIPPED", LibraryInstallStatus::Skipped),
            ("FAILED", LibraryInstallStatus::Failed),
            (
                "UNINSTALL_ON_RESTART",
                LibraryInstallStatus::UninstallOnRestart,
            ),
            ("RESTORED", LibraryInstallStatus::Restored),
        ] {
            let converted = status(json!({"jar": "/a.jar"}), raw);
            assert_eq!(converted.status, expected as i32, "{raw}");
            assert_eq!(converted.raw_status, raw);
        }
    }

    #[test]
    fn every_proto_status_maps_from_its_rest_name() {
        let mut mapped = 0;
        for number in 1..64 {
            let Ok(expected) = LibraryInstallStatus::try_from(number) else {
                continue;
            };
            let name = expected.as_str_name();
            let raw = name.strip_prefix("LIBRARY_INSTALL_STATUS_").unwrap_or(name);
            assert_eq!(install_status(raw), expected, "{raw}");
            mapped += 1;
        }
        assert_eq!(
            mapped, 8,
            "a new status needs its REST name in install_status"
        );
        assert_eq!(
            install_status("UNSPECIFIED"),
            LibraryInstallStatus::Unspecified
        );
        assert_eq!(
            install_status("installed"),
            LibraryInstallStatus::Unspecified
        );
    }

    #[test]
    fn unknown_status_and_kind_pass_through() {
        let converted = status(json!({"conda": "x"}), "UNSPECIFIED");
        assert_eq!(converted.status, LibraryInstallStatus::Unspecified as i32);
        assert_eq!(converted.raw_status, "UNSPECIFIED");
        assert!(converted.library.is_none());
        assert_eq!(converted.unrecognized_library_json, r#"{"conda":"x"}"#);
    }

    #[test]
    fn pypi_repo_round_trips() {
        let converted = status(
            json!({"pypi": {"package": "x", "repo": "https://r"}}),
            "INSTALLED",
        );
        let Some(pb::Library {
            kind: Some(Kind::Pypi(pypi)),
        }) = converted.library
        else {
            panic!("expected pypi: {converted:?}");
        };
        assert_eq!(
            (pypi.package.as_str(), pypi.repo.as_str()),
            ("x", "https://r")
        );
    }
}
