//! Deterministic positions: a fix is derived from a SHA-256 of what was measured (the serving
//! cells and their neighbours, or the access points' MAC addresses), so the same measurements
//! always give the same answer, whatever the seed.

use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::error::ApiError;

/// How a fix was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Method {
    /// Two or more Wi-Fi access points.
    Wifi,
    /// Several cells, or a cell with neighbour measurements.
    Mcell,
    /// One cell without neighbours.
    Scell,
}

impl Method {
    /// `fulfilledWith` / `serviceType`: `WIFI`, `MCELL`, `SCELL`, with `_EVAL` for fixes made
    /// with the service evaluation token.
    pub fn service_type(self, eval: bool) -> String {
        let name = match self {
            Method::Wifi => "WIFI",
            Method::Mcell => "MCELL",
            Method::Scell => "SCELL",
        };
        if eval {
            format!("{name}_EVAL")
        } else {
            name.to_owned()
        }
    }
}

/// A position: WGS-84 degrees and an uncertainty radius in metres.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Fix {
    pub lat: f64,
    pub lon: f64,
    pub uncertainty: f64,
}

/// `mnc`, a number or a string (`"02"`).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(crate) enum Mnc {
    Number(serde_json::Number),
    Text(String),
}

impl Mnc {
    /// The MNC as it enters the position: numeric forms (`2`, `"02"`, `2.0`) agree.
    pub fn normalized(&self) -> String {
        match self {
            Mnc::Number(n) => match n.as_f64() {
                Some(v) if v.fract() == 0.0 => format!("{}", v as i64),
                _ => n.to_string(),
            },
            Mnc::Text(t) => normalize_mnc(t),
        }
    }
}

/// [`Mnc::normalized`] of a query-string MNC.
pub(crate) fn normalize_mnc(raw: &str) -> String {
    raw.trim()
        .parse::<u64>()
        .map_or_else(|_| raw.to_owned(), |v| v.to_string())
}

/// A cell's identity: `mcc-mnc-tac-eci`.
pub(crate) fn cell_key(mcc: i64, mnc: &str, tac: i64, eci: i64) -> String {
    format!("{mcc}-{mnc}-{tac}-{eci}")
}

/// A MAC address as `aa:bb:cc:dd:ee:ff`; `Err(400)` unless it is six hex pairs separated by
/// `:` or `-`.
pub(crate) fn normalize_mac(mac: &str) -> Result<String, ApiError> {
    let pairs: Vec<&str> = mac.split([':', '-']).collect();
    let ok = pairs.len() == 6
        && pairs
            .iter()
            .all(|p| p.len() == 2 && p.bytes().all(|b| b.is_ascii_hexdigit()));
    if ok {
        Ok(pairs.join(":").to_ascii_lowercase())
    } else {
        Err(ApiError::bad_request(format!(
            "invalid macAddress {mac:?}: six hex pairs separated by ':' or '-'"
        )))
    }
}

/// The fix for `method` from the measurement `keys` (order does not matter), widened to the
/// 95 % radius when `hi_conf`.
pub(crate) fn locate(method: Method, keys: &[String], hi_conf: bool) -> Fix {
    let mut keys: Vec<&str> = keys.iter().map(String::as_str).collect();
    keys.sort_unstable();
    keys.dedup();
    let mut hasher = Sha256::new();
    hasher.update(b"nrfcloud-sim/location/");
    hasher.update(format!("{method:?}").as_bytes());
    for key in keys {
        hasher.update([0]);
        hasher.update(key.as_bytes());
    }
    let digest = hasher.finalize();
    let word = |i: usize| {
        let mut b = [0u8; 8];
        b.copy_from_slice(&digest[i * 8..i * 8 + 8]);
        u64::from_le_bytes(b)
    };
    // In units of 1e-4 degrees, so each coordinate prints with at most four decimals.
    let lat = (word(0) % 1_200_001) as i64 - 600_000;
    let lon = (word(1) % 3_600_001) as i64 - 1_800_000;
    // Uncertainty in millimetres: Wi-Fi 5-50 m with decimals, cells whole metres.
    let mut uncertainty_mm = match method {
        Method::Wifi => 5_000 + word(2) % 45_000,
        Method::Mcell => (300 + word(2) % 1_200) * 1_000,
        Method::Scell => (1_000 + word(2) % 2_000) * 1_000,
    };
    if hi_conf {
        uncertainty_mm = uncertainty_mm * 196 / 100;
    }
    Fix {
        lat: lat as f64 / 10_000.0,
        lon: lon as f64 / 10_000.0,
        uncertainty: uncertainty_mm as f64 / 1_000.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_deterministic_and_in_range() {
        let keys = vec!["a".to_owned(), "b".to_owned()];
        let fix = locate(Method::Wifi, &keys, false);
        let reversed = vec!["b".to_owned(), "a".to_owned()];
        assert_eq!(fix, locate(Method::Wifi, &reversed, false));
        assert!((-60.0..=60.0).contains(&fix.lat) && (-180.0..=180.0).contains(&fix.lon));
        assert!((5.0..50.0).contains(&fix.uncertainty));
        let wide = locate(Method::Wifi, &keys, true);
        assert!(wide.uncertainty > fix.uncertainty && wide.lat == fix.lat);
        assert_ne!(fix, locate(Method::Mcell, &keys, false));
    }

    #[test]
    fn macs_and_mncs_normalize() {
        assert_eq!(
            normalize_mac("AA-BB-cc-00-11-22").unwrap(),
            "aa:bb:cc:00:11:22"
        );
        assert!(normalize_mac("aa:bb:cc:00:11").is_err());
        assert!(normalize_mac("aa:bb:cc:00:11:2g").is_err());
        assert_eq!(normalize_mnc("02"), "2");
        let n: Mnc = serde_json::from_str("2").unwrap();
        let t: Mnc = serde_json::from_str("\"02\"").unwrap();
        assert_eq!(n.normalized(), t.normalized());
    }
}
