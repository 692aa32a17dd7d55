//! Our tokens verify with independent verifiers: jsonwebtoken's decoder, and PyJWT (run through
//! `$NRFCLOUD_PYTHON`, a Python with `pyjwt[crypto]`; `.ci/run` provides it).

use std::{path::PathBuf, process::Command, time::Duration};

use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use nrfcloud::auth::{ApplicationJwt, DeviceJwt, ExposeSecret, PrivateKey, ServiceJwt};
use serde_json::{Value, json};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/keys")
        .join(name)
}

fn key(name: &str) -> PrivateKey {
    PrivateKey::from_file(fixture(name)).unwrap()
}

fn public_pem(name: &str) -> Vec<u8> {
    std::fs::read(fixture(name)).unwrap()
}

const TEAM: &str = "a1b2c3d4-0000-4000-8000-000000000001";

struct Minted {
    token: String,
    algorithm: &'static str,
    public: &'static str,
    audience: Option<&'static str>,
}

fn minted() -> Vec<(&'static str, Minted)> {
    let device = DeviceJwt::new(key("ec-p256-sec1.pem"), "nrf-352656100123456")
        .unwrap()
        .token()
        .unwrap();
    let service = ServiceJwt::new(key("ec-p256-pkcs8.der"), TEAM)
        .unwrap()
        .device_id("nrf-352656100123456")
        .token()
        .unwrap();
    let app = ApplicationJwt::new(
        key("rsa-2048-pkcs8.pem"),
        "aaaaaaaa-bbbb-cccc-dddd-0123456789ab",
    )
    .unwrap()
    .ttl(Duration::from_secs(120))
    .token()
    .unwrap();
    vec![
        (
            "device",
            Minted {
                token: device.expose_secret().to_owned(),
                algorithm: "ES256",
                public: "ec-p256-public.pem",
                audience: None,
            },
        ),
        (
            "service",
            Minted {
                token: service.expose_secret().to_owned(),
                algorithm: "ES256",
                public: "ec-p256-public.pem",
                audience: Some(TEAM),
            },
        ),
        (
            "app",
            Minted {
                token: app.expose_secret().to_owned(),
                algorithm: "RS256",
                public: "rsa-2048-public.pem",
                audience: None,
            },
        ),
    ]
}

fn expected_claims(kind: &str, claims: &Value) {
    match kind {
        "device" => {
            assert_eq!(claims["sub"], "nrf-352656100123456");
            assert!(
                claims.get("aud").is_none(),
                "device tokens have no aud: {claims}"
            );
        }
        "service" => {
            assert_eq!(claims["aud"], TEAM);
            assert_eq!(claims["sub"], "nrf-352656100123456");
        }
        "app" => {
            assert_eq!(
                claims["application_id"],
                "aaaaaaaa-bbbb-cccc-dddd-0123456789ab"
            );
            assert_eq!(
                claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap(),
                120
            );
            assert_eq!(claims["nbf"], claims["iat"]);
            assert!(
                claims["jti"].as_str().is_some_and(|j| j.len() == 36),
                "{claims}"
            );
        }
        _ => unreachable!(),
    }
    assert!(claims["exp"].as_u64().unwrap() > claims["iat"].as_u64().unwrap());
}

#[test]
fn tokens_verify_with_jsonwebtoken() {
    for (kind, m) in minted() {
        let (algorithm, key) = match m.algorithm {
            "ES256" => (
                Algorithm::ES256,
                DecodingKey::from_ec_pem(&public_pem(m.public)).unwrap(),
            ),
            _ => (
                Algorithm::RS256,
                DecodingKey::from_rsa_pem(&public_pem(m.public)).unwrap(),
            ),
        };
        let mut validation = Validation::new(algorithm);
        if let Some(aud) = m.audience {
            validation.set_audience(&[aud]);
        }
        let data = jsonwebtoken::decode::<Value>(&m.token, &key, &validation)
            .unwrap_or_else(|e| panic!("{kind}: {e}"));
        assert_eq!(data.header.alg, algorithm, "{kind}");
        assert_eq!(data.header.typ.as_deref(), Some("JWT"), "{kind}");
        expected_claims(kind, &data.claims);
    }
}

