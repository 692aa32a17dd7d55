//! Firmware bundles (REST `Firmware`): upload a zip, list with the modem filter, find one,
//! delete.

use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use nrfcloud_api::{ops, rest::types};

use super::{manifest, status::FirmwareType};
use crate::{
    Client,
    error::{Error, Result},
    pagination::{self, Page, page_of},
};

/// The body limit the REST document states for a base64 upload (1,333,333 characters), about
/// 1 MB of zip. Whether a raw upload may be larger is not known (cloud-api-facts.md §3.1), so
/// a larger bundle is sent with a warning, not refused.
pub const DOCUMENTED_MAX_BYTES: usize = 1_000_000;

/// A firmware bundle.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Bundle {
    /// Its id: `APP*1a2b3c4d*1.4.0` in the legacy form, or a UUID (\[CONFLICT\]
    /// cloud-api-facts.md §3.2); opaque either way.
    pub id: String,
    /// What it holds.
    pub firmware_type: Option<FirmwareType>,
    /// Its `fwversion`.
    pub version: Option<String>,
    /// Its manifest's name.
    pub name: Option<String>,
    /// Its manifest's description.
    pub description: Option<String>,
    /// The image files.
    pub filenames: Vec<String>,
    /// Its size in bytes.
    pub size: Option<u64>,
    /// When it was uploaded or changed.
    pub last_modified: Option<DateTime<Utc>>,
}

impl From<types::Firmware> for Bundle {
    fn from(f: types::Firmware) -> Self {
        Self {
            id: f.bundle_id.unwrap_or_default(),
            firmware_type: f.type_.as_deref().map(FirmwareType::from),
            version: f.version,
            name: f.name,
            description: f.description,
            filenames: f.filenames,
            size: f.size.filter(|s| *s >= 0.0).map(|s| s as u64),
            last_modified: f.last_modified,
        }
    }
}

/// The bundles handle: `client.fota().bundles()`.
#[derive(Clone, Debug)]
pub struct Bundles {
    client: Client,
}

impl Bundles {
    pub(super) fn new(client: Client) -> Self {
        Self { client }
    }

    /// Uploads a bundle zip (image files and `manifest.json`). Its manifest is checked before
    /// sending: it must list its files with user image types (modem firmware cannot be
    /// uploaded) and have a `fwversion`, which [`UploadBundle::version`] sets or replaces.
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client) -> Result<(), Box<dyn std::error::Error>> {
    /// let zip = std::fs::read("build/dfu_application.zip")?;
    /// let uploaded = client.fota().bundles().upload(zip).version("1.4.0").send().await?;
    /// println!("bundle {}", uploaded.bundle.id);
    /// # Ok(())
    /// # }
    /// ```
    pub fn upload(&self, zip: impl Into<Bytes>) -> UploadBundle {
        UploadBundle {
            client: self.client.clone(),
            zip: zip.into(),
            version: None,
        }
    }

    /// Lists the team's bundles (or, with [`ListBundles::modem_only`], Nordic's modem ones).
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
    /// let page = client.fota().bundles().list().send().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn list(&self) -> ListBundles {
        ListBundles {
            client: self.client.clone(),
            modem_only: false,
            page_limit: None,
            page_token: None,
        }
    }

    /// Finds bundle `id` in the list (there is no operation that fetches one); `None` when the
    /// team has no such bundle.
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
    /// if let Some(bundle) = client.fota().bundles().get("APP*1a2b3c4d*1.4.0").await? {
    ///     println!("{:?} {:?}", bundle.firmware_type, bundle.version);
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub async fn get(&self, id: &str) -> Result<Option<Bundle>> {
        for modem_only in [false, true] {
            let mut list = self.list();
            list.modem_only = modem_only;
            let mut bundles = list.page_limit(100).stream();
            while let Some(bundle) = bundles.try_next().await? {
                if bundle.id == id {
                    return Ok(Some(bundle));
                }
            }
        }
        Ok(None)
    }

    /// Deletes a bundle.
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
    /// client.fota().bundles().delete("APP*1a2b3c4d*1.4.0").send().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn delete(&self, id: impl Into<String>) -> DeleteBundle {
        DeleteBundle {
            client: self.client.clone(),
            id: id.into(),
        }
    }
}

/// What an upload answered: the files' URIs, and the bundle as the list shows it.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct UploadedBundle {
    /// The URIs the upload answered with, as they came (do not parse bundle ids out of them:
    /// their shape has changed, cloud-api-facts.md §3.2).
    pub uris: Vec<String>,
    /// The new bundle, found in the list by its version (and name).
    pub bundle: Bundle,
}

/// Builder of [`Bundles::upload`].
#[derive(Clone, Debug)]
pub struct UploadBundle {
    client: Client,
    zip: Bytes,
    version: Option<String>,
}

