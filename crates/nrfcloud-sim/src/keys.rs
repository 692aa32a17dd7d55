//! P-256 keys: reading the public keys that devices register (PEM public keys and
//! certificates), minting service keys and their tokens, and the keys and CSRs of simulated
//! devices.

use std::str::FromStr;

use chrono::Utc;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header};
use p256::{
    SecretKey,
    ecdsa::{DerSignature, SigningKey},
    elliptic_curve::sec1::ToEncodedPoint,
    pkcs8::{DecodePublicKey, EncodePrivateKey, LineEnding},
};
use serde::Serialize;
use x509_cert::{
    builder::{Builder, RequestBuilder},
    der::{DecodePem, EncodePem, referenced::OwnedToRef},
    name::Name,
};

use crate::seed::Seed;

/// A verification key from a PEM `PUBLIC KEY` or `CERTIFICATE` holding a P-256 key.
pub(crate) fn decoding_key_from_pem(pem: &str) -> Result<DecodingKey, String> {
    let key = if pem.contains("-----BEGIN PUBLIC KEY-----") {
        p256::PublicKey::from_public_key_pem(pem.trim())
            .map_err(|_| "the public key is not a P-256 (ES256) key".to_string())?
    } else if pem.contains("-----BEGIN CERTIFICATE-----") {
        let cert = x509_cert::Certificate::from_pem(pem.trim())
            .map_err(|_| "the certificate PEM does not parse".to_string())?;
        p256::PublicKey::try_from(cert.tbs_certificate.subject_public_key_info.owned_to_ref())
            .map_err(|_| "the certificate does not hold a P-256 (ES256) key".to_string())?
    } else {
        return Err("expected a PEM certificate or public key".into());
    };
    Ok(DecodingKey::from_ec_der(
        key.to_encoded_point(false).as_bytes(),
    ))
}

/// A P-256 secret key from 32 bytes of seed material; re-derives in the (negligible) case the
/// bytes are not a valid scalar.
fn secret_from(seed: &Seed, label: &str, mut index: u64) -> SecretKey {
    loop {
        if let Ok(key) = SecretKey::from_slice(&seed.bytes(label, index)) {
            return key;
        }
        index = index.wrapping_add(1 << 32);
    }
}

/// The private key a simulated device generates for a `cloudAccessKeyGeneration` command,
/// derived from the seed and the device id.
pub(crate) fn device_secret(seed: &Seed, device_id: &str) -> SecretKey {
    secret_from(seed, &format!("device-key/{device_id}"), 0)
}

/// PKCS#8 PEM of a secret key.
pub(crate) fn pkcs8_pem(key: &SecretKey) -> String {
    key.to_pkcs8_pem(LineEnding::LF)
        .expect("P-256 keys encode as PKCS#8")
        .to_string()
}

/// The verification key of a secret key.
pub(crate) fn decoding_key(key: &SecretKey) -> DecodingKey {
    DecodingKey::from_ec_der(key.public_key().to_encoded_point(false).as_bytes())
}

/// A new service key and its token, as GenerateServiceKeyAndToken returns them.
pub(crate) struct ServiceKey {
    /// SEC1 PEM (`BEGIN EC PRIVATE KEY`), the form nRF Cloud hands out.
    pub private_pem: String,
    /// ES256 JWT with `aud` = team id, valid one year.
    pub token: String,
    pub public: DecodingKey,
}

#[derive(Serialize)]
struct ServiceClaims<'a> {
    aud: &'a str,
    iat: i64,
    exp: i64,
}

pub(crate) fn service_key(random: [u8; 32], team_id: &str) -> ServiceKey {
    let mut bytes = random;
    let secret = loop {
        match SecretKey::from_slice(&bytes) {
            Ok(key) => break key,
            Err(_) => bytes[0] = bytes[0].wrapping_add(1),
        }
    };
    let private_pem = secret
        .to_sec1_pem(LineEnding::LF)
        .expect("P-256 keys encode as SEC1")
        .to_string();
    let encoding = EncodingKey::from_ec_pem(pkcs8_pem(&secret).as_bytes())
        .expect("a PKCS#8 P-256 key is an ES256 key");
    let now = Utc::now().timestamp();
    let claims = ServiceClaims {
        aud: team_id,
        iat: now,
        exp: now + 365 * 24 * 3600,
    };
    let token = jsonwebtoken::encode(&Header::new(Algorithm::ES256), &claims, &encoding)
        .expect("ES256 signing with a valid key succeeds");
    ServiceKey {
        private_pem,
        token,
        public: decoding_key(&secret),
    }
}

/// Checks CSR subject attributes (RFC 4514, e.g. `O=Nordic,C=no,CN=dev`).
pub(crate) fn check_subject(attributes: &str) -> Result<(), String> {
    Name::from_str(attributes)
        .map(drop)
        .map_err(|_| format!("invalid CSR attributes {attributes:?}"))
}

/// A PKCS#10 CSR (PEM) signed by `key`, for the subject `attributes` (RFC 4514, e.g.
/// `O=Nordic,CN=<id>`), or `CN=<device_id>` when none are given.
pub(crate) fn csr_pem(
    key: &SecretKey,
    attributes: Option<&str>,
    device_id: &str,
) -> Result<String, String> {
    let subject = match attributes.filter(|a| !a.trim().is_empty()) {
        Some(a) => Name::from_str(a).map_err(|_| format!("invalid CSR attributes {a:?}"))?,
        None => Name::from_str(&format!("CN={device_id}"))
            .map_err(|_| "the device id cannot be a common name".to_string())?,
    };
    let signer = SigningKey::from(key);
    let builder = RequestBuilder::new(subject, &signer).map_err(|e| e.to_string())?;
    let request = builder.build::<DerSignature>().map_err(|e| e.to_string())?;
    request.to_pem(LineEnding::LF).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use p256::pkcs8::EncodePublicKey;

    use super::*;

    #[test]
    fn public_key_pems_load_and_other_curves_do_not() {
        let secret = device_secret(&Seed::new(1), "nrf-1");
        let pem = secret
            .public_key()
            .to_public_key_pem(LineEnding::LF)
            .unwrap();
        assert!(decoding_key_from_pem(&pem).is_ok());
        assert!(decoding_key_from_pem("hello").is_err());
        assert!(
            decoding_key_from_pem("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")
                .is_err()
        );
    }

    #[test]
    fn csrs_are_pem() {
        let secret = device_secret(&Seed::new(1), "dev");
        let pem = csr_pem(&secret, Some("O=Nordic Semiconductor,C=no,CN=dev"), "dev").unwrap();
        assert!(pem.starts_with("-----BEGIN CERTIFICATE REQUEST-----"));
        assert!(csr_pem(&secret, Some("not a name"), "dev").is_err());
    }
}