/// RS256 is deterministic, so a token signed through our parsed-once key pair must be exactly
/// the token `jsonwebtoken::encode` makes from the same key, header and claims.
#[test]
fn rs256_tokens_are_byte_for_byte_what_jsonwebtoken_encode_makes() {
    let ours = ApplicationJwt::new(
        key("rsa-2048-pkcs8.pem"),
        "aaaaaaaa-bbbb-cccc-dddd-0123456789ab",
    )
    .unwrap()
    .subject("alice")
    .token()
    .unwrap();
    let ours = ours.expose_secret();
    let (message, _) = ours.rsplit_once('.').unwrap();
    let (header, _) = message.split_once('.').unwrap();
    let expected_header = jsonwebtoken::Header::new(Algorithm::RS256);
    let expected_header = base64::Engine::encode(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        serde_json::to_vec(&expected_header).unwrap(),
    );
    assert_eq!(header, expected_header);
    let _ = jsonwebtoken::crypto::CryptoProvider::install_default(
        &jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER,
    );
    let key = jsonwebtoken::EncodingKey::from_rsa_pem(&public_pem("rsa-2048-pkcs1.pem")).unwrap();
    let signature = jsonwebtoken::crypto::sign(message.as_bytes(), &key, Algorithm::RS256).unwrap();
    assert_eq!(ours, format!("{message}.{signature}"));
}

#[test]
fn a_token_does_not_verify_with_another_key() {
    let other = PrivateKey::from_file(fixture("ec-p256-with-params.pem")).unwrap();
    let token = DeviceJwt::new(other, "dev-1").unwrap().token().unwrap();
    let key = DecodingKey::from_ec_pem(&public_pem("ec-p256-public.pem")).unwrap();
    let result = jsonwebtoken::decode::<Value>(
        token.expose_secret(),
        &key,
        &Validation::new(Algorithm::ES256),
    );
    assert!(result.is_err());
}

/// `$NRFCLOUD_PYTHON`, or `None` (skip) outside CI; in CI its absence is a failure.
fn python() -> Option<String> {
    match std::env::var("NRFCLOUD_PYTHON") {
        Ok(p) if !p.is_empty() => Some(p),
        _ if std::env::var_os("CI").is_some() => {
            panic!(
                "CI is set but NRFCLOUD_PYTHON is not: .ci/run must provide a Python with pyjwt[crypto]"
            )
        }
        _ => {
            eprintln!(
                "skipped: set NRFCLOUD_PYTHON to a Python with pyjwt[crypto] to verify tokens with PyJWT"
            );
            None
        }
    }
}

const VERIFY: &str = r#"
import json, sys, jwt
token, public, alg, aud = sys.argv[1], open(sys.argv[2]).read(), sys.argv[3], sys.argv[4]
header = jwt.get_unverified_header(token)
claims = jwt.decode(token, public, algorithms=[alg], audience=aud or None,
                    options={"require": ["exp", "iat"]})
print(json.dumps({"header": header, "claims": claims}))
"#;

#[test]
fn tokens_verify_with_pyjwt() {
    let Some(python) = python() else { return };
    for (kind, m) in minted() {
        let out = Command::new(&python)
            .args(["-c", VERIFY, &m.token])
            .arg(fixture(m.public))
            .args([m.algorithm, m.audience.unwrap_or("")])
            .output()
            .expect("run NRFCLOUD_PYTHON");
        assert!(
            out.status.success(),
            "{kind}: PyJWT rejected the token: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let result: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(
            result["header"],
            json!({"alg": m.algorithm, "typ": "JWT"}),
            "{kind}"
        );
        expected_claims(kind, &result["claims"]);
    }
}
