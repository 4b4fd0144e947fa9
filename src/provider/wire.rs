//! `DynamicValue`s to and from [`Value`]s: Terraform always sends msgpack;
//! the JSON form is read when msgpack is empty; empty means null. The
//! provider always answers msgpack (JSON cannot say "unknown").

use super::{
    diagnostics,
    proto::{Diagnostic, DynamicValue},
    value::{self, Type, Value},
};

/// Reads `dynamic` (absent = null) as `ty`; `what` names it in the error.
pub fn decode(dynamic: Option<&DynamicValue>, ty: &Type, what: &str) -> Result<Value, Diagnostic> {
    let Some(dynamic) = dynamic else {
        return Ok(Value::Null);
    };
    let decoded = if !dynamic.msgpack.is_empty() {
        value::decode(&dynamic.msgpack, ty)
    } else if !dynamic.json.is_empty() {
        serde_json::from_slice(&dynamic.json)
            .map_err(|error| value::ValueError::at("", error.to_string()))
            .and_then(|json| value::from_json(&json, ty))
    } else {
        Ok(Value::Null)
    };
    decoded.map_err(|error| {
        diagnostics::error(
            format!("Could not read the {what} Terraform sent"),
            format!(
                "{error}. This is a bug in the dbgrpc provider or a Terraform it does not support."
            ),
        )
    })
}

/// Writes `value` as msgpack for `ty`.
pub fn encode(value: &Value, ty: &Type, what: &str) -> Result<DynamicValue, Diagnostic> {
    value::encode(value, ty)
        .map(|msgpack| DynamicValue {
            msgpack,
            json: Vec::new(),
        })
        .map_err(|error| {
            diagnostics::error(
                format!("The dbgrpc provider built an invalid {what}"),
                format!("{error}. This is a bug in the provider: please report it."),
            )
        })
}
