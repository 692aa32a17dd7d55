//! Bulk CSV workflows: claiming devices, onboarding them, registering their keys and
//! certificates, from files of any size.
//!
//! ```no_run
//! use nrfcloud::bulk::InvalidRows;
//!
//! # async fn run(client: nrfcloud::Client) -> Result<(), Box<dyn std::error::Error>> {
//! let report = client
//!     .provisioning()
//!     .bulk_claim(std::fs::File::open("attestation_tokens.csv")?)
//!     .tags(["nrf-cloud-onboarding"])
//!     .invalid_rows(InvalidRows::Skip)
//!     .journal("claim.journal")
//!     .on_progress(|p| eprintln!("{} sent, {} claimed", p.submitted, p.counts.succeeded))
//!     .wait()
//!     .await?;
//! println!("{report}"); // bulk claim: 2500 rows, 2497 claimed, 0 already claimed, 3 failed, …
//! for row in &report.rows {
//!     println!("line {}: {:?}", row.line, row.outcome);
//! }
//! # Ok(())
//! # }
//! ```
//!
//! Every run goes the same way:
//!
//! 1. **Validate** every row before anything is uploaded ([`csv`]): blank lines,
//!    a header row, missing or extra columns, invalid tags, duplicates, malformed tokens, text
//!    that is not UTF-8 — each with the line of the file ([`RowError`]). [`InvalidRows`] chooses between
//!    stopping with nothing uploaded (the default) and skipping those rows.
//! 2. **Chunk** the valid rows into requests of at most 1000 rows and 4 MiB, and **send**
//!    them with an adaptive concurrency (AIMD, at most 32 by default), as `Content-Type: text/csv`. Memory stays
//!    flat: rows are read only as fast as they are sent, and a row longer than 256 KiB stops
//!    the reading.
//! 3. **Follow** each answer: a synchronous claim answer (`{claimedIds, failed}`) is matched
//!    with its rows; a bulk operation (202 + `bulkOpsRequestId`) is polled, with a doubling
//!    interval, until it ends, and the rows of a FAILED one are read from its error summary
//!    ([`summary`]), downloaded without the API key.
//! 4. **Report** ([`BulkReport`]): counts, and the rows that failed, were invalid or are
//!    unconfirmed, with their lines. A row counts as done only when the service says so.
//! 5. **Journal** (optional): the rows confirmed so far, flushed after each request, so that
//!    running again after a crash or a network failure sends only the rest.
//!
//! A run that cannot finish (deadline, failed request, unreadable input) ends in
//! [`crate::error::ErrorKind::Bulk`], which carries the report so far ([`crate::Error::bulk_report`]).

mod adaptive;
mod builder;
mod chunk;
mod claims;
pub mod csv;
mod error;
pub(crate) mod journal;
mod keys;
mod kind;
mod onboard;
mod poll;
mod report;
mod run;
mod send;
pub mod summary;
pub(crate) mod token;
mod validate;

use std::time::Duration;

pub use builder::{BulkUpload, Onboarding};
pub use chunk::{MAX_BYTES_PER_REQUEST, MAX_ROWS_PER_REQUEST};
pub use claims::Claims;
pub use error::{BulkError, BulkErrorKind};
pub use keys::Keys;
pub use onboard::Onboard;
pub use report::{
    BulkOpReport, BulkReport, Counts, LineRange, Operation, Progress, RowOutcome, RowReport,
};
pub use validate::RowError;

/// What to do with invalid rows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum InvalidRows {
    /// Upload nothing when any row is invalid; the error's report lists every problem. The
    /// input is read twice (a one-pass reader is spooled to a temporary file).
    #[default]
    Abort,
    /// Upload the valid rows; the invalid ones are reported.
    Skip,
}

/// The most requests a bulk run keeps in flight unless told otherwise
/// ([`BulkUpload::concurrency`]): 32 requests of up to 1000 rows. nRF Cloud publishes no rate
/// limit; the run halves its concurrency at the first 429 or 5xx and paces itself after it.
pub const DEFAULT_CONCURRENCY: usize = 32;
/// The most requests a bulk run keeps in flight ([`BulkUpload::concurrency`] clamps to it).
pub const MAX_CONCURRENCY: usize = 64;
/// The longest deadline a bulk run takes ([`BulkUpload::deadline`] clamps to it): 30 days.
pub const MAX_DEADLINE: Duration = Duration::from_secs(30 * 24 * 3600);
/// The bounds of the first poll interval ([`BulkUpload::poll_interval`] clamps to them).
pub const POLL_INTERVAL_BOUNDS: (Duration, Duration) =
    (Duration::from_millis(50), Duration::from_secs(60));
