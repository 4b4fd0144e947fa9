//! The runtimes (`clusters/spark-versions`) and node types
//! (`clusters/list-node-types`) the emulated workspace offers; `create` and
//! `edit` accept only these.

use axum::{Json, Router, routing::get};
use serde_json::{Value, json};

use super::EmulatorState;

/// Runtime version keys and names, newest LTS first.
pub(crate) const SPARK_VERSIONS: &[(&str, &str)] = &[
    (
        "16.4.x-scala2.12",
        "16.4 LTS (includes Apache Spark 3.5.2, Scala 2.12)",
    ),
    (
        "15.4.x-scala2.12",
        "15.4 LTS (includes Apache Spark 3.5.0, Scala 2.12)",
    ),
    (
        "15.4.x-photon-scala2.12",
        "15.4 LTS Photon (includes Apache Spark 3.5.0, Scala 2.12)",
    ),
    (
        "14.3.x-scala2.12",
        "14.3 LTS (includes Apache Spark 3.5.0, Scala 2.12)",
    ),
];

/// Node type ids with their memory (MB), cores and category.
pub(crate) const NODE_TYPES: &[(&str, u32, u32, &str)] = &[
    ("i3.xlarge", 31_232, 4, "Storage Optimized"),
    ("i3.2xlarge", 62_464, 8, "Storage Optimized"),
    ("m5d.large", 8_192, 2, "General Purpose"),
    ("r5d.xlarge", 32_768, 4, "Memory Optimized"),
];

/// Whether `key` is a runtime `spark-versions` reports.
pub(crate) fn is_spark_version(key: &str) -> bool {
    SPARK_VERSIONS.iter().any(|(known, _)| *known == key)
}

/// Whether `id` is a node type `list-node-types` reports.
pub(crate) fn is_node_type(id: &str) -> bool {
    NODE_TYPES.iter().any(|(known, ..)| *known == id)
}

/// The routes, under `/api/2.0` and `/api/2.1`.
pub(crate) fn routes() -> Router<EmulatorState> {
    ["2.0", "2.1"]
        .into_iter()
        .fold(Router::new(), |router, version| {
            router
                .route(
                    &format!("/api/{version}/clusters/spark-versions"),
                    get(spark_versions),
                )
                .route(
                    &format!("/api/{version}/clusters/list-node-types"),
                    get(node_types),
                )
        })
}

async fn spark_versions() -> Json<Value> {
    let versions: Vec<Value> = SPARK_VERSIONS
        .iter()
        .map(|(key, name)| json!({"key": key, "name": name}))
        .collect();
    Json(json!({ "versions": versions }))
}

async fn node_types() -> Json<Value> {
    let node_types: Vec<Value> = NODE_TYPES
        .iter()
        .map(|(id, memory_mb, cores, category)| {
            json!({
                "node_type_id": id,
                "instance_type_id": id,
                "memory_mb": memory_mb,
                "num_cores": cores,
                "description": id,
                "category": category,
                "is_deprecated": false,
                "num_gpus": 0,
            })
        })
        .collect();
    Json(json!({ "node_types": node_types }))
}
