//! The schema of `dbgrpc_cluster_libraries`: the cluster, a set of
//! `library` blocks (one kind each), and the restart and start policies.

use crate::provider::{
    proto::{Schema, schema::nested_block::NestingMode},
    schema_builder::{Mode, attribute, block, nested, schema},
    value::Type,
};

/// The schema (version 0).
pub(super) fn cluster_libraries_schema() -> Schema {
    schema(block(
        vec![
            attribute(
                "cluster_id",
                Type::String,
                Mode::Required,
                "The cluster whose libraries this resource manages. Changing it replaces the resource.",
            ),
            attribute(
                "id",
                Type::String,
                Mode::Computed,
                "The cluster id (the import id).",
            ),
            attribute(
                "restart",
                Type::String,
                Mode::OptionalComputed,
                "\"never\" (default): report that a restart is needed instead of restarting; \
                 \"if_needed\": restart the cluster once when an uninstalled or replaced library \
                 is still loaded.",
            ),
            attribute(
                "start_cluster",
                Type::Bool,
                Mode::OptionalComputed,
                "Start a terminated cluster and wait for the libraries (default false: they are \
                 queued and install at the cluster's next start).",
            ),
        ],
        vec![nested("library", NestingMode::Set, 0, library_block())],
        "The libraries this configuration owns on one cluster. Libraries installed by others \
         are never changed; a new version of an owned library replaces the old one.",
    ))
}

fn library_block() -> crate::provider::proto::schema::Block {
    let path = |name: &str, what: &str| attribute(name, Type::String, Mode::Optional, what);
    let repo = |what: &str| attribute("repo", Type::String, Mode::Optional, what);
    block(
        vec![
            path(
                "jar",
                "URI of a JAR (/Volumes/…, /Workspace/… or a cloud URI).",
            ),
            path("whl", "URI of a Python wheel."),
            path("egg", "URI of a Python egg (unsupported on DBR 14.0+)."),
            path(
                "requirements",
                "Path of a requirements.txt file (/Workspace/… or /Volumes/…).",
            ),
        ],
        vec![
            nested(
                "pypi",
                NestingMode::List,
                1,
                block(
                    vec![
                        attribute(
                            "package",
                            Type::String,
                            Mode::Required,
                            "Package name, optionally with a version specifier (simplejson==3.8.0).",
                        ),
                        repo("Index URL; unset means the default pip index."),
                    ],
                    vec![],
                    "A PyPI package.",
                ),
            ),
            nested(
                "maven",
                NestingMode::List,
                1,
                block(
                    vec![
                        attribute(
                            "coordinates",
                            Type::String,
                            Mode::Required,
                            "group:artifact:version, e.g. org.jsoup:jsoup:1.7.2.",
                        ),
                        repo("Repository URL; unset means Maven Central and Spark Packages."),
                        attribute(
                            "exclusions",
                            Type::list(Type::String),
                            Mode::Optional,
                            "Dependencies to exclude, each group:artifact.",
                        ),
                    ],
                    vec![],
                    "A Maven package.",
                ),
            ),
            nested(
                "cran",
                NestingMode::List,
                1,
                block(
                    vec![
                        attribute("package", Type::String, Mode::Required, "Package name."),
                        repo("Repository URL; unset means the default CRAN mirror."),
                    ],
                    vec![],
                    "A CRAN package.",
                ),
            ),
        ],
        "One library: exactly one of jar, whl, egg, requirements, pypi, maven, cran.",
    )
}
