//! Short ways to write schemas, and the rules Terraform checks a schema
//! against when it loads it (`configschema.InternalValidate`): a schema
//! that breaks one makes Terraform refuse the provider, so every schema is
//! checked in unit tests with [`check_rules`].

use super::{
    proto::{
        Schema, StringKind,
        schema::{Attribute, Block, NestedBlock, nested_block::NestingMode},
    },
    value::Type,
};

/// Who sets an attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The configuration must set it.
    Required,
    /// The configuration may set it; otherwise null.
    Optional,
    /// Only the provider sets it.
    Computed,
    /// The configuration may set it; otherwise the provider does.
    OptionalComputed,
}

/// An attribute of type `ty`.
pub fn attribute(name: &str, ty: Type, mode: Mode, description: &str) -> Attribute {
    Attribute {
        name: name.to_owned(),
        r#type: ty.to_json_bytes(),
        description: description.to_owned(),
        description_kind: StringKind::Plain.into(),
        required: mode == Mode::Required,
        optional: matches!(mode, Mode::Optional | Mode::OptionalComputed),
        computed: matches!(mode, Mode::Computed | Mode::OptionalComputed),
        ..Attribute::default()
    }
}

/// A block of attributes and nested blocks.
pub fn block(
    attributes: Vec<Attribute>,
    block_types: Vec<NestedBlock>,
    description: &str,
) -> Block {
    Block {
        version: 0,
        attributes,
        block_types,
        description: description.to_owned(),
        description_kind: StringKind::Plain.into(),
        deprecated: false,
    }
}

/// A nested block type `name` (LIST and SET take `max_items`, 0 = any).
pub fn nested(name: &str, nesting: NestingMode, max_items: i64, block: Block) -> NestedBlock {
    NestedBlock {
        type_name: name.to_owned(),
        block: Some(block),
        nesting: nesting.into(),
        min_items: 0,
        max_items,
    }
}

/// A version-0 schema around `block`.
pub fn schema(block: Block) -> Schema {
    Schema {
        version: 0,
        block: Some(block),
    }
}

/// Checks `schema` against the rules Terraform enforces at load; the
/// error names the first offending attribute or block.
pub fn check_rules(schema: &Schema) -> Result<(), String> {
    if schema.version < 0 {
        return Err("negative schema version".to_owned());
    }
    let block = schema.block.as_ref().ok_or("a schema without a block")?;
    check_block(block, "")
}

fn check_block(block: &Block, path: &str) -> Result<(), String> {
    let mut names = std::collections::HashSet::new();
    for attribute in &block.attributes {
        let at = format!("{path}.{}", attribute.name);
        check_name(&attribute.name, &at)?;
        if !names.insert(attribute.name.as_str()) {
            return Err(format!("{at}: declared twice"));
        }
        if !(attribute.required || attribute.optional || attribute.computed) {
            return Err(format!("{at}: none of required, optional, computed"));
        }
        if attribute.required && (attribute.optional || attribute.computed) {
            return Err(format!("{at}: required with optional or computed"));
        }
        match (&attribute.nested_type, attribute.r#type.is_empty()) {
            (None, false) => {
                Type::from_json_bytes(&attribute.r#type).map_err(|e| format!("{at}: {e}"))?;
            }
            (Some(_), true) => {}
            _ => return Err(format!("{at}: exactly one of type and nested_type")),
        }
        if attribute.description.is_empty() {
            return Err(format!(
                "{at}: no description (the README reference needs one)"
            ));
        }
    }
    for nested in &block.block_types {
        let at = format!("{path}.{}", nested.type_name);
        check_name(&nested.type_name, &at)?;
        if !names.insert(nested.type_name.as_str()) {
            return Err(format!("{at}: clashes with an attribute or block"));
        }
        let inner = nested.block.as_ref().ok_or(format!("{at}: no block"))?;
        let (min, max) = (nested.min_items, nested.max_items);
        match NestingMode::try_from(nested.nesting) {
            Ok(NestingMode::Single) if min == max && (0..=1).contains(&min) => {}
            Ok(NestingMode::Group | NestingMode::Map) if min == 0 && max == 0 => {}
            Ok(NestingMode::List) if min >= 0 && (max == 0 || min <= max) => {}
            Ok(NestingMode::Set) if min >= 0 && (max == 0 || min <= max) => {
                if contains_dynamic(inner) {
                    return Err(format!("{at}: a SET block with a dynamic attribute"));
                }
            }
            _ => return Err(format!("{at}: bad nesting or item bounds")),
        }
        check_block(inner, &at)?;
    }
    Ok(())
}

fn check_name(name: &str, at: &str) -> Result<(), String> {
    let valid = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if valid {
        Ok(())
    } else {
        Err(format!("{at}: name must match ^[a-z0-9_]+$"))
    }
}

fn contains_dynamic(block: &Block) -> bool {
    block
        .attributes
        .iter()
        .any(|attribute| attribute.r#type.as_slice() == br#""dynamic""#)
        || block
            .block_types
            .iter()
            .filter_map(|nested| nested.block.as_ref())
            .any(contains_dynamic)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(attribute: Attribute) -> Schema {
        schema(block(vec![attribute], vec![], "test"))
    }

    #[test]
    fn the_rules_catch_what_terraform_refuses() {
        let good = attribute("name", Type::String, Mode::Required, "a name");
        assert_eq!(check_rules(&one(good.clone())), Ok(()));
        let both = Attribute {
            computed: true,
            ..good.clone()
        };
        assert!(check_rules(&one(both)).is_err());
        let neither = Attribute {
            required: false,
            ..good.clone()
        };
        assert!(check_rules(&one(neither)).is_err());
        let bad_type = Attribute {
            r#type: b"\"strin\"".to_vec(),
            ..good.clone()
        };
        assert!(check_rules(&one(bad_type)).is_err());
        let bad_name = attribute("Name", Type::String, Mode::Optional, "x");
        assert!(check_rules(&one(bad_name)).is_err());
        let single_many = schema(block(
            vec![],
            vec![NestedBlock {
                max_items: 3,
                ..nested("x", NestingMode::Single, 0, block(vec![], vec![], "x"))
            }],
            "t",
        ));
        assert!(check_rules(&single_many).is_err());
        let clash = schema(block(
            vec![good],
            vec![nested(
                "name",
                NestingMode::List,
                1,
                block(vec![], vec![], "x"),
            )],
            "t",
        ));
        assert!(check_rules(&clash).is_err());
        assert!(
            check_rules(&Schema {
                version: 0,
                block: None
            })
            .is_err()
        );
    }
}
