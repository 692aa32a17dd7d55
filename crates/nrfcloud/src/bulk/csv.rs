//! Reading and writing the CSV files of bulk operations, with the `csv` crate.
//!
//! **Readers** yield each valid row with the 1-based line where it starts, and every problem as
//! a [`RowError`] with its line: blank lines between rows, a header row, missing or extra
//! columns, text that is not UTF-8, duplicates, and whatever the field rules of
//! [`super::validate`] refuse. A UTF-8 BOM is skipped and `\r\n` line ends are accepted. Blank
//! lines at the very end of a file are ignored.
//!
//! * [`ClaimReader`]: the plain claim CSV (`token[,"tag1,tag2"]`) and the `attestation_tokens.csv`
//!   that nrfcloud-utils writes (`imei,uuid,token,timestamp`), recognised row by row by their
//!   column count;
//! * [`OnboardReader`]: OnboardDevices rows (`deviceId,subType,tags|…,fwTypes|…,"certPem"`);
//! * [`KeyReader`]: RegisterPublicKeys (`deviceId,"keyPem"`) and RegisterCertificates
//!   (`deviceId,"certPem"`) rows.
//!
//! **Writers** write rows exactly as the API expects them (no header, `\n` line ends) and refuse
//! a record the API would refuse:
//!
//! * [`ClaimWriter`]: every field quoted, as nrfcloud-utils does (`"token","tag1,tag2"`);
//! * [`OnboardWriter`], [`KeyWriter`]: fields quoted only when needed, so the PEM is quoted
//!   with its line breaks and the line break after its END line inside the quotes.
//!
//! ```
//! use nrfcloud::bulk::csv::{ClaimReader, ClaimRecord, ClaimWriter};
//!
//! let mut out = ClaimWriter::new(Vec::new());
//! out.write(&ClaimRecord::new("eyJhIjoxfQ.c2ln").tags(["line-3"]))?;
//! let bytes = out.into_inner()?;
//! assert_eq!(bytes, b"\"eyJhIjoxfQ.c2ln\",\"line-3\"\n");
//!
//! let rows: Vec<_> = ClaimReader::new(&b"\xEF\xBB\xBFtoken\r\neyJhIjoxfQ.c2ln,\"a,b\"\r\n"[..]).collect();
//! assert_eq!(rows[0].as_ref().unwrap_err().to_string(), "line 1: header row; the file must have none");
//! let row = rows[1].as_ref().unwrap();
//! assert_eq!((row.line, row.record.tags.clone()), (2, vec!["a".to_string(), "b".to_string()]));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::{fmt, io};

use super::validate::{
    RowError, Seen, check_claim_tag, check_claim_token, check_device_id, check_device_tag,
    check_fw_type, check_pem, check_sub_type, is_header, key_of,
};

/// One row of a claim CSV.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClaimRecord {
    /// The attestation token (`AT%ATTESTTOKEN` output). Treat it as a credential.
    pub token: String,
    /// Provisioning tags.
    pub tags: Vec<String>,
    /// The device id, when the file names it (column 2 of `attestation_tokens.csv`).
    pub device_id: Option<String>,
}

impl ClaimRecord {
    /// A row for `token`, without tags.
    pub fn new(token: impl Into<String>) -> Self {
        Self {
            token: token.into(),
            tags: Vec::new(),
            device_id: None,
        }
    }

    /// The row's provisioning tags.
    pub fn tags<I: IntoIterator<Item = S>, S: Into<String>>(mut self, tags: I) -> Self {
        self.tags = tags.into_iter().map(Into::into).collect();
        self
    }
}

impl fmt::Debug for ClaimRecord {
    // The token is a credential: Debug output ends up in logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClaimRecord")
            .field("token", &redacted(&self.token))
            .field("tags", &self.tags)
            .field("device_id", &self.device_id)
            .finish()
    }
}

/// The first 8 characters of a token, for messages: enough to recognise it, useless to claim.
pub(crate) fn redacted(token: &str) -> String {
    let head: String = token.chars().take(8).collect();
    format!("{head}…")
}

/// One row of an OnboardDevices CSV.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct OnboardRecord {
    /// The device id.
    pub device_id: String,
    /// The device subType (may be empty; containing "gateway" makes a gateway).
    pub sub_type: String,
    /// Device tags.
    pub tags: Vec<String>,
    /// Supported firmware types (`APP`, `MODEM`, …).
    pub fw_types: Vec<String>,
    /// The device's certificate or public key, PEM.
    pub cert_pem: String,
}

