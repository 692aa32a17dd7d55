//! Ground fix: LTE cells and Wi-Fi access points in, a position out. The builders check what
//! the service would refuse (ranges, MAC format, at least two usable access points) before
//! anything is sent, and name the cell or access point at fault.

use nrfcloud_api::{ops, rest::types};

use super::{Fix, FixSource, Prepared, serving_setters};
use crate::{
    Client,
    auth::serving::Serving,
    error::{Error, Result},
};

/// The fewest usable access points a Wi-Fi fix takes: the service answers one with 422, and
/// sdk-nrf's `NRF_CLOUD_LOCATION_WIFI_AP_CNT_MIN` is 2.
pub const MIN_ACCESS_POINTS: usize = 2;

/// The most access points a request may carry. The service documents no maximum; this is the
/// SDK's own bound, above what a device scan reports, so a runaway caller fails here.
pub const MAX_ACCESS_POINTS: usize = 64;

/// The most cells (serving cells and neighbours together) a request may carry; like
/// [`MAX_ACCESS_POINTS`], the SDK's own bound.
const MAX_CELLS: usize = 64;

/// The shape of `wifi` in the request body. \[CONFLICT\] cloud-api-facts.md §7.1 and §9: the
/// document's current form is an array, its deprecated form an object, and every client
/// captured against the live service sends the object. The server takes both.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum WifiForm {
    /// `"wifi": {"accessPoints": [...]}`: what sdk-nrf, Nordic's location tests and every
    /// captured client send (the default).
    #[default]
    AccessPointsObject,
    /// `"wifi": [...]`: the document's current form. With it, cells may also be sent as
    /// `ltecatm`/`nbiot` (the object form has `lte` only).
    Array,
}

/// A neighbouring cell measured with the serving cell (`nmr`).
#[derive(Clone, Debug, PartialEq)]
pub struct Neighbor {
    earfcn: u32,
    pci: u16,
    rsrp: Option<f64>,
    rsrq: Option<f64>,
    time_diff: Option<i64>,
}

impl Neighbor {
    /// A neighbour by EARFCN (0–262143) and physical cell id (0–503).
    ///
    /// ```
    /// let n = nrfcloud::location::Neighbor::new(6400, 301).rsrp(-105.0);
    /// ```
    pub fn new(earfcn: u32, pci: u16) -> Self {
        Self {
            earfcn,
            pci,
            rsrp: None,
            rsrq: None,
            time_diff: None,
        }
    }

    /// RSRP in dBm (−157 to −44).
    pub fn rsrp(mut self, dbm: f64) -> Self {
        self.rsrp = Some(dbm);
        self
    }

    /// RSRQ in dB (−34.5 to 3.5).
    pub fn rsrq(mut self, db: f64) -> Self {
        self.rsrq = Some(db);
        self
    }

    /// Time difference to the serving cell, ms.
    pub fn time_diff(mut self, ms: i64) -> Self {
        self.time_diff = Some(ms);
        self
    }
}

/// An LTE cell: the serving cell's identity, its measurements and its neighbours.
#[derive(Clone, Debug, PartialEq)]
pub struct LteCell {
    mcc: u16,
    mnc: u16,
    tac: u32,
    eci: u32,
    earfcn: Option<u32>,
    pci: Option<u16>,
    rsrp: Option<f64>,
    rsrq: Option<f64>,
    adv: Option<u32>,
    neighbors: Vec<Neighbor>,
}

impl LteCell {
    /// A cell by mobile country code (0–999), network code (0–999), tracking area code
    /// (0–65535) and E-UTRAN cell id (28 bits: eNodeB × 256 + sector).
    ///
    /// ```
    /// let cell = nrfcloud::location::LteCell::new(242, 1, 2305, 34_237_196)
    ///     .earfcn(6300)
    ///     .pci(113)
    ///     .rsrp(-97.0);
    /// ```
    pub fn new(mcc: u16, mnc: u16, tac: u32, eci: u32) -> Self {
        Self {
            mcc,
            mnc,
            tac,
            eci,
            earfcn: None,
            pci: None,
            rsrp: None,
            rsrq: None,
            adv: None,
            neighbors: Vec::new(),
        }
    }

