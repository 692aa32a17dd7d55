//! A-GNSS: GetAssistanceData (`POST /location/agnss`, JSON `AssistanceRequest`) answers the
//! assistance data as `application/octet-stream`, always 206 with `Content-Range` (the whole
//! payload without a `Range`; 416 / 41600 for a range beyond the end); GetAssistanceDataSize
//! (`HEAD /location/agnss`) answers 200 with its size in `Content-Length` and no body. HEAD
//! takes `types` repeated (`types=1&types=2`) or comma-joined (`types=1,2`), and both give
//! the size of the POST with those types.
//!
//! The payload is deterministic, in the service's framing: schema byte 1, then per type (in
//! ascending order) `type` (u8), `count` (u16 LE) and `count` records. Without `types` (or with
//! an empty list) the service's default set is sent: 1, 2, 3, 4, 6, 7, 9.

use std::collections::BTreeSet;

use axum::{
    extract::State,
    http::{HeaderMap, StatusCode, header},
    response::IntoResponse,
};
use serde::Deserialize;

use super::{caller::LocationCaller, fix::Mnc, range};
use crate::{
    error::{ApiError, ApiResult},
    extract::{Body, Query, json, present},
    state::AppState,
};

/// The types sent when none are asked for.
const DEFAULT_TYPES: [u8; 7] = [1, 2, 3, 4, 6, 7, 9];

/// Records per element and bytes per record of each type (1-17); type 10, prediction data,
/// has no records here.
fn layout(kind: u8, filtered: bool) -> (u16, usize) {
    match kind {
        1 => (1, 14),                               // GPS UTC parameters
        2 => (if filtered { 16 } else { 32 }, 62),  // GPS ephemerides
        3 => (31, 31),                              // GPS almanac
        4 => (1, 8),                                // Klobuchar ionospheric model
        5 => (1, 7),                                // NeQuick ionospheric model
        6 => (32, 6),                               // GPS time of week
        7 => (1, 16),                               // GPS system clock
        8 => (1, 15),                               // location
        9 => (1, 4),                                // GPS integrity
        11 => (7, 31),                              // QZSS almanac
        12 => (if filtered { 4 } else { 7 }, 62),   // QZSS ephemerides
        13 => (1, 4),                               // QZSS integrity
        14 => (30, 31),                             // Galileo almanac
        15 => (if filtered { 12 } else { 30 }, 62), // Galileo ephemerides
        16 => (1, 8),                               // GGTO
        17 => (1, 4),                               // Galileo integrity
        _ => (0, 0),
    }
}

/// The assistance payload for `types`.
pub(crate) fn payload(types: &BTreeSet<u8>, filtered: bool) -> Vec<u8> {
    let default: BTreeSet<u8> = DEFAULT_TYPES.into_iter().collect();
    let types = if types.is_empty() { &default } else { types };
    let mut out = vec![1u8];
    for &kind in types {
        let (count, size) = layout(kind, filtered);
        out.push(kind);
        out.extend_from_slice(&count.to_le_bytes());
        for record in 0..usize::from(count) {
            out.extend(
                (0..size).map(|i| (usize::from(kind) * 131 + record * 31 + i * 7) as u8 ^ 0x5a),
            );
        }
    }
    out
}

/// Parses type numbers (each 1-17).
fn parse_types<'a>(raw: impl IntoIterator<Item = &'a str>) -> Result<BTreeSet<u8>, ApiError> {
    raw.into_iter()
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(|v| {
            v.parse::<u8>()
                .ok()
                .filter(|t| (1..=17).contains(t))
                .ok_or_else(|| ApiError::bad_request(format!("invalid type {v:?}: 1 to 17")))
        })
        .collect()
}

/// `AssistanceRequest`.
#[derive(Deserialize)]
struct AssistanceRequest {
    #[serde(default, deserialize_with = "present")]
    types: Option<Vec<i64>>,
    #[serde(default, rename = "eci", deserialize_with = "present")]
    _eci: Option<i64>,
    #[serde(default, rename = "mcc", deserialize_with = "present")]
    _mcc: Option<i64>,
    #[serde(default, rename = "mnc", deserialize_with = "present")]
    _mnc: Option<Mnc>,
    #[serde(default, rename = "tac", deserialize_with = "present")]
    _tac: Option<i64>,
    #[serde(default, rename = "rsrp", deserialize_with = "present")]
    _rsrp: Option<f64>,
    #[serde(default, deserialize_with = "present")]
    filtered: Option<bool>,
    #[serde(default, rename = "mask", deserialize_with = "present")]
    _mask: Option<f64>,
}

/// `POST /location/agnss`.
pub(crate) async fn fetch(
    State(_): State<AppState>,
    _caller: LocationCaller,
    headers: HeaderMap,
    Body(body): Body,
) -> ApiResult {
    let request: AssistanceRequest = json(&body)?;
    let raw: Vec<String> = request
        .types
        .unwrap_or_default()
        .iter()
        .map(i64::to_string)
        .collect();
    let types = parse_types(raw.iter().map(String::as_str))?;
    let data = payload(&types, request.filtered.unwrap_or(false));
    Ok(range::respond(data, &headers, true))
}

/// The query of `HEAD /location/agnss`.
#[derive(Deserialize)]
pub(crate) struct SizeQuery {
    #[serde(default)]
    types: Vec<String>,
    #[serde(default, rename = "mcc", deserialize_with = "present")]
    _mcc: Option<i64>,
    #[serde(default, rename = "mnc", deserialize_with = "present")]
    _mnc: Option<String>,
    #[serde(default, rename = "tac", deserialize_with = "present")]
    _tac: Option<i64>,
    #[serde(default, rename = "eci", deserialize_with = "present")]
    _eci: Option<i64>,
    #[serde(default, rename = "rsrp", deserialize_with = "present")]
    _rsrp: Option<f64>,
    #[serde(default, deserialize_with = "present")]
    filtered: Option<bool>,
    #[serde(default, rename = "mask", deserialize_with = "present")]
    _mask: Option<f64>,
}

/// `HEAD /location/agnss`: 200, `Content-Length` = the payload's size, no body.
pub(crate) async fn size(
    State(_): State<AppState>,
    _caller: LocationCaller,
    Query(q): Query<SizeQuery>,
) -> ApiResult {
    let types = parse_types(q.types.iter().map(String::as_str))?;
    let total = payload(&types, q.filtered.unwrap_or(false)).len();
    Ok((
        StatusCode::OK,
        [(header::CONTENT_LENGTH, total.to_string())],
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_sizes() {
        let none = BTreeSet::new();
        let default: BTreeSet<u8> = DEFAULT_TYPES.into_iter().collect();
        assert_eq!(payload(&none, false), payload(&default, false));
        assert_eq!(payload(&none, false).len(), 3201);
        let ephemerides: BTreeSet<u8> = [2].into_iter().collect();
        assert_eq!(payload(&ephemerides, false).len(), 1 + 3 + 32 * 62);
        assert_eq!(payload(&ephemerides, true).len(), 1 + 3 + 16 * 62);
        assert_eq!(parse_types(["1,2", "3"]).unwrap().len(), 3);
        assert!(parse_types(["18"]).is_err());
        assert!(parse_types(["x"]).is_err());
    }
}
