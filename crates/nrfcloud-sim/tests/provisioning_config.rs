//! Provisioning tags, commands and rules.

mod common;

use std::time::Duration;

use common::{Api, assert_error, send};
use nrfcloud_sim::Simulator;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

async fn post(api: &Api, path: &str, body: Value) -> (StatusCode, Value) {
    send(
        api.req(Method::POST, format!("{}/{path}", api.prov))
            .json(&body),
    )
    .await
}

#[tokio::test]
async fn tags_crud_on_both_paths() {
    let sim = Simulator::start().await.unwrap();
    let api = Api::new(&sim);
    let (status, tag) = post(
        &api,
        "claimed-devices/tags",
        json!({"tag": "lab", "description": "Lab devices"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{tag}");
    assert_eq!(tag["tag"], "lab");
    assert_eq!(tag["description"], "Lab devices");
    let (status, other) = post(&api, "provisioning/tags", json!({"tag": "field"})).await;
    assert_eq!(status, StatusCode::CREATED, "{other}");
    let (status, body) = post(&api, "provisioning/tags", json!({"tag": "lab"})).await;
    assert_error(status, &body, 409, 40900);
    let (status, body) = post(&api, "claimed-devices/tags", json!({"tag": "no spaces"})).await;
    assert_error(status, &body, 400, 40000);
    for path in ["claimed-devices/tags", "provisioning/tags"] {
        let (_, list) = api.get(format!("{}/{path}", api.prov)).await;
        let names: Vec<&str> = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["tag"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["lab", "field"], "{path}");
    }
    let id = tag["id"].as_str().unwrap();
    let (_, fetched) = api
        .get(format!("{}/claimed-devices/tags/{id}", api.prov))
        .await;
    assert_eq!(fetched, tag);

    // Renaming a tag renames it on the devices that carry it; deleting removes it.
    api.claim_json(&sim.claim_token(0), &["lab", "other"]).await;
    let device_url = format!("{}/claimed-devices/{}", api.prov, sim.device_facts(0).id);
    let (status, _) = send(
        api.req(
            Method::PUT,
            format!("{}/claimed-devices/tags/{id}", api.prov),
        )
        .json(&json!({"tag": "lab-2"})),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        api.get(device_url.clone()).await.1["tags"],
        json!(["lab-2", "other"])
    );
    let (status, _) = send(api.req(
        Method::DELETE,
        format!("{}/claimed-devices/tags/{id}", api.prov),
    ))
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(api.get(device_url).await.1["tags"], json!(["other"]));
    let (status, body) = api
        .get(format!("{}/claimed-devices/tags/{id}", api.prov))
        .await;
    assert_error(status, &body, 404, 40410);
}

async fn wait_command(api: &Api, device: &str, id: &str, want: &str) -> Value {
    for _ in 0..300 {
        let (status, command) = api
            .get(format!(
                "{}/claimed-devices/{device}/provisioning/{id}",
                api.prov
            ))
            .await;
        assert_eq!(status, StatusCode::OK, "{command}");
        if command["status"] == want {
            return command;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("command {id} never reached {want}");
}

#[tokio::test]
async fn commands_run_through_their_lifecycle_and_csrs_are_real() {
    // Steps long enough for a 10 ms poll to see each status.
    let sim = Simulator::builder()
        .step(Duration::from_millis(300))
        .start()
        .await
        .unwrap();
    let api = Api::new(&sim);
    let device = sim.device_facts(0).id;
    api.claim_json(&sim.claim_token(0), &[]).await;
    let request = json!({
        "description": "CSR",
        "request": {"certificateSigningRequest": {"secTag": 16842753, "attributes": format!("O=Nordic Semiconductor,C=no,CN={device}"), "keyUsage": "101010000"}}
    });
    let (status, created) = post(
        &api,
        &format!("claimed-devices/{device}/provisioning"),
        request,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().unwrap();
    let (_, first) = api
        .get(format!(
            "{}/claimed-devices/{device}/provisioning/{id}",
            api.prov
        ))
        .await;
    assert_eq!(first["status"], "PENDING");
    wait_command(&api, &device, id, "IN_PROGRESS").await;
    let done = wait_command(&api, &device, id, "SUCCEEDED").await;
    assert_eq!(done["description"], "CSR");
    let csr = done["response"]["certificateSigningRequest"]["csr"]
        .as_str()
        .unwrap();
    assert!(
        csr.starts_with("-----BEGIN CERTIFICATE REQUEST-----"),
        "{csr}"
    );
    let (_, list) = api
        .get(format!(
            "{}/claimed-devices/{device}/provisioning",
            api.prov
        ))
        .await;
    assert_eq!(list["items"][0]["id"], id);
    let (status, _) = send(api.req(
        Method::DELETE,
        format!("{}/claimed-devices/{device}/provisioning/{id}", api.prov),
    ))
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = api
        .get(format!(
            "{}/claimed-devices/{device}/provisioning/{id}",
            api.prov
        ))
        .await;
    assert_error(status, &body, 404, 40410);
}

#[tokio::test]
async fn a_blocked_device_keeps_its_commands_pending() {
    let sim = Simulator::builder()
        .step(Duration::from_millis(10))
        .start()
        .await
        .unwrap();
    let api = Api::new(&sim);
    let device = sim.device_facts(0).id;
    api.claim_json(&sim.claim_token(0), &[]).await;
    send(api.req(
        Method::POST,
        format!("{}/claimed-devices/{device}/block", api.prov),
    ))
    .await;
    let (_, created) = post(
        &api,
        &format!("claimed-devices/{device}/provisioning"),
        json!({"request": {"finished": {}}}),
    )
    .await;
    let id = created["id"].as_str().unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let (_, command) = api
        .get(format!(
            "{}/claimed-devices/{device}/provisioning/{id}",
            api.prov
        ))
        .await;
    assert_eq!(
        command["status"], "PENDING",
        "ten steps later, still pending while blocked"
    );
    send(api.req(
        Method::POST,
        format!("{}/claimed-devices/{device}/unblock", api.prov),
    ))
    .await;
    let done = wait_command(&api, &device, id, "SUCCEEDED").await;
    assert_eq!(done["response"]["finished"]["message"], "OK");
}

#[tokio::test]
async fn at_most_20_commands_per_device() {
    let sim = Simulator::start().await.unwrap();
    let api = Api::new(&sim);
    let device = sim.device_facts(0).id;
    api.claim_json(&sim.claim_token(0), &[]).await;
    let path = format!("claimed-devices/{device}/provisioning");
    for _ in 0..20 {
        let (status, _) = post(
            &api,
            &path,
            json!({"request": {"clientPrivateKeyGeneration": {"secTag": 1}}}),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED);
    }
    let (status, body) = post(&api, &path, json!({"request": {"finished": {}}})).await;
    assert_error(status, &body, 422, 42200);
    let (status, body) = post(&api, &path, json!({"request": {"reboot": {}}})).await;
    assert_error(status, &body, 400, 40000);
    let (_, page) = api.get(format!("{}/{path}?pageLimit=100", api.prov)).await;
    assert_eq!(page["items"].as_array().unwrap().len(), 20);
    let (status, body) = post(
        &api,
        "claimed-devices/00000000-0000-4000-8000-000000000000/provisioning",
        json!({"request": {"finished": {}}}),
    )
    .await;
    assert_error(status, &body, 404, 40410);
}

#[tokio::test]
async fn cloud_access_key_generation_onboards_the_device_for_jwts() {
    let sim = Simulator::builder()
        .step(Duration::from_millis(10))
        .start()
        .await
        .unwrap();
    let api = Api::new(&sim);
    let device = sim.device_facts(0).id;
    api.claim_json(&sim.claim_token(0), &[]).await;
    let (_, created) = post(
        &api,
        &format!("claimed-devices/{device}/provisioning"),
        json!({"request": {"cloudAccessKeyGeneration": {"secTag": 16842753}}}),
    )
    .await;
    wait_command(&api, &device, created["id"].as_str().unwrap(), "SUCCEEDED").await;
    let token = common::jwt(
        &sim.device_private_key_pem(&device),
        &json!({"sub": device, "exp": common::now() + 600}),
    );
    let (status, fetched) = send(
        api.http
            .get(format!("{}/devices/{device}", api.rest))
            .bearer_auth(token),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{fetched}");
    assert_eq!(fetched["id"], device);
}

fn rule(name: &str, active: bool, tags: &[&str]) -> Value {
    json!({
        "name": name,
        "description": "onboarding",
        "active": active,
        "commands": [
            {"request": {"clientPrivateKeyGeneration": {"secTag": 16842753}}},
            {"request": {"finished": {}}, "description": "done"}
        ],
        "tags": tags,
    })
}

#[tokio::test]
async fn rules_are_drafts_until_active_and_apply_to_new_claims() {
    let sim = Simulator::start().await.unwrap();
    let api = Api::new(&sim);
    let (status, draft) = post(
        &api,
        "provisioning-rules",
        rule("nRF Cloud Onboarding", false, &["onboard"]),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{draft}");
    assert_eq!(draft["status"], "DRAFT");
    let (status, body) = post(
        &api,
        "provisioning-rules",
        rule("nRF Cloud Onboarding", false, &[]),
    )
    .await;
    assert_error(status, &body, 409, 40900);
    let id = draft["id"].as_str().unwrap();
    let url = format!("{}/provisioning-rules/{id}", api.prov);

    // A draft rule does nothing on claim.
    api.claim_json(&sim.claim_token(0), &["onboard"]).await;
    let commands_of = |i: u64| {
        format!(
            "{}/claimed-devices/{}/provisioning",
            api.prov,
            sim.device_facts(i).id
        )
    };
    assert!(
        api.get(commands_of(0)).await.1["items"]
            .as_array()
            .unwrap()
            .is_empty()
    );

    // Activate it: new claims with the tag get its commands, others do not.
    let (status, _) = send(api.req(Method::PUT, url.clone()).json(&rule(
        "nRF Cloud Onboarding",
        true,
        &["onboard"],
    )))
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(api.get(url.clone()).await.1["status"], "ACTIVE");
    api.claim_json(&sim.claim_token(1), &["onboard"]).await;
    api.claim_json(&sim.claim_token(2), &["elsewhere"]).await;
    let (_, commands) = api.get(commands_of(1)).await;
    assert_eq!(commands["items"].as_array().unwrap().len(), 2, "{commands}");
    assert_eq!(commands["items"][1]["description"], "done");
    assert!(
        api.get(commands_of(2)).await.1["items"]
            .as_array()
            .unwrap()
            .is_empty()
    );

    // An active rule cannot be edited, only deactivated.
    let (status, body) = send(api.req(Method::PUT, url.clone()).json(&rule(
        "Renamed",
        true,
        &["onboard"],
    )))
    .await;
    assert_error(status, &body, 409, 40900);
    let (status, _) = send(api.req(Method::PUT, url.clone()).json(&rule(
        "nRF Cloud Onboarding",
        false,
        &["onboard"],
    )))
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = send(api.req(Method::PUT, url.clone()).json(&rule(
        "Renamed",
        false,
        &["onboard"],
    )))
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, list) = api.get(format!("{}/provisioning-rules", api.prov)).await;
    assert_eq!(list["items"][0]["name"], "Renamed");
    let (status, _) = send(api.req(Method::DELETE, url.clone())).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = api.get(url).await;
    assert_error(status, &body, 404, 40410);
    let (status, body) = post(
        &api,
        "provisioning-rules",
        json!({"name": "x", "commands": [{"request": {}}], "tags": []}),
    )
    .await;
    assert_error(status, &body, 400, 40000);
}
