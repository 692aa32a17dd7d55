//! Devices: list (pageLimit 1-100, default 10; filters `tags` = any of, `deviceIds`;
//! `includeState`), fetch (`ETag: "<version>"`; API key, device JWT or service JWT), rename,
//! tags and state updates (`If-Match`, 412 when stale; 202), delete (202).
//!
//! The version is the device document's `state.version`; every change increments it. `$meta`
//! has only `createdAt` / `updatedAt`, as in the REST document.

use axum::{
    Json,
    extract::State,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::IntoResponse,
};
use chrono::{DateTime, Utc};
use jsonwebtoken::DecodingKey;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::{
    auth::{ApiKey, Caller},
    error::{ApiError, ApiResult},
    extract::{Body, IfMatch, Path, Query, if_match, json},
    pagination::{Page, PageRequest},
    provisioning::check_tags,
    rest::onboarding::check_device_id,
    state::{AppState, Team, timestamp},
};

/// A device of the REST API.
pub(crate) struct Device {
    id: String,
    name: String,
    tags: Vec<String>,
    sub_type: String,
    firmware_types: Vec<String>,
    version: u64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    desired: Map<String, Value>,
    reported: Map<String, Value>,
    /// Verification key for device JWTs (RegisterPublicKeys, a certificate, or the key the
    /// device generated for a cloudAccessKeyGeneration command).
    pub key: Option<DecodingKey>,
}

impl Device {
    pub fn new(
        id: String,
        sub_type: String,
        tags: Vec<String>,
        firmware_types: Vec<String>,
        key: Option<DecodingKey>,
    ) -> Self {
        let now = Utc::now();
        Self {
            name: id.clone(),
            id,
            tags,
            sub_type,
            firmware_types,
            version: 1,
            created_at: now,
            updated_at: now,
            desired: Map::new(),
            reported: Map::new(),
            key,
        }
    }

    fn touch(&mut self) {
        self.version += 1;
        self.updated_at = Utc::now();
    }

    /// The device's tags.
    pub fn tags(&self) -> &[String] {
        &self.tags
    }

    /// Registers (or replaces) the key for device JWTs.
    pub fn set_key(&mut self, key: DecodingKey) {
        self.key = Some(key);
        self.touch();
    }

    /// A sub-type containing "gateway" makes a Gateway device, anything else a Generic one.
    fn device_type(&self) -> &'static str {
        if self.sub_type.to_ascii_lowercase().contains("gateway") {
            "Gateway"
        } else {
            "Generic"
        }
    }

    fn json(&self, tenant_id: &str, include_state: bool) -> Value {
        let mut device = json!({
            "id": self.id,
            "name": self.name,
            "tags": self.tags,
            "tenantId": tenant_id,
            "subType": self.sub_type,
            "type": self.device_type(),
            "$meta": {
                "createdAt": timestamp(&self.created_at),
                "updatedAt": timestamp(&self.updated_at),
            },
        });
        if !self.firmware_types.is_empty() {
            device["firmware"] = json!({ "supports": self.firmware_types });
        }
        if include_state {
            device["state"] = json!({
                "desired": self.desired,
                "reported": self.reported,
                "version": self.version,
            });
        }
        device
    }
}

fn not_found(id: &str) -> ApiError {
    ApiError::not_found(format!("device {id} not found"))
}

fn device_mut<'a>(team: &'a mut Team, id: &str) -> Result<&'a mut Device, ApiError> {
    team.devices.get_mut(id).ok_or_else(|| not_found(id))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ListQuery {
    #[serde(default, deserialize_with = "crate::extract::present")]
    page_limit: Option<String>,
    page_next_token: Option<String>,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    device_ids: Vec<String>,
    #[serde(default)]
    include_state: bool,
    // Filters the simulator does not apply, still checked as the document types them (booleans,
    // the device-id pattern, enums), as the service does: schemathesis found
    // `includeStateMeta=null` and `gatewayId=0.5` answered 200.
    #[serde(
        rename = "includeStateMeta",
        default,
        deserialize_with = "crate::extract::present"
    )]
    _include_state_meta: Option<bool>,
    #[serde(
        rename = "bleFirmwareSupport",
        default,
        deserialize_with = "crate::extract::present"
    )]
    _ble_firmware_support: Option<bool>,
    #[serde(default, deserialize_with = "crate::extract::present")]
    gateway_id: Option<String>,
    #[serde(default)]
    firmware_support: Vec<String>,
    #[serde(default)]
    firmware_support_exclude: Vec<String>,
    #[serde(default)]
    device_types: Vec<String>,
}

