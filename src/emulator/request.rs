//! Reading request bodies and queries the way Databricks does: the JSON is
//! parsed as a `Value` first so that every refusal carries a Databricks
//! error code and names the offending field.

use std::collections::HashMap;

use axum::{
    body::Bytes,
    extract::Query,
    http::{HeaderMap, Uri, header::CONTENT_TYPE},
};
use serde_json::{Map, Value};

use super::{errors::ErrorResponse, library::Library};

/// A parsed `{"cluster_id", "libraries"}` body.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct LibrariesBody {
    /// The target cluster.
    pub(crate) cluster_id: String,
    /// The libraries, validated.
    pub(crate) libraries: Vec<Library>,
}

/// The JSON object of a POST body; an empty body counts as `{}`.
pub(crate) fn object(body: &Bytes) -> Result<Map<String, Value>, ErrorResponse> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    match serde_json::from_slice(body).map_err(ErrorResponse::malformed)? {
        Value::Object(map) => Ok(map),
        _ => Err(ErrorResponse::malformed("expected a JSON object")),
    }
}

/// Whether the request's body is a form (`application/x-www-form-urlencoded`),
/// as legacy REST API 1.2 clients send.
pub(crate) fn is_form(headers: &HeaderMap) -> bool {
    headers.get(CONTENT_TYPE).is_some_and(|value| {
        value
            .as_bytes()
            .starts_with(b"application/x-www-form-urlencoded")
    })
}

/// The fields of a form-urlencoded body as JSON strings; `None` when the
/// body is not a valid form.
pub(crate) fn form_object(body: &Bytes) -> Option<Map<String, Value>> {
    let text = std::str::from_utf8(body).ok()?;
    // Forms are percent-encoded like query strings, so axum's query parser
    // decodes them once they are put after a `?`.
    let uri: Uri = format!("/?{}", text.trim()).parse().ok()?;
    let Query(fields) = Query::<HashMap<String, String>>::try_from_uri(&uri).ok()?;
    Some(
        fields
            .into_iter()
            .map(|(k, v)| (k, Value::String(v)))
            .collect(),
    )
}

/// The non-empty string `field` of `map`.
pub(crate) fn required_string(
    map: &Map<String, Value>,
    field: &str,
) -> Result<String, ErrorResponse> {
    match map.get(field) {
        None | Some(Value::Null) => Err(ErrorResponse::missing_field(field)),
        Some(Value::String(text)) if text.is_empty() => Err(ErrorResponse::missing_field(field)),
        Some(Value::String(text)) => Ok(text.clone()),
        Some(other) => Err(ErrorResponse::invalid_parameter(format!(
            "Invalid value for field {field}: expected a string, got {other}"
        ))),
    }
}

/// The `cluster_id` query parameter of `uri`.
pub(crate) fn cluster_id_query(uri: &Uri) -> Result<String, ErrorResponse> {
    let Query(query) =
        Query::<HashMap<String, String>>::try_from_uri(uri).map_err(|rejection| {
            ErrorResponse::invalid_parameter(format!("Invalid query string: {rejection}"))
        })?;
    match query.get("cluster_id") {
        Some(id) if !id.is_empty() => Ok(id.clone()),
        _ => Err(ErrorResponse::missing_field("cluster_id")),
    }
}

/// Every `key=value` of `uri`'s query, in order; repeated keys repeat.
pub(crate) fn query_pairs(uri: &Uri) -> Result<Vec<(String, String)>, ErrorResponse> {
    let Query(pairs) = Query::<Vec<(String, String)>>::try_from_uri(uri).map_err(|rejection| {
        ErrorResponse::invalid_parameter(format!("Invalid query string: {rejection}"))
    })?;
    Ok(pairs)
}

/// The body of `libraries/install` and `libraries/uninstall`.
pub(crate) fn libraries_body(body: &Bytes) -> Result<LibrariesBody, ErrorResponse> {
    let map = object(body)?;
    let cluster_id = required_string(&map, "cluster_id")?;
    let libraries = match map.get("libraries") {
        None | Some(Value::Null) => return Err(ErrorResponse::missing_field("libraries")),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(index, item)| Library::parse(index, item)),
        Some(other) => {
            let message =
                format!("Invalid value for field libraries: expected an array, got {other}");
            return Err(ErrorResponse::invalid_parameter(message));
        }
    };
    Ok(LibrariesBody {
        cluster_id,
        libraries: libraries.collect::<Result<_, _>>()?,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use serde_json::json;

    use super::*;
    use crate::emulator::library::Package;

    fn parse(body: Value) -> Result<LibrariesBody, ErrorResponse> {
        libraries_body(&Bytes::from(body.to_string()))
    }

    fn refusal(body: Value) -> String {
        let error = parse(body).unwrap_err();
        let response = axum::response::IntoResponse::into_response(error.clone());
        assert_eq!(response.status(), 400, "{error:?}");
        format!("{error:?}")
    }

    #[test]
    fn a_valid_body_parses() {
        let body = parse(
            json!({"cluster_id": "c", "libraries": [{"pypi": {"package": "x", "repo": "r"}}]}),
        )
        .unwrap();
        let expected = Library::Pypi(Package {
            package: "x".into(),
            repo: Some("r".into()),
        });
        assert_eq!(
            body,
            LibrariesBody {
                cluster_id: "c".into(),
                libraries: vec![expected]
            }
        );
    }

    #[test]
    fn refusals_name_the_field() {
        assert!(refusal(json!({"libraries": []})).contains("Missing required field: cluster_id"));
        assert!(refusal(json!({"cluster_id": "c"})).contains("Missing required field: libraries"));
        assert!(refusal(json!({"cluster_id": 7, "libraries": []})).contains("field cluster_id"));
        let several = refusal(json!({"cluster_id": "c", "libraries": [{"jar": "a", "whl": "b"}]}));
        assert!(
            several.contains("libraries[0] sets several library kinds (jar, whl)"),
            "{several}"
        );
        let none = refusal(json!({"cluster_id": "c", "libraries": [{"jar": "a"}, {}]}));
        assert!(none.contains("libraries[1] sets no library kind"), "{none}");
        let unknown = refusal(json!({"cluster_id": "c", "libraries": [{"nuget": "a"}]}));
        assert!(
            unknown.contains("unknown library kind 'nuget'"),
            "{unknown}"
        );
        let missing = refusal(json!({"cluster_id": "c", "libraries": [{"maven": {"repo": "r"}}]}));
        assert!(
            missing.contains("Missing required field: libraries[0].maven.coordinates"),
            "{missing}"
        );
    }

    #[test]
    fn bad_json_is_malformed() {
        let error = libraries_body(&Bytes::from_static(b"{not json")).unwrap_err();
        assert!(format!("{error:?}").contains("MALFORMED_REQUEST"));
        let error = libraries_body(&Bytes::from_static(b"[1]")).unwrap_err();
        assert!(format!("{error:?}").contains("expected a JSON object"));
        let error = libraries_body(&Bytes::new()).unwrap_err();
        assert!(format!("{error:?}").contains("Missing required field: cluster_id"));
    }
}
