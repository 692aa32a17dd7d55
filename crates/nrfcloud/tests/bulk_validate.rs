//! Validation of the user's CSV files: every problem is reported with its 1-based line, and
//! valid rows come through with theirs.

mod bulk_support;

use nrfcloud::bulk::csv::{ClaimReader, KeyKind, KeyReader, Numbered, OnboardReader, ReadError};

/// `Ok(line)` for a row, `Err((line, reason))` for a problem.
fn outcomes<T>(
    rows: impl Iterator<Item = Result<Numbered<T>, ReadError>>,
) -> Vec<Result<u64, (u64, String)>> {
    rows.map(|r| match r {
        Ok(row) => Ok(row.line),
        Err(ReadError::Row(e)) => Err((e.line, e.reason)),
        Err(e) => panic!("unexpected I/O error: {e}"),
    })
    .collect()
}

/// Checks `got` against `(line, None)` for a valid row or `(line, Some(needle))` for a problem.
fn check(got: &[Result<u64, (u64, String)>], want: &[(u64, Option<&str>)]) {
    assert_eq!(got.len(), want.len(), "{got:#?}");
    for (g, (line, needle)) in got.iter().zip(want) {
        match (g, needle) {
            (Ok(l), None) => assert_eq!(l, line, "{got:#?}"),
            (Err((l, reason)), Some(needle)) => {
                assert_eq!(l, line, "{reason}");
                assert!(
                    reason.contains(needle),
                    "line {l}: {reason:?} lacks {needle:?}"
                );
            }
            _ => panic!("line {line}: got {g:?}, wanted {needle:?}"),
        }
    }
}

const T: [&str; 6] = [
    "eyJpZCI6MX0.c2lnMQ",
    "eyJpZCI6Mn0.c2lnMg",
    "eyJpZCI6M30.c2lnMw",
    "eyJpZCI6NH0.c2lnNA",
    "eyJpZCI6NX0.c2lnNQ",
    "eyJpZCI6Nn0.c2lnNg",
];

#[test]
fn claim_csv_problems_are_reported_on_their_lines() {
    let long_tag = "x".repeat(101);
    let mut input = Vec::new();
    input.extend_from_slice(b"\xEF\xBB\xBFtoken,tags\r\n"); // 1: header (after a BOM)
    input.extend_from_slice(format!("{},\"a,b\"\r\n", T[0]).as_bytes()); // 2: ok, CRLF
    input.extend_from_slice(b"\r\n"); // 3: blank
    input.extend_from_slice(b"   \n"); // 4: blank (spaces)
    input.extend_from_slice(format!("{},\"ok,{long_tag}\"\n", T[1]).as_bytes()); // 5: long tag
    input.extend_from_slice(format!("{},\"ok,bad tag\"\n", T[2]).as_bytes()); // 6: bad character
    input.extend_from_slice(format!("{},a,b\n", T[3]).as_bytes()); // 7: 3 columns
    input.extend_from_slice(format!("{}\n", T[0]).as_bytes()); // 8: duplicate of line 2
    input.extend_from_slice(b"not-a-token\n"); // 9: one part
    input.extend_from_slice(b"abc.d!f\n"); // 10: not base64url
    input.extend_from_slice(b"\xff\xfe.abcd\n"); // 11: not UTF-8
    input.extend_from_slice(format!("{},\"multi\nline\"\n", T[4]).as_bytes()); // 12-13: ok (tag "multi\nline" is bad)
    input.extend_from_slice(format!("{},\"\"\n", T[5]).as_bytes()); // 14: ok, empty tags
    input.extend_from_slice(b"\n\n"); // trailing blank lines: ignored
    let got = outcomes(ClaimReader::new(input.as_slice()));
    check(
        &got,
        &[
            (1, Some("header row")),
            (2, None),
            (3, Some("blank line")),
            (4, Some("blank line")),
            (5, Some("101 characters")),
            (6, Some("contains ' '")),
            (7, Some("expected 1 or 2 columns")),
            (8, Some("duplicate token")),
            (9, Some("found 1 part")),
            (10, Some("part 2 is not base64url")),
            (11, Some("column 1 is not valid UTF-8")),
            (12, Some("contains '\\n'")),
            (14, None),
        ],
    );
    // No message shows a token.
    for (_, reason) in got.iter().filter_map(|r| r.as_ref().err()) {
        assert!(!T.iter().any(|t| reason.contains(t)), "{reason}");
    }
}

