//! Schema conformance: every implemented operation is driven through the raw clients generated
//! from `openapi/*.json`, which decode each response with the generated types. A body that
//! does not match its schema fails the call, and so the test. Where a schema ends in a catch-all
//! (`oneOf [..., {}]`), the test also checks that the typed member matched.

mod common;

use std::{collections::BTreeSet, time::Duration};

use common::{
    app_zip, jwt, key, onboard_row, private_key_pem, provisioning_client, public_key_pem,
    rest_client,
};
use nrfcloud_api::{
    Api, OPERATIONS,
    provisioning::{self, types as pt},
    rest::{self, types as rt},
};
use nrfcloud_sim::Simulator;

/// Operations this test drives; checked against the operation table at the end.
const REST_OPS: &[&str] = &[
    "FetchAccountInfo",
    "GenerateServiceKeyAndToken",
    "OnboardDevices",
    "RegisterPublicKeys",
    "RegisterCertificates",
    "ListDevices",
    "FetchDevice",
    "UpdateDeviceName",
    "UpdateDeviceTags",
    "UpdateDeviceState",
    "DeleteDevice",
    "ListBulkOpsRequests",
    "FetchBulkOpsRequest",
    "UploadFirmware",
    "ListFirmware",
    "DeleteFirmware",
    "CreateFOTAJob",
    "ListFOTAJobs",
    "FetchFOTAJob",
    "ApplyFOTAJob",
    "CancelFOTAJob",
    "DeleteFOTAJob",
    "ListFOTAJobExecutionStatuses",
    "ListFOTAJobExecutionsForDevice",
    "FetchFOTAJobExecution",
    "FetchCurrentPendingFOTAJobExecution",
    "UpdateFOTAJobExecutionStatus",
    "SendDeviceMessage",
    "ListMessages",
];

/// Status and nRF code of an error response.
fn code(e: rest::Error<rt::NrfCloudError>) -> (u16, Option<i64>) {
    match e {
        rest::Error::ErrorResponse(r) => (r.status().as_u16(), r.into_inner().code),
        other => panic!("expected an nRF error body, got {other:?}"),
    }
}

