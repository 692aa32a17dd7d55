//! Which `Authorization` header each operation gets, and the typed error when none fits.

mod common;

use common::{API_KEY, client};
#[cfg(feature = "jwt")]
use common::{builder, device, key};
#[cfg(feature = "jwt")]
use nrfcloud::{
    auth::{AuthError, DeviceJwt},
    error::ErrorKind,
};
use serde_json::json;
use wiremock::{
    Mock, MockServer, ResponseTemplate,
    matchers::{header, method, path},
};

#[cfg(feature = "jwt")]
fn jwt() -> DeviceJwt {
    DeviceJwt::new(key("ec-p256-sec1.pem"), "nrf-352656100123456").unwrap()
}

#[tokio::test]
async fn api_key_goes_to_api_key_operations() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/devices"))
        .and(header(
            "authorization",
            format!("Bearer {API_KEY}").as_str(),
        ))
        .and(header(
            "user-agent",
            concat!("nrfcloud-rs/", env!("CARGO_PKG_VERSION")),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"items": []})))
        .expect(1)
        .mount(&server)
        .await;
    let page = client(&server).devices().list().send().await.unwrap();
    assert!(page.items().is_empty());
}

#[cfg(feature = "jwt")]
#[tokio::test]
async fn a_jwt_goes_to_an_operation_that_accepts_one() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/devices/nrf-352656100123456"))
        .respond_with(ResponseTemplate::new(200).set_body_json(device(
            "nrf-352656100123456",
            "a",
            &[],
            None,
        )))
        .expect(1)
        .mount(&server)
        .await;
    let client = builder(&server).jwt(jwt()).build().unwrap();
    client
        .devices()
        .get("nrf-352656100123456")
        .send()
        .await
        .unwrap();
    let requests = server.received_requests().await.unwrap();
    let auth = requests[0]
        .headers
        .get("authorization")
        .unwrap()
        .to_str()
        .unwrap();
    let token = auth.strip_prefix("Bearer ").unwrap();
    assert_eq!(
        token.split('.').count(),
        3,
        "a JWT, not the API key: {auth}"
    );
}

#[cfg(feature = "jwt")]
#[tokio::test]
async fn with_both_the_api_key_is_preferred() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/devices/dev-1"))
        .and(header(
            "authorization",
            format!("Bearer {API_KEY}").as_str(),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(device("dev-1", "a", &[], None)))
        .expect(1)
        .mount(&server)
        .await;
    let client = builder(&server)
        .api_key(API_KEY)
        .jwt(jwt())
        .build()
        .unwrap();
    client.devices().get("dev-1").send().await.unwrap();
}

#[cfg(feature = "jwt")]
#[tokio::test]
async fn api_key_operation_with_only_a_jwt_fails_before_sending() {
    let server = MockServer::start().await;
    let client = builder(&server).jwt(jwt()).build().unwrap();
    let e = client.devices().list().send().await.unwrap_err();
    match e.kind() {
        ErrorKind::Auth(AuthError::MissingCredential { operation, .. }) => {
            assert_eq!(*operation, "ListDevices")
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        e.to_string(),
        "ListDevices accepts an API key, but the client has a JWT"
    );
    // The raw client refuses too, through the same credentials.
    let raw = client.raw().rest().list_devices().send().await;
    assert!(raw.is_err());
    assert!(
        server.received_requests().await.unwrap().is_empty(),
        "nothing was sent"
    );
}

#[tokio::test]
async fn the_provisioning_service_gets_the_api_key() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/claimed-devices/dev-1/block"))
        .and(header(
            "authorization",
            format!("Bearer {API_KEY}").as_str(),
        ))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    client(&server)
        .provisioning()
        .claimed_devices()
        .block("dev-1")
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn a_redirect_to_another_host_never_carries_the_credentials() {
    let elsewhere = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/devices"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"items": []})))
        .mount(&elsewhere)
        .await;
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/devices"))
        .respond_with(
            ResponseTemplate::new(302)
                .insert_header("location", format!("{}/v1/devices", elsewhere.uri())),
        )
        .mount(&server)
        .await;
    client(&server).devices().list().send().await.unwrap();
    let sent = elsewhere.received_requests().await.unwrap();
    assert_eq!(sent.len(), 1, "the redirect is followed");
    for request in &sent {
        assert!(
            !request.headers.contains_key("authorization"),
            "{:?}",
            request.headers
        );
    }
    let first = &server.received_requests().await.unwrap()[0];
    assert_eq!(
        first.headers.get("authorization").unwrap(),
        format!("Bearer {API_KEY}").as_str()
    );
}
