//! [`BulkError`]: a bulk run that stopped before every row had an answer. It carries the
//! report so far, so nothing that happened is lost.

use std::{error::Error as StdError, fmt, time::Duration};

use super::report::BulkReport;

/// Why a bulk run stopped.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum BulkErrorKind {
    /// Invalid rows, with [`super::InvalidRows::Abort`]: nothing was uploaded.
    InvalidRows,
    /// The run's deadline passed: rows in flight are unconfirmed, the rest not submitted.
    Deadline {
        /// The deadline that passed.
        after: Duration,
    },
    /// A request failed (see `source()`): the rows it carried are unconfirmed or failed, and
    /// no further rows were sent. Run again with the journal to go on.
    Interrupted {
        /// The first line the failed request carried.
        first_line: u64,
        /// Its last line.
        last_line: u64,
    },
    /// The caller stopped the run ([`super::BulkUpload::stop_when`]): the requests in flight
    /// were answered, the rest of the rows were not submitted. Run again with the journal to go
    /// on.
    Stopped,
    /// The CSV input or the journal could not be read or written (see `source()`).
    Input {
        /// What could not be done.
        what: String,
    },
}

/// A bulk run that stopped early, with its report so far.
#[derive(Debug)]
pub struct BulkError {
    kind: BulkErrorKind,
    report: Box<BulkReport>,
    source: Option<Box<dyn StdError + Send + Sync>>,
}

impl BulkError {
    pub(crate) fn new(
        kind: BulkErrorKind,
        report: BulkReport,
        source: Option<Box<dyn StdError + Send + Sync>>,
    ) -> Self {
        Self {
            kind,
            report: Box::new(report),
            source,
        }
    }

    /// Why the run stopped.
    pub fn kind(&self) -> &BulkErrorKind {
        &self.kind
    }

    /// What happened to the rows until then.
    pub fn report(&self) -> &BulkReport {
        &self.report
    }

    /// The report, by value.
    pub fn into_report(self) -> BulkReport {
        *self.report
    }
}

impl fmt::Display for BulkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let op = self.report.operation;
        let c = &self.report.counts;
        match &self.kind {
            BulkErrorKind::InvalidRows => {
                write!(f, "{op}: {} invalid row(s)", c.invalid)?;
                if let Some(first) = self.report.rows.first()
                    && let super::RowOutcome::Invalid { reason } = &first.outcome
                {
                    write!(f, " (first: line {}: {reason})", first.line)?;
                }
                f.write_str("; nothing was uploaded")
            }
            BulkErrorKind::Deadline { after } => write!(
                f,
                "{op}: the deadline of {} s passed; {} row(s) unconfirmed, {} not submitted",
                after.as_secs_f64(),
                c.unconfirmed,
                c.not_submitted
            ),
            BulkErrorKind::Interrupted {
                first_line,
                last_line,
            } => write!(
                f,
                "{op} stopped: the request with lines {first_line}-{last_line} failed; {} row(s) unconfirmed, {} not submitted",
                c.unconfirmed, c.not_submitted
            ),
            BulkErrorKind::Stopped => write!(
                f,
                "{op} stopped on request; {} row(s) unconfirmed, {} not submitted",
                c.unconfirmed, c.not_submitted
            ),
            BulkErrorKind::Input { what } => write!(f, "{op}: {what}"),
        }
    }
}

impl StdError for BulkError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn StdError + 'static))
    }
}
