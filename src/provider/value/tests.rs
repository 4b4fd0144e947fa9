//! The codec against bytes written the way Terraform writes them
//! (object-wire-format.md; go-cty's msgpack encoding).

use rmpv::Value as Msgpack;
use serde_json::json;

use super::*;

fn bytes_of(raw: &Msgpack) -> Vec<u8> {
    let mut bytes = Vec::new();
    rmpv::encode::write_value(&mut bytes, raw).unwrap();
    bytes
}

fn map(entries: Vec<(&str, Msgpack)>) -> Msgpack {
    Msgpack::Map(
        entries
            .into_iter()
            .map(|(key, value)| (Msgpack::from(key), value))
            .collect(),
    )
}

/// A block like a resource's: a string, a number, a map, and a SET of
/// nested blocks holding a LIST block.
fn resource_type() -> Type {
    let pypi = Type::object([("package", Type::String), ("repo", Type::String)]);
    let library = Type::object([("jar", Type::String), ("pypi", Type::list(pypi))]);
    Type::object([
        ("id", Type::String),
        ("workers", Type::Number),
        ("tags", Type::map(Type::String)),
        ("library", Type::set(library)),
    ])
}

#[test]
fn null_is_nil_both_ways() {
    assert_eq!(decode(&[0xc0], &Type::String).unwrap(), Value::Null);
    assert_eq!(encode(&Value::Null, &resource_type()).unwrap(), [0xc0]);
}

#[test]
fn terraforms_plain_unknown_reads_as_unknown_and_is_written_as_ext_0() {
    // d4 00 00: fixext1, type 0, one zero byte, as Terraform writes it.
    let value = decode(&[0xd4, 0x00, 0x00], &Type::String).unwrap();
    assert_eq!(value, Value::unknown());
    assert_eq!(encode(&value, &Type::String).unwrap(), [0xd4, 0x00, 0x00]);
}

#[test]
fn refined_unknowns_keep_their_refinements_and_ignore_unknown_keys() {
    let payload = bytes_of(&Msgpack::Map(vec![
        (Msgpack::from(1), Msgpack::Boolean(false)),
        (Msgpack::from(2), Msgpack::from("dbfs:/")),
        (
            Msgpack::from(3),
            Msgpack::Array(vec![Msgpack::from(1), Msgpack::Boolean(true)]),
        ),
        (
            Msgpack::from(4),
            Msgpack::Array(vec![Msgpack::F64(9.5), Msgpack::Boolean(false)]),
        ),
        (Msgpack::from(5), Msgpack::from(2)),
        (Msgpack::from(6), Msgpack::from(7)),
        (Msgpack::from(99), Msgpack::from("from a newer Terraform")),
    ]));
    let raw = bytes_of(&Msgpack::Ext(12, payload));
    let Value::Unknown(refinements) = decode(&raw, &Type::String).unwrap() else {
        panic!("not unknown");
    };
    assert_eq!(
        refinements,
        Refinements {
            nullable: Some(false),
            string_prefix: Some("dbfs:/".into()),
            number_lower: Some((1.0, true)),
            number_upper: Some((9.5, false)),
            length_lower: Some(2),
            length_upper: Some(7),
        }
    );
    // The provider never refines: what it writes back is a plain unknown.
    assert_eq!(
        encode(&Value::Unknown(refinements), &Type::String).unwrap(),
        [0xd4, 0x00, 0x00]
    );
}

#[test]
fn any_extension_is_unknown_even_with_a_payload_it_cannot_read() {
    for raw in [
        Msgpack::Ext(12, vec![0xc1]),
        Msgpack::Ext(5, vec![1, 2, 3]),
        Msgpack::Ext(12, vec![]),
    ] {
        assert_eq!(
            decode(&bytes_of(&raw), &Type::Number).unwrap(),
            Value::unknown()
        );
    }
}

#[test]
fn numbers_arrive_as_int_float_or_decimal_string() {
    let read = |raw: Msgpack| decode(&bytes_of(&raw), &Type::Number).unwrap();
    assert_eq!(read(Msgpack::from(3)), Value::int(3));
    assert_eq!(read(Msgpack::from(-40)), Value::int(-40));
    assert_eq!(read(Msgpack::F64(2.5)), Value::Number(Number::Float(2.5)));
    assert_eq!(read(Msgpack::F64(4.0)).as_i64(), Some(4));
    assert_eq!(
        read(Msgpack::from("123456789012345678901234567890")),
        Value::Number(Number::Decimal("123456789012345678901234567890".into()))
    );
    assert_eq!(read(Msgpack::from("17")).as_i64(), Some(17));
    assert_eq!(
        read(Msgpack::from(u64::MAX)),
        Value::Number(Number::Decimal(u64::MAX.to_string()))
    );
    assert!(decode(&bytes_of(&Msgpack::from("twelve")), &Type::Number).is_err());
    // Whole numbers go back as msgpack ints.
    assert_eq!(encode(&Value::int(3), &Type::Number).unwrap(), [0x03]);
}

