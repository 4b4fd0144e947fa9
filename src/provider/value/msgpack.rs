//! The msgpack form of a value (what Terraform sends in
//! `DynamicValue.msgpack`, and all the provider sends back), read and
//! written against its [`Type`].

use std::collections::BTreeMap;

use rmpv::Value as Msgpack;

use super::{Number, Refinements, Type, Value, ValueError};

/// Reads msgpack bytes as a value of type `ty`. Every msgpack extension is
/// an unknown; numbers may be ints, floats or decimal strings; an object
/// attribute missing from the map reads as null; an attribute the type
/// does not have is an error.
pub fn decode(bytes: &[u8], ty: &Type) -> Result<Value, ValueError> {
    let mut reader = bytes;
    let raw = rmpv::decode::read_value(&mut reader)
        .map_err(|error| ValueError::at("", format!("not msgpack: {error}")))?;
    if !reader.is_empty() {
        return Err(ValueError::at("", "bytes left after the value"));
    }
    from_msgpack(raw, ty, "")
}

/// Writes a value of type `ty` as msgpack. Objects are written with every
/// attribute of the type (a missing one is an error: Terraform requires
/// them all), unknowns as extension 0.
pub fn encode(value: &Value, ty: &Type) -> Result<Vec<u8>, ValueError> {
    let raw = to_msgpack(value, ty, "")?;
    let mut bytes = Vec::new();
    rmpv::encode::write_value(&mut bytes, &raw)
        .map_err(|error| ValueError::at("", format!("could not write msgpack: {error}")))?;
    Ok(bytes)
}

fn from_msgpack(raw: Msgpack, ty: &Type, path: &str) -> Result<Value, ValueError> {
    let mismatch = |raw: &Msgpack| ValueError::at(path, format!("expected {ty:?}, got {raw}"));
    match (raw, ty) {
        (Msgpack::Nil, _) => Ok(Value::Null),
        (Msgpack::Ext(ext_type, payload), _) => {
            Ok(Value::Unknown(Refinements::from_ext(ext_type, &payload)))
        }
        (Msgpack::Array(parts), Type::Dynamic) => {
            let [Msgpack::Binary(type_json), inner] = <[Msgpack; 2]>::try_from(parts)
                .map_err(|_| ValueError::at(path, "dynamic value is not [type, value]"))?
            else {
                return Err(ValueError::at(path, "dynamic value has no type"));
            };
            let inner_type = Type::from_json_bytes(&type_json)?;
            from_msgpack(inner, &inner_type, path)
        }
        (Msgpack::String(text), Type::String) => text
            .into_str()
            .map(Value::String)
            .ok_or_else(|| ValueError::at(path, "string is not UTF-8")),
        (Msgpack::Boolean(flag), Type::Bool) => Ok(Value::Bool(flag)),
        (Msgpack::Integer(integer), Type::Number) => {
            Ok(Value::Number(match (integer.as_i64(), integer.as_u64()) {
                (Some(signed), _) => Number::Int(signed),
                (None, Some(unsigned)) => Number::Decimal(unsigned.to_string()),
                (None, None) => return Err(ValueError::at(path, "integer out of range")),
            }))
        }
        (Msgpack::F64(float), Type::Number) => Ok(Value::Number(Number::Float(float))),
        (Msgpack::F32(float), Type::Number) => Ok(Value::Number(Number::Float(float.into()))),
        (Msgpack::String(text), Type::Number) => {
            let text = text
                .into_str()
                .ok_or_else(|| ValueError::at(path, "number is not UTF-8"))?;
            if text.parse::<f64>().is_err() {
                return Err(ValueError::at(path, format!("not a number: {text:?}")));
            }
            Ok(Value::Number(Number::Decimal(text)))
        }
        (Msgpack::Array(elements), Type::List(element) | Type::Set(element)) => elements
            .into_iter()
            .enumerate()
            .map(|(index, raw)| from_msgpack(raw, element, &format!("{path}[{index}]")))
            .collect::<Result<_, _>>()
            .map(Value::List),
        (Msgpack::Array(elements), Type::Tuple(types)) => {
            if elements.len() != types.len() {
                return Err(ValueError::at(
                    path,
                    format!("tuple of {} elements, got {}", types.len(), elements.len()),
                ));
            }
            elements
                .into_iter()
                .zip(types)
                .enumerate()
                .map(|(index, (raw, ty))| from_msgpack(raw, ty, &format!("{path}[{index}]")))
                .collect::<Result<_, _>>()
                .map(Value::List)
        }
        (Msgpack::Map(entries), Type::Map(element)) => {
            let mut map = BTreeMap::new();
            for (key, raw) in entries {
                let key = key_text(key, path)?;
                let value = from_msgpack(raw, element, &format!("{path}[{key:?}]"))?;
                map.insert(key, value);
            }
            Ok(Value::Map(map))
        }
        (Msgpack::Map(entries), Type::Object(attributes)) => {
            let mut object: BTreeMap<String, Value> = attributes
                .keys()
                .map(|name| (name.clone(), Value::Null))
                .collect();
            for (key, raw) in entries {
                let name = key_text(key, path)?;
                let Some(attribute_type) = attributes.get(&name) else {
                    return Err(ValueError::at(
                        path,
                        format!("unsupported attribute {name:?}"),
                    ));
                };
                let value = from_msgpack(raw, attribute_type, &format!("{path}.{name}"))?;
                object.insert(name, value);
            }
            Ok(Value::Map(object))
        }
        (raw, _) => Err(mismatch(&raw)),
    }
}

