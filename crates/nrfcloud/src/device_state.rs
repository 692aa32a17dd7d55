//! A device's state (its shadow): read `desired`, `reported`, `delta` and `metadata` with the
//! version, and change `desired` or `reported` with merge semantics and `If-Match`.
//!
//! The shadow follows AWS IoT Device Shadow rules (cloud-api-facts.md §5): an update is a
//! partial document, objects merge key by key, a `null` deletes a key, and an array replaces
//! the one before it whole. Everything stays reachable as JSON; the parts users read most have
//! typed accessors that never fail on a field of another type.

use nrfcloud_api::{ops, rest::types};
use serde_json::{Map, Value};

use crate::{
    Client,
    devices::{Devices, check_id},
    error::{Error, Result},
    fota::FirmwareType,
    version::{Etag, Versioned, version_of},
};

/// A device's state.
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct DeviceState {
    /// What the cloud asks of the device.
    pub desired: Map<String, Value>,
    /// What the device last reported.
    pub reported: Map<String, Value>,
    /// Where `desired` and `reported` differ.
    pub delta: Map<String, Value>,
    /// When each value was set (`{timestamp}` leaves in the shape of the state).
    pub metadata: Map<String, Value>,
    /// The device's `$meta` (`createdAt`, `updatedAt`, …).
    pub meta: Map<String, Value>,
}

/// `reported.device.deviceInfo`: what the device says it runs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeviceInfo {
    /// `appVersion`.
    pub app_version: Option<String>,
    /// `modemFirmware`, e.g. `mfw_nrf91x1_2.0.2`.
    pub modem_firmware: Option<String>,
    /// `bootloaderVersion`.
    pub bootloader_version: Option<String>,
    /// `imei`.
    pub imei: Option<String>,
    /// `board`.
    pub board: Option<String>,
    /// `hwVer`.
    pub hw_version: Option<String>,
}

/// `reported.device.networkInfo`: the device's cellular connection as last reported.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct NetworkInfo {
    /// `networkMode`, e.g. `LTE-M`.
    pub network_mode: Option<String>,
    /// `currentBand`.
    pub current_band: Option<String>,
    /// `mccmnc`.
    pub mcc_mnc: Option<String>,
    /// `areaCode` (the tracking area code).
    pub area_code: Option<String>,
    /// `cellID`.
    pub cell_id: Option<String>,
    /// `ipAddress`.
    pub ip_address: Option<String>,
    /// `rsrp`, in dBm.
    pub rsrp: Option<String>,
}

