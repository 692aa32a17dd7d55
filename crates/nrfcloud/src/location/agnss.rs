//! A-GNSS assistance data: its size by `HEAD`, then the payload in ranged `POST`s answered
//! 206, joined into one buffer whose length is checked against `Content-Range` (and the `HEAD`
//! size), or handed on fragment by fragment for a relay with little memory.

use bytes::{Bytes, BytesMut};
use futures::{Stream, StreamExt, TryStreamExt};
use http::{HeaderMap, HeaderValue, Method, header::CONTENT_LENGTH};
use nrfcloud_api::{ops, rest::types};

use super::{Prepared, serving_setters};
use crate::{
    Client,
    auth::serving::Serving,
    error::{Error, Result, transport},
};

/// Bytes per ranged request unless set: sdk-nrf's `CONFIG_NRF_CLOUD_REST_FRAGMENT_SIZE` default.
pub const DEFAULT_FRAGMENT_SIZE: u32 = 1700;

/// The largest payload accepted (all types, unfiltered, are a few KiB): a bound on what a
/// wrong `Content-Range` total can make the client hold.
pub const MAX_AGNSS_BYTES: u64 = 1 << 20;

/// One kind of assistance data (the `types` numbers; 10 is reserved for P-GPS predictions).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
#[repr(u8)]
pub enum AssistanceType {
    /// GPS UTC parameters (1).
    GpsUtc = 1,
    /// GPS ephemerides (2).
    GpsEphemerides = 2,
    /// GPS almanac (3).
    GpsAlmanac = 3,
    /// Klobuchar ionospheric correction (4).
    Klobuchar = 4,
    /// NeQuick ionospheric correction (5).
    NeQuick = 5,
    /// GPS time of week (6).
    GpsTimeOfWeek = 6,
    /// GPS system clock (7).
    GpsSystemClock = 7,
    /// The cell's position (8).
    Location = 8,
    /// GPS integrity (9).
    GpsIntegrity = 9,
    /// QZSS almanac (11).
    QzssAlmanac = 11,
    /// QZSS ephemerides (12).
    QzssEphemerides = 12,
    /// QZSS integrity (13).
    QzssIntegrity = 13,
    /// Galileo almanac (14).
    GalileoAlmanac = 14,
    /// Galileo ephemerides (15).
    GalileoEphemerides = 15,
    /// Galileo GGTO (16).
    GalileoGgto = 16,
    /// Galileo integrity (17).
    GalileoIntegrity = 17,
}

/// How the `HEAD` that asks for the size sends `types`. \[CONFLICT\] cloud-api-facts.md §7.3:
/// the document declares a repeated query key; Nordic's location tests send one comma-joined
/// value and get sizes that match the `POST`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum SizeQuery {
    /// `types=1,2,3` (the default: what is known to work).
    #[default]
    CommaJoined,
    /// `types=1&types=2&types=3` (the document's form).
    Repeated,
    /// No `HEAD`: the size comes from the first fragment's `Content-Range`.
    Skip,
}

/// Builder of [`Location::agnss`](super::Location::agnss).
#[derive(Clone, Debug)]
pub struct Agnss {
    client: Client,
    serving: Serving,
    types: Vec<AssistanceType>,
    cell: Option<(u16, u16, u32, u32)>,
    rsrp: Option<f64>,
    filtered: bool,
    mask: Option<f64>,
    fragment_size: u32,
    size_query: SizeQuery,
}

serving_setters!(Agnss, "client.location().agnss()");

/// `bytes a-b/total` of a 206.
fn content_range(headers: &HeaderMap) -> Option<(u64, u64, u64)> {
    let value = headers.get(http::header::CONTENT_RANGE)?.to_str().ok()?;
    let (range, total) = value.trim().strip_prefix("bytes ")?.split_once('/')?;
    let (start, end) = range.split_once('-')?;
    Some((start.parse().ok()?, end.parse().ok()?, total.parse().ok()?))
}

impl Agnss {
    pub(super) fn new(client: Client) -> Self {
        Self {
            client,
            serving: Serving::default(),
            types: Vec::new(),
            cell: None,
            rsrp: None,
            filtered: false,
            mask: None,
            fragment_size: DEFAULT_FRAGMENT_SIZE,
            size_query: SizeQuery::default(),
        }
    }

    /// The kinds of data to send (default: the service's, 1, 2, 3, 4, 6, 7 and 9). Nordic's
    /// proxies ask for ephemerides apart from the rest, whose sum is too big for one device
    /// message.
    ///
    /// ```no_run
    /// # fn f(client: nrfcloud::Client) {
    /// use nrfcloud::location::AssistanceType;
    /// let request = client.location().agnss().types([AssistanceType::GpsEphemerides]);
    /// # }
    /// ```
    pub fn types(mut self, types: impl IntoIterator<Item = AssistanceType>) -> Self {
        self.types = types.into_iter().collect();
        self
    }

