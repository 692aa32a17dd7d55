//! Devices of the team (REST `All Devices` operations): list, fetch with version, rename and
//! re-tag with `If-Match`, delete.

use nrfcloud_api::ops;
use nrfcloud_api::rest::types::{
    self, Device, PaginatedResultDeviceOrJsoNataTransformedResponseItemsInner as ListItem,
};

use crate::{
    Client,
    error::{Error, Result, decode},
    ids::is_device_id,
    pagination::{self, Page, page_of},
    version::{Etag, Versioned, version_of},
};

/// Read access to the common fields of the three device kinds, and of a device whose shape the
/// document does not describe (kept as JSON).
pub trait DeviceExt {
    /// The device id.
    fn id(&self) -> &str;
    /// The display name, when the service sent one.
    fn name(&self) -> Option<&str>;
    /// The device tags (none for a device of an undescribed shape).
    fn tags(&self) -> &[String];
}

impl DeviceExt for Device {
    fn id(&self) -> &str {
        match self {
            Device::GenericDevice(d) => d.id.as_str(),
            Device::BleDevice(d) => d.id.as_str(),
            Device::GatewayDevice(d) => d.id.as_str(),
            Device::Unrecognized(v) => v.get("id").and_then(|v| v.as_str()).unwrap_or_default(),
        }
    }

    fn name(&self) -> Option<&str> {
        match self {
            Device::GenericDevice(d) => d.name.as_deref(),
            Device::BleDevice(d) => d.name.as_deref(),
            Device::GatewayDevice(d) => d.name.as_deref(),
            Device::Unrecognized(v) => v.get("name").and_then(|v| v.as_str()),
        }
    }

    fn tags(&self) -> &[String] {
        match self {
            Device::GenericDevice(d) => &d.tags,
            Device::BleDevice(d) => &d.tags,
            Device::GatewayDevice(d) => &d.tags,
            Device::Unrecognized(_) => &[],
        }
    }
}

/// The devices handle: `client.devices()`.
#[derive(Clone, Debug)]
pub struct Devices {
    pub(crate) client: Client,
}

impl Client {
    /// The team's devices.
    ///
    /// ```no_run
    /// # fn f(client: nrfcloud::Client) {
    /// let devices = client.devices();
    /// # }
    /// ```
    pub fn devices(&self) -> Devices {
        Devices {
            client: self.clone(),
        }
    }
}

/// A change [`Devices::update_with_retry`] applies to the device it just read.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DeviceChange {
    /// Set the display name.
    Rename(String),
    /// Replace all tags.
    SetTags(Vec<String>),
}

impl Devices {
    /// Lists devices, optionally filtered.
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
    /// let page = client.devices().list().tags(["field-test"]).send().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn list(&self) -> ListDevices {
        ListDevices {
            client: self.client.clone(),
            tags: None,
            device_ids: None,
            name_fuzzy: None,
            include_state: None,
            page_limit: None,
            page_token: None,
        }
    }

    /// Fetches one device and its version (for `If-Match`).
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
    /// let device = client.devices().get("nrf-352656100123456").send().await?;
    /// println!("version {:?}", device.version());
    /// # Ok(())
    /// # }
    /// ```
    pub fn get(&self, device_id: impl Into<String>) -> GetDevice {
        GetDevice {
            client: self.client.clone(),
            device_id: device_id.into(),
        }
    }

    /// Renames a device.
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
    /// client.devices().rename("nrf-352656100123456", "Pallet tracker 7").send().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn rename(&self, device_id: impl Into<String>, name: impl Into<String>) -> UpdateDevice {
        self.update(device_id.into(), DeviceChange::Rename(name.into()))
    }

    /// Replaces a device's tags.
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
    /// let tags = ["field-test", "warehouse"];
    /// client.devices().set_tags("nrf-352656100123456", tags).send().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn set_tags<I, S>(&self, device_id: impl Into<String>, tags: I) -> UpdateDevice
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let tags = tags.into_iter().map(Into::into).collect();
        self.update(device_id.into(), DeviceChange::SetTags(tags))
    }

    fn update(&self, device_id: String, change: DeviceChange) -> UpdateDevice {
        UpdateDevice {
            client: self.client.clone(),
            device_id,
            change,
            if_match: None,
        }
    }

    /// Deletes a device.
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
    /// client.devices().delete("nrf-352656100123456").send().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn delete(&self, device_id: impl Into<String>) -> DeleteDevice {
        DeleteDevice {
            client: self.client.clone(),
            device_id: device_id.into(),
            if_match: None,
        }
    }

    /// Reads the device, asks `change` what to do with it, and applies that with `If-Match`;
    /// when someone else changed the device in between (HTTP 412), reads and asks again, up to
    /// `max_attempts` reads in all. `change` returning `None` ends without an update.
    ///
    /// ```no_run
    /// use nrfcloud::devices::{DeviceChange, DeviceExt};
    /// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
    /// client
    ///     .devices()
    ///     .update_with_retry("nrf-352656100123456", 3, |device| {
    ///         let mut tags = device.tags().to_vec();
    ///         if tags.iter().any(|t| t == "warehouse") {
    ///             return None;
    ///         }
    ///         tags.push("warehouse".into());
    ///         Some(DeviceChange::SetTags(tags))
    ///     })
    ///     .await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn update_with_retry<F>(
        &self,
        device_id: impl Into<String>,
        max_attempts: u32,
        mut change: F,
    ) -> Result<()>
    where
        F: FnMut(&Device) -> Option<DeviceChange>,
    {
        let device_id = device_id.into();
        let mut attempt = 1;
        loop {
            let (device, version) = self.get(device_id.clone()).send().await?.into_parts();
            let Some(change) = change(&device) else {
                return Ok(());
            };
            let mut update = self.update(device_id.clone(), change);
            update.if_match = version;
            match update.send().await {
                Err(e) if e.is_precondition_failed() && attempt < max_attempts.max(1) => {
                    tracing::debug!(device_id, attempt, "nrfcloud: stale version, reading again");
                    attempt += 1;
                }
                other => return other,
            }
        }
    }
}

