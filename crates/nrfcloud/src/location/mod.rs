//! Location Services, as a proxy server calls them for the devices it serves: ground fix (LTE
//! cells and Wi-Fi access points), single cell, A-GNSS assistance, P-GPS predictions and
//! location history.
//!
//! # Credentials
//!
//! The location endpoints take no API key (the document's `security`: a JWT or the service
//! evaluation token). A proxy gives its client one of:
//!
//! * a **service key** ([`ServiceJwt`](crate::auth::ServiceJwt), feature `jwt`): a request that
//!   names its device with `for_device` gets a token with that `sub`, minted once per device and
//!   cached (bounded, least recently used first out) until shortly before `exp`;
//! * an **Organization Auth Token** ([`ClientBuilder::organization_token`](crate::ClientBuilder::organization_token)
//!   with [`organization`](crate::ClientBuilder::organization)): the location calls then go to
//!   `/v1/organizations/{org}/projects/{project}/location/…`, the form nRF Cloud now recommends
//!   for cloud-to-cloud use (service keys and evaluation tokens are deprecated; both work during
//!   the transition, \[CONFLICT\] cloud-api-facts.md §2.3);
//! * the **service evaluation token**
//!   ([`ClientBuilder::service_evaluation_token`](crate::ClientBuilder::service_evaluation_token));
//! * or none of its own: a request can pass the device's own JWT through with `device_token`.
//!
//! When a request names its device and its credential does not (an OAT, the evaluation token,
//! a service token without `sub`), the device goes in the `x-custom-device-id` header.
//!
//! All requests of a client, for every device, share its one connection pool.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use nrfcloud::{auth::{PrivateKey, ServiceJwt}, location::{AccessPoint, LteCell}};
//! let jwt = ServiceJwt::new(PrivateKey::from_file("service-key.pem")?, "team-id")?;
//! let client = nrfcloud::Client::builder().jwt(jwt).build()?;
//! let fix = client
//!     .location()
//!     .ground_fix()
//!     .for_device("nrf-352656100123456")
//!     .lte(LteCell::new(242, 1, 2305, 34_237_196).rsrp(-97.0))
//!     .wifi(AccessPoint::new("40:01:7a:c9:10:22").signal_strength(-65))
//!     .wifi(AccessPoint::new("e0:1c:41:7a:f2:9d").signal_strength(-74))
//!     .send()
//!     .await?;
//! println!("{},{} ±{} m ({})", fix.lat, fix.lon, fix.uncertainty, fix.fulfilled_with);
//! # Ok(())
//! # }
//! ```

mod agnss;
mod ground_fix;
mod history;
mod pgps;

pub use agnss::{Agnss, AssistanceType, DEFAULT_FRAGMENT_SIZE, MAX_AGNSS_BYTES, SizeQuery};
pub use ground_fix::{
    AccessPoint, GroundFix, LteCell, MAX_ACCESS_POINTS, MIN_ACCESS_POINTS, Neighbor, WifiForm,
};
pub use history::{GnssMeta, HistoryEntry, ListHistory};
pub use pgps::{MAX_PREDICTIONS_BYTES, Pgps, PredictionLink};

use nrfcloud_api::{Op, rest};

use crate::{
    Client,
    auth::serving::{self, Serving},
    call::Call,
    devices::check_id,
    error::Result,
    open_enum::open_enum,
};

open_enum! {
    /// How a fix was made: ground fix `fulfilledWith`, and a history record's `serviceType`.
    /// The `…Eval` values mark fixes made with the service evaluation token.
    pub enum FixSource {
        /// Several LTE cells (serving and neighbours).
        MultiCell => "MCELL",
        /// The serving LTE cell alone.
        SingleCell => "SCELL",
        /// Wi-Fi access points.
        Wifi => "WIFI",
        /// Wi-Fi anchors of the team.
        Anchor => "ANCHOR",
        /// A GNSS fix the device reported.
        Gnss => "GNSS",
        /// A GPS fix (old history records).
        Gps => "GPS",
        /// [`FixSource::MultiCell`] with the evaluation token.
        MultiCellEval => "MCELL_EVAL",
        /// [`FixSource::SingleCell`] with the evaluation token.
        SingleCellEval => "SCELL_EVAL",
        /// [`FixSource::Wifi`] with the evaluation token.
        WifiEval => "WIFI_EVAL",
    }
}

/// A position.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Fix {
    /// Latitude, WGS-84 degrees.
    pub lat: f64,
    /// Longitude, WGS-84 degrees.
    pub lon: f64,
    /// Radius in metres: 68 % confidence, or 95 % with `high_confidence`. Read as a number with
    /// decimals (the service sends 14.772; the document says integer, \[CONFLICT\]).
    pub uncertainty: f64,
    /// How it was made.
    pub fulfilled_with: FixSource,
    /// The MAC addresses of the anchors it used, if any.
    pub anchors: Vec<String>,
}

/// The Location Services handle: `client.location()`.
#[derive(Clone, Debug)]
pub struct Location {
    client: Client,
}

impl Client {
    /// Location Services: ground fix, single cell, A-GNSS, P-GPS and location history.
    ///
    /// ```no_run
    /// # fn f(client: nrfcloud::Client) {
    /// let location = client.location();
    /// # }
    /// ```
    pub fn location(&self) -> Location {
        Location {
            client: self.clone(),
        }
    }
}

