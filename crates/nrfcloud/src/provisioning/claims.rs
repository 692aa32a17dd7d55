//! Claiming device ownership, and the claimed devices.

use nrfcloud_api::{Op, ops};
use std::fmt;

use chrono::{DateTime, Utc};
use futures::{FutureExt, future::BoxFuture};
use nrfcloud_api::provisioning::{
    Error as RawError, ResponseValue,
    types::{self, ClaimDeviceOwnershipContentType as BodyType, ClaimedDeviceOrBulkClaimResult},
};

use super::typed;
use crate::{
    Client,
    call::Call,
    error::{ApiError, Error, ErrorKind, Result, decode},
    open_enum::open_enum,
    pagination::{self, Page, page_of},
    paths::ClaimPath,
};

open_enum! {
    /// A claimed device's ownership state (only `IDENTIFIED` has been seen).
    pub enum OwnershipStatus {
        /// Ownership established from the attestation token.
        Identified => "IDENTIFIED",
    }
}

open_enum! {
    /// A claimed device's state (only `READY` has been seen; blocking presumably changes it).
    pub enum ClaimedDeviceStatus {
        /// Ready for provisioning.
        Ready => "READY",
    }
}

/// A device claimed by the team.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ClaimedDevice {
    /// The device UUID (from the attestation token).
    pub id: String,
    /// E.g. `nrf9160_SICA`.
    pub device_type: Option<String>,
    /// Modem firmware UUID.
    pub firmware_id: Option<String>,
    /// 15 digits.
    pub imei: Option<String>,
    /// The team (tenant) id.
    pub owner_id: Option<String>,
    /// Ownership state.
    pub ownership_status: Option<OwnershipStatus>,
    /// Device state.
    pub status: Option<ClaimedDeviceStatus>,
    /// Provisioning tags.
    pub tags: Vec<String>,
    /// When it was claimed.
    pub claimed_at: Option<DateTime<Utc>>,
}

impl From<types::ClaimedDevice> for ClaimedDevice {
    fn from(d: types::ClaimedDevice) -> Self {
        Self {
            id: d.id,
            device_type: d.device_type,
            firmware_id: d.firmware_id,
            imei: d.imei,
            owner_id: d.owner_id,
            ownership_status: d.ownership_status.as_deref().map(OwnershipStatus::from),
            status: d.status.as_deref().map(ClaimedDeviceStatus::from),
            tags: d.tags,
            claimed_at: d.claimed_at,
        }
    }
}

/// The answer to a dry-run claim.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClaimVerdict {
    /// The service would claim the device (HTTP 202).
    Claimable,
    /// The service refused, with this HTTP status, nRF code and reason.
    NotClaimable {
        /// The HTTP status.
        status: u16,
        /// The nRF code, when the body had one.
        nrf_code: Option<u32>,
        /// The reason (`message` of the body, or the raw body).
        reason: String,
    },
}

/// The operation that claims at `path`.
fn claim_op(path: ClaimPath) -> Op<nrfcloud_api::provisioning::Client> {
    match path {
        ClaimPath::ClaimedDevices => ops::provisioning::CLAIM_DEVICE_OWNERSHIP,
        ClaimPath::Identities => ops::provisioning::CLAIM_DEVICE_OWNERSHIP_IDENTITIES,
    }
}

/// Sends a claim body of `content_type` to `path` with the raw client of `call`.
fn send_claim<'a>(
    path: ClaimPath,
    call: &'a Call<'a, nrfcloud_api::provisioning::Client>,
    dry_run: bool,
    content_type: BodyType,
    body: impl Into<reqwest::Body>,
) -> BoxFuture<
    'a,
    std::result::Result<
        ResponseValue<ClaimedDeviceOrBulkClaimResult>,
        RawError<types::NrfCloudError>,
    >,
> {
    let body: reqwest::Body = body.into();
    let dry_run = dry_run.then_some(true);
    match path {
        ClaimPath::ClaimedDevices => {
            let mut b = call.raw.claim_device_ownership().content_type(content_type);
            if let Some(d) = dry_run {
                b = b.dryrun(d);
            }
            b.body(body).send().boxed()
        }
        ClaimPath::Identities => {
            let mut b = call
                .raw
                .claim_device_ownership_identities()
                // The same media types under this operation's own enum type.
                .content_type(content_type.to_string());
            if let Some(d) = dry_run {
                b = b.dryrun(d);
            }
            b.body(body).send().boxed()
        }
    }
}

