//! The bulk machinery on the wire: `Content-Type: text/csv`, error summaries fetched without the
//! API key, 429s resent, a refused request stopping the run, and the concurrency bound.

mod common;

use std::{
    io::Cursor,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use nrfcloud::{
    bulk::{BulkErrorKind, RowOutcome},
    error::ErrorKind,
};
use serde_json::json;
use wiremock::{
    Mock, MockServer, ResponseTemplate,
    matchers::{header, method, path},
};

const OP: &str = "01G4ACS60SAEK1YNGSSJHBEET0";

/// Tokens of the right shape whose device ids cannot be read (so rows are matched by counts).
fn tokens(n: usize) -> String {
    (0..n).map(|i| format!("b3BhcXVl{i:06}.c2ln\n")).collect()
}

fn bulk_op(status: &str, summary: Option<String>) -> serde_json::Value {
    let mut op = json!({
        "bulkOpsRequestId": OP,
        "endpoint": "CLAIM_DEVICE_OWNERSHIP",
        "status": status,
        "requestedAt": "2026-01-02T03:04:05.000Z",
        "uploadedDataUrl": "https://bulk-ops-requests.example/uploaded.csv"
    });
    if let Some(url) = summary {
        op["errorSummaryUrl"] = json!(url);
        op["completedAt"] = json!("2026-01-02T03:04:09.000Z");
    }
    op
}

async fn mount_failed_op(server: &MockServer, summary_body: &str) {
    Mock::given(method("POST"))
        .and(path("/v1/claimed-devices/bulk"))
        .and(header("content-type", "text/csv"))
        .and(header(
            "authorization",
            format!("Bearer {}", common::API_KEY),
        ))
        .respond_with(ResponseTemplate::new(202).set_body_json(json!({ "bulkOpsRequestId": OP })))
        .expect(1)
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v1/bulk-ops-requests/{OP}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(bulk_op("IN_PROGRESS", None)))
        .up_to_n_times(1)
        .mount(server)
        .await;
    let summary_url = format!(
        "{}/signed/{OP}/errors.json?X-Amz-Signature=abc",
        server.uri()
    );
    Mock::given(method("GET"))
        .and(path(format!("/v1/bulk-ops-requests/{OP}")))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(bulk_op("FAILED", Some(summary_url))),
        )
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/signed/{OP}/errors.json")))
        .respond_with(ResponseTemplate::new(200).set_body_string(summary_body))
        .expect(1)
        .mount(server)
        .await;
}

#[tokio::test]
async fn a_failed_bulk_claim_is_polled_and_its_summary_fetched_without_the_api_key() {
    let server = MockServer::start().await;
    mount_failed_op(
        &server,
        r#"{"errors":["[1]: Invalid claim token","[3]: Device already claimed"]}"#,
    )
    .await;
    let report = bulk_endpoint_client(&server)
        .provisioning()
        .bulk_claim(Cursor::new(tokens(5)))
        .poll_interval(Duration::from_millis(10))
        .wait()
        .await
        .unwrap();
    assert_eq!(report.counts.succeeded, 3);
    let failed: Vec<(u64, &RowOutcome)> =
        report.rows.iter().map(|r| (r.line, &r.outcome)).collect();
    assert_eq!(
        failed,
        [
            (
                2,
                &RowOutcome::Failed {
                    reason: "Invalid claim token".into()
                }
            ),
            (
                4,
                &RowOutcome::Failed {
                    reason: "Device already claimed".into()
                }
            )
        ]
    );
    assert_eq!(report.bulk_ops[0].id, OP);
    assert_eq!(report.bulk_ops[0].status, "FAILED");

    let requests = server.received_requests().await.unwrap();
    let summary = requests
        .iter()
        .find(|r| r.url.path().starts_with("/signed/"))
        .expect("the summary was fetched");
    assert!(
        !summary.headers.contains_key("authorization"),
        "the API key went to the storage host: {:?}",
        summary.headers
    );
    let polls = requests
        .iter()
        .filter(|r| r.url.path().starts_with("/v1/bulk-ops-requests/"))
        .count();
    assert_eq!(polls, 2);
}

#[tokio::test]
async fn an_unknown_summary_is_kept_raw_and_its_rows_stay_unconfirmed() {
    let server = MockServer::start().await;
    mount_failed_op(&server, "<Error><Code>AccessDenied</Code></Error>").await;
    let report = bulk_endpoint_client(&server)
        .provisioning()
        .bulk_claim(Cursor::new(tokens(3)))
        .poll_interval(Duration::from_millis(10))
        .wait()
        .await
        .unwrap();
    assert_eq!(report.counts.unconfirmed, 3);
    assert_eq!(
        report.counts.succeeded, 0,
        "never claimed without the service saying so"
    );
    assert_eq!(
        report.bulk_ops[0].raw_error_summary.as_deref(),
        Some("<Error><Code>AccessDenied</Code></Error>")
    );
}

