//! Splitting validated rows into request bodies of at most 1000 rows, each row remembered by
//! its line and key so that every answer maps back to the user's file.

use std::{collections::HashSet, io};

use bytes::Bytes;

use super::{
    csv::{ReadError, WriteError},
    kind::{Chunk, ChunkRow, Input, Kind},
    validate::{RowError, key_of},
};

/// Most rows in one request: the documented limit of the upload endpoints, and what
/// nrfcloud-utils sends per claim request.
pub const MAX_ROWS_PER_REQUEST: usize = 1000;

/// Most bytes of rows in one request body: rows with large certificates make a request of
/// fewer rows, so a body stays well under the service's request size limit, and memory under
/// concurrency × this.
pub const MAX_BYTES_PER_REQUEST: usize = 4 * 1024 * 1024;

/// What the reading side hands to the submitting side: a chunk when one is full (or the input
/// ended), with the invalid rows and the journal's rows met since the previous batch.
#[derive(Debug, Default)]
pub(crate) struct Batch {
    pub chunk: Option<Chunk>,
    pub invalid: Vec<RowError>,
    pub already_done: u64,
}

impl Batch {
    /// The last line of the input this batch covers (0 when it covers none).
    pub fn last_line(&self) -> u64 {
        let chunk = self.chunk.as_ref().map_or(0, Chunk::last_line);
        let invalid = self.invalid.iter().map(|e| e.line).max().unwrap_or(0);
        chunk.max(invalid)
    }
}

/// A chunk body being written, and its rows.
struct Builder<K: Kind> {
    writer: K::Writer,
    rows: Vec<ChunkRow>,
    bytes: usize,
}

impl<K: Kind> Builder<K> {
    fn new(kind: &K) -> Self {
        Self {
            writer: kind.writer(),
            rows: Vec::with_capacity(MAX_ROWS_PER_REQUEST),
            bytes: 0,
        }
    }

    fn is_full(&self) -> bool {
        self.rows.len() == MAX_ROWS_PER_REQUEST || self.bytes >= MAX_BYTES_PER_REQUEST
    }

    fn into_chunk(self) -> io::Result<Chunk> {
        let body = K::body(self.writer).map_err(io::Error::other)?;
        Ok(Chunk {
            body: Bytes::from(body),
            rows: self.rows,
        })
    }
}

/// Reads the next row of `reader` into `builder`; `Ok(false)` at the end of the input.
fn next_into<K: Kind>(
    kind: &K,
    reader: &mut K::Reader,
    builder: &mut Builder<K>,
    done: &HashSet<u128>,
    batch: &mut Batch,
) -> io::Result<bool> {
    let row = match reader.next() {
        None => return Ok(false),
        Some(Err(ReadError::Io(e))) => return Err(e),
        Some(Err(ReadError::Row(e))) => {
            batch.invalid.push(e);
            return Ok(true);
        }
        Some(Ok(row)) => row,
    };
    let key = key_of(K::key(&row.record));
    if done.contains(&key) {
        batch.already_done += 1;
        return Ok(true);
    }
    match kind.write(&mut builder.writer, &row.record) {
        Ok(()) => {
            builder.bytes += K::size(&row.record);
            builder.rows.push(ChunkRow {
                line: row.line,
                key,
                device_id: K::device_id(&row.record).map(Into::into),
            });
        }
        // The reader checked the row already; only the run's extra tags can fail here, and
        // those are checked before reading starts.
        Err(WriteError::Invalid(reason)) => batch.invalid.push(RowError::new(row.line, reason)),
        Err(WriteError::Io(e)) => return Err(e),
    }
    Ok(true)
}

/// Reads the whole input with `kind`'s reader, handing each batch to `emit` (which returns
/// false to stop early, when nobody listens any more). Memory: one chunk being built, plus
/// what `emit` keeps.
pub(crate) fn produce<K: Kind>(
    kind: &K,
    input: Input,
    done: &HashSet<u128>,
    mut emit: impl FnMut(Batch) -> bool,
) -> io::Result<()> {
    let mut reader = kind.reader(input);
    let mut builder = Builder::new(kind);
    let mut batch = Batch::default();
    loop {
        let more = next_into(kind, &mut reader, &mut builder, done, &mut batch)?;
        if builder.is_full() || (!more && !builder.rows.is_empty()) {
            let full = std::mem::replace(&mut builder, Builder::new(kind));
            batch.chunk = Some(full.into_chunk()?);
        }
        let ready = !more || batch.chunk.is_some() || batch.invalid.len() >= MAX_ROWS_PER_REQUEST;
        if ready && !emit(std::mem::take(&mut batch)) {
            return Ok(());
        }
        if !more {
            return Ok(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bulk::Claims;

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
        let kind = Claims {
            extra_tags: vec!["x".into()],
        };
        let mut batches = Vec::new();
        produce(
            &kind,
            Box::new(io::Cursor::new(input)),
            &HashSet::new(),
            |b| {
                batches.push(b);
                true
            },
        )
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
        let mut batches = Vec::new();
        produce(
            &Claims::default(),
            Box::new(io::Cursor::new(input)),
            &done,
            |b| {
                batches.push(b);
                true
            },
        )
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

    #[test]
    fn large_rows_make_smaller_chunks_under_the_byte_cap() {
        use crate::bulk::{Keys, csv::KeyKind};
        // 100 rows of 100 KiB certificates: 10 MB in all, 41 rows to a 4 MiB request.
        let pem = format!(
            "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
            "A".repeat(100 * 1024)
        );
        let mut input = String::new();
        for i in 0..100 {
            input.push_str(&format!("nrf-{i:015},\"{pem}\"\n"));
        }
        let mut chunks = Vec::new();
        let kind = Keys(KeyKind::Certificate);
        produce(
            &kind,
            Box::new(io::Cursor::new(input)),
            &HashSet::new(),
            |b| {
                assert!(b.invalid.is_empty(), "{:?}", b.invalid);
                chunks.extend(b.chunk);
                true
            },
        )
        .unwrap();
        let sizes: Vec<usize> = chunks.iter().map(|c| c.rows.len()).collect();
        assert_eq!(sizes, [41, 41, 18]);
        for c in &chunks {
            assert!(
                c.body.len() < MAX_BYTES_PER_REQUEST + pem.len() + 64,
                "{}",
                c.body.len()
            );
        }
    }
}
