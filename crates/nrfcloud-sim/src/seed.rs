//! Everything the simulator derives from its seed: team ids, API keys, the claim-token key,
//! device facts. One HMAC-SHA256 keyed by the seed, with a label per use, so the values are
//! stable across runs and independent of each other.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use uuid::Uuid;

type HmacSha256 = Hmac<Sha256>;

/// A keyed derivation function over the simulator seed.
#[derive(Clone)]
pub(crate) struct Seed {
    value: u64,
    mac: HmacSha256,
}

impl std::fmt::Debug for Seed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Seed").field("value", &self.value).finish()
    }
}

impl Seed {
    pub fn new(value: u64) -> Self {
        let mut key = b"nrfcloud-sim/v1/".to_vec();
        key.extend_from_slice(&value.to_le_bytes());
        let mac = HmacSha256::new_from_slice(&key).expect("HMAC takes keys of any length");
        Self { value, mac }
    }

    /// The seed itself.
    pub fn value(&self) -> u64 {
        self.value
    }

    /// 32 pseudo-random bytes for `(label, index)`.
    pub fn bytes(&self, label: &str, index: u64) -> [u8; 32] {
        let mut mac = self.mac.clone();
        mac.update(label.as_bytes());
        mac.update(&[0]);
        mac.update(&index.to_le_bytes());
        mac.finalize().into_bytes().into()
    }

    /// A version-4-shaped UUID for `(label, index)`.
    pub fn uuid(&self, label: &str, index: u64) -> String {
        let bytes = self.bytes(label, index);
        let mut first = [0u8; 16];
        first.copy_from_slice(&bytes[..16]);
        uuid::Builder::from_random_bytes(first)
            .into_uuid()
            .hyphenated()
            .to_string()
    }

    /// `2 * n` lowercase hex characters for `(label, index)`, `n <= 32`.
    pub fn hex(&self, label: &str, index: u64, n: usize) -> String {
        self.bytes(label, index)[..n]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// A `u64` for `(label, index)`.
    pub fn number(&self, label: &str, index: u64) -> u64 {
        let bytes = self.bytes(label, index);
        u64::from_le_bytes(bytes[..8].try_into().expect("8 bytes"))
    }
}

/// Parses a UUID in any of the accepted spellings; used to validate ids from clients.
pub(crate) fn is_uuid(s: &str) -> bool {
    Uuid::try_parse(s).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derivations_are_stable_and_distinct() {
        let a = Seed::new(7);
        let b = Seed::new(7);
        let c = Seed::new(8);
        assert_eq!(a.hex("api-key", 0, 20), b.hex("api-key", 0, 20));
        assert_ne!(a.hex("api-key", 0, 20), c.hex("api-key", 0, 20));
        assert_ne!(a.hex("api-key", 0, 20), a.hex("api-key", 1, 20));
        assert_eq!(a.hex("api-key", 0, 20).len(), 40);
        assert!(is_uuid(&a.uuid("team", 0)));
        assert_eq!(
            Uuid::parse_str(&a.uuid("team", 0))
                .unwrap()
                .get_version_num(),
            4
        );
    }
}
