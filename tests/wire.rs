//! The generated clients against a local HTTP server (127.0.0.1): what goes on the wire and what
//! comes back decodes into the generated types.

use std::sync::Arc;

use nrfcloud_api::{Authorize, Inner, Operation, Scheme, provisioning, rest};
use reqwest::header::HeaderValue;
use serde_json::json;
use wiremock::matchers::{body_string, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TENANT: &str = "6b7f3c6e-2c39-4a3a-9b1e-4f6c1f4d2a10";

/// Answers with a bearer key for API-key operations only, like the facade's credential set.
#[derive(Debug)]
struct ApiKeyOnly;

impl Authorize for ApiKeyOnly {
    fn authorize(&self, op: &Operation) -> Result<Option<HeaderValue>, String> {
        if op.schemes.contains(&Scheme::ApiKey) {
            Ok(Some(HeaderValue::from_static("Bearer test-key")))
        } else {
            Err(format!("{} needs a JWT", op.operation_id))
        }
    }
}

fn inner() -> Inner {
    Inner::new().with_authorizer(Arc::new(ApiKeyOnly))
}

fn rest_client(server: &MockServer) -> rest::Client {
    rest::Client::new(&format!("{}/v1", server.uri()), inner())
}

fn device(id: &str, kind: &str, sub_type: &str) -> serde_json::Value {
    json!({
        "id": id,
        "name": id,
        "tags": ["factory-line-3"],
        "tenantId": TENANT,
        "subType": sub_type,
        "type": kind,
        "$meta": {"createdAt": "2026-11-02T10:11:12.345Z", "updatedAt": "2026-11-03T10:11:12.345Z"},
        "state": {"reported": {"device": {"networkInfo": {"currentBand": 20}}}, "version": 3},
        "firmware": {"supports": ["APP", "MODEM"]}
    })
}

#[tokio::test]
async fn fetch_device_decodes_generic_and_gateway_devices() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/devices/nrf-352656100123456"))
        .and(header("authorization", "Bearer test-key"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("etag", "\"3\"")
                .set_body_json(device(
                    "nrf-352656100123456",
                    "Generic",
                    "jitp-nordic-hardware",
                )),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/devices/gw-0001"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(device("gw-0001", "Gateway", "rasppi")),
        )
        .mount(&server)
        .await;
    let client = rest_client(&server);

    let resp = client
        .fetch_device()
        .device_id("nrf-352656100123456")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers().get("etag").unwrap(), "\"3\"");
    match resp.into_inner() {
        rest::types::FetchDevice200Response::Variant1(d) => {
            assert_eq!(d.id.as_str(), "nrf-352656100123456");
            assert_eq!(d.tenant_id.as_deref(), Some(TENANT));
            assert_eq!(d.tags, ["factory-line-3"]);
            assert_eq!(d.state.unwrap().version, Some(3.0));
        }
        other => panic!("expected a generic device, got {other:?}"),
    }
    let gateway = client
        .fetch_device()
        .device_id("gw-0001")
        .send()
        .await
        .unwrap()
        .into_inner();
    assert!(
        matches!(gateway, rest::types::FetchDevice200Response::Variant2(ref g) if g.id.as_str() == "gw-0001"),
        "{gateway:?}"
    );
}

#[tokio::test]
async fn invalid_device_ids_fail_before_sending() {
    let server = MockServer::start().await;
    let client = rest_client(&server);
    // The upstream `/…/i` literal rejected every real id; an invalid one still fails locally.
    let err = client
        .fetch_device()
        .device_id("not a device id!")
        .send()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("device_id"), "{err}");
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn list_devices_decodes_a_page_and_threads_the_token() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/devices"))
        .and(query_param("pageLimit", "2"))
        .and(query_param("pageNextToken", "eyJrIjoibnJmLTEifQ=="))
        .and(query_param("tags", "a"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "items": [
                device("nrf-352656100000001", "Generic", "jitp-generic"),
                device("gw-2", "Gateway", "soft"),
                {"id": "nrf-352656100000003", "transformed": true}
            ],
            "total": 3,
            "pageNextToken": "eyJrIjoibnJmLTMifQ=="
        })))
        .mount(&server)
        .await;
    let page = rest_client(&server)
        .list_devices()
        .page_limit(std::num::NonZeroU64::new(2).unwrap())
        .page_next_token("eyJrIjoibnJmLTEifQ==")
        .tags(vec!["a".to_string()])
        .send()
        .await
        .unwrap()
        .into_inner();
    use rest::types::{
        Device, PaginatedResultDeviceOrJsoNataTransformedResponseItemsInner as Item,
    };
    assert_eq!(
        page.page_next_token.as_deref(),
        Some("eyJrIjoibnJmLTMifQ==")
    );
    assert_eq!(page.items.len(), 3);
    assert!(
        matches!(&page.items[0], Item::Variant0(Device::GenericDevice(_))),
        "{:?}",
        page.items[0]
    );
    assert!(
        matches!(&page.items[1], Item::Variant0(Device::GatewayDevice(_))),
        "{:?}",
        page.items[1]
    );
    // Not a device (no `type`): kept whole as JSON, by the `Device` union's catch-all.
    assert!(
        matches!(&page.items[2], Item::Variant0(Device::Unrecognized(v)) if v["transformed"] == true),
        "JSONata results are kept: {:?}",
        page.items[2]
    );
}

