//! Device messages: SendDeviceMessage (`POST /v1/devices/{deviceId}/messages`, API key or the
//! device's JWT; 202) stores a message as if the device had published it, and ListMessages
//! (`GET /v1/messages`, API key) lists them by `receivedAt`: `inclusiveStart` (or the deprecated
//! `start`) to `exclusiveEnd` (or `end`), filters `deviceId`, `appId` (the message's own
//! `appId`) and `topic`, `pageSort` `desc` (the default) or `asc`, pageLimit 1-100 (default 10).
//!
//! Each team keeps its newest [`MAX_MESSAGES`] messages, and none older than the service's
//! 30 days ([`RETENTION`]): older ones are dropped as new ones arrive, and never listed.

use std::{collections::BTreeMap, ops::Bound};

use axum::{Json, extract::State, http::StatusCode, response::IntoResponse};
use chrono::{DateTime, TimeDelta, Utc};
use serde::Deserialize;
use serde_json::{Value, json};

use super::onboarding::check_device_id;
use crate::{
    auth::{ApiKey, Caller},
    error::{ApiError, ApiResult},
    extract::{Body, Path, Query, json, newest_first, present, time_key},
    pagination::{Page, PageRequest},
    state::{AppState, timestamp},
};

/// Most messages a team keeps; the oldest go first.
pub(crate) const MAX_MESSAGES: usize = 100_000;

/// How long messages are kept (the service's documented 30 days).
pub(crate) const RETENTION: TimeDelta = TimeDelta::days(30);

/// One stored message.
struct Message {
    device_id: String,
    topic: String,
    received_at: DateTime<Utc>,
    /// As published: an object, an array of objects or a string.
    message: Value,
    /// The message's `appId`, when it is an object with a string `appId`.
    app_id: Option<String>,
}

/// A team's messages, ordered by `receivedAt` (then by arrival).
#[derive(Default)]
pub(crate) struct MessageStore {
    by_time: BTreeMap<String, Message>,
    serial: u64,
}

