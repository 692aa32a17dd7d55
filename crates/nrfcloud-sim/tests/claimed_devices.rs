//! Claimed devices: list and pagination, filters, fetch, block, unblock, unclaim, tags.

mod common;

use std::collections::BTreeSet;

use common::{Api, assert_error, send};
use nrfcloud_sim::Simulator;
use reqwest::{Method, StatusCode};
use serde_json::json;

async fn claim_range(sim: &Simulator, api: &Api, range: std::ops::Range<u64>, tags: &str) {
    let csv: String = range
        .map(|i| format!("{},\"{tags}\"\n", sim.claim_token(i)))
        .collect();
    let (status, result) = api.claim_csv(csv).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(result["failed"], json!([]), "{result}");
}

#[tokio::test]
async fn pages_cover_every_device_once_with_a_stable_token() {
    let sim = Simulator::start().await.unwrap();
    let api = Api::new(&sim);
    claim_range(&sim, &api, 0..25, "t").await;
    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut url = format!("{}/claimed-devices?pageLimit=7", api.prov);
        if let Some(t) = &token {
            url.push_str(&format!("&pageNextToken={}", urlencode(t)));
        }
        let (status, page) = api.get(url.clone()).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        let items = page["items"].as_array().unwrap();
        assert_eq!(
            page["total"].as_u64(),
            Some(items.len() as u64),
            "total is the page size"
        );
        seen.extend(items.iter().map(|d| d["id"].as_str().unwrap().to_string()));
        pages += 1;
        // The same token gives the same page.
        let (_, again) = api.get(url).await;
        assert_eq!(again, page);
        match page["pageNextToken"].as_str() {
            Some(t) => token = Some(t.to_string()),
            None => break,
        }
    }
    assert_eq!(pages, 4);
    let expected: BTreeSet<String> = (0..25).map(|i| sim.device_facts(i).id).collect();
    assert_eq!(seen.len(), 25);
    assert_eq!(seen.iter().cloned().collect::<BTreeSet<_>>(), expected);
    // Default page size is 10.
    let (_, page) = api.get(format!("{}/claimed-devices", api.prov)).await;
    assert_eq!(page["items"].as_array().unwrap().len(), 10);
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn bad_page_parameters_are_400() {
    let sim = Simulator::start().await.unwrap();
    let api = Api::new(&sim);
    for query in [
        "pageLimit=0",
        "pageLimit=101",
        "pageLimit=abc",
        "pageLimit=2.5",
        "pageNextToken=bogus!",
    ] {
        let (status, body) = api
            .get(format!("{}/claimed-devices?{query}", api.prov))
            .await;
        assert_error(status, &body, 400, 40000);
    }
}

#[tokio::test]
async fn lists_filter_by_tags_and_ids() {
    let sim = Simulator::start().await.unwrap();
    let api = Api::new(&sim);
    claim_range(&sim, &api, 0..3, "red").await;
    claim_range(&sim, &api, 3..5, "blue,green").await;
    let ids = |v: &serde_json::Value| -> BTreeSet<String> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["id"].as_str().unwrap().to_string())
            .collect()
    };
    let (_, red) = api
        .get(format!("{}/claimed-devices?tags=red", api.prov))
        .await;
    assert_eq!(ids(&red).len(), 3);
    let (_, any) = api
        .get(format!("{}/claimed-devices?tags=red&tags=green", api.prov))
        .await;
    assert_eq!(ids(&any).len(), 5, "repeated tags mean any of them");
    let (a, b) = (sim.device_facts(0).id, sim.device_facts(4).id);
    let (_, some) = api
        .get(format!(
            "{}/claimed-devices?deviceIds={a}&deviceIds={b}",
            api.prov
        ))
        .await;
    assert_eq!(ids(&some), BTreeSet::from([a, b]));
}

#[tokio::test]
async fn block_unblock_unclaim_and_tags() {
    let sim = Simulator::start().await.unwrap();
    let api = Api::new(&sim);
    let id = sim.device_facts(0).id;
    api.claim_json(&sim.claim_token(0), &["a"]).await;
    let url = format!("{}/claimed-devices/{id}", api.prov);
    let (status, _) = send(api.req(Method::POST, format!("{url}/block"))).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(api.get(url.clone()).await.1["status"], "BLOCKED");
    let (status, _) = send(api.req(Method::POST, format!("{url}/unblock"))).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(api.get(url.clone()).await.1["status"], "READY");

    let (status, _) = send(
        api.req(Method::PUT, format!("{url}/tags"))
            .json(&json!({"tags": ["x", "y"]})),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(api.get(url.clone()).await.1["tags"], json!(["x", "y"]));
    let (status, body) = send(
        api.req(Method::PUT, format!("{url}/tags"))
            .json(&json!({"tags": ["bad tag"]})),
    )
    .await;
    assert_error(status, &body, 400, 40000);

    let (status, _) = send(api.req(Method::DELETE, url.clone())).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = send(api.req(Method::DELETE, url.clone())).await;
    assert_error(status, &body, 404, 40410);
    let (status, body) = api.get(url.clone()).await;
    assert_error(status, &body, 404, 40410);
    for action in ["block", "unblock"] {
        let (status, body) = send(api.req(Method::POST, format!("{url}/{action}"))).await;
        assert_error(status, &body, 404, 40410);
    }
}

#[tokio::test]
async fn teams_see_only_their_own_devices() {
    let sim = Simulator::start().await.unwrap();
    let ours = Api::new(&sim);
    let theirs = Api::with_key(&sim, sim.other_team_api_key());
    ours.claim_json(&sim.claim_token(0), &[]).await;
    let (_, list) = theirs.get(format!("{}/claimed-devices", theirs.prov)).await;
    assert!(list["items"].as_array().unwrap().is_empty());
    let (status, body) = theirs
        .get(format!(
            "{}/claimed-devices/{}",
            theirs.prov,
            sim.device_facts(0).id
        ))
        .await;
    assert_error(status, &body, 404, 40410);
}
