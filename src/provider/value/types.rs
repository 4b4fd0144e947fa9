//! cty types: read from the JSON type constraint of a schema attribute
//! (`"string"`, `["list","string"]`, `["object",{…}]`), written back for
//! schemas, and implied by a schema block.

use std::collections::BTreeMap;

use serde_json::{Value as Json, json};

use super::ValueError;
use crate::provider::proto::schema::{Block, Object, nested_block::NestingMode};

/// A cty type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Type {
    /// `"string"`.
    String,
    /// `"number"`.
    Number,
    /// `"bool"`.
    Bool,
    /// `"dynamic"`: the value carries its own type on the wire.
    Dynamic,
    /// `["list", T]`.
    List(Box<Type>),
    /// `["set", T]`.
    Set(Box<Type>),
    /// `["map", T]`.
    Map(Box<Type>),
    /// `["object", {name: T}]`.
    Object(BTreeMap<String, Type>),
    /// `["tuple", [T…]]`.
    Tuple(Vec<Type>),
}

impl Type {
    /// `["list", element]`.
    pub fn list(element: Type) -> Self {
        Self::List(Box::new(element))
    }

    /// `["set", element]`.
    pub fn set(element: Type) -> Self {
        Self::Set(Box::new(element))
    }

    /// `["map", element]`.
    pub fn map(element: Type) -> Self {
        Self::Map(Box::new(element))
    }

    /// An object type from `(name, type)` pairs.
    pub fn object<'a>(attributes: impl IntoIterator<Item = (&'a str, Type)>) -> Self {
        Self::Object(
            attributes
                .into_iter()
                .map(|(name, ty)| (name.to_owned(), ty))
                .collect(),
        )
    }

    /// Reads a JSON type constraint, as found in `Schema.Attribute.type`.
    pub fn from_json_bytes(bytes: &[u8]) -> Result<Self, ValueError> {
        let json: Json = serde_json::from_slice(bytes)
            .map_err(|error| ValueError::at("", format!("type is not JSON: {error}")))?;
        Self::from_json(&json)
    }

    /// Reads a parsed JSON type constraint.
    pub fn from_json(json: &Json) -> Result<Self, ValueError> {
        let bad = || ValueError::at("", format!("not a cty type: {json}"));
        match json {
            Json::String(name) => match name.as_str() {
                "string" => Ok(Self::String),
                "number" => Ok(Self::Number),
                "bool" => Ok(Self::Bool),
                "dynamic" => Ok(Self::Dynamic),
                _ => Err(bad()),
            },
            Json::Array(parts) => match (parts.first().and_then(Json::as_str), parts.get(1)) {
                (Some("list"), Some(element)) => Ok(Self::list(Self::from_json(element)?)),
                (Some("set"), Some(element)) => Ok(Self::set(Self::from_json(element)?)),
                (Some("map"), Some(element)) => Ok(Self::map(Self::from_json(element)?)),
                (Some("object"), Some(Json::Object(attributes))) => Ok(Self::Object(
                    attributes
                        .iter()
                        .map(|(name, ty)| Ok((name.clone(), Self::from_json(ty)?)))
                        .collect::<Result<_, ValueError>>()?,
                )),
                (Some("tuple"), Some(Json::Array(elements))) => Ok(Self::Tuple(
                    elements
                        .iter()
                        .map(Self::from_json)
                        .collect::<Result<_, _>>()?,
                )),
                _ => Err(bad()),
            },
            _ => Err(bad()),
        }
    }

    /// The JSON type constraint Terraform reads from a schema.
    pub fn to_json(&self) -> Json {
        match self {
            Self::String => json!("string"),
            Self::Number => json!("number"),
            Self::Bool => json!("bool"),
            Self::Dynamic => json!("dynamic"),
            Self::List(element) => json!(["list", element.to_json()]),
            Self::Set(element) => json!(["set", element.to_json()]),
            Self::Map(element) => json!(["map", element.to_json()]),
            Self::Object(attributes) => {
                let attributes: serde_json::Map<_, _> = attributes
                    .iter()
                    .map(|(name, ty)| (name.clone(), ty.to_json()))
                    .collect();
                json!(["object", attributes])
            }
            Self::Tuple(elements) => {
                json!([
                    "tuple",
                    elements.iter().map(Self::to_json).collect::<Vec<_>>()
                ])
            }
        }
    }

    /// [`Type::to_json`] as the bytes of `Schema.Attribute.type`.
    pub fn to_json_bytes(&self) -> Vec<u8> {
        self.to_json().to_string().into_bytes()
    }
}

/// The object type a schema block implies: one attribute per attribute
/// and per nested block type (SINGLE and GROUP an object, LIST a list of
/// objects, SET a set, MAP a map).
pub fn block_type(block: &Block) -> Result<Type, ValueError> {
    let mut attributes = BTreeMap::new();
    for attribute in &block.attributes {
        let ty = match &attribute.nested_type {
            Some(object) => nested_object_type(object)?,
            None => Type::from_json_bytes(&attribute.r#type)
                .map_err(|error| ValueError::at(&format!(".{}", attribute.name), error.problem))?,
        };
        attributes.insert(attribute.name.clone(), ty);
    }
    for nested in &block.block_types {
        let inner = block_type(nested.block.as_ref().ok_or_else(|| {
            ValueError::at(
                &format!(".{}", nested.type_name),
                "nested block has no block",
            )
        })?)?;
        let ty = match NestingMode::try_from(nested.nesting) {
            Ok(NestingMode::Single | NestingMode::Group) => inner,
            Ok(NestingMode::List) => Type::list(inner),
            Ok(NestingMode::Set) => Type::set(inner),
            Ok(NestingMode::Map) => Type::map(inner),
            Ok(NestingMode::Invalid) | Err(_) => {
                return Err(ValueError::at(
                    &format!(".{}", nested.type_name),
                    "nested block has no nesting mode",
                ));
            }
        };
        attributes.insert(nested.type_name.clone(), ty);
    }
    Ok(Type::Object(attributes))
}

/// The type of a nested attribute (`Schema.Object`).
fn nested_object_type(object: &Object) -> Result<Type, ValueError> {
    let inner = block_type(&Block {
        attributes: object.attributes.clone(),
        ..Block::default()
    })?;
    use crate::provider::proto::schema::object::NestingMode as ObjectNesting;
    match ObjectNesting::try_from(object.nesting) {
        Ok(ObjectNesting::Single) => Ok(inner),
        Ok(ObjectNesting::List) => Ok(Type::list(inner)),
        Ok(ObjectNesting::Set) => Ok(Type::set(inner)),
        Ok(ObjectNesting::Map) => Ok(Type::map(inner)),
        Ok(ObjectNesting::Invalid) | Err(_) => {
            Err(ValueError::at("", "nested attribute has no nesting mode"))
        }
    }
}
