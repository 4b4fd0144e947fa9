//! The schema of `resource "dbgrpc_cluster"` (attribute names fixed by the
//! shared decisions; the README reference lists the same).

use crate::provider::{
    proto::{Schema, schema::nested_block::NestingMode},
    schema_builder::{Mode, attribute, block, nested, schema},
    value::Type,
};

/// The schema, version 0.
pub(super) fn cluster_schema() -> Schema {
    let string_map = || Type::map(Type::String);
    let autoscale = block(
        vec![
            attribute(
                "min_workers",
                Type::Number,
                Mode::Required,
                "Fewest workers, at least 1.",
            ),
            attribute(
                "max_workers",
                Type::Number,
                Mode::Required,
                "Most workers, at least min_workers.",
            ),
        ],
        vec![],
        "Autoscaling bounds, instead of num_workers.",
    );
    schema(block(
        vec![
            attribute(
                "cluster_id",
                Type::String,
                Mode::Computed,
                "The cluster's id, e.g. 0101-120000-abcd1234.",
            ),
            attribute(
                "id",
                Type::String,
                Mode::Computed,
                "The same as cluster_id (the import id).",
            ),
            attribute(
                "cluster_name",
                Type::String,
                Mode::Required,
                "Display name.",
            ),
            attribute(
                "spark_version",
                Type::String,
                Mode::Required,
                "Runtime version key, e.g. 15.4.x-scala2.12.",
            ),
            attribute(
                "node_type_id",
                Type::String,
                Mode::Required,
                "Node type of the driver and the workers, e.g. i3.xlarge.",
            ),
            attribute(
                "num_workers",
                Type::Number,
                Mode::Optional,
                "Fixed number of workers; leave it and autoscale unset for a single-node \
                 cluster (0 workers). Not together with autoscale.",
            ),
            attribute(
                "autotermination_minutes",
                Type::Number,
                Mode::OptionalComputed,
                "Minutes of inactivity before the cluster terminates: 0 (never) or 10 to \
                 43200. Unset: Databricks' default.",
            ),
            attribute(
                "spark_conf",
                string_map(),
                Mode::Optional,
                "Spark configuration.",
            ),
            attribute(
                "spark_env_vars",
                string_map(),
                Mode::Optional,
                "Environment variables of every Spark process.",
            ),
            attribute(
                "custom_tags",
                string_map(),
                Mode::Optional,
                "Tags on the cluster and its cloud resources.",
            ),
            attribute(
                "data_security_mode",
                Type::String,
                Mode::OptionalComputed,
                "Access mode, e.g. SINGLE_USER or USER_ISOLATION. Unset: Databricks' default.",
            ),
            attribute(
                "single_user_name",
                Type::String,
                Mode::Optional,
                "The user of a SINGLE_USER cluster.",
            ),
        ],
        vec![nested("autoscale", NestingMode::List, 1, autoscale)],
        "A Databricks cluster. Create waits until it is RUNNING; a change of size alone \
         resizes a running cluster, any other change edits it (a running cluster restarts); \
         destroy deletes it for good.",
    ))
}
