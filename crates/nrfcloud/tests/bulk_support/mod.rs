//! Helpers of the bulk tests: clients for the simulator, generated inputs, server-side checks.

#![allow(dead_code)] // each test binary uses a different subset

use std::collections::HashSet;

use futures::TryStreamExt;
use nrfcloud::Client;
use nrfcloud_sim::Simulator;

/// A client for `sim`, as `Client::from_env()` would build it from `nrfcloud-sim serve`.
pub fn client(sim: &Simulator) -> Client {
    builder(sim).build().unwrap()
}

/// A client whose CSV claims go to `POST /claimed-devices/bulk` (answered with bulk operations).
pub fn bulk_endpoint_client(sim: &Simulator) -> Client {
    builder(sim).bulk_claim_endpoint(true).build().unwrap()
}

fn builder(sim: &Simulator) -> nrfcloud::ClientBuilder {
    Client::builder()
        .api_key(sim.api_key())
        .rest_host(sim.rest_host())
        .provisioning_host(sim.provisioning_host())
}

/// One token per line, no tags.
pub fn token_lines(tokens: &[String]) -> String {
    tokens.iter().map(|t| format!("{t}\n")).collect()
}

/// The ids of the devices the main team has claimed, read from the service.
pub async fn claimed_ids(client: &Client) -> HashSet<String> {
    client
        .provisioning()
        .claimed_devices()
        .list()
        .page_limit(100)
        .stream()
        .map_ok(|d| d.id)
        .try_collect()
        .await
        .unwrap()
}

/// The lines of the report's rows with this outcome name (`failed`, `invalid`, …).
pub fn lines_with(report: &nrfcloud::bulk::BulkReport, outcome: &str) -> Vec<u64> {
    report
        .rows
        .iter()
        .filter(|r| serde_json::to_value(&r.outcome).unwrap()["outcome"] == outcome)
        .map(|r| r.line)
        .collect()
}

/// The public key fixture (P-256), for onboarding and key registration rows.
pub fn public_key_pem() -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/keys/ec-p256-public.pem");
    std::fs::read_to_string(path).unwrap()
}
