//! REST devices: onboarding CSV, list and pagination, fetch with ETag, If-Match, tags, state,
//! delete, and key registration.

mod common;

use common::{Api, assert_error, certificate_pem, key, onboard_row, public_key_pem, send};
use nrfcloud_sim::Simulator;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// Onboards `n` devices `nrf-35265610000000{i}` with tags and returns their ids.
async fn onboard(api: &Api, n: usize, tags: &str) -> Vec<String> {
    let ids: Vec<String> = (0..n).map(|i| format!("nrf-3526561000{i:05}")).collect();
    let csv: String = ids
        .iter()
        .map(|id| onboard_row(id, "", tags, "APP|MODEM", &public_key_pem(&key(id))))
        .collect();
    let op = api.upload_and_wait("devices", csv).await;
    assert_eq!(op["status"], "SUCCEEDED", "{op}");
    assert_eq!(op["endpoint"], "ONBOARD_DEVICES");
    ids
}

#[tokio::test]
async fn onboarded_devices_are_listed_page_by_page() {
    let sim = Simulator::start().await.unwrap();
    let api = Api::new(&sim);
    let ids = onboard(&api, 23, "fleet|lab").await;
    let mut seen = Vec::new();
    let mut url = format!("{}/devices?pageLimit=10", api.rest);
    loop {
        let (status, page) = api.get(url.clone()).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        for d in page["items"].as_array().unwrap() {
            assert_eq!(d["type"], "Generic");
            assert_eq!(d["tags"], json!(["fleet", "lab"]));
            assert_eq!(d["tenantId"], sim.team_id());
            assert_eq!(d["firmware"]["supports"], json!(["APP", "MODEM"]));
            assert!(d.get("state").is_none(), "state only with includeState");
            seen.push(d["id"].as_str().unwrap().to_string());
        }
        match page["pageNextToken"].as_str() {
            Some(t) => url = format!("{}/devices?pageLimit=10&pageNextToken={t}", api.rest),
            None => break,
        }
    }
    assert_eq!(seen, ids);
    let (_, with_state) = api
        .get(format!(
            "{}/devices?includeState=true&pageLimit=1",
            api.rest
        ))
        .await;
    assert_eq!(with_state["items"][0]["state"]["version"], 1);
}

#[tokio::test]
async fn the_tag_filter_matches_any_tag() {
    let sim = Simulator::start().await.unwrap();
    let api = Api::new(&sim);
    let csv = [
        onboard_row("a", "", "red", "", &public_key_pem(&key("a"))),
        onboard_row("b", "", "blue|red", "", &public_key_pem(&key("b"))),
        onboard_row("c", "", "", "", &public_key_pem(&key("c"))),
    ]
    .concat();
    assert_eq!(
        api.upload_and_wait("devices", csv).await["status"],
        "SUCCEEDED"
    );
    let ids = |v: Value| -> Vec<String> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["id"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        ids(api.get(format!("{}/devices?tags=red", api.rest)).await.1),
        ["a", "b"]
    );
    assert_eq!(
        ids(api
            .get(format!("{}/devices?tags=blue&tags=none", api.rest))
            .await
            .1),
        ["b"]
    );
    assert_eq!(
        ids(api
            .get(format!("{}/devices?deviceIds=c&deviceIds=a", api.rest))
            .await
            .1),
        ["a", "c"]
    );
    let (_, account) = api.get(format!("{}/account", api.rest)).await;
    assert_eq!(account["tags"], json!(["blue", "red"]));
}

