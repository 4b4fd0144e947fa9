//! One `library` block and the service's `Library`, both ways. The value
//! in state is always the one the configuration wrote: a block is turned
//! into a `Library` to call and compare, never rebuilt from what the
//! service reports (except on import, where nothing was written).

use crate::{
    proto::compute::{self as pb, library::Kind},
    provider::value::Value,
};

/// The attributes naming a kind that is a plain string.
const STRING_KINDS: [&str; 4] = ["jar", "whl", "egg", "requirements"];
/// The nested blocks naming a kind.
const BLOCK_KINDS: [&str; 3] = ["pypi", "maven", "cran"];

/// How many kinds a library block sets; an unknown value counts as set
/// (the configuration wrote something there).
pub(super) fn kinds_set(library: &Value) -> usize {
    let strings = STRING_KINDS
        .iter()
        .filter(|name| !library.attr(name).is_null())
        .count();
    let blocks = BLOCK_KINDS
        .iter()
        .filter(|name| match library.attr(name) {
            Value::List(elements) => !elements.is_empty(),
            Value::Null => false,
            _ => true,
        })
        .count();
    strings + blocks
}

/// The service's form of a wholly known library block; `None` when it
/// sets no kind (validation refuses that before any call).
pub(super) fn to_proto(library: &Value) -> Option<pb::Library> {
    let text = |value: &Value| value.as_str().unwrap_or_default().to_owned();
    let first = |name: &str| library.attr(name).elements().first().cloned();
    let kind = if let Some(uri) = library.attr("jar").as_str() {
        Kind::Jar(uri.to_owned())
    } else if let Some(uri) = library.attr("whl").as_str() {
        Kind::Whl(uri.to_owned())
    } else if let Some(uri) = library.attr("egg").as_str() {
        Kind::Egg(uri.to_owned())
    } else if let Some(path) = library.attr("requirements").as_str() {
        Kind::Requirements(path.to_owned())
    } else if let Some(pypi) = first("pypi") {
        Kind::Pypi(pb::PythonPyPiLibrary {
            package: text(pypi.attr("package")),
            repo: text(pypi.attr("repo")),
        })
    } else if let Some(maven) = first("maven") {
        Kind::Maven(pb::MavenLibrary {
            coordinates: text(maven.attr("coordinates")),
            repo: text(maven.attr("repo")),
            exclusions: maven.attr("exclusions").strings(),
        })
    } else if let Some(cran) = first("cran") {
        Kind::Cran(pb::RCranLibrary {
            package: text(cran.attr("package")),
            repo: text(cran.attr("repo")),
        })
    } else {
        return None;
    };
    Some(pb::Library { kind: Some(kind) })
}

/// A library block for a library the service reports (import): empty
/// repositories and exclusions are left unset, as a configuration that
/// does not mention them reads.
pub(super) fn from_proto(library: &pb::Library) -> Option<Value> {
    let optional = |text: &str| Value::optional_string((!text.is_empty()).then(|| text.to_owned()));
    let mut block = Value::object(
        STRING_KINDS.iter().map(|name| (*name, Value::Null)).chain(
            BLOCK_KINDS
                .iter()
                .map(|name| (*name, Value::List(Vec::new()))),
        ),
    );
    match library.kind.as_ref()? {
        Kind::Jar(uri) => block.set_attr("jar", Value::string(uri)),
        Kind::Whl(uri) => block.set_attr("whl", Value::string(uri)),
        Kind::Egg(uri) => block.set_attr("egg", Value::string(uri)),
        Kind::Requirements(path) => block.set_attr("requirements", Value::string(path)),
        Kind::Pypi(pypi) => block.set_attr(
            "pypi",
            Value::List(vec![Value::object([
                ("package", Value::string(&pypi.package)),
                ("repo", optional(&pypi.repo)),
            ])]),
        ),
        Kind::Maven(maven) => block.set_attr(
            "maven",
            Value::List(vec![Value::object([
                ("coordinates", Value::string(&maven.coordinates)),
                ("repo", optional(&maven.repo)),
                (
                    "exclusions",
                    if maven.exclusions.is_empty() {
                        Value::Null
                    } else {
                        Value::List(maven.exclusions.iter().map(Value::string).collect())
                    },
                ),
            ])]),
        ),
        Kind::Cran(cran) => block.set_attr(
            "cran",
            Value::List(vec![Value::object([
                ("package", Value::string(&cran.package)),
                ("repo", optional(&cran.repo)),
            ])]),
        ),
    }
    Some(block)
}

/// The library blocks of a state or plan (the `library` set), each with its
/// service form; blocks that set no kind are skipped.
pub(super) fn owned(state: &Value) -> Vec<(Value, pb::Library)> {
    state
        .attr("library")
        .elements()
        .iter()
        .filter_map(|block| Some((block.clone(), to_proto(block)?)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_imported_library_reads_back_as_the_same_library() {
        let libraries = [
            pb::Library {
                kind: Some(Kind::Jar("/Volumes/a/b/c/x-aaaaaaaaaaaa.jar".into())),
            },
            pb::Library {
                kind: Some(Kind::Pypi(pb::PythonPyPiLibrary {
                    package: "simplejson==3.8.0".into(),
                    repo: String::new(),
                })),
            },
            pb::Library {
                kind: Some(Kind::Maven(pb::MavenLibrary {
                    coordinates: "org.jsoup:jsoup:1.7.2".into(),
                    repo: "https://repo.example.com".into(),
                    exclusions: vec!["slf4j:slf4j".into()],
                })),
            },
            pb::Library {
                kind: Some(Kind::Cran(pb::RCranLibrary {
                    package: "ggplot2".into(),
                    repo: String::new(),
                })),
            },
        ];
        for library in libraries {
            let block = from_proto(&library).unwrap();
            assert_eq!(kinds_set(&block), 1, "{block:?}");
            assert_eq!(to_proto(&block), Some(library));
        }
        assert_eq!(from_proto(&pb::Library { kind: None }), None);
    }

    #[test]
    fn unknown_kinds_count_as_set_and_empty_blocks_do_not() {
        let mut block = from_proto(&pb::Library {
            kind: Some(Kind::Whl("/Workspace/x.whl".into())),
        })
        .unwrap();
        block.set_attr("jar", Value::unknown());
        assert_eq!(kinds_set(&block), 2);
        block.set_attr("jar", Value::Null);
        block.set_attr("whl", Value::Null);
        assert_eq!(kinds_set(&block), 0);
        assert_eq!(to_proto(&block), None);
    }
}