#[tokio::test]
async fn onboarding_csv_goes_out_as_raw_text_csv() {
    let server = MockServer::start().await;
    let csv = "nrf-352656100123456,,tag1|tag2,APP|MODEM,\"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n\"\n";
    Mock::given(method("POST"))
        .and(path("/v1/devices"))
        .and(header("content-type", "text/csv"))
        .and(body_string(csv))
        .respond_with(
            ResponseTemplate::new(202)
                .set_body_json(json!({"bulkOpsRequestId": "01G4ACS60SAEK1YNGSSJHBEET0"})),
        )
        .mount(&server)
        .await;
    let resp = rest_client(&server)
        .onboard_devices()
        .body(csv.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 202);
    assert_eq!(
        resp.into_inner().bulk_ops_request_id.as_str(),
        "01G4ACS60SAEK1YNGSSJHBEET0"
    );
    let sent = &server.received_requests().await.unwrap()[0];
    assert_eq!(
        sent.headers.get_all("content-type").iter().count(),
        1,
        "exactly one Content-Type"
    );
}

#[tokio::test]
async fn claims_send_json_or_csv_as_the_caller_says() {
    use provisioning::types::{
        ClaimDeviceOwnershipContentType as Ct, ClaimedDeviceOrBulkClaimResult as Outcome,
    };
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/claimed-devices"))
        .and(header("content-type", "text/csv"))
        .and(body_string("\"tok1\"\n\"tok2\",\"a,b\"\n"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"claimedIds": ["d1"], "failed": ["tok2"]})),
        )
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/claimed-devices"))
        .and(header("content-type", "application/json"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({
            "id": "8f8e4a1c-1d2b-4c3d-9e8f-0a1b2c3d4e5f", "imei": "352656106118683",
            "ownershipStatus": "IDENTIFIED", "status": "READY", "tags": [],
            "claimedAt": "2023-06-13T14:17:14.352Z"
        })))
        .mount(&server)
        .await;
    let client = provisioning::Client::new(&format!("{}/v1", server.uri()), inner());

    let bulk = client
        .claim_device_ownership()
        .content_type(Ct::TextCsv)
        .body("\"tok1\"\n\"tok2\",\"a,b\"\n")
        .send()
        .await
        .unwrap()
        .into_inner();
    assert!(
        matches!(bulk, Outcome::BulkClaimResult(ref r) if r.claimed_ids == ["d1"] && r.failed == ["tok2"]),
        "{bulk:?}"
    );

    let one = client
        .claim_device_ownership()
        .content_type(Ct::ApplicationJson)
        .body(serde_json::to_vec(&json!({"claimToken": "tok1"})).unwrap())
        .send()
        .await
        .unwrap()
        .into_inner();
    assert!(
        matches!(one, Outcome::ClaimedDevice(ref d) if d.imei.as_deref() == Some("352656106118683")),
        "{one:?}"
    );
}

#[tokio::test]
async fn updates_carry_if_match_and_errors_decode_as_nrf_errors() {
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .and(path("/v1/devices/nrf-352656100123456/name"))
        .and(header("if-match", "3"))
        .and(body_string("\"line 3, slot 7\""))
        .respond_with(
            ResponseTemplate::new(412)
                .set_body_json(json!({"code": 41200, "message": "version mismatch"})),
        )
        .mount(&server)
        .await;
    let err = rest_client(&server)
        .update_device_name()
        .device_id("nrf-352656100123456")
        .if_match("3")
        .body("line 3, slot 7")
        .send()
        .await
        .unwrap_err();
    match err {
        rest::Error::ErrorResponse(rv) => {
            assert_eq!(rv.status(), 412);
            assert_eq!(rv.code, Some(41200));
            assert_eq!(rv.message, "version mismatch");
        }
        other => panic!("expected a typed 412, got {other:?}"),
    }
}

#[tokio::test]
async fn the_authorizer_refusal_stops_the_request() {
    let server = MockServer::start().await;
    // GetLocationFromCells accepts only a JWT or a service evaluation token.
    let err = rest_client(&server)
        .get_location_from_cells()
        .body(rest::types::CellRequest::builder())
        .send()
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("GetLocationFromCells needs a JWT"),
        "{err}"
    );
    assert!(
        server.received_requests().await.unwrap().is_empty(),
        "nothing was sent"
    );
}
