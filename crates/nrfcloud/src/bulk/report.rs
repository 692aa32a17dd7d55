//! What happened to every row of a bulk run: [`BulkReport`].
//!
//! To keep memory flat for files of any size, the report counts every row but lists only the
//! rows that need attention (failed, invalid, unconfirmed) with their lines, and the rows not
//! submitted as line ranges. The rows that succeeded are counted; with a journal, each of them
//! is also written there, by line, as it is confirmed.

use std::fmt;
use std::sync::Arc;

use serde::Serialize;

use super::validate::RowError;

/// The kind of bulk run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Operation {
    /// Claiming devices (Provisioning Service).
    Claim,
    /// OnboardDevices.
    Onboard,
    /// RegisterPublicKeys.
    RegisterPublicKeys,
    /// RegisterCertificates.
    RegisterCertificates,
}

impl Operation {
    /// The name used in journals and reports: `claim`, `onboard`, ….
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Claim => "claim",
            Operation::Onboard => "onboard",
            Operation::RegisterPublicKeys => "register_public_keys",
            Operation::RegisterCertificates => "register_certificates",
        }
    }

    /// What a row that succeeded is: `claimed`, `onboarded`, `registered`.
    pub fn done(self) -> &'static str {
        match self {
            Operation::Claim => "claimed",
            Operation::Onboard => "onboarded",
            Operation::RegisterPublicKeys | Operation::RegisterCertificates => "registered",
        }
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Operation::Claim => "bulk claim",
            Operation::Onboard => "bulk onboarding",
            Operation::RegisterPublicKeys => "public-key registration",
            Operation::RegisterCertificates => "certificate registration",
        })
    }
}

/// How one row ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
#[non_exhaustive]
pub enum RowOutcome {
    /// The service said it succeeded (claimed, onboarded, registered).
    Succeeded,
    /// An earlier run confirmed it (the journal says so); not sent again.
    AlreadyDone,
    /// The service refused it.
    Failed {
        /// The service's reason. Shared by every row it applies to (one copy per request).
        reason: Arc<str>,
    },
    /// Refused locally; never sent.
    Invalid {
        /// Why.
        reason: Arc<str>,
    },
    /// Sent, but the service's answer does not say what became of it (the request failed in
    /// transit, the deadline passed, or the answer cannot be matched to rows). Running again
    /// with the journal sends it again.
    Unconfirmed {
        /// Why. Shared by every row of the request it applies to.
        reason: Arc<str>,
    },
    /// Never sent (the run stopped first).
    NotSubmitted,
}

impl fmt::Display for RowOutcome {
    /// `failed: <reason>`, `not submitted`, ….
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RowOutcome::Succeeded => f.write_str("succeeded"),
            RowOutcome::AlreadyDone => f.write_str("already done"),
            RowOutcome::Failed { reason } => write!(f, "failed: {reason}"),
            RowOutcome::Invalid { reason } => write!(f, "invalid: {reason}"),
            RowOutcome::Unconfirmed { reason } => write!(f, "unconfirmed: {reason}"),
            RowOutcome::NotSubmitted => f.write_str("not submitted"),
        }
    }
}

/// A row that needs attention.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct RowReport {
    /// The 1-based line of the input where the row starts.
    pub line: u64,
    /// How it ended.
    #[serde(flatten)]
    pub outcome: RowOutcome,
    /// Its device id, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_id: Option<String>,
    /// The bulk operation it was part of, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bulk_ops_request_id: Option<String>,
}

/// Lines `first..=last`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct LineRange {
    /// The first line.
    pub first: u64,
    /// The last line.
    pub last: u64,
}

/// A bulk operation the run started (202 + `bulkOpsRequestId`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct BulkOpReport {
    /// Its id; `client.bulk_ops().get(id)` fetches it.
    pub id: String,
    /// Its last known status (`SUCCEEDED`, `FAILED`, or `PENDING`/`IN_PROGRESS` when the run
    /// stopped waiting).
    pub status: String,
    /// The first and last input lines it holds.
    pub lines: LineRange,
    /// Rows it holds.
    pub rows: usize,
    /// The error summary as it came, when it could not be parsed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub raw_error_summary: Option<String>,
}

/// Row counts. `rows` is every data line of the input, blank and header lines included (they
/// count as invalid).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Counts {
    /// All rows.
    pub rows: u64,
    /// Succeeded in this run.
    pub succeeded: u64,
    /// Confirmed by an earlier run (journal).
    pub already_done: u64,
    /// Refused by the service.
    pub failed: u64,
    /// Refused locally.
    pub invalid: u64,
    /// Sent without a clear answer.
    pub unconfirmed: u64,
    /// Never sent.
    pub not_submitted: u64,
}

/// Where a run is, for progress callbacks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Progress {
    /// Rows sent to the service so far.
    pub submitted: u64,
    /// Outcomes so far.
    pub counts: Counts,
}

/// The outcome of a bulk run: counts, the rows that need attention with their input lines,
/// and the bulk operations started.
///
/// `Display` gives a one-line summary; `serde::Serialize` gives JSON.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct BulkReport {
    /// What ran.
    pub operation: Operation,
    /// Row counts.
    pub counts: Counts,
    /// Failed, invalid and unconfirmed rows, by line.
    pub rows: Vec<RowReport>,
    /// Lines of the rows never sent.
    pub not_submitted: Vec<LineRange>,
    /// Upload requests sent.
    pub requests: u64,
    /// Set when the run ended before reading its whole input (the input stalled past the
    /// deadline): no line after this one was read (0 when none was). The rows of those lines
    /// are in no count.
    pub unread_after_line: Option<u64>,
    /// Bulk operations started.
    pub bulk_ops: Vec<BulkOpReport>,
}

