//! What an error tells: status, nRF code, message, request id, JSON path; and dry-run verdicts.

mod common;

use common::{client, device};
use nrfcloud::{
    devices::DeviceExt, error::ErrorKind, provisioning::ClaimVerdict, raw::rest::types::Device,
};
use serde_json::json;
use wiremock::{
    Mock, MockServer, ResponseTemplate,
    matchers::{method, path, query_param},
};

#[tokio::test]
async fn api_error_fields() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/devices/missing"))
        .respond_with(
            ResponseTemplate::new(404)
                .insert_header("x-amzn-requestid", "5f1c-req")
                .set_body_json(json!({"code": 40410, "message": "Device missing not found"})),
        )
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/v1/devices/missing"))
        .respond_with(
            ResponseTemplate::new(404)
                .insert_header("apigw-requestid", "gw-7")
                .set_body_json(json!({"code": 40414, "message": "No device"})),
        )
        .mount(&server)
        .await;
    let client = client(&server);
    for e in [
        client.devices().get("missing").send().await.unwrap_err(),
        client.devices().delete("missing").send().await.unwrap_err(),
    ] {
        assert!(e.is_not_found(), "{e}");
        assert_eq!(e.status().unwrap().as_u16(), 404);
        assert!(matches!(e.nrf_code(), Some(40410 | 40414)));
        assert!(e.message().is_some());
        assert!(matches!(e.request_id(), Some("5f1c-req" | "gw-7")), "{e:?}");
    }
}

#[tokio::test]
async fn a_device_with_a_field_out_of_shape_still_arrives() {
    let server = MockServer::start().await;
    let mut bad = device("dev-1", "a", &["t"], None);
    bad["$meta"]["createdAt"] = json!("yesterday");
    Mock::given(method("GET"))
        .and(path("/v1/devices/dev-1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(bad))
        .mount(&server)
        .await;
    let device = client(&server).devices().get("dev-1").send().await.unwrap();
    assert!(matches!(&*device, Device::Unrecognized(_)), "{device:?}");
    assert_eq!(device.id(), "dev-1");
    assert_eq!(device.name(), Some("a"));
}

#[tokio::test]
async fn a_body_out_of_shape_where_it_is_read_reports_the_json_path() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/devices"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("x-request-id", "r-9")
                .set_body_json(json!({"items": 5})),
        )
        .mount(&server)
        .await;
    let e = client(&server).devices().list().send().await.unwrap_err();
    let ErrorKind::Decode(d) = e.kind() else {
        panic!("{e:?}")
    };
    assert_eq!(d.operation(), "ListDevices");
    assert_eq!(e.status().unwrap().as_u16(), 200);
    assert_eq!(e.request_id(), Some("r-9"));
    assert_eq!(d.path(), "items");
}

#[tokio::test]
async fn an_invalid_device_id_is_rejected_before_sending() {
    let server = MockServer::start().await;
    let e = client(&server)
        .devices()
        .rename("has space", "n")
        .send()
        .await
        .unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::InvalidRequest(_)), "{e:?}");
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn dry_run_verdicts() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/claimed-devices"))
        .and(query_param("dryrun", "true"))
        .and(wiremock::matchers::body_partial_json(
            json!({"claimToken": "GOOD.TOKEN"}),
        ))
        .respond_with(ResponseTemplate::new(202))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/claimed-devices"))
        .and(query_param("dryrun", "true"))
        .and(wiremock::matchers::body_partial_json(
            json!({"claimToken": "TAKEN.TOKEN"}),
        ))
        .respond_with(
            ResponseTemplate::new(400).set_body_json(
                json!({"code": 40101, "message": "Device owned by another account"}),
            ),
        )
        .mount(&server)
        .await;
    let provisioning = client(&server).provisioning();
    assert_eq!(
        provisioning.claim("GOOD.TOKEN").dry_run().await.unwrap(),
        ClaimVerdict::Claimable
    );
    assert_eq!(
        provisioning.claim("TAKEN.TOKEN").dry_run().await.unwrap(),
        ClaimVerdict::NotClaimable {
            status: 400,
            nrf_code: Some(40101),
            reason: "Device owned by another account".into()
        }
    );
}

