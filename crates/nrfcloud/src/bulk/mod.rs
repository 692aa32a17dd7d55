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
//! 1. **Validate** every row before anything is uploaded ([`csv`], [`validate`]): blank lines,
//!    a header row, missing or extra columns, invalid tags, duplicates, malformed tokens, text
//!    that is not UTF-8 — each with the line of the file. [`InvalidRows`] chooses between
//!    stopping with nothing uploaded (the default) and skipping those rows.
//! 2. **Chunk** the valid rows into requests of at most 1000 rows, and **send** them with a
//!    bounded concurrency (default 4), as `Content-Type: text/csv`. Memory stays flat: rows are
//!    read only as fast as they are sent.
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
//! [`crate::ErrorKind::Bulk`], which carries the report so far ([`crate::Error::bulk_report`]).

mod chunk;
pub mod csv;
mod error;
mod journal;
mod poll;
mod report;
mod submit;
pub mod summary;
mod token;
mod upload;
pub mod validate;

use std::{io::Read, time::Duration};

pub use chunk::MAX_ROWS_PER_REQUEST;
pub use error::{BulkError, BulkErrorKind};
pub use report::{
    BulkOpReport, BulkReport, Counts, LineRange, Operation, Progress, RowOutcome, RowReport,
};
pub use upload::{BulkClaim, BulkUpload, Onboarding};

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

/// The most requests a bulk run keeps in flight ([`BulkClaim::concurrency`] clamps to it).
pub const MAX_CONCURRENCY: usize = 64;
/// The longest deadline a bulk run takes ([`BulkClaim::deadline`] clamps to it): 30 days.
pub const MAX_DEADLINE: Duration = Duration::from_secs(30 * 24 * 3600);
/// The bounds of the first poll interval ([`BulkClaim::poll_interval`] clamps to them).
pub const POLL_INTERVAL_BOUNDS: (Duration, Duration) =
    (Duration::from_millis(50), Duration::from_secs(60));

/// The settings every bulk builder shares.
macro_rules! settings_setters {
    () => {
        /// Requests in flight at once (default 4), clamped to 1..=[`MAX_CONCURRENCY`](crate::bulk::MAX_CONCURRENCY).
        pub fn concurrency(mut self, requests: usize) -> Self {
            self.settings.concurrency = requests.clamp(1, crate::bulk::MAX_CONCURRENCY);
            self
        }

        /// What to do with invalid rows (default [`InvalidRows::Abort`]).
        pub fn invalid_rows(mut self, invalid: InvalidRows) -> Self {
            self.settings.invalid_rows = invalid;
            self
        }

        /// Records confirmed rows in this file, and skips the rows it already confirms
        /// (see the module docs). Created when missing.
        pub fn journal(mut self, path: impl Into<PathBuf>) -> Self {
            self.settings.journal = Some(path.into());
            self
        }

        /// The longest the whole run may take (default 1 hour). When it passes, rows in
        /// flight are reported unconfirmed (with their bulk-operation ids), the rest not
        /// submitted, and `wait()` returns [`BulkErrorKind::Deadline`](crate::bulk::BulkErrorKind::Deadline) with the report.
        /// Clamped to [`MAX_DEADLINE`](crate::bulk::MAX_DEADLINE) (30 days).
        pub fn deadline(mut self, deadline: Duration) -> Self {
            self.settings.deadline = deadline.min(crate::bulk::MAX_DEADLINE);
            self
        }

        /// The first wait before polling a bulk operation (default 500 ms); it doubles up to
        /// 5 s. Also the first wait before resending a request answered 429. Clamped to
        /// [`POLL_INTERVAL_BOUNDS`](crate::bulk::POLL_INTERVAL_BOUNDS) (50 ms to 60 s), so it
        /// never polls back to back.
        pub fn poll_interval(mut self, first: Duration) -> Self {
            let (min, max) = crate::bulk::POLL_INTERVAL_BOUNDS;
            self.settings.poll_interval = first.clamp(min, max);
            self
        }

        /// Called after each request's outcome (and for rows that are not sent), with the
        /// rows sent so far and the counts.
        pub fn on_progress(mut self, callback: impl FnMut(&Progress) + Send + 'static) -> Self {
            self.settings.progress = Some(Box::new(callback));
            self
        }
    };
}
pub(crate) use settings_setters;

fn boxed(input: impl Read + Send + 'static) -> submit::Input {
    Box::new(input)
}