/// `FirmwareTypes` of the REST document.
pub(crate) const FIRMWARE_TYPES: [&str; 8] = [
    "APP",
    "MODEM",
    "BOOT",
    "SOFTDEVICE",
    "BOOTLOADER",
    "MDM_FULL",
    "SMP",
    "CUSTOM",
];

/// `DeviceTypes` of the REST document.
const DEVICE_TYPES: [&str; 3] = ["Gateway", "BLE", "Generic"];

impl ListQuery {
    /// The document's constraints on the filters, applied or not.
    fn check(&self) -> Result<(), ApiError> {
        for id in self.device_ids.iter().chain(&self.gateway_id) {
            check_device_id(id).map_err(ApiError::bad_request)?;
        }
        let enums = [
            (
                "firmwareSupport",
                &self.firmware_support,
                &FIRMWARE_TYPES[..],
            ),
            (
                "firmwareSupportExclude",
                &self.firmware_support_exclude,
                &FIRMWARE_TYPES[..],
            ),
            ("deviceTypes", &self.device_types, &DEVICE_TYPES[..]),
        ];
        for (name, values, known) in enums {
            if let Some(v) = values.iter().find(|v| !known.contains(&v.as_str())) {
                return Err(ApiError::bad_request(format!(
                    "{name}: {v:?} is not one of {}",
                    known.join(", ")
                )));
            }
        }
        Ok(())
    }
}

/// `GET /v1/devices`.
pub(crate) async fn list(
    State(shared): State<AppState>,
    ApiKey(team): ApiKey,
    Query(q): Query<ListQuery>,
) -> ApiResult {
    q.check()?;
    let page = PageRequest::new(
        &shared,
        q.page_limit.as_deref(),
        q.page_next_token.as_deref(),
    )?;
    let data = shared.read();
    let t = &data.teams[team];
    let (items, next) = page.page(&t.devices, |d| {
        (q.device_ids.is_empty() || q.device_ids.contains(&d.id))
            && (q.tags.is_empty() || d.tags.iter().any(|tag| q.tags.contains(tag)))
    });
    let items = items
        .into_iter()
        .map(|d| d.json(&t.id, q.include_state))
        .collect();
    Ok(Json(Page::new(items, next)).into_response())
}

