//! Attestation-like claim tokens for simulated devices.
//!
//! A real claim token is the output of `AT%ATTESTTOKEN`: two base64url parts joined by `.`, the
//! first describing the device, the second a COSE signature. The simulator's tokens have the same
//! outer shape:
//!
//! * part 1: base64url (no padding) of a JSON object with the device facts
//!   (`{"id":"<uuid>","imei":"35…","deviceType":"nrf9151_LACA","firmwareId":"<uuid>"}`);
//! * part 2: base64url (no padding) of an HMAC-SHA256 over part 1, keyed by the seed.
//!
//! Token `index` of seed `s` is the same in every run, so a CSV written by
//! `nrfcloud-sim tokens --seed s` is valid for any simulator started with seed `s`, and a token
//! edited by hand no longer verifies.
//!
//! ```
//! let minter = nrfcloud_sim::tokens::Minter::new(42);
//! let token = minter.token(0);
//! assert_eq!(token.split('.').count(), 2);
//! let facts = minter.facts(0);
//! assert_eq!(facts.imei.len(), 15);
//! assert!(facts.imei.starts_with("35"));
//! ```

use std::io;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::seed::{Seed, is_uuid};

/// Device type reported for every simulated device.
pub const DEVICE_TYPE: &str = "nrf9151_LACA";

/// Type allocation code of the simulated IMEIs (a Nordic nRF91 TAC).
const IMEI_TAC: &str = "35265610";

/// What a claim token says about its device; the claimed-device record is made from it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DeviceFacts {
    /// Device UUID (the claimed device's id).
    pub id: String,
    /// 15-digit IMEI with a valid Luhn check digit.
    pub imei: String,
    /// Device type, e.g. `nrf9151_LACA`.
    pub device_type: String,
    /// Modem firmware UUID.
    pub firmware_id: String,
}

/// Mints the claim tokens of one seed.
#[derive(Clone)]
pub struct Minter {
    seed: Seed,
    key: Hmac<Sha256>,
    imei_base: u64,
    firmware_id: String,
}

impl std::fmt::Debug for Minter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Minter")
            .field("seed", &self.seed.value())
            .finish_non_exhaustive()
    }
}

impl Minter {
    /// The minter for `seed`.
    pub fn new(seed: u64) -> Self {
        Self::from_seed(&Seed::new(seed))
    }

    pub(crate) fn from_seed(seed: &Seed) -> Self {
        let key = Hmac::<Sha256>::new_from_slice(&seed.bytes("claim-token-key", 0))
            .expect("HMAC takes keys of any length");
        Self {
            seed: seed.clone(),
            key,
            imei_base: seed.number("imei-base", 0) % 1_000_000,
            firmware_id: seed.uuid("modem-firmware", 0),
        }
    }

    /// The facts of device `index`.
    pub fn facts(&self, index: u64) -> DeviceFacts {
        let serial = (self.imei_base + index) % 1_000_000;
        let body = format!("{IMEI_TAC}{serial:06}");
        let imei = format!("{body}{}", luhn_digit(&body));
        DeviceFacts {
            id: self.seed.uuid("device", index),
            imei,
            device_type: DEVICE_TYPE.to_string(),
            firmware_id: self.firmware_id.clone(),
        }
    }

    /// The claim token of device `index`.
    pub fn token(&self, index: u64) -> String {
        self.token_for(&self.facts(index))
    }

    /// The first `count` tokens (indices `0..count`).
    pub fn tokens(&self, count: u64) -> Vec<String> {
        (0..count).map(|i| self.token(i)).collect()
    }

    fn token_for(&self, facts: &DeviceFacts) -> String {
        let json = serde_json::to_vec(facts).expect("facts serialize");
        let part1 = URL_SAFE_NO_PAD.encode(json);
        let part2 = URL_SAFE_NO_PAD.encode(self.sign(&part1));
        format!("{part1}.{part2}")
    }

    fn sign(&self, part1: &str) -> [u8; 32] {
        let mut mac = self.key.clone();
        mac.update(part1.as_bytes());
        mac.finalize().into_bytes().into()
    }