impl OnboardRecord {
    /// A row with only the required fields.
    pub fn new(device_id: impl Into<String>, cert_pem: impl Into<String>) -> Self {
        Self {
            device_id: device_id.into(),
            sub_type: String::new(),
            tags: Vec::new(),
            fw_types: Vec::new(),
            cert_pem: cert_pem.into(),
        }
    }

    /// The subType.
    pub fn sub_type(mut self, sub_type: impl Into<String>) -> Self {
        self.sub_type = sub_type.into();
        self
    }

    /// The device tags.
    pub fn tags<I: IntoIterator<Item = S>, S: Into<String>>(mut self, tags: I) -> Self {
        self.tags = tags.into_iter().map(Into::into).collect();
        self
    }

    /// The supported firmware types.
    pub fn fw_types<I: IntoIterator<Item = S>, S: Into<String>>(mut self, types: I) -> Self {
        self.fw_types = types.into_iter().map(Into::into).collect();
        self
    }
}

/// One row of a RegisterPublicKeys or RegisterCertificates CSV.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct KeyRecord {
    /// The device id.
    pub device_id: String,
    /// The public key or certificate, PEM.
    pub pem: String,
}

impl KeyRecord {
    /// A row.
    pub fn new(device_id: impl Into<String>, pem: impl Into<String>) -> Self {
        Self {
            device_id: device_id.into(),
            pem: pem.into(),
        }
    }
}

/// Which PEM a [`KeyRecord`] holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyKind {
    /// `PUBLIC KEY` (RegisterPublicKeys).
    PublicKey,
    /// `CERTIFICATE` (RegisterCertificates).
    Certificate,
}

impl KeyKind {
    fn labels(self) -> &'static [&'static str] {
        match self {
            KeyKind::PublicKey => &["PUBLIC KEY"],
            KeyKind::Certificate => &["CERTIFICATE"],
        }
    }
}

/// A row and the 1-based line where it starts.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Numbered<T> {
    /// The line.
    pub line: u64,
    /// The row.
    pub record: T,
}

/// What a reader yields instead of a row.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReadError {
    /// The row is invalid; reading goes on.
    #[error(transparent)]
    Row(#[from] RowError),
    /// The input could not be read; reading stops.
    #[error("cannot read the CSV input")]
    Io(#[source] io::Error),
}

impl ReadError {
    /// The row problem, when it is one.
    pub fn row(&self) -> Option<&RowError> {
        match self {
            ReadError::Row(e) => Some(e),
            ReadError::Io(_) => None,
        }
    }
}

/// Counts what the `csv` reader takes from the input: the reader's own line numbers are exact
/// only up to the end of a record, and whether the last record ended with a line break is
/// known only here.
struct Tracked<R> {
    inner: R,
    total: u64,
    last: u8,
    eof: bool,
}

impl<R: io::Read> io::Read for Tracked<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n == 0 {
            self.eof = true;
        } else {
            self.total += n as u64;
            self.last = buf[n - 1];
        }
        Ok(n)
    }
}

/// The rows of a CSV input with their exact lines, blank lines and a first-row header reported.
///
/// `csv` skips blank lines and reports where a read *started*, so the line of a record is
/// worked out from where it ended: the line after it, less the line breaks inside its quoted
/// fields, less its own terminator. `\n` is the only terminator, so `\r\n` counts once; the
/// `\r` it leaves at the end of the last field is dropped.
struct Lines<R> {
    csv: csv::Reader<Tracked<R>>,
    record: csv::ByteRecord,
    /// The line the next record starts on if no blank line comes first.
    next_line: u64,
    /// Blank lines still to report, then whether a record is held behind them.
    blank: Option<(u64, u64)>,
    held: Option<u64>,
    first: bool,
    seen: Seen,
}

enum Raw {
    Blank(u64),
    Record(u64),
}

impl<R: io::Read> Lines<R> {
    fn new(input: R) -> Self {
        let csv = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .terminator(csv::Terminator::Any(b'\n'))
            .from_reader(Tracked {
                inner: input,
                total: 0,
                last: 0,
                eof: false,
            });
        Self {
            csv,
            record: csv::ByteRecord::new(),
            next_line: 1,
            blank: None,
            held: None,
            first: true,
            seen: Seen::default(),
        }
    }