/// A string, or a number or boolean written as one: firmware reports both forms.
fn text(object: Option<&Value>, key: &str) -> Option<String> {
    match object?.get(key)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn object(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

impl DeviceState {
    /// `reported` at a JSON pointer, e.g. `/device/deviceInfo/appVersion`.
    ///
    /// ```
    /// # let state = nrfcloud::device_state::DeviceState::default();
    /// let temperature = state.reported_at("/env/temp").and_then(|v| v.as_f64());
    /// ```
    pub fn reported_at(&self, pointer: &str) -> Option<&Value> {
        pointer_in(&self.reported, pointer)
    }

    /// `desired` at a JSON pointer, e.g. `/config/activeMode`.
    ///
    /// ```
    /// # let state = nrfcloud::device_state::DeviceState::default();
    /// let active = state.desired_at("/config/activeMode").and_then(|v| v.as_bool());
    /// ```
    pub fn desired_at(&self, pointer: &str) -> Option<&Value> {
        pointer_in(&self.desired, pointer)
    }

    /// `reported.device.deviceInfo`.
    ///
    /// ```
    /// # let state = nrfcloud::device_state::DeviceState::default();
    /// println!("modem {:?}", state.device_info().modem_firmware);
    /// ```
    pub fn device_info(&self) -> DeviceInfo {
        let info = self.reported_at("/device/deviceInfo");
        DeviceInfo {
            app_version: text(info, "appVersion"),
            modem_firmware: text(info, "modemFirmware"),
            bootloader_version: text(info, "bootloaderVersion"),
            imei: text(info, "imei"),
            board: text(info, "board"),
            hw_version: text(info, "hwVer"),
        }
    }

    /// `reported.device.networkInfo`.
    ///
    /// ```
    /// # let state = nrfcloud::device_state::DeviceState::default();
    /// println!("{:?} on band {:?}", state.network_info().network_mode, state.network_info().current_band);
    /// ```
    pub fn network_info(&self) -> NetworkInfo {
        let info = self.reported_at("/device/networkInfo");
        NetworkInfo {
            network_mode: text(info, "networkMode"),
            current_band: text(info, "currentBand"),
            mcc_mnc: text(info, "mccmnc"),
            area_code: text(info, "areaCode"),
            cell_id: text(info, "cellID"),
            ip_address: text(info, "ipAddress"),
            rsrp: text(info, "rsrp"),
        }
    }

    /// The FOTA types the device says it supports (`reported.device.serviceInfo.fota_v2`): a
    /// FOTA job only reaches devices that support its bundle's type.
    ///
    /// ```
    /// # let state = nrfcloud::device_state::DeviceState::default();
    /// use nrfcloud::fota::FirmwareType;
    /// let app_updates = state.fota_support().contains(&FirmwareType::App);
    /// ```
    pub fn fota_support(&self) -> Vec<FirmwareType> {
        self.reported_at("/device/serviceInfo/fota_v2")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(FirmwareType::from)
            .collect()
    }
}

fn pointer_in<'a>(map: &'a Map<String, Value>, pointer: &str) -> Option<&'a Value> {
    let (first, rest) = pointer.strip_prefix('/')?.split_once('/').map_or_else(
        || (pointer.trim_start_matches('/'), None),
        |(f, r)| (f, Some(r)),
    );
    let v = map.get(&first.replace("~1", "/").replace("~0", "~"))?;
    match rest {
        None => Some(v),
        Some(rest) => v.pointer(&format!("/{rest}")),
    }
}

/// A change to a device's state: partial `desired` and `reported` documents.
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct StatePatch {
    /// Merged into `desired`.
    pub desired: Option<Value>,
    /// Merged into `reported`.
    pub reported: Option<Value>,
}

impl StatePatch {
    /// A change of `desired` only.
    ///
    /// ```
    /// use nrfcloud::device_state::StatePatch;
    /// let patch = StatePatch::desired(serde_json::json!({"config": {"activeMode": true}}));
    /// ```
    pub fn desired(desired: Value) -> Self {
        Self {
            desired: Some(desired),
            reported: None,
        }
    }

    /// A change of `reported` only.
    ///
    /// ```
    /// use nrfcloud::device_state::StatePatch;
    /// let patch = StatePatch::reported(serde_json::json!({"device": {"serviceInfo": {"fota_v2": ["APP"]}}}));
    /// ```
    pub fn reported(reported: Value) -> Self {
        Self {
            desired: None,
            reported: Some(reported),
        }
    }
}

impl Devices {
    /// Reads a device's state and its version (for `If-Match`).
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
    /// let state = client.devices().state("nrf-352656100123456").await?;
    /// println!("app {:?} (version {:?})", state.device_info().app_version, state.version());
    /// # Ok(())
    /// # }
    /// ```
    pub async fn state(&self, device_id: &str) -> Result<Versioned<DeviceState>> {
        read_state(&self.client, device_id).await
    }

