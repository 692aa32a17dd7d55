//! Reading and writing the CSV files of bulk operations, with the `csv` crate.
//!
//! **Readers** yield each valid row with the 1-based line where it starts, and every problem as
//! a [`RowError`] with its line: blank lines between rows, a header row, missing or extra
//! columns, text that is not UTF-8, duplicates, and whatever the field rules of
//! the bulk engine refuse. A UTF-8 BOM is skipped and `\r\n` line ends are accepted. Blank
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

mod lines;
mod read;
mod write;

use std::{fmt, io};

use super::validate::RowError;

pub use lines::MAX_ROW_BYTES;
pub use read::{ClaimReader, KeyReader, OnboardReader};
pub use write::{ClaimWriter, KeyWriter, OnboardWriter, WriteError};

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
