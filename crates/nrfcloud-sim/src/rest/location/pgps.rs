//! P-GPS: GetPredictedAssistanceData (`GET /location/pgnss`) and its deprecated twin
//! (`GET /location/pgps`) answer a link `{host, path}` to a prediction file, not the data. The
//! simulator hosts the files itself under `/__sim/pgps/{day}-{tod}_{count}-{interval}.bin`:
//! `host` is the REST origin with its scheme (`http://127.0.0.1:PORT`) and `path` has no
//! leading `/`. Like the real file host, it takes no nRF Cloud credential: a request carrying
//! `Authorization` is refused with 400.
//!
//! Query: `predictionCount` 1-168 (default 42), `predictionIntervalMinutes` 120, 240, 360 or 480
//! (default 240), `startGpsDay` 0-65535 (default today), `startGpsTimeOfDaySeconds` 0-86399
//! (default 0); anything else is 400.

use std::sync::atomic::Ordering;

use axum::{
    Json,
    extract::State,
    http::{HeaderMap, header},
    response::IntoResponse,
};
use chrono::{NaiveDate, Utc};
use serde::Deserialize;
use serde_json::json;

use super::{caller::LocationCaller, range};
use crate::{
    error::{ApiError, ApiResult},
    extract::{Path, Query, present},
    state::AppState,
};

/// Bytes of each prediction in a file.
const PREDICTION_SIZE: usize = 2048;

/// Bytes of the file header: schema, type 10, count, interval, GPS day, time of day.
const HEADER_SIZE: usize = 12;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PredictionQuery {
    #[serde(default, deserialize_with = "present")]
    prediction_count: Option<f64>,
    #[serde(default, deserialize_with = "present")]
    prediction_interval_minutes: Option<f64>,
    #[serde(default, deserialize_with = "present")]
    start_gps_day: Option<f64>,
    #[serde(default, deserialize_with = "present")]
    start_gps_time_of_day_seconds: Option<f64>,
}

/// What a prediction file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Predictions {
    count: u32,
    interval: u32,
    day: u32,
    time_of_day: u32,
}

impl Predictions {
    fn check(self) -> Result<Self, ApiError> {
        if !(1..=168).contains(&self.count) {
            return Err(ApiError::bad_request("predictionCount must be 1 to 168"));
        }
        if ![120, 240, 360, 480].contains(&self.interval) {
            return Err(ApiError::bad_request(
                "predictionIntervalMinutes must be 120, 240, 360 or 480",
            ));
        }
        if self.day > 65_535 {
            return Err(ApiError::bad_request("startGpsDay must be 0 to 65535"));
        }
        if self.time_of_day > 86_399 {
            return Err(ApiError::bad_request(
                "startGpsTimeOfDaySeconds must be 0 to 86399",
            ));
        }
        Ok(self)
    }

    fn file_name(self) -> String {
        format!(
            "{}-{}_{}-{}.bin",
            self.day, self.time_of_day, self.count, self.interval
        )
    }

    fn parse(name: &str) -> Option<Self> {
        let (start, rest) = name.strip_suffix(".bin")?.split_once('_')?;
        let (day, time_of_day) = start.split_once('-')?;
        let (count, interval) = rest.split_once('-')?;
        let number = |s: &str| s.parse::<u32>().ok();
        Self {
            count: number(count)?,
            interval: number(interval)?,
            day: number(day)?,
            time_of_day: number(time_of_day)?,
        }
        .check()
        .ok()
    }

    fn bytes(self) -> Vec<u8> {
        let count = self.count as usize;
        let mut out = Vec::with_capacity(HEADER_SIZE + count * PREDICTION_SIZE);
        out.extend_from_slice(&[1, 10]);
        out.extend_from_slice(&(self.count as u16).to_le_bytes());
        out.extend_from_slice(&(self.interval as u16).to_le_bytes());
        out.extend_from_slice(&(self.day as u16).to_le_bytes());
        out.extend_from_slice(&self.time_of_day.to_le_bytes());
        for p in 0..count {
            out.extend((0..PREDICTION_SIZE).map(|i| (p * 17 + i * 3 + self.day as usize) as u8));
        }
        out
    }
}

/// Today's GPS day (days since 1980-01-06).
fn gps_day_today() -> u32 {
    let epoch = NaiveDate::from_ymd_opt(1980, 1, 6).unwrap_or_default();
    u32::try_from((Utc::now().date_naive() - epoch).num_days()).unwrap_or_default()
}

/// A whole, non-negative query number.
fn whole(name: &str, value: Option<f64>, default: u32) -> Result<u32, ApiError> {
    match value {
        None => Ok(default),
        Some(v) if v.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&v) => Ok(v as u32),
        Some(_) => Err(ApiError::bad_request(format!(
            "{name} must be a whole, non-negative number"
        ))),
    }
}

/// `GET /location/pgnss` and `GET /location/pgps`: `{host, path}`.
pub(crate) async fn link(
    State(shared): State<AppState>,
    _caller: LocationCaller,
    Query(q): Query<PredictionQuery>,
) -> ApiResult {
    let predictions = Predictions {
        count: whole("predictionCount", q.prediction_count, 42)?,
        interval: whole(
            "predictionIntervalMinutes",
            q.prediction_interval_minutes,
            240,
        )?,
        day: whole("startGpsDay", q.start_gps_day, gps_day_today())?,
        time_of_day: whole(
            "startGpsTimeOfDaySeconds",
            q.start_gps_time_of_day_seconds,
            0,
        )?,
    }
    .check()?;
    Ok(Json(json!({
        "host": shared.config.rest_origin,
        "path": format!("__sim/pgps/{}", predictions.file_name()),
    }))
    .into_response())
}

/// `GET /__sim/pgps/{file}`: the prediction file (200, or 206 for a `Range`), 404 for a name
/// no link hands out, 400 when the request carries `Authorization`.
pub(crate) async fn download(
    State(shared): State<AppState>,
    Path(file): Path<String>,
    headers: HeaderMap,
) -> ApiResult {
    if headers.contains_key(header::AUTHORIZATION) {
        return Err(ApiError::bad_request(
            "the P-GPS file host takes no credentials: send no Authorization header",
        ));
    }
    let predictions = Predictions::parse(&file)
        .ok_or_else(|| ApiError::not_found(format!("no P-GPS file {file}")))?;
    let response = range::respond(predictions.bytes(), &headers, false);
    if response.status().is_success() {
        shared.pgps_downloads.fetch_add(1, Ordering::Relaxed);
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_round_trip() {
        let p = Predictions {
            count: 42,
            interval: 240,
            day: 16_000,
            time_of_day: 3_600,
        };
        assert_eq!(p.file_name(), "16000-3600_42-240.bin");
        assert_eq!(Predictions::parse(&p.file_name()), Some(p));
        assert_eq!(p.bytes().len(), HEADER_SIZE + 42 * PREDICTION_SIZE);
        assert!(Predictions::parse("16000-3600_42-100.bin").is_none());
        assert!(Predictions::parse("x.bin").is_none());
    }
}
