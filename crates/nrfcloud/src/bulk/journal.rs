//! The journal: an append-only JSON-lines file of the rows the service confirmed, so that a
//! run after a crash or a network failure sends only the rest.
//!
//! ```text
//! {"journal":"nrfcloud-bulk","version":1,"operation":"claim"}
//! {"key":"06b05ab6733a618578af5f94892f3950","line":1,"device_id":"5e3a…"}
//! ```
//!
//! A row is known by the 128-bit xxh3 hash of its token (claims) or device id (uploads), so no
//! token is written to disk. The file is flushed and synced to disk after each request's
//! outcome; a line cut short by a crash is skipped when the journal is read again (its row is
//! simply sent again, which claims and uploads tolerate). One journal belongs to one kind of
//! run, and to one run at a time: a run holds an exclusive lock on it, and a second run is
//! refused.

use std::{
    collections::HashSet,
    fs::{File, OpenOptions},
    io::{self, BufRead, BufReader, BufWriter, Write},
    path::Path,
};

use serde::{Deserialize, Serialize};

use super::report::Operation;

const MAGIC: &str = "nrfcloud-bulk";
/// The journal format this version writes and reads.
const VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
struct Header {
    journal: String,
    version: u32,
    operation: String,
}

#[derive(Serialize, Deserialize)]
struct Entry<'a> {
    key: &'a str,
    line: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    device_id: Option<&'a str>,
}

/// An open journal, appending.
#[derive(Debug)]
pub(crate) struct Journal {
    out: BufWriter<File>,
}

/// Why a journal cannot be used.
#[derive(Debug, thiserror::Error)]
pub(crate) enum JournalError {
    #[error("cannot use the journal {path}")]
    Io {
        path: String,
        #[source]
        source: io::Error,
    },
    #[error("the journal {path} {problem}")]
    Foreign { path: String, problem: String },
}

impl Journal {
    /// Opens (or creates) the journal at `path` for `operation`; returns it and the keys of the
    /// rows it confirms.
    pub(crate) fn open(
        path: &Path,
        operation: Operation,
    ) -> Result<(Self, HashSet<u128>), JournalError> {
        let shown = path.display().to_string();
        let io = |source| JournalError::Io {
            path: shown.clone(),
            source,
        };
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(path)
            .map_err(io)?;
        // Released when the file closes, also when the process dies.
        file.try_lock().map_err(|e| match e {
            std::fs::TryLockError::WouldBlock => JournalError::Foreign {
                path: shown.clone(),
                problem: "is in use by another run; wait for it to end, or give this run \
                          another journal"
                    .into(),
            },
            std::fs::TryLockError::Error(e) => io(e),
        })?;
        let read = read(&mut file, &shown, operation)?;
        let mut out = BufWriter::new(file);
        if !read.has_header {
            let header = Header {
                journal: MAGIC.into(),
                version: VERSION,
                operation: operation.as_str().into(),
            };
            serde_json::to_writer(&mut out, &header).map_err(|e| io(e.into()))?;
            out.write_all(b"\n").map_err(io)?;
        } else if !read.ends_with_newline {
            // A crash cut the last line short: start on a fresh line.
            out.write_all(b"\n").map_err(io)?;
        }
        out.flush().map_err(io)?;
        out.get_ref().sync_data().map_err(io)?;
        Ok((Self { out }, read.done))
    }

    /// Appends one confirmed row (buffered until [`Journal::flush`]).
    pub(crate) fn confirm(
        &mut self,
        key: u128,
        line: u64,
        device_id: Option<&str>,
    ) -> io::Result<()> {
        let key = format!("{key:032x}");
        serde_json::to_writer(
            &mut self.out,
            &Entry {
                key: &key,
                line,
                device_id,
            },
        )?;
        self.out.write_all(b"\n")
    }

    /// Writes everything appended so far to the file and to the disk (a confirmation that a
    /// power loss could undo would send rows twice).
    pub(crate) fn flush(&mut self) -> io::Result<()> {
        self.out.flush()?;
        self.out.get_ref().sync_data()
    }
}

/// What an existing journal holds.
struct Read {
    done: HashSet<u128>,
    has_header: bool,
    ends_with_newline: bool,
}

/// Reads the journal `file` (shown as `shown`) of an `operation` run.
fn read(file: &mut File, shown: &str, operation: Operation) -> Result<Read, JournalError> {
    let io = |source| JournalError::Io {
        path: shown.to_owned(),
        source,
    };
    let mut read = Read {
        done: HashSet::new(),
        has_header: false,
        ends_with_newline: true,
    };
    let mut reader = BufReader::new(file);
    let mut line = Vec::new();
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line).map_err(io)? == 0 {
            return Ok(read);
        }
        read.ends_with_newline = line.ends_with(b"\n");
        if !read.has_header {
            check_header(&line, shown, operation)?;
            read.has_header = true;
            continue;
        }
        match serde_json::from_slice::<Entry>(&line)
            .ok()
            .and_then(|e| u128::from_str_radix(e.key, 16).ok())
        {
            Some(key) => {
                read.done.insert(key);
            }
            None => tracing::warn!(journal = %shown, "skipping an unreadable journal line"),
        }
    }
}

