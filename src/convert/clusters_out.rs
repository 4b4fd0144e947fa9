//! Outbound: clusters and cluster events as the Clusters messages. Never
//! fails: unknown states become `CLUSTER_STATE_UNSPECIFIED` beside the raw
//! string, and event details are kept whole as a `google.protobuf.Struct`.

use serde_json::Value;

use super::commands_out::to_proto;
use crate::{
    databricks::models::{ClusterDetails, ClusterEvent, ClusterEventsResponse},
    proto::compute::{self as pb, ClusterState},
};

/// The enum member for a raw Databricks state; UNSPECIFIED when unknown.
pub fn cluster_state(raw: &str) -> ClusterState {
    ClusterState::from_str_name(&format!("CLUSTER_STATE_{raw}"))
        .unwrap_or(ClusterState::Unspecified)
}

/// A cluster as the `Cluster` message.
pub fn cluster(details: ClusterDetails) -> pb::Cluster {
    let reason = details
        .termination_reason
        .map(|reason| pb::TerminationReason {
            code: reason.code,
            r#type: reason.kind,
            parameters: reason.parameters.into_iter().collect(),
        });
    let map = |map: crate::databricks::models::StringMap| map.into_iter().collect();
    pb::Cluster {
        state: cluster_state(&details.state) as i32,
        cluster_id: details.cluster_id,
        cluster_name: details.cluster_name,
        raw_state: details.state,
        state_message: details.state_message,
        num_workers: details.num_workers.unwrap_or(0),
        autoscale: details.autoscale.map(|bounds| pb::Autoscale {
            min_workers: bounds.min_workers,
            max_workers: bounds.max_workers,
        }),
        termination_reason: reason,
        spark_version: details.spark_version.unwrap_or_default(),
        node_type_id: details.node_type_id.unwrap_or_default(),
        driver_node_type_id: details.driver_node_type_id.unwrap_or_default(),
        instance_pool_id: details.instance_pool_id.unwrap_or_default(),
        autotermination_minutes: details.autotermination_minutes.unwrap_or(0),
        spark_conf: map(details.spark_conf),
        spark_env_vars: map(details.spark_env_vars),
        custom_tags: map(details.custom_tags),
        default_tags: map(details.default_tags),
        data_security_mode: details.data_security_mode.unwrap_or_default(),
        single_user_name: details.single_user_name.unwrap_or_default(),
        policy_id: details.policy_id.unwrap_or_default(),
        cluster_source: details.cluster_source.unwrap_or_default(),
        creator_user_name: details.creator_user_name.unwrap_or_default(),
        start_time: details.start_time.unwrap_or(0),
        terminated_time: details.terminated_time.unwrap_or(0),
    }
}

/// One page of events.
pub fn cluster_events(page: ClusterEventsResponse) -> pb::ClusterEventsResponse {
    pb::ClusterEventsResponse {
        events: page.events.into_iter().map(cluster_event).collect(),
        next_page_token: page.next_page_token,
    }
}

fn cluster_event(event: ClusterEvent) -> pb::ClusterEvent {
    let details = match event.details {
        Some(Value::Object(fields)) => Some(prost_types::Struct {
            fields: fields
                .iter()
                .map(|(k, v)| (k.clone(), to_proto(v)))
                .collect(),
        }),
        _ => None,
    };
    pb::ClusterEvent {
        cluster_id: event.cluster_id,
        timestamp: event.timestamp.unwrap_or(0),
        r#type: event.kind,
        details,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::databricks::models::TerminationReason;

    #[test]
    fn known_and_unknown_states() {
        assert_eq!(cluster_state("RUNNING"), ClusterState::Running);
        assert_eq!(cluster_state("RESIZING"), ClusterState::Resizing);
        assert_eq!(cluster_state("SOMETHING_NEW"), ClusterState::Unspecified);
        assert_eq!(cluster_state(""), ClusterState::Unspecified);
    }

    #[test]
    fn a_cluster_keeps_its_raw_state_and_reason() {
        let message = cluster(ClusterDetails {
            cluster_id: "c".into(),
            state: "HIBERNATING".into(),
            termination_reason: Some(TerminationReason {
                code: "NEW_CODE".into(),
                kind: "SUCCESS".into(),
                parameters: [("a".into(), "b".into())].into(),
            }),
            num_workers: Some(3),
            ..ClusterDetails::default()
        });
        assert_eq!(message.state, ClusterState::Unspecified as i32);
        assert_eq!(message.raw_state, "HIBERNATING");
        assert_eq!(message.num_workers, 3);
        let reason = message.termination_reason.unwrap();
        assert_eq!(
            (reason.code.as_str(), reason.r#type.as_str()),
            ("NEW_CODE", "SUCCESS")
        );
        assert_eq!(reason.parameters["a"], "b");
    }

    #[test]
    fn event_details_become_a_struct() {
        let page = cluster_events(ClusterEventsResponse {
            events: vec![ClusterEvent {
                cluster_id: "c".into(),
                timestamp: Some(5),
                kind: "RUNNING".into(),
                details: Some(json!({"current_num_workers": 2, "reason": {"code": "X"}})),
            }],
            next_page_token: "n".into(),
        });
        let details = page.events[0].details.as_ref().unwrap();
        assert!(details.fields.contains_key("current_num_workers"));
        assert!(details.fields.contains_key("reason"));
        assert_eq!(page.next_page_token, "n");
    }
}