impl BulkReport {
    pub(crate) fn new(operation: Operation) -> Self {
        Self {
            operation,
            counts: Counts::default(),
            rows: Vec::new(),
            not_submitted: Vec::new(),
            requests: 0,
            unread_after_line: None,
            bulk_ops: Vec::new(),
        }
    }

    /// Whether every row succeeded, now or in an earlier run.
    pub fn is_success(&self) -> bool {
        let c = &self.counts;
        c.succeeded + c.already_done == c.rows
    }

    pub(crate) fn invalid(&mut self, error: RowError) {
        self.counts.rows += 1;
        self.counts.invalid += 1;
        self.rows.push(RowReport {
            line: error.line,
            outcome: RowOutcome::Invalid {
                reason: error.reason.into(),
            },
            device_id: None,
            bulk_ops_request_id: None,
        });
    }

    pub(crate) fn already_done(&mut self, rows: u64) {
        self.counts.rows += rows;
        self.counts.already_done += rows;
    }

    /// Records the outcome of one sent (or unsent) row.
    pub(crate) fn row(
        &mut self,
        line: u64,
        outcome: RowOutcome,
        device_id: Option<&str>,
        bulk_op: Option<&str>,
    ) {
        let c = &mut self.counts;
        c.rows += 1;
        match outcome {
            RowOutcome::Succeeded => c.succeeded += 1,
            RowOutcome::AlreadyDone => c.already_done += 1,
            RowOutcome::NotSubmitted => {
                c.not_submitted += 1;
                match self.not_submitted.last_mut() {
                    Some(range) if range.last + 1 == line => range.last = line,
                    _ => self.not_submitted.push(LineRange {
                        first: line,
                        last: line,
                    }),
                }
                return;
            }
            RowOutcome::Failed { .. } => c.failed += 1,
            RowOutcome::Invalid { .. } => c.invalid += 1,
            RowOutcome::Unconfirmed { .. } => c.unconfirmed += 1,
        }
        if !matches!(outcome, RowOutcome::Succeeded | RowOutcome::AlreadyDone) {
            self.rows.push(RowReport {
                line,
                outcome,
                device_id: device_id.map(str::to_owned),
                bulk_ops_request_id: bulk_op.map(str::to_owned),
            });
        }
    }

    /// Sorts the lists by line (chunks finish in any order).
    pub(crate) fn finish(&mut self) {
        self.rows.sort_by_key(|r| r.line);
        self.not_submitted.sort_by_key(|r| r.first);
        let mut merged: Vec<LineRange> = Vec::with_capacity(self.not_submitted.len());
        for range in self.not_submitted.drain(..) {
            match merged.last_mut() {
                Some(last) if last.last + 1 == range.first => last.last = range.last,
                _ => merged.push(range),
            }
        }
        self.not_submitted = merged;
        self.bulk_ops.sort_by_key(|op| op.lines.first);
    }
}

impl fmt::Display for BulkReport {
    /// `bulk claim: 2500 rows, 2490 claimed, 0 already claimed, 5 failed, 3 invalid,
    /// 2 unconfirmed, 0 not submitted`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &self.counts;
        let done = self.operation.done();
        write!(
            f,
            "{}: {} rows, {} {done}, {} already {done}, {} failed, {} invalid, {} unconfirmed, {} not submitted",
            self.operation,
            c.rows,
            c.succeeded,
            c.already_done,
            c.failed,
            c.invalid,
            c.unconfirmed,
            c.not_submitted
        )?;
        match self.unread_after_line {
            Some(line) => write!(f, "; the input was not read after line {line}"),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_lists_display_and_json() {
        let mut r = BulkReport::new(Operation::Claim);
        r.row(5, RowOutcome::Succeeded, Some("d5"), None);
        r.invalid(RowError::new(2, "blank line"));
        r.row(
            4,
            RowOutcome::Failed {
                reason: "owned by another account".into(),
            },
            Some("d4"),
            Some("01OP"),
        );
        for line in [9, 10, 11, 7, 8, 13] {
            r.row(line, RowOutcome::NotSubmitted, None, None);
        }
        r.already_done(2);
        r.finish();
        assert_eq!(
            r.to_string(),
            "bulk claim: 11 rows, 1 claimed, 2 already claimed, 1 failed, 1 invalid, 0 unconfirmed, 6 not submitted"
        );
        assert!(!r.is_success());
        assert_eq!(r.rows.iter().map(|r| r.line).collect::<Vec<_>>(), [2, 4]);
        let ranges: Vec<(u64, u64)> = r.not_submitted.iter().map(|r| (r.first, r.last)).collect();
        assert_eq!(ranges, [(7, 11), (13, 13)]);
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["operation"], "claim");
        assert_eq!(json["counts"]["already_done"], 2);
        assert_eq!(
            json["rows"][1],
            serde_json::json!({"line": 4, "outcome": "failed", "reason": "owned by another account",
                "device_id": "d4", "bulk_ops_request_id": "01OP"})
        );
        assert_eq!(json["rows"][0]["outcome"], "invalid");
        assert_eq!(r.rows[0].outcome.to_string(), "invalid: blank line");
        assert_eq!(RowOutcome::NotSubmitted.to_string(), "not submitted");
    }
}
