//! Requests the documents forbid are rejected, as the service's request validation does, also
//! where the simulator ignores the value: the schema-violating requests schemathesis found
//! accepted (`.ci/schemathesis.sh`).

mod common;

use common::{Api, assert_error, send};
use nrfcloud_sim::Simulator;
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn list_filters_are_checked_as_the_document_types_them() {
    let sim = Simulator::start().await.unwrap();
    let api = Api::new(&sim);
    for query in [
        "includeStateMeta=null",
        "includeStateMeta=null&includeStateMeta=null",
        "bleFirmwareSupport=yes",
        "gatewayId=0.5",
        "deviceIds=a%20b",
        "firmwareSupport=APP&firmwareSupport=FIRMWARE",
        "firmwareSupportExclude=app",
        "deviceTypes=Tracker",
        "pageLimit=",
    ] {
        let (status, body) = api.get(format!("{}/devices?{query}", api.rest)).await;
        assert_error(status, &body, 400, 40000);
    }
    let ok = "includeStateMeta=true&bleFirmwareSupport=false&gatewayId=gw-1&deviceIds=nrf-1\
              &firmwareSupport=APP&firmwareSupportExclude=MODEM&deviceTypes=Generic&pageLimit=5";
    let (status, body) = api.get(format!("{}/devices?{ok}", api.rest)).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    for url in [
        format!("{}/bulk-ops-requests?pageLimit=", api.rest),
        format!("{}/claimed-devices?pageLimit=", api.prov),
        format!("{}/provisioning-rules?pageLimit=", api.prov),
    ] {
        let (status, body) = api.get(url).await;
        assert_error(status, &body, 400, 40000);
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn null_is_not_an_optional_string() {
    let sim = Simulator::start().await.unwrap();
    let api = Api::new(&sim);
    let create = |body| {
        send(
            api.req(Method::POST, format!("{}/claimed-devices/tags", api.prov))
                .json(&body),
        )
    };
    let (status, body) = create(json!({"tag": "lab", "description": null})).await;
    assert_error(status, &body, 400, 40000);
    let (status, body) = create(json!({"tag": "lab"})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let id = body["id"].as_str().unwrap().to_string();
    let (status, body) = send(
        api.req(
            Method::PUT,
            format!("{}/claimed-devices/tags/{id}", api.prov),
        )
        .json(&json!({"tag": "lab", "description": null})),
    )
    .await;
    assert_error(status, &body, 400, 40000);

    let rule = json!({"name": "r", "description": null, "commands": [], "tags": []});
    let (status, body) = send(
        api.req(Method::POST, format!("{}/provisioning-rules", api.prov))
            .json(&rule),
    )
    .await;
    assert_error(status, &body, 400, 40000);
    sim.shutdown().await;
}