#[test]
fn a_resource_with_nested_blocks_and_sets_round_trips() {
    let raw = map(vec![
        ("id", Msgpack::Ext(0, vec![0])),
        ("workers", Msgpack::from(2)),
        ("tags", map(vec![("team", Msgpack::from("data"))])),
        (
            "library",
            Msgpack::Array(vec![
                map(vec![
                    ("jar", Msgpack::from("/Volumes/x/a.jar")),
                    ("pypi", Msgpack::Array(vec![])),
                ]),
                map(vec![
                    ("jar", Msgpack::Nil),
                    (
                        "pypi",
                        Msgpack::Array(vec![map(vec![
                            ("package", Msgpack::from("requests==2.32.3")),
                            ("repo", Msgpack::Nil),
                        ])]),
                    ),
                ]),
            ]),
        ),
    ]);
    let ty = resource_type();
    let value = decode(&bytes_of(&raw), &ty).unwrap();
    assert!(value.attr("id").is_unknown());
    assert!(!value.is_wholly_known());
    assert_eq!(value.attr("workers").as_i64(), Some(2));
    assert_eq!(value.attr("tags").string_entries()["team"], "data");
    let libraries = value.attr("library").elements();
    assert_eq!(libraries[0].attr("jar").as_str(), Some("/Volumes/x/a.jar"));
    assert!(libraries[0].attr("pypi").elements().is_empty());
    assert_eq!(
        libraries[1].attr("pypi").elements()[0]
            .attr("package")
            .as_str(),
        Some("requests==2.32.3")
    );
    // Written back it is the same value, every attribute present.
    let again = decode(&encode(&value, &ty).unwrap(), &ty).unwrap();
    assert_eq!(again, value);
}

#[test]
fn writing_an_object_needs_every_attribute_and_no_others() {
    let ty = Type::object([("a", Type::String), ("b", Type::Bool)]);
    let missing = encode(&Value::object([("a", Value::string("x"))]), &ty).unwrap_err();
    assert_eq!(missing.path, ".b");
    let extra = encode(
        &Value::object([("a", Value::Null), ("b", Value::Null), ("c", Value::Null)]),
        &ty,
    )
    .unwrap_err();
    assert!(extra.problem.contains("\"c\""), "{extra}");
}

#[test]
fn reading_names_the_path_of_a_wrong_value_and_rejects_unknown_attributes() {
    let ty = resource_type();
    let raw = map(vec![("tags", map(vec![("team", Msgpack::from(5))]))]);
    let error = decode(&bytes_of(&raw), &ty).unwrap_err();
    assert_eq!(error.path, ".tags[\"team\"]");
    let raw = map(vec![("colour", Msgpack::from("red"))]);
    let error = decode(&bytes_of(&raw), &ty).unwrap_err();
    assert!(error.problem.contains("unsupported attribute"), "{error}");
    // A missing attribute reads as null, as Terraform's JSON reading does.
    let value = decode(&bytes_of(&map(vec![])), &ty).unwrap();
    assert!(value.attr("workers").is_null());
}

#[test]
fn dynamic_values_carry_their_type() {
    let raw = Msgpack::Array(vec![
        Msgpack::Binary(br#"["list","string"]"#.to_vec()),
        Msgpack::Array(vec![Msgpack::from("a")]),
    ]);
    let value = decode(&bytes_of(&raw), &Type::Dynamic).unwrap();
    assert_eq!(value, Value::List(vec![Value::string("a")]));
}

#[test]
fn stored_json_state_reads_leniently() {
    let ty = resource_type();
    let state = json!({
        "id": "c-1",
        "workers": 2,
        "tags": {"team": "data"},
        "library": [{"jar": "/Volumes/x/a.jar", "pypi": []}],
        "removed_attribute": true
    });
    let value = from_json(&state, &ty).unwrap();
    assert_eq!(value.attr("id").as_str(), Some("c-1"));
    assert_eq!(value.attr("workers").as_i64(), Some(2));
    let Value::Map(attributes) = &value else {
        panic!("not an object")
    };
    assert!(!attributes.contains_key("removed_attribute"));
    // What was read can be written back as msgpack for the current schema.
    assert!(encode(&value, &ty).is_ok());
}

#[test]
fn types_read_and_write_terraforms_json_type_constraints() {
    for text in [
        r#""string""#,
        r#"["list","string"]"#,
        r#"["set","number"]"#,
        r#"["map","bool"]"#,
        r#"["object",{"a":"string","b":["list","number"]}]"#,
        r#"["tuple",["string","bool"]]"#,
    ] {
        let ty = Type::from_json_bytes(text.as_bytes()).unwrap();
        let again: serde_json::Value = serde_json::from_slice(&ty.to_json_bytes()).unwrap();
        let original: serde_json::Value = serde_json::from_str(text).unwrap();
        assert_eq!(again, original, "{text}");
    }
    assert!(Type::from_json_bytes(br#""strin""#).is_err());
    assert!(Type::from_json_bytes(b"not json").is_err());
}
