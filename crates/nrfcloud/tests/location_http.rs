//! Location answers that do not add up, from a wiremock server: an A-GNSS payload whose
//! fragments disagree with `HEAD` or with their own `Content-Range`, a P-GPS file larger than
//! the client holds, and a ground fix in the live service's shape with fields we do not read.

use nrfcloud::{
    Client,
    error::ErrorKind,
    location::{AccessPoint, FixSource, MAX_PREDICTIONS_BYTES},
    retry::RetryPolicy,
};
use serde_json::json;
use wiremock::{
    Mock, MockServer, ResponseTemplate,
    matchers::{header_exists, method, path},
};

const EVAL_TOKEN: &str = "eval-0123456789abcdef";

fn client(server: &MockServer) -> Client {
    Client::builder()
        .rest_host(server.uri())
        .service_evaluation_token(EVAL_TOKEN)
        .retry(RetryPolicy::never())
        .build()
        .unwrap()
}

/// The decode error's text, which names what did not add up.
fn refused(e: nrfcloud::Error) -> String {
    assert!(matches!(e.kind(), ErrorKind::Decode(_)), "{e:?}");
    format!("{e}: {}", std::error::Error::source(&e).unwrap())
}

async fn head_says(server: &MockServer, size: u64) {
    Mock::given(method("HEAD"))
        .and(path("/v1/location/agnss"))
        .respond_with(ResponseTemplate::new(200).insert_header("content-length", size.to_string()))
        .mount(server)
        .await;
}

async fn fragment_says(server: &MockServer, content_range: &str, body: Vec<u8>) {
    Mock::given(method("POST"))
        .and(path("/v1/location/agnss"))
        .and(header_exists("range"))
        .respond_with(
            ResponseTemplate::new(206)
                .insert_header("content-range", content_range)
                .set_body_raw(body, "application/octet-stream"),
        )
        .mount(server)
        .await;
}

#[tokio::test]
async fn an_agnss_payload_shorter_than_head_said_is_refused() {
    let server = MockServer::start().await;
    head_says(&server, 3000).await;
    fragment_says(&server, "bytes 0-1999/2000", vec![1; 2000]).await;
    let e = client(&server)
        .location()
        .agnss()
        .fragment_size(4096)
        .send()
        .await;
    let text = refused(e.unwrap_err());
    assert!(
        text.ends_with("HEAD gave 3000 bytes, the fragments add up to 2000"),
        "{text}"
    );
}

#[tokio::test]
async fn a_fragment_that_carries_less_than_its_content_range_is_refused() {
    let server = MockServer::start().await;
    fragment_says(&server, "bytes 0-99/100", vec![1; 60]).await;
    let e = client(&server)
        .location()
        .agnss()
        .size_query(nrfcloud::location::SizeQuery::Skip)
        .send()
        .await;
    let text = refused(e.unwrap_err());
    assert!(
        text.ends_with("the fragment 0-99 carries 60 bytes, not 100"),
        "{text}"
    );
}

#[tokio::test]
async fn a_fragment_other_than_the_one_asked_for_is_refused() {
    let server = MockServer::start().await;
    fragment_says(&server, "bytes 10-19/100", vec![1; 10]).await;
    let e = client(&server)
        .location()
        .agnss()
        .fragment_size(10)
        .size_query(nrfcloud::location::SizeQuery::Skip)
        .send()
        .await;
    let text = refused(e.unwrap_err());
    assert!(
        text.ends_with("asked for bytes 0-9, got 10-19 of 100"),
        "{text}"
    );
}

#[tokio::test]
async fn predictions_larger_than_the_client_holds_are_refused() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/location/pgnss"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "host": server.uri(),
            "path": "public/huge.bin",
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/public/huge.bin"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            vec![0u8; MAX_PREDICTIONS_BYTES + 1],
            "application/octet-stream",
        ))
        .mount(&server)
        .await;
    let client = client(&server);
    let link = client.location().pgps().send().await.unwrap();
    assert_eq!(link.url(), format!("{}/public/huge.bin", server.uri()));
    let text = refused(link.download().await.unwrap_err());
    assert!(
        text.ends_with(&format!(
            "the predictions are larger than {MAX_PREDICTIONS_BYTES} bytes"
        )),
        "{text}"
    );
}

#[tokio::test]
async fn a_ground_fix_as_the_live_service_sends_it_decodes() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/location/ground-fix"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "lat": 63.42197, "lon": 10.43758, "uncertainty": 14.772,
            "fulfilledWith": "WIFI_PLUS", "anchors": [{"macAddress": "40:01:7a:c9:10:22", "name": "lab"}],
            "somethingNew": {"nested": true}
        })))
        .mount(&server)
        .await;
    let fix = client(&server)
        .location()
        .ground_fix()
        .wifi(AccessPoint::new("40:01:7a:c9:10:22"))
        .wifi(AccessPoint::new("40:01:7a:c9:10:23"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        (fix.lat, fix.lon, fix.uncertainty),
        (63.42197, 10.43758, 14.772)
    );
    assert_eq!(fix.fulfilled_with, FixSource::Other("WIFI_PLUS".into()));
    assert_eq!(fix.anchors, ["40:01:7a:c9:10:22"]);
    let requests = server.received_requests().await.unwrap();
    assert_eq!(
        requests[0].headers.get("authorization").unwrap(),
        &format!("Bearer {EVAL_TOKEN}")
    );
}
