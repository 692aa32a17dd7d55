//! The quickstart's real-service steps (what `NRFCLOUD_API_KEY` runs), and the facade calls
//! behind them, against a local server that answers with responses captured from the live
//! service (`tests/fixtures/live/`) instead of the simulator's reconstruction.

mod common;

// The example's `main` and simulator path are not called here.
#[allow(dead_code)]
#[path = "../examples/quickstart.rs"]
mod quickstart;

use std::path::Path;

use common::{API_KEY, client};
use nrfcloud::devices::DeviceExt;
use serde_json::{Value, json};
use wiremock::{
    Mock, MockServer, Request, ResponseTemplate,
    matchers::{header, method, path},
};

fn capture(file: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/live")
        .join(file);
    serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap()
}

/// A server with the captured account, device list, claimed device and bulk operation; any
/// other request gets a 500 that names it.
async fn live_like() -> MockServer {
    let server = MockServer::start().await;
    let auth = format!("Bearer {API_KEY}");
    let routes = [
        (
            "/v1/account",
            capture("FetchAccountInfo.nrfcloud-api-helpers.json"),
        ),
        (
            "/v1/devices",
            capture("ListDevices.hello-backend-FOTA-feature-state.json"),
        ),
        (
            // The claiming guide's claimed device, as a page (no page was published).
            "/v1/claimed-devices",
            json!({"items": [capture(
                "ClaimDeviceOwnershipIdentities.nrfcloud-docs-claiming-guide.json"
            )]}),
        ),
        (
            "/v1/bulk-ops-requests/01G4ACS60SAEK1YNGSSJHBEET0",
            capture("FetchBulkOpsRequest.nrfcloud-docs-claiming-guide.json"),
        ),
    ];
    for (route, body) in routes {
        Mock::given(method("GET"))
            .and(path(route))
            .and(header("authorization", auth.as_str()))
            .respond_with(ResponseTemplate::new(200).set_body_json(body))
            .mount(&server)
            .await;
    }
    Mock::given(wiremock::matchers::any())
        .respond_with(|r: &Request| {
            ResponseTemplate::new(500).set_body_string(format!("unmatched {} {}", r.method, r.url))
        })
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn the_quickstart_s_real_steps_succeed_on_captured_responses() {
    let server = live_like().await;
    let mut out = Vec::new();
    quickstart::on_nrf_cloud(&client(&server), None, &mut out)
        .await
        .unwrap();
    let out = String::from_utf8(out).unwrap();
    let lines: Vec<&str> = out.lines().take(4).collect();
    assert_eq!(
        lines,
        [
            "Using nRF Cloud with NRFCLOUD_API_KEY.",
            "1. Team: b8b26bc5-2814-4063-b4fa-83ecddb2fec7",
            "2. Devices (first page): oob-352656108602296",
            "3. Claimed devices (first page): 1",
        ],
        "{out}"
    );
}

#[tokio::test]
async fn the_facade_calls_behind_them_read_the_captured_shapes() {
    let server = live_like().await;
    let client = client(&server);

    let account = client.account().get().send().await.unwrap();
    assert_eq!(account.user_id, None);
    assert_eq!(
        client.account().team_id().await.unwrap(),
        "b8b26bc5-2814-4063-b4fa-83ecddb2fec7"
    );

    let page = client.devices().list().send().await.unwrap();
    let ids: Vec<&str> = page.items().iter().map(|d| d.id()).collect();
    assert_eq!(ids, ["oob-352656108602296"]);

    let claimed = client
        .provisioning()
        .claimed_devices()
        .list()
        .send()
        .await
        .unwrap();
    assert_eq!(
        claimed.items()[0].id,
        "7b21b4bc-1cc9-41df-b05c-61b4605e5bb0"
    );

    let op = client
        .bulk_ops()
        .get("01G4ACS60SAEK1YNGSSJHBEET0")
        .send()
        .await
        .unwrap();
    assert_eq!((op.status.as_str(), op.endpoint), ("SUCCEEDED", None));
}