/// Builder of [`super::Provisioning::claim`]. `Debug` never shows the attestation token.
#[derive(Clone)]
pub struct Claim {
    client: Client,
    token: String,
    tags: Vec<String>,
}

impl fmt::Debug for Claim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Claim")
            .field(
                "token",
                &format_args!("[REDACTED; {} bytes]", self.token.len()),
            )
            .field("tags", &self.tags)
            .finish_non_exhaustive()
    }
}

impl Claim {
    pub(super) fn new(client: Client, token: String) -> Self {
        Self {
            client,
            token,
            tags: Vec::new(),
        }
    }

    /// Provisioning tags for the device (at most 100 characters each).
    ///
    /// ```no_run
    /// # fn f(client: nrfcloud::Client, token: String) {
    /// let claim = client.provisioning().claim(token).tags(["field-test", "warehouse"]);
    /// # }
    /// ```
    pub fn tags<I: IntoIterator<Item = S>, S: Into<String>>(mut self, tags: I) -> Self {
        self.tags = tags.into_iter().map(Into::into).collect();
        self
    }

    fn body(&self, operation: &'static str) -> Result<Vec<u8>> {
        let tags = self
            .tags
            .iter()
            .map(|t| {
                typed::<types::ClaimDeviceOwnershipRequestTagsItem, _>(operation, "tag", t.as_str())
            })
            .collect::<Result<Vec<_>>>()?;
        let request = types::ClaimDeviceOwnershipRequest {
            claim_token: self.token.clone(),
            tags,
        };
        serde_json::to_vec(&request).map_err(|e| Error::invalid_request(operation, e.to_string()))
    }

    /// Claims the device (POST `/claimed-devices` unless the client's
    /// [`claim_path`](crate::ClientBuilder::claim_path) says otherwise). Sent again only after a
    /// 429, which the service answers without claiming.
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client, token: String) -> nrfcloud::Result<()> {
    /// let device = client.provisioning().claim(token).send().await?;
    /// println!("claimed {} ({:?})", device.id, device.imei);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn send(self) -> Result<ClaimedDevice> {
        let path = self.client.paths().claim;
        let call = self.client.call(claim_op(path));
        let body = self.body(call.operation())?;
        let request = send_claim(path, &call, false, BodyType::ApplicationJson, body);
        match call.run(request).await? {
            ClaimedDeviceOrBulkClaimResult::ClaimedDevice(d) => Ok(d.into()),
            other => {
                // Only an answer that is no claimed device decodes as the all-optional bulk
                // result (or as no described shape): report where it is not a device.
                let bytes = serde_json::to_vec(&other).unwrap_or_default();
                Err(
                    decode::<types::ClaimedDevice>(call.operation(), None, &bytes)
                        .err()
                        .unwrap_or_else(|| {
                            Error::invalid_request(call.operation(), "unexpected bulk result")
                        }),
                )
            }
        }
    }

    /// Asks whether the device could be claimed, without claiming it (`?dryrun=true`).
    ///
    /// The service answers 202 for "claimable" and an error status with a reason otherwise;
    /// a server error or a transport failure is an `Err`.
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client, token: String) -> nrfcloud::Result<()> {
    /// use nrfcloud::provisioning::ClaimVerdict;
    /// match client.provisioning().claim(token).dry_run().await? {
    ///     ClaimVerdict::NotClaimable { reason, .. } => println!("not claimable: {reason}"),
    ///     _ => println!("claimable"),
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub async fn dry_run(self) -> Result<ClaimVerdict> {
        let path = self.client.paths().claim;
        let call = self.client.call(claim_op(path));
        let body = self.body(call.operation())?;
        let request = send_claim(path, &call, true, BodyType::ApplicationJson, body);
        // The document's content-less 202 was dropped for progenitor (build patch
        // `drop-empty-success-twins`), so the raw client reports it as unexpected.
        let claimable = |e: &RawError<_>| matches!(e, RawError::UnexpectedResponse(r) if r.status().as_u16() == 202);
        match call.run_keeping(request, claimable).await {
            Ok(Err(_)) => Ok(ClaimVerdict::Claimable),
            Err(e) => match e.kind() {
                ErrorKind::Api(api) if api.status.is_client_error() => Ok(not_claimable(api)),
                _ => Err(e),
            },
            Ok(Ok(v)) => Err(ErrorKind::Api(ApiError::from_parts(
                call.operation(),
                v.status(),
                v.headers(),
                b"the service answered a dry run with a claim",
            ))
            .into()),
        }
    }
}

