//! Private keys for signing tokens, loaded once from PEM or DER.
//!
//! Every accepted form (including the SEC1 `EC PRIVATE KEY` form nRF Cloud's device and service
//! keys often come in) is recognised here from its structure (the RustCrypto `der` parsers), so
//! that a key of the wrong kind or size gets an error that says what was found, and then parsed
//! once by aws-lc into the key pair that signs (`signer.rs`).
//!
//! Key material is wiped from memory when it is dropped: the key itself (aws-lc, like
//! BoringSSL, clears key memory before freeing it) and the buffers read or decoded on the way
//! (the file, a lossy text copy, the decoded PEM blocks). One copy is out of reach: the pem
//! crate's whitespace-free copy of a block's base64 text while it decodes it.

use std::{borrow::Cow, fmt, path::Path};

use pkcs8::{ObjectIdentifier, PrivateKeyInfo};

use zeroize::{ZeroizeOnDrop, Zeroizing};

use super::signer::KeyPair;
use crate::error::AuthError;

const ID_EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const PRIME256V1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");

/// Smallest RSA modulus accepted for RS256, in bits.
const MIN_RSA_BITS: usize = 2048;
/// Longer RSA keys are refused before they are checked: checking (and signing with) a
/// 16384-bit key takes seconds, and no nRF Cloud token needs one.
const MAX_RSA_BITS: usize = 8192;

/// What a [`PrivateKey`] is.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyType {
    /// An EC key on P-256 (prime256v1): signs ES256.
    P256,
    /// An RSA key of this many bits: signs RS256.
    Rsa {
        /// Modulus size in bits.
        bits: usize,
    },
}

impl fmt::Display for KeyType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyType::P256 => f.write_str("an EC P-256 key"),
            KeyType::Rsa { bits } => write!(f, "a {bits}-bit RSA key"),
        }
    }
}

/// A private key ready for signing. Its `Debug` output shows only its kind.
///
/// Accepted: SEC1 (`EC PRIVATE KEY`) and PKCS#8 (`PRIVATE KEY`) P-256 keys, PKCS#1
/// (`RSA PRIVATE KEY`) and PKCS#8 RSA keys of at least 2048 bits; as PEM (an `EC PARAMETERS`
/// block, as `openssl ecparam -genkey` writes, is skipped) or DER.
///
/// ```no_run
/// let key = nrfcloud::auth::PrivateKey::from_file("device-key.pem")?;
/// # Ok::<(), nrfcloud::auth::AuthError>(())
/// ```
#[derive(Clone)]
pub struct PrivateKey {
    kind: KeyType,
    key: KeyPair,
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PrivateKey")
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

/// The key's bytes are wiped when it is dropped.
impl ZeroizeOnDrop for PrivateKey {}

impl PrivateKey {
    /// Reads a PEM or DER key file.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, AuthError> {
        let path = path.as_ref();
        let bytes = Zeroizing::new(std::fs::read(path).map_err(|e| AuthError::InvalidKey {
            reason: format!("cannot read {}: {e}", path.display()),
        })?);
        Self::from_bytes(&bytes)
    }

    /// Parses a key given as PEM text or DER bytes (told apart by the `-----BEGIN` marker).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, AuthError> {
        let text = String::from_utf8_lossy(bytes);
        let key = if text.contains("-----BEGIN") {
            Self::from_pem(&text)
        } else {
            Self::from_der(bytes)
        };
        if let Cow::Owned(copy) = text {
            drop(Zeroizing::new(copy));
        }
        key
    }

    /// Parses PEM text.
    pub fn from_pem(pem_text: &str) -> Result<Self, AuthError> {
        let blocks = pem::parse_many(pem_text).map_err(|e| invalid(format!("bad PEM: {e}")))?;
        let key = Self::from_blocks(&blocks);
        for block in blocks {
            drop(Zeroizing::new(block.into_contents()));
        }
        key
    }

    fn from_blocks(blocks: &[pem::Pem]) -> Result<Self, AuthError> {
        let keys: Vec<&pem::Pem> = blocks
            .iter()
            .filter(|b| b.tag() != "EC PARAMETERS")
            .collect();
        let block = match keys.as_slice() {
            [one] => *one,
            [] => return Err(invalid("no PEM block found")),
            _ => {
                let tags: Vec<&str> = keys.iter().map(|b| b.tag()).collect();
                return Err(invalid(format!(
                    "expected one private key, found {} PEM blocks ({})",
                    keys.len(),
                    tags.join(", ")
                )));
            }
        };
        let der = block.contents();
        match block.tag() {
            "EC PRIVATE KEY" => from_sec1(der),
            "PRIVATE KEY" => from_pkcs8(der),
            "RSA PRIVATE KEY" => from_pkcs1(der),
            "ENCRYPTED PRIVATE KEY" => Err(invalid(
                "the key is encrypted; decrypt it first (`openssl pkey -in KEY -out PLAIN`)",
            )),
            tag @ ("PUBLIC KEY" | "EC PUBLIC KEY" | "RSA PUBLIC KEY" | "CERTIFICATE") => {
                Err(invalid(format!("the PEM holds a {tag}, not a private key")))
            }
            tag => Err(invalid(format!("unsupported PEM block `{tag}`"))),
        }
    }

    /// Parses DER bytes: PKCS#8, SEC1 or PKCS#1.
    pub fn from_der(der: &[u8]) -> Result<Self, AuthError> {
        if PrivateKeyInfo::try_from(der).is_ok() {
            return from_pkcs8(der);
        }
        if sec1::EcPrivateKey::try_from(der).is_ok() {
            return from_sec1(der);
        }
        if pkcs1::RsaPrivateKey::try_from(der).is_ok() {
            return from_pkcs1(der);
        }
        Err(invalid(
            "neither PEM nor a DER PKCS#8, SEC1 or PKCS#1 private key",
        ))
    }

    /// What the key is.
    pub fn kind(&self) -> &KeyType {
        &self.kind
    }

    /// The key for ES256, or a clear error when it is something else.
    pub(crate) fn es256(&self) -> Result<&KeyPair, AuthError> {
        match self.kind {
            KeyType::P256 => Ok(&self.key),
            _ => Err(AuthError::WrongKeyType {
                algorithm: "ES256",
                expected: "an EC P-256 (prime256v1) key",
                found: self.kind.to_string(),
            }),
        }
    }

    /// The key for RS256, or a clear error when it is something else.
    pub(crate) fn rs256(&self) -> Result<&KeyPair, AuthError> {
        match self.kind {
            KeyType::Rsa { .. } => Ok(&self.key),
            _ => Err(AuthError::WrongKeyType {
                algorithm: "RS256",
                expected: "an RSA key",
                found: self.kind.to_string(),
            }),
        }
    }
}

