//! Validation (is this an OpenAPI 3.0 document progenitor can read?) and the stable text form
//! written to `openapi/`.

use serde_json::Value;
use sha2::{Digest, Sha256};

/// A document that passed validation, with its normalised text.
pub struct Document {
    pub value: Value,
    /// Sorted keys, two-space indentation, trailing newline: the bytes written to `openapi/`.
    pub text: String,
    /// The `openapi` field, e.g. `3.0.3`.
    pub openapi: String,
    /// `info.version`.
    pub info_version: String,
}

impl Document {
    pub fn sha256(&self) -> String {
        hex_sha256(self.text.as_bytes())
    }
}

pub fn hex_sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Checks `bytes` (from `origin`, a URL or path used in messages) and normalises it.
pub fn validate(
    bytes: &[u8],
    content_type: Option<&str>,
    origin: &str,
) -> Result<Document, String> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let Some(first) = bytes.iter().find(|b| !b.is_ascii_whitespace()) else {
        return Err(format!(
            "{origin} is empty ({} bytes): no document was served",
            bytes.len()
        ));
    };
    if *first == b'<' {
        let ct = content_type
            .map(|c| format!(" (Content-Type: {c})"))
            .unwrap_or_default();
        return Err(format!(
            "{origin} is an HTML/XML page{ct}{}, not a JSON document: an error, login or proxy \
             page, or the wrong URL",
            title(bytes)
                .map(|t| format!(" titled \"{t}\""))
                .unwrap_or_default()
        ));
    }
    let value: Value = serde_json::from_slice(bytes).map_err(|e| {
        if e.is_eof() {
            format!(
                "{origin} ends in the middle of the JSON ({} bytes, {e}): the document is \
                 truncated; download it again",
                bytes.len()
            )
        } else {
            format!("{origin} is not valid JSON: {e}")
        }
    })?;
    let Some(object) = value.as_object() else {
        return Err(format!(
            "{origin} is JSON but not an object: not an OpenAPI document"
        ));
    };
    let openapi = match object.get("openapi") {
        Some(Value::String(v)) => v.clone(),
        _ if object.contains_key("swagger") => {
            return Err(format!(
                "{origin} is a Swagger 2.0 document; progenitor supports OpenAPI 3.0 only: \
                 convert it to 3.0 (e.g. with swagger2openapi) and pass the result with --from"
            ));
        }
        _ => {
            return Err(format!(
                "{origin} has no `openapi` version field: not an OpenAPI document"
            ));
        }
    };
    if openapi.starts_with("3.1") {
        return Err(format!(
            "{origin} is OpenAPI {openapi}; progenitor supports OpenAPI 3.0 only \
             (oxidecomputer/progenitor#762). The snapshot is left as it is: keep it, or convert \
             the document to 3.0.x and pass it with --from"
        ));
    }
    if !openapi.starts_with("3.0.") {
        return Err(format!(
            "{origin} declares `openapi: {openapi}`; progenitor supports OpenAPI 3.0.x only"
        ));
    }
    // Deserialise from the original bytes so that an error carries the line in the user's file.
    let spec: openapiv3::OpenAPI = serde_json::from_slice(bytes)
        .map_err(|e| format!("{origin} is not a valid OpenAPI 3.0 document: {e}"))?;
    if spec.paths.paths.is_empty() {
        return Err(format!(
            "{origin} declares no paths: refusing to replace the snapshot with it"
        ));
    }
    Ok(Document {
        text: normalise(&value),
        value,
        openapi,
        info_version: spec.info.version,
    })
}

/// The stable text form: keys sorted at every level, so diffs show only real changes.
pub fn normalise(value: &Value) -> String {
    let mut value = value.clone();
    // Sort explicitly: serde_json keeps insertion order when any crate in the build enables
    // its `preserve_order` feature.
    value.sort_all_objects();
    let mut text = serde_json::to_string_pretty(&value).expect("a JSON value serialises");
    text.push('\n');
    text
}

/// The `<title>` of an HTML page, to recognise e.g. a proxy's block page.
pub fn title(bytes: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(8192)]);
    let lower = text.to_ascii_lowercase();
    let start = lower.find("<title>")? + "<title>".len();
    let end = start + lower[start..].find("</title>")?;
    let title = text[start..end]
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    (!title.is_empty()).then_some(title)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"{"openapi":"3.0.3","info":{"title":"t","version":"v9"},
        "paths":{"/a":{"get":{"responses":{"200":{"description":"ok"}}}}}}"#;

    #[test]
    fn normalised_text_sorts_keys_and_ends_with_a_newline() {
        let doc = validate(MINIMAL.as_bytes(), None, "x").unwrap_or_else(|e| panic!("{e}"));
        assert!(
            doc.text
                .starts_with("{\n  \"info\": {\n    \"title\": \"t\",\n")
        );
        assert!(doc.text.ends_with("}\n"));
        assert_eq!(
            (doc.openapi.as_str(), doc.info_version.as_str()),
            ("3.0.3", "v9")
        );
    }

    #[test]
    fn rejects_what_progenitor_cannot_read() {
        let cases = [
            ("   \n", "is empty"),
            (
                "<html><title>Access\n denied</title>",
                "titled \"Access denied\"",
            ),
            (r#"{"openapi": "3.0.3", "paths": {"#, "truncated"),
            ("{\n\"openapi\": 3,,\n}", "line 2"),
            ("[1]", "not an object"),
            (r#"{"swagger": "2.0"}"#, "Swagger 2.0"),
            (r#"{"openapi": "3.1.0"}"#, "OpenAPI 3.0 only"),
            (r#"{"openapi": "2.5"}"#, "3.0.x only"),
            (
                r#"{"openapi": "3.0.3", "info": {"title": "t"}, "paths": {}}"#,
                "`version`",
            ),
            (
                r#"{"openapi":"3.0.3","info":{"title":"t","version":"1"},"paths":{}}"#,
                "no paths",
            ),
        ];
        for (input, needle) in cases {
            let err = validate(input.as_bytes(), None, "doc").err().unwrap();
            assert!(err.contains(needle), "{input:?}: {err}");
        }
    }
}
