//! A library specification as the emulator reads it from install and
//! uninstall bodies, keeps it (identity is the whole specification) and
//! reports it in status bodies. Reading refuses, with the field named, any
//! object that does not set exactly one known kind with its required field.

use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::errors::ErrorResponse;

/// The library kinds a `Library` object may set, exactly one at a time.
const KINDS: &str = "jar, egg, whl, requirements, pypi, maven, cran";

/// One library, of exactly one kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Library {
    /// A file named by a path or URI (`jar`, `egg`, `whl`, `requirements`).
    File(FileKind, String),
    /// `pypi`: a package from PyPI or another index.
    Pypi(Package),
    /// `cran`: a package from CRAN or another mirror.
    Cran(Package),
    /// `maven`: coordinates, with a repository and exclusions.
    Maven(Maven),
}

/// The kinds of library that are a single path or URI.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FileKind {
    /// `jar`.
    Jar,
    /// `egg` (refused by recent runtimes).
    Egg,
    /// `whl`.
    Whl,
    /// `requirements`: a requirements.txt file.
    Requirements,
}

/// `{"package", "repo"}` of a PyPI or CRAN library; other keys are ignored.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub(crate) struct Package {
    /// The package, for PyPI with an optional version specifier.
    pub(crate) package: String,
    /// The index or mirror; absent (or null) means the default one.
    pub(crate) repo: Option<String>,
}

/// `{"coordinates", "repo", "exclusions"}` of a Maven library.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub(crate) struct Maven {
    /// `group:artifact:version`.
    pub(crate) coordinates: String,
    /// The repository; absent (or null) means the default ones.
    pub(crate) repo: Option<String>,
    /// `group:artifact` patterns; absent means none (null is refused).
    #[serde(default)]
    pub(crate) exclusions: Vec<String>,
}

// === impl Library ===

impl Library {
    /// Reads `libraries[index]` of an install or uninstall body.
    pub(crate) fn parse(index: usize, value: &Value) -> Result<Self, ErrorResponse> {
        let invalid =
            |what: String| ErrorResponse::invalid_parameter(format!("libraries[{index}] {what}"));
        let Value::Object(map) = value else {
            return Err(invalid(format!(
                "must be an object with exactly one of {KINDS}, got {value}"
            )));
        };
        let (kind, inner) = only_entry(map).map_err(invalid)?;
        if let Some(file) = FileKind::named(kind) {
            return match inner {
                Value::String(path) if !path.is_empty() => Ok(Self::File(file, path.clone())),
                _ => Err(invalid(format!(
                    "{kind} must be a non-empty string, got {inner}"
                ))),
            };
        }
        let required = match kind {
            "pypi" | "cran" => "package",
            "maven" => "coordinates",
            _ => {
                return Err(invalid(format!(
                    "has an unknown library kind '{kind}': expected one of {KINDS}"
                )));
            }
        };
        match inner.get(required) {
            Some(Value::String(text)) if !text.is_empty() => {}
            _ => {
                let field = format!("libraries[{index}].{kind}.{required}");
                return Err(ErrorResponse::missing_field(&field));
            }
        }
        let read = match kind {
            "pypi" => Package::deserialize(inner).map(Self::Pypi),
            "cran" => Package::deserialize(inner).map(Self::Cran),
            _ => Maven::deserialize(inner).map(Self::Maven),
        };
        read.map_err(|error| {
            ErrorResponse::invalid_parameter(format!(
                "Invalid value for libraries[{index}]: {error}"
            ))
        })
    }

    /// The library as status bodies show it: its one kind, with the
    /// optional fields left out when absent or empty.
    pub(crate) fn to_json(&self) -> Value {
        match self {
            Self::File(kind, path) => json!({ kind.key(): path }),
            Self::Pypi(package) => json!({ "pypi": package.to_json() }),
            Self::Cran(package) => json!({ "cran": package.to_json() }),
            Self::Maven(maven) => {
                let mut fields = Map::new();
                fields.insert("coordinates".to_owned(), json!(maven.coordinates));
                with_repo(&mut fields, maven.repo.as_deref());
                if !maven.exclusions.is_empty() {
                    fields.insert("exclusions".to_owned(), json!(maven.exclusions));
                }
                json!({ "maven": fields })
            }
        }
    }
}