async fn wait(client: &rest::Client, id: &str) -> rt::BulkOpsRequestDetails {
    for _ in 0..500 {
        let op = client
            .fetch_bulk_ops_request()
            .bulk_ops_request_id(id)
            .send()
            .await
            .unwrap()
            .into_inner();
        if op.status.0 == "SUCCEEDED" || op.status.0 == "FAILED" {
            return op;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("bulk operation {id} did not finish");
}

#[tokio::test]
async fn rest_responses_match_the_rest_document() {
    let sim = Simulator::start().await.unwrap();
    let client = rest_client(&sim, sim.api_key());

    let account = client
        .fetch_account_info()
        .send()
        .await
        .unwrap()
        .into_inner();
    let tenant = account
        .team
        .and_then(|t| t.tenant_id)
        .map(|t| t.to_string());
    assert_eq!(tenant.as_deref(), Some(sim.team_id()));
    assert!(matches!(
        account.plan,
        Some(rt::AccountInfoArgsPlan::EnterprisePerDeviceBillingModelPlan(_))
    ));

    let generated = client
        .generate_service_key_and_token()
        .send()
        .await
        .unwrap()
        .into_inner();
    assert!(generated.key.unwrap().contains("EC PRIVATE KEY"));

    let csv = [
        onboard_row(
            "nrf-352656100000001",
            "",
            "a|b",
            "APP",
            &public_key_pem(&key("1")),
        ),
        onboard_row(
            "gw-1",
            "jitp-apricity-gateway",
            "",
            "",
            &public_key_pem(&key("2")),
        ),
        onboard_row("bad id", "", "", "", &public_key_pem(&key("3"))),
    ]
    .concat();
    let accepted = client
        .onboard_devices()
        .body(csv)
        .send()
        .await
        .unwrap()
        .into_inner();
    let op = wait(&client, &accepted.bulk_ops_request_id).await;
    assert_eq!(op.status.0, "FAILED");
    assert_eq!(op.endpoint.unwrap().0, "ONBOARD_DEVICES");
    assert!(op.error_summary_url.is_some());

    let keys = format!("gw-1,\"{}\"\n", public_key_pem(&key("4")));
    let accepted = client
        .register_public_keys()
        .body(keys)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        wait(&client, &accepted.bulk_ops_request_id).await.status.0,
        "SUCCEEDED"
    );
    let certs = format!("gw-1,\"{}\"\n", common::certificate_pem(&key("5"), "gw-1"));
    let accepted = client
        .register_certificates()
        .body(certs)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        wait(&client, &accepted.bulk_ops_request_id).await.status.0,
        "SUCCEEDED"
    );

    let page = client
        .list_devices()
        .page_limit(1)
        .tags(vec!["a".to_string()])
        .include_state(true)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(page.items.len(), 1);
    assert!(
        matches!(
            &page.items[0],
            rt::PaginatedResultDeviceOrJsoNataTransformedResponseItemsInner::Variant0(
                rt::Device::GenericDevice(_)
            )
        ),
        "{:?}",
        page.items[0]
    );
    let page = client
        .list_devices()
        .page_limit(1)
        .send()
        .await
        .unwrap()
        .into_inner();
    let token = page.page_next_token.expect("two devices, pages of one");
    let second = client
        .list_devices()
        .page_limit(1)
        .page_next_token(token)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert!(second.page_next_token.is_none());

    let fetched = client
        .fetch_device()
        .device_id("nrf-352656100000001")
        .send()
        .await
        .unwrap();
    let etag = fetched.headers()["etag"].to_str().unwrap().to_string();
    let rt::FetchDevice200Response::Variant1(device) = fetched.into_inner() else {
        panic!("a Generic device decodes as GenericDevice");
    };
    assert_eq!(device.tags, ["a", "b"]);
    let gateway = client
        .fetch_device()
        .device_id("gw-1")
        .send()
        .await
        .unwrap()
        .into_inner();
    assert!(
        matches!(gateway, rt::FetchDevice200Response::Variant2(_)),
        "{gateway:?}"
    );

    client
        .update_device_name()
        .device_id("nrf-352656100000001")
        .if_match(etag.clone())
        .body("Kitchen".to_string())
        .send()
        .await
        .unwrap();
    let stale = client
        .update_device_tags()
        .device_id("nrf-352656100000001")
        .if_match(etag)
        .body(vec!["c".to_string()])
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(stale), (412, Some(41200)));
    client
        .update_device_tags()
        .device_id("nrf-352656100000001")
        .body(vec!["c".to_string()])
        .send()
        .await
        .unwrap();
    let mut reported = serde_json::Map::new();
    reported.insert("fw".into(), "1.2.3".into());
    client
        .update_device_state()
        .device_id("nrf-352656100000001")
        .body(rt::DeviceStateInput {
            desired: Default::default(),
            reported,
        })
        .send()
        .await
        .unwrap();
    client
        .delete_device()
        .device_id("gw-1")
        .send()
        .await
        .unwrap();
    let gone = client
        .fetch_device()
        .device_id("gw-1")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(gone), (404, Some(40410)));

    let ops = client
        .list_bulk_ops_requests()
        .page_limit(2.0)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(ops.items.len(), 2);
    assert!(ops.page_next_token.is_some());

    for op in REST_OPS {
        assert!(
            OPERATIONS
                .iter()
                .any(|o| o.api == Api::Rest && o.operation_id == *op),
            "{op} is not a REST operation"
        );
    }
}

/// A response value's display form (the generated field types of statuses and firmware types
/// are open strings or enums, depending on the build's patches).
fn text<T: ToString>(v: &Option<T>) -> Option<String> {
    v.as_ref().map(ToString::to_string)
}

