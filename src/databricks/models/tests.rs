//! Golden wire tests: every model is read from (or written to) literal JSON
//! taken from `databricks-rest-examples.json` and the REST reference, so a
//! renamed field, a changed optionality or a changed spelling fails here.
//! Each test names the example its JSON came from.

use serde::{Serialize, de::DeserializeOwned};
use serde_json::Value;

mod all_statuses;
mod clusters;
mod errors;
mod execution;
mod files;
mod libraries;
mod library_statuses;
mod results;

/// `json` read as `T`; panics with serde's message when it does not read.
fn golden<T: DeserializeOwned>(json: &str) -> T {
    match serde_json::from_str(json) {
        Ok(value) => value,
        Err(error) => panic!(
            "{} did not read: {error}\n{json}",
            std::any::type_name::<T>()
        ),
    }
}

/// serde's message for `json`, which must not read as `T`.
fn refused<T: DeserializeOwned + std::fmt::Debug>(json: &str) -> String {
    match serde_json::from_str::<T>(json) {
        Ok(value) => panic!("{json} should not read, but read as {value:?}"),
        Err(error) => error.to_string(),
    }
}

/// `value` as it goes on the wire.
fn wire<T: Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap()
}

/// `json` as a value, for comparing with [`wire`].
fn literal(json: &str) -> Value {
    serde_json::from_str(json).unwrap()
}