    /// EARFCN (0–262143).
    pub fn earfcn(mut self, earfcn: u32) -> Self {
        self.earfcn = Some(earfcn);
        self
    }

    /// Physical cell id (0–503).
    pub fn pci(mut self, pci: u16) -> Self {
        self.pci = Some(pci);
        self
    }

    /// RSRP in dBm (−157 to −44).
    pub fn rsrp(mut self, dbm: f64) -> Self {
        self.rsrp = Some(dbm);
        self
    }

    /// RSRQ in dB (−34.5 to 3.5).
    pub fn rsrq(mut self, db: f64) -> Self {
        self.rsrq = Some(db);
        self
    }

    /// Timing advance in Ts (0–20512, or 65535 for "not measured", which the service takes).
    pub fn timing_advance(mut self, adv: u32) -> Self {
        self.adv = Some(adv);
        self
    }

    /// Adds a neighbouring cell; with one, the fix is multi-cell.
    pub fn neighbor(mut self, neighbor: Neighbor) -> Self {
        self.neighbors.push(neighbor);
        self
    }

    fn check(&self, at: &str) -> std::result::Result<(), String> {
        let range = |what: &str, ok: bool, value: &dyn std::fmt::Display, limits: &str| {
            if ok {
                Ok(())
            } else {
                Err(format!("{at}: {what} {value} is outside {limits}"))
            }
        };
        range("mcc", self.mcc <= 999, &self.mcc, "0–999")?;
        range("mnc", self.mnc <= 999, &self.mnc, "0–999")?;
        range("tac", self.tac <= 0xFFFF, &self.tac, "0–65535")?;
        range(
            "eci",
            self.eci < 1 << 28,
            &self.eci,
            "0–268435455 (28 bits)",
        )?;
        if let Some(e) = self.earfcn {
            range("earfcn", e <= 262_143, &e, "0–262143")?;
        }
        if let Some(p) = self.pci {
            range("pci", p <= 503, &p, "0–503")?;
        }
        check_signal(at, self.rsrp, self.rsrq)?;
        if let Some(adv) = self.adv {
            range(
                "timing advance",
                adv <= 20_512 || adv == 65_535,
                &adv,
                "0–20512 (or 65535)",
            )?;
        }
        for (i, n) in self.neighbors.iter().enumerate() {
            let at = format!("{at}, neighbour {}", i + 1);
            if n.earfcn > 262_143 {
                return Err(format!("{at}: earfcn {} is outside 0–262143", n.earfcn));
            }
            if n.pci > 503 {
                return Err(format!("{at}: pci {} is outside 0–503", n.pci));
            }
            check_signal(&at, n.rsrp, n.rsrq)?;
        }
        Ok(())
    }

    fn to_wire(&self) -> types::LteCell {
        types::LteCell {
            adv: self.adv.map(f64::from),
            earfcn: self.earfcn.map(i64::from),
            eci: self.eci.into(),
            mcc: self.mcc.into(),
            mnc: types::Mnc::Number(self.mnc.into()),
            nmr: self
                .neighbors
                .iter()
                .map(|n| types::LteNeighborMeasurement {
                    earfcn: n.earfcn.into(),
                    eci: None,
                    pci: n.pci.into(),
                    rsrp: n.rsrp,
                    rsrq: n.rsrq,
                    time_diff: n.time_diff.map(|t| t as f64),
                })
                .collect(),
            pci: self.pci.map(i64::from),
            rsrp: self.rsrp,
            rsrq: self.rsrq,
            tac: self.tac.into(),
        }
    }
}

fn check_signal(at: &str, rsrp: Option<f64>, rsrq: Option<f64>) -> std::result::Result<(), String> {
    if let Some(r) = rsrp
        && !(-157.0..=-44.0).contains(&r)
    {
        return Err(format!("{at}: rsrp {r} dBm is outside −157 to −44"));
    }
    if let Some(q) = rsrq
        && !(-34.5..=3.5).contains(&q)
    {
        return Err(format!("{at}: rsrq {q} dB is outside −34.5 to 3.5"));
    }
    Ok(())
}