/// Checks the first line of a journal: ours, of this version, of this kind of run.
fn check_header(line: &[u8], shown: &str, operation: Operation) -> Result<(), JournalError> {
    let foreign = |problem: String| JournalError::Foreign {
        path: shown.to_owned(),
        problem,
    };
    let h: Header = serde_json::from_slice(line)
        .ok()
        .filter(|h: &Header| h.journal == MAGIC)
        .ok_or_else(|| {
            foreign(
                "is not an nrfcloud bulk journal (its first line is no journal header); give \
                 another path, or, if a crash cut this journal's first line short, delete it: \
                 rows already claimed are then reported as already claimed"
                    .into(),
            )
        })?;
    if h.version != VERSION {
        return Err(foreign(format!(
            "is a version {} journal, and this nrfcloud reads version {VERSION}: finish the run \
             with the nrfcloud that wrote it, or start a new journal",
            h.version
        )));
    }
    if h.operation != operation.as_str() {
        return Err(foreign(format!(
            "was written by a `{}` run, not a `{}` run",
            h.operation,
            operation.as_str()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confirmed_keys_survive_a_reopen_and_a_torn_last_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.jsonl");
        let (mut j, done) = Journal::open(&path, Operation::Claim).unwrap();
        assert!(done.is_empty());
        j.confirm(7, 1, Some("dev-1")).unwrap();
        j.confirm(u128::MAX, 2, None).unwrap();
        j.flush().unwrap();
        drop(j);
        // A crash in the middle of a line.
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(br#"{"key":"00000000000000000000000000000009","li"#)
            .unwrap();
        drop(f);
        let (mut j, done) = Journal::open(&path, Operation::Claim).unwrap();
        assert_eq!(done, [7, u128::MAX].into());
        j.confirm(9, 3, None).unwrap();
        j.flush().unwrap();
        drop(j);
        let (_, done) = Journal::open(&path, Operation::Claim).unwrap();
        assert_eq!(done, [7, 9, u128::MAX].into());
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with(r#"{"journal":"nrfcloud-bulk","version":1,"operation":"claim"}"#));
        assert!(text.contains(
            r#"{"key":"00000000000000000000000000000007","line":1,"device_id":"dev-1"}"#
        ));
    }

    #[test]
    fn a_journal_in_use_by_another_run_is_refused_until_it_ends() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.jsonl");
        let (first, _) = Journal::open(&path, Operation::Claim).unwrap();
        let e = Journal::open(&path, Operation::Claim).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "the journal {} is in use by another run; wait for it to end, or give this run another journal",
                path.display()
            )
        );
        drop(first);
        assert!(Journal::open(&path, Operation::Claim).is_ok());
    }

    #[test]
    fn a_journal_of_another_version_or_a_torn_header_says_what_to_do() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.jsonl");
        std::fs::write(
            &path,
            "{\"journal\":\"nrfcloud-bulk\",\"version\":2,\"operation\":\"claim\"}\n",
        )
        .unwrap();
        let e = Journal::open(&path, Operation::Claim)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("is a version 2 journal, and this nrfcloud reads version 1"),
            "{e}"
        );
        std::fs::write(&path, "{\"journal\":\"nrfclo").unwrap();
        let e = Journal::open(&path, Operation::Claim)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("if a crash cut this journal's first line short, delete it"),
            "{e}"
        );
        // A tail of NULs (a crash on some file systems) is skipped, not fatal.
        let (mut j, _) = Journal::open(&dir.path().join("k.jsonl"), Operation::Claim).unwrap();
        j.confirm(5, 1, None).unwrap();
        j.flush().unwrap();
        drop(j);
        let mut f = OpenOptions::new()
            .append(true)
            .open(dir.path().join("k.jsonl"))
            .unwrap();
        f.write_all(&[0; 4096]).unwrap();
        drop(f);
        let (_, done) = Journal::open(&dir.path().join("k.jsonl"), Operation::Claim).unwrap();
        assert_eq!(done, [5].into());
    }

    #[test]
    fn a_journal_of_another_run_or_another_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.jsonl");
        drop(Journal::open(&path, Operation::Claim).unwrap());
        let e = Journal::open(&path, Operation::Onboard).unwrap_err();
        assert!(
            e.to_string()
                .contains("was written by a `claim` run, not a `onboard` run"),
            "{e}"
        );
        let other = dir.path().join("tokens.csv");
        std::fs::write(&other, "token\n").unwrap();
        let e = Journal::open(&other, Operation::Claim).unwrap_err();
        assert!(
            e.to_string().contains("is not an nrfcloud bulk journal"),
            "{e}"
        );
    }
}
