//! Location history: every fix made for a device, listed by GetLocationHistory
//! (`GET /location/history`: `deviceId`, `tags`, `latest`, `start`/`inclusiveStart` (inclusive),
//! `end` (exclusive) / `inclusiveEnd`, `pageSort` (default `desc`), `pageLimit`,
//! `pageNextToken`) and removed by DeleteLocationHistory
//! (`DELETE /location/history/{deviceId}/{id}`, 202). As the live service does, items carry
//! `lat`, `lon` and `uncertainty` as JSON strings.

use std::{
    collections::{BTreeMap, BTreeSet, HashMap},
    ops::Bound,
};

use axum::{Json, extract::State, http::StatusCode, response::IntoResponse};
use chrono::{DateTime, TimeDelta, Utc};
use serde::Deserialize;
use serde_json::json;

use super::{caller::LocationCaller, fix::Fix};
use crate::{
    error::{ApiError, ApiResult},
    extract::{Path, Query, date_time, newest_first, present, time_key},
    pagination::{Page, PageRequest},
    rest::onboarding::check_device_id,
    state::{AppState, timestamp},
};

/// Most fixes a team keeps; the oldest go first.
const MAX_RECORDS: usize = 100_000;

/// One recorded fix.
#[derive(Debug, Clone)]
pub(crate) struct LocationRecord {
    pub id: String,
    pub device_id: String,
    pub service_type: String,
    pub inserted_at: DateTime<Utc>,
    pub fix: Fix,
}

/// A team's fixes, ordered by `insertedAt` (then by arrival).
#[derive(Default)]
pub(crate) struct LocationHistory {
    by_time: BTreeMap<String, LocationRecord>,
    /// Record id → key in `by_time`.
    keys: HashMap<String, String>,
    serial: u64,
}

impl LocationHistory {
    /// Records a fix (its time kept to the millisecond).
    pub fn add(&mut self, mut record: LocationRecord) {
        record.inserted_at = DateTime::from_timestamp_millis(record.inserted_at.timestamp_millis())
            .unwrap_or(record.inserted_at);
        self.serial += 1;
        let key = format!("{}{:020}", time_key(&record.inserted_at), self.serial);
        self.keys.insert(record.id.clone(), key.clone());
        self.by_time.insert(key, record);
        while self.by_time.len() > MAX_RECORDS {
            if let Some((_, old)) = self.by_time.pop_first() {
                self.keys.remove(&old.id);
            }
        }
    }

    /// Removes record `id` of `device_id`; whether it existed.
    pub fn remove(&mut self, device_id: &str, id: &str) -> bool {
        let Some(key) = self.keys.get(id) else {
            return false;
        };
        if self.by_time[key].device_id != device_id {
            return false;
        }
        let key = self.keys.remove(id).unwrap_or_default();
        self.by_time.remove(&key).is_some()
    }

    /// The distinct device ids with recorded fixes, sorted.
    pub fn device_ids(&self) -> Vec<String> {
        let ids: BTreeSet<&str> = self
            .by_time
            .values()
            .map(|r| r.device_id.as_str())
            .collect();
        ids.into_iter().map(str::to_owned).collect()
    }

    /// Every record, oldest first.
    pub fn records(&self) -> Vec<LocationRecord> {
        self.by_time.values().cloned().collect()
    }
}