#[tokio::test]
async fn fota_and_message_responses_match_the_rest_document() {
    // Steps long enough that an execution has not ended before the test freezes it.
    let sim = Simulator::builder()
        .step(Duration::from_millis(200))
        .start()
        .await
        .unwrap();
    let client = rest_client(&sim, sim.api_key());
    let device_id = "nrf-352656100000001";
    let device = rest_client(
        &sim,
        &jwt(
            &private_key_pem(&key("1")),
            &serde_json::json!({"sub": device_id}),
        ),
    );
    let csv = onboard_row(device_id, "", "fleet", "APP", &public_key_pem(&key("1")));
    let accepted = client
        .onboard_devices()
        .body(csv)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        wait(&client, &accepted.bulk_ops_request_id).await.status.0,
        "SUCCEEDED"
    );

    let uploaded = client
        .upload_firmware()
        .body(app_zip("1.2.3", b"image"))
        .send()
        .await
        .unwrap();
    assert_eq!(uploaded.status().as_u16(), 202);
    assert_eq!(uploaded.into_inner().uris.len(), 1);
    let own = client.list_firmware().send().await.unwrap().into_inner();
    assert_eq!(own.items.len(), 1);
    let bundle = &own.items[0];
    assert_eq!(text(&bundle.type_).as_deref(), Some("APP"));
    assert_eq!(bundle.filenames, ["app_update.bin"]);
    assert!(bundle.last_modified.is_some());
    let bundle_id = bundle.bundle_id.clone().unwrap();
    let modem = client
        .list_firmware()
        .modem_only(true)
        .page_limit(1u64)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(text(&modem.items[0].type_).as_deref(), Some("MDM_FULL"));
    assert!(modem.page_next_token.is_some());

    let created = client
        .create_fota_job()
        .body(rt::CreateJobInput::IdOrIdentifier(
            rt::CreateJobInputIdOrIdentifier::Ids(rt::CreateJobInputDeviceIds {
                auto_apply: false,
                bundle_id: bundle_id.clone().into(),
                description: Some("conformance".parse().unwrap()),
                device_ids: vec![device_id.parse().unwrap()],
                name: Some("first".parse().unwrap()),
            }),
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status().as_u16(), 201);
    let job_id = created.into_inner().job_id.to_string();
    let job = client
        .fetch_fota_job()
        .job_id(&*job_id)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(text(&job.status).as_deref(), Some("CREATED"));
    assert_eq!(job.name.as_deref(), Some("first"));
    client
        .apply_fota_job()
        .job_id(&*job_id)
        .send()
        .await
        .unwrap();
    // The device says it started: its execution stops advancing on its own.
    device
        .update_fota_job_execution_status()
        .device_id(device_id)
        .job_id(&*job_id)
        .body_map(|b| {
            b.status(rt::FotaV2JobExecutionEvents::InProgress)
                .details(Some("downloading".to_string()))
        })
        .send()
        .await
        .unwrap();
    let jobs = client.list_fota_jobs().send().await.unwrap().into_inner();
    assert_eq!(jobs.items.len(), 1);
    let rt::PaginatedResultFotav2JobOrFotaJobV2PlusItemsInner::Fotav2Job(listed) = &jobs.items[0]
    else {
        panic!("a job decodes as FOTAV2Job: {:?}", jobs.items[0]);
    };
    assert_eq!(text(&listed.status).as_deref(), Some("IN_PROGRESS"));
    let stats = serde_json::to_value(listed.execution_stats.as_ref().unwrap()).unwrap();
    assert_eq!(stats["inProgress"], 1.0);
    assert_eq!(stats["executions"], 1.0);
    let current = device
        .fetch_current_pending_fota_job_execution()
        .device_id(device_id)
        .firmware_type(rt::FirmwareTypes::App)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(current.job_id.as_deref(), Some(&*job_id));
    assert_eq!(text(&current.status).as_deref(), Some("IN_PROGRESS"));
    assert_eq!(current.status_detail.as_deref(), Some("downloading"));
    let document = current.job_document.unwrap();
    assert_eq!(document.bundle_id.as_deref(), Some(&*bundle_id));
    assert!(document.path.unwrap().ends_with("/app_update.bin"));
    let fetched = client
        .fetch_fota_job_execution()
        .device_id(device_id)
        .job_id(&*job_id)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert!(
        matches!(
            &fetched,
            rt::FetchFotaJobExecution200Response::FotaJobExecution(e)
                if e.execution_id.is_some() && e.tenant_id.as_deref() == Some(sim.team_id())
        ),
        "{fetched:?}"
    );
    let mine = client
        .list_fota_job_executions_for_device()
        .device_id(device_id)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(mine.items.len(), 1);
    let statuses = client
        .list_fota_job_execution_statuses()
        .job_id(&*job_id)
        .status(rt::FotaV2JobExecutionEvents::InProgress)
        .page_limit(10u64)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(statuses.items.len(), 1);
    assert_eq!(statuses.items[0].device_id.as_deref(), Some(device_id));
    device
        .update_fota_job_execution_status()
        .device_id(device_id)
        .job_id(&*job_id)
        .body_map(|b| b.status(rt::FotaV2JobExecutionEvents::Succeeded))
        .send()
        .await
        .unwrap();
    let done = client
        .fetch_fota_job()
        .job_id(&*job_id)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(text(&done.status).as_deref(), Some("COMPLETED"));
    assert!(done.completed_at.is_some());
    let none = device
        .fetch_current_pending_fota_job_execution()
        .device_id(device_id)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(none), (404, Some(40410)));

    // The tags shape, and the default autoApply.
    let by_tag: rt::CreateJobInput =
        serde_json::from_value(serde_json::json!({"bundleId": bundle_id, "tags": ["fleet"]}))
            .unwrap();
    let second = client
        .create_fota_job()
        .body(by_tag)
        .send()
        .await
        .unwrap()
        .into_inner()
        .job_id
        .to_string();
    client
        .cancel_fota_job()
        .job_id(&*second)
        .reason("superseded")
        .send()
        .await
        .unwrap();
    let cancelled = client
        .fetch_fota_job()
        .job_id(&*second)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(text(&cancelled.status).as_deref(), Some("CANCELLED"));
    assert_eq!(cancelled.status_detail.as_deref(), Some("superseded"));
    client
        .delete_fota_job()
        .job_id(&*second)
        .send()
        .await
        .unwrap();
    client
        .delete_firmware()
        .bundle_id(&*bundle_id)
        .send()
        .await
        .unwrap();
    let gone = client
        .delete_firmware()
        .bundle_id(&*bundle_id)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(gone), (404, Some(40410)));

    let mut reading = serde_json::Map::new();
    reading.insert("appId".into(), "TEMP".into());
    reading.insert("data".into(), "21.5".into());
    let start = chrono::Utc::now() - chrono::TimeDelta::seconds(1);
    client
        .send_device_message()
        .device_id(device_id)
        .body_map(|b| b.message(rt::DeviceMessageInputMessage::Message(rt::Message(reading))))
        .send()
        .await
        .unwrap();
    device
        .send_device_message()
        .device_id(device_id)
        .body_map(|b| {
            b.message(rt::DeviceMessageInputMessage::Array(vec![rt::Message(
                Default::default(),
            )]))
            .topic(Some(format!("d/{device_id}/d2c/bulk")))
        })
        .send()
        .await
        .unwrap();
    let messages = client
        .list_messages()
        .inclusive_start(start)
        .exclusive_end(chrono::Utc::now() + chrono::TimeDelta::seconds(1))
        .device_id(device_id)
        .page_sort(rt::PageSort::Asc)
        .page_limit(1u64)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(messages.items.len(), 1);
    let first = &messages.items[0];
    assert_eq!(first.topic.as_deref(), Some(&*format!("d/{device_id}/d2c")));
    assert_eq!(first.tenant_id.as_deref(), Some(sim.team_id()));
    assert!(first.received_at.is_some());
    let token = messages
        .page_next_token
        .expect("two messages, pages of one");
    let rest = client
        .list_messages()
        .page_next_token(token)
        .page_sort(rt::PageSort::Asc)
        .app_id("TEMP".parse::<rt::ListMessagesAppId>().unwrap())
        .send()
        .await
        .unwrap()
        .into_inner();
    assert!(rest.items.is_empty(), "the page after the TEMP message");
    let unsupported = client
        .list_messages()
        .app_id("TEMP".parse::<rt::ListMessagesAppId>().unwrap())
        .topic("t")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(unsupported), (400, Some(40000)));
}

