//! Credentials: API keys per team, device JWTs and service-key JWTs where the document allows
//! them, and 401 for anything wrong, missing or expired.

mod common;

use common::{
    Api, assert_error, jwt, key, now, onboard_row, private_key_pem, public_key_pem, send,
};
use nrfcloud_sim::Simulator;
use p256::pkcs8::{EncodePrivateKey, LineEnding};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const DEVICE: &str = "nrf-352656100000042";

/// A simulator with one onboarded device whose public key is `key(DEVICE)`.
async fn with_device() -> (Simulator, Api) {
    let sim = Simulator::start().await.unwrap();
    let api = Api::new(&sim);
    let csv = [
        onboard_row(DEVICE, "", "", "", &public_key_pem(&key(DEVICE))),
        onboard_row("other-device", "", "", "", &public_key_pem(&key("other"))),
    ]
    .concat();
    assert_eq!(
        api.upload_and_wait("devices", csv).await["status"],
        "SUCCEEDED"
    );
    (sim, api)
}

async fn get_with(url: String, authorization: Option<&str>) -> (StatusCode, Value) {
    let mut request = common::http().get(url);
    if let Some(a) = authorization {
        request = request.header("authorization", a);
    }
    send(request).await
}

#[tokio::test]
async fn api_keys_are_required_and_checked() {
    let sim = Simulator::builder()
        .api_key("my-test-key")
        .start()
        .await
        .unwrap();
    assert_eq!(sim.api_key(), "my-test-key");
    let rest = format!("{}/v1/account", sim.rest_host());
    let prov = format!("{}/v1/claimed-devices", sim.provisioning_host());
    for url in [&rest, &prov] {
        for auth in [
            None,
            Some("Bearer wrong"),
            Some("Basic my-test-key"),
            Some("Bearer "),
            Some("my-test-key"),
        ] {
            let (status, body) = get_with(url.clone(), auth).await;
            assert_error(status, &body, 401, 40100);
            assert!(
                !body["message"].as_str().unwrap().contains("wrong"),
                "no credential echoed"
            );
        }
        assert_eq!(
            get_with(url.clone(), Some("Bearer my-test-key")).await.0,
            StatusCode::OK
        );
        assert_eq!(
            get_with(url.clone(), Some("bearer my-test-key")).await.0,
            StatusCode::OK
        );
    }
    let (_, account) = get_with(rest.clone(), Some("Bearer my-test-key")).await;
    assert_eq!(account["team"]["tenantId"], sim.team_id());
    let (_, other) = get_with(rest, Some(&format!("Bearer {}", sim.other_team_api_key()))).await;
    assert_eq!(other["team"]["tenantId"], sim.other_team_id());
    assert_ne!(sim.team_id(), sim.other_team_id());
}

#[tokio::test]
async fn default_keys_are_40_hex_and_derived_from_the_seed() {
    let a = Simulator::builder().seed(3).start().await.unwrap();
    let b = Simulator::builder().seed(3).start().await.unwrap();
    let c = Simulator::builder().seed(4).start().await.unwrap();
    assert_eq!(a.api_key().len(), 40);
    assert!(a.api_key().bytes().all(|b| b.is_ascii_hexdigit()));
    assert_eq!(a.api_key(), b.api_key());
    assert_eq!(a.team_id(), b.team_id());
    assert_ne!(a.api_key(), c.api_key());
    assert!(
        !format!("{a:?}").contains(a.api_key()),
        "Debug hides the key"
    );
    let clash = Simulator::builder()
        .seed(3)
        .api_key(a.other_team_api_key())
        .start()
        .await;
    assert!(clash.is_err());
    assert!(
        Simulator::builder()
            .api_key("has space")
            .start()
            .await
            .is_err()
    );
}

