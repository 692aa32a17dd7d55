//! Location history: the fixes the service recorded for the team's devices, paged. The live
//! service sends `lat`, `lon` and `uncertainty` as strings ("59.92335269", "301"); the document
//! says numbers. Both are read (cloud-api-facts.md §7.5, §9).

use chrono::{DateTime, Utc};
use nrfcloud_api::{ops, rest::types};

use super::{FixSource, Prepared};
use crate::{
    Client,
    auth::serving::Serving,
    devices::check_id,
    error::{Error, Result},
    messages::SortOrder,
    pagination::{self, Page, page_of},
};

/// One recorded fix.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct HistoryEntry {
    /// The record's id (for [`Location::delete_history`](super::Location::delete_history)).
    pub id: String,
    /// The device it locates.
    pub device_id: String,
    /// How the fix was made (empty for records older than 2021-12-10).
    pub service_type: FixSource,
    /// When the service recorded it.
    pub inserted_at: Option<DateTime<Utc>>,
    /// Latitude, WGS-84 degrees.
    pub lat: f64,
    /// Longitude, WGS-84 degrees.
    pub lon: f64,
    /// Radius in metres.
    pub uncertainty: f64,
    /// What the device reported with a GNSS fix; `None` for other fixes (the service sends
    /// `meta: {}`).
    pub meta: Option<GnssMeta>,
    /// The MAC addresses of the anchors the fix used.
    pub anchors: Vec<String>,
}

/// What a device reported with a GNSS fix. Every field is optional: the document marks them
/// required, real records omit them (\[CONFLICT\] cloud-api-facts.md §7.5).
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct GnssMeta {
    /// Accuracy, metres.
    pub acc: Option<f64>,
    /// Altitude, metres.
    pub alt: Option<f64>,
    /// Speed, metres per second.
    pub spd: Option<f64>,
    /// Heading, degrees.
    pub hdg: Option<f64>,
}

fn number(n: Option<nrfcloud_api::lenient::Number>) -> Option<f64> {
    n.and_then(|n| n.as_f64())
}

impl HistoryEntry {
    fn from_item(item: types::LocationTrackerItem) -> Result<Self> {
        const OPERATION: &str = "GetLocationHistory";
        let missing = |field: &str| {
            Error::incomplete(
                OPERATION,
                format!("items[].{field}"),
                format!("a history record has no number `{field}`"),
            )
        };
        let meta = item
            .meta
            .map(|m| GnssMeta {
                acc: number(m.acc),
                alt: number(m.alt),
                spd: number(m.spd),
                hdg: number(m.hdg),
            })
            .filter(|m| *m != GnssMeta::default());
        Ok(Self {
            id: item.id.ok_or_else(|| missing("id"))?,
            device_id: item.device_id.ok_or_else(|| missing("deviceId"))?,
            service_type: FixSource::from(item.service_type.as_deref().map_or("", |s| s.as_str())),
            inserted_at: item.inserted_at,
            lat: number(item.lat).ok_or_else(|| missing("lat"))?,
            lon: number(item.lon).ok_or_else(|| missing("lon"))?,
            uncertainty: number(item.uncertainty).ok_or_else(|| missing("uncertainty"))?,
            meta,
            anchors: item
                .anchors
                .into_iter()
                .filter_map(|a| a.mac_address)
                .collect(),
        })
    }
}

/// Builder of [`Location::history`](super::Location::history).
#[derive(Clone, Debug)]
pub struct ListHistory {
    client: Client,
    device_id: Option<String>,
    tags: Vec<String>,
    latest: bool,
    start: Option<DateTime<Utc>>,
    end: Option<DateTime<Utc>>,
    sort: SortOrder,
    page_limit: Option<u32>,
    page_token: Option<String>,
}

crate::pagination::list_builder! {
    ListHistory => HistoryEntry, ops::rest::GET_LOCATION_HISTORY,
    "client.location().history().device_id(\"nrf-352656100123456\")",
    /// Every matching record, as a lazy stream.
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
    /// use futures::TryStreamExt;
    /// let mut history = client.location().history().device_id("nrf-352656100123456").stream();
    /// while let Some(e) = history.try_next().await? {
    ///     println!("{:?} {},{} ±{} m ({})", e.inserted_at, e.lat, e.lon, e.uncertainty, e.service_type);
    /// }
    /// # Ok(())
    /// # }
    /// ```
}

impl ListHistory {
    pub(super) fn new(client: Client) -> Self {
        Self {
            client,
            device_id: None,
            tags: Vec::new(),
            latest: false,
            start: None,
            end: None,
            sort: SortOrder::Descending,
            page_limit: None,
            page_token: None,
        }
    }

    /// Only this device's records. Without a device (or with tags, or
    /// [`latest`](ListHistory::latest)) the service wants an admin's credentials.
    ///
    /// ```no_run
    /// # fn f(client: nrfcloud::Client) {
    /// let list = client.location().history().device_id("nrf-352656100123456");
    /// # }
    /// ```
    pub fn device_id(mut self, device_id: impl Into<String>) -> Self {
        self.device_id = Some(device_id.into());
        self
    }

    /// Only devices with this tag (several: any of them).
    ///
    /// ```no_run
    /// # fn f(client: nrfcloud::Client) {
    /// let list = client.location().history().tag("trucks").tag("trailers");
    /// # }
    /// ```
    pub fn tag(mut self, tag: impl Into<String>) -> Self {
        self.tags.push(tag.into());
        self
    }