fn not_claimable(api: &ApiError) -> ClaimVerdict {
    ClaimVerdict::NotClaimable {
        status: api.status.as_u16(),
        nrf_code: api.nrf_code,
        reason: api
            .message
            .clone()
            .or_else(|| api.body.clone())
            .unwrap_or_else(|| api.status.to_string()),
    }
}

/// What the service did with a bulk-claim CSV.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CsvClaimOutcome {
    /// Claimed synchronously: the claimed ids and the rows that failed, as the service reports
    /// them.
    Claimed {
        /// Ids of the claimed devices.
        claimed_ids: Vec<String>,
        /// The failed rows.
        failed: Vec<String>,
    },
    /// Accepted as a bulk operation; poll it with [`crate::Client::bulk_ops`].
    Accepted {
        /// The bulk-operation id.
        bulk_ops_request_id: String,
    },
}

/// Builder of [`super::Provisioning::claim_csv`]. `Debug` shows the body's size, never its
/// tokens.
#[derive(Clone)]
pub struct ClaimCsv {
    client: Client,
    csv: bytes::Bytes,
}

impl fmt::Debug for ClaimCsv {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClaimCsv")
            .field("csv", &format_args!("[REDACTED; {} bytes]", self.csv.len()))
            .finish_non_exhaustive()
    }
}

impl ClaimCsv {
    pub(super) fn new(client: Client, csv: bytes::Bytes) -> Self {
        Self { client, csv }
    }

    /// Sends the CSV with `Content-Type: text/csv` to the client's
    /// [`claim_path`](crate::ClientBuilder::claim_path), answered synchronously, or, with
    /// [`bulk_claim_endpoint`](crate::ClientBuilder::bulk_claim_endpoint), to
    /// `POST /claimed-devices/bulk`, answered with a bulk operation. Both answers are understood
    /// from either path. Sent again only after a 429.
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client, csv: Vec<u8>) -> nrfcloud::Result<()> {
    /// use nrfcloud::provisioning::CsvClaimOutcome;
    /// match client.provisioning().claim_csv(csv).send().await? {
    ///     CsvClaimOutcome::Claimed { claimed_ids, .. } => println!("claimed {claimed_ids:?}"),
    ///     CsvClaimOutcome::Accepted { bulk_ops_request_id: id } => println!("follow {id}"),
    ///     _ => {}
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub async fn send(self) -> Result<CsvClaimOutcome> {
        let paths = self.client.paths();
        if paths.bulk_claim_endpoint {
            let call = self
                .client
                .call(ops::provisioning::BULK_CLAIM_DEVICE_OWNERSHIP);
            let request = call.raw.bulk_claim_device_ownership().body(self.csv);
            let accepted = call.run(request.send()).await?;
            return Ok(CsvClaimOutcome::Accepted {
                bulk_ops_request_id: accepted.bulk_ops_request_id.to_string(),
            });
        }
        let call = self.client.call(claim_op(paths.claim));
        let request = send_claim(paths.claim, &call, false, BodyType::TextCsv, self.csv);
        // A 202 (undocumented on this path) is the asynchronous form.
        let accepted = |e: &RawError<_>| matches!(e, RawError::UnexpectedResponse(r) if r.status().as_u16() == 202);
        match call.run_keeping(request, accepted).await? {
            Ok(v) => match v.into_inner() {
                ClaimedDeviceOrBulkClaimResult::BulkClaimResult(r) => {
                    Ok(CsvClaimOutcome::Claimed {
                        claimed_ids: r.claimed_ids,
                        failed: r.failed,
                    })
                }
                ClaimedDeviceOrBulkClaimResult::ClaimedDevice(d) => Ok(CsvClaimOutcome::Claimed {
                    claimed_ids: vec![d.id],
                    failed: Vec::new(),
                }),
                ClaimedDeviceOrBulkClaimResult::Unrecognized(v) => {
                    Err(Error::invalid_request(
                        call.operation(),
                        // Not the body itself: it could quote a token.
                        match v.0 {
                            serde_json::Value::Array(_) => {
                                "the bulk claim answer is a JSON array, not an object"
                            }
                            _ => "the bulk claim answer is not a JSON object",
                        },
                    ))
                }
            },
            // A 202 here (undocumented on this path) is the asynchronous form.
            Err(RawError::UnexpectedResponse(r)) => {
                let op = call.operation();
                let bytes = r
                    .bytes()
                    .await
                    .map_err(|e| crate::error::transport(op, e))?;
                let accepted = decode::<types::BulkOpsRequestAccepted>(op, None, &bytes)?;
                Ok(CsvClaimOutcome::Accepted {
                    bulk_ops_request_id: accepted.bulk_ops_request_id.to_string(),
                })
            }
            Err(e) => Err(Error::invalid_request(call.operation(), e.to_string())),
        }
    }
}