    /// Checks a token and returns its facts.
    pub(crate) fn verify(&self, token: &str) -> Result<DeviceFacts, TokenError> {
        let malformed = |m: &str| Err(TokenError::Malformed(format!("malformed claim token: {m}")));
        if token.is_empty() {
            return malformed("the token is empty");
        }
        let parts: Vec<&str> = token.split('.').collect();
        if parts.len() != 2 {
            return malformed(&format!(
                "expected two base64url parts joined by '.', found {} part(s)",
                parts.len()
            ));
        }
        let mut decoded = Vec::with_capacity(2);
        for (i, part) in parts.iter().enumerate() {
            match URL_SAFE_NO_PAD.decode(part) {
                Ok(bytes) if !bytes.is_empty() => decoded.push(bytes),
                Ok(_) => return malformed(&format!("part {} is empty", i + 1)),
                Err(_) => {
                    return malformed(&format!("part {} is not base64url without padding", i + 1));
                }
            }
        }
        let Ok(facts) = serde_json::from_slice::<DeviceFacts>(&decoded[0]) else {
            return malformed("part 1 does not describe a device");
        };
        if !is_uuid(&facts.id) || facts.imei.len() != 15 {
            return malformed("part 1 does not describe a device");
        }
        if decoded[1].len() != 32 {
            return malformed("part 2 is not a signature");
        }
        let mut mac = self.key.clone();
        mac.update(parts[0].as_bytes());
        mac.verify_slice(&decoded[1])
            .map_err(|_| TokenError::Forged)?;
        Ok(facts)
    }
}

/// Why a claim token was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TokenError {
    /// Not shaped like a claim token; the message names the problem.
    Malformed(String),
    /// Well-formed, but not signed with this seed's key.
    Forged,
}

/// Writes a claim CSV for tokens `0..count` of `seed`: no header, `\n` line ends, column 1 the
/// token, column 2 (only when `tags` is not empty) the comma-separated tags, quoted.
///
/// ```
/// let mut out = Vec::new();
/// nrfcloud_sim::tokens::write_claim_csv(&mut out, 0, 2, &["a".into(), "b".into()]).unwrap();
/// let text = String::from_utf8(out).unwrap();
/// assert_eq!(text.lines().count(), 2);
/// assert!(text.lines().all(|l| l.ends_with(",\"a,b\"")));
/// ```
pub fn write_claim_csv<W: io::Write>(
    out: W,
    seed: u64,
    count: u64,
    tags: &[String],
) -> Result<(), csv::Error> {
    let minter = Minter::new(seed);
    let mut writer = csv::WriterBuilder::new()
        .has_headers(false)
        .flexible(true)
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(out);
    let joined = tags.join(",");
    for index in 0..count {
        let token = minter.token(index);
        if tags.is_empty() {
            writer.write_record([token.as_str()])?;
        } else {
            writer.write_record([token.as_str(), joined.as_str()])?;
        }
    }
    writer.flush()?;
    Ok(())
}

/// The Luhn check digit of `digits` (the IMEI check digit).
fn luhn_digit(digits: &str) -> u32 {
    let sum: u32 = digits
        .chars()
        .rev()
        .filter_map(|c| c.to_digit(10))
        .enumerate()
        .map(|(i, d)| {
            if i % 2 == 0 {
                let d = d * 2;
                if d > 9 { d - 9 } else { d }
            } else {
                d
            }
        })
        .sum();
    (10 - sum % 10) % 10
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_verify_and_are_deterministic() {
        let m = Minter::new(1);
        assert_eq!(m.token(5), Minter::new(1).token(5));
        assert_ne!(m.token(5), m.token(6));
        assert_eq!(m.verify(&m.token(5)).unwrap(), m.facts(5));
        // Another seed's token is well-formed but forged here.
        assert_eq!(m.verify(&Minter::new(2).token(5)), Err(TokenError::Forged));
    }

    #[test]
    fn malformed_tokens_name_the_problem() {
        let m = Minter::new(1);
        let cases = [
            ("", "empty"),
            ("abc", "found 1 part(s)"),
            ("a.b.c", "found 3 part(s)"),
            ("a!.b", "part 1 is not base64url"),
            ("e30.", "part 2 is empty"),
            ("e30.AAAA", "part 1 does not describe a device"),
        ];
        for (token, needle) in cases {
            match m.verify(token) {
                Err(TokenError::Malformed(msg)) => {
                    assert!(msg.contains(needle), "{token:?}: {msg}")
                }
                other => panic!("{token:?}: {other:?}"),
            }
        }
        let good = m.token(0);
        let (part1, _) = good.split_once('.').unwrap();
        match m.verify(&format!("{part1}.AAAA")) {
            Err(TokenError::Malformed(msg)) => assert!(msg.contains("not a signature")),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn imeis_pass_the_luhn_check() {
        // 49015420323751 + check digit 8 is the classic example IMEI.
        assert_eq!(luhn_digit("49015420323751"), 8);
        let m = Minter::new(3);
        for i in 0..50 {
            let imei = m.facts(i).imei;
            assert_eq!(imei.len(), 15);
            assert_eq!(luhn_digit(&imei[..14]), imei[14..].parse::<u32>().unwrap());
        }
    }
}
