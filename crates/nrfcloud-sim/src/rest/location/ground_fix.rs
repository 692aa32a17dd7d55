//! GetLocationFromCellsOrWifiNetworks (`POST /location/ground-fix`) and the deprecated
//! GetSingleCellLocation (`GET /location/single-cell`).
//!
//! Wi-Fi wins when there are at least two access points (`WIFI`); otherwise the cells give the
//! fix: `MCELL` for several cells or a cell with neighbours (`nmr`), `SCELL` for one cell
//! alone. Neither → 422. `wifi` may be the current array of access points or the deprecated
//! `{accessPoints: […]}` object; both give the same answer. `hiConf=true` widens the
//! uncertainty to the 95 % radius; `doReply=false` (or 0) answers 200 with an empty body. Every
//! fix is recorded in the device's location history when the request names a device.

use axum::{Json, extract::State, response::IntoResponse};
use serde::Deserialize;
use serde_json::json;

use super::{
    caller::LocationCaller,
    fix::{Fix, Method, Mnc, cell_key, locate, normalize_mac, normalize_mnc},
    history,
};
use crate::{
    error::{ApiError, ApiResult},
    extract::{Body, Query, json, present},
    state::AppState,
};

/// An LTE cell (`LteCell`): `mcc`, `mnc`, `eci` and `tac` are required.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LteCell {
    mcc: i64,
    mnc: Mnc,
    eci: i64,
    tac: i64,
    #[serde(default, rename = "earfcn", deserialize_with = "present")]
    _earfcn: Option<i64>,
    #[serde(default, rename = "pci", deserialize_with = "present")]
    _pci: Option<i64>,
    #[serde(default, rename = "rsrp", deserialize_with = "present")]
    _rsrp: Option<f64>,
    #[serde(default, rename = "rsrq", deserialize_with = "present")]
    _rsrq: Option<f64>,
    #[serde(default, rename = "adv", deserialize_with = "present")]
    _adv: Option<f64>,
    #[serde(default, deserialize_with = "present")]
    nmr: Option<Vec<Neighbour>>,
}

/// A neighbour measurement: `earfcn` and `pci` are required.
#[derive(Deserialize)]
struct Neighbour {
    earfcn: i64,
    pci: i64,
    #[serde(default, rename = "eci", deserialize_with = "present")]
    _eci: Option<i64>,
    #[serde(default, rename = "rsrp", deserialize_with = "present")]
    _rsrp: Option<f64>,
    #[serde(default, rename = "rsrq", deserialize_with = "present")]
    _rsrq: Option<f64>,
    #[serde(default, rename = "timeDiff", deserialize_with = "present")]
    _time_diff: Option<f64>,
}

/// A Wi-Fi access point: `macAddress` is required.
#[derive(Deserialize)]
struct AccessPoint {
    #[serde(rename = "macAddress")]
    mac_address: String,
    #[serde(default, rename = "ssid", deserialize_with = "present")]
    _ssid: Option<String>,
    #[serde(default, rename = "signalStrength", deserialize_with = "present")]
    _signal_strength: Option<f64>,
    #[serde(default, rename = "age", deserialize_with = "present")]
    _age: Option<f64>,
    #[serde(default, rename = "signalToNoiseRatio", deserialize_with = "present")]
    _signal_to_noise_ratio: Option<f64>,
    #[serde(default, rename = "frequency", deserialize_with = "present")]
    _frequency: Option<f64>,
    #[serde(default, rename = "channel", deserialize_with = "present")]
    _channel: Option<f64>,
}

/// `wifi`: the current array form, or the deprecated `{accessPoints}` object.
#[derive(Deserialize)]
#[serde(untagged)]
enum Wifi {
    List(Vec<AccessPoint>),
    Object {
        #[serde(rename = "accessPoints")]
        access_points: Vec<AccessPoint>,
    },
}

