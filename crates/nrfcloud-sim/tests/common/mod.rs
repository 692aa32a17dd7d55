//! Helpers shared by the integration tests.
#![allow(dead_code)] // each test binary uses a different subset

use std::{str::FromStr, sync::Arc, time::Duration};

use nrfcloud_api::{Authorize, Inner, Operation, provisioning, rest};
use nrfcloud_sim::Simulator;
use p256::{
    SecretKey,
    ecdsa::{DerSignature, SigningKey},
    pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding},
};
use reqwest::{StatusCode, header::HeaderValue};
use serde_json::Value;
use sha2::{Digest, Sha256};
use x509_cert::{
    builder::{Builder, CertificateBuilder, Profile},
    der::EncodePem,
    name::Name,
    serial_number::SerialNumber,
    spki::SubjectPublicKeyInfoOwned,
    time::Validity,
};

/// Sends `Bearer <credential>` on every operation.
pub struct Bearer(pub String);

impl std::fmt::Debug for Bearer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Bearer(..)")
    }
}

impl Authorize for Bearer {
    fn authorize(&self, _: &Operation) -> Result<Option<HeaderValue>, String> {
        HeaderValue::from_str(&format!("Bearer {}", self.0))
            .map(Some)
            .map_err(|e| e.to_string())
    }
}

pub fn rest_client(sim: &Simulator, credential: &str) -> rest::Client {
    rest::Client::new_with_client(
        &format!("{}/v1", sim.rest_host()),
        http(),
        Inner::new().with_authorizer(Arc::new(Bearer(credential.to_string()))),
    )
}

pub fn provisioning_client(sim: &Simulator, credential: &str) -> provisioning::Client {
    provisioning::Client::new_with_client(
        &format!("{}/v1", sim.provisioning_host()),
        http(),
        Inner::new().with_authorizer(Arc::new(Bearer(credential.to_string()))),
    )
}

pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("reqwest client")
}

/// A plain HTTP helper bound to one simulator and one API key.
pub struct Api {
    pub http: reqwest::Client,
    pub rest: String,
    pub prov: String,
    pub key: String,
}

impl Api {
    pub fn new(sim: &Simulator) -> Self {
        Self::with_key(sim, sim.api_key())
    }

    pub fn with_key(sim: &Simulator, key: &str) -> Self {
        Self {
            http: http(),
            rest: format!("{}/v1", sim.rest_host()),
            prov: format!("{}/v1", sim.provisioning_host()),
            key: key.to_string(),
        }
    }

    pub fn req(&self, method: reqwest::Method, url: String) -> reqwest::RequestBuilder {
        self.http.request(method, url).bearer_auth(&self.key)
    }

    pub async fn get(&self, url: String) -> (StatusCode, Value) {
        send(self.req(reqwest::Method::GET, url)).await
    }

    pub async fn claim_json(&self, token: &str, tags: &[&str]) -> (StatusCode, Value) {
        send(
            self.req(
                reqwest::Method::POST,
                format!("{}/claimed-devices", self.prov),
            )
            .json(&serde_json::json!({"claimToken": token, "tags": tags})),
        )
        .await
    }

    pub async fn claim_csv(&self, csv: String) -> (StatusCode, Value) {
        send(
            self.req(
                reqwest::Method::POST,
                format!("{}/claimed-devices", self.prov),
            )
            .header("content-type", "text/csv")
            .body(csv),
        )
        .await
    }

    /// Uploads a CSV to a REST bulk endpoint (`devices`, `devices/public-keys`, …) and waits
    /// for the operation to finish.
    pub async fn upload_and_wait(&self, path: &str, csv: String) -> Value {
        let (status, body) = send(
            self.req(reqwest::Method::POST, format!("{}/{path}", self.rest))
                .header("content-type", "text/csv")
                .body(csv),
        )
        .await;
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
        self.wait_bulk(body["bulkOpsRequestId"].as_str().unwrap())
            .await
    }

