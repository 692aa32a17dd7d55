//! Bulk operations: lifecycle, FAILED with an error summary in both formats, listing, and the
//! unauthenticated, never-faulted downloads.

mod common;

use std::time::Duration;

use common::{Api, assert_error, key, onboard_row, public_key_pem, send};
use nrfcloud_sim::{Faults, Simulator};
use reqwest::{Method, StatusCode};
use serde_json::Value;

fn rows(ids: &[&str]) -> String {
    ids.iter()
        .map(|id| onboard_row(id, "", "", "", &public_key_pem(&key(id))))
        .collect()
}

async fn submit(api: &Api, csv: String) -> String {
    let (status, body) = send(
        api.req(Method::POST, format!("{}/devices", api.rest))
            .body(csv),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    body["bulkOpsRequestId"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn operations_go_pending_in_progress_succeeded() {
    // Steps long enough for a 10 ms poll to see each status.
    let sim = Simulator::builder()
        .step(Duration::from_millis(300))
        .start()
        .await
        .unwrap();
    let api = Api::new(&sim);
    let id = submit(&api, rows(&["a", "b"])).await;
    let url = format!("{}/bulk-ops-requests/{id}", api.rest);
    let mut statuses: Vec<String> = Vec::new();
    let mut last = Value::Null;
    for _ in 0..300 {
        let (_, op) = api.get(url.clone()).await;
        let status = op["status"].as_str().unwrap().to_string();
        if statuses.last() != Some(&status) {
            statuses.push(status.clone());
        }
        last = op;
        if status == "SUCCEEDED" || status == "FAILED" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(statuses, ["PENDING", "IN_PROGRESS", "SUCCEEDED"]);
    assert!(last["completedAt"].is_string());
    assert!(last.get("errorSummaryUrl").is_none(), "{last}");
    let (status, body) = common::send(
        common::http().get(format!("{}/__sim/bulk/{id}/errors.json", sim.rest_host())),
    )
    .await;
    assert_error(status, &body, 404, 40410);
}

async fn download(url: &str) -> (StatusCode, String) {
    let response = common::http().get(url).send().await.unwrap();
    (response.status(), response.text().await.unwrap())
}

#[tokio::test]
async fn injected_row_failures_end_failed_with_a_summary() {
    let sim = Simulator::builder()
        .faults(Faults {
            bulk_fail_rows: vec![1, 7],
            ..Faults::default()
        })
        .start()
        .await
        .unwrap();
    let api = Api::new(&sim);
    let op = api.upload_and_wait("devices", rows(&["a", "b", "c"])).await;
    assert_eq!(op["status"], "FAILED");
    let (status, text) = download(op["errorSummaryUrl"].as_str().unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    let summary: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        summary,
        serde_json::json!({"errors": ["[1]: simulated failure"]})
    );
    // Row 1 was left alone, the others applied.
    assert_eq!(
        api.get(format!("{}/devices/a", api.rest)).await.0,
        StatusCode::OK
    );
    assert_eq!(
        api.get(format!("{}/devices/b", api.rest)).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        api.get(format!("{}/devices/c", api.rest)).await.0,
        StatusCode::OK
    );

    // The legacy format, as nrfcloud-utils parsed it before 2025-12: 1-based rows.
    sim.set_faults(Faults {
        bulk_fail_rows: vec![0, 1],
        legacy_error_summary: true,
        ..Faults::default()
    });
    let op = api.upload_and_wait("devices", rows(&["d", "e"])).await;
    let (_, text) = download(op["errorSummaryUrl"].as_str().unwrap()).await;
    let begin = text.find("(1-based)]: ").expect("legacy marker");
    let end = text.rfind(".\"}").expect("legacy end");
    let count: usize = text[..begin]
        .split_whitespace()
        .find_map(|w| w.parse().ok())
        .unwrap();
    assert_eq!(count, 2, "{text}");
    let inner: Value =
        serde_json::from_str(&text[begin + "(1-based)]: ".len()..end].replace("\\\"", "\""))
            .unwrap();
    assert_eq!(inner, serde_json::json!({"simulated failure": [1, 2]}));
}

#[tokio::test]
async fn lists_are_newest_first_and_filter_by_status() {
    let sim = Simulator::start().await.unwrap();
    let api = Api::new(&sim);
    let first = api.upload_and_wait("devices", rows(&["a"])).await;
    let second = api.upload_and_wait("devices", rows(&["a"])).await; // fails: exists
    let third = api.upload_and_wait("devices", rows(&["b"])).await;
    let ids = |v: &Value| -> Vec<String> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["bulkOpsRequestId"].as_str().unwrap().to_string())
            .collect()
    };
    let id = |v: &Value| v["bulkOpsRequestId"].as_str().unwrap().to_string();
    let (_, all) = api.get(format!("{}/bulk-ops-requests", api.rest)).await;
    assert_eq!(ids(&all), [id(&third), id(&second), id(&first)]);
    let (_, failed) = api
        .get(format!("{}/bulk-ops-requests?status=FAILED", api.rest))
        .await;
    assert_eq!(ids(&failed), [id(&second)]);
    let (_, page) = api
        .get(format!("{}/bulk-ops-requests?pageLimit=2", api.rest))
        .await;
    assert_eq!(ids(&page), [id(&third), id(&second)]);
    let token = page["pageNextToken"].as_str().unwrap();
    let (_, rest) = api
        .get(format!(
            "{}/bulk-ops-requests?pageLimit=2&pageNextToken={token}",
            api.rest
        ))
        .await;
    assert_eq!(ids(&rest), [id(&first)]);
    assert!(rest.get("pageNextToken").is_none());
    let future = "2999-01-01T00:00:00Z";
    let (_, none) = api
        .get(format!(
            "{}/bulk-ops-requests?startRequestedAt={future}",
            api.rest
        ))
        .await;
    assert!(ids(&none).is_empty());
    let (status, body) = api
        .get(format!("{}/bulk-ops-requests?status=DONE", api.rest))
        .await;
    assert_error(status, &body, 400, 40000);
    // Another team sees none of them.
    let theirs = Api::with_key(&sim, sim.other_team_api_key());
    let (_, other) = theirs
        .get(format!("{}/bulk-ops-requests", theirs.rest))
        .await;
    assert!(ids(&other).is_empty());
    let (status, body) = theirs
        .get(format!("{}/bulk-ops-requests/{}", theirs.rest, id(&first)))
        .await;
    assert_error(status, &body, 404, 40410);
}

#[tokio::test]
async fn downloads_need_no_credentials_and_are_never_faulted() {
    let sim = Simulator::start().await.unwrap();
    let api = Api::new(&sim);
    let csv = rows(&["x"]);
    let op = api.upload_and_wait("devices", csv.clone()).await;
    sim.set_faults(Faults {
        error_rate: 1.0,
        ..Faults::default()
    });
    let (status, _) = api.get(format!("{}/bulk-ops-requests", api.rest)).await;
    assert!(status.is_server_error(), "the API is faulted");
    let (status, text) = download(op["uploadedDataUrl"].as_str().unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(text, csv);
}