    /// The device's serving cell, for the cell's position and for `filtered`.
    pub fn cell(mut self, mcc: u16, mnc: u16, tac: u32, eci: u32) -> Self {
        self.cell = Some((mcc, mnc, tac, eci));
        self
    }

    /// The serving cell's RSRP, dBm.
    pub fn rsrp(mut self, dbm: f64) -> Self {
        self.rsrp = Some(dbm);
        self
    }

    /// Ephemerides only for the satellites in view from the cell (at most 16), above this
    /// elevation mask in degrees (0–90; the service's default is 5). Needs [`cell`](Self::cell).
    pub fn filtered(mut self, mask_degrees: f64) -> Self {
        self.filtered = true;
        self.mask = Some(mask_degrees);
        self
    }

    /// Bytes per ranged request (default [`DEFAULT_FRAGMENT_SIZE`]; at least 1).
    pub fn fragment_size(mut self, bytes: u32) -> Self {
        self.fragment_size = bytes;
        self
    }

    /// How the size is asked for (default [`SizeQuery::CommaJoined`]).
    pub fn size_query(mut self, form: SizeQuery) -> Self {
        self.size_query = form;
        self
    }

    fn check(&self, operation: &'static str) -> Result<()> {
        let invalid = |m: String| Error::invalid_request(operation, m);
        if self.fragment_size == 0 {
            return Err(invalid("the fragment size must be at least 1 byte".into()));
        }
        if let Some(mask) = self.mask
            && !(0.0..=90.0).contains(&mask)
        {
            return Err(invalid(format!(
                "the elevation mask {mask}° is outside 0–90"
            )));
        }
        if self.filtered && self.cell.is_none() {
            return Err(invalid(
                "filtered assistance data needs the device's cell (`cell(mcc, mnc, tac, eci)`)"
                    .into(),
            ));
        }
        Ok(())
    }

    fn body(&self) -> types::AssistanceRequest {
        let (mcc, mnc, tac, eci) = match self.cell {
            Some((mcc, mnc, tac, eci)) => (
                Some(mcc.into()),
                Some(types::Mnc::Number(mnc.into())),
                Some(tac.into()),
                Some(eci.into()),
            ),
            None => (None, None, None, None),
        };
        types::AssistanceRequest {
            eci,
            filtered: self.filtered.then_some(true),
            mask: self.mask,
            mcc,
            mnc,
            rsrp: self.rsrp,
            tac,
            types: self
                .types
                .iter()
                .filter_map(|t| types::NrfMessageType::try_from(*t as i64).ok())
                .collect(),
        }
    }