#[tokio::test]
async fn a_chunk_answered_429_waits_the_retry_after_then_succeeds() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/claimed-devices"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("retry-after", "2")
                .set_body_json(json!({"code": 42900, "message": "slow down"})),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/claimed-devices"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"claimedIds": ["a", "b"], "failed": []})),
        )
        .mount(&server)
        .await;
    let started = std::time::Instant::now();
    let report = common::client(&server)
        .provisioning()
        .bulk_claim(Cursor::new(tokens(2)))
        .wait()
        .await
        .unwrap();
    let waited = started.elapsed();
    assert_eq!(report.counts.succeeded, 2);
    assert_eq!(report.requests, 2, "one 429, one answer");
    assert!(waited >= Duration::from_secs(2), "waited {waited:?}");
    let received = server.received_requests().await.unwrap();
    assert_eq!(received.len(), 2);
    assert_eq!(received[0].body, received[1].body, "the same chunk again");
}

#[tokio::test]
async fn a_rate_limited_chunk_is_sent_again() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/claimed-devices"))
        .respond_with(
            ResponseTemplate::new(429)
                .set_body_json(json!({"code": 42900, "message": "slow down"})),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/claimed-devices"))
        .and(header("content-type", "text/csv"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"claimedIds": ["a", "b"], "failed": []})),
        )
        .mount(&server)
        .await;
    let report = common::client(&server)
        .provisioning()
        .bulk_claim(Cursor::new(tokens(2)))
        .poll_interval(Duration::from_millis(10))
        .wait()
        .await
        .unwrap();
    assert_eq!(report.counts.succeeded, 2);
    assert_eq!(report.requests, 2);
}