#[derive(Deserialize)]
struct GroundFixRequest {
    #[serde(default, deserialize_with = "present")]
    lte: Option<Vec<LteCell>>,
    #[serde(default, deserialize_with = "present")]
    ltecatm: Option<Vec<LteCell>>,
    #[serde(default, deserialize_with = "present")]
    nbiot: Option<Vec<LteCell>>,
    #[serde(default, deserialize_with = "present")]
    wifi: Option<Wifi>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct GroundFixQuery {
    #[serde(default, deserialize_with = "present")]
    do_reply: Option<String>,
    #[serde(default, rename = "fallback", deserialize_with = "present")]
    _fallback: Option<bool>,
    #[serde(default, deserialize_with = "present")]
    hi_conf: Option<bool>,
    #[serde(default, rename = "dist", deserialize_with = "present")]
    _dist: Option<f64>,
    #[serde(default, rename = "cont", deserialize_with = "present")]
    _cont: Option<bool>,
    #[serde(default, rename = "alt", deserialize_with = "present")]
    _alt: Option<bool>,
}

/// `doReply`: a boolean or a number (0 = false).
fn do_reply(raw: Option<&str>) -> Result<bool, ApiError> {
    match raw.map(str::trim) {
        None | Some("true") => Ok(true),
        Some("false") => Ok(false),
        Some(other) => other
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .map(|v| v != 0.0)
            .ok_or_else(|| ApiError::bad_request("doReply must be a boolean or a number")),
    }
}

/// The method and measurement keys of a request.
fn measurements(body: &GroundFixRequest) -> Result<(Method, Vec<String>), ApiError> {
    let aps: &[AccessPoint] = match &body.wifi {
        None => &[],
        Some(Wifi::List(aps) | Wifi::Object { access_points: aps }) => aps,
    };
    let macs = aps
        .iter()
        .map(|ap| normalize_mac(&ap.mac_address))
        .collect::<Result<Vec<_>, _>>()?;
    let mut distinct = macs.clone();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() >= 2 {
        return Ok((Method::Wifi, distinct));
    }
    let cells: Vec<&LteCell> = [&body.lte, &body.ltecatm, &body.nbiot]
        .into_iter()
        .flatten()
        .flatten()
        .collect();
    let mut keys = Vec::new();
    let mut neighbours = 0;
    for cell in &cells {
        keys.push(cell_key(
            cell.mcc,
            &cell.mnc.normalized(),
            cell.tac,
            cell.eci,
        ));
        for n in cell.nmr.iter().flatten() {
            neighbours += 1;
            keys.push(format!("nmr-{}-{}", n.earfcn, n.pci));
        }
    }
    match (cells.len(), neighbours) {
        (0, _) => Err(ApiError::validation(
            "a ground fix needs at least two Wi-Fi access points or one LTE cell",
        )),
        (1, 0) => Ok((Method::Scell, keys)),
        _ => Ok((Method::Mcell, keys)),
    }
}

fn answer(fix: Fix, service_type: &str) -> serde_json::Value {
    json!({
        "lat": fix.lat,
        "lon": fix.lon,
        "uncertainty": fix.uncertainty,
        "fulfilledWith": service_type,
    })
}

/// `POST /location/ground-fix`: `{lat, lon, uncertainty, fulfilledWith}`.
pub(crate) async fn ground_fix(
    State(shared): State<AppState>,
    caller: LocationCaller,
    Query(q): Query<GroundFixQuery>,
    Body(body): Body,
) -> ApiResult {
    let reply = do_reply(q.do_reply.as_deref())?;
    let request: GroundFixRequest = json(&body)?;
    let (method, keys) = measurements(&request)?;
    let fix = locate(method, &keys, q.hi_conf.unwrap_or(false));
    let service_type = method.service_type(caller.eval);
    history::record(&shared, &caller, &service_type, fix);
    if !reply {
        return Ok(axum::http::StatusCode::OK.into_response());
    }
    Ok(Json(answer(fix, &service_type)).into_response())
}

#[derive(Deserialize)]
pub(crate) struct SingleCellQuery {
    mcc: i64,
    mnc: String,
    tac: i64,
    eci: i64,
    #[serde(default, rename = "rsrp", deserialize_with = "present")]
    _rsrp: Option<f64>,
    #[serde(default, deserialize_with = "present")]
    format: Option<String>,
}

/// `GET /location/single-cell`: `{lat, lon, uncertainty}`, the position a ground fix gives
/// for that cell alone (`SCELL`). Always JSON: the document declares no other answer.
pub(crate) async fn single_cell(
    State(shared): State<AppState>,
    caller: LocationCaller,
    Query(q): Query<SingleCellQuery>,
) -> ApiResult {
    if let Some(format) = q
        .format
        .as_deref()
        .filter(|f| !["json", "binary"].contains(f))
    {
        return Err(ApiError::bad_request(format!(
            "format {format:?} is not json or binary"
        )));
    }
    let key = cell_key(q.mcc, &normalize_mnc(&q.mnc), q.tac, q.eci);
    let fix = locate(Method::Scell, &[key], false);
    history::record(
        &shared,
        &caller,
        &Method::Scell.service_type(caller.eval),
        fix,
    );
    Ok(Json(json!({
        "lat": fix.lat,
        "lon": fix.lon,
        "uncertainty": fix.uncertainty,
    }))
    .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn method(body: serde_json::Value) -> Result<Method, ApiError> {
        let request: GroundFixRequest = serde_json::from_value(body).unwrap();
        measurements(&request).map(|(m, _)| m)
    }

    #[test]
    fn methods() {
        let cell = json!({"mcc": 242, "mnc": 1, "eci": 1, "tac": 2});
        let aps = json!([{"macAddress": "40:01:7a:c9:10:22"}, {"macAddress": "40:01:7a:c9:10:23"}]);
        assert_eq!(method(json!({"lte": [cell]})).unwrap(), Method::Scell);
        assert_eq!(method(json!({"lte": [cell, cell]})).unwrap(), Method::Mcell);
        let with_nmr = json!({"mcc": 242, "mnc": "01", "eci": 1, "tac": 2, "nmr": [{"earfcn": 6300, "pci": 1}]});
        assert_eq!(method(json!({"lte": [with_nmr]})).unwrap(), Method::Mcell);
        assert_eq!(method(json!({"wifi": aps})).unwrap(), Method::Wifi);
        assert_eq!(
            method(json!({"wifi": {"accessPoints": aps}, "lte": [cell]})).unwrap(),
            Method::Wifi
        );
        let one = json!([{"macAddress": "40:01:7a:c9:10:22"}]);
        assert_eq!(
            method(json!({"wifi": one, "lte": [cell]})).unwrap(),
            Method::Scell
        );
        assert_eq!(
            method(json!({"wifi": one})).unwrap_err().status.as_u16(),
            422
        );
        assert!(do_reply(Some("0")).is_ok_and(|r| !r));
        assert!(do_reply(Some("maybe")).is_err());
    }
}
