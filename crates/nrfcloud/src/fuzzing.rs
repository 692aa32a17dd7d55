//! Entry points for the cargo-fuzz targets (`fuzz/` at the repository root) into code that is
//! private to the crate. Compiled only with `--cfg fuzzing`, which `cargo fuzz` passes; not part
//! of the API.

use std::io::Write;

use crate::bulk::{Operation, journal, token};

/// The device id a claim token names (`bulk::token::device_id`).
pub fn token_device_id(token: &str) -> Option<String> {
    token::device_id(token)
}

/// Writes `bytes` to a temporary file (in `TMPDIR`) and opens it as the journal of a claim run
/// (`bulk::journal::Journal::open`); whether it opened.
pub fn journal_open(bytes: &[u8]) -> bool {
    let mut file = tempfile::Builder::new()
        .prefix("nrfcloud-fuzz-journal-")
        .tempfile()
        .expect("a temporary file for the journal");
    file.write_all(bytes)
        .and_then(|()| file.flush())
        .expect("writing the journal");
    journal::Journal::open(file.path(), Operation::Claim).is_ok()
}
