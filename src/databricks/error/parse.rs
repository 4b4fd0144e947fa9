//! The parser that turns any Databricks error response (JSON in its 2.0 and
//! 1.2 shapes, `CODE: message` text, an HTML page from a proxy, an empty
//! body) into one [`ApiError`].

use std::time::Duration;

use http::{HeaderMap, StatusCode};
use serde_json::Value;

use super::ApiError;
use crate::{databricks::models::ApiErrorBody, telemetry::Excerpt};

/// How long a raw, unparseable body may be before it is cut in messages.
const RAW_BODY_LIMIT: usize = 300;
/// How long a message from Databricks may be before it is cut: messages
/// may echo what the caller sent, and they reach logs and callers.
const MESSAGE_LIMIT: usize = 1024;
/// The longest error code derived from a phrase or an exception name
/// (google.rpc.ErrorInfo reasons stay under 63 characters).
const MAX_DERIVED_CODE: usize = 40;

// === impl ApiError ===

impl ApiError {
    /// Parses an error response in the order the Databricks SDKs do: empty
    /// body, JSON, `CODE: message` text, HTML, then anything else.
    pub fn from_response(
        endpoint: &str,
        status: StatusCode,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Self {
        let reason = reason_phrase(status, headers);
        let text = String::from_utf8_lossy(body);
        let trimmed = text.trim();
        let (error_code, message, details) = if trimmed.is_empty() {
            (reason_code(&reason, status), reason.clone(), Vec::new())
        } else if let Ok(parsed) = serde_json::from_str::<ApiErrorBody>(trimmed) {
            from_json(parsed, &reason, status)
        } else if let Some((code, message)) = split_code_prefix(trimmed) {
            (code.to_owned(), message.to_owned(), Vec::new())
        } else if looks_like_html(trimmed) {
            let message = html_message(trimmed).unwrap_or_else(|| reason.clone());
            (reason_code(&reason, status), message, Vec::new())
        } else {
            ("UNKNOWN".to_owned(), cut(trimmed), Vec::new())
        };
        let request_id = request_id(&details, headers);
        Self {
            endpoint: endpoint.to_owned(),
            http_status: status.as_u16(),
            error_code,
            message: Excerpt::new(&message, MESSAGE_LIMIT).to_string(),
            request_id,
            details,
            retry_after: retry_after(headers),
            after_lost_answer: false,
        }
    }
}

/// A JSON body. Without an `error_code` (the 1.2 `{"error": …}` shape) the
/// code comes from the exception the message names (`ContextNotFound: …` →
/// `CONTEXT_NOT_FOUND`), else from the reason phrase.
fn from_json(body: ApiErrorBody, reason: &str, status: StatusCode) -> (String, String, Vec<Value>) {
    let message = body
        .error
        .filter(|text| !text.is_empty())
        .or(body.message.filter(|text| !text.is_empty()))
        .unwrap_or_else(|| reason.to_owned());
    let error_code = match body.error_code {
        Some(code) => code.to_string(),
        None => exception_code(&message).unwrap_or_else(|| reason_code(reason, status)),
    };
    (error_code, message, body.details)
}

/// `ContextNotFound: …` or `java.lang.RuntimeException: …` → the exception's
/// name as an error code (`CONTEXT_NOT_FOUND`, `RUNTIME_EXCEPTION`).
fn exception_code(message: &str) -> Option<String> {
    let (prefix, _) = message.split_once(": ")?;
    let name = prefix.rsplit('.').next()?;
    let camel_case = name.len() <= MAX_DERIVED_CODE
        && name.starts_with(|c: char| c.is_ascii_uppercase())
        && name.chars().all(|c| c.is_ascii_alphanumeric())
        && name.chars().any(|c| c.is_ascii_lowercase());
    if !camel_case
        || !prefix
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.')
    {
        return None;
    }
    let mut code = String::with_capacity(name.len() + 8);
    let mut previous_lower = false;
    for c in name.chars() {
        if c.is_ascii_uppercase() && previous_lower {
            code.push('_');
        }
        previous_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        code.push(c.to_ascii_uppercase());
    }
    Some(code)
}

/// The human reason: Databricks' own header first, then the standard phrase.
fn reason_phrase(status: StatusCode, headers: &HeaderMap) -> String {
    headers
        .get("x-databricks-reason-phrase")
        .and_then(|value| value.to_str().ok())
        .filter(|value| !value.is_empty())
        .map(str::to_owned)
        .or_else(|| status.canonical_reason().map(str::to_owned))
        .unwrap_or_else(|| format!("HTTP {}", status.as_u16()))
}

/// `Service Unavailable` → `SERVICE_UNAVAILABLE`, as the SDKs derive codes.
/// A reason too long to be a code (a whole sentence in Databricks' reason
/// header) gives way to the standard reason of `status`.
fn reason_code(reason: &str, status: StatusCode) -> String {
    let code = code_from_words(reason);
    if code.len() <= MAX_DERIVED_CODE {
        return code;
    }
    code_from_words(status.canonical_reason().unwrap_or("Unknown"))
}

fn code_from_words(reason: &str) -> String {
    reason
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect()
}

/// Splits `ERROR_CODE: message` (code of `[A-Z_]+`).
fn split_code_prefix(text: &str) -> Option<(&str, &str)> {
    let (code, message) = text.split_once(": ")?;
    let is_code = !code.is_empty() && code.chars().all(|c| c.is_ascii_uppercase() || c == '_');
    (is_code && !message.contains('\n')).then_some((code, message.trim()))
}

fn looks_like_html(text: &str) -> bool {
    let start = text
        .get(..text.len().min(200))
        .unwrap_or(text)
        .to_ascii_lowercase();
    start.starts_with('<')
        && (start.contains("<html") || start.contains("<!doctype") || start.contains("<head"))
}

/// The text of the first `<pre>` element, else the `<title>`.
fn html_message(html: &str) -> Option<String> {
    ["pre", "title"].iter().find_map(|tag| {
        let lower = html.to_ascii_lowercase();
        let open = lower.find(&format!("<{tag}"))?;
        let content_start = open + lower[open..].find('>')? + 1;
        let content_end = content_start + lower[content_start..].find(&format!("</{tag}>"))?;
        let content = html[content_start..content_end].trim();
        (!content.is_empty()).then(|| cut(content))
    })
}

fn request_id(details: &[Value], headers: &HeaderMap) -> Option<String> {
    details
        .iter()
        .filter(|detail| {
            detail["@type"]
                .as_str()
                .is_some_and(|t| t.ends_with("google.rpc.RequestInfo"))
        })
        .find_map(|detail| detail["request_id"].as_str().map(str::to_owned))
        .filter(|id| !id.is_empty())
        .or_else(|| upstream_request_id(headers).map(str::to_owned))
}

/// The request id Databricks put in the headers of an answer
/// (`x-request-id`, or `x-databricks-request-id`), when it is text.
pub(in crate::databricks) fn upstream_request_id(headers: &HeaderMap) -> Option<&str> {
    ["x-request-id", "x-databricks-request-id"]
        .iter()
        .find_map(|name| headers.get(*name)?.to_str().ok())
}

/// `Retry-After` as delta-seconds; HTTP dates are not honoured here.
pub(in crate::databricks) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(http::header::RETRY_AFTER)?.to_str().ok()?;
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}

fn cut(text: &str) -> String {
    match text.char_indices().nth(RAW_BODY_LIMIT) {
        Some((index, _)) => format!("{}…", &text[..index]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests;