#[tokio::test]
async fn a_refused_request_fails_its_rows_and_stops_the_run() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/claimed-devices"))
        .respond_with(
            ResponseTemplate::new(422)
                .set_body_json(json!({"code": 42200, "message": "the CSV body does not parse"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let e = common::client(&server)
        .provisioning()
        .bulk_claim(Cursor::new(tokens(2500)))
        .concurrency(1)
        .wait()
        .await
        .unwrap_err();
    assert_eq!(e.status(), None);
    let report = e.bulk_report().expect("the report so far").clone();
    let ErrorKind::Bulk(bulk) = e.into_kind() else {
        panic!()
    };
    assert_eq!(
        bulk.kind(),
        &BulkErrorKind::Interrupted {
            first_line: 1,
            last_line: 1000
        }
    );
    let source = std::error::Error::source(&bulk).unwrap().to_string();
    assert!(source.contains("HTTP 422"), "{source}");
    assert_eq!(report.counts.failed, 1000);
    assert_eq!(report.counts.not_submitted, 1500);
    assert!(
        matches!(&report.rows[0].outcome, RowOutcome::Failed { reason } if reason.contains("the CSV body does not parse"))
    );
}

#[tokio::test]
async fn certificates_are_registered_through_a_bulk_operation() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/devices/certificates"))
        .and(header("content-type", "text/csv"))
        .respond_with(ResponseTemplate::new(202).set_body_json(json!({ "bulkOpsRequestId": OP })))
        .expect(1)
        .mount(&server)
        .await;
    let mut op = bulk_op("SUCCEEDED", None);
    op["endpoint"] = json!("REGISTER_CERTIFICATES");
    Mock::given(method("GET"))
        .and(path(format!("/v1/bulk-ops-requests/{OP}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(op))
        .mount(&server)
        .await;
    let cert = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----";
    let report = common::client(&server)
        .onboarding()
        .register_certificates(Cursor::new(format!("dev-1,\"{cert}\"\n")))
        .poll_interval(Duration::from_millis(10))
        .wait()
        .await
        .unwrap();
    assert!(report.is_success());
    let requests = server.received_requests().await.unwrap();
    let body = String::from_utf8(requests[0].body.clone()).unwrap();
    assert_eq!(
        body,
        format!("dev-1,\"{cert}\n\"\n"),
        "trailing newline inside the quotes"
    );
}

/// A claim endpoint that counts requests in flight and answers each after 30 ms.
async fn counting_server() -> (String, Arc<AtomicUsize>) {
    use axum::{Json, Router, routing::post};
    let in_flight = Arc::new(AtomicUsize::new(0));
    let max = Arc::new(AtomicUsize::new(0));
    let (now, peak) = (in_flight.clone(), max.clone());
    let app = Router::new().route(
        "/v1/claimed-devices",
        post(move |body: String| {
            let (now, peak) = (now.clone(), peak.clone());
            async move {
                let n = now.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(n, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(30)).await;
                now.fetch_sub(1, Ordering::SeqCst);
                let ids: Vec<String> = (0..body.lines().count())
                    .map(|i| format!("id-{i}"))
                    .collect();
                Json(json!({ "claimedIds": ids, "failed": [] }))
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (origin, max)
}

#[tokio::test(flavor = "multi_thread")]
async fn requests_in_flight_never_exceed_the_concurrency() {
    for concurrency in [1, 3] {
        let (origin, max) = counting_server().await;
        let client = nrfcloud::Client::builder()
            .api_key(common::API_KEY)
            .provisioning_host(&origin)
            .build()
            .unwrap();
        let report = client
            .provisioning()
            .bulk_claim(Cursor::new(tokens(10_000)))
            .concurrency(concurrency)
            .wait()
            .await
            .unwrap();
        assert_eq!(report.counts.succeeded, 10_000);
        assert_eq!(report.requests, 10);
        assert_eq!(
            max.load(Ordering::SeqCst),
            concurrency,
            "concurrency {concurrency}"
        );
    }
}

/// A bulk claim whose operation ends as `op` (its final answer), polled once before.
async fn mount_op_ending_as(server: &MockServer, op: serde_json::Value) {
    Mock::given(method("POST"))
        .and(path("/v1/claimed-devices/bulk"))
        .respond_with(ResponseTemplate::new(202).set_body_json(json!({ "bulkOpsRequestId": OP })))
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v1/bulk-ops-requests/{OP}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(op))
        .mount(server)
        .await;
}

async fn claim_three(server: &MockServer) -> nrfcloud::bulk::BulkReport {
    bulk_endpoint_client(server)
        .provisioning()
        .bulk_claim(Cursor::new(tokens(3)))
        .poll_interval(Duration::from_millis(10))
        .deadline(Duration::from_secs(60))
        .wait()
        .await
        .unwrap()
}

fn reasons(report: &nrfcloud::bulk::BulkReport) -> Vec<String> {
    report
        .rows
        .iter()
        .map(|r| match &r.outcome {
            RowOutcome::Unconfirmed { reason } => reason.to_string(),
            other => panic!("line {}: {other:?}", r.line),
        })
        .collect()
}

#[tokio::test]
async fn an_error_summary_elsewhere_than_https_or_the_client_s_hosts_is_not_fetched() {
    let server = MockServer::start().await;
    let elsewhere = MockServer::start().await;
    let url = format!("{}/latest/meta-data?X-Amz-Signature=abc", elsewhere.uri());
    mount_op_ending_as(&server, bulk_op("FAILED", Some(url))).await;
    let report = claim_three(&server).await;
    assert_eq!(report.counts.unconfirmed, 3);
    let reason = &reasons(&report)[0];
    assert!(
        reason.ends_with("is neither https:// nor one of the client's hosts; not fetched"),
        "{reason}"
    );
    assert!(!reason.contains("X-Amz-Signature"), "{reason}");
    assert!(elsewhere.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn an_error_summary_over_16_mib_is_not_read_whole() {
    let server = MockServer::start().await;
    let url = format!("{}/signed/{OP}/errors.json", server.uri());
    mount_op_ending_as(&server, bulk_op("FAILED", Some(url))).await;
    Mock::given(method("GET"))
        .and(path(format!("/signed/{OP}/errors.json")))
        .respond_with(ResponseTemplate::new(200).set_body_string("x".repeat((16 << 20) + 1)))
        .mount(&server)
        .await;
    let report = claim_three(&server).await;
    assert_eq!(report.counts.unconfirmed, 3);
    let reason = &reasons(&report)[0];
    assert!(reason.ends_with("it is larger than 16 MiB"), "{reason}");
}

#[tokio::test]
async fn an_unknown_final_status_ends_the_polling_with_rows_unconfirmed() {
    let server = MockServer::start().await;
    mount_op_ending_as(&server, bulk_op("CANCELLED", None)).await;
    let report = claim_three(&server).await;
    assert_eq!(
        reasons(&report),
        vec![format!("bulk operation {OP} ended as CANCELLED"); 3]
    );
    let polls = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path().starts_with("/v1/bulk-ops-requests/"))
        .count();
    assert_eq!(polls, 1);
}

/// A client whose CSV claims go to `POST /claimed-devices/bulk`.
fn bulk_endpoint_client(server: &MockServer) -> nrfcloud::Client {
    common::builder(server)
        .api_key(common::API_KEY)
        .bulk_claim_endpoint(true)
        .build()
        .unwrap()
}
