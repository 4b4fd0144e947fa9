//! Inbound: the Clusters requests, checked field by field before anything is
//! sent. Every problem is reported at once, each naming its field.

use std::collections::HashMap;

use super::{
    InvalidRequest, MAX_NAME_BYTES, MAX_PATH_BYTES, Violations,
    limits::{MAX_MAP_ENTRIES, MAX_UPSTREAM_TOKEN_BYTES},
};
use crate::{
    databricks::models::{
        Autoscale, ClusterEventsRequest, ClusterSpec, CreateClusterRequest, EditClusterRequest,
        ListClustersQuery, ResizeClusterRequest, StringMap,
    },
    proto::compute as pb,
};

/// The most clusters one upstream list page holds.
pub const MAX_CLUSTER_LIST_PAGE: u32 = 100;
/// The most events one upstream events page holds.
pub const MAX_EVENTS_PAGE: u32 = 500;
/// Longest `idempotency_token` Databricks accepts.
pub const MAX_IDEMPOTENCY_TOKEN_BYTES: usize = 64;
/// Longest auto-termination, in minutes (30 days).
pub const MAX_AUTOTERMINATION_MINUTES: i32 = 43_200;
/// Shortest auto-termination other than 0 (never).
pub const MIN_AUTOTERMINATION_MINUTES: i32 = 10;

/// The sources listed when a ListClusters request names none: the
/// interactive clusters (user-pain.md rule 11).
pub const DEFAULT_SOURCES: &[&str] = &["UI", "API"];

/// A valid ListClusters request: the upstream query and our own name filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListClusters {
    /// What goes to `clusters/list`.
    pub query: ListClustersQuery,
    /// Only clusters with exactly this name; `None` for any.
    pub name: Option<String>,
}

/// The fields CreateCluster and EditCluster share, borrowed from either.
struct SpecFields<'a> {
    cluster_name: &'a str,
    spark_version: &'a str,
    node_type_id: &'a str,
    driver_node_type_id: &'a str,
    instance_pool_id: &'a str,
    num_workers: Option<i32>,
    autoscale: Option<&'a pb::Autoscale>,
    autotermination_minutes: Option<i32>,
    spark_conf: &'a HashMap<String, String>,
    spark_env_vars: &'a HashMap<String, String>,
    custom_tags: &'a HashMap<String, String>,
    data_security_mode: &'a str,
    single_user_name: &'a str,
    policy_id: &'a str,
}

/// The [`SpecFields`] of a CreateCluster or EditCluster request: both
/// messages name the shared fields alike.
macro_rules! spec_fields {
    ($request:expr) => {
        SpecFields {
            cluster_name: &$request.cluster_name,
            spark_version: &$request.spark_version,
            node_type_id: &$request.node_type_id,
            driver_node_type_id: &$request.driver_node_type_id,
            instance_pool_id: &$request.instance_pool_id,
            num_workers: $request.num_workers,
            autoscale: $request.autoscale.as_ref(),
            autotermination_minutes: $request.autotermination_minutes,
            spark_conf: &$request.spark_conf,
            spark_env_vars: &$request.spark_env_vars,
            custom_tags: &$request.custom_tags,
            data_security_mode: &$request.data_security_mode,
            single_user_name: &$request.single_user_name,
            policy_id: &$request.policy_id,
        }
    };
}

/// Validates a CreateCluster request; the idempotency token is the
/// caller's, or `None` (the service makes one).
pub fn create_cluster(
    request: &pb::CreateClusterRequest,
) -> Result<CreateClusterRequest, InvalidRequest> {
    let mut violations = Violations::default();
    let spec = spec(&mut violations, spec_fields!(request));
    let token = &request.idempotency_token;
    if violations.check_length("idempotency_token", token, MAX_IDEMPOTENCY_TOKEN_BYTES)
        && token.chars().any(char::is_control)
    {
        violations.add("idempotency_token", "must not contain control characters");
    }
    violations.finish(CreateClusterRequest {
        spec,
        idempotency_token: (!token.is_empty()).then(|| token.clone()),
    })
}

/// Validates an EditCluster request.
pub fn edit_cluster(
    request: &pb::EditClusterRequest,
) -> Result<EditClusterRequest, InvalidRequest> {
    let mut violations = Violations::default();
    violations.check_id("cluster_id", &request.cluster_id);
    let spec = spec(&mut violations, spec_fields!(request));
    violations.finish(EditClusterRequest {
        cluster_id: request.cluster_id.clone(),
        spec,
    })
}

/// Validates a ResizeCluster request.
pub fn resize_cluster(
    request: &pb::ResizeClusterRequest,
) -> Result<ResizeClusterRequest, InvalidRequest> {
    let mut violations = Violations::default();
    violations.check_id("cluster_id", &request.cluster_id);
    let (num_workers, autoscale) = size(
        &mut violations,
        request.num_workers,
        request.autoscale.as_ref(),
    );
    violations.finish(ResizeClusterRequest {
        cluster_id: request.cluster_id.clone(),
        num_workers,
        autoscale,
    })
}

