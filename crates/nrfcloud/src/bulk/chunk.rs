//! Splitting validated rows into request bodies of at most 1000 rows, each row remembered by
//! its line and key so that every answer maps back to the user's file.

use std::{collections::HashSet, io};

use bytes::Bytes;

use super::{
    csv::{
        ClaimReader, ClaimWriter, KeyReader, KeyWriter, OnboardReader, OnboardWriter, ReadError,
    },
    validate::{RowError, key_of},
};

/// Most rows in one request: the documented limit of the upload endpoints, and what
/// nrfcloud-utils sends per claim request (provisioning-api.md §4.1, §4.3, §4.4).
pub const MAX_ROWS_PER_REQUEST: usize = 1000;

/// One row of a chunk: where it came from, and its key.
#[derive(Debug)]
pub(crate) struct ChunkRow {
    pub line: u64,
    pub key: u128,
    /// The device id when the input names it (onboarding, keys, attestation_tokens.csv).
    pub device_id: Option<Box<str>>,
}

/// One request's worth of rows: the body to send, and its rows in body order (row `i` of the
/// body is `rows[i]`, which is how the service's row indices come back to lines).
#[derive(Debug)]
pub(crate) struct Chunk {
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

/// What the reading side hands to the submitting side: a chunk when one is full (or the input
/// ended), with the invalid rows and the journal's rows met since the previous batch.
#[derive(Debug, Default)]
pub(crate) struct Batch {
    pub chunk: Option<Chunk>,
    pub invalid: Vec<RowError>,
    pub already_done: u64,
}

/// The input of one run, read with the reader of its kind.
pub(crate) enum Rows<R> {
    Claim {
        reader: ClaimReader<R>,
        /// Tags added to every row.
        extra_tags: Vec<String>,
    },
    Onboard(OnboardReader<R>),
    Keys(KeyReader<R>),
}

/// A chunk body being written.
enum Body {
    Claim(ClaimWriter<Vec<u8>>),
    Onboard(OnboardWriter<Vec<u8>>),
    Keys(KeyWriter<Vec<u8>>),
}

struct Builder {
    body: Body,
    rows: Vec<ChunkRow>,
}

impl Builder {
    fn into_chunk(self) -> io::Result<Chunk> {
        let bytes = match self.body {
            Body::Claim(w) => w.into_inner(),
            Body::Onboard(w) => w.into_inner(),
            Body::Keys(w) => w.into_inner(),
        }
        .map_err(io::Error::other)?;
        Ok(Chunk {
            body: Bytes::from(bytes),
            rows: self.rows,
        })
    }
}

impl<R: io::Read> Rows<R> {
    fn new_builder(&self) -> Builder {
        let out = Vec::with_capacity(64 * 1024);
        let body = match self {
            Rows::Claim { .. } => Body::Claim(ClaimWriter::new(out)),
            Rows::Onboard(_) => Body::Onboard(OnboardWriter::new(out)),
            Rows::Keys(r) => Body::Keys(KeyWriter::new(out, r.kind())),
        };
        Builder {
            body,
            rows: Vec::with_capacity(MAX_ROWS_PER_REQUEST),
        }
    }

    /// Reads the next row into `builder`; `Ok(None)` at the end of the input.
    fn next_into(
        &mut self,
        builder: &mut Builder,
        done: &HashSet<u128>,
        batch: &mut Batch,
    ) -> io::Result<Option<()>> {
        macro_rules! next {
            ($reader:expr) => {
                match $reader.next() {
                    None => return Ok(None),
                    Some(Err(ReadError::Io(e))) => return Err(e),
                    Some(Err(ReadError::Row(e))) => {
                        batch.invalid.push(e);
                        return Ok(Some(()));
                    }
                    Some(Ok(row)) => row,
                }
            };
        }
        let written = match (self, &mut builder.body) {
            (Rows::Claim { reader, extra_tags }, Body::Claim(w)) => {
                let row = next!(reader);
                let key = key_of(&row.record.token);
                if done.contains(&key) {
                    batch.already_done += 1;
                    return Ok(Some(()));
                }
                let mut tags: Vec<&str> = row.record.tags.iter().map(String::as_str).collect();
                for extra in extra_tags.iter() {
                    if !tags.contains(&extra.as_str()) {
                        tags.push(extra);
                    }
                }
                let device_id = row.record.device_id.map(String::into_boxed_str);
                (
                    row.line,
                    key,
                    device_id,
                    w.write_parts(&row.record.token, tags.into_iter()),
                )
            }
            (Rows::Onboard(reader), Body::Onboard(w)) => {
                let row = next!(reader);
                let key = key_of(&row.record.device_id);
                if done.contains(&key) {
                    batch.already_done += 1;
                    return Ok(Some(()));
                }
                let result = w.write(&row.record);
                (
                    row.line,
                    key,
                    Some(row.record.device_id.into_boxed_str()),
                    result,
                )
            }
            (Rows::Keys(reader), Body::Keys(w)) => {
                let row = next!(reader);
                let key = key_of(&row.record.device_id);
                if done.contains(&key) {
                    batch.already_done += 1;
                    return Ok(Some(()));
                }
                let result = w.write(&row.record);
                (
                    row.line,
                    key,
                    Some(row.record.device_id.into_boxed_str()),
                    result,
                )
            }
            _ => unreachable!("the builder is made by the same Rows"),
        };
        let (line, key, device_id, result) = written;
        match result {
            Ok(()) => builder.rows.push(ChunkRow {
                line,
                key,
                device_id,
            }),
            // The reader checked the row already; only the run's extra tags can fail here,
            // and those are checked before reading starts.
            Err(super::csv::WriteError::Invalid(reason)) => {
                batch.invalid.push(RowError::new(line, reason))
            }
            Err(super::csv::WriteError::Io(e)) => return Err(e),
        }
        Ok(Some(()))
    }

