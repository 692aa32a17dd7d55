//! Location Services: the credential matrix (JWTs, the evaluation token, OATs, no API key),
//! ground fix (both `wifi` forms), single cell, A-GNSS ranges and HEAD, P-GPS links and their
//! unauthenticated download, and location history.

mod common;

use chrono::{TimeDelta, Utc};
use common::{
    Api, assert_error, jwt, key, now, onboard_row, private_key_pem, public_key_pem, send,
};
use nrfcloud_sim::Simulator;
use p256::pkcs8::{EncodePrivateKey, LineEnding};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

fn aps() -> Value {
    json!([
        {"macAddress": "40:01:7a:c9:10:22", "signalStrength": -58, "channel": 6, "ssid": "lab"},
        {"macAddress": "40-01-7A-C9-10-23", "signalStrength": -72}
    ])
}

fn cell() -> Value {
    json!({"mcc": 242, "mnc": 1, "eci": 33703712, "tac": 2305})
}

/// The main team's service key as PKCS#8 PEM.
async fn service_key(api: &Api) -> String {
    let (status, generated) = send(api.req(
        Method::POST,
        format!("{}/account/service-key-and-token", api.rest),
    ))
    .await;
    assert_eq!(status, StatusCode::OK, "{generated}");
    p256::SecretKey::from_sec1_pem(generated["key"].as_str().unwrap())
        .unwrap()
        .to_pkcs8_pem(LineEnding::LF)
        .unwrap()
        .to_string()
}

async fn eval_token(api: &Api) -> String {
    let (status, body) = send(api.req(
        Method::POST,
        format!("{}/account/service-evaluation-token", api.rest),
    ))
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["token"].as_str().unwrap().to_owned()
}

fn ground_fix(api: &Api, url: &str, credential: &str, body: &Value) -> reqwest::RequestBuilder {
    api.http
        .post(format!("{url}/location/ground-fix"))
        .bearer_auth(credential)
        .json(body)
}

