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

#[tokio::test]
async fn an_error_body_is_read_only_as_far_as_it_is_reported() {
    // A 503 that announces 10 MB, sends 200 KiB and then nothing: the error is reported from
    // what a bounded read takes, without waiting for (or holding) the rest.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut request = vec![0u8; 64 * 1024];
        let _ = socket.read(&mut request).await;
        let head = "HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/html\r\n\
                    content-length: 10000000\r\n\r\n";
        socket.write_all(head.as_bytes()).await.unwrap();
        socket.write_all(&vec![b'x'; 200 * 1024]).await.unwrap();
        tokio::time::sleep(Duration::from_secs(3600)).await;
    });
    let client = nrfcloud::Client::builder()
        .api_key(common::API_KEY)
        .provisioning_host(&origin)
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let e = client
        .provisioning()
        .claim("AAAA.BBBB")
        .send()
        .await
        .unwrap_err();
    let ErrorKind::Api(api) = e.kind() else {
        panic!("not an API error: {e}")
    };
    assert_eq!(api.status().as_u16(), 503);
    let kept = format!("{}…", "x".repeat(2048));
    assert_eq!(api.body(), Some(kept.as_str()), "kept cut to 2 KiB");
}
