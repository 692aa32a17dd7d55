//! The readers: each row parsed and checked, with its line.

use std::io;

use super::{ClaimRecord, KeyKind, KeyRecord, Numbered, OnboardRecord, ReadError, lines::Lines};
use crate::bulk::{
    token,
    validate::{
        check_claim_tag, check_claim_token, check_device_id, check_device_tag, check_fw_type,
        check_pem, check_sub_type, shown,
    },
};

fn column_count(found: usize, expected: &str) -> String {
    format!("expected {expected}, found {found} column(s)")
}

fn split_list(field: &str, separator: char) -> impl Iterator<Item = &str> {
    let field = field.trim();
    field
        .split(separator)
        .map(str::trim)
        .filter(move |_| !field.is_empty())
}

fn parse_claim(fields: &[&str]) -> Result<ClaimRecord, String> {
    let (token, tags, device_id) = match fields.len() {
        1 => (fields[0], "", None),
        2 => (fields[0], fields[1], None),
        4 => {
            let (imei, uuid) = (fields[0].trim(), fields[1].trim());
            if imei.len() != 15 || !imei.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!(
                    "4 columns is the attestation_tokens.csv layout (imei, uuid, token, timestamp), but column 1 is not a 15-digit IMEI: {}",
                    shown(imei)
                ));
            }
            if uuid::Uuid::try_parse(uuid).is_err() {
                return Err(format!(
                    "column 2 of an attestation_tokens.csv row is not a device UUID: {}",
                    shown(uuid)
                ));
            }
            (fields[2], "", Some(uuid.to_ascii_lowercase()))
        }
        n => {
            return Err(column_count(
                n,
                "1 or 2 columns (token, \"tag1,tag2\") or 4 (imei, uuid, token, timestamp)",
            ));
        }
    };
    let token = token.trim();
    check_claim_token(token)?;
    if let Some(uuid) = &device_id
        && let Some(own) = token::device_id(token)
        && token::normalized(&own) != token::normalized(uuid)
    {
        // The claim would go by the token; a mismatch means the row mixes two devices.
        return Err(format!(
            "column 2 (device {uuid}) is not the device the token was made by ({own})"
        ));
    }
    let tags = split_list(tags, ',')
        .map(|t| check_claim_tag(t).map(|()| t.to_owned()))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ClaimRecord {
        token: token.to_owned(),
        tags,
        device_id,
    })
}

fn parse_onboard(fields: &[&str]) -> Result<OnboardRecord, String> {
    if fields.len() != 5 {
        return Err(column_count(
            fields.len(),
            "5 columns (deviceId, subType, tags, fwTypes, certPem)",
        ));
    }
    let device_id = fields[0].trim();
    check_device_id(device_id)?;
    let sub_type = fields[1].trim();
    check_sub_type(sub_type)?;
    let tags = split_list(fields[2], '|')
        .map(|t| check_device_tag(t).map(|()| t.to_owned()))
        .collect::<Result<Vec<_>, _>>()?;
    let fw_types = split_list(fields[3], '|')
        .map(|t| check_fw_type(t).map(|()| t.to_owned()))
        .collect::<Result<Vec<_>, _>>()?;
    let cert_pem = check_pem(fields[4], &["CERTIFICATE", "PUBLIC KEY"])?.into_owned();
    Ok(OnboardRecord {
        device_id: device_id.to_owned(),
        sub_type: sub_type.to_owned(),
        tags,
        fw_types,
        cert_pem,
    })
}

fn parse_key(kind: KeyKind, fields: &[&str]) -> Result<KeyRecord, String> {
    if fields.len() != 2 {
        let pem = match kind {
            KeyKind::PublicKey => "keyPem",
            KeyKind::Certificate => "certPem",
        };
        return Err(column_count(
            fields.len(),
            &format!("2 columns (deviceId, {pem})"),
        ));
    }
    let device_id = fields[0].trim();
    check_device_id(device_id)?;
    let pem = check_pem(fields[1], kind.labels())?.into_owned();
    Ok(KeyRecord {
        device_id: device_id.to_owned(),
        pem,
    })
}

/// Reads a claim CSV: `token[,"tag1,tag2"]` rows, or nrfcloud-utils' `attestation_tokens.csv`
/// (`imei,uuid,token,timestamp`), or a mix, with every problem reported by line.
pub struct ClaimReader<R> {
    lines: Lines<R>,
}