async fn wait_command(
    client: &provisioning::Client,
    device: &str,
    id: &str,
) -> pt::ProvisioningCommand {
    for _ in 0..500 {
        let command = client
            .fetch_device_provisioning_command()
            .device_id(device)
            .command_id(id)
            .send()
            .await
            .unwrap()
            .into_inner();
        if command.status == "SUCCEEDED" {
            return command;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("command {id} did not succeed");
}

fn kind_csr(device: &str) -> pt::ProvisioningCommandKind {
    pt::ProvisioningCommandKind {
        certificate_signing_request: Some(pt::CsrCommand {
            sec_tag: 16842753,
            attributes: Some(format!("O=Nordic Semiconductor,C=no,CN={device}")),
            key_usage: Some("101010000".parse().unwrap()),
        }),
        ..Default::default()
    }
}

#[tokio::test]
async fn provisioning_responses_match_the_provisioning_document() {
    let sim = Simulator::builder()
        .step(Duration::from_millis(10))
        .start()
        .await
        .unwrap();
    let client = provisioning_client(&sim, sim.api_key());
    let rest = rest_client(&sim, sim.api_key());
    let mut driven = BTreeSet::new();
    let json = pt::ClaimDeviceOwnershipContentType::ApplicationJson;
    let claim_body =
        |i: u64| serde_json::json!({"claimToken": sim.claim_token(i), "tags": ["lab"]}).to_string();

    // Dry run: 202 with no body, which the document (after its patches) leaves undeclared.
    let dry = client
        .claim_device_ownership()
        .dryrun(true)
        .content_type(json)
        .body(claim_body(0))
        .send()
        .await
        .unwrap_err();
    match dry {
        provisioning::Error::UnexpectedResponse(r) => assert_eq!(r.status().as_u16(), 202),
        other => panic!("{other:?}"),
    }
    let claimed = client
        .claim_device_ownership()
        .content_type(json)
        .body(claim_body(0))
        .send()
        .await
        .unwrap();
    assert_eq!(claimed.status().as_u16(), 201);
    let pt::ClaimedDeviceOrBulkClaimResult::ClaimedDevice(device) = claimed.into_inner() else {
        panic!("a JSON claim answers the claimed device");
    };
    assert_eq!(device.id, sim.device_facts(0).id);
    let id = device.id.clone();
    driven.insert("ClaimDeviceOwnership");

    let csv: String = (1..4)
        .map(|i| format!("{}\n", sim.claim_token(i)))
        .collect();
    let result = client
        .claim_device_ownership_identities()
        .content_type(pt::ClaimDeviceOwnershipIdentitiesContentType::TextCsv)
        .body(csv + "junk\n")
        .send()
        .await
        .unwrap();
    assert_eq!(result.status().as_u16(), 200);
    let pt::ClaimedDeviceOrBulkClaimResult::BulkClaimResult(result) = result.into_inner() else {
        panic!("a CSV claim answers a BulkClaimResult");
    };
    assert_eq!(result.claimed_ids.len(), 3);
    assert_eq!(result.failed.len(), 1);
    driven.insert("ClaimDeviceOwnershipIdentities");

    let forged = client
        .claim_device_ownership()
        .content_type(json)
        .body(serde_json::json!({"claimToken": "x.y"}).to_string())
        .send()
        .await
        .unwrap_err();
    match forged {
        provisioning::Error::ErrorResponse(r) => {
            assert_eq!(r.status().as_u16(), 400);
            assert_eq!(r.into_inner().code, Some(40000));
        }
        other => panic!("{other:?}"),
    }

    let accepted = client
        .bulk_claim_device_ownership()
        .body(format!("{}\n", sim.claim_token(4)))
        .send()
        .await
        .unwrap()
        .into_inner();
    let op = wait(&rest, &accepted.bulk_ops_request_id).await;
    assert_eq!(op.endpoint.unwrap().0, "CLAIM_DEVICE_OWNERSHIP");
    assert_eq!(op.status.0, "SUCCEEDED");
    driven.insert("BulkClaimDeviceOwnership");

    let page = client
        .list_claimed_devices()
        .page_limit(2u64)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(page.items.len(), 2);
    let next = page.page_next_token.unwrap();
    let page = client
        .list_claimed_devices()
        .page_limit(100u64)
        .page_next_token(next)
        .tags(vec!["lab".to_string()])
        .send()
        .await
        .unwrap()
        .into_inner();
    assert!(page.items.iter().all(|d| d.tags == ["lab"]));
    driven.insert("ListClaimedDevices");
    let fetched = client
        .fetch_claimed_device()
        .device_id(&*id)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        fetched.imei.as_deref().map(|i| i.to_string()),
        Some(sim.device_facts(0).imei)
    );
    driven.insert("FetchClaimedDevice");
    client
        .block_claimed_device()
        .device_id(&*id)
        .send()
        .await
        .unwrap();
    driven.insert("BlockClaimedDevice");
    client
        .unblock_claimed_device()
        .device_id(&*id)
        .send()
        .await
        .unwrap();
    driven.insert("UnblockClaimedDevice");
    client
        .update_claimed_device_tags()
        .device_id(&*id)
        .body_map(|b| {
            b.tags(vec![
                "field"
                    .parse::<pt::UpdateClaimedDeviceTagsRequestTagsItem>()
                    .unwrap(),
            ])
        })
        .send()
        .await
        .unwrap();
    driven.insert("UpdateClaimedDeviceTags");

    let tag = client
        .create_provisioning_tag()
        .body_map(|b| {
            b.tag("field".parse::<pt::ProvisioningTagRequestTag>().unwrap())
                .description(Some("Field units".to_string()))
        })
        .send()
        .await
        .unwrap()
        .into_inner();
    driven.insert("CreateProvisioningTag");
    let utils_tag = client
        .create_provisioning_tag_utils()
        .body_map(|b| b.tag("lab".parse::<pt::ProvisioningTagRequestTag>().unwrap()))
        .send()
        .await
        .unwrap()
        .into_inner();
    driven.insert("CreateProvisioningTagUtils");
    assert_eq!(
        client
            .list_provisioning_tags()
            .send()
            .await
            .unwrap()
            .into_inner()
            .items
            .len(),
        2
    );
    driven.insert("ListProvisioningTags");
    assert_eq!(
        client
            .list_provisioning_tags_utils()
            .send()
            .await
            .unwrap()
            .into_inner()
            .items
            .len(),
        2
    );
    driven.insert("ListProvisioningTagsUtils");
    let tag_id = tag.id.clone().unwrap();
    assert_eq!(
        client
            .fetch_provisioning_tag()
            .tag_id(&*tag_id)
            .send()
            .await
            .unwrap()
            .into_inner()
            .tag
            .as_deref(),
        Some("field")
    );
    driven.insert("FetchProvisioningTag");
    client
        .update_provisioning_tag()
        .tag_id(&*tag_id)
        .body_map(|b| b.tag("field-2".parse::<pt::ProvisioningTagRequestTag>().unwrap()))
        .send()
        .await
        .unwrap();
    driven.insert("UpdateProvisioningTag");
    client
        .delete_provisioning_tag()
        .tag_id(utils_tag.id.unwrap())
        .send()
        .await
        .unwrap();
    driven.insert("DeleteProvisioningTag");

    let created = client
        .create_device_provisioning_command()
        .device_id(&*id)
        .body_map(|b| {
            b.description(Some("csr".to_string()))
                .request(kind_csr(&id))
        })
        .send()
        .await
        .unwrap()
        .into_inner();
    driven.insert("CreateDeviceProvisioningCommand");
    let done = wait_command(&client, &id, &created.id).await;
    let csr = done
        .response
        .unwrap()
        .certificate_signing_request
        .unwrap()
        .csr
        .unwrap();
    assert!(csr.contains("CERTIFICATE REQUEST"));
    driven.insert("FetchDeviceProvisioningCommand");
    let commands = client
        .list_device_provisioning_commands()
        .device_id(&*id)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(commands.items.len(), 1);
    assert!(
        commands.items[0]
            .request
            .as_ref()
            .unwrap()
            .certificate_signing_request
            .is_some()
    );
    driven.insert("ListDeviceProvisioningCommands");
    client
        .delete_device_provisioning_command()
        .device_id(&*id)
        .command_id(&*created.id)
        .send()
        .await
        .unwrap();
    driven.insert("DeleteDeviceProvisioningCommand");

    let rule = pt::ProvisioningRuleRequest {
        active: Some(false),
        commands: vec![
            pt::ProvisioningRuleCommand {
                description: None,
                request: pt::ProvisioningCommandKind {
                    cloud_access_key_generation: Some(pt::SecTagCommand { sec_tag: 16842753 }),
                    ..Default::default()
                },
            },
            pt::ProvisioningRuleCommand {
                description: Some("done".into()),
                request: pt::ProvisioningCommandKind {
                    finished: Some(pt::FinishedCommand(serde_json::Map::new())),
                    ..Default::default()
                },
            },
        ],
        description: Some("Generated".into()),
        name: "nRF Cloud Onboarding".into(),
        tags: vec!["nrf-cloud-onboarding".parse().unwrap()],
    };
    let created = client
        .create_provisioning_rule()
        .body(rule.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(created.status().as_u16(), 201);
    let created = created.into_inner();
    assert_eq!(created.status.as_deref(), Some("DRAFT"));
    driven.insert("CreateProvisioningRule");
    let rule_id = created.id.unwrap();
    assert_eq!(
        client
            .list_provisioning_rules()
            .send()
            .await
            .unwrap()
            .into_inner()
            .items
            .len(),
        1
    );
    driven.insert("ListProvisioningRules");
    client
        .update_provisioning_rule()
        .rule_id(&*rule_id)
        .body(pt::ProvisioningRuleRequest {
            active: Some(true),
            ..rule
        })
        .send()
        .await
        .unwrap();
    driven.insert("UpdateProvisioningRule");
    let fetched = client
        .fetch_provisioning_rule()
        .rule_id(&*rule_id)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(fetched.status.as_deref(), Some("ACTIVE"));
    assert_eq!(fetched.commands.len(), 2);
    driven.insert("FetchProvisioningRule");
    client
        .delete_provisioning_rule()
        .rule_id(&*rule_id)
        .send()
        .await
        .unwrap();
    driven.insert("DeleteProvisioningRule");

    let unclaimed = client
        .unclaim_device()
        .device_id(&*id)
        .send()
        .await
        .unwrap();
    assert_eq!(unclaimed.status().as_u16(), 204);
    let again = client
        .unclaim_device()
        .device_id(&*id)
        .send()
        .await
        .unwrap_err();
    match again {
        provisioning::Error::ErrorResponse(r) => {
            assert_eq!(r.status().as_u16(), 404);
            assert_eq!(r.into_inner().code, Some(40410));
        }
        other => panic!("{other:?}"),
    }
    driven.insert("UnclaimDevice");

    // Every operation of the provisioning document was driven.
    let all: BTreeSet<&str> = OPERATIONS
        .iter()
        .filter(|o| o.api == Api::Provisioning)
        .map(|o| o.operation_id)
        .collect();
    assert_eq!(driven, all);
}
