//! Sending one chunk and following it until each of its rows has an outcome.
//!
//! A chunk is uploaded once: the client's one retry layer resends it only when that cannot
//! apply it twice (after a 429, which the service answers unprocessed, or when the connection
//! never opened). Any other failure of a request stops the run: its rows are unconfirmed (or
//! failed, when the service refused the whole request), later rows are not submitted, and a
//! re-run with the journal picks up from there.

use std::time::Duration;

use tokio::time::Instant;

use super::{
    kind::{Answer, Chunk, Kind},
    poll::{self, Followed},
    report::{BulkOpReport, LineRange, RowOutcome},
    summary::ErrorSummary,
};
use crate::{
    Client,
    bulk_ops::{BulkOpsRequest, BulkOpsStatus},
    error::{Error, ErrorKind, TransportKind},
    observe::counting_attempts,
};

/// Raw error summaries kept in a report are cut to this many bytes.
const RAW_SUMMARY_LIMIT: usize = 16 * 1024;

/// What the sending side needs.
pub(crate) struct Ctx<K> {
    pub client: Client,
    pub kind: K,
    pub deadline: Instant,
    pub poll_interval: Duration,
}

/// Why a request stops the run.
pub(crate) enum Stop {
    Failed(Error),
    Deadline,
}

/// The answer to one chunk: an outcome per row (in chunk order), its bulk operation, and
/// whether the run must stop.
pub(crate) struct Sent {
    pub outcomes: Vec<RowOutcome>,
    /// Device ids the answer revealed (read from the tokens), by row; empty when none.
    pub device_ids: Vec<Option<String>>,
    /// Upload requests sent for the chunk, resends included.
    pub requests: u64,
    /// When the upload started, and how long it took (resends included, polling not).
    pub started: Instant,
    pub upload_time: Duration,
    pub bulk_op: Option<BulkOpReport>,
    pub stop: Option<Stop>,
}

impl Sent {
    fn stopped(
        outcome: RowOutcome,
        n: usize,
        (requests, started, upload_time): (u64, Instant, Duration),
        stop: Stop,
    ) -> Self {
        Self {
            outcomes: vec![outcome; n],
            device_ids: Vec::new(),
            requests,
            started,
            upload_time,
            bulk_op: None,
            stop: Some(stop),
        }
    }

    /// Whether the service throttled this upload: the retry layer resent it (after a 429 or a
    /// connection that never opened), or it failed with 429 or 5xx.
    pub(crate) fn throttled(&self) -> bool {
        let failed_busy = matches!(
            &self.stop,
            Some(Stop::Failed(e)) if e.status().is_some_and(|s| s.as_u16() == 429 || s.is_server_error())
        );
        self.requests > 1 || failed_busy
    }
}

/// What a failed request means for its rows.
fn request_failed(e: &Error) -> RowOutcome {
    match e.kind() {
        // Refused before any processing: nothing happened to the rows.
        ErrorKind::Api(api) if api.status.as_u16() == 429 => RowOutcome::NotSubmitted,
        ErrorKind::Transport(t) if t.kind == TransportKind::Connect => RowOutcome::NotSubmitted,
        ErrorKind::Auth(_) | ErrorKind::InvalidRequest(_) | ErrorKind::Config(_) => {
            RowOutcome::NotSubmitted
        }
        // The service refused the whole request.
        ErrorKind::Api(api) if api.status.is_client_error() => RowOutcome::Failed {
            reason: format!("the service refused the whole request: {e}").into(),
        },
        // It may or may not have been processed.
        _ => RowOutcome::Unconfirmed {
            reason: format!("the request failed: {e}").into(),
        },
    }
}

/// Uploads one chunk and follows it to an answer for each row.
pub(crate) async fn send<K: Kind>(ctx: &Ctx<K>, chunk: &Chunk) -> Sent {
    let n = chunk.rows.len();
    let started = Instant::now();
    let upload = tokio::time::timeout_at(ctx.deadline, ctx.kind.upload(&ctx.client, chunk));
    let (answer, requests) = counting_attempts(upload).await;
    let upload_time = started.elapsed();
    let timing = (requests, started, upload_time);
    match answer {
        Err(_) => {
            let reason = "the deadline passed while the request was in flight".into();
            Sent::stopped(
                RowOutcome::Unconfirmed { reason },
                n,
                timing,
                Stop::Deadline,
            )
        }
        Ok(Err(e)) => Sent::stopped(request_failed(&e), n, timing, Stop::Failed(e)),
        Ok(Ok(Answer::Rows {
            outcomes,
            device_ids,
        })) => Sent {
            outcomes,
            device_ids,
            requests,
            started,
            upload_time,
            bulk_op: None,
            stop: None,
        },
        Ok(Ok(Answer::Accepted(id))) => {
            let mut op = BulkOpReport {
                id: id.clone(),
                status: "PENDING".into(),
                lines: LineRange {
                    first: chunk.first_line(),
                    last: chunk.last_line(),
                },
                rows: n,
                raw_error_summary: None,
            };
            let (outcomes, stop) = follow(ctx, &mut op, n).await;
            Sent {
                outcomes,
                device_ids: ctx.kind.revealed_ids(chunk),
                requests,
                started,
                upload_time,
                bulk_op: Some(op),
                stop,
            }
        }
    }
}