#[tokio::test]
async fn claim_returns_the_claimed_device() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/claimed-devices"))
        .and(wiremock::matchers::header(
            "content-type",
            "application/json",
        ))
        .and(wiremock::matchers::body_json(
            json!({"claimToken": "AAA.BBB", "tags": ["nrf-cloud-onboarding"]}),
        ))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({
            "id": "50503041-3633-4261-803d-1e2b8f70111a",
            "imei": "352656106118683",
            "ownershipStatus": "IDENTIFIED",
            "status": "SOMETHING_NEW",
            "tags": ["nrf-cloud-onboarding"],
            "claimedAt": "2023-06-13T14:17:14.352Z"
        })))
        .expect(1)
        .mount(&server)
        .await;
    let claimed = client(&server)
        .provisioning()
        .claim("AAA.BBB")
        .tags(["nrf-cloud-onboarding"])
        .send()
        .await
        .unwrap();
    assert_eq!(claimed.id, "50503041-3633-4261-803d-1e2b8f70111a");
    assert_eq!(
        claimed.ownership_status,
        Some(nrfcloud::provisioning::OwnershipStatus::Identified)
    );
    assert_eq!(
        claimed.status,
        Some(nrfcloud::provisioning::ClaimedDeviceStatus::Other(
            "SOMETHING_NEW".into()
        )),
        "an unknown status is kept, not a decode failure"
    );
}

#[tokio::test]
async fn csv_claims_send_text_csv_and_read_both_answers() {
    use nrfcloud::provisioning::CsvClaimOutcome;
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/claimed-devices"))
        .and(wiremock::matchers::header("content-type", "text/csv"))
        .and(wiremock::matchers::body_string("AAA.BBB,tag1\n"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"claimedIds": ["d1"], "failed": []})),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/claimed-devices/bulk"))
        .and(wiremock::matchers::header("content-type", "text/csv"))
        .respond_with(
            ResponseTemplate::new(202)
                .set_body_json(json!({"bulkOpsRequestId": "01G4ACS60SAEK1YNGSSJHBEET0"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let provisioning = client(&server).provisioning();
    let sync = provisioning
        .claim_csv("AAA.BBB,tag1\n")
        .send()
        .await
        .unwrap();
    assert_eq!(
        sync,
        CsvClaimOutcome::Claimed {
            claimed_ids: vec!["d1".into()],
            failed: vec![]
        }
    );
    let bulk = common::builder(&server)
        .api_key(common::API_KEY)
        .bulk_claim_endpoint(true)
        .build()
        .unwrap();
    let accepted = bulk
        .provisioning()
        .claim_csv("AAA.BBB\n")
        .send()
        .await
        .unwrap();
    assert_eq!(
        accepted,
        CsvClaimOutcome::Accepted {
            bulk_ops_request_id: "01G4ACS60SAEK1YNGSSJHBEET0".into()
        }
    );
}

#[tokio::test]
async fn the_guides_identities_path_serves_claims_dry_runs_and_csv() {
    use nrfcloud::provisioning::{ClaimPath, CsvClaimOutcome};
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/identities/claimed-devices"))
        .and(query_param("dryrun", "true"))
        .respond_with(ResponseTemplate::new(202))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/identities/claimed-devices"))
        .and(wiremock::matchers::header(
            "content-type",
            "application/json",
        ))
        .respond_with(
            ResponseTemplate::new(201)
                .set_body_json(json!({"id": "50503041-3633-4261-803d-1e2b8f70111a", "tags": []})),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/identities/claimed-devices"))
        .and(wiremock::matchers::header("content-type", "text/csv"))
        .and(wiremock::matchers::body_string("AAA.BBB\n"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"claimedIds": ["d1"], "failed": []})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let provisioning = common::builder(&server)
        .api_key(common::API_KEY)
        .claim_path(ClaimPath::Identities)
        .build()
        .unwrap()
        .provisioning();
    let verdict = provisioning.claim("AAA.BBB").dry_run();
    assert_eq!(verdict.await.unwrap(), ClaimVerdict::Claimable);
    let claimed = provisioning.claim("AAA.BBB").send();
    assert_eq!(
        claimed.await.unwrap().id,
        "50503041-3633-4261-803d-1e2b8f70111a"
    );
    let csv = provisioning.claim_csv("AAA.BBB\n").send();
    assert!(
        matches!(csv.await.unwrap(), CsvClaimOutcome::Claimed { ref claimed_ids, .. } if claimed_ids == &["d1"])
    );
    assert!(
        server
            .received_requests()
            .await
            .unwrap()
            .iter()
            .all(|r| r.url.path() == "/v1/identities/claimed-devices"),
        "nothing went to /claimed-devices"
    );
}
