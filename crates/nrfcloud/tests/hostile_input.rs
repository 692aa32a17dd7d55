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