#[test]
fn valid_claim_rows_keep_their_tags_and_lines() {
    let input = format!("{},\" a , b \"\n\n{}\n", T[0], T[1]);
    let rows: Vec<_> = ClaimReader::new(input.as_bytes()).collect();
    let first = rows[0].as_ref().unwrap();
    assert_eq!(
        (first.line, first.record.tags.clone()),
        (1, vec!["a".into(), "b".into()])
    );
    assert_eq!(rows[1].as_ref().unwrap_err().row().unwrap().line, 2);
    let last = rows[2].as_ref().unwrap();
    assert_eq!((last.line, last.record.token.as_str()), (3, T[1]));
    assert!(last.record.tags.is_empty());
}

#[test]
fn attestation_tokens_csv_rows_are_read_and_checked() {
    let input = format!(
        "imei,uuid,token,timestamp\n\
         352656100123456,50363154-3931-4d84-80a3-1a0d3a6a2b0c,{},2025-11-30T10:00:00+00:00\n\
         35265610012345,50363154-3931-4d84-80a3-1a0d3a6a2b0d,{},2025-11-30T10:00:00+00:00\n\
         352656100123457,not-a-uuid,{},2025-11-30T10:00:00+00:00\n\
         352656100123458,50363154-3931-4d84-80a3-1a0d3a6a2b0e,{}\n",
        T[0], T[1], T[2], T[3]
    );
    let got = outcomes(ClaimReader::new(input.as_bytes()));
    check(
        &got,
        &[
            (1, Some("header row")),
            (2, None),
            (3, Some("not a 15-digit IMEI")),
            (4, Some("not a device UUID")),
            (5, Some("found 3 column(s)")),
        ],
    );
    let row = ClaimReader::new(input.as_bytes()).nth(1).unwrap().unwrap();
    assert_eq!(row.record.token, T[0]);
    assert_eq!(
        row.record.device_id.as_deref(),
        Some("50363154-3931-4d84-80a3-1a0d3a6a2b0c")
    );
}

#[test]
fn onboarding_csv_problems_are_reported_on_their_lines() {
    let pem = bulk_support::public_key_pem();
    let pem_lines = pem.lines().count() as u64; // 4: each good row spans 5 lines
    let row =
        |id: &str, sub: &str, tags: &str, fw: &str| format!("{id},{sub},{tags},{fw},\"{pem}\"\n");
    let mut input = String::from("deviceId,subType,tags,fwTypes,certPem\n"); // 1
    input += &row("dev-1", "nrf9151", "a|b", "APP|MODEM"); // 2-6
    input += &row("dev/2", "", "", ""); // 7-11: bad id
    input += &row("dev-3", "bad sub", "", ""); // 12-16
    input += &row("dev-4", "", "ok|bad tag", ""); // 17-21
    input += &row("dev-5", "", "", "APP|FIRMWARE"); // 22-26
    input += &row("dev-1", "", "", ""); // 27-31: duplicate
    input += "dev-6,,,,\"-----BEGIN CERTIFICATE-----\nAAAA\n\"\n"; // 32-34: no END line
    input += "dev-7,,,\"x\"\n"; // 35: 4 columns
    input += &row("dev-8", "", "", ""); // 36-40
    let got = outcomes(OnboardReader::new(input.as_bytes()));
    let rows = 1 + pem_lines;
    check(
        &got,
        &[
            (1, Some("header row")),
            (2, None),
            (2 + rows, Some("device id \"dev/2\"")),
            (2 + 2 * rows, Some("subType")),
            (2 + 3 * rows, Some("tag \"bad tag\"")),
            (2 + 4 * rows, Some("firmware type \"FIRMWARE\"")),
            (2 + 5 * rows, Some("duplicate device id")),
            (2 + 6 * rows, Some("no -----END CERTIFICATE----- line")),
            (2 + 6 * rows + 3, Some("expected 5 columns")),
            (2 + 6 * rows + 4, None),
        ],
    );
}

#[test]
fn key_csv_rows_need_the_right_pem() {
    let key = bulk_support::public_key_pem();
    let input = format!("dev-1,\"{key}\"\ndev-2\ndev-3,\"{key}\",extra\n");
    let got = outcomes(KeyReader::new(input.as_bytes(), KeyKind::PublicKey));
    let rows = key.lines().count() as u64 + 1;
    check(
        &got,
        &[
            (1, None),
            (
                1 + rows,
                Some("expected 2 columns (deviceId, keyPem), found 1"),
            ),
            (2 + rows, Some("found 3 column(s)")),
        ],
    );
    let got = outcomes(KeyReader::new(input.as_bytes(), KeyKind::Certificate));
    assert_eq!(got[0], Err((1, "expected a PEM CERTIFICATE".into())));
}

#[test]
fn an_io_error_stops_the_reader() {
    struct Broken;
    impl std::io::Read for Broken {
        fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
            Err(std::io::Error::other("disk on fire"))
        }
    }
    let mut reader = ClaimReader::new(Broken);
    assert!(matches!(reader.next(), Some(Err(ReadError::Io(_)))));
}