/// A Wi-Fi access point seen by the device.
#[derive(Clone, Debug, PartialEq)]
pub struct AccessPoint {
    mac: String,
    ssid: Option<String>,
    signal_strength: Option<i32>,
    frequency: Option<u32>,
    channel: Option<u32>,
    age: Option<u64>,
}

impl AccessPoint {
    /// An access point by MAC address: six hex pairs separated by `:` or `-` (checked when
    /// the request is sent).
    ///
    /// ```
    /// let ap = nrfcloud::location::AccessPoint::new("40:01:7a:c9:10:22")
    ///     .signal_strength(-65)
    ///     .frequency(2437);
    /// ```
    pub fn new(mac: impl Into<String>) -> Self {
        Self {
            mac: mac.into(),
            ssid: None,
            signal_strength: None,
            frequency: None,
            channel: None,
            age: None,
        }
    }

    /// The network name.
    pub fn ssid(mut self, ssid: impl Into<String>) -> Self {
        self.ssid = Some(ssid.into());
        self
    }

    /// Signal strength in dBm (−128 to 0).
    pub fn signal_strength(mut self, dbm: i32) -> Self {
        self.signal_strength = Some(dbm);
        self
    }

    /// Channel frequency in MHz (one of frequency and channel is sent; frequency wins).
    pub fn frequency(mut self, mhz: u32) -> Self {
        self.frequency = Some(mhz);
        self
    }

    /// Channel number.
    pub fn channel(mut self, channel: u32) -> Self {
        self.channel = Some(channel);
        self
    }

    /// Milliseconds since the access point was seen.
    pub fn age(mut self, ms: u64) -> Self {
        self.age = Some(ms);
        self
    }

    /// The MAC's octets, or why it is not a MAC.
    fn octets(&self) -> std::result::Result<[u8; 6], String> {
        let bad = || {
            format!(
                "MAC address {:?} is not six hex pairs separated by `:` or `-`",
                self.mac
            )
        };
        let separator = if self.mac.contains('-') { '-' } else { ':' };
        let mut octets = [0u8; 6];
        let mut parts = self.mac.split(separator);
        for octet in &mut octets {
            let part = parts.next().filter(|p| p.len() == 2).ok_or_else(bad)?;
            *octet = u8::from_str_radix(part, 16).map_err(|_| bad())?;
        }
        if parts.next().is_some() {
            return Err(bad());
        }
        Ok(octets)
    }

    fn to_wire(&self) -> types::AccessPoint {
        let signal = self.signal_strength.map(f64::from);
        let age = self.age.map(|a| a as f64);
        match (self.frequency, self.channel) {
            (None, Some(channel)) => types::AccessPoint::Channel(types::AccessPointWithChannel {
                age,
                channel: Some(channel.into()),
                mac_address: self.mac.clone(),
                signal_strength: signal,
                signal_to_noise_ratio: None,
                ssid: self.ssid.clone(),
            }),
            (frequency, _) => types::AccessPoint::Frequency(types::AccessPointWithFrequency {
                age,
                frequency: frequency.map(f64::from),
                mac_address: self.mac.clone(),
                signal_strength: signal,
                signal_to_noise_ratio: None,
                ssid: self.ssid.clone(),
            }),
        }
    }
}

/// Locally administered MACs (the U/L bit set) and the IANA range `00:00:5E:…`: the service
/// discards them, as sdk-nrf notes when it drops them before sending.
fn is_discarded(octets: [u8; 6]) -> bool {
    octets[0] & 0x02 != 0 || octets[..3] == [0x00, 0x00, 0x5E]
}

/// Builder of [`Location::ground_fix`](super::Location::ground_fix).
#[derive(Clone, Debug)]
pub struct GroundFix {
    client: Client,
    serving: Serving,
    lte: Vec<LteCell>,
    wifi: Vec<AccessPoint>,
    form: WifiForm,
    high_confidence: bool,
    fallback: bool,
}