impl MessageStore {
    /// Stores a message received at `received_at` (kept to the millisecond), then drops what
    /// is older than [`RETENTION`] at `now` or beyond [`MAX_MESSAGES`].
    pub fn add(
        &mut self,
        device_id: &str,
        topic: &str,
        message: Value,
        received_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) {
        let received_at =
            DateTime::from_timestamp_millis(received_at.timestamp_millis()).unwrap_or(received_at);
        self.serial += 1;
        let key = format!("{}{:020}", time_key(&received_at), self.serial);
        let app_id = message
            .get("appId")
            .and_then(Value::as_str)
            .map(str::to_owned);
        self.by_time.insert(
            key,
            Message {
                device_id: device_id.to_owned(),
                topic: topic.to_owned(),
                received_at,
                message,
                app_id,
            },
        );
        let oldest_kept = now - RETENTION;
        while self.by_time.len() > MAX_MESSAGES
            || self
                .by_time
                .first_key_value()
                .is_some_and(|(_, m)| m.received_at < oldest_kept)
        {
            self.by_time.pop_first();
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.by_time.len()
    }
}

#[derive(Deserialize)]
struct SendInput {
    #[serde(default, deserialize_with = "present")]
    topic: Option<String>,
    message: Value,
}

/// `POST /v1/devices/{deviceId}/messages`: 202; the topic defaults to `d/<deviceId>/d2c`.
pub(crate) async fn send(
    State(shared): State<AppState>,
    caller: Caller,
    Path(device_id): Path<String>,
    Body(body): Body,
) -> ApiResult {
    check_device_id(&device_id).map_err(ApiError::bad_request)?;
    caller.check_device(&device_id)?;
    let input: Value = json(&body)?;
    if !input.is_object() {
        return Err(ApiError::bad_request("the body must be a JSON object"));
    }
    let input: SendInput = serde_json::from_value(input)
        .map_err(|e| ApiError::bad_request(format!("invalid body: {e}")))?;
    let shape_ok = match &input.message {
        Value::Object(_) | Value::String(_) => true,
        Value::Array(items) => items.iter().all(Value::is_object),
        _ => false,
    };
    if !shape_ok {
        return Err(ApiError::bad_request(
            "message must be a JSON object, an array of objects, or a string",
        ));
    }
    let now = Utc::now();
    let mut data = shared.write();
    let t = &mut data.teams[caller.team()];
    if !t.devices.contains_key(&device_id) {
        return Err(ApiError::not_found(format!("device {device_id} not found")));
    }
    let topic = input.topic.unwrap_or_else(|| format!("d/{device_id}/d2c"));
    t.messages.add(&device_id, &topic, input.message, now, now);
    Ok(StatusCode::ACCEPTED.into_response())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ListQuery {
    #[serde(default, deserialize_with = "present")]
    inclusive_start: Option<String>,
    #[serde(default, deserialize_with = "present")]
    start: Option<String>,
    #[serde(default, deserialize_with = "present")]
    exclusive_end: Option<String>,
    #[serde(default, deserialize_with = "present")]
    end: Option<String>,
    #[serde(default, deserialize_with = "present")]
    app_id: Option<String>,
    #[serde(default, deserialize_with = "present")]
    device_id: Option<String>,
    #[serde(default, deserialize_with = "present")]
    topic: Option<String>,
    #[serde(default, deserialize_with = "present")]
    page_limit: Option<String>,
    #[serde(default, deserialize_with = "present")]
    page_sort: Option<String>,
    page_next_token: Option<String>,
}

/// `GET /v1/messages`. `appId` with `topic` is a combination the service does not support
/// (400), as its documentation says.
pub(crate) async fn list(
    State(shared): State<AppState>,
    ApiKey(team): ApiKey,
    Query(q): Query<ListQuery>,
) -> ApiResult {
    // The current names win over the deprecated ones when both are given.
    let start = match crate::extract::date_time("inclusiveStart", q.inclusive_start.as_deref())? {
        Some(t) => Some(t),
        None => crate::extract::date_time("start", q.start.as_deref())?,
    };
    let end = match crate::extract::date_time("exclusiveEnd", q.exclusive_end.as_deref())? {
        Some(t) => Some(t),
        None => crate::extract::date_time("end", q.end.as_deref())?,
    };
    if q.app_id.as_ref().is_some_and(|a| a.chars().count() > 64) {
        return Err(ApiError::bad_request("appId has more than 64 characters"));
    }
    if let Some(id) = &q.device_id {
        check_device_id(id).map_err(ApiError::bad_request)?;
    }
    if q.app_id.is_some() && q.topic.is_some() {
        return Err(ApiError::bad_request(
            "unsupported filter combination: appId cannot be combined with topic",
        ));
    }
    let rev = newest_first(q.page_sort.as_deref())?;
    let page = PageRequest::new(
        &shared,
        q.page_limit.as_deref(),
        q.page_next_token.as_deref(),
    )?;
    let oldest_kept = Utc::now() - RETENTION;
    let low = time_key(&start.map_or(oldest_kept, |s| s.max(oldest_kept)));
    let high = end.map(|e| time_key(&e));
    let range = (
        Bound::Included(low.as_str()),
        high.as_deref().map_or(Bound::Unbounded, Bound::Excluded),
    );
    let data = shared.read();
    let t = &data.teams[team];
    let (items, next) = page.page_within(&t.messages.by_time, range, rev, |m| {
        q.device_id.as_ref().is_none_or(|d| &m.device_id == d)
            && q.topic.as_ref().is_none_or(|topic| &m.topic == topic)
            && q.app_id
                .as_ref()
                .is_none_or(|a| m.app_id.as_ref() == Some(a))
    });
    let items = items
        .into_iter()
        .map(|m| {
            json!({
                "tenantId": t.id,
                "deviceId": m.device_id,
                "topic": m.topic,
                "receivedAt": timestamp(&m.received_at),
                "message": m.message,
            })
        })
        .collect();
    Ok(Json(Page::new(items, next)).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn old_and_excess_messages_are_dropped() {
        let now = Utc::now();
        let mut store = MessageStore::default();
        store.add("d", "t", json!({}), now - TimeDelta::days(31), now);
        assert_eq!(store.len(), 0);
        store.add("d", "t", json!({}), now - TimeDelta::days(29), now);
        store.add("d", "t", json!({"appId": "GNSS"}), now, now);
        assert_eq!(store.len(), 2);
        let last = store.by_time.values().next_back().unwrap();
        assert_eq!(last.app_id.as_deref(), Some("GNSS"));
        // Two days later, the first has expired.
        store.add("d", "t", json!({}), now, now + TimeDelta::days(2));
        assert_eq!(store.len(), 2);
        for _ in 0..MAX_MESSAGES {
            store.add("d", "t", json!({}), now, now);
        }
        assert_eq!(store.len(), MAX_MESSAGES);
        assert!(
            store
                .by_time
                .values()
                .all(|m| m.received_at.timestamp_millis() == now.timestamp_millis())
        );
    }

    #[test]
    fn keys_order_by_time_across_1970() {
        let before = DateTime::from_timestamp_millis(-5).unwrap();
        let after = DateTime::from_timestamp_millis(5).unwrap();
        assert!(time_key(&before) < time_key(&after));
        assert!(time_key(&after) < format!("{}{:020}", time_key(&after), 1));
    }
}
