//! Every operation of both documents through the generic path (`client.raw().send`), and every
//! paginated one through `client.raw().stream`: each failure is an `nrfcloud::Error` naming
//! its operation, with status, nRF code and request id when the server answered; each list
//! threads `pageNextToken` to the last page.

mod common;

use std::collections::BTreeSet;

use futures::TryStreamExt;
use nrfcloud::{
    Error,
    error::ErrorKind,
    raw::{OPERATIONS, ops},
};
use serde_json::json;
use wiremock::{
    Mock, MockServer, Request, ResponseTemplate,
    matchers::{any, query_param},
};

/// What one operation's call came back with.
struct Outcome {
    operation: &'static str,
    result: Result<(), Error>,
}

/// Sends every operation of `$api` with nothing but its builder's defaults; `$raw` is the
/// client the builders come from.
macro_rules! send_all {
    ($client:expr, $api:ident: $($op:ident => $method:ident,)*) => {{
        let mut outcomes = Vec::new();
        $(
            // Boxed: a hundred generated futures inlined in one test overflow its stack.
            let result = Box::pin($client.raw().send(ops::$api::$op, |c| c.$method().send()))
                .await
                .map(|_| ());
            outcomes.push(Outcome { operation: ops::$api::$op.operation().operation_id, result });
        )*
        outcomes
    }};
}

