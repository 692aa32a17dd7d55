//! Shared helpers of the HTTP tests: a client pointed at a wiremock server, canned bodies.

#![allow(dead_code)] // each test binary uses a different subset

use std::time::Duration;

use nrfcloud::{Client, retry::RetryPolicy};
use serde_json::{Value, json};
use wiremock::MockServer;

pub const API_KEY: &str = "0123456789abcdef0123456789abcdef01234567";
pub const TENANT: &str = "a1b2c3d4-0000-4000-8000-000000000001";

/// A client for `server` (both APIs) with the API key and fast retries.
pub fn client(server: &MockServer) -> Client {
    builder(server).api_key(API_KEY).build().unwrap()
}

pub fn builder(server: &MockServer) -> nrfcloud::ClientBuilder {
    Client::builder()
        .rest_host(server.uri())
        .provisioning_host(server.uri())
        .retry(
            RetryPolicy::default()
                .base_delay(Duration::from_millis(5))
                .max_delay(Duration::from_millis(20)),
        )
}

/// A device document as nRF Cloud returns it.
pub fn device(id: &str, name: &str, tags: &[&str], version: Option<u64>) -> Value {
    let mut meta =
        json!({"createdAt": "2024-01-02T03:04:05Z", "updatedAt": "2024-01-02T03:04:05Z"});
    if let Some(v) = version {
        meta["version"] = json!(v);
    }
    json!({
        "id": id,
        "name": name,
        "tags": tags,
        "tenantId": TENANT,
        "subType": "nrf9151",
        "type": "Generic",
        "$meta": meta
    })
}

#[cfg(feature = "jwt")]
pub fn key(name: &str) -> nrfcloud::auth::PrivateKey {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/keys")
        .join(name);
    nrfcloud::auth::PrivateKey::from_file(path).unwrap()
}
