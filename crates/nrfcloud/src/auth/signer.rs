//! Signing with a key parsed once. jsonwebtoken's `encode` hands the key's DER to its backend,
//! which parses it again for every signature (`RsaKeyPair::from_der` alone costs more than an
//! RS256 signature). Here the aws-lc-rs key pair is built when the key is loaded and sits behind
//! jsonwebtoken's own `crypto::JwtSigner` trait; tokens are assembled exactly as
//! `jsonwebtoken::encode` assembles them (the interop tests check it byte for byte against
//! PyJWT).

use std::{fmt, sync::Arc};

use aws_lc_rs::{
    rand::SystemRandom,
    signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, RSA_PKCS1_SHA256, RsaKeyPair},
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, Header, crypto::JwtSigner};
use serde::Serialize;

use crate::error::AuthError;

/// A parsed signing key. aws-lc frees (and wipes) its key memory when the last clone drops.
#[derive(Clone)]
pub(crate) enum KeyPair {
    /// ES256.
    P256(Arc<EcdsaKeyPair>),
    /// RS256.
    Rsa(Arc<RsaKeyPair>),
}

impl fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            KeyPair::P256(_) => "KeyPair::P256",
            KeyPair::Rsa(_) => "KeyPair::Rsa",
        })
    }
}

impl KeyPair {
    /// From a PKCS#8 P-256 key.
    pub(crate) fn p256(pkcs8: &[u8]) -> Result<Self, String> {
        EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8)
            .map(|k| KeyPair::P256(Arc::new(k)))
            .map_err(|e| format!("aws-lc refused the P-256 key: {e}"))
    }

    /// From a SEC1 (RFC 5915) P-256 key.
    pub(crate) fn p256_sec1(der: &[u8]) -> Result<Self, String> {
        EcdsaKeyPair::from_private_key_der(&ECDSA_P256_SHA256_FIXED_SIGNING, der)
            .map(|k| KeyPair::P256(Arc::new(k)))
            .map_err(|e| format!("aws-lc refused the P-256 key: {e}"))
    }

    /// The public key's bytes, to tell keys apart in tests.
    #[cfg(test)]
    pub(crate) fn public_key(&self) -> Vec<u8> {
        use aws_lc_rs::signature::KeyPair as _;
        match self {
            KeyPair::P256(k) => k.public_key().as_ref().to_vec(),
            KeyPair::Rsa(k) => k.public_key().as_ref().to_vec(),
        }
    }

    /// From a PKCS#1 RSA key.
    pub(crate) fn rsa(pkcs1: &[u8]) -> Result<Self, String> {
        RsaKeyPair::from_der(pkcs1)
            .map(|k| KeyPair::Rsa(Arc::new(k)))
            .map_err(|e| format!("aws-lc refused the RSA key: {e}"))
    }
}

impl signature::Signer<Vec<u8>> for KeyPair {
    fn try_sign(&self, message: &[u8]) -> Result<Vec<u8>, signature::Error> {
        // aws-lc-rs ignores the generator it is given (it draws from aws-lc's own).
        let rng = SystemRandom::new();
        match self {
            KeyPair::P256(key) => key
                .sign(&rng, message)
                .map(|s| s.as_ref().to_vec())
                .map_err(signature::Error::from_source),
            KeyPair::Rsa(key) => {
                let mut signature = vec![0; key.public_modulus_len()];
                key.sign(&RSA_PKCS1_SHA256, &rng, message, &mut signature)
                    .map_err(signature::Error::from_source)?;
                Ok(signature)
            }
        }
    }
}

impl JwtSigner for KeyPair {
    fn algorithm(&self) -> Algorithm {
        match self {
            KeyPair::P256(_) => Algorithm::ES256,
            KeyPair::Rsa(_) => Algorithm::RS256,
        }
    }
}

/// `base64url(header).base64url(claims).base64url(signature)`, the header being jsonwebtoken's
/// `Header::new(alg)` (`{"typ":"JWT","alg":…}`), as `jsonwebtoken::encode` writes it.
pub(crate) fn encode(signer: &dyn JwtSigner, claims: &impl Serialize) -> Result<String, AuthError> {
    let failed = |e: serde_json::Error| AuthError::Signing(Box::new(e));
    let header = serde_json::to_vec(&Header::new(signer.algorithm())).map_err(failed)?;
    let claims = serde_json::to_vec(claims).map_err(failed)?;
    let mut token = String::with_capacity((header.len() + claims.len() + 512) * 4 / 3);
    URL_SAFE_NO_PAD.encode_string(header, &mut token);
    token.push('.');
    URL_SAFE_NO_PAD.encode_string(claims, &mut token);
    let signature = signer
        .try_sign(token.as_bytes())
        .map_err(|e| AuthError::Signing(Box::new(e)))?;
    token.push('.');
    URL_SAFE_NO_PAD.encode_string(signature, &mut token);
    Ok(token)
}