#[tokio::test]
async fn every_operation_returns_the_facades_error_through_the_generic_path() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(
            ResponseTemplate::new(409)
                .insert_header("x-amzn-requestid", "rid-generic-1")
                .set_body_json(json!({"code": 40900, "message": "conflict (mock)"})),
        )
        .mount(&server)
        .await;
    let client = client(&server);
    let mut outcomes = send_all!(client, rest:
        FETCH_ACCOUNT_INFO => fetch_account_info,
        LIST_INVOICES => list_invoices,
        GET_SERVICE_EVALUATION_TOKEN => get_service_evaluation_token,
        GENERATE_SERVICE_EVALUATION_TOKEN => generate_service_evaluation_token,
        GENERATE_SERVICE_KEY_AND_TOKEN => generate_service_key_and_token,
        GET_SERVICE_TOKEN => get_service_token,
        LIST_TAGS => list_tags,
        LIST_API_USAGE => list_api_usage,
        FETCH_API_USAGE_SUMMARY => fetch_api_usage_summary,
        LIST_DEVICE_ALERTS => list_device_alerts,
        ARCHIVE_DEVICE_ALERT => archive_device_alert,
        RESTORE_DEVICE_ALERT => restore_device_alert,
        DISSOCIATE_DEVICE => dissociate_device,
        ASSOCIATE_DEVICE => associate_device,
        FETCH_BINARY_LOGS_URL => fetch_binary_logs_url,
        LIST_BULK_OPS_REQUESTS => list_bulk_ops_requests,
        FETCH_BULK_OPS_REQUEST => fetch_bulk_ops_request,
        LIST_DEVICES => list_devices,
        ONBOARD_DEVICES => onboard_devices,
        REGISTER_CERTIFICATES => register_certificates,
        CREATE_MQTT_TEAM_DEVICE => create_mqtt_team_device,
        DELETE_MQTT_TEAM_DEVICE => delete_mqtt_team_device,
        GET_MQTT_TEAM_DEVICE_CERTIFICATE => get_mqtt_team_device_certificate,
        ROTATE_MQTT_TEAM_DEVICE_CERTIFICATE => rotate_mqtt_team_device_certificate,
        REGISTER_PUBLIC_KEYS => register_public_keys,
        LIST_DEVICE_TAGS => list_device_tags,
        DELETE_DEVICE => delete_device,
        FETCH_DEVICE => fetch_device,
        ONBOARD_DEVICE => onboard_device,
        CREATE_DEVICE_CERTIFICATE => create_device_certificate,
        FETCH_CHARACTERISTIC_VALUE => fetch_characteristic_value,
        UPDATE_CHARACTERISTIC_VALUE => update_characteristic_value,
        FETCH_CHARACTERISTIC_DESCRIPTOR_VALUE => fetch_characteristic_descriptor_value,
        UPDATE_CHARACTERISTIC_DESCRIPTOR_VALUE => update_characteristic_descriptor_value,
        DELETE_DEVICE_IMAGE => delete_device_image,
        UPDATE_DEVICE_IMAGE => update_device_image,
        SEND_DEVICE_MESSAGE => send_device_message,
        UPDATE_DEVICE_NAME => update_device_name,
        START_SCAN_FOR_BLE_DEVICES => start_scan_for_ble_devices,
        UPDATE_DEVICE_STATE => update_device_state,
        UPDATE_DEVICE_TAGS => update_device_tags,
        START_PERIPHERAL_DISCOVERY => start_peripheral_discovery,
        ADD_PERIPHERAL => add_peripheral,
        LIST_FIRMWARE => list_firmware,
        UPLOAD_FIRMWARE => upload_firmware,
        DELETE_FIRMWARE => delete_firmware,
        LIST_FOTA_JOB_EXECUTION_STATUSES => list_fota_job_execution_statuses,
        LIST_FOTA_JOB_EXECUTIONS_FOR_DEVICE => list_fota_job_executions_for_device,
        FETCH_CURRENT_PENDING_FOTA_JOB_EXECUTION => fetch_current_pending_fota_job_execution,
        FETCH_FOTA_JOB_EXECUTION => fetch_fota_job_execution,
        UPDATE_FOTA_JOB_EXECUTION_STATUS => update_fota_job_execution_status,
        LIST_FOTA_JOBS => list_fota_jobs,
        CREATE_FOTA_JOB => create_fota_job,
        DELETE_FOTA_JOB => delete_fota_job,
        FETCH_FOTA_JOB => fetch_fota_job,
        APPLY_FOTA_JOB => apply_fota_job,
        CANCEL_FOTA_JOB => cancel_fota_job,
        GET_ASSISTANCE_DATA_SIZE => get_assistance_data_size,
        GET_ASSISTANCE_DATA => get_assistance_data,
        GET_ASSISTANCE_DATA_ASSISTED_GPS => get_assistance_data_assisted_gps,
        GET_FILE_SIZE => get_file_size,
        LIST_ANCHORS => list_anchors,
        CREATE_ANCHOR => create_anchor,
        DELETE_ANCHOR => delete_anchor,
        FETCH_ANCHOR => fetch_anchor,
        UPDATE_ANCHOR => update_anchor,
        GET_LOCATION_FROM_CELLS => get_location_from_cells,
        GET_CONTRIBUTIONS => get_contributions,
        CONTRIBUTE_LOCATION_DATA => contribute_location_data,
        DELETE_CONTRIBUTION => delete_contribution,
        GET_ADDRESS_DATA_FROM_COORDINATES => get_address_data_from_coordinates,
        RECORD_GNSS_COORDINATES => record_gnss_coordinates,
        GET_LOCATION_FROM_CELLS_OR_WIFI_NETWORKS => get_location_from_cells_or_wifi_networks,
        GET_LOCATION_HISTORY => get_location_history,
        DELETE_LOCATION_HISTORY => delete_location_history,
        GET_PREDICTED_ASSISTANCE_DATA => get_predicted_assistance_data,
        GET_PREDICTED_ASSISTANCE_DATA_PREDICTED_GPS => get_predicted_assistance_data_predicted_gps,
        GET_SINGLE_CELL_LOCATION => get_single_cell_location,
        GET_LOCATION_FROM_WIFI_NETWORKS => get_location_from_wifi_networks,
        LIST_MESSAGES => list_messages,
        GET_SPEC => get_spec,
        GET_SYSTEM_STATUS => get_system_status,
    );
    outcomes.extend(send_all!(client, provisioning:
        LIST_CLAIMED_DEVICES => list_claimed_devices,
        CLAIM_DEVICE_OWNERSHIP => claim_device_ownership,
        BULK_CLAIM_DEVICE_OWNERSHIP => bulk_claim_device_ownership,
        LIST_PROVISIONING_TAGS => list_provisioning_tags,
        CREATE_PROVISIONING_TAG => create_provisioning_tag,
        DELETE_PROVISIONING_TAG => delete_provisioning_tag,
        FETCH_PROVISIONING_TAG => fetch_provisioning_tag,
        UPDATE_PROVISIONING_TAG => update_provisioning_tag,
        UNCLAIM_DEVICE => unclaim_device,
        FETCH_CLAIMED_DEVICE => fetch_claimed_device,
        BLOCK_CLAIMED_DEVICE => block_claimed_device,
        LIST_DEVICE_PROVISIONING_COMMANDS => list_device_provisioning_commands,
        CREATE_DEVICE_PROVISIONING_COMMAND => create_device_provisioning_command,
        DELETE_DEVICE_PROVISIONING_COMMAND => delete_device_provisioning_command,
        FETCH_DEVICE_PROVISIONING_COMMAND => fetch_device_provisioning_command,
        UPDATE_CLAIMED_DEVICE_TAGS => update_claimed_device_tags,
        UNBLOCK_CLAIMED_DEVICE => unblock_claimed_device,
        CLAIM_DEVICE_OWNERSHIP_IDENTITIES => claim_device_ownership_identities,
        LIST_PROVISIONING_RULES => list_provisioning_rules,
        CREATE_PROVISIONING_RULE => create_provisioning_rule,
        DELETE_PROVISIONING_RULE => delete_provisioning_rule,
        FETCH_PROVISIONING_RULE => fetch_provisioning_rule,
        UPDATE_PROVISIONING_RULE => update_provisioning_rule,
        LIST_PROVISIONING_TAGS_UTILS => list_provisioning_tags_utils,
        CREATE_PROVISIONING_TAG_UTILS => create_provisioning_tag_utils,
    ));

    let listed: BTreeSet<&str> = outcomes.iter().map(|o| o.operation).collect();
    let all: BTreeSet<&str> = OPERATIONS.iter().map(|o| o.operation_id).collect();
    assert_eq!(
        listed, all,
        "every operation of both documents is sent once"
    );
    assert_eq!(outcomes.len(), OPERATIONS.len());

    let (mut answered, mut refused_before_sending) = (0, 0);
    for o in &outcomes {
        let e = o.result.as_ref().expect_err(o.operation);
        match e.kind() {
            ErrorKind::Api(api) => {
                answered += 1;
                assert_eq!(api.operation(), o.operation);
                assert_eq!(e.status().map(|s| s.as_u16()), Some(409), "{}", o.operation);
                assert_eq!(e.request_id(), Some("rid-generic-1"), "{}", o.operation);
                let head = OPERATIONS
                    .iter()
                    .any(|op| op.operation_id == o.operation && op.method == "HEAD");
                // A HEAD answer has no body to carry the nRF code.
                assert_eq!(
                    e.nrf_code(),
                    if head { None } else { Some(40900) },
                    "{}",
                    o.operation
                );
                assert_eq!(e.attempts(), 1, "409 is not retried: {}", o.operation);
            }
            ErrorKind::InvalidRequest(invalid) => {
                refused_before_sending += 1;
                assert_eq!(invalid.operation(), o.operation);
                // The generated builder's own words for a missing required parameter or body.
                let m = invalid.message();
                assert!(
                    m.ends_with("was not initialized") || m.starts_with("no value supplied for "),
                    "{}: {m}",
                    o.operation
                );
            }
            other => panic!("{}: {other:?}", o.operation),
        }
    }
    let requests = server.received_requests().await.unwrap_or_default();
    assert_eq!(
        requests.len(),
        answered,
        "one request per answered call, none retried"
    );
    // The operations without a required parameter or body reach the server; the others are
    // refused before sending, by the generated builder, with the facade's error.
    assert_eq!(
        (answered, refused_before_sending),
        (ANSWERED, OPERATIONS.len() - ANSWERED)
    );
}