    /// The payload's size in bytes, from `HEAD /location/agnss` (`Content-Length`).
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
    /// let bytes = client.location().agnss().size().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn size(&self) -> Result<u64> {
        let op = ops::rest::GET_ASSISTANCE_DATA_SIZE;
        let prepared = Prepared::new(&self.client, op, &self.serving)?;
        let operation = prepared.call.operation();
        self.check(operation)?;
        let mut query: Vec<String> = Vec::new();
        let types: Vec<String> = self.types.iter().map(|t| (*t as u8).to_string()).collect();
        match self.size_query {
            SizeQuery::Repeated => query.extend(types.iter().map(|t| format!("types={t}"))),
            _ if !types.is_empty() => query.push(format!("types={}", types.join("%2C"))),
            _ => {}
        }
        if let Some((mcc, mnc, tac, eci)) = self.cell {
            query.extend([
                format!("mcc={mcc}"),
                format!("mnc={mnc}"),
                format!("tac={tac}"),
                format!("eci={eci}"),
            ]);
        }
        if let Some(rsrp) = self.rsrp {
            query.push(format!("rsrp={rsrp}"));
        }
        if self.filtered {
            query.push("filtered=true".into());
        }
        if let Some(mask) = self.mask {
            query.push(format!("mask={mask}"));
        }
        let path = if query.is_empty() {
            "/location/agnss".to_owned()
        } else {
            format!("/location/agnss?{}", query.join("&"))
        };
        let mut headers = HeaderMap::new();
        if let Some(device) = &prepared.header_device
            && let Ok(value) = HeaderValue::from_str(device)
        {
            headers.insert("x-custom-device-id", value);
        }
        let (head, _) = prepared
            .serve(prepared.call.request_bytes(Method::HEAD, &path, headers))
            .await?;
        head.headers
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| {
                Error::incomplete(operation, "Content-Length", "the HEAD answer has no size")
            })
    }

    /// One ranged request at `offset`: the fragment and the payload's total size.
    async fn fragment(&self, offset: u64) -> Result<(Bytes, u64)> {
        let op = ops::rest::GET_ASSISTANCE_DATA;
        let prepared = Prepared::new(&self.client, op, &self.serving)?;
        let operation = prepared.call.operation();
        let end = offset + u64::from(self.fragment_size) - 1;
        let mut request = prepared
            .call
            .raw
            .get_assistance_data()
            .range(format!("bytes={offset}-{end}"))
            .body(self.body());
        if let Some(device) = &prepared.header_device {
            request = request.x_custom_device_id(device.clone());
        }
        let answer = prepared
            .serve(prepared.call.run_value(request.send()))
            .await?;
        let incomplete = |reason: String| Error::incomplete(operation, "Content-Range", reason);
        let (start, last, total) = content_range(answer.headers())
            .ok_or_else(|| incomplete("the 206 has no `Content-Range: bytes a-b/total`".into()))?;
        if start != offset || last < start || last > end || last >= total {
            return Err(incomplete(format!(
                "asked for bytes {offset}-{end}, got {start}-{last} of {total}"
            )));
        }
        if total > MAX_AGNSS_BYTES {
            return Err(incomplete(format!(
                "a payload of {total} bytes is larger than {MAX_AGNSS_BYTES}"
            )));
        }
        let want = (last - start + 1) as usize;
        let mut body = BytesMut::with_capacity(want);
        let mut stream = answer.into_inner();
        while let Some(piece) = stream.next().await {
            let piece = piece.map_err(|e| transport(operation, e))?;
            if body.len() + piece.len() > want {
                return Err(incomplete(format!(
                    "the fragment {start}-{last} carries more than {want} bytes"
                )));
            }
            body.extend_from_slice(&piece);
        }
        if body.len() != want {
            return Err(incomplete(format!(
                "the fragment {start}-{last} carries {} bytes, not {want}",
                body.len()
            )));
        }
        Ok((body.freeze(), total))
    }

    /// The payload as a stream of fragments, in order, each at most the fragment size: for a
    /// relay that forwards assistance data without holding all of it.
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
    /// use futures::TryStreamExt;
    /// let mut fragments = client.location().agnss().fragment_size(512).chunks();
    /// while let Some(fragment) = fragments.try_next().await? {
    ///     println!("{} bytes", fragment.len());
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn chunks(self) -> impl Stream<Item = Result<Bytes>> + Send + Unpin + 'static {
        Box::pin(futures::stream::try_unfold(
            (self, 0u64, None::<u64>),
            |(this, offset, total)| async move {
                if total.is_some_and(|t| offset >= t) {
                    return Ok(None);
                }
                let (fragment, size) = this.fragment(offset).await?;
                if let Some(first) = total
                    && first != size
                {
                    return Err(Error::incomplete(
                        ops::rest::GET_ASSISTANCE_DATA.operation().operation_id,
                        "Content-Range",
                        format!("the total changed from {first} to {size} bytes mid-way"),
                    ));
                }
                let next = offset + fragment.len() as u64;
                Ok(Some((fragment, (this, next, Some(size)))))
            },
        ))
    }

    /// The whole payload: the size by `HEAD` (unless [`SizeQuery::Skip`]), then the
    /// fragments, joined and checked to add up to exactly that size.
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
    /// let data = client.location().agnss().for_device("nrf-352656100123456").send().await?;
    /// assert_eq!(data[0], 1, "schema version");
    /// # Ok(())
    /// # }
    /// ```
    pub async fn send(self) -> Result<Bytes> {
        let operation = ops::rest::GET_ASSISTANCE_DATA.operation().operation_id;
        self.check(operation)?;
        let size = match self.size_query {
            SizeQuery::Skip => None,
            _ => Some(self.size().await?),
        };
        if size.is_some_and(|s| s > MAX_AGNSS_BYTES) {
            return Err(Error::incomplete(
                operation,
                "Content-Length",
                format!(
                    "a payload of {} bytes is larger than {MAX_AGNSS_BYTES}",
                    size.unwrap_or(0)
                ),
            ));
        }
        let mut data = BytesMut::with_capacity(size.unwrap_or(0) as usize);
        if size != Some(0) {
            let mut fragments = self.chunks();
            while let Some(fragment) = fragments.try_next().await? {
                data.extend_from_slice(&fragment);
            }
        }
        let received = data.len() as u64;
        match size {
            Some(size) if size != received => Err(Error::incomplete(
                operation,
                "Content-Length",
                format!("HEAD gave {size} bytes, the fragments add up to {received}"),
            )),
            _ => Ok(data.freeze()),
        }
    }
}