serving_setters!(GroundFix, "client.location().ground_fix()");

impl GroundFix {
    pub(super) fn new(client: Client) -> Self {
        Self {
            client,
            serving: Serving::default(),
            lte: Vec::new(),
            wifi: Vec::new(),
            form: WifiForm::default(),
            high_confidence: false,
            fallback: true,
        }
    }

    /// Adds an LTE cell (the serving cell first).
    pub fn lte(mut self, cell: LteCell) -> Self {
        self.lte.push(cell);
        self
    }

    /// Adds a Wi-Fi access point. Locally administered MACs are dropped before sending (the
    /// service discards them); a Wi-Fi part left with fewer than [`MIN_ACCESS_POINTS`] is
    /// dropped when there are cells, and refused when there are none.
    pub fn wifi(mut self, access_point: AccessPoint) -> Self {
        self.wifi.push(access_point);
        self
    }

    /// The shape of `wifi` on the wire (default [`WifiForm::AccessPointsObject`]).
    pub fn wifi_form(mut self, form: WifiForm) -> Self {
        self.form = form;
        self
    }

    /// Asks for a 95 % confidence radius instead of 68 % (`hiConf`, default off).
    pub fn high_confidence(mut self, on: bool) -> Self {
        self.high_confidence = on;
        self
    }

    /// Whether a rough position from the tracking area may be returned when no precise one
    /// can be made (`fallback`, default on); off, the service answers an error instead.
    pub fn fallback(mut self, on: bool) -> Self {
        self.fallback = on;
        self
    }

    /// The access points to send, after the checks.
    fn usable_wifi(&self, operation: &'static str) -> Result<Vec<&AccessPoint>> {
        let invalid = |m: String| Error::invalid_request(operation, m);
        if self.wifi.len() > MAX_ACCESS_POINTS {
            return Err(invalid(format!(
                "{} access points; at most {MAX_ACCESS_POINTS} are sent",
                self.wifi.len()
            )));
        }
        let mut usable = Vec::new();
        for (i, ap) in self.wifi.iter().enumerate() {
            let octets = ap
                .octets()
                .map_err(|e| invalid(format!("access point {}: {e}", i + 1)))?;
            if let Some(dbm) = ap.signal_strength
                && !(-128..=0).contains(&dbm)
            {
                return Err(invalid(format!(
                    "access point {}: signal strength {dbm} dBm is outside −128 to 0",
                    i + 1
                )));
            }
            if !is_discarded(octets) {
                usable.push(ap);
            }
        }
        if usable.len() >= MIN_ACCESS_POINTS {
            return Ok(usable);
        }
        if self.lte.is_empty() {
            let dropped = self.wifi.len() - usable.len();
            let note = if dropped > 0 {
                format!(" ({dropped} locally administered, which the service discards)")
            } else {
                String::new()
            };
            return Err(invalid(format!(
                "a Wi-Fi fix needs at least {MIN_ACCESS_POINTS} access points with universally \
                 administered MACs; {} given{note}",
                self.wifi.len()
            )));
        }
        Ok(Vec::new())
    }

    fn body(
        &self,
        operation: &'static str,
    ) -> Result<types::GetLocationFromCellsOrWifiNetworksRequest> {
        let invalid = |m: String| Error::invalid_request(operation, m);
        if self.lte.is_empty() && self.wifi.is_empty() {
            return Err(invalid(
                "a ground fix needs at least one LTE cell or two Wi-Fi access points".into(),
            ));
        }
        let cells = self.lte.len() + self.lte.iter().map(|c| c.neighbors.len()).sum::<usize>();
        if cells > MAX_CELLS {
            return Err(invalid(format!(
                "{cells} cells and neighbours; at most {MAX_CELLS} are sent"
            )));
        }
        for (i, cell) in self.lte.iter().enumerate() {
            cell.check(&format!("cell {}", i + 1)).map_err(invalid)?;
        }
        let wifi: Vec<types::AccessPoint> = self
            .usable_wifi(operation)?
            .into_iter()
            .map(AccessPoint::to_wire)
            .collect();
        let lte = self.lte.iter().map(LteCell::to_wire).collect();
        Ok(match self.form {
            WifiForm::Array => types::GroundFixRequest {
                lte,
                ltecatm: Vec::new(),
                nbiot: Vec::new(),
                wifi,
            }
            .into(),
            WifiForm::AccessPointsObject => types::DeprecatedGroundFixRequest {
                lte,
                wifi: (!wifi.is_empty()).then_some(types::WifiAccessPointsRequest {
                    access_points: wifi,
                }),
            }
            .into(),
        })
    }