/// `GET /v1/devices/{deviceId}`: the device with its state, and its version as `ETag`.
pub(crate) async fn fetch(
    State(shared): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult {
    caller.check_device(&id)?;
    let data = shared.read();
    let t = &data.teams[caller.team()];
    let device = t.devices.get(&id).ok_or_else(|| not_found(&id))?;
    let etag = HeaderValue::from_str(&format!("\"{}\"", device.version))
        .expect("a number is a valid header value");
    Ok(([(header::ETAG, etag)], Json(device.json(&t.id, true))).into_response())
}

/// Applies `change` to a device after checking `If-Match`; 202.
fn update(
    shared: &AppState,
    team: usize,
    id: &str,
    headers: &HeaderMap,
    change: impl FnOnce(&mut Device),
) -> ApiResult {
    let expected = if_match(headers)?;
    let mut data = shared.write();
    let device = device_mut(&mut data.teams[team], id)?;
    IfMatch::check(expected.as_ref(), device.version)?;
    change(device);
    device.touch();
    Ok(StatusCode::ACCEPTED.into_response())
}

/// `PUT /v1/devices/{deviceId}/name`: the body is a JSON string (nrfcloud-utils sends a
/// one-element array, also accepted).
pub(crate) async fn rename(
    State(shared): State<AppState>,
    ApiKey(team): ApiKey,
    Path(id): Path<String>,
    headers: HeaderMap,
    Body(body): Body,
) -> ApiResult {
    let name = match json::<Value>(&body)? {
        Value::String(name) => name,
        Value::Array(mut list) if list.len() == 1 && list[0].is_string() => {
            list.remove(0).as_str().unwrap_or_default().to_owned()
        }
        _ => {
            return Err(ApiError::bad_request(
                "the body must be the new name as a JSON string",
            ));
        }
    };
    if name.is_empty() || name.chars().count() > 128 || name.contains(['\n', '\r']) {
        return Err(ApiError::bad_request(
            "a device name has 1 to 128 characters and no line breaks",
        ));
    }
    update(&shared, team, &id, &headers, |d| d.name = name)
}

/// `PUT /v1/devices/{deviceId}/tags`: replaces the tags.
pub(crate) async fn set_tags(
    State(shared): State<AppState>,
    ApiKey(team): ApiKey,
    Path(id): Path<String>,
    headers: HeaderMap,
    Body(body): Body,
) -> ApiResult {
    let tags: Vec<String> = json(&body)?;
    check_tags(&tags).map_err(ApiError::bad_request)?;
    update(&shared, team, &id, &headers, |d| d.tags = tags)
}

#[derive(Deserialize)]
struct StateInput {
    desired: Option<Map<String, Value>>,
    reported: Option<Map<String, Value>>,
}

/// JSON merge patch: objects merge, `null` deletes, anything else replaces.
fn merge(target: &mut Map<String, Value>, patch: Map<String, Value>) {
    for (key, value) in patch {
        match value {
            Value::Null => {
                target.remove(&key);
            }
            Value::Object(inner) => match target.get_mut(&key) {
                Some(Value::Object(existing)) => merge(existing, inner),
                _ => {
                    let mut fresh = Map::new();
                    merge(&mut fresh, inner);
                    target.insert(key, Value::Object(fresh));
                }
            },
            other => {
                target.insert(key, other);
            }
        }
    }
}

/// `PATCH /v1/devices/{deviceId}/state`: partial update of `desired` / `reported`.
pub(crate) async fn update_state(
    State(shared): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    Body(body): Body,
) -> ApiResult {
    caller.check_device(&id)?;
    let input: StateInput = json(&body)?;
    update(&shared, caller.team(), &id, &headers, |d| {
        if let Some(desired) = input.desired {
            merge(&mut d.desired, desired);
        }
        if let Some(reported) = input.reported {
            merge(&mut d.reported, reported);
        }
    })
}

/// `DELETE /v1/devices/{deviceId}`: 202.
pub(crate) async fn delete(
    State(shared): State<AppState>,
    ApiKey(team): ApiKey,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ApiResult {
    let expected = if_match(&headers)?;
    let mut data = shared.write();
    let devices = &mut data.teams[team].devices;
    let device = devices.get(&id).ok_or_else(|| not_found(&id))?;
    IfMatch::check(expected.as_ref(), device.version)?;
    devices.remove(&id);
    Ok(StatusCode::ACCEPTED.into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_patch() {
        let mut target = json!({"a": 1, "b": {"c": 2, "d": 3}})
            .as_object()
            .unwrap()
            .clone();
        let patch = json!({"a": null, "b": {"c": 5}, "e": {"f": null, "g": 1}});
        merge(&mut target, patch.as_object().unwrap().clone());
        assert_eq!(
            Value::Object(target),
            json!({"b": {"c": 5, "d": 3}, "e": {"g": 1}})
        );
    }

    #[test]
    fn gateway_sub_types_make_gateways() {
        let d = Device::new(
            "d".into(),
            "jitp-apricity-gateway".into(),
            vec![],
            vec![],
            None,
        );
        assert_eq!(d.device_type(), "Gateway");
        let d = Device::new("d".into(), "".into(), vec![], vec![], None);
        assert_eq!(d.device_type(), "Generic");
    }
}
