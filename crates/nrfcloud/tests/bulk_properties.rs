//! Properties over generated inputs: what the CSV writer accepts reads back unchanged, and an
//! error summary in the current format parses back to the rows and messages it was made of.

use nrfcloud::bulk::{
    csv::{ClaimReader, ClaimRecord, ClaimWriter},
    summary::ErrorSummary,
};
use proptest::prelude::*;

/// A token of the attestation shape: two base64url parts joined by a dot.
fn token() -> impl Strategy<Value = String> {
    ("[A-Za-z0-9_-]{4,60}", "[A-Za-z0-9_-]{4,60}").prop_map(|(a, b)| format!("{a}.{b}"))
}

/// Tags drawn from a wider alphabet than the service allows (quotes, commas, spaces, non-ASCII),
/// so the writer's refusals are exercised too.
fn tags() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec("[A-Za-z0-9_.@:#, \"é-]{0,12}", 0..4)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn what_the_claim_writer_accepts_reads_back_unchanged(
        rows in prop::collection::vec((token(), tags()), 1..20)
    ) {
        let mut w = ClaimWriter::new(Vec::new());
        let mut written = Vec::new();
        for (token, tags) in rows {
            let record = ClaimRecord::new(token).tags(tags);
            if w.write(&record).is_ok() {
                written.push(record);
            }
        }
        let bytes = w.into_inner().unwrap();
        let back: Vec<ClaimRecord> = ClaimReader::new(bytes.as_slice())
            .map(|r| r.map(|n| n.record))
            .collect::<Result<_, _>>()
            .map_err(|e| TestCaseError::fail(format!("{e}: {}", String::from_utf8_lossy(&bytes))))?;
        prop_assert_eq!(back, written);
    }

    #[test]
    fn a_current_summary_parses_back_to_its_rows(
        errors in prop::collection::vec((0usize..1000, "[A-Za-z0-9][A-Za-z0-9 ,.'()-]{0,40}[A-Za-z0-9.)]"), 0..30)
    ) {
        let entries: Vec<String> = errors.iter().map(|(i, m)| format!("[{i}]: {m}")).collect();
        let text = serde_json::json!({ "errors": entries }).to_string();
        let ErrorSummary::Rows { errors: parsed, unparsed, .. } = ErrorSummary::parse(&text) else {
            return Err(TestCaseError::fail(format!("not parsed: {text}")));
        };
        prop_assert!(unparsed.is_empty(), "{:?}", unparsed);
        let parsed: Vec<(usize, String)> = parsed.into_iter().map(|e| (e.row, e.message)).collect();
        prop_assert_eq!(parsed, errors);
    }
}
