//! Keeping a command's results small enough for one gRPC message: results
//! over [`MAX_RESULTS_BYTES`] encoded are cut (text and error strings to a
//! prefix, tables and image lists to their first entries), `truncated` is
//! set, and `truncation_message` says what was left out.

use prost::Message;

use crate::proto::compute::{self as pb, command_results::Result as Kind};

/// Largest encoded size of the results sent in one message: 3 MiB, leaving
/// room under the 4 MiB default receive limit of gRPC clients (tonic,
/// grpc-go, grpcio) for the rest of the message.
pub const MAX_RESULTS_BYTES: usize = 3 * 1024 * 1024;

/// Bytes kept free, besides `result_type`, for `truncation_message` and the
/// tags and lengths of the fields around what is cut.
const OVERHEAD: usize = 512;

/// What `truncation_message` says when Databricks itself cut the output.
pub const CUT_BY_DATABRICKS: &str = "Databricks returned only part of the output";

/// `results` within `budget` encoded bytes, with `truncated` and
/// `truncation_message` set when anything was left out.
pub(super) fn limit(mut results: pb::CommandResults, budget: usize) -> pb::CommandResults {
    if results.encoded_len() <= budget {
        if results.truncated {
            results.truncation_message = CUT_BY_DATABRICKS.to_owned();
        }
        return results;
    }
    let room = budget.saturating_sub(OVERHEAD + results.result_type.len());
    let left_out = match &mut results.result {
        Some(Kind::Text(text)) => {
            let whole = text.data.len();
            text.text = prefix(&text.text, room / 2);
            text.data = prefix(&text.data, room / 2);
            format!("the first {} of {whole} bytes of output", text.data.len())
        }
        Some(Kind::Table(table)) => {
            let rows = table.data.len();
            let room = room.saturating_sub(table.schema.iter().map(field_len).sum());
            keep_fitting(&mut table.data, room, field_len);
            format!("the first {} of {rows} rows", table.data.len())
        }
        Some(Kind::Error(error)) => {
            let quarter = room / 4;
            for text in [
                &mut error.summary,
                &mut error.cause,
                &mut error.raw_summary,
                &mut error.raw_cause,
            ] {
                *text = prefix(text, quarter);
            }
            format!("the first {quarter} bytes of each error text")
        }
        Some(Kind::Image(image)) => {
            let size = image.file_name.len();
            image.file_name.clear();
            format!("no image: its {size}-byte name or data URL is over the limit")
        }
        Some(Kind::Images(images)) => {
            let count = images.file_names.len();
            keep_fitting(&mut images.file_names, room, |name| string_field_len(name));
            format!("the first {} of {count} images", images.file_names.len())
        }
        Some(Kind::UnrecognizedJson(json)) => {
            let whole = json.len();
            *json = prefix(json, room);
            format!(
                "the first {} of {whole} bytes of the results JSON",
                json.len()
            )
        }
        None => String::new(),
    };
    let also = if results.truncated {
        format!(" ({CUT_BY_DATABRICKS}, too)")
    } else {
        String::new()
    };
    results.truncated = true;
    results.truncation_message = format!(
        "the results exceed the {budget}-byte limit of one message, so this is {left_out}{also}"
    );
    results
}

/// Encoded size of `message` as a field of its parent: tag, length, body.
fn field_len(message: &impl Message) -> usize {
    let len = message.encoded_len();
    1 + prost::length_delimiter_len(len) + len
}

/// Keeps the leading entries of `items` whose encoded sizes (`size` each)
/// add up to at most `budget`.
fn keep_fitting<T>(items: &mut Vec<T>, budget: usize, size: impl Fn(&T) -> usize) {
    let mut used = 0;
    let fitting = items
        .iter()
        .take_while(|item| {
            used += size(item);
            used <= budget
        })
        .count();
    items.truncate(fitting);
}

/// Encoded size of a string as an entry of a repeated field.
fn string_field_len(text: &str) -> usize {
    1 + prost::length_delimiter_len(text.len()) + text.len()
}

/// The longest prefix of `text` of at most `max` bytes, cut at a character
/// boundary.
fn prefix(text: &str, max: usize) -> String {
    let mut end = max.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_owned()
}

#[cfg(test)]
mod tests;
