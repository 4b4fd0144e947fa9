//! The all-cluster-statuses body read one cluster at a time: each cluster is
//! handed to a [`ClusterSink`] as soon as it is parsed, so a large workspace
//! is never held whole as models (the sink keeps what it needs of each).

use std::{fmt, marker::PhantomData};

use serde::{
    Deserialize, Deserializer,
    de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor},
};

use super::ClusterLibraryStatuses;

/// Takes each cluster of an all-cluster-statuses body, in body order.
pub trait ClusterSink: Default {
    /// Takes the next cluster.
    fn accept(&mut self, cluster: ClusterLibraryStatuses);
}

impl ClusterSink for Vec<ClusterLibraryStatuses> {
    fn accept(&mut self, cluster: ClusterLibraryStatuses) {
        self.push(cluster);
    }
}

/// Body of `GET /api/2.0/libraries/all-cluster-statuses` (may be `{}`), read
/// into the sink `S`. It accepts what [`super::AllClusterStatuses`] accepts.
#[derive(Debug, Default)]
pub struct EachCluster<S>(pub S);

const STATUSES: &str = "statuses";

// === impl EachCluster ===

impl<'de, S: ClusterSink> Deserialize<'de> for EachCluster<S> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let visitor = BodyVisitor(PhantomData);
        deserializer.deserialize_struct("AllClusterStatuses", &[STATUSES], visitor)
    }
}

struct BodyVisitor<S>(PhantomData<S>);

impl<'de, S: ClusterSink> Visitor<'de> for BodyVisitor<S> {
    type Value = EachCluster<S>;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("struct AllClusterStatuses")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut sink = None;
        while let Some(key) = map.next_key::<FieldName>()? {
            match key {
                FieldName::Statuses if sink.is_some() => {
                    return Err(de::Error::duplicate_field(STATUSES));
                }
                FieldName::Statuses => sink = Some(map.next_value_seed(Statuses(S::default()))?),
                FieldName::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(EachCluster(sink.unwrap_or_default()))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let sink = seq.next_element_seed(Statuses(S::default()))?;
        Ok(EachCluster(sink.unwrap_or_default()))
    }
}

/// A key of the body: `statuses`, or one this crate does not read.
enum FieldName {
    Statuses,
    Other,
}

impl<'de> Deserialize<'de> for FieldName {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_identifier(FieldNameVisitor)
    }
}

struct FieldNameVisitor;

impl Visitor<'_> for FieldNameVisitor {
    type Value = FieldName;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("a field name")
    }

    fn visit_str<E>(self, name: &str) -> Result<Self::Value, E> {
        Ok(if name == STATUSES {
            FieldName::Statuses
        } else {
            FieldName::Other
        })
    }
}

/// The `statuses` array, fed into the sink element by element.
struct Statuses<S>(S);

impl<'de, S: ClusterSink> DeserializeSeed<'de> for Statuses<S> {
    type Value = S;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<S, D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de, S: ClusterSink> Visitor<'de> for Statuses<S> {
    type Value = S;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("a sequence of cluster statuses")
    }

    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<S, A::Error> {
        while let Some(cluster) = seq.next_element::<ClusterLibraryStatuses>()? {
            self.0.accept(cluster);
        }
        Ok(self.0)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use serde_json::json;

    use super::*;
    use crate::databricks::models::AllClusterStatuses;

    fn both(
        body: serde_json::Value,
    ) -> (
        Option<AllClusterStatuses>,
        Option<Vec<ClusterLibraryStatuses>>,
    ) {
        let derived = serde_json::from_value::<AllClusterStatuses>(body.clone()).ok();
        let each = serde_json::from_value::<EachCluster<Vec<_>>>(body).ok();
        (derived, each.map(|each| each.0))
    }

    #[test]
    fn reads_what_the_derived_body_reads() {
        for body in [
            json!({}),
            json!({"statuses": []}),
            json!({"statuses": [{"cluster_id": "a"}, {"cluster_id": "b", "library_statuses": [
                {"library": {"jar": "/a.jar"}, "status": "INSTALLED"}]}], "other": [1, {"x": 2}]}),
            json!([[{"cluster_id": "a"}]]),
            json!({"statuses": null}),
            json!({"statuses": [{"library_statuses": []}]}),
            json!({"statuses": {"cluster_id": "a"}}),
        ] {
            let (derived, each) = both(body.clone());
            assert_eq!(derived.map(|all| all.statuses), each, "{body}");
        }
    }

    #[test]
    fn a_repeated_statuses_key_is_refused() {
        let body = r#"{"statuses": [], "statuses": []}"#;
        assert!(serde_json::from_str::<AllClusterStatuses>(body).is_err());
        assert!(serde_json::from_str::<EachCluster<Vec<ClusterLibraryStatuses>>>(body).is_err());
    }
}