/// A client with every kind of credential (an API key and an evaluation token), so that
/// every operation has one it accepts.
fn client(server: &MockServer) -> nrfcloud::Client {
    common::builder(server)
        .api_key(common::API_KEY)
        .service_evaluation_token("eval-token-for-the-location-operations")
        .build()
        .unwrap()
}

/// Operations with no required parameter or body.
const ANSWERED: usize = 31;

/// One item for a list at `path`: the smallest one its generated type decodes.
fn item_for(path: &str) -> serde_json::Value {
    match path {
        "/v1/bulk-ops-requests" => {
            json!({"bulkOpsRequestId": "01JB8Z6X3Q9R4T5V7W2YKMNPCD", "status": "PENDING"})
        }
        "/v1/devices" => json!({"id": "nrf-352656100123456", "type": "Generic", "tags": []}),
        "/v1/devices/tags" => json!("field-test"),
        p if p.ends_with("/claimed-devices") => json!({"id": "nrf-352656100123456"}),
        p if p.ends_with("/provisioning") => json!({"id": "c-1", "status": "PENDING"}),
        _ => json!({}),
    }
}

/// Pages every paginated operation through `client.raw().stream`, two pages each; returns
/// each operation's item count.
macro_rules! stream_all {
    ($client:expr, $($api:ident :: $op:ident => $method:ident $(. $p:ident($v:expr))*;)*) => {{
        let mut counts: Vec<(&'static str, Result<usize, Error>)> = Vec::new();
        $(
            let items = $client.raw().stream(ops::$api::$op, move |c, token| async move {
                let mut request = c.$method() $(.$p($v))*;
                if let Some(token) = token {
                    request = request.page_next_token(token);
                }
                request.send().await
            });
            let n = Box::pin(items.try_collect::<Vec<_>>()).await.map(|v| v.len());
            counts.push((ops::$api::$op.operation().operation_id, n));
        )*
        counts
    }};
}

#[tokio::test]
async fn every_paginated_operation_streams_to_its_last_page() {
    let server = MockServer::start().await;
    Mock::given(query_param("pageNextToken", "p2/+="))
        .respond_with(|req: &Request| {
            ResponseTemplate::new(200)
                .set_body_json(json!({"items": [item_for(req.url.path())], "total": 2}))
        })
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(any())
        .respond_with(|req: &Request| {
            ResponseTemplate::new(200).set_body_json(
                json!({"items": [item_for(req.url.path())], "pageNextToken": "p2/+="}),
            )
        })
        .mount(&server)
        .await;
    let client = client(&server);
    const JOB: &str = "8b3b6c1e-6b9f-4c41-9e0a-2d6a8f6f1c3d";
    const DEVICE: &str = "nrf-352656100123456";
    let counts = stream_all!(client,
        rest::LIST_INVOICES => list_invoices;
        rest::LIST_API_USAGE => list_api_usage
            .inclusive_start(nrfcloud::raw::rest::types::UsageMetricDate("2026-11-01".into()))
            .exclusive_end(nrfcloud::raw::rest::types::UsageMetricDate("2026-12-01".into()));
        rest::LIST_DEVICE_ALERTS => list_device_alerts;
        rest::LIST_BULK_OPS_REQUESTS => list_bulk_ops_requests;
        rest::LIST_DEVICES => list_devices;
        rest::LIST_DEVICE_TAGS => list_device_tags.page_limit(std::num::NonZeroU64::MIN);
        rest::LIST_FIRMWARE => list_firmware;
        rest::LIST_FOTA_JOB_EXECUTION_STATUSES => list_fota_job_execution_statuses.job_id(JOB);
        rest::LIST_FOTA_JOB_EXECUTIONS_FOR_DEVICE => list_fota_job_executions_for_device.device_id(DEVICE);
        rest::LIST_FOTA_JOBS => list_fota_jobs;
        rest::LIST_ANCHORS => list_anchors;
        rest::GET_CONTRIBUTIONS => get_contributions;
        rest::GET_LOCATION_HISTORY => get_location_history;
        rest::LIST_MESSAGES => list_messages;
        provisioning::LIST_CLAIMED_DEVICES => list_claimed_devices;
        provisioning::LIST_PROVISIONING_TAGS => list_provisioning_tags;
        provisioning::LIST_DEVICE_PROVISIONING_COMMANDS => list_device_provisioning_commands.device_id(DEVICE);
        provisioning::LIST_PROVISIONING_RULES => list_provisioning_rules;
        provisioning::LIST_PROVISIONING_TAGS_UTILS => list_provisioning_tags_utils;
    );
    let streamed: BTreeSet<&str> = counts.iter().map(|(op, _)| *op).collect();
    let paginated: BTreeSet<&str> = OPERATIONS
        .iter()
        .filter(|o| o.paginated)
        .map(|o| o.operation_id)
        .collect();
    assert_eq!(streamed, paginated, "every paginated operation streams");
    assert_eq!(paginated.len(), 19);
    for (op, n) in counts {
        assert_eq!(n.as_ref().ok(), Some(&2), "{op}: {n:?}");
    }
    let requests = server.received_requests().await.unwrap_or_default();
    assert_eq!(requests.len(), 38, "two pages per list");
    let with_token = requests
        .iter()
        .filter(|r| {
            r.url
                .query_pairs()
                .any(|(k, v)| k == "pageNextToken" && v == "p2/+=")
        })
        .count();
    assert_eq!(
        with_token, 19,
        "the token goes back as it came, encoded once"
    );
}

#[tokio::test]
async fn a_generic_stream_fails_with_the_facades_error_and_ends() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(
            ResponseTemplate::new(403)
                .insert_header("x-amzn-requestid", "rid-403")
                .set_body_json(json!({"code": 40300, "message": "forbidden"})),
        )
        .mount(&server)
        .await;
    let client = common::client(&server);
    let all: Vec<_> = futures::StreamExt::collect::<Vec<_>>(client.raw().stream(
        ops::rest::LIST_DEVICE_ALERTS,
        |c, token| async move {
            let mut request = c.list_device_alerts();
            if let Some(token) = token {
                request = request.page_next_token(token);
            }
            request.send().await
        },
    ))
    .await;
    assert_eq!(all.len(), 1);
    let e = all[0].as_ref().unwrap_err();
    assert_eq!(
        (e.status().map(|s| s.as_u16()), e.nrf_code(), e.request_id()),
        (Some(403), Some(40300), Some("rid-403"))
    );
    assert_eq!(
        e.to_string(),
        "ListDeviceAlerts failed with HTTP 403 Forbidden (nRF code 40300): forbidden"
    );
}
