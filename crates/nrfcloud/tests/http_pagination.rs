//! `pageNextToken` threading through `.stream()`, one page with `.send()`, and 40499.

mod common;

use common::{client, device};
use futures::TryStreamExt;
use nrfcloud::devices::DeviceExt;
use serde_json::json;
use wiremock::{
    Mock, MockServer, ResponseTemplate,
    matchers::{method, path, query_param, query_param_is_missing},
};

/// Mounts three pages; with `all`, each must be fetched exactly once.
async fn three_pages(server: &MockServer, all: bool) {
    let times = if all { 1..=1 } else { 0..=1 };
    let page = |ids: &[&str], next: Option<&str>| {
        let items: Vec<_> = ids
            .iter()
            .map(|id| device(id, id, &["warehouse"], None))
            .collect();
        let mut body = json!({"items": items, "total": ids.len()});
        if let Some(t) = next {
            body["pageNextToken"] = json!(t);
        }
        ResponseTemplate::new(200).set_body_json(body)
    };
    Mock::given(method("GET"))
        .and(path("/v1/devices"))
        .and(query_param("tags", "warehouse"))
        .and(query_param("pageLimit", "2"))
        .and(query_param_is_missing("pageNextToken"))
        .respond_with(page(&["d1", "d2"], Some("eyJ0b2tlbiI6MX0=+/")))
        .expect(times.clone())
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/devices"))
        .and(query_param("pageNextToken", "eyJ0b2tlbiI6MX0=+/"))
        .respond_with(page(&["d3", "d4"], Some("second")))
        .expect(times.clone())
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/devices"))
        .and(query_param("pageNextToken", "second"))
        .respond_with(page(&["d5"], None))
        .expect(times.clone())
        .mount(server)
        .await;
}

#[tokio::test]
async fn stream_threads_the_token_across_three_pages() {
    let server = MockServer::start().await;
    three_pages(&server, true).await;
    let stream = client(&server)
        .devices()
        .list()
        .tags(["warehouse"])
        .page_limit(2)
        .stream();
    // 'static + Send: the stream can move into a task.
    let ids = tokio::spawn(async move {
        stream
            .map_ok(|d| d.id().to_owned())
            .try_collect::<Vec<_>>()
            .await
    })
    .await
    .unwrap()
    .unwrap();
    assert_eq!(ids, ["d1", "d2", "d3", "d4", "d5"]);
    // The token went back URL-encoded.
    let requests = server.received_requests().await.unwrap();
    assert!(
        requests[1]
            .url
            .query()
            .unwrap()
            .contains("pageNextToken=eyJ0b2tlbiI6MX0%3D%2B%2F"),
        "{}",
        requests[1].url
    );
}

#[tokio::test]
async fn send_returns_one_page_and_its_token() {
    let server = MockServer::start().await;
    three_pages(&server, false).await;
    let client = client(&server);
    let second = client
        .devices()
        .list()
        .tags(["warehouse"])
        .page_limit(2)
        .page_token("eyJ0b2tlbiI6MX0=+/")
        .send()
        .await
        .unwrap();
    assert_eq!(second.items().len(), 2);
    assert_eq!(second.next_token(), Some("second"));
}

#[tokio::test]
async fn a_failure_mid_way_is_an_error_not_a_short_list() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/devices"))
        .and(query_param_is_missing("pageNextToken"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "items": [device("d1", "d1", &[], None)], "pageNextToken": "t1"
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/devices"))
        .and(query_param("pageNextToken", "t1"))
        .respond_with(
            ResponseTemplate::new(400).set_body_json(json!({"code": 40000, "message": "bad"})),
        )
        .mount(&server)
        .await;
    let result: nrfcloud::Result<Vec<_>> = client(&server)
        .devices()
        .list()
        .stream()
        .try_collect()
        .await;
    assert_eq!(result.unwrap_err().nrf_code(), Some(40000));
}

#[tokio::test]
async fn nrf_code_40499_is_an_empty_page() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/claimed-devices"))
        .respond_with(
            ResponseTemplate::new(404)
                .set_body_json(json!({"code": 40499, "message": "No claimed devices"})),
        )
        .mount(&server)
        .await;
    let client = client(&server);
    let page = client
        .provisioning()
        .claimed_devices()
        .list()
        .send()
        .await
        .unwrap();
    assert!(page.items().is_empty() && page.is_last());
    let all: Vec<_> = client
        .provisioning()
        .claimed_devices()
        .list()
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert!(all.is_empty());
}
