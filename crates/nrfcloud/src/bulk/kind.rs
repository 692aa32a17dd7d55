//! What makes one kind of bulk upload: the one trait the generic engine ([`super::chunk`],
//! [`super::run`], [`super::send`]) is written against. Claims ([`super::claims`]), onboarding
//! ([`super::onboard`]) and key or certificate registration ([`super::keys`]) each implement
//! it in their own file.

use std::{future::Future, io::Read};

use bytes::Bytes;

use super::{
    csv::{Numbered, ReadError, WriteError},
    report::{Operation, RowOutcome},
};
use crate::{Client, Result};

/// The input, boxed: the first pass reads the caller's reader, the second a spool.
pub type Input = Box<dyn Read + Send>;

/// One row of a chunk: where it came from, and its key.
#[derive(Debug)]
pub struct ChunkRow {
    pub line: u64,
    pub key: u128,
    /// The device id when the input names it (onboarding, keys, attestation_tokens.csv).
    pub device_id: Option<Box<str>>,
}

/// One request's worth of rows: the body to send, and its rows in body order (row `i` of the
/// body is `rows[i]`, which is how the service's row indices come back to lines).
#[derive(Debug)]
pub struct Chunk {
    pub body: Bytes,
    pub rows: Vec<ChunkRow>,
}

impl Chunk {
    pub fn first_line(&self) -> u64 {
        self.rows.first().map_or(0, |r| r.line)
    }

    pub fn last_line(&self) -> u64 {
        self.rows.last().map_or(0, |r| r.line)
    }
}

/// The service's answer to one upload.
#[derive(Debug)]
pub enum Answer {
    /// Answered at once: an outcome per row of the chunk (in chunk order), and the device ids
    /// the answer revealed, by row (empty when none).
    Rows {
        outcomes: Vec<RowOutcome>,
        device_ids: Vec<Option<String>>,
    },
    /// Accepted as the bulk operation with this id, to be followed.
    Accepted(String),
}

/// One kind of bulk upload.
///
/// Public in a private module: nameable by nobody outside the crate, but allowed as the bound
/// of the public [`super::BulkUpload`].
pub trait Kind: Send + Sync + 'static {
    /// One valid row of the input.
    type Record: Send;
    /// Reads records (with their lines) and row problems from the input.
    type Reader: Iterator<Item = std::result::Result<Numbered<Self::Record>, ReadError>> + Send;
    /// Writes request bodies.
    type Writer: Send;

    /// What the report and the journal call this kind.
    #[doc(hidden)]
    fn operation(&self) -> Operation;

    /// Checks the run's own settings before anything is read.
    #[doc(hidden)]
    fn check(&self) -> Result<()> {
        Ok(())
    }

    #[doc(hidden)]
    fn reader(&self, input: Input) -> Self::Reader;

    /// What identifies a record in the journal (its token, its device id).
    #[doc(hidden)]
    fn key(record: &Self::Record) -> &str;

    /// The device id, when the record names it.
    #[doc(hidden)]
    fn device_id(record: &Self::Record) -> Option<&str>;

    /// About how many bytes the record takes in a request body.
    #[doc(hidden)]
    fn size(record: &Self::Record) -> usize;

    #[doc(hidden)]
    fn writer(&self) -> Self::Writer;

    /// Writes one record into a request body.
    #[doc(hidden)]
    fn write(
        &self,
        writer: &mut Self::Writer,
        record: &Self::Record,
    ) -> std::result::Result<(), WriteError>;

    /// The request body written so far.
    #[doc(hidden)]
    fn body(writer: Self::Writer) -> std::result::Result<Vec<u8>, WriteError>;

    /// Uploads one chunk, and maps an immediate answer to its rows.
    #[doc(hidden)]
    fn upload(&self, client: &Client, chunk: &Chunk)
    -> impl Future<Output = Result<Answer>> + Send;

    /// The device ids of a chunk's rows that the input does not name but the upload reveals
    /// (a claim token carries its device id); empty when none.
    #[doc(hidden)]
    fn revealed_ids(&self, chunk: &Chunk) -> Vec<Option<String>> {
        let _ = chunk;
        Vec::new()
    }
}