/// Validates a ListClusters request. `page_size` 0 and above 100 mean 100;
/// no `sources` means [`DEFAULT_SOURCES`].
pub fn list_clusters(request: &pb::ListClustersRequest) -> Result<ListClusters, InvalidRequest> {
    let mut violations = Violations::default();
    let page_size = match u32::try_from(request.page_size) {
        Ok(0) => MAX_CLUSTER_LIST_PAGE,
        Ok(size) => size.min(MAX_CLUSTER_LIST_PAGE),
        Err(_) => {
            violations.add("page_size", "must not be negative");
            MAX_CLUSTER_LIST_PAGE
        }
    };
    violations.check_length("page_token", &request.page_token, MAX_UPSTREAM_TOKEN_BYTES);
    let mut states = Vec::new();
    for (index, state) in request.states.iter().enumerate() {
        match pb::ClusterState::try_from(*state) {
            Ok(pb::ClusterState::Unspecified) | Err(_) => {
                violations.add(format!("states[{index}]"), "must be a known cluster state")
            }
            Ok(known) => states.push(enum_suffix(known.as_str_name(), "CLUSTER_STATE_")),
        }
    }
    let mut sources = Vec::new();
    for (index, source) in request.sources.iter().enumerate() {
        match pb::ClusterSource::try_from(*source) {
            Ok(pb::ClusterSource::Unspecified) | Err(_) => violations.add(
                format!("sources[{index}]"),
                "must be a known cluster source",
            ),
            Ok(known) => sources.push(enum_suffix(known.as_str_name(), "CLUSTER_SOURCE_")),
        }
    }
    if request.sources.is_empty() {
        sources = DEFAULT_SOURCES.iter().map(|s| (*s).to_owned()).collect();
    }
    violations.check_length("name", &request.name, MAX_NAME_BYTES);
    optional_id(&mut violations, "policy_id", &request.policy_id);
    let query = ListClustersQuery {
        page_size: Some(page_size),
        page_token: (!request.page_token.is_empty()).then(|| request.page_token.clone()),
        states,
        sources,
        is_pinned: request.pinned,
        policy_id: (!request.policy_id.is_empty()).then(|| request.policy_id.clone()),
    };
    violations.finish(ListClusters {
        query,
        name: (!request.name.is_empty()).then(|| request.name.clone()),
    })
}

/// Validates a ClusterEvents request.
pub fn cluster_events(
    request: &pb::ClusterEventsRequest,
) -> Result<ClusterEventsRequest, InvalidRequest> {
    let mut violations = Violations::default();
    violations.check_id("cluster_id", &request.cluster_id);
    let page_size = match u32::try_from(request.page_size) {
        Ok(0) => None,
        Ok(size) if size <= MAX_EVENTS_PAGE => Some(size),
        _ => {
            violations.add(
                "page_size",
                format!("must be between 0 and {MAX_EVENTS_PAGE}"),
            );
            None
        }
    };
    violations.check_length("page_token", &request.page_token, MAX_UPSTREAM_TOKEN_BYTES);
    for (index, kind) in request.event_types.iter().enumerate() {
        if kind.is_empty()
            || kind.len() > 64
            || !kind
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        {
            violations.add(
                format!("event_types[{index}]"),
                "must be an event type such as RUNNING (upper-case letters, digits, _)",
            );
        }
    }
    let order = match pb::EventOrder::try_from(request.order) {
        Ok(pb::EventOrder::Unspecified) => None,
        Ok(pb::EventOrder::Asc) => Some("ASC".to_owned()),
        Ok(pb::EventOrder::Desc) => Some("DESC".to_owned()),
        Err(_) => {
            violations.add("order", "must be a known order");
            None
        }
    };
    for (field, time) in [
        ("start_time", request.start_time),
        ("end_time", request.end_time),
    ] {
        if time < 0 {
            violations.add(field, "must not be negative");
        }
    }
    if request.start_time > 0 && request.end_time > 0 && request.end_time < request.start_time {
        violations.add("end_time", "must not be before start_time");
    }
    violations.finish(ClusterEventsRequest {
        cluster_id: request.cluster_id.clone(),
        order,
        event_types: request.event_types.clone(),
        start_time: (request.start_time > 0).then_some(request.start_time),
        end_time: (request.end_time > 0).then_some(request.end_time),
        page_size,
        page_token: (!request.page_token.is_empty()).then(|| request.page_token.clone()),
    })
}

/// Validates a WatchCluster request.
pub fn watch_cluster(
    request: &pb::WatchClusterRequest,
) -> Result<(String, pb::ClusterTarget), InvalidRequest> {
    let mut violations = Violations::default();
    violations.check_id("cluster_id", &request.cluster_id);
    let target = match pb::ClusterTarget::try_from(request.until) {
        Ok(pb::ClusterTarget::Unspecified) | Err(_) => {
            violations.add("until", "must be RUNNING, TERMINATED or READY");
            pb::ClusterTarget::Unspecified
        }
        Ok(target) => target,
    };
    violations.finish((request.cluster_id.clone(), target))
}