#[tokio::test]
async fn credentials_of_location_services() {
    let sim = Simulator::start().await.unwrap();
    let api = Api::new(&sim);
    let rest = api.rest.clone();
    let wifi = json!({"wifi": aps()});

    // No API key on location operations.
    let (status, body) = send(ground_fix(&api, &rest, sim.api_key(), &wifi)).await;
    assert_error(status, &body, 401, 40100);
    let (status, body) = send(ground_fix(&api, &rest, "garbage", &wifi)).await;
    assert_error(status, &body, 401, 40100);
    let (status, body) = send(
        api.http
            .post(format!("{rest}/location/ground-fix"))
            .json(&wifi),
    )
    .await;
    assert_error(status, &body, 401, 40100);

    // The evaluation token: 404 before it is generated, then the same token on every read.
    let (status, body) = api
        .get(format!("{rest}/account/service-evaluation-token"))
        .await;
    assert_error(status, &body, 404, 40410);
    let eval = eval_token(&api).await;
    assert_eq!(eval_token(&api).await, eval);
    let (status, body) = api
        .get(format!("{rest}/account/service-evaluation-token"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["token"], eval.as_str());
    assert!(body["expires"].as_str().unwrap().ends_with('Z'), "{body}");
    let (status, fix) =
        send(ground_fix(&api, &rest, &eval, &wifi).header("x-custom-device-id", "proxy-dev-1"))
            .await;
    assert_eq!(status, StatusCode::OK, "{fix}");
    assert_eq!(fix["fulfilledWith"], "WIFI_EVAL");
    let (status, fix) = send(ground_fix(&api, &rest, &eval, &json!({"lte": [cell()]}))).await;
    assert_eq!(
        (status, &fix["fulfilledWith"]),
        (StatusCode::OK, &json!("SCELL_EVAL"))
    );
    // History does not take the evaluation token.
    let (status, body) = send(
        api.http
            .get(format!("{rest}/location/history"))
            .bearer_auth(&eval),
    )
    .await;
    assert_error(status, &body, 401, 40100);

    // Service-key JWTs: `sub` names the device (and wins over the header); without it the
    // header does; with neither nothing is recorded.
    let pkcs8 = service_key(&api).await;
    let with_sub = jwt(
        &pkcs8,
        &json!({"aud": sim.team_id(), "sub": "sub-dev", "iat": now()}),
    );
    let (status, fix) = send(
        ground_fix(&api, &rest, &with_sub, &json!({"lte": [cell()]}))
            .header("x-custom-device-id", "ignored-dev"),
    )
    .await;
    assert_eq!(
        (status, &fix["fulfilledWith"]),
        (StatusCode::OK, &json!("SCELL"))
    );
    let team_wide = jwt(&pkcs8, &json!({"aud": sim.team_id(), "exp": now() + 60}));
    let (status, fix) = send(
        ground_fix(&api, &rest, &team_wide, &json!({"lte": [cell(), cell()]}))
            .header("x-custom-device-id", "header-dev"),
    )
    .await;
    assert_eq!(
        (status, &fix["fulfilledWith"]),
        (StatusCode::OK, &json!("MCELL"))
    );
    let (status, _) = send(ground_fix(&api, &rest, &team_wide, &wifi)).await;
    assert_eq!(status, StatusCode::OK);
    let other_team = jwt(&pkcs8, &json!({"aud": sim.other_team_id()}));
    let (status, body) = send(ground_fix(&api, &rest, &other_team, &wifi)).await;
    assert_error(status, &body, 401, 40100);

    // A device JWT: the device's own history.
    let op = api
        .upload_and_wait(
            "devices",
            onboard_row("nrf-jwt-1", "", "", "", &public_key_pem(&key("nrf-jwt-1"))),
        )
        .await;
    assert_eq!(op["status"], "SUCCEEDED", "{op}");
    let device = jwt(
        &private_key_pem(&key("nrf-jwt-1")),
        &json!({"sub": "nrf-jwt-1"}),
    );
    let with_nmr = json!({"lte": [{"mcc": 242, "mnc": "01", "eci": 33703712, "tac": 2305,
        "nmr": [{"earfcn": 6300, "pci": 194, "rsrp": -97}]}]});
    let (status, fix) = send(ground_fix(&api, &rest, &device, &with_nmr)).await;
    assert_eq!(
        (status, &fix["fulfilledWith"]),
        (StatusCode::OK, &json!("MCELL"))
    );

    // The OAT form: only the OAT, only for the simulator's organization and project.
    assert_eq!(
        (sim.organization(), sim.project()),
        ("sim-org", "sim-project")
    );
    let oat = sim.organization_token().to_owned();
    assert!(oat.starts_with("oat_") && oat.len() == 52, "{oat}");
    let org_url = format!("{rest}/organizations/sim-org/projects/sim-project");
    let (status, oat_fix) =
        send(ground_fix(&api, &org_url, &oat, &wifi).header("x-custom-device-id", "oat-dev")).await;
    assert_eq!(
        (status, &oat_fix["fulfilledWith"]),
        (StatusCode::OK, &json!("WIFI"))
    );
    let (status, body) = send(ground_fix(&api, &rest, &oat, &wifi)).await;
    assert_error(status, &body, 401, 40100);
    for credential in [sim.api_key(), eval.as_str(), team_wide.as_str()] {
        let (status, body) = send(ground_fix(&api, &org_url, credential, &wifi)).await;
        assert_error(status, &body, 401, 40100);
    }
    let unknown = format!("{rest}/organizations/other-org/projects/sim-project");
    let (status, body) = send(ground_fix(&api, &unknown, &oat, &wifi)).await;
    assert_error(status, &body, 404, 40410);
    let (status, body) = send(
        api.http
            .get(format!("{org_url}/location/history?deviceId=oat-dev"))
            .bearer_auth(&oat),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["items"][0]["serviceType"], "WIFI");

    assert_eq!(
        sim.location_device_ids(),
        [
            "header-dev",
            "nrf-jwt-1",
            "oat-dev",
            "proxy-dev-1",
            "sub-dev"
        ]
    );
    let types: Vec<String> = sim
        .location_service_types()
        .into_iter()
        .map(|(d, t)| format!("{d}:{t}"))
        .collect();
    assert_eq!(
        types,
        [
            "proxy-dev-1:WIFI_EVAL",
            "sub-dev:SCELL",
            "header-dev:MCELL",
            "nrf-jwt-1:MCELL",
            "oat-dev:WIFI"
        ]
    );
}

#[tokio::test]
async fn ground_fix_answers() {
    let sim = Simulator::start().await.unwrap();
    let api = Api::new(&sim);
    let eval = eval_token(&api).await;
    let rest = api.rest.clone();
    let (status, list) = send(ground_fix(&api, &rest, &eval, &json!({"wifi": aps()}))).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let (_, object) = send(ground_fix(
        &api,
        &rest,
        &eval,
        &json!({"wifi": {"accessPoints": aps()}, "lte": [cell()]}),
    ))
    .await;
    assert_eq!(list, object);
    assert_eq!(
        list,
        json!({"lat": LAT, "lon": LON, "uncertainty": UNCERTAINTY, "fulfilledWith": "WIFI_EVAL"})
    );
    let (_, wide) =
        send(ground_fix(&api, &rest, &eval, &json!({"wifi": aps()})).query(&[("hiConf", "true")]))
            .await;
    assert_eq!(wide["lat"], list["lat"]);
    assert!(wide["uncertainty"].as_f64() > list["uncertainty"].as_f64());

    // One cell: the same position as GetSingleCellLocation's.
    let (_, scell) = send(ground_fix(&api, &rest, &eval, &json!({"lte": [cell()]}))).await;
    let (status, single) = send(
        api.http
            .get(format!(
                "{rest}/location/single-cell?mcc=242&mnc=01&eci=33703712&tac=2305&format=json"
            ))
            .bearer_auth(&eval),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{single}");
    assert_eq!(
        single,
        json!({"lat": scell["lat"], "lon": scell["lon"], "uncertainty": scell["uncertainty"]})
    );
    assert_eq!(scell["fulfilledWith"], "SCELL_EVAL");

    // Too little to locate, and malformed requests.
    let one_ap = json!({"wifi": [{"macAddress": "40:01:7a:c9:10:22"}]});
    let (status, body) = send(ground_fix(&api, &rest, &eval, &one_ap)).await;
    assert_error(status, &body, 422, 42200);
    let (status, body) = send(ground_fix(&api, &rest, &eval, &json!({}))).await;
    assert_error(status, &body, 422, 42200);
    let no_mcc = json!({"lte": [{"mnc": 1, "eci": 1, "tac": 1}]});
    let (status, body) = send(ground_fix(&api, &rest, &eval, &no_mcc)).await;
    assert_error(status, &body, 400, 40000);
    let bad_mac = json!({"wifi": [{"macAddress": "nope"}, {"macAddress": "40:01:7a:c9:10:23"}]});
    let (status, body) = send(ground_fix(&api, &rest, &eval, &bad_mac)).await;
    assert_error(status, &body, 400, 40000);
    // doReply=false: an empty answer, still recorded.
    let (status, body) = send(
        ground_fix(&api, &rest, &eval, &json!({"wifi": aps()}))
            .query(&[("doReply", "false")])
            .header("x-custom-device-id", "quiet"),
    )
    .await;
    assert_eq!((status, body), (StatusCode::OK, Value::Null));
    assert_eq!(sim.location_device_ids(), ["quiet"]);
}

/// The Wi-Fi fix of [`aps`]: derived from the MAC addresses only.
const LAT: f64 = -52.0065;
const LON: f64 = 82.0708;
const UNCERTAINTY: f64 = 40.67;

async fn head_size(api: &Api, credential: &str, query: &str) -> usize {
    let response = api
        .http
        .head(format!("{}/location/agnss{query}", api.rest))
        .bearer_auth(credential)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK, "{query}");
    let length = response.headers()["content-length"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(response.bytes().await.unwrap().is_empty());
    length
}

#[tokio::test]
async fn agnss_ranges_and_sizes() {
    let sim = Simulator::start().await.unwrap();
    let api = Api::new(&sim);
    let eval = eval_token(&api).await;
    let url = format!("{}/location/agnss", api.rest);
    let body = json!({"types": [1, 2, 3], "mcc": 242, "mnc": 1, "tac": 2305, "eci": 33703712});

    let comma = head_size(&api, &eval, "?types=1,2,3").await;
    assert_eq!(comma, 1 + 3 + 14 + 3 + 32 * 62 + 3 + 31 * 31);
    assert_eq!(
        head_size(&api, &eval, "?types=1&types=2&types=3").await,
        comma
    );
    assert_eq!(head_size(&api, &eval, "?types=1%2C2%2C3").await, comma);
    assert_eq!(head_size(&api, &eval, "").await, 3201);
    let response = api
        .http
        .head(&url)
        .bearer_auth(sim.api_key())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);

    // Fragments of 1700 bytes, as sdk-nrf asks for them, add up to the whole.
    let mut joined = Vec::new();
    loop {
        let start = joined.len();
        let response = api
            .http
            .post(&url)
            .bearer_auth(&eval)
            .header("range", format!("bytes={start}-{}", start + 1699))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::PARTIAL_CONTENT);
        assert_eq!(
            response.headers()["content-type"],
            "application/octet-stream"
        );
        let end = (start + 1699).min(comma - 1);
        assert_eq!(
            response.headers()["content-range"],
            format!("bytes {start}-{end}/{comma}").as_str()
        );
        joined.extend_from_slice(&response.bytes().await.unwrap());
        if joined.len() >= comma {
            break;
        }
    }
    assert_eq!(joined.len(), comma);
    assert_eq!(joined[0], 1, "schema version");
    let whole = api
        .http
        .post(&url)
        .bearer_auth(&eval)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(whole.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(
        whole.headers()["content-range"],
        format!("bytes 0-{}/{comma}", comma - 1).as_str()
    );
    assert_eq!(whole.bytes().await.unwrap(), joined);

    let beyond = api
        .http
        .post(&url)
        .bearer_auth(&eval)
        .header("range", format!("bytes={comma}-{}", comma + 10))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(beyond.status(), StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(
        beyond.headers()["content-range"],
        format!("bytes */{comma}").as_str()
    );
    let error: Value = beyond.json().await.unwrap();
    assert_error(StatusCode::RANGE_NOT_SATISFIABLE, &error, 416, 41600);

    let (status, error) = send(
        api.http
            .post(&url)
            .bearer_auth(&eval)
            .json(&json!({"types": [18]})),
    )
    .await;
    assert_error(status, &error, 400, 40000);
}

#[tokio::test]
async fn pgps_link_and_download() {
    let sim = Simulator::start().await.unwrap();
    let api = Api::new(&sim);
    let eval = eval_token(&api).await;
    let (status, link) = send(
        api.http
            .get(format!(
                "{}/location/pgnss?predictionCount=42&predictionIntervalMinutes=240&startGpsDay=16000&startGpsTimeOfDaySeconds=7200",
                api.rest
            ))
            .bearer_auth(&eval),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{link}");
    assert_eq!(
        link,
        json!({"host": sim.rest_host(), "path": "__sim/pgps/16000-7200_42-240.bin"})
    );
    let file = format!("{}/{}", sim.rest_host(), link["path"].as_str().unwrap());
    let download = api.http.get(&file).send().await.unwrap();
    assert_eq!(download.status(), StatusCode::OK);
    assert_eq!(
        download.headers()["content-type"],
        "application/octet-stream"
    );
    let bytes = download.bytes().await.unwrap();
    assert_eq!(bytes.len(), 12 + 42 * 2048);
    assert_eq!(&bytes[..4], &[1, 10, 42, 0]);
    assert_eq!(sim.pgps_downloads(), 1);
    // The file host takes no nRF Cloud credential.
    let (status, error) = send(api.http.get(&file).bearer_auth(&eval)).await;
    assert_error(status, &error, 400, 40000);
    assert_eq!(sim.pgps_downloads(), 1);

    // The deprecated path and the defaults; invalid ranges are 400.
    let (status, link) = send(
        api.http
            .get(format!("{}/location/pgps?predictionCount=1", api.rest))
            .bearer_auth(&eval),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{link}");
    assert!(
        link["path"].as_str().unwrap().ends_with("-0_1-240.bin"),
        "{link}"
    );
    for query in [
        "predictionCount=0",
        "predictionCount=169",
        "predictionCount=1.5",
        "predictionIntervalMinutes=100",
        "startGpsTimeOfDaySeconds=86400",
    ] {
        let (status, error) = send(
            api.http
                .get(format!("{}/location/pgnss?{query}", api.rest))
                .bearer_auth(&eval),
        )
        .await;
        assert_error(status, &error, 400, 40000);
    }
}

#[tokio::test]
async fn location_history() {
    let sim = Simulator::start().await.unwrap();
    let api = Api::new(&sim);
    let t0 = Utc::now() - TimeDelta::hours(1);
    let ids: Vec<String> = (0..5)
        .map(|i| {
            sim.add_location(
                "nrf-h1",
                "WIFI",
                63.421,
                10.4372 + f64::from(i),
                14.772,
                t0 + TimeDelta::minutes(i.into()),
            )
        })
        .collect();
    sim.add_location("nrf-h2", "MCELL", -1.5, 2.0, 1000.0, t0);

    let url = format!("{}/location/history", api.rest);
    let (status, page) = api.get(format!("{url}?deviceId=nrf-h1&pageLimit=2")).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page["total"], 2);
    let first = &page["items"][0];
    assert_eq!(first["id"], ids[4].as_str());
    assert_eq!(first["deviceId"], "nrf-h1");
    assert_eq!(first["serviceType"], "WIFI");
    assert_eq!(first["lat"], "63.421");
    assert_eq!(first["lon"], "14.4372");
    assert_eq!(first["uncertainty"], "14.772");
    assert_eq!(first["meta"], json!({}));
    let token = page["pageNextToken"].as_str().unwrap();
    let (_, next) = api
        .get(format!(
            "{url}?deviceId=nrf-h1&pageLimit=2&pageNextToken={token}"
        ))
        .await;
    let listed: Vec<&str> = next["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert_eq!(listed, [ids[2].as_str(), ids[1].as_str()]);
    let (_, asc) = api.get(format!("{url}?pageSort=asc&pageLimit=100")).await;
    assert_eq!(asc["total"], 6);
    assert_eq!(asc["items"][0]["deviceId"], "nrf-h1");
    assert_eq!(asc["items"][1]["deviceId"], "nrf-h2");
    assert_eq!(asc["items"][1]["uncertainty"], "1000");
    assert_eq!(asc["items"][1]["lat"], "-1.5");
    assert!(asc.get("pageNextToken").is_none());
    let (_, latest) = api.get(format!("{url}?latest=true")).await;
    assert_eq!(latest["total"], 2);
    let start = (t0 + TimeDelta::minutes(1)).to_rfc3339();
    let end = (t0 + TimeDelta::minutes(3)).to_rfc3339();
    let (_, range) = api
        .get(format!(
            "{url}?deviceId=nrf-h1&start={}&end={}",
            urlencode(&start),
            urlencode(&end)
        ))
        .await;
    assert_eq!(range["total"], 2, "{range}");
    let (status, error) = api.get(format!("{url}?pageSort=up")).await;
    assert_error(status, &error, 400, 40000);

    // Delete: 202, then 404; a record of another device is not found either.
    let delete = |device: &str, id: &str| api.req(Method::DELETE, format!("{url}/{device}/{id}"));
    let (status, body) = send(delete("nrf-h2", &ids[0])).await;
    assert_error(status, &body, 404, 40410);
    let (status, body) = send(delete("nrf-h1", &ids[0])).await;
    assert_eq!((status, body), (StatusCode::ACCEPTED, Value::Null));
    let (status, body) = send(delete("nrf-h1", &ids[0])).await;
    assert_error(status, &body, 404, 40410);
    let (_, all) = api
        .get(format!("{url}?deviceId=nrf-h1&pageLimit=100"))
        .await;
    assert_eq!(all["total"], 4);

    // A service-key JWT with `sub` sees its device only.
    let pkcs8 = service_key(&api).await;
    let narrow = Api::with_key(
        &sim,
        &jwt(&pkcs8, &json!({"aud": sim.team_id(), "sub": "nrf-h2"})),
    );
    let (status, own) = narrow.get(url.clone()).await;
    assert_eq!(status, StatusCode::OK, "{own}");
    assert_eq!(own["total"], 1);
    let (status, error) = narrow.get(format!("{url}?deviceId=nrf-h1")).await;
    assert_error(status, &error, 401, 40100);
}

fn urlencode(s: &str) -> String {
    s.replace('+', "%2B").replace(':', "%3A")
}