    /// Reads the whole input, handing each batch to `emit` (which returns false to stop early,
    /// when nobody listens any more). Memory: one chunk being built, plus what `emit` keeps.
    pub(crate) fn produce(
        mut self,
        done: &HashSet<u128>,
        mut emit: impl FnMut(Batch) -> bool,
    ) -> io::Result<()> {
        let mut builder = self.new_builder();
        let mut batch = Batch::default();
        loop {
            let more = self.next_into(&mut builder, done, &mut batch)?.is_some();
            if builder.rows.len() == MAX_ROWS_PER_REQUEST || (!more && !builder.rows.is_empty()) {
                let full = std::mem::replace(&mut builder, self.new_builder());
                batch.chunk = Some(full.into_chunk()?);
            }
            let ready =
                !more || batch.chunk.is_some() || batch.invalid.len() >= MAX_ROWS_PER_REQUEST;
            if ready && !emit(std::mem::take(&mut batch)) {
                return Ok(());
            }
            if !more {
                return Ok(());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(i: usize) -> String {
        format!("dG9rZW4{i:04}.c2ln")
    }

    #[test]
    fn chunks_hold_at_most_1000_rows_and_remember_their_lines() {
        let mut input = String::from("token\n");
        for i in 0..2500 {
            input.push_str(&token(i));
            input.push('\n');
        }
        let rows = Rows::Claim {
            reader: ClaimReader::new(input.as_bytes()),
            extra_tags: vec!["x".into()],
        };
        let mut batches = Vec::new();
        rows.produce(&HashSet::new(), |b| {
            batches.push(b);
            true
        })
        .unwrap();
        let chunks: Vec<&Chunk> = batches.iter().filter_map(|b| b.chunk.as_ref()).collect();
        let sizes: Vec<usize> = chunks.iter().map(|c| c.rows.len()).collect();
        assert_eq!(sizes, [1000, 1000, 500]);
        // Line 1 is the header; row 1001 of the data (line 1002) opens chunk 2.
        assert_eq!(chunks[1].rows[0].line, 1002);
        assert_eq!(
            (chunks[2].first_line(), chunks[2].last_line()),
            (2002, 2501)
        );
        assert_eq!(batches[0].invalid[0].line, 1);
        let body = std::str::from_utf8(&chunks[1].body).unwrap();
        assert_eq!(body.lines().count(), 1000);
        assert_eq!(
            body.lines().next().unwrap(),
            format!("\"{}\",\"x\"", token(1000))
        );
    }

    #[test]
    fn journal_rows_are_counted_not_sent() {
        let input = format!("{}\n{}\n{}\n", token(0), token(1), token(2));
        let done: HashSet<u128> = [key_of(&token(1))].into();
        let rows = Rows::Claim {
            reader: ClaimReader::new(input.as_bytes()),
            extra_tags: vec![],
        };
        let mut batches = Vec::new();
        rows.produce(&done, |b| {
            batches.push(b);
            true
        })
        .unwrap();
        assert_eq!(batches.len(), 1);
        assert_eq!(batches[0].already_done, 1);
        let lines: Vec<u64> = batches[0]
            .chunk
            .as_ref()
            .unwrap()
            .rows
            .iter()
            .map(|r| r.line)
            .collect();
        assert_eq!(lines, [1, 3]);
    }
}
