//! Every resource and data source type the provider serves, with the cty
//! type its schema implies (computed once).

use std::collections::BTreeMap;

use super::{
    data_sources,
    proto::Schema,
    resource::{DataSource, ManagedResource},
    resources,
    value::{Type, block_type},
};

/// A type and its schema's implied value type.
pub struct Entry<T: ?Sized> {
    /// The resource or data source.
    pub kind: Box<T>,
    /// Its schema, as announced.
    pub schema: Schema,
    /// The type of its values.
    pub ty: Type,
}

/// The provider's resource and data source types, by type name.
pub struct Registry {
    /// `resource "dbgrpc_…"` types.
    pub resources: BTreeMap<&'static str, Entry<dyn ManagedResource>>,
    /// `data "dbgrpc_…"` types.
    pub data_sources: BTreeMap<&'static str, Entry<dyn DataSource>>,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry")
            .field("resources", &self.resources.keys().collect::<Vec<_>>())
            .field(
                "data_sources",
                &self.data_sources.keys().collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl Registry {
    /// Every type the provider serves.
    pub fn new() -> Self {
        let mut registry = Self {
            resources: BTreeMap::new(),
            data_sources: BTreeMap::new(),
        };
        for kind in resources::all() {
            let schema = kind.schema();
            let ty = implied_type(&schema);
            registry
                .resources
                .insert(kind.type_name(), Entry { kind, schema, ty });
        }
        for kind in data_sources::all() {
            let schema = kind.schema();
            let ty = implied_type(&schema);
            registry
                .data_sources
                .insert(kind.type_name(), Entry { kind, schema, ty });
        }
        registry
    }
}

impl Default for Registry {
    fn default() -> Self {
        Self::new()
    }
}

/// The value type of a schema. The schemas are constants checked by unit
/// tests (`check_rules`), so a failure here is a provider bug: it yields an
/// empty object type, which makes every call on that type fail loudly.
pub fn implied_type(schema: &Schema) -> Type {
    schema
        .block
        .as_ref()
        .and_then(|block| block_type(block).ok())
        .unwrap_or(Type::Object(BTreeMap::new()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::{schema::provider_schema, schema_builder::check_rules};

    #[test]
    fn every_schema_passes_terraforms_rules_and_implies_a_type() {
        let registry = Registry::new();
        check_rules(&provider_schema()).unwrap();
        for (name, entry) in &registry.resources {
            assert!(name.starts_with("dbgrpc_"), "{name}");
            check_rules(&entry.schema).unwrap_or_else(|e| panic!("{name}: {e}"));
            block_type(entry.schema.block.as_ref().unwrap()).unwrap();
        }
        for (name, entry) in &registry.data_sources {
            assert!(name.starts_with("dbgrpc_"), "{name}");
            check_rules(&entry.schema).unwrap_or_else(|e| panic!("{name}: {e}"));
            block_type(entry.schema.block.as_ref().unwrap()).unwrap();
        }
    }
}