#[tokio::test]
async fn rename_with_if_match_and_412_when_stale() {
    let sim = Simulator::start().await.unwrap();
    let api = Api::new(&sim);
    let id = &onboard(&api, 1, "").await[0];
    let url = format!("{}/devices/{id}", api.rest);
    let response = api.req(Method::GET, url.clone()).send().await.unwrap();
    let etag = response.headers()["etag"].to_str().unwrap().to_string();
    let device: Value = response.json().await.unwrap();
    assert_eq!(etag, format!("\"{}\"", device["state"]["version"]));

    let rename = |name: &str, if_match: Option<&str>| {
        let mut request = api
            .req(Method::PUT, format!("{url}/name"))
            .json(&json!(name));
        if let Some(m) = if_match {
            request = request.header("if-match", m);
        }
        send(request)
    };
    let (status, _) = rename("kitchen", Some(&etag)).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    // The version moved on: the old ETag is stale now.
    let (status, body) = rename("garage", Some(&etag)).await;
    assert_error(status, &body, 412, 41200);
    let response = api.req(Method::GET, url.clone()).send().await.unwrap();
    let fresh = response.headers()["etag"].to_str().unwrap().to_string();
    assert_ne!(fresh, etag);
    let device: Value = response.json().await.unwrap();
    assert_eq!(device["name"], "kitchen");
    assert_eq!(rename("garage", Some(&fresh)).await.0, StatusCode::ACCEPTED);
    assert_eq!(
        rename("no precondition", None).await.0,
        StatusCode::ACCEPTED
    );
    // nrfcloud-utils sends a one-element array.
    let (status, _) = send(
        api.req(Method::PUT, format!("{url}/name"))
            .json(&json!(["utils"])),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert_eq!(api.get(url.clone()).await.1["name"], "utils");
    let (status, body) = rename("", None).await;
    assert_error(status, &body, 400, 40000);
}

#[tokio::test]
async fn tags_state_and_delete_honour_if_match() {
    let sim = Simulator::start().await.unwrap();
    let api = Api::new(&sim);
    let id = &onboard(&api, 1, "old").await[0];
    let url = format!("{}/devices/{id}", api.rest);
    let (status, _) = send(
        api.req(Method::PUT, format!("{url}/tags"))
            .header("if-match", "\"1\"")
            .json(&json!(["new", "x"])),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let (_, device) = api.get(url.clone()).await;
    assert_eq!(device["tags"], json!(["new", "x"]));
    assert_eq!(device["state"]["version"], 2);
    let (status, body) = send(
        api.req(Method::PUT, format!("{url}/tags"))
            .header("if-match", "1")
            .json(&json!(["y"])),
    )
    .await;
    assert_error(status, &body, 412, 41200);

    let (status, _) = send(api.req(Method::PATCH, format!("{url}/state")).json(
        &json!({"desired": {"led": {"on": true, "color": "red"}}, "reported": {"fw": "1.0"}}),
    ))
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    send(
        api.req(Method::PATCH, format!("{url}/state"))
            .json(&json!({"desired": {"led": {"color": null}}})),
    )
    .await;
    let (_, device) = api.get(url.clone()).await;
    assert_eq!(device["state"]["desired"], json!({"led": {"on": true}}));
    assert_eq!(device["state"]["reported"], json!({"fw": "1.0"}));

    let (status, body) = send(
        api.req(Method::DELETE, url.clone())
            .header("if-match", "\"1\""),
    )
    .await;
    assert_error(status, &body, 412, 41200);
    let (status, _) = send(api.req(Method::DELETE, url.clone())).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let (status, body) = api.get(url.clone()).await;
    assert_error(status, &body, 404, 40410);
    let (status, body) = send(api.req(Method::DELETE, url)).await;
    assert_error(status, &body, 404, 40410);
}

#[tokio::test]
async fn bad_onboarding_rows_land_in_the_error_summary() {
    let sim = Simulator::start().await.unwrap();
    let api = Api::new(&sim);
    let pem = public_key_pem(&key("k"));
    let no_newline = pem.trim_end().to_string();
    let csv = [
        onboard_row("good-1", "", "", "", &pem),
        onboard_row("bad/id", "", "", "", &pem),
        onboard_row("good-2", "jitp-apricity-gateway", "", "", &pem),
        onboard_row("fw", "", "", "APP|FLASH", &pem),
        onboard_row("nl", "", "", "", &no_newline),
        onboard_row("good-1", "", "", "", &pem),
        "short,row\n".to_string(),
        onboard_row("notpem", "", "", "", "hello\n"),
    ]
    .concat();
    let op = api.upload_and_wait("devices", csv).await;
    assert_eq!(op["status"], "FAILED");
    let summary: Value = common::http()
        .get(op["errorSummaryUrl"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let errors: Vec<&str> = summary["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_str().unwrap())
        .collect();
    let rows: Vec<&str> = errors
        .iter()
        .map(|e| e.split(':').next().unwrap())
        .collect();
    assert_eq!(
        rows,
        ["[1]", "[3]", "[4]", "[5]", "[6]", "[7]"],
        "{errors:?}"
    );
    assert!(errors[0].contains("invalid device id"));
    assert!(errors[1].contains("invalid firmware type \"FLASH\""));
    assert!(errors[2].contains("line break"));
    assert!(errors[3].contains("duplicate device id good-1"));
    assert!(errors[4].contains("expected 5 columns"));
    assert!(errors[5].contains("expected a PEM"));
    // The good rows were onboarded; "gateway" in the sub-type makes a Gateway.
    let (_, gateway) = api.get(format!("{}/devices/good-2", api.rest)).await;
    assert_eq!(gateway["type"], "Gateway");
    let (status, _) = api.get(format!("{}/devices/good-1", api.rest)).await;
    assert_eq!(status, StatusCode::OK);
    // Onboarding an existing device again fails for that row.
    let again = api
        .upload_and_wait("devices", onboard_row("good-1", "", "", "", &pem))
        .await;
    assert_eq!(again["status"], "FAILED");
}

#[tokio::test]
async fn malformed_uploads_are_rejected_at_once() {
    let sim = Simulator::start().await.unwrap();
    let api = Api::new(&sim);
    for (path, body) in [
        ("devices", Vec::new()),
        ("devices", b"{\"deviceId\": \"x\"}".to_vec()),
        ("devices/public-keys", b"id,\xff\xfe\n".to_vec()),
        ("devices/certificates", "a,b\n".repeat(1001).into_bytes()),
    ] {
        let (status, body) = send(
            api.req(Method::POST, format!("{}/{path}", api.rest))
                .body(body),
        )
        .await;
        assert_error(status, &body, 422, 42200);
    }
}

#[tokio::test]
async fn public_keys_and_certificates_replace_the_jwt_key() {
    let sim = Simulator::start().await.unwrap();
    let api = Api::new(&sim);
    let id = "nrf-352656100000001";
    let op = api
        .upload_and_wait(
            "devices",
            onboard_row(id, "", "", "", &certificate_pem(&key("first"), id)),
        )
        .await;
    assert_eq!(op["status"], "SUCCEEDED", "{op}");
    let fetch_with = |label: &str| {
        let token = common::jwt(
            &common::private_key_pem(&key(label)),
            &json!({"sub": id, "exp": common::now() + 60}),
        );
        send(
            api.http
                .get(format!("{}/devices/{id}", api.rest))
                .bearer_auth(token),
        )
    };
    assert_eq!(fetch_with("first").await.0, StatusCode::OK);
    assert_eq!(fetch_with("second").await.0, StatusCode::UNAUTHORIZED);

    let op = api
        .upload_and_wait(
            "devices/public-keys",
            format!("{id},\"{}\"\n", public_key_pem(&key("second"))),
        )
        .await;
    assert_eq!(op["status"], "SUCCEEDED", "{op}");
    assert_eq!(op["endpoint"], "REGISTER_PUBLIC_KEYS");
    assert_eq!(fetch_with("second").await.0, StatusCode::OK);
    assert_eq!(fetch_with("first").await.0, StatusCode::UNAUTHORIZED);

    let op = api
        .upload_and_wait(
            "devices/certificates",
            format!("{id},\"{}\"\n", certificate_pem(&key("third"), id)),
        )
        .await;
    assert_eq!(op["status"], "SUCCEEDED", "{op}");
    assert_eq!(op["endpoint"], "REGISTER_CERTIFICATES");
    assert_eq!(fetch_with("third").await.0, StatusCode::OK);

    // Keys for unknown devices, or of the wrong kind, fail their rows.
    let csv = format!(
        "nobody,\"{}\"\n{id},\"{}\"\n",
        public_key_pem(&key("x")),
        certificate_pem(&key("x"), id)
    );
    let op = api.upload_and_wait("devices/public-keys", csv).await;
    assert_eq!(op["status"], "FAILED");
}
