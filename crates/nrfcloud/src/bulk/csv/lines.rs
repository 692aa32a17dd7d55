//! The rows of a CSV input with their exact 1-based lines: what the `csv` crate does not track.

use std::io;

use super::{Numbered, ReadError};
use crate::bulk::validate::{RowError, Seen, is_header, key_of};

/// Counts what the `csv` reader takes from the input: the reader's own line numbers are exact
/// only up to the end of a record, and whether the last record ended with a line break is
/// known only here.
///
/// It also bounds memory: the `csv` reader holds a whole row, so a row that does not end (no
/// closing quote, a file that is not CSV) stops the reading at [`MAX_ROW_BYTES`] past the end
/// of the last complete row.
struct Tracked<R> {
    inner: R,
    total: u64,
    last: u8,
    eof: bool,
    /// Where the last complete row ended, and the line after it.
    row_end: u64,
    line: u64,
}

/// The longest row a bulk CSV may have: far above any real one (a token is under 2 KiB, a
/// certificate row a few KiB).
pub const MAX_ROW_BYTES: u64 = 256 * 1024;

/// What the `csv` reader may have buffered ahead of the row it parses.
const READ_AHEAD: u64 = 64 * 1024;

impl<R: io::Read> io::Read for Tracked<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.total - self.row_end > MAX_ROW_BYTES + READ_AHEAD {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "line {}: a row longer than {} KiB (an unclosed quote, or a file that is not \
                     a bulk CSV?)",
                    self.line,
                    MAX_ROW_BYTES / 1024
                ),
            ));
        }
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
pub(super) struct Lines<R> {
    csv: csv::Reader<Tracked<R>>,
    record: csv::ByteRecord,
    /// The line the next record starts on if no blank line comes first.
    next_line: u64,
    /// Blank lines still to report, then whether a record is held behind them.
    blank: Option<(u64, u64)>,
    held: Option<u64>,
    first: bool,
    seen: Seen,
    /// An input error ends the rows: the reader cannot find the next row after one.
    failed: bool,
}

enum Raw {
    Blank(u64),
    Record(u64),
}

impl<R: io::Read> Lines<R> {
    pub(super) fn new(input: R) -> Self {
        let csv = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .terminator(csv::Terminator::Any(b'\n'))
            .from_reader(Tracked {
                inner: input,
                total: 0,
                last: 0,
                eof: false,
                row_end: 0,
                line: 1,
            });
        Self {
            csv,
            record: csv::ByteRecord::new(),
            next_line: 1,
            blank: None,
            held: None,
            first: true,
            seen: Seen::default(),
            failed: false,
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
        if self.failed {
            return None;
        }
        match self.csv.read_byte_record(&mut self.record) {
            Err(e) => {
                self.failed = true;
                Some(Err(ReadError::Io(io_error(e))))
            }
            Ok(false) => None,
            Ok(true) => {
                let after = self.csv.position().line();
                let end = self.csv.position().byte();
                let src = self.csv.get_mut();
                (src.row_end, src.line) = (end, after);
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
    pub(super) fn next_row<T>(
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

pub(super) fn io_error(e: csv::Error) -> io::Error {
    match e.into_kind() {
        csv::ErrorKind::Io(e) => e,
        other => io::Error::other(format!("{other:?}")),
    }
}