pub(crate) fn check_id(operation: &'static str, id: &str) -> Result<()> {
    if is_device_id(id) {
        Ok(())
    } else {
        Err(Error::invalid_request(
            operation,
            format!(
                "device id {id:?} must be 1 to 128 characters of letters, digits, `:`, `_` or `-`"
            ),
        ))
    }
}

/// Builder of [`Devices::list`].
#[derive(Clone, Debug)]
pub struct ListDevices {
    client: Client,
    tags: Option<Vec<String>>,
    device_ids: Option<Vec<String>>,
    name_fuzzy: Option<String>,
    include_state: Option<bool>,
    page_limit: Option<u32>,
    page_token: Option<String>,
}

crate::pagination::list_builder! {
    ListDevices => Device, ops::rest::LIST_DEVICES, "client.devices().list()",
    /// Every device, page after page, as a lazy stream.
    ///
    /// ```no_run
    /// use futures::TryStreamExt;
    /// use nrfcloud::devices::DeviceExt;
    /// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
    /// let mut devices = client.devices().list().tags(["warehouse"]).page_limit(100).stream();
    /// while let Some(device) = devices.try_next().await? {
    ///     println!("{}", device.id());
    /// }
    /// # Ok(())
    /// # }
    /// ```
}

impl ListDevices {
    /// Only devices with any of these tags.
    ///
    /// ```no_run
    /// # fn f(client: nrfcloud::Client) {
    /// let req = client.devices().list().tags(["field-test"]);
    /// # }
    /// ```
    pub fn tags<I: IntoIterator<Item = S>, S: Into<String>>(mut self, tags: I) -> Self {
        self.tags = Some(tags.into_iter().map(Into::into).collect());
        self
    }

    /// Only these devices.
    ///
    /// ```no_run
    /// # fn f(client: nrfcloud::Client) {
    /// let ids = ["nrf-352656100123456", "nrf-352656100654321"];
    /// let req = client.devices().list().device_ids(ids);
    /// # }
    /// ```
    pub fn device_ids<I: IntoIterator<Item = S>, S: Into<String>>(mut self, ids: I) -> Self {
        self.device_ids = Some(ids.into_iter().map(Into::into).collect());
        self
    }

    /// Only devices whose name resembles this.
    ///
    /// ```no_run
    /// # fn f(client: nrfcloud::Client) {
    /// let req = client.devices().list().name_fuzzy("pallet");
    /// # }
    /// ```
    pub fn name_fuzzy(mut self, name: impl Into<String>) -> Self {
        self.name_fuzzy = Some(name.into());
        self
    }

    /// Include each device's state (shadow).
    ///
    /// ```no_run
    /// # fn f(client: nrfcloud::Client) {
    /// let req = client.devices().list().include_state(true);
    /// # }
    /// ```
    pub fn include_state(mut self, include: bool) -> Self {
        self.include_state = Some(include);
        self
    }