#[tokio::test]
async fn device_jwts_work_on_fetch_device_and_nowhere_else() {
    let (_sim, api) = with_device().await;
    let device_url = format!("{}/devices/{DEVICE}", api.rest);
    let token = jwt(
        &private_key_pem(&key(DEVICE)),
        &json!({"sub": DEVICE, "iat": now(), "exp": now() + 300}),
    );
    let bearer = format!("Bearer {token}");
    let (status, device) = get_with(device_url.clone(), Some(&bearer)).await;
    assert_eq!(status, StatusCode::OK, "{device}");
    assert_eq!(device["id"], DEVICE);
    // UpdateDeviceState accepts it too.
    let (status, _) = send(
        common::http()
            .patch(format!("{device_url}/state"))
            .header("authorization", &bearer)
            .json(&json!({"reported": {"temp": 21}})),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    // Not another device, not an API-key-only operation, not the provisioning API.
    let (status, body) =
        get_with(format!("{}/devices/other-device", api.rest), Some(&bearer)).await;
    assert_error(status, &body, 401, 40100);
    for url in [
        format!("{}/devices", api.rest),
        format!("{}/claimed-devices", api.prov),
    ] {
        let (status, body) = get_with(url, Some(&bearer)).await;
        assert_error(status, &body, 401, 40100);
        assert!(
            body["message"]
                .as_str()
                .unwrap()
                .contains("only an API key"),
            "{body}"
        );
    }
    // A modem JWT made with exp_delta 0 has no exp and no iat: accepted.
    let modem = jwt(&private_key_pem(&key(DEVICE)), &json!({"sub": DEVICE}));
    assert_eq!(
        get_with(device_url.clone(), Some(&format!("Bearer {modem}")))
            .await
            .0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn bad_device_jwts_are_401() {
    let (_sim, api) = with_device().await;
    let url = format!("{}/devices/{DEVICE}", api.rest);
    let own = private_key_pem(&key(DEVICE));
    let hs256 = jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        &json!({"sub": DEVICE, "exp": now() + 60}),
        &jsonwebtoken::EncodingKey::from_secret(b"secret"),
    )
    .unwrap();
    let cases = [
        (
            "expired",
            jwt(&own, &json!({"sub": DEVICE, "exp": now() - 3600})),
        ),
        (
            "wrong key",
            jwt(
                &private_key_pem(&key("intruder")),
                &json!({"sub": DEVICE, "exp": now() + 60}),
            ),
        ),
        ("no sub", jwt(&own, &json!({"exp": now() + 60}))),
        (
            "unknown device",
            jwt(&own, &json!({"sub": "nrf-000", "exp": now() + 60})),
        ),
        ("HS256", hs256),
        ("garbage", "a.b.c".to_string()),
    ];
    for (what, token) in cases {
        let (status, body) = get_with(url.clone(), Some(&format!("Bearer {token}"))).await;
        assert_error(status, &body, 401, 40100);
        assert!(
            !body["message"].as_str().unwrap().contains(&token),
            "{what}: token echoed"
        );
        if what == "expired" {
            assert!(
                body["message"].as_str().unwrap().contains("expired"),
                "{body}"
            );
        }
    }
}

#[tokio::test]
async fn service_key_jwts_act_for_the_team() {
    let (sim, api) = with_device().await;
    let (status, generated) = send(api.req(
        Method::POST,
        format!("{}/account/service-key-and-token", api.rest),
    ))
    .await;
    assert_eq!(status, StatusCode::OK, "{generated}");
    let sec1 = generated["key"].as_str().unwrap();
    assert!(
        sec1.starts_with("-----BEGIN EC PRIVATE KEY-----"),
        "nRF Cloud hands out SEC1"
    );
    let token = generated["token"].as_str().unwrap();
    let claims: Value = jsonwebtoken::dangerous::insecure_decode_claims(token).unwrap();
    assert_eq!(claims["aud"], sim.team_id());

    let device_url = format!("{}/devices/{DEVICE}", api.rest);
    assert_eq!(
        get_with(device_url.clone(), Some(&format!("Bearer {token}")))
            .await
            .0,
        StatusCode::OK
    );
    assert_eq!(
        get_with(
            format!("{}/devices/other-device", api.rest),
            Some(&format!("Bearer {token}"))
        )
        .await
        .0,
        StatusCode::OK,
        "without sub, a service JWT covers the team"
    );

    // Tokens we sign ourselves with the key: `sub` narrows them to one device.
    let pkcs8 = p256::SecretKey::from_sec1_pem(sec1)
        .unwrap()
        .to_pkcs8_pem(LineEnding::LF)
        .unwrap()
        .to_string();
    let narrow = jwt(
        &pkcs8,
        &json!({"aud": sim.team_id(), "sub": DEVICE, "exp": now() + 60}),
    );
    assert_eq!(
        get_with(device_url.clone(), Some(&format!("Bearer {narrow}")))
            .await
            .0,
        StatusCode::OK
    );
    let (status, body) = get_with(
        format!("{}/devices/other-device", api.rest),
        Some(&format!("Bearer {narrow}")),
    )
    .await;
    assert_error(status, &body, 401, 40100);
    let wrong_aud = jwt(
        &pkcs8,
        &json!({"aud": sim.other_team_id(), "exp": now() + 60}),
    );
    let (status, body) = get_with(device_url.clone(), Some(&format!("Bearer {wrong_aud}"))).await;
    assert_error(status, &body, 401, 40100);

    // A new service key replaces the old one.
    send(api.req(
        Method::POST,
        format!("{}/account/service-key-and-token", api.rest),
    ))
    .await;
    let (status, body) = get_with(device_url, Some(&format!("Bearer {token}"))).await;
    assert_error(status, &body, 401, 40100);
}
