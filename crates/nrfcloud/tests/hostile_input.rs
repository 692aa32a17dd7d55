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

/// What a claim CSV gives, row by row: `line` or `line: reason`.
fn claim_rows(input: &[u8]) -> Vec<String> {
    nrfcloud::bulk::csv::ClaimReader::new(input)
        .map(|r| match r {
            Ok(row) => format!("{}", row.line),
            Err(e) => e.to_string(),
        })
        .collect()
}

const T1: &str = "eyJhIjoxfQ.c2ln";

#[test]
fn a_nul_inside_a_token() {
    assert_eq!(
        claim_rows(b"eyJhIjox\0fQ.c2ln\n"),
        ["line 1: malformed claim token: part 1 is not base64url"]
    );
}

#[test]
fn invalid_utf8_in_column_2() {
    let mut input = format!("{T1}\n{T1}x,\"ta").into_bytes();
    input.extend(b"\xffg\"\n");
    assert_eq!(
        claim_rows(&input),
        [
            "1",
            "line 2: column 2 is not valid UTF-8 (byte 3 of the field); save the file as UTF-8"
        ]
    );
}

#[test]
fn a_five_column_claim_row_shows_no_token_text() {
    let rows = claim_rows(format!("{T1},a,b,c,d\n").as_bytes());
    assert_eq!(
        rows,
        [
            "line 1: expected 1 or 2 columns (token, \"tag1,tag2\") or 4 (imei, uuid, token, \
             timestamp), found 5 column(s)"
        ]
    );
    assert!(!rows[0].contains("eyJh"));
}

#[test]
fn a_duplicate_token_with_surrounding_whitespace() {
    assert_eq!(
        claim_rows(format!("{T1}\n  {T1}  \n").as_bytes()),
        [
            "1",
            "line 2: duplicate token: an earlier line has the same one"
        ]
    );
}

#[test]
fn a_uuid_column_that_disagrees_with_the_token() {
    let minter = nrfcloud_sim::tokens::Minter::new(1);
    let (token, own) = (minter.token(0), minter.facts(0).id);
    let row = |uuid: &str| format!("352656100123456,{uuid},{token},2025-01-01T00:00:00+00:00\n");
    assert_eq!(claim_rows(row(&own.to_uppercase()).as_bytes()), ["1"]);
    let other = "5e3a4b2c-0000-4000-8000-00000000000a";
    assert_eq!(
        claim_rows(row(other).as_bytes()),
        [format!(
            "line 1: column 2 (device {other}) is not the device the token was made by ({own})"
        )]
    );
}

fn key_error(bytes: &[u8]) -> String {
    nrfcloud::auth::PrivateKey::from_bytes(bytes)
        .map(|_| ())
        .unwrap_err()
        .to_string()
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("tests/fixtures/keys/{name}")).unwrap()
}

#[test]
fn two_private_key_pem_blocks() {
    let ec = String::from_utf8(fixture("ec-p256-sec1.pem")).unwrap();
    assert_eq!(
        key_error(format!("{ec}{ec}").as_bytes()),
        "invalid private key: expected one private key, found 2 PEM blocks (EC PRIVATE KEY, \
         EC PRIVATE KEY)"
    );
}

#[test]
fn garbage_base64_inside_a_pem() {
    assert_eq!(
        key_error(b"-----BEGIN PRIVATE KEY-----\n!!!notbase64$$\n-----END PRIVATE KEY-----\n"),
        "invalid private key: bad PEM: invalid data: Invalid symbol 33, offset 0."
    );
}

#[test]
fn a_truncated_der_key() {
    let der = fixture("ec-p256-pkcs8.der");
    assert_eq!(
        key_error(&der[..der.len() / 2]),
        "invalid private key: neither PEM nor a DER PKCS#8, SEC1 or PKCS#1 private key"
    );
}

#[test]
fn a_16384_bit_rsa_key_is_refused_before_it_is_checked() {
    assert_eq!(
        key_error(&fixture("rsa-16384-pkcs8.pem")),
        "invalid private key: the RSA key has 16384 bits; at most 8192 are accepted (RS256 \
         needs 2048)"
    );
}

async fn claim_with_journal(
    sim: &nrfcloud_sim::Simulator,
    tokens: &[String],
    journal: &std::path::Path,
) -> nrfcloud::Result<nrfcloud::bulk::BulkReport> {
    let csv: String = tokens.iter().map(|t| format!("{t}\n")).collect();
    nrfcloud::Client::builder()
        .api_key(sim.api_key())
        .provisioning_host(sim.provisioning_host())
        .build()
        .unwrap()
        .provisioning()
        .bulk_claim(io::Cursor::new(csv))
        .journal(journal)
        .wait()
        .await
}

#[tokio::test]
async fn a_journal_with_a_nul_filled_tail() {
    let sim = nrfcloud_sim::Simulator::start().await.unwrap();
    let tokens = sim.claim_tokens(3);
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("claim.journal");
    let first = claim_with_journal(&sim, &tokens[..2], &journal)
        .await
        .unwrap();
    assert_eq!(first.counts.succeeded, 2);
    // A power loss after the file grew but before its data reached the disk leaves zeros.
    let mut bytes = std::fs::read(&journal).unwrap();
    bytes.extend(std::iter::repeat_n(0u8, 4096));
    std::fs::write(&journal, bytes).unwrap();
    let second = claim_with_journal(&sim, &tokens, &journal).await.unwrap();
    assert_eq!(
        (second.counts.already_done, second.counts.succeeded),
        (2, 1),
        "{second}"
    );
}

#[tokio::test]
async fn a_journal_of_version_2() {
    let sim = nrfcloud_sim::Simulator::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("claim.journal");
    std::fs::write(
        &journal,
        "{\"journal\":\"nrfcloud-bulk\",\"version\":2,\"operation\":\"claim\"}\n",
    )
    .unwrap();
    let e = claim_with_journal(&sim, &sim.claim_tokens(1), &journal)
        .await
        .unwrap_err();
    let ErrorKind::Bulk(bulk) = e.kind() else {
        panic!("{e}")
    };
    let source = std::error::Error::source(bulk).unwrap().to_string();
    assert_eq!(
        source,
        format!(
            "the journal {} is a version 2 journal, and this nrfcloud reads version 1: finish \
             the run with the nrfcloud that wrote it, or start a new journal",
            journal.display()
        )
    );
    assert_eq!(bulk.report().requests, 0);
}
