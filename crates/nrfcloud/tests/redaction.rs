//! Secrets (attestation tokens, CSV bodies of tokens, pre-signed URLs, success bodies) never
//! appear in `Debug` output.

mod common;

use common::client;
use nrfcloud::{bulk_ops::BulkOpsRequest, error::ErrorKind, raw::rest::types as rt};
use serde_json::json;
use wiremock::{
    Mock, MockServer, ResponseTemplate,
    matchers::{method, path},
};

const TOKEN: &str = "2dn3hQFQUBoRZmnmQFKhNLXr.0oRDoQEmoQRBIfZYQA-SECRET-PART";
const SIGNATURE: &str = "X-Amz-Signature=4f1c0ffee";

#[tokio::test]
async fn claim_builders_hide_their_tokens() {
    let server = MockServer::start().await;
    let p = client(&server).provisioning();
    let claim = format!("{:?}", p.claim(TOKEN).tags(["t"]));
    assert!(!claim.contains("SECRET"), "{claim}");
    assert!(
        claim.contains(&format!("[REDACTED; {} bytes]", TOKEN.len())),
        "{claim}"
    );
    let csv = format!("{TOKEN},\"a,b\"\n");
    let debug = format!("{:?}", p.claim_csv(csv.clone()));
    assert!(!debug.contains("SECRET"), "{debug}");
    assert!(
        debug.contains(&format!("[REDACTED; {} bytes]", csv.len())),
        "{debug}"
    );
}

#[test]
fn bulk_operations_hide_the_signatures_of_their_urls() {
    let url = |kind: &str| {
        format!("https://bulk.nrfcloud.com/t/{kind}.csv?{SIGNATURE}&X-Amz-Expires=900")
    };
    let details: rt::BulkOpsRequestDetails = serde_json::from_value(json!({
        "bulkOpsRequestId": "01G4ACS60SAEK1YNGSSJHBEET0",
        "status": "FAILED",
        "uploadedDataUrl": url("uploaded"),
        "errorSummaryUrl": url("errors"),
    }))
    .unwrap();
    let op = BulkOpsRequest::from(details);
    let debug = format!("{op:?}");
    assert!(!debug.contains(SIGNATURE), "{debug}");
    assert!(
        debug.contains("https://bulk.nrfcloud.com/t/errors.csv?[REDACTED]"),
        "{debug}"
    );
    // The URLs themselves stay usable.
    assert_eq!(
        op.error_summary_url.as_deref(),
        Some(url("errors").as_str())
    );
}

#[tokio::test]
async fn a_decode_error_shows_the_body_s_size_not_the_body() {
    let server = MockServer::start().await;
    let body = json!({"items": {"key": "-----BEGIN EC PRIVATE KEY-----SECRET"}});
    let size = body.to_string().len();
    Mock::given(method("GET"))
        .and(path("/v1/devices"))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(&server)
        .await;
    let e = client(&server).devices().list().send().await.unwrap_err();
    let ErrorKind::Decode(d) = e.kind() else {
        panic!("{e:?}")
    };
    let debug = format!("{e:?}");
    assert!(!debug.contains("SECRET"), "{debug}");
    assert!(debug.contains(&format!("[{size} bytes]")), "{debug}");
    assert!(!e.to_string().contains("SECRET"));
    // Kept for whoever reads it on purpose.
    assert!(d.body().contains("SECRET"));
}
