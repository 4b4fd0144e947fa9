//! The JSON form of a value: how Terraform stores state
//! (`UpgradeResourceState.raw_state.json`). Lenient the way Terraform's
//! own JSON decoding is: a missing attribute is null, and an attribute the
//! current schema no longer has is dropped.

use std::collections::BTreeMap;

use serde_json::Value as Json;

use super::{Number, Type, Value, ValueError};

/// Reads JSON as a value of type `ty`. JSON has no unknowns.
pub fn from_json(json: &Json, ty: &Type) -> Result<Value, ValueError> {
    read(json, ty, "")
}

fn read(json: &Json, ty: &Type, path: &str) -> Result<Value, ValueError> {
    let mismatch = || ValueError::at(path, format!("expected {ty:?}, got {json}"));
    match (json, ty) {
        (Json::Null, _) => Ok(Value::Null),
        (_, Type::Dynamic) => Err(ValueError::at(
            path,
            "the provider does not read dynamic values",
        )),
        (Json::String(text), Type::String) => Ok(Value::String(text.clone())),
        (Json::Bool(flag), Type::Bool) => Ok(Value::Bool(*flag)),
        (Json::Number(number), Type::Number) => {
            Ok(Value::Number(match (number.as_i64(), number.as_f64()) {
                (Some(integer), _) => Number::Int(integer),
                (None, Some(float)) if number.is_f64() => Number::Float(float),
                _ => Number::Decimal(number.to_string()),
            }))
        }
        (Json::String(text), Type::Number) if text.parse::<f64>().is_ok() => {
            Ok(Value::Number(Number::Decimal(text.clone())))
        }
        (Json::Array(elements), Type::List(element) | Type::Set(element)) => elements
            .iter()
            .enumerate()
            .map(|(index, json)| read(json, element, &format!("{path}[{index}]")))
            .collect::<Result<_, _>>()
            .map(Value::List),
        (Json::Array(elements), Type::Tuple(types)) if elements.len() == types.len() => elements
            .iter()
            .zip(types)
            .enumerate()
            .map(|(index, (json, ty))| read(json, ty, &format!("{path}[{index}]")))
            .collect::<Result<_, _>>()
            .map(Value::List),
        (Json::Object(entries), Type::Map(element)) => entries
            .iter()
            .map(|(key, json)| {
                Ok((
                    key.clone(),
                    read(json, element, &format!("{path}[{key:?}]"))?,
                ))
            })
            .collect::<Result<BTreeMap<_, _>, _>>()
            .map(Value::Map),
        (Json::Object(entries), Type::Object(attributes)) => attributes
            .iter()
            .map(|(name, attribute_type)| {
                let value = match entries.get(name) {
                    Some(json) => read(json, attribute_type, &format!("{path}.{name}"))?,
                    None => Value::Null,
                };
                Ok((name.clone(), value))
            })
            .collect::<Result<BTreeMap<_, _>, _>>()
            .map(Value::Map),
        _ => Err(mismatch()),
    }
}