fn invalid(reason: impl Into<String>) -> AuthError {
    AuthError::InvalidKey {
        reason: reason.into(),
    }
}

fn curve_name(oid: ObjectIdentifier) -> String {
    match oid.to_string().as_str() {
        "1.3.132.0.34" => "an EC key on secp384r1 (P-384)".into(),
        "1.3.132.0.35" => "an EC key on secp521r1 (P-521)".into(),
        "1.3.132.0.10" => "an EC key on secp256k1".into(),
        other => format!("an EC key on curve {other}"),
    }
}

fn wrong_curve(oid: ObjectIdentifier) -> AuthError {
    AuthError::WrongKeyType {
        algorithm: "ES256",
        expected: "an EC P-256 (prime256v1) key",
        found: curve_name(oid),
    }
}

fn p256_key(key: Result<KeyPair, String>) -> Result<PrivateKey, AuthError> {
    Ok(PrivateKey {
        kind: KeyType::P256,
        key: key.map_err(invalid)?,
    })
}

fn from_sec1(der: &[u8]) -> Result<PrivateKey, AuthError> {
    let parsed =
        sec1::EcPrivateKey::try_from(der).map_err(|e| invalid(format!("bad SEC1 EC key: {e}")))?;
    if let Some(curve) = parsed.parameters.and_then(|p| p.named_curve())
        && curve != PRIME256V1
    {
        return Err(wrong_curve(curve));
    }
    p256_key(KeyPair::p256_sec1(der))
}

fn from_pkcs8(der: &[u8]) -> Result<PrivateKey, AuthError> {
    let info =
        PrivateKeyInfo::try_from(der).map_err(|e| invalid(format!("bad PKCS#8 key: {e}")))?;
    let algorithm = info.algorithm.oid;
    if algorithm == ID_EC_PUBLIC_KEY {
        let curve = info
            .algorithm
            .parameters_oid()
            .map_err(|e| invalid(format!("PKCS#8 EC key without a named curve: {e}")))?;
        if curve != PRIME256V1 {
            return Err(wrong_curve(curve));
        }
        p256_key(KeyPair::p256(der))
    } else if algorithm == RSA_ENCRYPTION {
        // A PKCS#8 RSA key wraps the PKCS#1 one.
        from_pkcs1(info.private_key)
    } else {
        let found = match algorithm.to_string().as_str() {
            "1.3.101.112" => "an Ed25519 key".to_string(),
            "1.3.101.113" => "an Ed448 key".to_string(),
            other => format!("a key of algorithm {other}"),
        };
        Err(invalid(format!(
            "{found}; only EC P-256 (ES256) and RSA (RS256) keys can sign nRF Cloud tokens"
        )))
    }
}

/// Checks an RSA key's size from its PKCS#1 structure alone, before aws-lc's costly
/// consistency checks: at least [`MIN_RSA_BITS`], at most [`MAX_RSA_BITS`]. Its bits.
fn check_rsa_size(parsed: &pkcs1::RsaPrivateKey<'_>) -> Result<usize, AuthError> {
    let modulus = parsed.modulus.as_bytes();
    let leading = modulus.iter().take_while(|b| **b == 0).count();
    let significant = &modulus[leading..];
    let bits = match significant.first() {
        Some(top) => (significant.len() - 1) * 8 + (8 - top.leading_zeros() as usize),
        None => 0,
    };
    if bits > MAX_RSA_BITS {
        return Err(invalid(format!(
            "the RSA key has {bits} bits; at most {MAX_RSA_BITS} are accepted (RS256 needs 2048)"
        )));
    }
    if bits < MIN_RSA_BITS {
        return Err(invalid(format!(
            "the RSA key has {bits} bits; RS256 needs at least {MIN_RSA_BITS}"
        )));
    }
    Ok(bits)
}

