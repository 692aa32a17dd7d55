//! Responses that public projects captured from the live service (`tests/fixtures/live/`,
//! sources in its README) decode with the generated success type of their operation, and with
//! the facade type where there is one. Our document and simulator are reconstructions; these
//! bodies are the referee.

use std::path::{Path, PathBuf};

use nrfcloud::{
    bulk_ops::BulkOpsRequest,
    devices::DeviceExt,
    provisioning::ClaimedDevice,
    raw::{provisioning::types as pt, rest::types as rt},
};
use serde::de::DeserializeOwned;

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/live")
}

/// Every capture as (operationId, file name, body).
fn corpus() -> Vec<(String, String, Vec<u8>)> {
    let mut files: Vec<_> = std::fs::read_dir(dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let name = p.file_name().unwrap().to_str().unwrap().to_owned();
            let op = name.split('.').next().unwrap().to_owned();
            (op, name, std::fs::read(&p).unwrap())
        })
        .collect()
}

fn body(file: &str) -> Vec<u8> {
    std::fs::read(dir().join(file)).unwrap_or_else(|e| panic!("{file}: {e}"))
}

fn decode<T: DeserializeOwned>(file: &str, body: &[u8]) -> T {
    let de = &mut serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(de)
        .unwrap_or_else(|e| panic!("{file} does not decode at `{}`: {}", e.path(), e.inner()))
}

/// Decodes `body` with the generated success type of `op` (the operation inventory's
/// "success type" column).
fn decode_generated(op: &str, file: &str, body: &[u8]) {
    match op {
        "BulkClaimDeviceOwnership" => drop(decode::<pt::BulkOpsRequestAccepted>(file, body)),
        "ClaimDeviceOwnershipIdentities" => {
            drop(decode::<pt::ClaimedDeviceOrBulkClaimResult>(file, body))
        }
        "CreateDeviceCertificate" => drop(decode::<rt::DeviceCertificate>(file, body)),
        "CreateFOTAJob" => drop(decode::<rt::CreateFotaJob201Response>(file, body)),
        "FetchAccountInfo" => drop(decode::<rt::AccountInfoArgs>(file, body)),
        "FetchBulkOpsRequest" => drop(decode::<rt::BulkOpsRequestDetails>(file, body)),
        "FetchDevice" => drop(decode::<rt::FetchDevice200Response>(file, body)),
        "FetchFOTAJob" => drop(decode::<rt::Fotav2Job>(file, body)),
        "GetLocationFromCells" => drop(decode::<rt::CellResponseWithFulfillment>(file, body)),
        "GetLocationFromCellsOrWifiNetworks" => {
            drop(decode::<rt::GroundFixResponseWithFulfillment>(file, body))
        }
        "GetLocationHistory" => drop(decode::<rt::PaginatedResultLocationTrackerItem>(file, body)),
        "GetPredictedAssistanceDataPredictedGPS" => drop(decode::<
            rt::GetPredictedAssistanceData200Response,
        >(file, body)),
        "GetServiceToken" => drop(decode::<rt::GetServiceToken200Response>(file, body)),
        "GetSingleCellLocation" => drop(decode::<rt::GetSingleCellLocation200Response>(file, body)),
        "ListDevices" => drop(decode::<
            rt::PaginatedResultDeviceOrJsoNataTransformedResponse,
        >(file, body)),
        "ListFirmware" => drop(decode::<rt::PaginatedResultFirmware>(file, body)),
        "ListMessages" => drop(decode::<rt::PaginatedResultDeviceMessage>(file, body)),
        other => panic!("{file}: no decoder for operation {other}; add it to this table"),
    }
}

#[test]
fn every_capture_decodes_with_its_generated_success_type() {
    let corpus = corpus();
    assert!(corpus.len() >= 35, "{} captures", corpus.len());
    for (op, file, body) in &corpus {
        decode_generated(op, file, body);
    }
}

#[test]
fn every_capture_is_listed_in_the_readme_with_its_source() {
    let readme = std::fs::read_to_string(dir().join("README.md")).unwrap();
    let mut listed: Vec<&str> = readme
        .lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .filter_map(|l| l.split('`').next())
        .collect();
    listed.sort();
    let files: Vec<String> = corpus().into_iter().map(|(_, f, _)| f).collect();
    assert_eq!(listed, files);
}