/// Records a fix for `caller`'s device, if the request names one; the record's id.
pub(crate) fn record(
    shared: &AppState,
    caller: &LocationCaller,
    service_type: &str,
    fix: Fix,
) -> Option<String> {
    let device_id = caller.device.clone()?;
    let id = shared.seeded_uuid("location-history");
    shared.write().teams[caller.team]
        .locations
        .add(LocationRecord {
            id: id.clone(),
            device_id,
            service_type: service_type.to_owned(),
            inserted_at: Utc::now(),
            fix,
        });
    Some(id)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct HistoryQuery {
    #[serde(default, deserialize_with = "present")]
    device_id: Option<String>,
    #[serde(default, deserialize_with = "present")]
    latest: Option<bool>,
    #[serde(default, deserialize_with = "present")]
    page_sort: Option<String>,
    #[serde(default, deserialize_with = "present")]
    start: Option<String>,
    #[serde(default, deserialize_with = "present")]
    end: Option<String>,
    #[serde(default, deserialize_with = "present")]
    inclusive_start: Option<String>,
    #[serde(default, deserialize_with = "present")]
    inclusive_end: Option<String>,
    #[serde(default, deserialize_with = "present")]
    page_limit: Option<String>,
    page_next_token: Option<String>,
    #[serde(default, rename = "deviceIdentifier")]
    _device_identifier: Option<String>,
    #[serde(default)]
    tags: Vec<String>,
}

/// `GET /location/history`.
pub(crate) async fn list(
    State(shared): State<AppState>,
    caller: LocationCaller,
    Query(q): Query<HistoryQuery>,
) -> ApiResult {
    if let Some(id) = &q.device_id {
        check_device_id(id).map_err(ApiError::bad_request)?;
        caller.check_device(id)?;
    }
    let device = q.device_id.clone().or_else(|| caller.limited_to.clone());
    let start = match date_time("inclusiveStart", q.inclusive_start.as_deref())? {
        Some(t) => Some(t),
        None => date_time("start", q.start.as_deref())?,
    };
    let high = match date_time("inclusiveEnd", q.inclusive_end.as_deref())? {
        Some(t) => Some(time_key(&(t + TimeDelta::milliseconds(1)))),
        None => date_time("end", q.end.as_deref())?.map(|t| time_key(&t)),
    };
    let rev = newest_first(q.page_sort.as_deref())?;
    let page = PageRequest::new(
        &shared,
        q.page_limit.as_deref(),
        q.page_next_token.as_deref(),
    )?;
    let low = start.map(|t| time_key(&t));
    let range = (
        low.as_deref().map_or(Bound::Unbounded, Bound::Included),
        high.as_deref().map_or(Bound::Unbounded, Bound::Excluded),
    );
    let data = shared.read();
    let team = &data.teams[caller.team];
    let tagged: Option<BTreeSet<&str>> = (!q.tags.is_empty()).then(|| {
        team.devices
            .iter()
            .filter(|(_, d)| d.tags().iter().any(|t| q.tags.contains(t)))
            .map(|(id, _)| id.as_str())
            .collect()
    });
    // The newest record of each device, for `latest`.
    let newest: Option<BTreeSet<&str>> = q.latest.unwrap_or(false).then(|| {
        let mut seen = BTreeSet::new();
        team.locations
            .by_time
            .values()
            .rev()
            .filter(|r| seen.insert(r.device_id.as_str()))
            .map(|r| r.id.as_str())
            .collect()
    });
    let (items, next) = page.page_within(&team.locations.by_time, range, rev, |r| {
        device.as_ref().is_none_or(|d| &r.device_id == d)
            && tagged
                .as_ref()
                .is_none_or(|t| t.contains(r.device_id.as_str()))
            && newest.as_ref().is_none_or(|n| n.contains(r.id.as_str()))
    });
    let items = items.into_iter().map(item).collect();
    Ok(Json(Page::new(items, next)).into_response())
}

/// A history item as the live service sends it: coordinates and uncertainty as strings.
fn item(r: &LocationRecord) -> serde_json::Value {
    json!({
        "id": r.id,
        "deviceId": r.device_id,
        "serviceType": r.service_type,
        "insertedAt": timestamp(&r.inserted_at),
        "lat": r.fix.lat.to_string(),
        "lon": r.fix.lon.to_string(),
        "uncertainty": r.fix.uncertainty.to_string(),
        "meta": {},
    })
}

#[derive(Deserialize)]
pub(crate) struct DeletePath {
    #[serde(rename = "deviceId")]
    device_id: String,
    id: String,
}

/// `DELETE /location/history/{deviceId}/{id}`: 202, or 404 for an unknown record.
pub(crate) async fn delete(
    State(shared): State<AppState>,
    caller: LocationCaller,
    Path(p): Path<DeletePath>,
) -> ApiResult {
    check_device_id(&p.device_id).map_err(ApiError::bad_request)?;
    caller.check_device(&p.device_id)?;
    if shared.write().teams[caller.team]
        .locations
        .remove(&p.device_id, &p.id)
    {
        Ok(StatusCode::ACCEPTED.into_response())
    } else {
        Err(ApiError::not_found(format!(
            "no location history record {} for device {}",
            p.id, p.device_id
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(id: &str, device: &str) -> LocationRecord {
        LocationRecord {
            id: id.into(),
            device_id: device.into(),
            service_type: "WIFI".into(),
            inserted_at: Utc::now(),
            fix: Fix {
                lat: 63.421,
                lon: 10.4372,
                uncertainty: 14.772,
            },
        }
    }

    #[test]
    fn records_are_removed_by_device_and_id() {
        let mut h = LocationHistory::default();
        h.add(rec("a", "d1"));
        h.add(rec("b", "d2"));
        assert_eq!(h.device_ids(), ["d1", "d2"]);
        assert!(!h.remove("d2", "a"));
        assert!(h.remove("d1", "a"));
        assert!(!h.remove("d1", "a"));
        assert_eq!(h.records().len(), 1);
        assert_eq!(item(&h.records()[0])["lat"], "63.421");
    }
}
