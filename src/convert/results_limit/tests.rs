//! Cutting results to the message budget.

use prost::Message;
use prost_types::{ListValue, Value, value::Kind as ValueKind};

use super::*;

fn with(result: Kind, truncated: bool) -> pb::CommandResults {
    pb::CommandResults {
        result_type: String::new(),
        truncated,
        result: Some(result),
        truncation_message: String::new(),
    }
}

fn row(text: &str) -> ListValue {
    ListValue {
        values: vec![Value {
            kind: Some(ValueKind::StringValue(text.to_owned())),
        }],
    }
}

#[test]
fn small_results_are_untouched_and_databricks_cuts_are_explained() {
    let text = Kind::Text(pb::TextResult {
        text: "42".into(),
        data: "Out[1]: 42".into(),
    });
    let small = limit(with(text.clone(), false), 1000);
    assert!(!small.truncated && small.truncation_message.is_empty());
    assert_eq!(small.result, Some(text.clone()));
    let cut_upstream = limit(with(text, true), 1000);
    assert_eq!(cut_upstream.truncation_message, CUT_BY_DATABRICKS);
}

#[test]
fn text_keeps_a_prefix_of_both_fields_on_a_char_boundary() {
    let output = "é".repeat(1000);
    let results = limit(
        with(
            Kind::Text(pb::TextResult {
                text: output.clone(),
                data: output.clone(),
            }),
            false,
        ),
        1600,
    );
    assert!(results.encoded_len() <= 1600, "{}", results.encoded_len());
    let Some(Kind::Text(text)) = &results.result else {
        panic!("text")
    };
    assert!(output.starts_with(&text.data) && text.data.len() >= 500);
    assert!(results.truncated);
    assert!(
        results.truncation_message.contains("of 2000 bytes"),
        "{}",
        results.truncation_message
    );
}

#[test]
fn tables_keep_their_first_rows_within_the_budget() {
    let table = pb::TableResult {
        schema: vec![pb::TableColumn {
            name: "n".into(),
            ..Default::default()
        }],
        data: (0..100).map(|_| row(&"x".repeat(100))).collect(),
        is_json_schema: true,
    };
    let results = limit(with(Kind::Table(table), true), 2512);
    assert!(results.encoded_len() <= 2512, "{}", results.encoded_len());
    let Some(Kind::Table(table)) = &results.result else {
        panic!("table")
    };
    assert!((10..20).contains(&table.data.len()), "{}", table.data.len());
    assert_eq!(table.schema.len(), 1, "the schema is kept");
    assert!(results.truncated);
    let message = &results.truncation_message;
    assert!(
        message.contains(&format!("first {} of 100 rows", table.data.len())),
        "{message}"
    );
    assert!(message.contains(CUT_BY_DATABRICKS), "{message}");
}

#[test]
fn errors_images_and_json_fit_too() {
    let big = "y".repeat(10_000);
    let cases = [
        Kind::Error(pb::ErrorResult {
            summary: big.clone(),
            cause: big.clone(),
            raw_summary: big.clone(),
            raw_cause: big.clone(),
        }),
        Kind::Image(pb::ImageResult {
            file_name: big.clone(),
        }),
        Kind::Images(pb::ImagesResult {
            file_names: vec!["a".repeat(900); 10],
        }),
        Kind::UnrecognizedJson(big),
    ];
    for case in cases {
        let results = limit(with(case, false), 2000);
        assert!(results.encoded_len() <= 2000, "{results:?}");
        assert!(results.truncated && !results.truncation_message.is_empty());
    }
}