    fn next_raw(&mut self) -> Option<Result<Raw, ReadError>> {
        if let Some((from, to)) = self.blank {
            self.blank = (from < to).then_some((from + 1, to));
            return Some(Ok(Raw::Blank(from)));
        }
        if let Some(line) = self.held.take() {
            return Some(Ok(Raw::Record(line)));
        }
        match self.csv.read_byte_record(&mut self.record) {
            Err(e) => Some(Err(ReadError::Io(io_error(e)))),
            Ok(false) => None,
            Ok(true) => {
                let after = self.csv.position().line();
                let inner = memchr::memchr_iter(b'\n', self.record.as_slice()).count() as u64;
                let src = self.csv.get_ref();
                let unterminated =
                    src.eof && self.csv.position().byte() == src.total && src.last != b'\n';
                let line = after - inner - u64::from(!unterminated);
                let expected = std::mem::replace(&mut self.next_line, after);
                if line > expected {
                    self.blank = Some((expected, line - 1));
                    self.held = Some(line);
                    return self.next_raw();
                }
                Some(Ok(Raw::Record(line)))
            }
        }
    }

    /// The next row parsed by `parse`, or the next problem. `identity` names what must be
    /// unique (`"token"`, `"device id"`).
    fn next_row<T>(
        &mut self,
        parse: impl Fn(&[&str]) -> Result<T, String>,
        identity: impl Fn(&T) -> &str,
        what: &str,
    ) -> Option<Result<Numbered<T>, ReadError>> {
        let line = match self.next_raw()? {
            Err(e) => return Some(Err(e)),
            Ok(Raw::Blank(line)) => return Some(Err(RowError::new(line, "blank line").into())),
            Ok(Raw::Record(line)) => line,
        };
        let first = std::mem::replace(&mut self.first, false);
        Some(
            self.row(line, first, parse, identity, what)
                .map_err(ReadError::Row),
        )
    }

    fn row<T>(
        &mut self,
        line: u64,
        first: bool,
        parse: impl Fn(&[&str]) -> Result<T, String>,
        identity: impl Fn(&T) -> &str,
        what: &str,
    ) -> Result<Numbered<T>, RowError> {
        let mut fields: Vec<&str> = Vec::with_capacity(self.record.len());
        for (column, bytes) in self.record.iter().enumerate() {
            let text = std::str::from_utf8(bytes).map_err(|e| {
                RowError::new(
                    line,
                    format!(
                        "column {} is not valid UTF-8 (byte {} of the field); save the file as UTF-8",
                        column + 1,
                        e.valid_up_to() + 1
                    ),
                )
            })?;
            fields.push(text);
        }
        if let Some(last) = fields.last_mut() {
            *last = last.strip_suffix('\r').unwrap_or(last);
        }
        if fields.iter().all(|f| f.trim().is_empty()) {
            return Err(RowError::new(line, "blank line"));
        }
        if first && is_header(fields[0].trim()) {
            return Err(RowError::new(line, "header row; the file must have none"));
        }
        let record = parse(&fields).map_err(|reason| RowError::new(line, reason))?;
        if !self.seen.insert(key_of(identity(&record))) {
            return Err(RowError::new(
                line,
                format!("duplicate {what}: an earlier line has the same one"),
            ));
        }
        Ok(Numbered { line, record })
    }
}

