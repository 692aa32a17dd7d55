//! Byte ranges of binary answers (`Range: bytes=a-b`, inclusive), for A-GNSS and P-GPS files.

use axum::{
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};

use crate::error::ApiError;

/// What a `Range` header asks of `total` bytes.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Wanted {
    /// No (usable) `Range`: everything.
    Whole,
    /// Bytes `start..=end`, `end` clamped to the last byte.
    Part(usize, usize),
    /// The range starts beyond the end.
    Unsatisfiable,
}

/// Reads `Range`. A header that is not one `bytes=` range is ignored, as RFC 9110 allows.
pub(crate) fn wanted(headers: &HeaderMap, total: usize) -> Wanted {
    let Some(spec) = headers
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (unit, spec) = v.trim().split_once('=')?;
            unit.trim()
                .eq_ignore_ascii_case("bytes")
                .then_some(spec.trim())
        })
        .filter(|spec| !spec.contains(','))
    else {
        return Wanted::Whole;
    };
    let Some((first, last)) = spec.split_once('-') else {
        return Wanted::Whole;
    };
    let (first, last) = (first.trim(), last.trim());
    let number = |s: &str| s.parse::<usize>().ok();
    match (first.is_empty(), number(first), number(last)) {
        // `bytes=-n`: the last n bytes.
        (true, _, Some(0)) => Wanted::Unsatisfiable,
        (true, _, Some(n)) => Wanted::Part(total.saturating_sub(n), total.saturating_sub(1)),
        (false, Some(start), _) if start >= total => Wanted::Unsatisfiable,
        (false, Some(start), None) if last.is_empty() => Wanted::Part(start, total - 1),
        (false, Some(start), Some(end)) if end >= start => Wanted::Part(start, end.min(total - 1)),
        _ => Wanted::Whole,
    }
}

/// Answers `data` as `application/octet-stream`: the requested part with 206 and
/// `Content-Range`; the whole with 206 too when `always_partial` (the A-GNSS document declares
/// only 206), else 200; 416 with `Content-Range: bytes */total` and nRF code 41600 for a range
/// beyond the end.
pub(crate) fn respond(data: Vec<u8>, headers: &HeaderMap, always_partial: bool) -> Response {
    let total = data.len();
    let (status, start, end) = match wanted(headers, total) {
        Wanted::Unsatisfiable => {
            let mut response = ApiError::range_not_satisfiable(total).into_response();
            if let Ok(v) = HeaderValue::from_str(&format!("bytes */{total}")) {
                response.headers_mut().insert(header::CONTENT_RANGE, v);
            }
            return response;
        }
        Wanted::Part(start, end) => (StatusCode::PARTIAL_CONTENT, start, end),
        Wanted::Whole if always_partial => {
            (StatusCode::PARTIAL_CONTENT, 0, total.saturating_sub(1))
        }
        Wanted::Whole => {
            return (
                StatusCode::OK,
                [
                    (header::CONTENT_TYPE, "application/octet-stream"),
                    (header::ACCEPT_RANGES, "bytes"),
                ],
                data,
            )
                .into_response();
        }
    };
    let slice = data.get(start..=end).unwrap_or_default().to_vec();
    (
        status,
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_owned()),
            (header::ACCEPT_RANGES, "bytes".to_owned()),
            (
                header::CONTENT_RANGE,
                format!("bytes {start}-{end}/{total}"),
            ),
        ],
        slice,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(range: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::RANGE, range.parse().unwrap());
        h
    }

    #[test]
    fn range_forms() {
        assert_eq!(wanted(&HeaderMap::new(), 10), Wanted::Whole);
        assert_eq!(wanted(&with("bytes=0-3"), 10), Wanted::Part(0, 3));
        assert_eq!(wanted(&with("bytes=5-100"), 10), Wanted::Part(5, 9));
        assert_eq!(wanted(&with("bytes=5-"), 10), Wanted::Part(5, 9));
        assert_eq!(wanted(&with("bytes=-4"), 10), Wanted::Part(6, 9));
        assert_eq!(wanted(&with("bytes=10-20"), 10), Wanted::Unsatisfiable);
        assert_eq!(wanted(&with("bytes=4-2"), 10), Wanted::Whole);
        assert_eq!(wanted(&with("bytes=0-1,4-5"), 10), Wanted::Whole);
        assert_eq!(wanted(&with("items=0-1"), 10), Wanted::Whole);
    }
}
