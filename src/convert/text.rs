//! Cleaning text that Databricks formats for notebooks: terminal colour codes,
//! HTML tags and entities, and IPython `Out[n]: ` prefixes.

/// Removes ANSI escape sequences (CSI `ESC [ … final` and 8-bit `0x9B …`),
/// as the Python SDK does with `(\x9B|\x1B\[)[0-?]*[ -/]*[@-~]`.
pub(super) fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let introducer = match c {
            '\u{9b}' => true,
            '\u{1b}' if chars.peek() == Some(&'[') => {
                chars.next();
                true
            }
            _ => false,
        };
        if !introducer {
            out.push(c);
            continue;
        }
        while chars.next_if(|c| ('0'..='?').contains(c)).is_some() {}
        while chars.next_if(|c| (' '..='/').contains(c)).is_some() {}
        chars.next_if(|c| ('@'..='~').contains(c));
    }
    out
}

/// Removes HTML tags and decodes the common entities.
pub(super) fn strip_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_tag = false;
    for c in text.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    decode_entities(&out)
}

fn decode_entities(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find('&') {
        out.push_str(&rest[..start]);
        let candidate = &rest[start..];
        let decoded = candidate
            .find(';')
            .filter(|end| *end <= 10)
            .and_then(|end| {
                let entity = &candidate[1..end];
                let c = match entity {
                    "lt" => Some('<'),
                    "gt" => Some('>'),
                    "amp" => Some('&'),
                    "quot" => Some('"'),
                    "apos" => Some('\''),
                    "nbsp" => Some(' '),
                    _ => numeric_entity(entity),
                };
                c.map(|c| (c, end + 1))
            });
        match decoded {
            Some((c, len)) => {
                out.push(c);
                rest = &candidate[len..];
            }
            None => {
                out.push('&');
                rest = &candidate[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn numeric_entity(entity: &str) -> Option<char> {
    let number = entity.strip_prefix('#')?;
    let code = match number.strip_prefix(['x', 'X']) {
        Some(hex) => u32::from_str_radix(hex, 16).ok()?,
        None => number.parse().ok()?,
    };
    char::from_u32(code)
}

/// Removes IPython `Out[n]: ` prefixes at the start of lines.
pub(super) fn strip_out_prefixes(text: &str) -> String {
    text.split_inclusive('\n')
        .map(|line| {
            line.strip_prefix("Out[")
                .and_then(|rest| rest.split_once("]: "))
                .filter(|(n, _)| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
                .map_or(line, |(_, rest)| rest)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ansi_codes_are_removed() {
        let cause =
            "\u{1b}[0;31mZeroDivisionError\u{1b}[0m: division by zero \u{1b}[38;5;241m1\u{1b}[39m";
        assert_eq!(strip_ansi(cause), "ZeroDivisionError: division by zero 1");
        assert_eq!(strip_ansi("plain [text]"), "plain [text]");
    }

    #[test]
    fn html_is_removed_and_entities_decoded() {
        let summary = "<span class='ansi-red-fg'>ZeroDivisionError</span>: division &amp; &lt;zero&gt; &#39;x&#x27;";
        assert_eq!(
            strip_html(summary),
            "ZeroDivisionError: division & <zero> 'x'"
        );
        assert_eq!(strip_html("a & b"), "a & b");
        assert_eq!(strip_html("&unknown; &"), "&unknown; &");
    }

    #[test]
    fn out_prefixes_are_removed() {
        assert_eq!(strip_out_prefixes("Out[2]: 42"), "42");
        assert_eq!(strip_out_prefixes("x\nOut[13]: [1, 2]\n"), "x\n[1, 2]\n");
        assert_eq!(strip_out_prefixes("Out[x]: keep"), "Out[x]: keep");
    }
}