/// How often, and how far apart, the list is read after an upload before giving up on
/// finding the new bundle in it.
const FIND_ATTEMPTS: u32 = 10;
const FIND_INTERVAL: Duration = Duration::from_millis(500);

impl UploadBundle {
    /// Sets the manifest's `fwversion` (required by nRF Cloud; `^[a-zA-Z0-9._-]{1,60}$`).
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client, zip: Vec<u8>) -> nrfcloud::Result<()> {
    /// let uploaded = client.fota().bundles().upload(zip).version("1.4.0").send().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn version(mut self, version: impl Into<String>) -> Self {
        self.version = Some(version.into());
        self
    }

    /// Checks the manifest, uploads the zip (raw bytes), and finds the new bundle in the list:
    /// the newest one with the manifest's version and name.
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client, zip: Vec<u8>) -> nrfcloud::Result<()> {
    /// let uploaded = client.fota().bundles().upload(zip).version("1.4.0").send().await?;
    /// println!("{} ({} files)", uploaded.bundle.id, uploaded.uris.len());
    /// # Ok(())
    /// # }
    /// ```
    pub async fn send(self) -> Result<UploadedBundle> {
        let call = self.client.call(ops::rest::UPLOAD_FIRMWARE);
        let prepared = manifest::prepare(self.zip, self.version.as_deref())
            .map_err(|m| Error::invalid_request(call.operation(), m))?;
        if prepared.zip.len() > DOCUMENTED_MAX_BYTES {
            tracing::warn!(
                bytes = prepared.zip.len(),
                "nrfcloud: the bundle is larger than the documented upload limit (about 1 MB)"
            );
        }
        let request = call.raw.upload_firmware().body(prepared.zip);
        let uris = call.run(request.send()).await?.uris;
        let bundles = Bundles::new(self.client.clone());
        for attempt in 1..=FIND_ATTEMPTS {
            let mut found: Vec<Bundle> = bundles
                .list()
                .page_limit(100)
                .stream()
                .try_filter(|b| {
                    let same = b.version.as_deref() == Some(prepared.version.as_str())
                        && (prepared.name.is_none() || b.name == prepared.name);
                    futures::future::ready(same)
                })
                .try_collect()
                .await?;
            found.sort_by_key(|b| b.last_modified);
            if let Some(bundle) = found.pop() {
                return Ok(UploadedBundle { uris, bundle });
            }
            if attempt < FIND_ATTEMPTS {
                tokio::time::sleep(FIND_INTERVAL).await;
            }
        }
        Err(Error::invalid_request(
            "ListFirmware",
            format!(
                "the upload was accepted ({} URIs), but no bundle of version {:?} is listed",
                uris.len(),
                prepared.version
            ),
        ))
    }
}

/// Builder of [`Bundles::list`].
#[derive(Clone, Debug)]
pub struct ListBundles {
    client: Client,
    modem_only: bool,
    page_limit: Option<u32>,
    page_token: Option<String>,
}

crate::pagination::list_builder! {
    ListBundles => Bundle, ops::rest::LIST_FIRMWARE, "client.fota().bundles().list()",
    /// Every bundle, as a lazy stream.
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
    /// use futures::TryStreamExt;
    /// let mut bundles = client.fota().bundles().list().stream();
    /// while let Some(bundle) = bundles.try_next().await? {
    ///     println!("{} {:?}", bundle.id, bundle.version);
    /// }
    /// # Ok(())
    /// # }
    /// ```
}

impl ListBundles {
    /// Only Nordic's modem bundles (which users cannot upload, but can roll out).
    ///
    /// ```no_run
    /// # fn f(client: nrfcloud::Client) {
    /// let modem_bundles = client.fota().bundles().list().modem_only();
    /// # }
    /// ```
    pub fn modem_only(mut self) -> Self {
        self.modem_only = true;
        self
    }

    async fn fetch(self, token: Option<String>) -> Result<Page<Bundle>> {
        let call = self.client.call(ops::rest::LIST_FIRMWARE);
        let mut request = call.raw.list_firmware();
        if self.modem_only {
            request = request.modem_only(true);
        }
        if let Some(limit) = pagination::page_limit(self.page_limit) {
            request = request.page_limit(limit);
        }
        if let Some(token) = token {
            request = request.page_next_token(token);
        }
        page_of(call.run(request.send()).await, |f| Ok::<_, Error>(f.into()))
    }
}

/// Builder of [`Bundles::delete`].
#[derive(Clone, Debug)]
pub struct DeleteBundle {
    client: Client,
    id: String,
}

impl DeleteBundle {
    /// Deletes the bundle.
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
    /// client.fota().bundles().delete("APP*1a2b3c4d*1.4.0").send().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn send(self) -> Result<()> {
        let call = self.client.call(ops::rest::DELETE_FIRMWARE);
        let request = call.raw.delete_firmware().bundle_id(self.id);
        call.run_delete(request.send()).await
    }
}
