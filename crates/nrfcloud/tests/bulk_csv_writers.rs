//! The CSV writers write rows exactly as the API expects them, refuse rows it would refuse, and
//! what they write reads back unchanged.

mod bulk_support;

use nrfcloud::bulk::csv::{
    ClaimReader, ClaimRecord, ClaimWriter, KeyKind, KeyReader, KeyRecord, KeyWriter, OnboardReader,
    OnboardRecord, OnboardWriter, WriteError,
};

const TOKEN: &str = "eyJpZCI6MX0.c2lnMQ";
const TOKEN2: &str = "eyJpZCI6Mn0.c2lnMg";

#[test]
fn claim_rows_are_fully_quoted_with_the_tags_in_one_column() {
    let mut w = ClaimWriter::new(Vec::new());
    w.write(&ClaimRecord::new(TOKEN)).unwrap();
    w.write(&ClaimRecord::new(TOKEN2).tags(["nrf-cloud-onboarding", "factory-line-3"]))
        .unwrap();
    let bytes = w.into_inner().unwrap();
    assert_eq!(
        String::from_utf8(bytes.clone()).unwrap(),
        format!("\"{TOKEN}\"\n\"{TOKEN2}\",\"nrf-cloud-onboarding,factory-line-3\"\n")
    );
    let back: Vec<ClaimRecord> = ClaimReader::new(bytes.as_slice())
        .map(|r| r.unwrap().record)
        .collect();
    assert_eq!(
        back,
        [
            ClaimRecord::new(TOKEN),
            ClaimRecord::new(TOKEN2).tags(["nrf-cloud-onboarding", "factory-line-3"])
        ]
    );
}

#[test]
fn claim_writer_refuses_what_the_service_would() {
    let mut w = ClaimWriter::new(Vec::new());
    for record in [
        ClaimRecord::new("no-dot"),
        ClaimRecord::new(TOKEN).tags(["a,b"]),
        ClaimRecord::new(TOKEN).tags(["x".repeat(101)]),
    ] {
        let e = w.write(&record).unwrap_err();
        assert!(matches!(e, WriteError::Invalid(_)), "{e}");
        assert!(!e.to_string().contains(TOKEN), "{e}");
    }
    assert!(w.into_inner().unwrap().is_empty(), "nothing written");
}

#[test]
fn onboarding_rows_keep_the_pem_line_breaks_and_end_inside_the_quotes() {
    let pem = bulk_support::public_key_pem();
    let bare = pem.trim_end(); // no line break after END: the writer adds it
    let mut w = OnboardWriter::new(Vec::new());
    w.write(
        &OnboardRecord::new("nrf-352656100123456", bare)
            .sub_type("nrf9151")
            .tags(["warehouse", "line-3"])
            .fw_types(["APP", "MODEM"]),
    )
    .unwrap();
    w.write(&OnboardRecord::new("dev-2", pem.as_str()).fw_types(["APP", "MODEM"]))
        .unwrap();
    let text = String::from_utf8(w.into_inner().unwrap()).unwrap();
    assert_eq!(
        text,
        format!(
            "nrf-352656100123456,nrf9151,warehouse|line-3,APP|MODEM,\"{pem}\"\ndev-2,,,APP|MODEM,\"{pem}\"\n"
        )
    );
    assert!(pem.ends_with("-----END PUBLIC KEY-----\n"));
    let back: Vec<OnboardRecord> = OnboardReader::new(text.as_bytes())
        .map(|r| r.unwrap().record)
        .collect();
    assert_eq!(back[0].cert_pem, pem);
    assert_eq!(back[0].tags, ["warehouse", "line-3"]);
    assert_eq!(back[0].fw_types, ["APP", "MODEM"]);
    assert_eq!(
        back[1],
        OnboardRecord::new("dev-2", pem.as_str()).fw_types(["APP", "MODEM"])
    );
}

#[test]
fn onboarding_writer_refuses_what_the_service_would() {
    let pem = bulk_support::public_key_pem();
    let bad = [
        OnboardRecord::new("a/b", pem.as_str()),
        OnboardRecord::new("dev", pem.as_str()).sub_type("with space"),
        OnboardRecord::new("dev", pem.as_str()).tags(["a|b"]),
        OnboardRecord::new("dev", pem.as_str()).fw_types(["app"]),
        OnboardRecord::new(
            "dev",
            "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n",
        ),
    ];
    let mut w = OnboardWriter::new(Vec::new());
    for record in bad {
        assert!(
            matches!(w.write(&record), Err(WriteError::Invalid(_))),
            "{record:?}"
        );
    }
    assert!(w.into_inner().unwrap().is_empty());
}

#[test]
fn key_and_certificate_rows() {
    let key = bulk_support::public_key_pem();
    let mut w = KeyWriter::new(Vec::new(), KeyKind::PublicKey);
    w.write(&KeyRecord::new("dev-1", key.trim_end())).unwrap();
    let text = String::from_utf8(w.into_inner().unwrap()).unwrap();
    assert_eq!(text, format!("dev-1,\"{key}\"\n"));
    let back = KeyReader::new(text.as_bytes(), KeyKind::PublicKey)
        .next()
        .unwrap()
        .unwrap();
    assert_eq!(back.record, KeyRecord::new("dev-1", key.as_str()));

    let cert = "-----BEGIN CERTIFICATE-----\r\nMIIB\r\n-----END CERTIFICATE-----\r\n";
    let mut w = KeyWriter::new(Vec::new(), KeyKind::Certificate);
    assert!(matches!(
        w.write(&KeyRecord::new("dev-1", key.as_str())),
        Err(WriteError::Invalid(m)) if m.contains("expected a PEM CERTIFICATE")
    ));
    // CRLF line breaks inside a PEM are kept as they are (the API's regex allows them).
    w.write(&KeyRecord::new("dev-1", cert)).unwrap();
    assert_eq!(
        String::from_utf8(w.into_inner().unwrap()).unwrap(),
        format!("dev-1,\"{cert}\"\n")
    );
}