/// Follows the bulk operation `op` of `n` rows until it ends or the deadline passes.
async fn follow<K>(
    ctx: &Ctx<K>,
    op: &mut BulkOpReport,
    n: usize,
) -> (Vec<RowOutcome>, Option<Stop>) {
    let id = op.id.clone();
    let all = |reason: String| {
        vec![
            RowOutcome::Unconfirmed {
                reason: reason.into()
            };
            n
        ]
    };
    match poll::follow(&ctx.client, &id, ctx.deadline, ctx.poll_interval).await {
        Followed::Deadline(status) => {
            let reason = format!("bulk operation {id} was still {status} when the deadline passed");
            op.status = status;
            (all(reason), Some(Stop::Deadline))
        }
        Followed::Failed(status, e) => {
            op.status = status;
            (
                all(format!("cannot follow bulk operation {id}: {e}")),
                Some(Stop::Failed(e)),
            )
        }
        Followed::Done(done) => {
            op.status = done.status.as_str().to_owned();
            (ended(ctx, op, &done, n).await, None)
        }
    }
}

/// The rows of the bulk operation `op`, which ended as `done`.
async fn ended<K>(
    ctx: &Ctx<K>,
    op: &mut BulkOpReport,
    done: &BulkOpsRequest,
    n: usize,
) -> Vec<RowOutcome> {
    let id = &op.id;
    let all = |outcome: RowOutcome| vec![outcome; n];
    if done.status == BulkOpsStatus::Succeeded {
        return all(RowOutcome::Succeeded);
    }
    if done.status != BulkOpsStatus::Failed {
        let reason = format!("bulk operation {id} ended as {}", done.status);
        return all(RowOutcome::Unconfirmed {
            reason: reason.into(),
        });
    }
    let Some(url) = &done.error_summary_url else {
        let reason = format!("bulk operation {id} FAILED without an error summary");
        return all(RowOutcome::Unconfirmed {
            reason: reason.into(),
        });
    };
    match poll::error_summary(&ctx.client, url, ctx.deadline).await {
        Err(reason) => all(RowOutcome::Unconfirmed {
            reason: format!("bulk operation {id} FAILED; {reason}").into(),
        }),
        Ok(text) => {
            let (outcomes, keep) = from_summary(ErrorSummary::parse(&text), n, id);
            if keep {
                op.raw_error_summary = Some(cut(text));
            }
            outcomes
        }
    }
}

fn cut(mut text: String) -> String {
    if text.len() > RAW_SUMMARY_LIMIT {
        let mut end = RAW_SUMMARY_LIMIT;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        text.push('…');
    }
    text
}