#[test]
fn the_live_account_decodes_with_its_enterprise_plan() {
    // No `userId`, and a plan with `serviceKeys` and costs but no `overages`.
    let file = "FetchAccountInfo.nrfcloud-api-helpers.json";
    let account: rt::AccountInfoArgs = decode(file, &body(file));
    assert_eq!(account.user_id, None);
    let tenant = account
        .team
        .and_then(|t| t.tenant_id)
        .map(|t| t.to_string());
    assert_eq!(
        tenant.as_deref(),
        Some("b8b26bc5-2814-4063-b4fa-83ecddb2fec7")
    );
    assert!(
        matches!(
            account.plan,
            Some(rt::AccountInfoArgsPlan::EnterprisePerDeviceBillingModelPlan(_))
        ),
        "{:?}",
        account.plan
    );
    // The developer-plan capture's plan name is not one the document knows: kept as JSON.
    let file = "FetchAccountInfo.thingy91-notes-2023-developer-plan.json";
    let account: rt::AccountInfoArgs = decode(file, &body(file));
    assert!(
        matches!(account.plan, Some(rt::AccountInfoArgsPlan::Unrecognized(_))),
        "{:?}",
        account.plan
    );
}

#[test]
fn live_location_history_has_string_coordinates_and_empty_meta() {
    let file = "GetLocationHistory.nrfcloud-api-helpers.json";
    let page: rt::PaginatedResultLocationTrackerItem = decode(file, &body(file));
    assert_eq!(page.items.len(), 2);
    let first = &page.items[0];
    let number = |n: &Option<nrfcloud::raw::lenient::Number>| n.as_ref().and_then(|n| n.as_f64());
    assert_eq!(number(&first.lat), Some(59.92335269));
    assert_eq!(number(&first.lon), Some(10.68829941));
    assert_eq!(number(&first.uncertainty), Some(301.0));
    assert!(first.lat.as_ref().unwrap().was_quoted());
    let meta = first.meta.as_ref().unwrap();
    assert_eq!((meta.acc.as_ref(), meta.alt.as_ref()), (None, None));
    // Numbers that arrive as numbers decode the same way.
    let as_numbers = String::from_utf8(body(file))
        .unwrap()
        .replace(r#""lat": "59.92335269""#, r#""lat": 59.92335269"#);
    let page: rt::PaginatedResultLocationTrackerItem = decode(file, as_numbers.as_bytes());
    assert_eq!(number(&page.items[0].lat), Some(59.92335269));
    assert!(!page.items[0].lat.as_ref().unwrap().was_quoted());
}

#[test]
fn the_guide_s_bulk_operation_without_endpoint_reaches_the_facade() {
    let file = "FetchBulkOpsRequest.nrfcloud-docs-claiming-guide.json";
    let op = BulkOpsRequest::from(decode::<rt::BulkOpsRequestDetails>(file, &body(file)));
    assert_eq!(op.id, "01G4ACS60SAEK1YNGSSJHBEET0");
    assert_eq!(op.status.as_str(), "SUCCEEDED");
    assert!(op.status.is_terminal());
    assert_eq!(op.endpoint, None);
    assert!(op.completed_at.is_some());
}

#[test]
fn live_devices_reach_the_facade_with_their_ids() {
    let file = "FetchDevice.hello-backend-deviceShadow.json";
    let device: rt::Device = decode(file, &body(file));
    assert!(matches!(device, rt::Device::GenericDevice(_)), "{device:?}");
    assert_eq!(device.id(), "someId");
    assert_eq!(device.name(), Some("someId"));
    // List items with only id, `$meta` and state (includeState): kept whole, id readable.
    let file = "ListDevices.hello-backend-FOTA-feature-state.json";
    let page: serde_json::Value = decode(file, &body(file));
    for item in page["items"].as_array().unwrap() {
        let device: rt::Device = decode(file, item.to_string().as_bytes());
        assert_eq!(device.id(), item["id"].as_str().unwrap());
    }
}

#[test]
fn the_guide_s_claimed_device_reaches_the_facade() {
    let file = "ClaimDeviceOwnershipIdentities.nrfcloud-docs-claiming-guide.json";
    let answer: pt::ClaimedDeviceOrBulkClaimResult = decode(file, &body(file));
    let pt::ClaimedDeviceOrBulkClaimResult::ClaimedDevice(device) = answer else {
        panic!("{answer:?}")
    };
    let device = ClaimedDevice::from(device);
    assert_eq!(device.id, "7b21b4bc-1cc9-41df-b05c-61b4605e5bb0");
    assert_eq!(device.tags, ["location=Trondheim"]);
}