impl Location {
    /// A position from LTE cells and/or Wi-Fi access points (`POST /location/ground-fix`).
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
    /// use nrfcloud::location::{LteCell, Neighbor};
    /// let fix = client
    ///     .location()
    ///     .ground_fix()
    ///     .lte(LteCell::new(242, 1, 2305, 34_237_196).neighbor(Neighbor::new(6400, 301)))
    ///     .send()
    ///     .await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn ground_fix(&self) -> GroundFix {
        GroundFix::new(self.client.clone())
    }

    /// The position of one LTE cell, by the serving cell's identity alone. It is sent as a
    /// ground fix with that one cell (answered `SCELL`), which is what Nordic recommends
    /// instead of the deprecated `GET /location/single-cell`; that endpoint stays reachable
    /// through `client.raw().rest().get_single_cell_location()`.
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
    /// let fix = client.location().single_cell(242, 1, 2305, 34_237_196).send().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn single_cell(&self, mcc: u16, mnc: u16, tac: u32, eci: u32) -> GroundFix {
        self.ground_fix().lte(LteCell::new(mcc, mnc, tac, eci))
    }

    /// A-GNSS assistance data (`POST /location/agnss`, in ranged fragments).
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
    /// let data = client.location().agnss().send().await?;
    /// println!("{} bytes of assistance data", data.len());
    /// # Ok(())
    /// # }
    /// ```
    pub fn agnss(&self) -> Agnss {
        Agnss::new(self.client.clone())
    }

    /// Where P-GPS predictions are (`GET /location/pgnss`), to download with
    /// [`PredictionLink::download`].
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
    /// let link = client.location().pgps().prediction_count(42).send().await?;
    /// let predictions = link.download().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn pgps(&self) -> Pgps {
        Pgps::new(self.client.clone())
    }

    /// The location history: fixes the service recorded (`GET /location/history`).
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
    /// let page = client.location().history().device_id("nrf-352656100123456").send().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn history(&self) -> ListHistory {
        ListHistory::new(self.client.clone())
    }

    /// Deletes one history record (`DELETE /location/history/{deviceId}/{id}`).
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
    /// use futures::TryStreamExt;
    /// let mut history = client.location().history().device_id("nrf-352656100123456").stream();
    /// while let Some(entry) = history.try_next().await? {
    ///     client.location().delete_history(&entry.device_id, &entry.id).await?;
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub async fn delete_history(&self, device_id: &str, id: &str) -> Result<()> {
        let op = nrfcloud_api::ops::rest::DELETE_LOCATION_HISTORY;
        check_id(op.operation().operation_id, device_id)?;
        let prepared = Prepared::new(&self.client, op, &Serving::default())?;
        let call = &prepared.call;
        call.run_delete(
            call.raw
                .delete_location_history()
                .device_id(device_id)
                .id(id)
                .send(),
        )
        .await
    }
}

/// One location request on its way: the call, the device for `x-custom-device-id`, and whom it
/// serves (for the credentials).
pub(crate) struct Prepared<'a> {
    pub call: Call<'a, rest::Client>,
    /// The device to name in `x-custom-device-id`: set when the request names one and its
    /// credential does not.
    pub header_device: Option<String>,
    serving: Serving,
}

impl<'a> Prepared<'a> {
    /// Picks the raw client and the header for a request of `op` serving `serving`.
    pub(crate) fn new(client: &'a Client, op: Op<rest::Client>, serving: &Serving) -> Result<Self> {
        if let Some(device) = &serving.device {
            check_id(op.operation().operation_id, device)?;
        }
        let (call, organization) = client.raw().location_call(op, serving.token.is_some());
        let names_device =
            !organization && client.credentials().names_device(op.operation(), serving);
        Ok(Self {
            call,
            header_device: serving.device.clone().filter(|_| !names_device),
            serving: serving.clone(),
        })
    }

    /// Runs `work` (the request) as serving this request's device.
    pub(crate) async fn serve<T>(&self, work: impl Future<Output = T>) -> T {
        if self.serving.is_empty() {
            work.await
        } else {
            serving::scope(self.serving.clone(), work).await
        }
    }
}

/// Adds `for_device` and `device_token` to a location builder with a `serving: Serving` field.
macro_rules! serving_setters {
    ($builder:ty, $make:literal) => {
        impl $builder {
            /// The device this request serves: a service key signs its token with this `sub`
            /// (cached per device); other credentials send it as `x-custom-device-id`.
            ///
            /// ```no_run
            /// # fn f(client: nrfcloud::Client) {
            #[doc = concat!(" let request = ", $make, ".for_device(\"nrf-352656100123456\");")]
            /// # }
            /// ```
            pub fn for_device(mut self, device_id: impl Into<String>) -> Self {
                self.serving.device = Some(device_id.into());
                self
            }

            /// Sends this device JWT (one a device gave its proxy) as the bearer instead of the
            /// client's credentials, to `/v1/location/…`.
            ///
            /// ```no_run
            /// # fn f(client: nrfcloud::Client, token_from_device: String) {
            #[doc = concat!(" let request = ", $make, ".device_token(token_from_device);")]
            /// # }
            /// ```
            pub fn device_token(mut self, token: impl Into<secrecy::SecretString>) -> Self {
                self.serving.token = Some(token.into());
                self
            }
        }
    };
}
pub(crate) use serving_setters;
