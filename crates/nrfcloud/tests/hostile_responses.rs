//! Answers a misbehaving server can give: each gets a clear result in the user's terms, no
//! panic, and no row counted as claimed without evidence.

mod common;

use std::{io::Cursor, time::Duration};

use common::client;
use nrfcloud::{bulk::RowOutcome, error::ErrorKind};
use serde_json::json;
use wiremock::{
    Mock, MockServer, ResponseTemplate,
    matchers::{method, path},
};

/// Tokens of the right shape whose device ids cannot be read (rows are matched by counts).
fn tokens(n: usize) -> String {
    (0..n).map(|i| format!("b3BhcXVl{i:06}.c2ln\n")).collect()
}

async fn claim_answered(body: ResponseTemplate, rows: usize) -> nrfcloud::bulk::BulkReport {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/claimed-devices"))
        .respond_with(body)
        .mount(&server)
        .await;
    client(&server)
        .provisioning()
        .bulk_claim(Cursor::new(tokens(rows)))
        .poll_interval(Duration::from_millis(50))
        .wait()
        .await
        .unwrap_or_else(|e| e.bulk_report().cloned().expect("a report"))
}

fn all_unconfirmed(report: &nrfcloud::bulk::BulkReport) -> bool {
    report
        .rows
        .iter()
        .all(|r| matches!(r.outcome, RowOutcome::Unconfirmed { .. }))
}

#[tokio::test]
async fn an_empty_object_as_a_sync_claim_answer_confirms_no_row() {
    let report = claim_answered(ResponseTemplate::new(200).set_body_json(json!({})), 3).await;
    assert_eq!(report.counts.succeeded, 0, "{report}");
    assert_eq!(report.counts.unconfirmed, 3, "{report}");
    assert!(all_unconfirmed(&report));
}

#[tokio::test]
async fn a_failed_entry_naming_a_row_past_the_end_confirms_no_row() {
    let body = json!({"claimedIds": (0..9).map(|i| format!("id-{i}")).collect::<Vec<_>>(), "failed": ["[999]: x"]});
    let report = claim_answered(ResponseTemplate::new(200).set_body_json(body), 10).await;
    assert_eq!(report.counts.succeeded, 0, "{report}");
    assert_eq!(report.counts.unconfirmed, 10, "{report}");
}

#[tokio::test]
async fn json_nested_ten_thousand_deep_is_a_decode_error_not_a_stack_overflow() {
    let server = MockServer::start().await;
    let deep = format!("{{\"items\":{}{}}}", "[".repeat(10_000), "]".repeat(10_000));
    Mock::given(method("GET"))
        .and(path("/v1/devices"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-type", "application/json")
                .set_body_string(deep),
        )
        .mount(&server)
        .await;
    let e = client(&server).devices().list().send().await.unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::Decode(_)), "{e:?}");
    assert_eq!(e.status().map(|s| s.as_u16()), Some(200));
}

#[tokio::test]
async fn a_ten_megabyte_html_error_page_is_an_api_error_with_its_status() {
    let server = MockServer::start().await;
    let page = format!(
        "<html><body>{}</body></html>",
        "<p>Bad gateway</p>".repeat(600_000)
    );
    assert!(page.len() > 10_000_000);
    Mock::given(method("GET"))
        .and(path("/v1/devices"))
        .respond_with(
            ResponseTemplate::new(400)
                .insert_header("content-type", "text/html")
                .set_body_string(page),
        )
        .mount(&server)
        .await;
    let e = client(&server).devices().list().send().await.unwrap_err();
    assert_eq!(e.status().map(|s| s.as_u16()), Some(400), "{e}");
    assert_eq!(e.nrf_code(), None);
    // The message the user sees stays short, whatever the page.
    assert!(e.to_string().len() < 4096, "{} bytes", e.to_string().len());
}