/// The claimed-devices handle: `client.provisioning().claimed_devices()`.
#[derive(Clone, Debug)]
pub struct ClaimedDevices {
    client: Client,
}

impl ClaimedDevices {
    pub(super) fn new(client: Client) -> Self {
        Self { client }
    }

    /// Lists claimed devices.
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
    /// let devices = client.provisioning().claimed_devices();
    /// let page = devices.list().tags(["field-test"]).send().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn list(&self) -> ListClaimedDevices {
        ListClaimedDevices {
            client: self.client.clone(),
            tags: None,
            device_ids: None,
            page_limit: None,
            page_token: None,
        }
    }

    /// Fetches one claimed device.
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
    /// let devices = client.provisioning().claimed_devices();
    /// let device = devices.get("50363954-3731-4d32-80a2-1d1c3b2f0a41").send().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn get(&self, device_id: impl Into<String>) -> GetClaimedDevice {
        GetClaimedDevice {
            client: self.client.clone(),
            device_id: device_id.into(),
        }
    }

    /// Replaces a claimed device's provisioning tags.
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
    /// let devices = client.provisioning().claimed_devices();
    /// devices.set_tags("50363954-3731-4d32-80a2-1d1c3b2f0a41", ["field-test"]).send().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn set_tags<I: IntoIterator<Item = S>, S: Into<String>>(
        &self,
        device_id: impl Into<String>,
        tags: I,
    ) -> SetClaimedDeviceTags {
        SetClaimedDeviceTags {
            client: self.client.clone(),
            device_id: device_id.into(),
            tags: tags.into_iter().map(Into::into).collect(),
        }
    }

    /// Blocks a device: its pending commands wait until it is unblocked.
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
    /// let devices = client.provisioning().claimed_devices();
    /// devices.block("50363954-3731-4d32-80a2-1d1c3b2f0a41").send().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn block(&self, device_id: impl Into<String>) -> DeviceAction {
        DeviceAction::new(self.client.clone(), device_id.into(), Action::Block)
    }

    /// Unblocks a device.
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
    /// let devices = client.provisioning().claimed_devices();
    /// devices.unblock("50363954-3731-4d32-80a2-1d1c3b2f0a41").send().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn unblock(&self, device_id: impl Into<String>) -> DeviceAction {
        DeviceAction::new(self.client.clone(), device_id.into(), Action::Unblock)
    }

    /// Gives up ownership of a device (404 when it was not claimed).
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
    /// let devices = client.provisioning().claimed_devices();
    /// devices.unclaim("50363954-3731-4d32-80a2-1d1c3b2f0a41").send().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn unclaim(&self, device_id: impl Into<String>) -> DeviceAction {
        DeviceAction::new(self.client.clone(), device_id.into(), Action::Unclaim)
    }
}

/// Builder of [`ClaimedDevices::list`].
#[derive(Clone, Debug)]
pub struct ListClaimedDevices {
    client: Client,
    tags: Option<Vec<String>>,
    device_ids: Option<Vec<String>>,
    page_limit: Option<u32>,
    page_token: Option<String>,
}

crate::pagination::list_builder! {
    ListClaimedDevices => ClaimedDevice, ops::provisioning::LIST_CLAIMED_DEVICES,
    "client.provisioning().claimed_devices().list()",
    /// Every claimed device, as a lazy stream.
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
    /// use futures::TryStreamExt;
    /// let mut devices = client.provisioning().claimed_devices().list().stream();
    /// while let Some(device) = devices.try_next().await? {
    ///     println!("{} {:?}", device.id, device.tags);
    /// }
    /// # Ok(())
    /// # }
    /// ```
}

impl ListClaimedDevices {
    /// Only devices with any of these provisioning tags.
    ///
    /// ```no_run
    /// # fn f(client: nrfcloud::Client) {
    /// let req = client.provisioning().claimed_devices().list().tags(["field-test"]);
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
    /// let devices = client.provisioning().claimed_devices();
    /// let req = devices.list().device_ids(["50363954-3731-4d32-80a2-1d1c3b2f0a41"]);
    /// # }
    /// ```
    pub fn device_ids<I: IntoIterator<Item = S>, S: Into<String>>(mut self, ids: I) -> Self {
        self.device_ids = Some(ids.into_iter().map(Into::into).collect());
        self
    }

