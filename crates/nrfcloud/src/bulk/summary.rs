//! The error summary of a FAILED bulk operation (the document at its `errorSummaryUrl`),
//! in both formats the service has used:
//!
//! * current (since 2025-12): `{"errors": ["[<i>]: <message>", …]}`, `i` a **0-based** row
//!   index of the uploaded CSV;
//! * legacy (2021–2025): a message string holding a count, then `… (1-based)]: `, then an
//!   (escaped) JSON object `{"<message>": [<1-based row>, …]}`, then `.`.
//!
//! Anything else is kept as it came ([`ErrorSummary::Unknown`]) instead of failing.
//!
//! ```
//! use nrfcloud::bulk::summary::ErrorSummary;
//!
//! let current = ErrorSummary::parse(r#"{"errors":["[0]: bad cert","[3]: duplicate"]}"#);
//! let legacy = ErrorSummary::parse(
//!     r#"{"message":"Failed with 2 errors [rows by message (1-based)]: {\"bad cert\":[1],\"duplicate\":[4]}."}"#,
//! );
//! for summary in [current, legacy] {
//!     let ErrorSummary::Rows { errors, .. } = summary else { panic!() };
//!     assert_eq!((errors[0].row, errors[0].message.as_str()), (0, "bad cert"));
//!     assert_eq!((errors[1].row, errors[1].message.as_str()), (3, "duplicate"));
//! }
//! assert!(matches!(ErrorSummary::parse("<html>oops</html>"), ErrorSummary::Unknown(_)));
//! ```

use serde::Serialize;
use serde_json::Value;

const LEGACY_MARKER: &str = "(1-based)]: ";

/// One row error of a summary.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct RowIndexError {
    /// The **0-based** row of the uploaded CSV (legacy 1-based indices are converted).
    pub row: usize,
    /// The service's message.
    pub message: String,
}

/// Which format a summary was in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum SummaryFormat {
    /// `{"errors": ["[i]: message"]}`, 0-based.
    Current,
    /// The 2021–2025 string form, 1-based.
    Legacy,
}

/// A parsed error summary.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorSummary {
    /// Row errors.
    Rows {
        /// The format.
        format: SummaryFormat,
        /// The errors, in the summary's order.
        errors: Vec<RowIndexError>,
        /// Entries that named no row (kept as they came).
        unparsed: Vec<String>,
    },
    /// Neither format: the raw text.
    Unknown(String),
}

impl ErrorSummary {
    /// Parses a summary; never fails.
    pub fn parse(text: &str) -> Self {
        let json = serde_json::from_str::<Value>(text).ok();
        if let Some(Value::Object(map)) = &json
            && let Some(Value::Array(entries)) = map.get("errors")
        {
            let mut errors = Vec::new();
            let mut unparsed = Vec::new();
            for entry in entries {
                match entry.as_str().and_then(parse_entry) {
                    Some((row, message)) => errors.push(RowIndexError {
                        row,
                        message: message.to_owned(),
                    }),
                    None => unparsed.push(match entry {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    }),
                }
            }
            return Self::Rows {
                format: SummaryFormat::Current,
                errors,
                unparsed,
            };
        }
        // The legacy message, as a JSON string value or (escaped) in the raw text.
        let found = match &json {
            Some(Value::String(s)) => legacy(s),
            Some(Value::Object(map)) => map.values().filter_map(Value::as_str).find_map(legacy),
            _ => None,
        };
        found
            .or_else(|| legacy(&text.replace("\\\"", "\"")))
            .unwrap_or_else(|| Self::Unknown(text.to_owned()))
    }
}

/// `"[<i>]: <message>"` → `(i, message)`.
pub(crate) fn parse_entry(entry: &str) -> Option<(usize, &str)> {
    let (index, message) = entry.trim_start().strip_prefix('[')?.split_once(']')?;
    let index = index.trim().parse().ok()?;
    let message = message.trim_start();
    let message = message.strip_prefix(':').unwrap_or(message).trim();
    Some((index, message))
}

