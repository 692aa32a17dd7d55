//! Request extractors whose rejections are nRF error bodies, not axum's plain text.

use axum::{
    extract::{FromRequest, FromRequestParts, Path as AxumPath, Request},
    http::{HeaderMap, StatusCode, header, request::Parts},
};
use bytes::Bytes;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// Query string with repeated keys for arrays (`tags=a&tags=b`), as the nRF APIs send them.
pub(crate) struct Query<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let query = parts.uri.query().unwrap_or_default();
        serde_html_form::from_str(query)
            .map(Query)
            .map_err(|e| ApiError::bad_request(format!("invalid query string: {e}")))
    }
}

/// Path parameters.
pub(crate) struct Path<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for Path<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        AxumPath::<T>::from_request_parts(parts, state)
            .await
            .map(|AxumPath(v)| Path(v))
            .map_err(|e| ApiError::bad_request(format!("invalid path: {}", e.body_text())))
    }
}

/// Largest request body accepted: 1000 onboarding rows with certificate chains fit easily.
pub(crate) const MAX_BODY: usize = 16 * 1024 * 1024;

/// The raw request body, up to [`MAX_BODY`].
pub(crate) struct Body(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for Body {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        Bytes::from_request(request, state)
            .await
            .map(Body)
            .map_err(|e| match e.status() {
                StatusCode::PAYLOAD_TOO_LARGE => ApiError::too_large(MAX_BODY),
                _ => ApiError::bad_request(format!(
                    "cannot read the request body: {}",
                    e.body_text()
                )),
            })
    }
}

/// `deserialize_with` for an optional field that the documents type as non-nullable, used with
/// `#[serde(default)]`: an absent field is `None`, but a JSON `null` (or, in a query string, an
/// empty value such as `pageLimit=`) is an error, as in the service's request validation, not
/// `None`.
pub(crate) fn present<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    T::deserialize(deserializer).map(Some)
}

/// Parses a JSON request body.
pub(crate) fn json<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::bad_request(
            "the request body is empty; expected JSON",
        ));
    }
    serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request(format!("invalid JSON body: {e}")))
}

/// The `Content-Type` essence (`text/csv` of `text/csv; charset=utf-8`), lowercase.
pub(crate) fn content_type(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
    let essence = value.split(';').next().unwrap_or_default().trim();
    Some(essence.to_ascii_lowercase())
}

/// Whether a body without a trustworthy `Content-Type` is a JSON object (anything else is CSV).
pub(crate) fn looks_like_json_object(body: &[u8]) -> bool {
    // A UTF-8 BOM in front of a JSON object still means JSON.
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    body.trim_ascii_start().first() == Some(&b'{')
}

/// `If-Match` as a version number: `"3"`, `3` and `W/"3"` all mean 3; `*` means any.
pub(crate) fn if_match(headers: &HeaderMap) -> Result<Option<IfMatch>, ApiError> {
    let Some(value) = headers.get(header::IF_MATCH) else {
        return Ok(None);
    };
    let raw = value
        .to_str()
        .map_err(|_| ApiError::bad_request("If-Match is not ASCII"))?
        .trim();
    if raw == "*" {
        return Ok(Some(IfMatch::Any));
    }
    let bare = raw.strip_prefix("W/").unwrap_or(raw).trim_matches('"');
    bare.parse::<u64>()
        .map(|v| Some(IfMatch::Version(v, raw.to_string())))
        .map_err(|_| ApiError::bad_request("If-Match must be a version read from ETag"))
}

/// A parsed `If-Match`.
pub(crate) enum IfMatch {
    Any,
    /// The version and the header as sent.
    Version(u64, String),
}

impl IfMatch {
    /// `Err(412)` unless it matches `current`.
    pub fn check(opt: Option<&IfMatch>, current: u64) -> Result<(), ApiError> {
        match opt {
            Some(IfMatch::Version(v, raw)) if *v != current => {
                Err(ApiError::precondition_failed(raw, current))
            }
            _ => Ok(()),
        }
    }
}

/// An optional date-time query parameter `name`, RFC 3339 (the ISO-8601 form nRF Cloud uses).
pub(crate) fn date_time(
    name: &str,
    raw: Option<&str>,
) -> Result<Option<chrono::DateTime<chrono::Utc>>, ApiError> {
    raw.map(|r| {
        chrono::DateTime::parse_from_rfc3339(r)
            .map(|t| t.to_utc())
            .map_err(|_| ApiError::bad_request(format!("{name} must be an ISO-8601 date-time")))
    })
    .transpose()
}

/// The part of a store key that orders by time: milliseconds, offset so that times before 1970
/// sort first too, then `.`, which sorts before any digit.
pub(crate) fn time_key(t: &chrono::DateTime<chrono::Utc>) -> String {
    let ordered = (t.timestamp_millis() as u64) ^ (1 << 63);
    format!("{ordered:020}.")
}

/// `pageSort`: newest first (`desc`, the default) or oldest first (`asc`).
pub(crate) fn newest_first(page_sort: Option<&str>) -> Result<bool, ApiError> {
    match page_sort {
        None | Some("desc") => Ok(true),
        Some("asc") => Ok(false),
        Some(other) => Err(ApiError::bad_request(format!(
            "pageSort {other:?} is not asc or desc"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_json_objects_only() {
        assert!(looks_like_json_object(b"  {\"claimToken\":\"x\"}"));
        assert!(looks_like_json_object(b"\xEF\xBB\xBF{}"));
        assert!(!looks_like_json_object(b"tok.sig,\"a,b\"\n"));
        assert!(!looks_like_json_object(b"[1]"));
        assert!(!looks_like_json_object(b""));
    }

    #[test]
    fn present_rejects_null_and_empty_values() {
        #[derive(serde::Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Q {
            #[serde(default, deserialize_with = "present")]
            page_limit: Option<String>,
            #[serde(default, deserialize_with = "present")]
            flag: Option<bool>,
        }
        let q: Q = serde_html_form::from_str("").unwrap();
        assert!(q.page_limit.is_none() && q.flag.is_none());
        let q: Q = serde_html_form::from_str("pageLimit=").unwrap();
        assert_eq!(q.page_limit.as_deref(), Some(""));
        assert!(serde_html_form::from_str::<Q>("flag=null").is_err());
        assert!(serde_json::from_str::<Q>(r#"{"pageLimit": null}"#).is_err());
        let q: Q = serde_json::from_str(r#"{"flag": true}"#).unwrap();
        assert_eq!(q.flag, Some(true));
    }

    #[test]
    fn if_match_forms() {
        let mut h = HeaderMap::new();
        assert!(if_match(&h).unwrap().is_none());
        for (raw, v) in [("\"3\"", 3), ("3", 3), ("W/\"4\"", 4)] {
            h.insert(header::IF_MATCH, raw.parse().unwrap());
            match if_match(&h).unwrap() {
                Some(IfMatch::Version(got, _)) => assert_eq!(got, v),
                _ => panic!("{raw}"),
            }
        }
        h.insert(header::IF_MATCH, "*".parse().unwrap());
        assert!(matches!(if_match(&h).unwrap(), Some(IfMatch::Any)));
        h.insert(header::IF_MATCH, "\"abc\"".parse().unwrap());
        assert!(if_match(&h).is_err());
    }
}