impl<R: io::Read> ClaimReader<R> {
    /// A reader of `input` (buffered inside: pass a `File` as it is).
    pub fn new(input: R) -> Self {
        Self {
            lines: Lines::new(input),
        }
    }
}

impl<R: io::Read> Iterator for ClaimReader<R> {
    type Item = Result<Numbered<ClaimRecord>, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.lines
            .next_row(parse_claim, |r: &ClaimRecord| &r.token, "token")
    }
}

/// Reads an OnboardDevices CSV.
pub struct OnboardReader<R> {
    lines: Lines<R>,
}

impl<R: io::Read> OnboardReader<R> {
    /// A reader of `input`.
    pub fn new(input: R) -> Self {
        Self {
            lines: Lines::new(input),
        }
    }
}

impl<R: io::Read> Iterator for OnboardReader<R> {
    type Item = Result<Numbered<OnboardRecord>, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.lines
            .next_row(parse_onboard, |r: &OnboardRecord| &r.device_id, "device id")
    }
}

/// Reads a RegisterPublicKeys or RegisterCertificates CSV.
pub struct KeyReader<R> {
    lines: Lines<R>,
    kind: KeyKind,
}

impl<R: io::Read> KeyReader<R> {
    /// A reader of `input`, whose PEMs are of `kind`.
    pub fn new(input: R, kind: KeyKind) -> Self {
        Self {
            lines: Lines::new(input),
            kind,
        }
    }
}

impl<R: io::Read> Iterator for KeyReader<R> {
    type Item = Result<Numbered<KeyRecord>, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        let kind = self.kind;
        self.lines.next_row(
            |fields| parse_key(kind, fields),
            |r: &KeyRecord| &r.device_id,
            "device id",
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bulk::csv::ClaimRecord;

    fn lines(input: &[u8]) -> Vec<Result<u64, (u64, String)>> {
        ClaimReader::new(input)
            .map(|r| match r {
                Ok(n) => Ok(n.line),
                Err(ReadError::Row(e)) => Err((e.line, e.reason)),
                Err(e) => panic!("{e}"),
            })
            .collect()
    }

    const T1: &str = "eyJhIjoxfQ.c2ln";
    const T2: &str = "eyJhIjoyfQ.c2ln";
    const T3: &str = "eyJhIjozfQ.c2ln";

    #[test]
    fn line_numbers_survive_blank_lines_crlf_bom_and_quoted_line_breaks() {
        let input = format!("\u{feff}{T1}\r\n\r\n\n{T2},\"a,\r\nb\"\r\n  \r\n{T3}");
        let got = lines(input.as_bytes());
        assert_eq!(got[0], Ok(1));
        assert_eq!(got[1], Err((2, "blank line".into())));
        assert_eq!(got[2], Err((3, "blank line".into())));
        // "a,\r\nb" splits into the tags "a" and "b" after trimming.
        assert_eq!(got[3], Ok(4));
        assert_eq!(got[4], Err((6, "blank line".into())));
        assert_eq!(got[5], Ok(7));
        assert_eq!(got.len(), 6);
    }

    #[test]
    fn trailing_blank_lines_are_ignored() {
        let input = format!("{T1}\n{T2}\n\n\n");
        assert_eq!(lines(input.as_bytes()), [Ok(1), Ok(2)]);
    }

    #[test]
    fn the_unterminated_last_line_after_blank_lines() {
        let input = format!("{T1}\n\n\n{T2}");
        assert_eq!(
            lines(input.as_bytes()),
            [
                Ok(1),
                Err((2, "blank line".into())),
                Err((3, "blank line".into())),
                Ok(4)
            ]
        );
    }

    #[test]
    fn attestation_rows_give_the_device_id() {
        let input = format!(
            "352656100123456,5E3A4B2C-0000-4000-8000-00000000000A,{T1},2025-01-01T00:00:00+00:00\n"
        );
        let row = ClaimReader::new(input.as_bytes()).next().unwrap().unwrap();
        assert_eq!(row.record.token, T1);
        assert_eq!(
            row.record.device_id.as_deref(),
            Some("5e3a4b2c-0000-4000-8000-00000000000a")
        );
    }

    #[test]
    fn debug_hides_the_token() {
        let debug = format!("{:?}", ClaimRecord::new(T1));
        assert!(!debug.contains(T1), "{debug}");
        assert!(debug.contains("eyJhIjox…"), "{debug}");
    }
}
