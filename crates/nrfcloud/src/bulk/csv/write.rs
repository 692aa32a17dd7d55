//! The writers: rows exactly as the API expects them.

use std::io;

use super::{ClaimRecord, KeyKind, KeyRecord, OnboardRecord, lines::io_error};
use crate::bulk::validate::{
    check_claim_tag, check_claim_token, check_device_id, check_device_tag, check_fw_type,
    check_pem, check_sub_type,
};

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
