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

/// A server on 127.0.0.1 that handles every connection with `serve`; it counts connections.
async fn raw_server<F, Fut>(serve: F) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>)
where
    F: Fn(tokio::net::TcpStream) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    let count = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let seen = count.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            tokio::spawn(serve(socket));
        }
    });
    (origin, count)
}

/// Reads one request's head and body (by Content-Length).
async fn read_request(socket: &mut tokio::net::TcpStream) {
    use tokio::io::AsyncReadExt;
    let mut data = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        let n = socket.read(&mut buf).await.unwrap_or(0);
        if n == 0 {
            return;
        }
        data.extend_from_slice(&buf[..n]);
        if let Some(end) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&data[..end]).to_ascii_lowercase();
            let length = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok())
                .unwrap_or(0);
            if data.len() >= end + 4 + length {
                return;
            }
        }
    }
}

fn raw_client(origin: &str, timeout: Duration) -> nrfcloud::Client {
    nrfcloud::Client::builder()
        .api_key(common::API_KEY)
        .rest_host(origin)
        .provisioning_host(origin)
        .timeout(timeout)
        .retry(nrfcloud::retry::RetryPolicy::never())
        .build()
        .unwrap()
}

#[tokio::test]
async fn a_get_answered_503_with_retry_after_3600_is_returned_at_once() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/devices/nrf-352656100123456"))
        .respond_with(ResponseTemplate::new(503).insert_header("retry-after", "3600"))
        .expect(1)
        .mount(&server)
        .await;
    let e = client(&server)
        .devices()
        .get("nrf-352656100123456")
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.status().map(|s| s.as_u16()), Some(503), "{e}");
    assert_eq!(
        e.attempts(),
        1,
        "the server asked for an hour: not waited for"
    );
}

#[tokio::test]
async fn a_claim_whose_connection_resets_after_the_body_is_sent_once_and_unconfirmed() {
    let (origin, connections) = raw_server(|mut socket| async move {
        read_request(&mut socket).await;
        // Whatever the service did with it, the answer never comes.
        drop(socket);
    })
    .await;
    let client = nrfcloud::Client::builder()
        .api_key(common::API_KEY)
        .provisioning_host(&origin)
        .build()
        .unwrap();
    let e = client
        .provisioning()
        .bulk_claim(Cursor::new(tokens(3)))
        .wait()
        .await
        .unwrap_err();
    let report = e.bulk_report().expect("a bulk error");
    assert_eq!(report.counts.unconfirmed, 3, "{report}");
    assert_eq!(report.requests, 1);
    assert_eq!(connections.load(std::sync::atomic::Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_server_that_trickles_a_byte_a_second_times_out() {
    let (origin, _) = raw_server(|mut socket| async move {
        use tokio::io::AsyncWriteExt;
        read_request(&mut socket).await;
        for byte in b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}" {
            if socket.write_all(&[*byte]).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    })
    .await;
    let e = raw_client(&origin, Duration::from_secs(2))
        .account()
        .team_id()
        .await
        .unwrap_err();
    assert!(e.is_timeout(), "{e}");
}

#[tokio::test]
async fn a_server_that_accepts_and_never_answers_times_out() {
    let (origin, _) = raw_server(|mut socket| async move {
        read_request(&mut socket).await;
        tokio::time::sleep(Duration::from_secs(3600)).await;
        drop(socket);
    })
    .await;
    let e = raw_client(&origin, Duration::from_secs(1))
        .devices()
        .list()
        .send()
        .await
        .unwrap_err();
    assert!(e.is_timeout(), "{e}");
    assert_eq!(e.to_string(), "ListDevices timed out");
}

#[tokio::test]
async fn a_success_body_past_64_mib_fails_the_call_instead_of_filling_memory() {
    // A 200 that announces 1 GB of JSON and keeps sending: reading stops at 64 MiB.
    let (origin, connections) = raw_server(|mut socket| async move {
        use tokio::io::AsyncWriteExt;
        read_request(&mut socket).await;
        let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
                    content-length: 1000000000\r\n\r\n{\"items\":[";
        let _ = socket.write_all(head.as_bytes()).await;
        let spaces = vec![b' '; 1 << 20];
        while socket.write_all(&spaces).await.is_ok() {}
    })
    .await;
    let client = raw_client(&origin, Duration::from_secs(60));
    let e = client.devices().list().send().await.unwrap_err();
    let ErrorKind::Transport(t) = e.kind() else {
        panic!("not a transport error: {e}")
    };
    assert_eq!(t.kind(), nrfcloud::error::TransportKind::BodyTooLarge);
    assert_eq!(
        e.to_string(),
        "ListDevices failed: the response body is larger than 64 MiB"
    );
    assert_eq!(connections.load(std::sync::atomic::Ordering::SeqCst), 1);
}