/// Row outcomes from the error summary of a FAILED operation of `n` rows: the rows it names
/// failed; the others succeeded, unless the summary has entries naming no row of this request
/// (then they are unconfirmed). The flag says whether to keep the raw text in the report.
fn from_summary(summary: ErrorSummary, n: usize, id: &str) -> (Vec<RowOutcome>, bool) {
    let (errors, unparsed) = match summary {
        ErrorSummary::Rows {
            errors, unparsed, ..
        } => (errors, unparsed),
        _ => {
            let reason = format!(
                "bulk operation {id} FAILED and its error summary is in an unknown format (kept in the report)"
            );
            return (
                vec![
                    RowOutcome::Unconfirmed {
                        reason: reason.into()
                    };
                    n
                ],
                true,
            );
        }
    };
    if errors.is_empty() && unparsed.is_empty() {
        // A FAILED operation whose summary names nothing is no evidence that any row was
        // claimed: nothing is journaled, and a re-run sends every row again.
        let reason = format!(
            "bulk operation {id} FAILED and its error summary names no row (kept in the report)"
        );
        return (
            vec![
                RowOutcome::Unconfirmed {
                    reason: reason.into()
                };
                n
            ],
            true,
        );
    }
    let mut reasons: Vec<Option<String>> = vec![None; n];
    let mut stray = unparsed.len();
    for e in errors {
        match reasons.get_mut(e.row) {
            Some(Some(reason)) => {
                reason.push_str("; ");
                reason.push_str(&e.message);
            }
            Some(slot) => *slot = Some(e.message),
            None => stray += 1,
        }
    }
    // One reason for every row the stray entries leave unconfirmed, shared, not copied.
    let unconfirmed = RowOutcome::Unconfirmed {
        reason: format!(
            "the error summary of bulk operation {id} has {stray} entries that name no row of this request"
        )
        .into(),
    };
    let outcomes = reasons
        .into_iter()
        .map(|reason| match reason {
            Some(reason) => RowOutcome::Failed {
                reason: reason.into(),
            },
            None if stray == 0 => RowOutcome::Succeeded,
            None => unconfirmed.clone(),
        })
        .collect();
    (outcomes, stray > 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bulk::summary::ErrorSummary;
    use std::sync::Arc;

    #[test]
    fn summaries_map_rows_of_their_chunk() {
        let (out, keep) = from_summary(
            ErrorSummary::parse(r#"{"errors":["[0]: a","[2]: b","[2]: c"]}"#),
            4,
            "OP",
        );
        assert!(!keep);
        assert_eq!(out[0], RowOutcome::Failed { reason: "a".into() });
        assert_eq!(out[1], RowOutcome::Succeeded);
        assert_eq!(
            out[2],
            RowOutcome::Failed {
                reason: "b; c".into()
            }
        );
        assert_eq!(out[3], RowOutcome::Succeeded);
        let (out, keep) = from_summary(ErrorSummary::parse(r#"{"errors":["[9]: a"]}"#), 2, "OP");
        assert!(keep);
        assert!(
            out.iter()
                .all(|o| matches!(o, RowOutcome::Unconfirmed { .. }))
        );
        let (out, keep) = from_summary(ErrorSummary::parse("gateway timeout"), 2, "OP");
        assert!(keep);
        assert!(
            matches!(&out[0], RowOutcome::Unconfirmed { reason } if reason.contains("unknown format"))
        );
    }

    #[test]
    fn a_failed_operation_whose_summary_names_no_row_confirms_no_row() {
        let unconfirmed = RowOutcome::Unconfirmed {
            reason:
                "bulk operation OP FAILED and its error summary names no row (kept in the report)"
                    .into(),
        };
        for empty in [
            r#"{"errors":[]}"#,
            r#"{"message":"Failed with 0 errors [rows by message (1-based)]: {}."}"#,
        ] {
            let (out, keep) = from_summary(ErrorSummary::parse(empty), 3, "OP");
            assert!(keep, "{empty}");
            assert_eq!(out, vec![unconfirmed.clone(); 3], "{empty}");
        }
        // A legacy count above what it lists: the unnamed rows are not taken as claimed.
        let (out, keep) = from_summary(
            ErrorSummary::parse(
                r#"{"message":"Failed with 2 errors [rows by message (1-based)]: {\"dup\":[1]}."}"#,
            ),
            3,
            "OP",
        );
        assert!(keep);
        assert_eq!(
            out[0],
            RowOutcome::Failed {
                reason: "dup".into()
            }
        );
        assert!(
            out[1..]
                .iter()
                .all(|o| matches!(o, RowOutcome::Unconfirmed { .. })),
            "{out:?}"
        );
    }

    /// The rows a reason applies to hold one copy of it: 100 rows left unconfirmed by stray
    /// summary entries, or by a chunk that cannot be followed, cost one allocation, not 100.
    #[test]
    fn rows_share_one_copy_of_their_reason() {
        let reason = |o: &RowOutcome| match o {
            RowOutcome::Unconfirmed { reason } => Arc::clone(reason),
            other => panic!("{other:?}"),
        };
        let (out, _) = from_summary(ErrorSummary::parse(r#"{"errors":["[500]: x"]}"#), 100, "OP");
        let first = reason(&out[0]);
        assert!(out.iter().all(|o| Arc::ptr_eq(&reason(o), &first)));
        assert_eq!(
            &*first,
            "the error summary of bulk operation OP has 1 entries that name no row of this request"
        );
    }

    #[test]
    fn a_failed_request_tells_what_became_of_its_rows() {
        use http::{HeaderMap, StatusCode};
        let api = |status: u16| -> Error {
            ErrorKind::Api(crate::error::ApiError::from_parts(
                "ClaimDeviceOwnership",
                StatusCode::from_u16(status).unwrap(),
                &HeaderMap::new(),
                br#"{"code":42200,"message":"too many rows"}"#,
            ))
            .into()
        };
        assert_eq!(request_failed(&api(429)), RowOutcome::NotSubmitted);
        assert!(
            matches!(request_failed(&api(422)), RowOutcome::Failed { reason } if reason.contains("too many rows"))
        );
        assert!(matches!(
            request_failed(&api(500)),
            RowOutcome::Unconfirmed { .. }
        ));
        assert!(matches!(
            request_failed(&api(503)),
            RowOutcome::Unconfirmed { .. }
        ));
    }
}