fn legacy(text: &str) -> Option<ErrorSummary> {
    let (head, rest) = text.split_once(LEGACY_MARKER)?;
    // "Failed with <N> errors [rows by message (1-based)]: …": the first integer is the count.
    let count = head
        .split(|c: char| !c.is_ascii_digit())
        .find(|d| !d.is_empty())
        .and_then(|d| d.parse::<usize>().ok());
    let rest = rest.trim_end();
    let rest = rest.strip_suffix("\"}").unwrap_or(rest).trim_end();
    let rest = rest.strip_suffix('.').unwrap_or(rest);
    let Value::Object(by_message) = serde_json::from_str::<Value>(rest).ok()? else {
        return None;
    };
    let mut errors = Vec::new();
    let mut unparsed = Vec::new();
    for (message, rows) in by_message {
        let rows = match rows {
            Value::Array(rows) => rows,
            single => vec![single],
        };
        for row in rows {
            match row.as_u64().and_then(|r| usize::try_from(r).ok()) {
                Some(r) if r >= 1 => errors.push(RowIndexError {
                    row: r - 1,
                    message: message.clone(),
                }),
                _ => unparsed.push(format!("{message}: {row}")),
            }
        }
    }
    errors.sort_by_key(|e| e.row);
    let listed = errors.len() + unparsed.len();
    if let Some(count) = count.filter(|&c| c != listed) {
        // Rows the count covers but the list does not name cannot be taken as succeeded.
        unparsed.push(format!(
            "the summary counts {count} errors but lists {listed}"
        ));
    }
    Some(ErrorSummary::Rows {
        format: SummaryFormat::Legacy,
        errors,
        unparsed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_legacy_count_that_disagrees_with_its_list_is_kept_as_unparsed() {
        let (_, errors, unparsed) = rows(ErrorSummary::parse(
            r#"{"message":"Failed with 3 errors [rows by message (1-based)]: {\"bad cert\":[2]}."}"#,
        ));
        assert_eq!(errors, [(1, "bad cert".into())]);
        assert_eq!(unparsed, ["the summary counts 3 errors but lists 1"]);
        let (_, _, unparsed) = rows(ErrorSummary::parse(
            r#"{"message":"Failed with 1 errors [rows by message (1-based)]: {\"bad cert\":[2]}."}"#,
        ));
        assert!(unparsed.is_empty(), "{unparsed:?}");
    }

    fn rows(summary: ErrorSummary) -> (SummaryFormat, Vec<(usize, String)>, Vec<String>) {
        match summary {
            ErrorSummary::Rows {
                format,
                errors,
                unparsed,
            } => (
                format,
                errors.into_iter().map(|e| (e.row, e.message)).collect(),
                unparsed,
            ),
            ErrorSummary::Unknown(raw) => panic!("unknown: {raw}"),
        }
    }

    #[test]
    fn current_format_is_zero_based() {
        let (format, errors, unparsed) = rows(ErrorSummary::parse(
            r#"{"errors":["[0]: bad cert","[12]:dup","no index here", 7]}"#,
        ));
        assert_eq!(format, SummaryFormat::Current);
        assert_eq!(errors, [(0, "bad cert".into()), (12, "dup".into())]);
        assert_eq!(unparsed, ["no index here", "7"]);
    }

    #[test]
    fn legacy_format_is_one_based_in_every_wrapping() {
        let inner = r#"{"bad cert":[1,4],"dup":[5]}"#;
        let message = format!(
            "Bulk operation failed with 3 errors [rows by error message (1-based)]: {inner}."
        );
        let wrapped = serde_json::json!({ "message": message }).to_string();
        let bare_string = serde_json::Value::String(message.clone()).to_string();
        // What nrfcloud-utils searched: the raw text with escaped quotes, ending in `."}`.
        let raw = format!("{{\"message\": \"{}\"}}", message.replace('"', "\\\""));
        for text in [wrapped, bare_string, raw, message] {
            let (format, errors, unparsed) = rows(ErrorSummary::parse(&text));
            assert_eq!(format, SummaryFormat::Legacy, "{text}");
            assert_eq!(
                errors,
                [
                    (0, "bad cert".into()),
                    (3, "bad cert".into()),
                    (4, "dup".into())
                ],
                "{text}"
            );
            assert!(unparsed.is_empty());
        }
    }

    #[test]
    fn legacy_row_zero_is_not_a_row() {
        let text = r#"1 error (1-based)]: {"m":[0]}."#;
        let (_, errors, unparsed) = rows(ErrorSummary::parse(text));
        assert!(errors.is_empty());
        assert_eq!(unparsed, ["m: 0"]);
    }

    #[test]
    fn anything_else_is_kept_raw() {
        for text in [
            "",
            "<html>503</html>",
            r#"{"message":"internal error"}"#,
            "[1, 2]",
        ] {
            assert_eq!(
                ErrorSummary::parse(text),
                ErrorSummary::Unknown(text.into()),
                "{text}"
            );
        }
    }

    #[test]
    fn entries() {
        assert_eq!(parse_entry("[3]: x: y"), Some((3, "x: y")));
        assert_eq!(parse_entry(" [ 4 ] : z"), Some((4, "z")));
        assert_eq!(parse_entry("[-1]: z"), None);
        assert_eq!(parse_entry("3: z"), None);
    }
}
