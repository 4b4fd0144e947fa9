//! The methods of our gRPC services, read once from the embedded descriptor
//! set: which request paths are ours (the metrics label them, anything else
//! is `unknown`) and which stream either way (the caps count them as
//! streams).

use std::{collections::HashMap, sync::LazyLock};

use prost::Message as _;

use crate::proto;

/// `package.Service/Method` of every method, and whether it streams.
static METHODS: LazyLock<HashMap<String, bool>> = LazyLock::new(|| {
    let Ok(files) = prost_types::FileDescriptorSet::decode(proto::FILE_DESCRIPTOR_SET) else {
        return HashMap::new();
    };
    let mut methods = HashMap::new();
    for file in &files.file {
        for service in &file.service {
            for method in &service.method {
                let name = format!("{}.{}/{}", file.package(), service.name(), method.name());
                methods.insert(name, method.client_streaming() || method.server_streaming());
            }
        }
    }
    methods
});

/// The method a request `path` (`/package.Service/Method`) calls, when it
/// is one of ours.
pub(super) fn name_of(path: &str) -> Option<&'static str> {
    let name = path.strip_prefix('/').unwrap_or(path);
    METHODS.get_key_value(name).map(|(name, _)| name.as_str())
}

/// Whether the method at `path` streams requests or responses.
pub(super) fn is_streaming(path: &str) -> bool {
    let name = path.strip_prefix('/').unwrap_or(path);
    METHODS.get(name).copied().unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_streaming_methods_are_read_from_the_descriptors() {
        for method in [
            "WatchClusterStatus",
            "StreamCommandStatus",
            "UploadLibrary",
            "WatchCluster",
            "ApplyLibraries",
            "ReplaceLibrary",
        ] {
            let path = format!("/databricks.compute.v1.ComputeService/{method}");
            assert!(is_streaming(&path), "{path}");
        }
        assert!(!is_streaming(
            "/databricks.compute.v1.ComputeService/ClusterStatus"
        ));
    }

    #[test]
    fn only_our_methods_have_a_name() {
        assert_eq!(
            name_of("/databricks.compute.v1.ComputeService/Install"),
            Some("databricks.compute.v1.ComputeService/Install")
        );
        assert_eq!(
            name_of("/databricks.compute.v1.ComputeService/NoSuchMethod"),
            None
        );
        assert_eq!(name_of("/anything/else"), None);
    }
}