    /// Polls a bulk operation until it is SUCCEEDED or FAILED.
    pub async fn wait_bulk(&self, id: &str) -> Value {
        for _ in 0..500 {
            let (status, op) = self
                .get(format!("{}/bulk-ops-requests/{id}", self.rest))
                .await;
            assert_eq!(status, StatusCode::OK, "{op}");
            if matches!(op["status"].as_str(), Some("SUCCEEDED" | "FAILED")) {
                return op;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("bulk operation {id} did not finish");
    }
}

/// Sends and decodes the JSON body (`Null` when empty).
pub async fn send(request: reqwest::RequestBuilder) -> (StatusCode, Value) {
    let response = request.send().await.expect("request sent");
    let status = response.status();
    let bytes = response.bytes().await.expect("body read");
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes)
            .unwrap_or_else(|e| panic!("{status}: body is not JSON ({e}): {bytes:?}"))
    };
    (status, body)
}

/// Asserts an nRF error body.
pub fn assert_error(status: StatusCode, body: &Value, want_status: u16, want_code: u64) {
    assert_eq!(status.as_u16(), want_status, "{body}");
    assert_eq!(body["code"].as_u64(), Some(want_code), "{body}");
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{body}"
    );
}

/// A P-256 key derived from `label` (deterministic, no RNG needed).
pub fn key(label: &str) -> SecretKey {
    SecretKey::from_slice(&Sha256::digest(label.as_bytes())).expect("a valid scalar")
}

pub fn public_key_pem(key: &SecretKey) -> String {
    key.public_key().to_public_key_pem(LineEnding::LF).unwrap()
}

pub fn private_key_pem(key: &SecretKey) -> String {
    key.to_pkcs8_pem(LineEnding::LF).unwrap().to_string()
}

/// A self-signed ES256 certificate for `key`.
pub fn certificate_pem(key: &SecretKey, cn: &str) -> String {
    let signer = SigningKey::from(key);
    let spki = SubjectPublicKeyInfoOwned::from_key(*signer.verifying_key()).unwrap();
    let builder = CertificateBuilder::new(
        Profile::Root,
        SerialNumber::from(1u32),
        Validity::from_now(Duration::from_secs(3600)).unwrap(),
        Name::from_str(&format!("CN={cn}")).unwrap(),
        spki,
        &signer,
    )
    .unwrap();
    builder
        .build::<DerSignature>()
        .unwrap()
        .to_pem(LineEnding::LF)
        .unwrap()
}

/// An ES256 JWT over `claims`, signed with a PKCS#8 PEM key.
pub fn jwt(private_pem: &str, claims: &Value) -> String {
    let key = jsonwebtoken::EncodingKey::from_ec_pem(private_pem.as_bytes()).unwrap();
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::ES256),
        claims,
        &key,
    )
    .unwrap()
}

/// Seconds since the epoch.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// One onboarding CSV row with a quoted PEM (newlines kept).
pub fn onboard_row(id: &str, sub_type: &str, tags: &str, fw: &str, pem: &str) -> String {
    format!("{id},{sub_type},{tags},{fw},\"{pem}\"\n")
}

/// A firmware bundle zip: `manifest.json` (as given) and the files.
pub fn bundle_zip(manifest: &Value, files: &[(&str, &[u8])]) -> Vec<u8> {
    use std::io::Write;
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default();
    w.start_file("manifest.json", options).unwrap();
    w.write_all(manifest.to_string().as_bytes()).unwrap();
    for (name, data) in files {
        w.start_file(*name, options).unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

/// An application bundle of one file, `app_update.bin`, holding `image`.
pub fn app_zip(fwversion: &str, image: &[u8]) -> Vec<u8> {
    bundle_zip(
        &serde_json::json!({
            "name": "Blinky",
            "description": "Blinks the LED",
            "fwversion": fwversion,
            "format-version": 1,
            "files": [{"file": "app_update.bin", "type": "application", "size": image.len()}],
        }),
        &[("app_update.bin", image)],
    )
}
