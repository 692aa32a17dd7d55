//! Hostile input: what a user's file or pipe can do to a bulk run. Each case ends in a clear
//! error that names the user's line (or a correct result), never a panic or a hang.

mod common;

use std::{
    io::{self, Read},
    sync::mpsc,
    time::Duration,
};

use nrfcloud::{
    bulk::{BulkErrorKind, InvalidRows},
    error::ErrorKind,
};
use serde_json::json;
use wiremock::{
    Mock, MockServer, ResponseTemplate,
    matchers::{method, path},
};

/// A pipe that gives `head` and then stalls, like a stdin whose writer hangs, until the test
/// drops the sender (so the reading thread ends with the test).
struct Stalled {
    head: io::Cursor<Vec<u8>>,
    release: mpsc::Receiver<()>,
}

impl Read for Stalled {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.head.read(buf)?;
        if n > 0 {
            return Ok(n);
        }
        let _ = self.release.recv();
        Ok(0)
    }
}

fn stalled(lines: usize) -> (Stalled, mpsc::Sender<()>) {
    let head: String = (0..lines)
        .map(|i| format!("dG9rZW4{i:04}.c2ln\n"))
        .collect();
    let (tx, rx) = mpsc::channel();
    let input = Stalled {
        head: io::Cursor::new(head.into_bytes()),
        release: rx,
    };
    (input, tx)
}

async fn claims_answered(server: &MockServer) {
    Mock::given(method("POST"))
        .and(path("/v1/claimed-devices"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"claimedIds": [], "failed": []})),
        )
        .mount(server)
        .await;
}

#[tokio::test]
async fn a_stalled_input_ends_the_run_at_its_deadline() {
    let server = MockServer::start().await;
    claims_answered(&server).await;
    let (input, release) = stalled(1500);
    let e = common::client(&server)
        .provisioning()
        .bulk_claim(input)
        .invalid_rows(InvalidRows::Skip)
        .deadline(Duration::from_millis(300))
        .wait()
        .await
        .unwrap_err();
    let ErrorKind::Bulk(bulk) = e.kind() else {
        panic!("{e}")
    };
    assert!(
        matches!(bulk.kind(), BulkErrorKind::Deadline { after } if *after == Duration::from_millis(300)),
        "{e}"
    );
    let report = bulk.report();
    // The first 1000 rows made a request; the 500 after it never made a full chunk.
    assert_eq!(report.requests, 1);
    assert_eq!(report.unread_after_line, Some(1000));
    assert_eq!(report.counts.rows, 1000);
    assert!(
        report
            .to_string()
            .ends_with("; the input was not read after line 1000"),
        "{report}"
    );
    drop(release);
}

#[tokio::test]
async fn a_stalled_input_ends_the_validation_pass_at_its_deadline() {
    let server = MockServer::start().await;
    claims_answered(&server).await;
    let (input, release) = stalled(10);
    let e = common::client(&server)
        .provisioning()
        .bulk_claim(input)
        .deadline(Duration::from_millis(200))
        .wait()
        .await
        .unwrap_err();
    let report = e.bulk_report().expect("a bulk error");
    assert_eq!(
        report.requests, 0,
        "nothing is sent before the input is whole"
    );
    assert_eq!(report.unread_after_line, Some(0));
    assert!(server.received_requests().await.unwrap().is_empty());
    drop(release);
}

#[test]
fn a_row_that_never_ends_stops_the_reading_at_256_kib_with_its_line() {
    // Line 2 opens a quote that never closes: 8 MiB more of "token".
    let mut input = b"dG9rZW4wMDAx.c2ln\n\"".to_vec();
    input.resize(8 << 20, b'x');
    let rows: Vec<_> = nrfcloud::bulk::csv::ClaimReader::new(&input[..]).collect();
    assert_eq!(rows.len(), 2, "one row, then the error, then nothing");
    assert_eq!(rows[0].as_ref().unwrap().line, 1);
    let e = rows[1].as_ref().unwrap_err();
    let source = std::error::Error::source(e).unwrap().to_string();
    assert_eq!(
        source,
        "line 2: a row longer than 256 KiB (an unclosed quote, or a file that is not a bulk CSV?)"
    );
}

#[tokio::test]
async fn a_row_that_never_ends_stops_the_run_with_its_line() {
    let server = MockServer::start().await;
    claims_answered(&server).await;
    let mut input = b"dG9rZW4wMDAx.c2ln\ndG9rZW4wMDAy.c2ln\n\"".to_vec();
    input.resize(4 << 20, b'x');
    let e = common::client(&server)
        .provisioning()
        .bulk_claim(io::Cursor::new(input))
        .wait()
        .await
        .unwrap_err();
    let ErrorKind::Bulk(bulk) = e.kind() else {
        panic!("{e}")
    };
    assert_eq!(
        bulk.kind(),
        &BulkErrorKind::Input {
            what: "cannot read the CSV input".into()
        }
    );
    let mut chain = String::new();
    let mut source = std::error::Error::source(bulk);
    while let Some(s) = source {
        chain = s.to_string();
        source = s.source();
    }
    assert!(
        chain.starts_with("line 3: a row longer than 256 KiB"),
        "{chain}"
    );
    assert!(server.received_requests().await.unwrap().is_empty());
}
