//! Reading CSV request bodies leniently: any `Content-Type` (or none, or nrfcloud-utils'
//! `contentType` header), an optional BOM, `\n` or `\r\n`, blank lines skipped. Structural
//! problems reject the whole request with 422; per-row problems are reported per row by the
//! caller.

use crate::error::ApiError;

/// Most rows accepted in one CSV request (claims, onboarding, keys, certificates).
pub(crate) const MAX_ROWS: usize = 1000;

/// The records of a CSV body, at most [`MAX_ROWS`].
pub(crate) fn read_rows(body: &[u8]) -> Result<Vec<csv::StringRecord>, ApiError> {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::validation("the CSV body is empty"));
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(body);
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map_or(0, csv::Position::line);
            ApiError::validation(format!(
                "the CSV body does not parse at line {line}: {}",
                reason(&e)
            ))
        })?;
        rows.push(record);
        if rows.len() > MAX_ROWS {
            return Err(ApiError::validation(format!(
                "a CSV request holds at most {MAX_ROWS} rows"
            )));
        }
    }
    Ok(rows)
}

fn reason(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::Utf8 { .. } => "invalid UTF-8".into(),
        _ => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_quoted_multiline_fields_and_skips_blank_lines() {
        let rows = read_rows(b"\xEF\xBB\xBFa,\"x,y\"\r\n\r\nb,\"line1\nline2\n\"\n").unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(&rows[0][1], "x,y");
        assert_eq!(&rows[1][1], "line1\nline2\n");
    }

    #[test]
    fn structural_problems_are_422() {
        for body in [&b""[..], b"  \n", b"a\n\xff\xfe\n"] {
            assert_eq!(read_rows(body).unwrap_err().code, 42200);
        }
        let big = "t\n".repeat(MAX_ROWS + 1);
        assert!(
            read_rows(big.as_bytes())
                .unwrap_err()
                .message
                .contains("at most 1000")
        );
        assert_eq!(
            read_rows("t\n".repeat(MAX_ROWS).as_bytes()).unwrap().len(),
            MAX_ROWS
        );
    }
}
