//! Device state (merge semantics, `If-Match`, the retrying update, typed parts) and device
//! messages (send, time range, order, pages, filter rules) through the facade against the
//! simulator.

use std::{io::Cursor, time::Duration};

use chrono::{TimeDelta, Utc};
use futures::TryStreamExt;
use nrfcloud::{
    Client, device_state::StatePatch, error::ErrorKind, fota::FirmwareType, messages::SortOrder,
};
use nrfcloud_sim::Simulator;
use serde_json::json;

const DEVICE: &str = "nrf-352656100000001";

async fn setup() -> (Simulator, Client) {
    let sim = Simulator::builder()
        .seed(5)
        .step(Duration::from_millis(20))
        .start()
        .await
        .unwrap();
    let client = Client::builder()
        .rest_host(sim.rest_host())
        .provisioning_host(sim.provisioning_host())
        .api_key(sim.api_key())
        .build()
        .unwrap();
    let pem = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/keys/ec-p256-public.pem"
    ))
    .unwrap();
    let csv = format!("{DEVICE},nrf9151,,APP,\"{}\"\n", pem.trim_end());
    let report = client
        .onboarding()
        .bulk_csv(Cursor::new(csv))
        .poll_interval(Duration::from_millis(20))
        .wait()
        .await
        .unwrap();
    assert!(report.is_success(), "{report}");
    (sim, client)
}

fn invalid(e: nrfcloud::Error) -> String {
    match e.kind() {
        ErrorKind::InvalidRequest(i) => i.message().to_owned(),
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn state_updates_merge_delete_with_null_and_respect_if_match() {
    let (_sim, client) = setup().await;
    let devices = client.devices();
    devices
        .update_state(DEVICE)
        .desired(json!({"config": {"activeMode": true, "legacy": 1}, "led": "on"}))
        .send()
        .await
        .unwrap();
    let before = devices.state(DEVICE).await.unwrap();
    devices
        .update_state(DEVICE)
        .desired(json!({"config": {"legacy": null}, "bands": [3, 20]}))
        .send()
        .await
        .unwrap();
    let after = devices.state(DEVICE).await.unwrap();
    assert_eq!(
        serde_json::Value::Object(after.desired.clone()),
        json!({"config": {"activeMode": true}, "led": "on", "bands": [3, 20]})
    );
    assert_ne!(before.version(), after.version());

    // The version read before the second change is stale now.
    let stale = devices
        .update_state(DEVICE)
        .desired(json!({"led": "off"}))
        .if_match(before.version().unwrap())
        .send()
        .await
        .unwrap_err();
    assert!(stale.is_precondition_failed(), "{stale:?}");

    // The retrying update reads again when someone changed the state in between.
    let mut calls = 0;
    devices
        .update_state_with_retry(DEVICE, 3, |state| {
            calls += 1;
            if calls == 1 {
                // Another writer moves the version on while this one decides.
                let other = client.clone();
                std::thread::scope(|s| {
                    s.spawn(|| {
                        tokio::runtime::Runtime::new().unwrap().block_on(async {
                            other
                                .devices()
                                .update_state(DEVICE)
                                .desired(json!({"restarts": 10}))
                                .send()
                                .await
                                .unwrap();
                        })
                    });
                });
            }
            let n = state
                .desired_at("/restarts")
                .and_then(|v| v.as_u64())
                .unwrap_or(0);
            Some(StatePatch::desired(json!({"restarts": n + 1})))
        })
        .await
        .unwrap();
    assert_eq!(calls, 2, "the first attempt met a 412 and read again");
    let state = devices.state(DEVICE).await.unwrap();
    assert_eq!(state.desired_at("/restarts"), Some(&json!(11)));

    assert_eq!(
        invalid(
            devices
                .update_state(DEVICE)
                .desired(json!([1]))
                .send()
                .await
                .unwrap_err()
        ),
        "`desired` must be a JSON object, not [1]"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn reported_state_reads_through_the_typed_parts() {
    let (_sim, client) = setup().await;
    let devices = client.devices();
    devices
        .set_fota_support(DEVICE, &[FirmwareType::App, FirmwareType::Modem])
        .await
        .unwrap();
    devices
        .update_state(DEVICE)
        .reported(json!({"device": {
            "deviceInfo": {"appVersion": "1.4.0", "modemFirmware": "mfw_nrf91x1_2.0.2"},
            "networkInfo": {"networkMode": "LTE-M", "currentBand": 20}
        }}))
        .send()
        .await
        .unwrap();
    let state = devices.state(DEVICE).await.unwrap();
    assert_eq!(state.device_info().app_version.as_deref(), Some("1.4.0"));
    assert_eq!(
        state.device_info().modem_firmware.as_deref(),
        Some("mfw_nrf91x1_2.0.2")
    );
    assert_eq!(state.network_info().current_band.as_deref(), Some("20"));
    assert_eq!(
        state.fota_support(),
        [FirmwareType::App, FirmwareType::Modem]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn messages_are_listed_by_range_order_and_page() {
    let (sim, client) = setup().await;
    let now = Utc::now();
    let topic = format!("d/{DEVICE}/d2c");
    for h in [30, 20, 10] {
        sim.add_message(
            DEVICE,
            &topic,
            json!({"appId": "TEMP", "messageType": "DATA", "data": format!("{h}h ago")}),
            now - TimeDelta::hours(h),
        );
    }
    client
        .messages()
        .send(
            DEVICE,
            json!({"appId": "GNSS", "messageType": "DATA", "data": {"lat": 63.4}}),
        )
        .send()
        .await
        .unwrap();

    let data = |m: &nrfcloud::messages::Message| m.message["data"].clone();
    let newest_first: Vec<_> = client
        .messages()
        .list()
        .device_id(DEVICE)
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(
        newest_first.iter().map(data).collect::<Vec<_>>(),
        [
            json!({"lat": 63.4}),
            json!("10h ago"),
            json!("20h ago"),
            json!("30h ago")
        ]
    );
    assert_eq!(newest_first[0].app_id(), Some("GNSS"));
    assert_eq!(newest_first[0].topic.as_deref(), Some(topic.as_str()));

    // Start inclusive, end exclusive: exactly the 20 h message, oldest first, one per page.
    let start = now - TimeDelta::hours(20);
    let in_range: Vec<_> = client
        .messages()
        .list()
        .between(start, now - TimeDelta::hours(10))
        .sort(SortOrder::Ascending)
        .page_limit(1)
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(
        in_range.iter().map(data).collect::<Vec<_>>(),
        [json!("20h ago")]
    );
    let by_app: Vec<_> = client
        .messages()
        .list()
        .app_id("TEMP")
        .sort(SortOrder::Ascending)
        .page_limit(2)
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(
        by_app.iter().map(data).collect::<Vec<_>>(),
        [json!("30h ago"), json!("20h ago"), json!("10h ago")]
    );

    let e = client
        .messages()
        .list()
        .app_id("TEMP")
        .topic(&topic)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        invalid(e),
        "the service cannot filter messages by app id and topic together; filter by one and check the other"
    );
    let e = client
        .messages()
        .send(DEVICE, json!({"data": 1}))
        .topic("d/nrf-352656100000999/d2c")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        invalid(e),
        "topic \"d/nrf-352656100000999/d2c\" names device \"nrf-352656100000999\", not \"nrf-352656100000001\""
    );
}
