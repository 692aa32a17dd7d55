//! What a claim token says about its device: the device id, so that a row can be matched with
//! the `claimedIds` of a synchronous bulk-claim answer.
//!
//! A real token's first part is a CBOR "device identity attestation" message: the self-describe
//! tag 55799 around an array `[msg type, device UUID (16 bytes), device type, firmware UUID,
//! nonce]` (nRF Connect SDK `modem_attest_token.c`). The simulator's first part is JSON
//! `{"id": "<uuid>", …}`. Anything else yields `None`, and the row is matched by other means.

use base64::{
    Engine,
    alphabet::URL_SAFE,
    engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig},
};
use ciborium::Value;

const BASE64URL: GeneralPurpose = GeneralPurpose::new(
    &URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// The device id (lower-case hyphenated UUID) a claim token names, when it can be read.
pub(crate) fn device_id(token: &str) -> Option<String> {
    let (first, _) = token.split_once('.')?;
    let bytes = BASE64URL.decode(first).ok()?;
    if bytes.first() == Some(&b'{') {
        #[derive(serde::Deserialize)]
        struct Facts {
            id: String,
        }
        let facts: Facts = serde_json::from_slice(&bytes).ok()?;
        return uuid::Uuid::try_parse(&facts.id).ok().map(|u| u.to_string());
    }
    let mut value: Value = ciborium::from_reader(bytes.as_slice()).ok()?;
    while let Value::Tag(_, inner) = value {
        value = *inner;
    }
    match value {
        Value::Array(items) => match items.get(1) {
            Some(Value::Bytes(id)) => uuid::Uuid::from_slice(id).ok().map(|u| u.to_string()),
            _ => None,
        },
        _ => None,
    }
}

/// A device id as the service may spell it, for comparison: lower case, without hyphens.
pub(crate) fn normalized(id: &str) -> String {
    id.chars()
        .filter(|c| *c != '-')
        .flat_map(char::to_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_cbor_attestation_message() {
        let uuid = uuid::Uuid::parse_str("50363154-3931-4d84-80a3-1a0d3a6a2b0c").unwrap();
        let message = Value::Tag(
            55799,
            Box::new(Value::Array(vec![
                Value::Integer(1.into()),
                Value::Bytes(uuid.as_bytes().to_vec()),
                Value::Integer(2.into()),
                Value::Bytes(vec![7; 16]),
                Value::Bytes(vec![1; 16]),
            ])),
        );
        let mut cbor = Vec::new();
        ciborium::into_writer(&message, &mut cbor).unwrap();
        let token = format!("{}.0oRDoQEmoQRBIfZY", BASE64URL.encode(&cbor));
        assert_eq!(
            device_id(&token).as_deref(),
            Some(uuid.to_string().as_str())
        );
    }

    #[test]
    fn reads_a_simulator_token() {
        let minter = nrfcloud_sim::tokens::Minter::new(3);
        assert_eq!(device_id(&minter.token(5)), Some(minter.facts(5).id));
    }

    #[test]
    fn anything_else_is_none() {
        for token in ["", "abc", "e30.AAAA", "!!!.AAAA", "oQ.AAAA"] {
            assert_eq!(device_id(token), None, "{token}");
        }
        assert_eq!(normalized("AB-cd"), "abcd");
    }
}