fn key_text(key: Msgpack, path: &str) -> Result<String, ValueError> {
    match key {
        Msgpack::String(text) => text
            .into_str()
            .ok_or_else(|| ValueError::at(path, "key is not UTF-8")),
        other => Err(ValueError::at(
            path,
            format!("key is not a string: {other}"),
        )),
    }
}

fn to_msgpack(value: &Value, ty: &Type, path: &str) -> Result<Msgpack, ValueError> {
    let mismatch = || ValueError::at(path, format!("cannot write {value:?} as {ty:?}"));
    match (value, ty) {
        (Value::Null, _) => Ok(Msgpack::Nil),
        (Value::Unknown(_), _) => Ok(Msgpack::Ext(0, vec![0])),
        (_, Type::Dynamic) => Err(ValueError::at(
            path,
            "the provider does not write dynamic values",
        )),
        (Value::String(text), Type::String) => Ok(Msgpack::from(text.as_str())),
        (Value::Bool(flag), Type::Bool) => Ok(Msgpack::Boolean(*flag)),
        (Value::Number(Number::Int(number)), Type::Number) => Ok(Msgpack::from(*number)),
        (Value::Number(Number::Float(number)), Type::Number) => Ok(Msgpack::F64(*number)),
        (Value::Number(Number::Decimal(text)), Type::Number) => Ok(Msgpack::from(text.as_str())),
        (Value::List(elements), Type::List(element) | Type::Set(element)) => elements
            .iter()
            .enumerate()
            .map(|(index, value)| to_msgpack(value, element, &format!("{path}[{index}]")))
            .collect::<Result<_, _>>()
            .map(Msgpack::Array),
        (Value::List(elements), Type::Tuple(types)) if elements.len() == types.len() => elements
            .iter()
            .zip(types)
            .enumerate()
            .map(|(index, (value, ty))| to_msgpack(value, ty, &format!("{path}[{index}]")))
            .collect::<Result<_, _>>()
            .map(Msgpack::Array),
        (Value::Map(entries), Type::Map(element)) => entries
            .iter()
            .map(|(key, value)| {
                Ok((
                    Msgpack::from(key.as_str()),
                    to_msgpack(value, element, &format!("{path}[{key:?}]"))?,
                ))
            })
            .collect::<Result<_, _>>()
            .map(Msgpack::Map),
        (Value::Map(entries), Type::Object(attributes)) => {
            if let Some(extra) = entries.keys().find(|name| !attributes.contains_key(*name)) {
                return Err(ValueError::at(
                    path,
                    format!("attribute {extra:?} is not in the schema"),
                ));
            }
            attributes
                .iter()
                .map(|(name, attribute_type)| {
                    let attribute_path = format!("{path}.{name}");
                    let value = entries.get(name).ok_or_else(|| {
                        ValueError::at(&attribute_path, "missing: every attribute must be written")
                    })?;
                    Ok((
                        Msgpack::from(name.as_str()),
                        to_msgpack(value, attribute_type, &attribute_path)?,
                    ))
                })
                .collect::<Result<_, _>>()
                .map(Msgpack::Map)
        }
        _ => Err(mismatch()),
    }
}