    /// Sends the request.
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
    /// let fix = client.location().single_cell(242, 1, 2305, 34_237_196).send().await?;
    /// println!("location: {},{} ±{} m ({})", fix.lat, fix.lon, fix.uncertainty, fix.fulfilled_with);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn send(self) -> Result<Fix> {
        let op = ops::rest::GET_LOCATION_FROM_CELLS_OR_WIFI_NETWORKS;
        let prepared = Prepared::new(&self.client, op, &self.serving)?;
        let operation = prepared.call.operation();
        let mut request = prepared
            .call
            .raw
            .get_location_from_cells_or_wifi_networks()
            .body(self.body(operation)?);
        // Only what differs from the service's defaults, as sdk-nrf sends it.
        if self.high_confidence {
            request = request.hi_conf(true);
        }
        if !self.fallback {
            request = request.fallback(false);
        }
        if let Some(device) = &prepared.header_device {
            request = request.x_custom_device_id(device.clone());
        }
        let answer = prepared.serve(prepared.call.run(request.send())).await?;
        fix_of(operation, answer)
    }
}

fn fix_of(operation: &'static str, r: types::GroundFixResponseWithFulfillment) -> Result<Fix> {
    let missing =
        |field: &str| Error::incomplete(operation, field, format!("the fix has no `{field}`"));
    let fulfilled_with = match r.fulfilled_with {
        Some(types::GroundFixResponseWithFulfillmentFulfilledWith::GroundFixServiceType(t)) => {
            FixSource::from(t.to_string().as_str())
        }
        Some(types::GroundFixResponseWithFulfillmentFulfilledWith::String(s)) => {
            FixSource::from(s.as_str())
        }
        Some(types::GroundFixResponseWithFulfillmentFulfilledWith::Unrecognized(u)) => {
            FixSource::Other(u.to_string())
        }
        None => FixSource::Other(String::new()),
    };
    Ok(Fix {
        lat: r.lat.ok_or_else(|| missing("lat"))?,
        lon: r.lon.ok_or_else(|| missing("lon"))?,
        uncertainty: r.uncertainty.ok_or_else(|| missing("uncertainty"))?,
        fulfilled_with,
        anchors: r
            .anchors
            .into_iter()
            .filter_map(|a| a.mac_address)
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client() -> Client {
        Client::builder()
            .service_evaluation_token("eval")
            .build()
            .unwrap()
    }

    fn body_json(g: &GroundFix) -> serde_json::Value {
        serde_json::to_value(g.body("GetLocationFromCellsOrWifiNetworks").unwrap()).unwrap()
    }

    fn refusal(g: GroundFix) -> String {
        g.body("GetLocationFromCellsOrWifiNetworks")
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn wifi_goes_in_the_captured_object_form_by_default_and_as_an_array_on_request() {
        let g = client()
            .location()
            .ground_fix()
            .wifi(AccessPoint::new("40:01:7a:c9:10:22").signal_strength(-65))
            .wifi(AccessPoint::new("E0-1C-41-7A-F2-9D").channel(6));
        assert_eq!(
            body_json(&g),
            serde_json::json!({"wifi": {"accessPoints": [
                {"macAddress": "40:01:7a:c9:10:22", "signalStrength": -65.0},
                {"macAddress": "E0-1C-41-7A-F2-9D", "channel": 6.0},
            ]}})
        );
        let g = g.wifi_form(WifiForm::Array);
        assert_eq!(
            body_json(&g)["wifi"][1],
            serde_json::json!({"macAddress": "E0-1C-41-7A-F2-9D", "channel": 6.0})
        );
    }

    #[test]
    fn cells_carry_their_measurements_and_neighbours() {
        let g = client().location().ground_fix().lte(
            LteCell::new(242, 1, 2305, 34_237_196)
                .earfcn(6300)
                .pci(113)
                .rsrp(-97.0)
                .timing_advance(65_535)
                .neighbor(Neighbor::new(6400, 301).rsrp(-105.0)),
        );
        assert_eq!(
            body_json(&g),
            serde_json::json!({"lte": [{
                "mcc": 242, "mnc": 1.0, "tac": 2305, "eci": 34_237_196,
                "earfcn": 6300, "pci": 113, "rsrp": -97.0, "adv": 65535.0,
                "nmr": [{"earfcn": 6400, "pci": 301, "rsrp": -105.0}],
            }]})
        );
    }

    #[test]
    fn limits_are_checked_before_sending_and_name_the_culprit() {
        let l = || client().location().ground_fix();
        assert_eq!(
            refusal(l().wifi(AccessPoint::new("40:01:7a:c9:10:22"))),
            "invalid request to GetLocationFromCellsOrWifiNetworks: a Wi-Fi fix needs at least 2 \
             access points with universally administered MACs; 1 given"
        );
        assert_eq!(
            refusal(
                l().wifi(AccessPoint::new("40:01:7a:c9:10:22"))
                    .wifi(AccessPoint::new("42:01:7a:c9:10:23"))
            ),
            "invalid request to GetLocationFromCellsOrWifiNetworks: a Wi-Fi fix needs at least 2 \
             access points with universally administered MACs; 2 given (1 locally \
             administered, which the service discards)"
        );
        assert_eq!(
            refusal(
                l().wifi(AccessPoint::new("40:01:7a:c9:10:22"))
                    .wifi(AccessPoint::new("40:01:7a:c9:10"))
            ),
            "invalid request to GetLocationFromCellsOrWifiNetworks: access point 2: MAC address \
             \"40:01:7a:c9:10\" is not six hex pairs separated by `:` or `-`"
        );
        assert_eq!(
            refusal(l().lte(LteCell::new(242, 1, 2305, 1 << 28))),
            "invalid request to GetLocationFromCellsOrWifiNetworks: cell 1: eci 268435456 is \
             outside 0–268435455 (28 bits)"
        );
        assert_eq!(
            refusal(l().lte(LteCell::new(242, 1, 2305, 7).neighbor(Neighbor::new(6400, 504)))),
            "invalid request to GetLocationFromCellsOrWifiNetworks: cell 1, neighbour 1: pci 504 \
             is outside 0–503"
        );
        assert_eq!(
            refusal(l()),
            "invalid request to GetLocationFromCellsOrWifiNetworks: a ground fix needs at least \
             one LTE cell or two Wi-Fi access points"
        );
        let mut many = l();
        for i in 0..=MAX_ACCESS_POINTS {
            many = many.wifi(AccessPoint::new(format!("40:01:7a:c9:10:{i:02x}")));
        }
        assert_eq!(
            refusal(many),
            "invalid request to GetLocationFromCellsOrWifiNetworks: 65 access points; at most 64 \
             are sent"
        );
    }

    #[test]
    fn a_short_wifi_part_is_dropped_when_cells_can_answer() {
        let g = client()
            .location()
            .ground_fix()
            .lte(LteCell::new(242, 1, 2305, 7))
            .wifi(AccessPoint::new("40:01:7a:c9:10:22"))
            .wifi(AccessPoint::new("00:00:5e:00:01:01"));
        assert_eq!(
            body_json(&g),
            serde_json::json!({"lte": [{"mcc": 242, "mnc": 1.0, "tac": 2305, "eci": 7}]})
        );
    }
}