fn io_error(e: csv::Error) -> io::Error {
    match e.into_kind() {
        csv::ErrorKind::Io(e) => e,
        other => io::Error::other(format!("{other:?}")),
    }
}

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
                    super::validate::shown(imei)
                ));
            }
            if uuid::Uuid::try_parse(uuid).is_err() {
                return Err(format!(
                    "column 2 of an attestation_tokens.csv row is not a device UUID: {}",
                    super::validate::shown(uuid)
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

    pub(crate) fn kind(&self) -> KeyKind {
        self.kind
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

/// Why a writer refused a record.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WriteError {
    /// The API would refuse the record; nothing was written.
    #[error("invalid record: {0}")]
    Invalid(String),
    /// The output failed.
    #[error("cannot write the CSV output")]
    Io(#[source] io::Error),
}

impl From<csv::Error> for WriteError {
    fn from(e: csv::Error) -> Self {
        WriteError::Io(io_error(e))
    }
}

fn writer<W: io::Write>(out: W, quote: csv::QuoteStyle) -> csv::Writer<W> {
    csv::WriterBuilder::new()
        .has_headers(false)
        .flexible(true)
        .quote_style(quote)
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(out)
}

fn finish<W: io::Write>(csv: csv::Writer<W>) -> Result<W, WriteError> {
    csv.into_inner()
        .map_err(|e| WriteError::Io(io::Error::new(e.error().kind(), e.error().to_string())))
}

/// Writes claim rows as the Provisioning Service expects them: every field quoted, `\n` line
/// ends, the tags as one comma-separated column, no header.
pub struct ClaimWriter<W: io::Write> {
    csv: csv::Writer<W>,
    tags: String,
}

impl<W: io::Write> ClaimWriter<W> {
    /// A writer into `out`.
    pub fn new(out: W) -> Self {
        Self {
            csv: writer(out, csv::QuoteStyle::Always),
            tags: String::new(),
        }
    }

    /// Checks and writes one row.
    pub fn write(&mut self, record: &ClaimRecord) -> Result<(), WriteError> {
        self.write_parts(&record.token, record.tags.iter().map(String::as_str))
    }

    /// Checks and writes one row from its parts, without building a record.
    pub(crate) fn write_parts<'a>(
        &mut self,
        token: &str,
        tags: impl Iterator<Item = &'a str>,
    ) -> Result<(), WriteError> {
        check_claim_token(token).map_err(WriteError::Invalid)?;
        self.tags.clear();
        for tag in tags {
            check_claim_tag(tag).map_err(WriteError::Invalid)?;
            if !self.tags.is_empty() {
                self.tags.push(',');
            }
            self.tags.push_str(tag);
        }
        if self.tags.is_empty() {
            self.csv.write_record([token])?;
        } else {
            self.csv.write_record([token, self.tags.as_str()])?;
        }
        Ok(())
    }

    /// Flushes and returns the output.
    pub fn into_inner(self) -> Result<W, WriteError> {
        finish(self.csv)
    }
}

/// Writes OnboardDevices rows: `deviceId,subType,tag1|tag2,APP|MODEM,"certPem"`, the PEM quoted
/// with its line breaks and a line break after its END line.
pub struct OnboardWriter<W: io::Write> {
    csv: csv::Writer<W>,
}

impl<W: io::Write> OnboardWriter<W> {
    /// A writer into `out`.
    pub fn new(out: W) -> Self {
        Self {
            csv: writer(out, csv::QuoteStyle::Necessary),
        }
    }

    /// Checks and writes one row.
    pub fn write(&mut self, record: &OnboardRecord) -> Result<(), WriteError> {
        let invalid = WriteError::Invalid;
        check_device_id(&record.device_id).map_err(invalid)?;
        check_sub_type(&record.sub_type).map_err(invalid)?;
        for tag in &record.tags {
            check_device_tag(tag).map_err(invalid)?;
        }
        for fw in &record.fw_types {
            check_fw_type(fw).map_err(invalid)?;
        }
        let pem = check_pem(&record.cert_pem, &["CERTIFICATE", "PUBLIC KEY"]).map_err(invalid)?;
        self.csv.write_record([
            record.device_id.as_str(),
            record.sub_type.as_str(),
            record.tags.join("|").as_str(),
            record.fw_types.join("|").as_str(),
            pem.as_ref(),
        ])?;
        Ok(())
    }

    /// Flushes and returns the output.
    pub fn into_inner(self) -> Result<W, WriteError> {
        finish(self.csv)
    }
}

/// Writes RegisterPublicKeys or RegisterCertificates rows: `deviceId,"pem"`.
pub struct KeyWriter<W: io::Write> {
    csv: csv::Writer<W>,
    kind: KeyKind,
}

impl<W: io::Write> KeyWriter<W> {
    /// A writer into `out` of PEMs of `kind`.
    pub fn new(out: W, kind: KeyKind) -> Self {
        Self {
            csv: writer(out, csv::QuoteStyle::Necessary),
            kind,
        }
    }

    /// Checks and writes one row.
    pub fn write(&mut self, record: &KeyRecord) -> Result<(), WriteError> {
        check_device_id(&record.device_id).map_err(WriteError::Invalid)?;
        let pem = check_pem(&record.pem, self.kind.labels()).map_err(WriteError::Invalid)?;
        self.csv
            .write_record([record.device_id.as_str(), pem.as_ref()])?;
        Ok(())
    }

    /// Flushes and returns the output.
    pub fn into_inner(self) -> Result<W, WriteError> {
        finish(self.csv)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