fn spec(violations: &mut Violations, fields: SpecFields<'_>) -> ClusterSpec {
    if fields.cluster_name.trim().is_empty() {
        violations.add("cluster_name", "must not be empty");
    } else if violations.check_length("cluster_name", fields.cluster_name, MAX_NAME_BYTES)
        && fields.cluster_name.chars().any(char::is_control)
    {
        violations.add("cluster_name", "must not contain control characters");
    }
    violations.check_id("spark_version", fields.spark_version);
    if fields.node_type_id.is_empty() && fields.instance_pool_id.is_empty() {
        violations.add("node_type_id", "set node_type_id or instance_pool_id");
    }
    optional_id(violations, "node_type_id", fields.node_type_id);
    optional_id(
        violations,
        "driver_node_type_id",
        fields.driver_node_type_id,
    );
    optional_id(violations, "instance_pool_id", fields.instance_pool_id);
    let (num_workers, autoscale) = size(violations, fields.num_workers, fields.autoscale);
    if let Some(minutes) = fields.autotermination_minutes {
        if minutes != 0
            && !(MIN_AUTOTERMINATION_MINUTES..=MAX_AUTOTERMINATION_MINUTES).contains(&minutes)
        {
            violations.add(
                "autotermination_minutes",
                format!(
                    "must be 0 (never) or between {MIN_AUTOTERMINATION_MINUTES} and {MAX_AUTOTERMINATION_MINUTES}"
                ),
            );
        }
    }
    let spark_conf = string_map(violations, "spark_conf", fields.spark_conf);
    let spark_env_vars = string_map(violations, "spark_env_vars", fields.spark_env_vars);
    let custom_tags = string_map(violations, "custom_tags", fields.custom_tags);
    optional_id(violations, "data_security_mode", fields.data_security_mode);
    violations.check_length("single_user_name", fields.single_user_name, MAX_NAME_BYTES);
    optional_id(violations, "policy_id", fields.policy_id);
    let text = |value: &str| (!value.is_empty()).then(|| value.to_owned());
    ClusterSpec {
        cluster_name: fields.cluster_name.to_owned(),
        spark_version: fields.spark_version.to_owned(),
        node_type_id: text(fields.node_type_id),
        driver_node_type_id: text(fields.driver_node_type_id),
        instance_pool_id: text(fields.instance_pool_id),
        num_workers,
        autoscale,
        autotermination_minutes: fields.autotermination_minutes,
        spark_conf,
        spark_env_vars,
        custom_tags,
        data_security_mode: text(fields.data_security_mode),
        single_user_name: text(fields.single_user_name),
        policy_id: text(fields.policy_id),
    }
}

/// Exactly one of a fixed size (0 or more) and autoscale bounds (0 < min <= max).
fn size(
    violations: &mut Violations,
    num_workers: Option<i32>,
    autoscale: Option<&pb::Autoscale>,
) -> (Option<i32>, Option<Autoscale>) {
    match (num_workers, autoscale) {
        (Some(_), Some(_)) => {
            violations.add(
                "num_workers",
                "set either num_workers or autoscale, not both",
            );
            (None, None)
        }
        (None, None) => {
            violations.add("num_workers", "set num_workers or autoscale");
            (None, None)
        }
        (Some(workers), None) => {
            if workers < 0 {
                violations.add("num_workers", "must not be negative");
            }
            (Some(workers), None)
        }
        (None, Some(bounds)) => {
            if bounds.min_workers < 1 {
                violations.add("autoscale.min_workers", "must be at least 1");
            }
            if bounds.max_workers < bounds.min_workers {
                violations.add("autoscale.max_workers", "must be at least min_workers");
            }
            let bounds = Autoscale {
                min_workers: bounds.min_workers,
                max_workers: bounds.max_workers,
            };
            (None, Some(bounds))
        }
    }
}

/// A caller's map: at most [`MAX_MAP_ENTRIES`] entries, keys non-empty and
/// short, values bounded.
fn string_map(
    violations: &mut Violations,
    field: &str,
    map: &HashMap<String, String>,
) -> StringMap {
    if map.len() > MAX_MAP_ENTRIES {
        violations.add(
            field,
            format!(
                "must have at most {MAX_MAP_ENTRIES} entries (got {})",
                map.len()
            ),
        );
    }
    let mut keys: Vec<&String> = map.keys().collect();
    keys.sort();
    for key in keys {
        if key.trim().is_empty() {
            violations.add(field, "keys must not be empty");
        } else if key.len() > MAX_NAME_BYTES {
            violations.add(
                field,
                format!("keys must be at most {MAX_NAME_BYTES} bytes"),
            );
        } else if map[key].len() > MAX_PATH_BYTES {
            violations.add(
                format!("{field}[{key}]"),
                super::too_long(MAX_PATH_BYTES, map[key].len()),
            );
        }
    }
    map.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
}

/// An id that may be empty (unset), else checked like any id.
fn optional_id(violations: &mut Violations, field: &str, value: &str) {
    if !value.is_empty() {
        violations.check_id(field, value);
    }
}

fn enum_suffix(name: &str, prefix: &str) -> String {
    name.strip_prefix(prefix).unwrap_or(name).to_owned()
}

#[cfg(test)]
mod tests;