    async fn fetch(self, token: Option<String>) -> Result<Page<ClaimedDevice>> {
        let call = self.client.call(ops::provisioning::LIST_CLAIMED_DEVICES);
        let mut request = call.raw.list_claimed_devices();
        if let Some(tags) = self.tags {
            request = request.tags(tags);
        }
        if let Some(ids) = self.device_ids {
            request = request.device_ids(ids);
        }
        if let Some(limit) = pagination::page_limit(self.page_limit) {
            request = request.page_limit(limit);
        }
        if let Some(token) = token {
            request = request.page_next_token(token);
        }
        page_of(call.run(request.send()).await, |d| Ok::<_, Error>(d.into()))
    }
}

/// Builder of [`ClaimedDevices::get`].
#[derive(Clone, Debug)]
pub struct GetClaimedDevice {
    client: Client,
    device_id: String,
}

impl GetClaimedDevice {
    /// Fetches the device.
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
    /// let devices = client.provisioning().claimed_devices();
    /// let device = devices.get("50363954-3731-4d32-80a2-1d1c3b2f0a41").send().await?;
    /// println!("{:?}, claimed at {:?}", device.status, device.claimed_at);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn send(self) -> Result<ClaimedDevice> {
        let call = self.client.call(ops::provisioning::FETCH_CLAIMED_DEVICE);
        let request = call
            .raw
            .fetch_claimed_device()
            .device_id(self.device_id.as_str());
        Ok(call.run(request.send()).await?.into())
    }
}

/// Builder of [`ClaimedDevices::set_tags`].
#[derive(Clone, Debug)]
pub struct SetClaimedDeviceTags {
    client: Client,
    device_id: String,
    tags: Vec<String>,
}

impl SetClaimedDeviceTags {
    /// Replaces the tags.
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
    /// let devices = client.provisioning().claimed_devices();
    /// let tags = ["field-test", "warehouse"];
    /// devices.set_tags("50363954-3731-4d32-80a2-1d1c3b2f0a41", tags).send().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn send(self) -> Result<()> {
        let call = self
            .client
            .call(ops::provisioning::UPDATE_CLAIMED_DEVICE_TAGS);
        let tags = self
            .tags
            .iter()
            .map(|t| {
                typed::<types::UpdateClaimedDeviceTagsRequestTagsItem, _>(
                    call.operation(),
                    "tag",
                    t.as_str(),
                )
            })
            .collect::<Result<Vec<_>>>()?;
        let request = call
            .raw
            .update_claimed_device_tags()
            .device_id(self.device_id.as_str())
            .body(types::UpdateClaimedDeviceTagsRequest { tags });
        call.run(request.send()).await
    }
}

#[derive(Clone, Copy, Debug)]
enum Action {
    Block,
    Unblock,
    Unclaim,
}

/// Builder of [`ClaimedDevices::block`], [`ClaimedDevices::unblock`] and
/// [`ClaimedDevices::unclaim`].
#[derive(Clone, Debug)]
pub struct DeviceAction {
    client: Client,
    device_id: String,
    action: Action,
}

impl DeviceAction {
    fn new(client: Client, device_id: String, action: Action) -> Self {
        Self {
            client,
            device_id,
            action,
        }
    }

    /// Sends the request.
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
    /// let devices = client.provisioning().claimed_devices();
    /// devices.block("50363954-3731-4d32-80a2-1d1c3b2f0a41").send().await?;
    /// devices.unblock("50363954-3731-4d32-80a2-1d1c3b2f0a41").send().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn send(self) -> Result<()> {
        let id = self.device_id.as_str();
        match self.action {
            Action::Block => {
                let call = self.client.call(ops::provisioning::BLOCK_CLAIMED_DEVICE);
                call.run(call.raw.block_claimed_device().device_id(id).send())
                    .await
            }
            Action::Unblock => {
                let call = self.client.call(ops::provisioning::UNBLOCK_CLAIMED_DEVICE);
                call.run(call.raw.unblock_claimed_device().device_id(id).send())
                    .await
            }
            Action::Unclaim => {
                let call = self.client.call(ops::provisioning::UNCLAIM_DEVICE);
                call.run_delete(call.raw.unclaim_device().device_id(id).send())
                    .await
            }
        }
    }
}