fn from_pkcs1(der: &[u8]) -> Result<PrivateKey, AuthError> {
    let parsed = pkcs1::RsaPrivateKey::try_from(der)
        .map_err(|e| invalid(format!("bad PKCS#1 RSA key: {e}")))?;
    let bits = check_rsa_size(&parsed)?;
    Ok(PrivateKey {
        kind: KeyType::Rsa { bits },
        key: KeyPair::rsa(der).map_err(invalid)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    macro_rules! fixture {
        ($name:literal) => {
            include_bytes!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/fixtures/keys/",
                $name
            ))
        };
    }

    fn load(bytes: &[u8]) -> Result<PrivateKey, AuthError> {
        PrivateKey::from_bytes(bytes)
    }

    #[test]
    fn every_p256_form_loads() {
        for (name, bytes) in [
            ("sec1 pem", &fixture!("ec-p256-sec1.pem")[..]),
            ("sec1 der", &fixture!("ec-p256-sec1.der")[..]),
            ("pkcs8 pem", &fixture!("ec-p256-pkcs8.pem")[..]),
            ("pkcs8 der", &fixture!("ec-p256-pkcs8.der")[..]),
            ("with params", &fixture!("ec-p256-with-params.pem")[..]),
        ] {
            let key = load(bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(key.kind(), &KeyType::P256, "{name}");
            assert!(key.es256().is_ok(), "{name}");
        }
    }

    #[test]
    fn sec1_and_pkcs8_forms_give_the_same_key() {
        let a = load(fixture!("ec-p256-sec1.pem")).unwrap();
        let b = load(fixture!("ec-p256-pkcs8.der")).unwrap();
        assert_eq!(a.key.public_key(), b.key.public_key());
        assert_eq!(a.key.public_key().len(), 65, "an uncompressed P-256 point");
    }

    #[test]
    fn every_rsa_form_loads() {
        for (name, bytes) in [
            ("pkcs1 pem", &fixture!("rsa-2048-pkcs1.pem")[..]),
            ("pkcs1 der", &fixture!("rsa-2048-pkcs1.der")[..]),
            ("pkcs8 pem", &fixture!("rsa-2048-pkcs8.pem")[..]),
        ] {
            let key = load(bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(key.kind(), &KeyType::Rsa { bits: 2048 }, "{name}");
            assert!(key.rs256().is_ok(), "{name}");
        }
    }

    #[test]
    fn wrong_types_get_clear_errors() {
        let rsa = load(fixture!("rsa-2048-pkcs1.pem")).unwrap();
        let e = rsa.es256().unwrap_err().to_string();
        assert_eq!(
            e,
            "wrong key type: ES256 needs an EC P-256 (prime256v1) key, but the key is a 2048-bit RSA key"
        );
        let ec = load(fixture!("ec-p256-sec1.pem")).unwrap();
        let e = ec.rs256().unwrap_err().to_string();
        assert_eq!(
            e,
            "wrong key type: RS256 needs an RSA key, but the key is an EC P-256 key"
        );

        let e = load(fixture!("ec-p384-sec1.pem")).unwrap_err().to_string();
        assert!(e.contains("secp384r1"), "{e}");
        let e = load(fixture!("ed25519-pkcs8.pem")).unwrap_err().to_string();
        assert!(e.contains("Ed25519"), "{e}");
        let e = load(fixture!("rsa-1024-pkcs1.pem"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("1024 bits"), "{e}");
        let e = load(fixture!("ec-p256-encrypted.pem"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("encrypted"), "{e}");
        let e = load(fixture!("ec-p256-public.pem"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("PUBLIC KEY, not a private key"), "{e}");
        let e = load(b"not a key").unwrap_err().to_string();
        assert!(e.contains("neither PEM nor"), "{e}");
        let e = PrivateKey::from_file("/nonexistent/key.pem")
            .unwrap_err()
            .to_string();
        assert!(e.contains("cannot read /nonexistent/key.pem"), "{e}");
    }

    /// Compiles only while `PrivateKey` promises to wipe its bytes on drop.
    #[test]
    fn a_key_is_wiped_when_dropped() {
        fn wiped_on_drop<T: ZeroizeOnDrop>(_: &T) {}
        wiped_on_drop(&load(fixture!("ec-p256-sec1.pem")).unwrap());
    }

    #[test]
    fn debug_shows_only_the_kind() {
        let key = load(fixture!("ec-p256-sec1.pem")).unwrap();
        let debug = format!("{key:?}");
        assert_eq!(debug, "PrivateKey { kind: P256, .. }");
    }
}