    async fn fetch(self, token: Option<String>) -> Result<Page<Device>> {
        let call = self.client.call(ops::rest::LIST_DEVICES);
        let mut request = call.raw.list_devices();
        if let Some(tags) = self.tags {
            request = request.tags(tags);
        }
        if let Some(ids) = self.device_ids {
            let ids = ids
                .into_iter()
                .map(|id| {
                    types::ListDevicesDeviceIdsItem::try_from(id.as_str()).map_err(|e| {
                        Error::invalid_request(call.operation(), format!("device id {id:?}: {e}"))
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            request = request.device_ids(ids);
        }
        if let Some(name) = self.name_fuzzy {
            request = request.device_name_fuzzy(name);
        }
        if let Some(include) = self.include_state {
            request = request.include_state(include);
        }
        if let Some(limit) = pagination::page_limit(self.page_limit) {
            request = request.page_limit(limit);
        }
        if let Some(token) = token {
            request = request.page_next_token(token);
        }
        let response = call.run(request.send()).await;
        page_of(response, |item| match item {
            ListItem::Variant0(device) => Ok(device),
            // The untagged decoder fell back to a bare JSON value: decode it again as a device
            // to report where it does not match.
            ListItem::Variant1(value) => {
                let bytes = serde_json::to_vec(&value).unwrap_or_default();
                decode::<Device>(call.operation(), None, &bytes)
            }
        })
    }
}

/// Builder of [`Devices::get`].
#[derive(Clone, Debug)]
pub struct GetDevice {
    client: Client,
    device_id: String,
}

impl GetDevice {
    /// The device and its version: the `ETag` header, else `$meta.version`, else
    /// `state.version` (see [`crate::version`]).
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
    /// use nrfcloud::devices::DeviceExt;
    /// let device = client.devices().get("nrf-352656100123456").send().await?;
    /// let (device, version) = device.into_parts();
    /// println!("{} is at version {version:?}", device.id());
    /// # Ok(())
    /// # }
    /// ```
    pub async fn send(self) -> Result<Versioned<Device>> {
        let call = self.client.call(ops::rest::FETCH_DEVICE);
        check_id(call.operation(), &self.device_id)?;
        let path = format!(
            "/devices/{}",
            progenitor_client::encode_path(&self.device_id)
        );
        let (head, body) = call.get_bytes(&path).await?;
        let device = decode::<Device>(call.operation(), Some(&head), &body)?;
        Ok(Versioned::new(device, version_of(&head.headers, &body)))
    }
}

/// Builder of [`Devices::rename`] and [`Devices::set_tags`].
#[derive(Clone, Debug)]
pub struct UpdateDevice {
    client: Client,
    device_id: String,
    change: DeviceChange,
    if_match: Option<Etag>,
}

impl UpdateDevice {
    /// Update only if the device is still at `version`; otherwise the update fails with
    /// [`Error::is_precondition_failed`].
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
    /// let devices = client.devices();
    /// let device = devices.get("nrf-352656100123456").send().await?;
    /// if let Some(version) = device.version() {
    ///     let rename = devices.rename("nrf-352656100123456", "Pallet tracker 7");
    ///     rename.if_match(version).send().await?;
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn if_match(mut self, version: impl Into<Etag>) -> Self {
        self.if_match = Some(version.into());
        self
    }

    /// Sends the update.
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
    /// let update = client.devices().set_tags("nrf-352656100123456", ["field-test"]);
    /// match update.if_match("\"7\"").send().await {
    ///     Err(e) if e.is_precondition_failed() => println!("changed meanwhile; read it again"),
    ///     other => other?,
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub async fn send(self) -> Result<()> {
        let if_match = self.if_match.map(|v| v.as_str().to_owned());
        match self.change {
            DeviceChange::Rename(name) => {
                let call = self.client.call(ops::rest::UPDATE_DEVICE_NAME);
                let mut request = call
                    .raw
                    .update_device_name()
                    .device_id(self.device_id)
                    .body(name);
                if let Some(v) = if_match {
                    request = request.if_match(v);
                }
                call.run(request.send()).await
            }
            DeviceChange::SetTags(tags) => {
                let call = self.client.call(ops::rest::UPDATE_DEVICE_TAGS);
                let mut request = call
                    .raw
                    .update_device_tags()
                    .device_id(self.device_id)
                    .body(tags);
                if let Some(v) = if_match {
                    request = request.if_match(v);
                }
                call.run(request.send()).await
            }
        }
    }
}

/// Builder of [`Devices::delete`].
#[derive(Clone, Debug)]
pub struct DeleteDevice {
    client: Client,
    device_id: String,
    if_match: Option<Etag>,
}

impl DeleteDevice {
    /// Delete only if the device is still at `version`.
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
    /// let devices = client.devices();
    /// let device = devices.get("nrf-352656100123456").send().await?;
    /// if let Some(version) = device.version() {
    ///     devices.delete("nrf-352656100123456").if_match(version).send().await?;
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn if_match(mut self, version: impl Into<Etag>) -> Self {
        self.if_match = Some(version.into());
        self
    }

    /// Deletes the device.
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
    /// client.devices().delete("nrf-352656100123456").send().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn send(self) -> Result<()> {
        let call = self.client.call(ops::rest::DELETE_DEVICE);
        let mut request = call.raw.delete_device().device_id(self.device_id);
        if let Some(v) = self.if_match {
            request = request.if_match(v.as_str().to_owned());
        }
        call.run_delete(request.send()).await
    }
}