    /// Changes a device's state: [`UpdateState::desired`] and [`UpdateState::reported`] are
    /// merged into the shadow (a `null` deletes a key; arrays are replaced).
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
    /// use serde_json::json;
    /// client
    ///     .devices()
    ///     .update_state("nrf-352656100123456")
    ///     .desired(json!({"config": {"activeMode": true, "legacyKey": null}}))
    ///     .send()
    ///     .await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn update_state(&self, device_id: impl Into<String>) -> UpdateState {
        UpdateState {
            client: self.client.clone(),
            device_id: device_id.into(),
            patch: StatePatch::default(),
            if_match: None,
        }
    }

    /// Reads the state, asks `change` for a patch, and applies it with `If-Match`; when the
    /// state changed in between (HTTP 412), reads and asks again, up to `max_attempts` reads.
    /// `change` returning `None` ends without an update.
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
    /// use nrfcloud::device_state::StatePatch;
    /// use serde_json::json;
    /// client
    ///     .devices()
    ///     .update_state_with_retry("nrf-352656100123456", 5, |state| {
    ///         let n = state.desired_at("/config/restarts").and_then(|v| v.as_u64()).unwrap_or(0);
    ///         Some(StatePatch::desired(json!({"config": {"restarts": n + 1}})))
    ///     })
    ///     .await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn update_state_with_retry<F>(
        &self,
        device_id: &str,
        max_attempts: u32,
        mut change: F,
    ) -> Result<()>
    where
        F: FnMut(&DeviceState) -> Option<StatePatch>,
    {
        let mut attempt = 1;
        loop {
            let (state, version) = self.state(device_id).await?.into_parts();
            let Some(patch) = change(&state) else {
                return Ok(());
            };
            let update = UpdateState {
                client: self.client.clone(),
                device_id: device_id.to_owned(),
                patch,
                if_match: version,
            };
            match update.send().await {
                Err(e) if e.is_precondition_failed() && attempt < max_attempts.max(1) => {
                    tracing::debug!(device_id, attempt, "nrfcloud: stale state, reading again");
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    /// Reports the FOTA types a device supports (`reported.device.serviceInfo.fota_v2`), which
    /// FOTA jobs need before they target it; a device does this itself when it connects.
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
    /// use nrfcloud::fota::FirmwareType;
    /// let devices = client.devices();
    /// devices.set_fota_support("nrf-352656100123456", &[FirmwareType::App, FirmwareType::Modem]).await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn set_fota_support(&self, device_id: &str, types: &[FirmwareType]) -> Result<()> {
        let types: Vec<&str> = types.iter().map(FirmwareType::as_str).collect();
        let patch = serde_json::json!({"device": {"serviceInfo": {"fota_v2": types}}});
        self.update_state(device_id).reported(patch).send().await
    }
}

async fn read_state(client: &Client, device_id: &str) -> Result<Versioned<DeviceState>> {
    let call = client.call(ops::rest::FETCH_DEVICE);
    check_id(call.operation(), device_id)?;
    let path = format!("/devices/{}", progenitor_client::encode_path(device_id));
    let (head, body) = call.get_bytes(&path).await?;
    let device: Map<String, Value> = crate::error::decode(call.operation(), Some(&head), &body)?;
    let mut state = device.get("state").cloned().map(object).unwrap_or_default();
    let take = |state: &mut Map<String, Value>, key: &str| {
        state.remove(key).map(object).unwrap_or_default()
    };
    let value = DeviceState {
        desired: take(&mut state, "desired"),
        reported: take(&mut state, "reported"),
        delta: take(&mut state, "delta"),
        metadata: take(&mut state, "metadata"),
        meta: device.get("$meta").cloned().map(object).unwrap_or_default(),
    };
    Ok(Versioned::new(value, version_of(&head.headers, &body)))
}

/// Builder of [`Devices::update_state`].
#[derive(Clone, Debug)]
pub struct UpdateState {
    client: Client,
    device_id: String,
    patch: StatePatch,
    if_match: Option<Etag>,
}

impl UpdateState {
    /// Merge this object into `desired`.
    ///
    /// ```no_run
    /// # fn f(client: nrfcloud::Client) {
    /// let update = client.devices().update_state("nrf-352656100123456");
    /// let update = update.desired(serde_json::json!({"config": {"activeWaitTime": 120}}));
    /// # }
    /// ```
    pub fn desired(mut self, desired: Value) -> Self {
        self.patch.desired = Some(desired);
        self
    }

    /// Merge this object into `reported` (an API-key caller may write it, as a device does).
    ///
    /// ```no_run
    /// # fn f(client: nrfcloud::Client) {
    /// let update = client.devices().update_state("nrf-352656100123456");
    /// let update = update.reported(serde_json::json!({"env": {"temp": 21.5}}));
    /// # }
    /// ```
    pub fn reported(mut self, reported: Value) -> Self {
        self.patch.reported = Some(reported);
        self
    }

    /// Update only if the state is still at `version` (from [`Devices::state`]); otherwise the
    /// update fails with [`Error::is_precondition_failed`].
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
    /// let devices = client.devices();
    /// let state = devices.state("nrf-352656100123456").await?;
    /// let mut update = devices.update_state("nrf-352656100123456").desired(serde_json::json!({"led": "on"}));
    /// if let Some(version) = state.version() {
    ///     update = update.if_match(version);
    /// }
    /// update.send().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn if_match(mut self, version: impl Into<Etag>) -> Self {
        self.if_match = Some(version.into());
        self
    }

    /// Sends the change (the service answers 202: devices see it when they next sync).
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
    /// let update = client.devices().update_state("nrf-352656100123456");
    /// update.desired(serde_json::json!({"led": "on"})).send().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn send(self) -> Result<()> {
        let call = self.client.call(ops::rest::UPDATE_DEVICE_STATE);
        check_id(call.operation(), &self.device_id)?;
        let part = |name: &str, v: Option<Value>| match v {
            None => Ok(Map::new()),
            Some(Value::Object(m)) => Ok(m),
            Some(other) => Err(Error::invalid_request(
                call.operation(),
                format!("`{name}` must be a JSON object, not {other}"),
            )),
        };
        let body = types::DeviceStateInput {
            desired: part("desired", self.patch.desired)?,
            reported: part("reported", self.patch.reported)?,
        };
        if body.desired.is_empty() && body.reported.is_empty() {
            return Err(Error::invalid_request(
                call.operation(),
                "nothing to change: give `desired` or `reported`",
            ));
        }
        let mut request = call
            .raw
            .update_device_state()
            .device_id(self.device_id)
            .body(body);
        if let Some(v) = self.if_match {
            request = request.if_match(v.as_str().to_owned());
        }
        call.run(request.send()).await
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn state(reported: Value) -> DeviceState {
        DeviceState {
            reported: object(reported),
            ..DeviceState::default()
        }
    }

    #[test]
    fn typed_parts_read_what_firmware_reports_in_either_form() {
        let s = state(json!({"device": {
            "deviceInfo": {"appVersion": "1.4.0", "modemFirmware": "mfw_nrf91x1_2.0.2", "imei": 352656100123456u64, "board": "thingy91x"},
            "networkInfo": {"networkMode": "LTE-M", "currentBand": 20, "rsrp": -97, "cellID": "21858829"},
            "serviceInfo": {"fota_v2": ["APP", "MODEM", "MDM_DELTA_NEW"]}
        }}));
        let info = s.device_info();
        assert_eq!(info.app_version.as_deref(), Some("1.4.0"));
        assert_eq!(info.modem_firmware.as_deref(), Some("mfw_nrf91x1_2.0.2"));
        assert_eq!(info.imei.as_deref(), Some("352656100123456"));
        assert_eq!(info.bootloader_version, None);
        let net = s.network_info();
        assert_eq!(
            (
                net.network_mode.as_deref(),
                net.current_band.as_deref(),
                net.rsrp.as_deref()
            ),
            (Some("LTE-M"), Some("20"), Some("-97"))
        );
        assert_eq!(
            s.fota_support(),
            [
                FirmwareType::App,
                FirmwareType::Modem,
                FirmwareType::Other("MDM_DELTA_NEW".into())
            ]
        );
        assert_eq!(
            s.reported_at("/device/deviceInfo/board"),
            Some(&json!("thingy91x"))
        );
    }

    #[test]
    fn odd_shapes_read_as_absent_never_as_errors() {
        let s = state(
            json!({"device": {"deviceInfo": "n/a", "networkInfo": {"rsrp": {"v": 1}}, "serviceInfo": {"fota_v2": "APP"}}}),
        );
        assert_eq!(s.device_info(), DeviceInfo::default());
        assert_eq!(s.network_info().rsrp, None);
        assert!(s.fota_support().is_empty());
        assert_eq!(s.reported_at("/nothing/here"), None);
        assert_eq!(s.reported_at("no-slash"), None);
    }
}
