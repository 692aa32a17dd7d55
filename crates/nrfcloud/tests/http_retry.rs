//! Retries: any request answered 429 after its Retry-After, idempotent ones also on 5xx; a
//! POST claim never on 5xx.

mod common;

use std::time::{Duration, Instant};

use common::{builder, client, device};
use nrfcloud::retry::RetryPolicy;
use serde_json::json;
use wiremock::{
    Mock, MockServer, ResponseTemplate,
    matchers::{method, path},
};

#[tokio::test]
async fn get_retries_429_after_retry_after_then_succeeds() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/devices/dev-1"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("retry-after", "1")
                .set_body_json(json!({"message": "Too Many Requests"})),
        )
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/devices/dev-1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(device("dev-1", "a", &[], None)))
        .expect(1)
        .mount(&server)
        .await;
    let started = Instant::now();
    let device = client(&server).devices().get("dev-1").send().await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After was honoured"
    );
    assert!(device.version().is_none());
}

#[tokio::test]
async fn a_claim_answered_429_waits_the_retry_after_then_succeeds() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/claimed-devices"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("retry-after", "2")
                .set_body_json(json!({"code": 42900, "message": "Too Many Requests"})),
        )
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/claimed-devices"))
        .respond_with(
            ResponseTemplate::new(201)
                .set_body_json(json!({"id": "50503041-3633-4261-803d-1e2b8f70111a", "tags": []})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let started = Instant::now();
    let device = client(&server)
        .provisioning()
        .claim("AAAA.BBBB")
        .send()
        .await
        .unwrap();
    let waited = started.elapsed();
    assert_eq!(device.id, "50503041-3633-4261-803d-1e2b8f70111a");
    assert!(waited >= Duration::from_secs(2), "waited {waited:?}");
    let bodies: Vec<Vec<u8>> = server
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.body)
        .collect();
    assert_eq!(bodies.len(), 2);
    assert_eq!(bodies[0], bodies[1], "the same claim, sent again");
}

#[tokio::test]
async fn post_claim_is_not_retried_on_503() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/claimed-devices"))
        .respond_with(ResponseTemplate::new(503).set_body_json(json!({"message": "unavailable"})))
        .expect(1)
        .mount(&server)
        .await;
    let e = client(&server)
        .provisioning()
        .claim("AAAA.BBBB")
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.status().map(|s| s.as_u16()), Some(503));
    assert!(e.is_retryable(), "the caller may decide to retry");
}

#[tokio::test]
async fn attempts_are_bounded() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/bulk-ops-requests/01G4ACS60SAEK1YNGSSJHBEET0"))
        .respond_with(ResponseTemplate::new(503).set_body_string("<html>busy</html>"))
        .expect(3)
        .mount(&server)
        .await;
    let client = builder(&server)
        .api_key("k")
        .retry(
            RetryPolicy::default()
                .max_attempts(3)
                .base_delay(Duration::from_millis(1)),
        )
        .build()
        .unwrap();
    let e = client
        .bulk_ops()
        .get("01G4ACS60SAEK1YNGSSJHBEET0")
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.status().map(|s| s.as_u16()), Some(503), "{e}");
    assert!(e.to_string().contains("busy"), "the raw body is kept: {e}");
}

#[tokio::test]
async fn never_means_one_attempt() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/account"))
        .respond_with(ResponseTemplate::new(502))
        .expect(1)
        .mount(&server)
        .await;
    let client = builder(&server)
        .api_key("k")
        .retry(RetryPolicy::never())
        .build()
        .unwrap();
    let e = client.account().get().send().await.unwrap_err();
    assert_eq!(e.status().map(|s| s.as_u16()), Some(502));
}

#[tokio::test]
async fn a_retry_after_beyond_the_cap_is_returned_at_once() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/account"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "3600"))
        .expect(1)
        .mount(&server)
        .await;
    let e = client(&server).account().get().send().await.unwrap_err();
    assert!(e.is_rate_limited(), "{e}");
}

#[tokio::test]
async fn the_raw_client_retries_too() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/account"))
        .respond_with(ResponseTemplate::new(504))
        .up_to_n_times(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/account"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"team": {"tenantId": common::TENANT}})),
        )
        .mount(&server)
        .await;
    let client = client(&server);
    // The body is not a full account: what matters is that the third attempt was reached.
    let _ = client.raw().rest().fetch_account_info().send().await;
    assert_eq!(server.received_requests().await.unwrap().len(), 3);
}

#[tokio::test]
async fn an_unclaim_whose_resend_finds_the_device_gone_succeeded() {
    let server = MockServer::start().await;
    let id = "50503041-3633-4261-803d-1e2b8f70111a";
    // The first DELETE is applied, but its answer is lost behind a gateway error.
    Mock::given(method("DELETE"))
        .and(path(format!("/v1/claimed-devices/{id}")))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path(format!("/v1/claimed-devices/{id}")))
        .respond_with(
            ResponseTemplate::new(404)
                .set_body_json(json!({"code": 40400, "message": "Device not found"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let claimed = client(&server).provisioning().claimed_devices();
    claimed.unclaim(id).send().await.unwrap();
}

#[tokio::test]
async fn a_delete_answered_404_at_once_is_not_found() {
    let server = MockServer::start().await;
    Mock::given(method("DELETE"))
        .and(path("/v1/devices/nrf-352656100123456"))
        .respond_with(
            ResponseTemplate::new(404)
                .set_body_json(json!({"code": 40410, "message": "Device not found"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let e = client(&server)
        .devices()
        .delete("nrf-352656100123456")
        .send()
        .await
        .unwrap_err();
    assert!(e.is_not_found(), "{e}");
    assert_eq!(e.attempts(), 1);
}

#[tokio::test]
async fn a_resent_conditional_write_answered_412_says_it_may_have_applied() {
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .and(path("/v1/devices/nrf-352656100123456/name"))
        .respond_with(ResponseTemplate::new(504))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/v1/devices/nrf-352656100123456/name"))
        .respond_with(
            ResponseTemplate::new(412)
                .set_body_json(json!({"code": 41200, "message": "Precondition Failed"})),
        )
        .mount(&server)
        .await;
    let e = client(&server)
        .devices()
        .rename("nrf-352656100123456", "kitchen")
        .if_match(nrfcloud::version::Etag::new("7"))
        .send()
        .await
        .unwrap_err();
    assert!(e.is_precondition_failed(), "{e}");
    assert_eq!(e.attempts(), 2);
    assert_eq!(
        e.to_string(),
        "UpdateDeviceName failed with HTTP 412 Precondition Failed (nRF code 41200): \
         Precondition Failed (attempt 2 of the request; an earlier attempt may have applied \
         the change: read it again)"
    );
}
