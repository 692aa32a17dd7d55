//! Device messages: SendDeviceMessage (API key or device JWT), ListMessages' time range
//! (inclusive start, exclusive end), sort orders, filters, pagination, and the unsupported
//! appId + topic combination.

mod common;

use chrono::{DateTime, TimeDelta, Utc};
use common::{Api, assert_error, jwt, key, onboard_row, private_key_pem, public_key_pem, send};
use nrfcloud_sim::Simulator;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

async fn onboard(api: &Api, ids: &[&str]) {
    let csv: String = ids
        .iter()
        .map(|id| onboard_row(id, "", "", "", &public_key_pem(&key(id))))
        .collect();
    let op = api.upload_and_wait("devices", csv).await;
    assert_eq!(op["status"], "SUCCEEDED", "{op}");
}

fn at(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// A whole second, so the ISO forms are exact.
fn base() -> DateTime<Utc> {
    let now = Utc::now() - TimeDelta::hours(1);
    DateTime::from_timestamp(now.timestamp(), 0).unwrap()
}

/// The `message.n` (or `message[0].n`) of every item.
fn numbers(page: &Value) -> Vec<i64> {
    page["items"]
        .as_array()
        .unwrap_or_else(|| panic!("{page}"))
        .iter()
        .map(|m| {
            let n = &m["message"];
            n["n"].as_i64().or_else(|| n[0]["n"].as_i64()).unwrap()
        })
        .collect()
}

#[tokio::test]
async fn sent_messages_are_listed_newest_first() {
    let sim = Simulator::start().await.unwrap();
    let api = Api::new(&sim);
    onboard(&api, &["nrf-1", "nrf-2"]).await;
    let post = |api: &Api, device: &str, body: Value| {
        api.req(
            Method::POST,
            format!("{}/devices/{device}/messages", api.rest),
        )
        .json(&body)
    };
    let bodies = [
        json!({"message": {"appId": "TEMP", "messageType": "DATA", "data": "21.5"}}),
        json!({"topic": "d/nrf-1/d2c/bulk", "message": [{"appId": "A"}, {"appId": "B"}]}),
        json!({"topic": "d/nrf-1/d2c/bin", "message": "AAEC"}),
    ];
    for body in &bodies {
        let (status, answer) = send(post(&api, "nrf-1", body.clone())).await;
        assert_eq!((status, answer), (StatusCode::ACCEPTED, Value::Null));
    }
    // The device's own JWT may send for itself only.
    let device = Api::with_key(
        &sim,
        &jwt(&private_key_pem(&key("nrf-2")), &json!({"sub": "nrf-2"})),
    );
    let (status, _) = send(post(&device, "nrf-2", json!({"message": {"n": 1}}))).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let (status, error) = send(post(&device, "nrf-1", json!({"message": {"n": 1}}))).await;
    assert_error(status, &error, 401, 40100);
    let (status, error) = device.get(format!("{}/messages", api.rest)).await;
    assert_error(status, &error, 401, 40100);

    let (status, page) = api
        .get(format!("{}/messages?deviceId=nrf-1", api.rest))
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let items = page["items"].as_array().unwrap();
    assert_eq!(page["total"], 3);
    let topics: Vec<&Value> = items.iter().map(|m| &m["topic"]).collect();
    assert_eq!(
        topics,
        [
            &json!("d/nrf-1/d2c/bin"),
            &json!("d/nrf-1/d2c/bulk"),
            &json!("d/nrf-1/d2c")
        ]
    );
    let oldest = &items[2];
    assert_eq!(oldest["message"], bodies[0]["message"]);
    assert_eq!(oldest["tenantId"], sim.team_id());
    assert_eq!(oldest["deviceId"], "nrf-1");
    let received = oldest["receivedAt"].as_str().unwrap();
    let parsed = DateTime::parse_from_rfc3339(received).unwrap();
    assert_eq!(received, at(parsed.to_utc()), "ISO with milliseconds");
    assert!((Utc::now() - parsed.to_utc()).num_seconds() < 60);
    assert_eq!(items[0]["message"], "AAEC");

    let (_, by_app) = api.get(format!("{}/messages?appId=TEMP", api.rest)).await;
    assert_eq!(by_app["items"].as_array().unwrap().len(), 1);
    let (_, by_topic) = api
        .get(format!(
            "{}/messages?topic=d/nrf-1/d2c/bin&deviceId=nrf-1",
            api.rest
        ))
        .await;
    assert_eq!(by_topic["items"].as_array().unwrap().len(), 1);

    let bad = [
        json!({"topic": "t"}),
        json!({"message": null}),
        json!({"message": 5}),
        json!({"message": [1]}),
        json!({"message": {}, "topic": 3}),
        json!(["message"]),
    ];
    for body in bad {
        let (status, error) = send(post(&api, "nrf-1", body.clone())).await;
        assert_error(status, &error, 400, 40000);
    }
    let (status, error) = send(post(&api, "nrf-9", json!({"message": {}}))).await;
    assert_error(status, &error, 404, 40410);
}

#[tokio::test]
async fn the_time_range_is_inclusive_start_exclusive_end() {
    let sim = Simulator::start().await.unwrap();
    let api = Api::new(&sim);
    let t0 = base();
    for n in 0..5 {
        sim.add_message(
            "nrf-1",
            "d/nrf-1/d2c",
            json!({"n": n}),
            t0 + TimeDelta::seconds(n),
        );
    }
    let url = |query: String| format!("{}/messages?{query}", api.rest);
    let range = format!(
        "inclusiveStart={}&exclusiveEnd={}",
        at(t0 + TimeDelta::seconds(1)),
        at(t0 + TimeDelta::seconds(3))
    );
    let (status, page) = api.get(url(range.clone())).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(numbers(&page), [2, 1]);
    assert_eq!(
        page["items"][1]["receivedAt"],
        at(t0 + TimeDelta::seconds(1))
    );
    let (_, page) = api.get(url(format!("{range}&pageSort=asc"))).await;
    assert_eq!(numbers(&page), [1, 2]);
    // The deprecated names mean the same.
    let deprecated = format!(
        "start={}&end={}&pageSort=desc",
        at(t0 + TimeDelta::seconds(1)),
        at(t0 + TimeDelta::seconds(3))
    );
    let (_, page) = api.get(url(deprecated)).await;
    assert_eq!(numbers(&page), [2, 1]);
    // Open on either side.
    let (_, page) = api
        .get(url(format!(
            "inclusiveStart={}",
            at(t0 + TimeDelta::seconds(3))
        )))
        .await;
    assert_eq!(numbers(&page), [4, 3]);
    let (_, page) = api
        .get(url(format!("exclusiveEnd={}&pageSort=asc", at(t0))))
        .await;
    assert_eq!(numbers(&page), Vec::<i64>::new());
    // Offsets other than Z are the same instants.
    let plus_one = (t0 + TimeDelta::seconds(4))
        .with_timezone(&chrono::FixedOffset::east_opt(3600).unwrap())
        .to_rfc3339();
    let (_, page) = api
        .get(url(format!(
            "inclusiveStart={}",
            plus_one.replace('+', "%2B")
        )))
        .await;
    assert_eq!(numbers(&page), [4]);
    // Messages older than 30 days are gone.
    sim.add_message(
        "nrf-1",
        "t",
        json!({"n": 99}),
        Utc::now() - TimeDelta::days(31),
    );
    let (_, page) = api.get(url("pageSort=asc".into())).await;
    assert_eq!(numbers(&page), [0, 1, 2, 3, 4]);
    let (status, error) = api.get(url("inclusiveStart=yesterday".into())).await;
    assert_error(status, &error, 400, 40000);
}

#[tokio::test]
async fn pages_are_stable_in_both_orders() {
    let sim = Simulator::start().await.unwrap();
    let api = Api::new(&sim);
    let t0 = base();
    for n in 0..25 {
        sim.add_message(
            "nrf-1",
            "d/nrf-1/d2c",
            json!({"n": n}),
            t0 + TimeDelta::milliseconds(n * 10),
        );
    }
    // A message that arrives between pages is newer than all: past the pages already read
    // of a descending list, and at the end of an ascending one. Nothing repeats or goes missing.
    let mut extra = 100;
    for (sort, want) in [
        ("asc", (0..25).chain([100]).collect::<Vec<i64>>()),
        // The ascending run's extra message is the newest now.
        ("desc", [100].into_iter().chain((0..25).rev()).collect()),
    ] {
        let mut seen = Vec::new();
        let mut token: Option<String> = None;
        let mut pages = 0;
        loop {
            let mut url = format!("{}/messages?pageLimit=10&pageSort={sort}", api.rest);
            if let Some(t) = &token {
                url.push_str(&format!("&pageNextToken={t}"));
            }
            let (status, page) = api.get(url).await;
            assert_eq!(status, StatusCode::OK, "{page}");
            seen.extend(numbers(&page));
            pages += 1;
            if pages == 1 {
                sim.add_message("nrf-2", "x", json!({"n": extra}), Utc::now());
                extra += 1;
            }
            match page["pageNextToken"].as_str() {
                Some(t) => token = Some(t.to_string()),
                None => break,
            }
        }
        assert_eq!((seen, pages), (want, 3), "{sort}");
    }
}

#[tokio::test]
async fn filter_rules() {
    let sim = Simulator::start().await.unwrap();
    let api = Api::new(&sim);
    let t0 = base();
    let list = [
        ("nrf-1", "d/nrf-1/d2c", json!({"appId": "GNSS", "n": 0})),
        (
            "nrf-1",
            "d/nrf-1/d2c/custom",
            json!({"appId": "TEMP", "n": 1}),
        ),
        ("nrf-2", "d/nrf-2/d2c", json!({"appId": "GNSS", "n": 2})),
        ("nrf-2", "d/nrf-2/d2c", json!([{"appId": "GNSS", "n": 3}])),
    ];
    for (i, (device, topic, message)) in list.into_iter().enumerate() {
        sim.add_message(device, topic, message, t0 + TimeDelta::seconds(i as i64));
    }
    let get = |query: &str| api.get(format!("{}/messages?pageSort=asc&{query}", api.rest));
    assert_eq!(numbers(&get("appId=GNSS").await.1), [0, 2]);
    assert_eq!(numbers(&get("appId=GNSS&deviceId=nrf-2").await.1), [2]);
    assert_eq!(numbers(&get("topic=d/nrf-1/d2c/custom").await.1), [1]);
    assert_eq!(
        numbers(&get("topic=d/nrf-2/d2c&deviceId=nrf-2").await.1),
        [2, 3]
    );
    for query in [
        "appId=GNSS&topic=d/nrf-1/d2c",
        "appId=GNSS&topic=d/nrf-1/d2c&deviceId=nrf-1",
        "pageSort=up",
        "pageLimit=0",
        "pageLimit=101",
        "deviceId=bad%20id",
        "pageNextToken=forged",
    ] {
        let (status, error) = get(query).await;
        assert_error(status, &error, 400, 40000);
        if query.starts_with("appId") {
            assert!(
                error["message"]
                    .as_str()
                    .unwrap()
                    .contains("appId cannot be combined with topic"),
                "{error}"
            );
        }
    }
    let (status, error) = get(&format!("appId={}", "a".repeat(65))).await;
    assert_error(status, &error, 400, 40000);
    // Messages are the team's own.
    let other = Api::with_key(&sim, sim.other_team_api_key());
    let (_, page) = other.get(format!("{}/messages", api.rest)).await;
    assert_eq!(page["items"], json!([]));
}