/// The one `(kind, value)` entry of a library object, or what is wrong.
fn only_entry(map: &Map<String, Value>) -> Result<(&str, &Value), String> {
    let mut entries = map.iter();
    match (entries.next(), entries.next()) {
        (Some((kind, inner)), None) => Ok((kind.as_str(), inner)),
        (None, _) => Err(format!(
            "sets no library kind: expected exactly one of {KINDS}"
        )),
        (Some(_), Some(_)) => {
            let found = map.keys().map(String::as_str).collect::<Vec<_>>();
            Err(format!(
                "sets several library kinds ({}): expected exactly one of {KINDS}",
                found.join(", ")
            ))
        }
    }
}

fn with_repo(fields: &mut Map<String, Value>, repo: Option<&str>) {
    if let Some(repo) = repo {
        fields.insert("repo".to_owned(), json!(repo));
    }
}

// === impl FileKind ===

impl FileKind {
    const ALL: [Self; 4] = [Self::Jar, Self::Egg, Self::Whl, Self::Requirements];

    /// The kind whose key is `key`, if it is a file kind.
    fn named(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.key() == key)
    }

    /// The key of the kind in a library object, e.g. `whl`.
    fn key(self) -> &'static str {
        match self {
            Self::Jar => "jar",
            Self::Egg => "egg",
            Self::Whl => "whl",
            Self::Requirements => "requirements",
        }
    }
}

// === impl Package ===

impl Package {
    fn to_json(&self) -> Value {
        let mut fields = Map::new();
        fields.insert("package".to_owned(), json!(self.package));
        with_repo(&mut fields, self.repo.as_deref());
        Value::Object(fields)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use serde_json::json;

    use super::*;

    fn reported(sent: &Value) -> Value {
        Library::parse(0, sent).unwrap().to_json()
    }

    #[test]
    fn every_kind_is_reported_as_sent() {
        for sent in [
            json!({"jar": "/Volumes/a.jar"}),
            json!({"egg": "/Volumes/a.egg"}),
            json!({"whl": "/Volumes/a.whl"}),
            json!({"requirements": "/Workspace/r.txt"}),
            json!({"pypi": {"package": "x==1", "repo": "https://pypi.example"}}),
            json!({"cran": {"package": "x", "repo": "https://cran.example"}}),
            json!({"maven": {"coordinates": "g:a:1", "repo": "https://m.example", "exclusions": ["g:b"]}}),
        ] {
            assert_eq!(reported(&sent), sent);
        }
    }

    #[test]
    fn absent_null_empty_and_unknown_fields_are_left_out() {
        let pypi = json!({"pypi": {"package": "x", "repo": null, "extra": 1}});
        assert_eq!(reported(&pypi), json!({"pypi": {"package": "x"}}));
        let maven = json!({"maven": {"coordinates": "g:a:1", "exclusions": []}});
        assert_eq!(reported(&maven), json!({"maven": {"coordinates": "g:a:1"}}));
        let same = Library::parse(0, &json!({"pypi": {"package": "x"}})).unwrap();
        assert_eq!(
            Library::parse(0, &pypi).unwrap(),
            same,
            "identity ignores them"
        );
    }

    #[test]
    fn a_mistyped_optional_field_is_refused_with_serde_s_words() {
        let sent = json!({"maven": {"coordinates": "g:a:1", "exclusions": null}});
        let error = format!("{:?}", Library::parse(2, &sent).unwrap_err());
        assert!(
            error.contains(
                "Invalid value for libraries[2]: invalid type: null, expected a sequence"
            ),
            "{error}"
        );
    }
}