    /// Only each device's last known location.
    ///
    /// ```no_run
    /// # fn f(client: nrfcloud::Client) {
    /// let list = client.location().history().tag("trucks").latest();
    /// # }
    /// ```
    pub fn latest(mut self) -> Self {
        self.latest = true;
        self
    }

    /// Only records from `start` until `end`.
    ///
    /// ```no_run
    /// # fn f(client: nrfcloud::Client) {
    /// use chrono::{Duration, Utc};
    /// let end = Utc::now();
    /// let list = client
    ///     .location()
    ///     .history()
    ///     .device_id("nrf-352656100123456")
    ///     .between(end - Duration::days(7), end);
    /// # }
    /// ```
    pub fn between(mut self, start: DateTime<Utc>, end: DateTime<Utc>) -> Self {
        self.start = Some(start);
        self.end = Some(end);
        self
    }

    /// Oldest or newest first (default newest).
    ///
    /// ```no_run
    /// # fn f(client: nrfcloud::Client) {
    /// use nrfcloud::messages::SortOrder;
    /// let list = client.location().history().device_id("nrf-1").sort(SortOrder::Ascending);
    /// # }
    /// ```
    pub fn sort(mut self, order: SortOrder) -> Self {
        self.sort = order;
        self
    }

    async fn fetch(self, token: Option<String>) -> Result<Page<HistoryEntry>> {
        let op = ops::rest::GET_LOCATION_HISTORY;
        let prepared = Prepared::new(&self.client, op, &Serving::default())?;
        let call = &prepared.call;
        if let (Some(start), Some(end)) = (self.start, self.end)
            && start >= end
        {
            return Err(Error::invalid_request(
                call.operation(),
                format!("the range is empty: start {start} is not before end {end}"),
            ));
        }
        let mut request = call.raw.get_location_history().page_sort(match self.sort {
            SortOrder::Ascending => types::PageSort::Asc,
            SortOrder::Descending => types::PageSort::Desc,
        });
        if let Some(id) = self.device_id {
            check_id(call.operation(), &id)?;
            let id = types::GetLocationHistoryDeviceId::try_from(id)
                .map_err(|e| Error::invalid_request(call.operation(), e.to_string()))?;
            request = request.device_id(id);
        }
        if !self.tags.is_empty() {
            request = request.tags(self.tags);
        }
        if self.latest {
            request = request.latest(true);
        }
        if let Some(start) = self.start {
            request = request.start(start);
        }
        if let Some(end) = self.end {
            request = request.end(end);
        }
        if let Some(limit) = pagination::page_limit(self.page_limit) {
            request = request.page_limit(limit);
        }
        // Sent as received: the service hands it out already percent-encoded, and the
        // generated client encodes it once more, as Nordic's own example does
        // (\[UNCERTAIN\] which the service wants, cloud-api-facts.md §7.5).
        if let Some(token) = token {
            request = request.page_next_token(token);
        }
        page_of(call.run(request.send()).await, HistoryEntry::from_item)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(json: serde_json::Value) -> Result<HistoryEntry> {
        HistoryEntry::from_item(serde_json::from_value(json).unwrap())
    }

    #[test]
    fn a_record_as_the_live_service_sends_it_reads_its_strings_as_numbers() {
        let entry = item(serde_json::json!({
            "id": "0c0e1a4e-5f0a-4f43-9d3b-3f0e7a1c2b11",
            "deviceId": "nrf-352656100123456",
            "serviceType": "WIFI",
            "insertedAt": "2026-11-30T08:15:02.123Z",
            "lat": "59.92335269",
            "lon": "10.68776",
            "uncertainty": "15.066",
            "meta": {},
        }))
        .unwrap();
        assert_eq!(entry.lat, 59.92335269);
        assert_eq!(entry.lon, 10.68776);
        assert_eq!(entry.uncertainty, 15.066);
        assert_eq!(entry.service_type, FixSource::Wifi);
        assert_eq!(entry.meta, None);
        assert_eq!(
            entry.inserted_at.unwrap().to_rfc3339(),
            "2026-11-30T08:15:02.123+00:00"
        );
    }

    #[test]
    fn numbers_gnss_meta_and_an_unknown_service_type_are_read_too() {
        let entry = item(serde_json::json!({
            "id": "a", "deviceId": "d", "serviceType": "LASER",
            "lat": 63.4, "lon": 10.4, "uncertainty": 301,
            "meta": {"acc": "4.5", "alt": 12, "spd": 0.5, "hdg": 270},
            "anchors": [{"macAddress": "40:01:7a:c9:10:22", "name": "dock"}],
        }))
        .unwrap();
        assert_eq!(
            (entry.lat, entry.lon, entry.uncertainty),
            (63.4, 10.4, 301.0)
        );
        assert_eq!(entry.service_type, FixSource::Other("LASER".into()));
        assert_eq!(
            entry.meta,
            Some(GnssMeta {
                acc: Some(4.5),
                alt: Some(12.0),
                spd: Some(0.5),
                hdg: Some(270.0),
            })
        );
        assert_eq!(entry.anchors, ["40:01:7a:c9:10:22"]);
    }

    #[test]
    fn a_record_without_a_position_is_an_error_naming_the_field() {
        let e =
            item(serde_json::json!({"id": "a", "deviceId": "d", "lon": "1", "uncertainty": "2"}))
                .unwrap_err();
        assert_eq!(
            e.to_string(),
            "the response of GetLocationHistory does not match its schema at `items[].lat`"
        );
    }
}
