//! Versions, If-Match, 412 and the re-read-and-retry helper.

mod common;

use common::{client, device};
use nrfcloud::devices::{DeviceChange, DeviceExt};
use serde_json::json;
use wiremock::{
    Mock, MockServer, ResponseTemplate,
    matchers::{body_json, header, method, path},
};

#[tokio::test]
async fn get_reads_the_etag_header_first_then_meta_version() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/devices/with-etag"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("etag", "\"5\"")
                .set_body_json(device("with-etag", "a", &[], Some(4))),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/devices/with-meta"))
        .respond_with(ResponseTemplate::new(200).set_body_json(device(
            "with-meta",
            "a",
            &[],
            Some(4),
        )))
        .mount(&server)
        .await;
    let client = client(&server);
    let d = client.devices().get("with-etag").send().await.unwrap();
    assert_eq!(d.version().unwrap().as_str(), "\"5\"");
    assert_eq!(d.id(), "with-etag");
    let d = client.devices().get("with-meta").send().await.unwrap();
    assert_eq!(d.version().unwrap().as_str(), "4");
}

#[tokio::test]
async fn rename_sends_if_match_and_412_is_a_precondition_failure() {
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .and(path("/v1/devices/dev-1/name"))
        .and(header("if-match", "7"))
        .and(body_json(json!("new name")))
        .respond_with(
            ResponseTemplate::new(412).set_body_json(json!({"code": 41200, "message": "stale"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let e = client(&server)
        .devices()
        .rename("dev-1", "new name")
        .if_match("7")
        .send()
        .await
        .unwrap_err();
    assert!(e.is_precondition_failed(), "{e}");
    assert!(!e.is_retryable());
}

#[tokio::test]
async fn an_empty_412_is_still_a_precondition_failure() {
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .and(path("/v1/devices/dev-1/tags"))
        .respond_with(ResponseTemplate::new(412))
        .mount(&server)
        .await;
    let e = client(&server)
        .devices()
        .set_tags("dev-1", ["a"])
        .if_match("1")
        .send()
        .await
        .unwrap_err();
    assert!(e.is_precondition_failed(), "{e:?}");
}

#[tokio::test]
async fn update_with_retry_rereads_and_succeeds_on_the_second_attempt() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/devices/dev-1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(device(
            "dev-1",
            "a",
            &["x"],
            Some(1),
        )))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/devices/dev-1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(device(
            "dev-1",
            "a",
            &["x", "y"],
            Some(2),
        )))
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/v1/devices/dev-1/tags"))
        .and(header("if-match", "1"))
        .respond_with(ResponseTemplate::new(412))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/v1/devices/dev-1/tags"))
        .and(header("if-match", "2"))
        .and(body_json(json!(["x", "y", "z"])))
        .respond_with(ResponseTemplate::new(202))
        .expect(1)
        .mount(&server)
        .await;
    let mut seen = Vec::new();
    client(&server)
        .devices()
        .update_with_retry("dev-1", 3, |d| {
            seen.push(d.tags().to_vec());
            let mut tags = d.tags().to_vec();
            tags.push("z".into());
            Some(DeviceChange::SetTags(tags))
        })
        .await
        .unwrap();
    assert_eq!(
        seen,
        [vec!["x"], vec!["x", "y"]],
        "the change was applied to the re-read device"
    );
}

#[tokio::test]
async fn update_with_retry_gives_up_after_max_attempts() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/devices/dev-1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(device("dev-1", "a", &[], Some(1))))
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/v1/devices/dev-1/name"))
        .respond_with(ResponseTemplate::new(412))
        .expect(2)
        .mount(&server)
        .await;
    let e = client(&server)
        .devices()
        .update_with_retry("dev-1", 2, |_| Some(DeviceChange::Rename("b".into())))
        .await
        .unwrap_err();
    assert!(e.is_precondition_failed());
}
