//! One bulk run, end to end.
//!
//! A blocking thread reads, validates and chunks the input, handing chunks over a channel as
//! short as the concurrency (so reading waits for sending: memory stays flat whatever the file
//! size). Chunks are sent with `buffer_unordered(concurrency)`; each request's answer is mapped
//! back to the lines it carried, written to the journal and the report, then the progress
//! callback runs.
//!
//! A request is never sent twice blindly: the client retries POSTs only when they never
//! reached the server, and this module resends a chunk only after a 429 (refused unprocessed).
//! Any other failure of a request stops the run: its rows are unconfirmed (or failed, when the
//! service refused the whole request), later rows are not submitted, and a re-run with the
//! journal picks up from there.

use std::{
    collections::HashSet,
    io::{self, BufWriter, Read, Seek, SeekFrom, Write},
    path::PathBuf,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use bytes::Bytes;
use futures::StreamExt;
use tokio::{sync::mpsc, time::Instant};

use super::{
    BulkError, BulkErrorKind, InvalidRows,
    chunk::{Batch, Chunk, Rows},
    csv::{ClaimReader, KeyKind, KeyReader, OnboardReader, redacted},
    journal::Journal,
    poll::{self, Backoff, Followed},
    report::{BulkOpReport, BulkReport, LineRange, Operation, Progress, RowOutcome},
    summary::{ErrorSummary, parse_entry},
    token,
};
use crate::{
    Client,
    bulk_ops::BulkOpsStatus,
    error::{Error, ErrorKind, Result, TransportKind},
    provisioning::{CsvClaimEndpoint, CsvClaimOutcome},
};

/// The input, boxed: the first pass reads the caller's reader, the second a spool.
pub(crate) type Input = Box<dyn Read + Send>;

/// The progress callback.
pub(crate) type ProgressFn = Box<dyn FnMut(&Progress) + Send>;

/// Raw error summaries kept in a report are cut to this many bytes.
const RAW_SUMMARY_LIMIT: usize = 16 * 1024;

/// Resends of a chunk the service answered 429.
const RATE_LIMIT_RETRIES: u32 = 3;

/// What to upload, and where.
#[derive(Clone, Debug)]
pub(crate) struct Spec {
    pub operation: Operation,
    /// Claims only: tags added to every row, and the endpoint.
    pub extra_tags: Vec<String>,
    pub endpoint: CsvClaimEndpoint,
}

impl Spec {
    fn rows(&self, input: Input) -> Rows<Input> {
        match self.operation {
            Operation::Claim => Rows::Claim {
                reader: ClaimReader::new(input),
                extra_tags: self.extra_tags.clone(),
            },
            Operation::Onboard => Rows::Onboard(OnboardReader::new(input)),
            Operation::RegisterPublicKeys => Rows::Keys(KeyReader::new(input, KeyKind::PublicKey)),
            Operation::RegisterCertificates => {
                Rows::Keys(KeyReader::new(input, KeyKind::Certificate))
            }
        }
    }
}

/// How a run goes.
pub(crate) struct Settings {
    pub concurrency: usize,
    pub invalid_rows: InvalidRows,
    pub journal: Option<PathBuf>,
    pub deadline: Duration,
    pub poll_interval: Duration,
    pub progress: Option<ProgressFn>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            concurrency: 4,
            invalid_rows: InvalidRows::Abort,
            journal: None,
            deadline: Duration::from_secs(3600),
            poll_interval: Duration::from_millis(500),
            progress: None,
        }
    }
}

fn input_error(
    report: BulkReport,
    what: &str,
    source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
) -> Error {
    let mut report = report;
    report.finish();
    BulkError::new(
        BulkErrorKind::Input { what: what.into() },
        report,
        Some(source.into()),
    )
    .into()
}

/// Runs `f` on the blocking pool (file and CSV work must not stall the async workers).
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> io::Result<T> + Send + 'static,
) -> io::Result<T> {
    match tokio::task::spawn_blocking(f).await {
        Ok(result) => result,
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(e) => Err(io::Error::other(e)),
    }
}

/// Copies what the reader reads into a spool, flushing it at the end of the input, so a
/// one-pass input can be validated whole and then read again.
struct Tee {
    input: Input,
    spool: BufWriter<std::fs::File>,
}

impl Read for Tee {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.input.read(buf)?;
        if n == 0 {
            self.spool.flush()?;
        }
        self.spool.write_all(&buf[..n])?;
        Ok(n)
    }
}

/// Reads, validates, submits and reports.
pub(crate) async fn run(
    client: Client,
    spec: Spec,
    input: Input,
    settings: Settings,
) -> Result<BulkReport> {
    let op = spec.operation;
    let deadline = Instant::now() + settings.deadline;
    let (journal, done) = match settings.journal.clone() {
        None => (None, HashSet::new()),
        Some(path) => {
            let opened = blocking(move || Journal::open(&path, op).map_err(io::Error::other)).await;
            match opened {
                Ok((journal, done)) => (Some(journal), done),
                Err(e) => {
                    let e = e.into_inner().unwrap_or_else(|| "journal".into());
                    return Err(input_error(
                        BulkReport::new(op),
                        "cannot use the journal",
                        e,
                    ));
                }
            }
        }
    };
    let done = Arc::new(done);
    let input = match settings.invalid_rows {
        InvalidRows::Skip => input,
        InvalidRows::Abort => {
            let checked = {
                let (spec, done) = (spec.clone(), done.clone());
                blocking(move || {
                    let spool = tempfile::tempfile()?;
                    let again = spool.try_clone()?;
                    let tee = Tee {
                        input,
                        spool: BufWriter::new(spool),
                    };
                    let mut report = BulkReport::new(op);
                    spec.rows(Box::new(tee)).produce(&done, |batch| {
                        unsent(&mut report, batch);
                        true
                    })?;
                    Ok((report, again))
                })
                .await
            };
            let (mut report, mut again) = checked
                .map_err(|e| input_error(BulkReport::new(op), "cannot read the CSV input", e))?;
            if report.counts.invalid > 0 {
                report.finish();
                return Err(BulkError::new(BulkErrorKind::InvalidRows, report, None).into());
            }
            again.seek(SeekFrom::Start(0)).map_err(|e| {
                input_error(BulkReport::new(op), "cannot read the spooled input", e)
            })?;
            Box::new(again)
        }
    };
    submit(client, spec, input, settings, journal, done, deadline).await
}

/// A batch that is not sent: its invalid rows, its journal rows, and the rest not submitted.
fn unsent(report: &mut BulkReport, batch: Batch) {
    for e in batch.invalid {
        report.invalid(e);
    }
    report.already_done(batch.already_done);
    for row in batch.chunk.iter().flat_map(|c| &c.rows) {
        report.row(row.line, RowOutcome::NotSubmitted, None, None);
    }
}

/// What the sending side needs.
struct Ctx {
    client: Client,
    spec: Spec,
    deadline: Instant,
    poll_interval: Duration,
}

/// Why a request stops the run.
enum Stop {
    Failed(Error),
    Deadline,
}

/// The answer to one chunk: an outcome per row (in chunk order), its bulk operation, and
/// whether the run must stop.
struct Sent {
    outcomes: Vec<RowOutcome>,
    /// Device ids the answer revealed (read from the tokens), by row; empty when none.
    device_ids: Vec<Option<String>>,
    requests: u64,
    bulk_op: Option<BulkOpReport>,
    stop: Option<Stop>,
}

async fn submit(
    client: Client,
    spec: Spec,
    input: Input,
    mut settings: Settings,
    mut journal: Option<Journal>,
    done: Arc<HashSet<u128>>,
    deadline: Instant,
) -> Result<BulkReport> {
    let op = spec.operation;
    let concurrency = settings.concurrency.max(1);
    let (tx, rx) = mpsc::channel::<Batch>(concurrency);
    let rows = spec.rows(input);
    let producer = tokio::task::spawn_blocking(move || {
        rows.produce(&done, |batch| tx.blocking_send(batch).is_ok())
    });
    let ctx = Arc::new(Ctx {
        client,
        spec,
        deadline,
        poll_interval: settings.poll_interval,
    });
    let stop = Arc::new(AtomicBool::new(false));
    let batches = futures::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|batch| (batch, rx))
    });
    let mut answers = std::pin::pin!({
        let (ctx, stop) = (ctx.clone(), stop.clone());
        batches
            .map(move |batch: Batch| {
                let ctx = ctx.clone();
                let go = !stop.load(Ordering::SeqCst) && Instant::now() < ctx.deadline;
                async move {
                    let sent = match &batch.chunk {
                        Some(chunk) if go => Some(send(&ctx, chunk).await),
                        _ => None,
                    };
                    (batch, sent)
                }
            })
            .buffer_unordered(concurrency)
    });

    let mut report = BulkReport::new(op);
    let mut submitted = 0u64;
    let mut stopped: Option<(BulkErrorKind, Option<Error>)> = None;
    let mut journal_error: Option<io::Error> = None;
    while let Some((batch, sent)) = answers.next().await {
        let Some(sent) = sent else {
            unsent(&mut report, batch);
            notify(&mut settings.progress, submitted, &report);
            continue;
        };
        for e in batch.invalid {
            report.invalid(e);
        }
        report.already_done(batch.already_done);
        let Some(chunk) = batch.chunk else { continue };
        report.requests += sent.requests;
        if sent.outcomes.iter().any(|o| *o != RowOutcome::NotSubmitted) {
            submitted += chunk.rows.len() as u64;
        }
        let bulk_op = sent.bulk_op.as_ref().map(|o| o.id.clone());
        let mut ids = sent.device_ids.into_iter();
        for (row, outcome) in chunk.rows.iter().zip(sent.outcomes) {
            let revealed = ids.next().flatten();
            let device_id = row.device_id.as_deref().or(revealed.as_deref());
            if outcome == RowOutcome::Succeeded
                && let Some(j) = journal.as_mut()
                && let Err(e) = j.confirm(row.key, row.line, device_id)
            {
                journal_error.get_or_insert(e);
            }
            report.row(row.line, outcome, device_id, bulk_op.as_deref());
        }
        report.bulk_ops.extend(sent.bulk_op);
        if let Some(why) = sent.stop {
            stop.store(true, Ordering::SeqCst);
            stopped.get_or_insert(match why {
                Stop::Failed(e) => (
                    BulkErrorKind::Interrupted {
                        first_line: chunk.first_line(),
                        last_line: chunk.last_line(),
                    },
                    Some(e),
                ),
                Stop::Deadline => (
                    BulkErrorKind::Deadline {
                        after: settings.deadline,
                    },
                    None,
                ),
            });
        }
        if let Some(Err(e)) = journal.as_mut().map(Journal::flush) {
            journal_error.get_or_insert(e);
        }
        if journal_error.is_some() {
            // Unrecorded confirmations would be sent again: stop sending.
            stop.store(true, Ordering::SeqCst);
        }
        notify(&mut settings.progress, submitted, &report);
    }
    let produced = match producer.await {
        Ok(result) => result,
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(e) => Err(io::Error::other(e)),
    };
    if let Err(e) = produced {
        return Err(input_error(report, "cannot read the CSV input", e));
    }
    if let Some(e) = journal_error {
        return Err(input_error(report, "cannot write the journal", e));
    }
    if stopped.is_none() && report.counts.not_submitted > 0 {
        stopped = Some((
            BulkErrorKind::Deadline {
                after: settings.deadline,
            },
            None,
        ));
    }
    report.finish();
    match stopped {
        None => Ok(report),
        Some((kind, source)) => {
            Err(BulkError::new(kind, report, source.map(|e| Box::new(e) as _)).into())
        }
    }
}

fn notify(progress: &mut Option<ProgressFn>, submitted: u64, report: &BulkReport) {
    if let Some(callback) = progress.as_mut() {
        callback(&Progress {
            submitted,
            counts: report.counts,
        });
    }
}

/// The service's answer to an upload.
enum Answer {
    Claimed {
        claimed_ids: Vec<String>,
        failed: Vec<String>,
    },
    Accepted(String),
}

async fn post(ctx: &Ctx, body: Bytes) -> Result<Answer> {
    let client = &ctx.client;
    let accepted = |id: String| Ok(Answer::Accepted(id));
    match ctx.spec.operation {
        Operation::Claim => {
            let outcome = client
                .provisioning()
                .claim_csv(body)
                .endpoint(ctx.spec.endpoint)
                .send()
                .await?;
            match outcome {
                CsvClaimOutcome::Claimed {
                    claimed_ids,
                    failed,
                } => Ok(Answer::Claimed {
                    claimed_ids,
                    failed,
                }),
                CsvClaimOutcome::Accepted {
                    bulk_ops_request_id,
                } => accepted(bulk_ops_request_id),
            }
        }
        Operation::Onboard => {
            let call = client.rest_call("onboard_devices")?;
            let r = call
                .run(call.raw.onboard_devices().body(body).send())
                .await?;
            accepted(r.bulk_ops_request_id.to_string())
        }
        Operation::RegisterPublicKeys => {
            let call = client.rest_call("register_public_keys")?;
            let r = call
                .run(call.raw.register_public_keys().body(body).send())
                .await?;
            accepted(r.bulk_ops_request_id.to_string())
        }
        Operation::RegisterCertificates => {
            let call = client.rest_call("register_certificates")?;
            let r = call
                .run(call.raw.register_certificates().body(body).send())
                .await?;
            accepted(r.bulk_ops_request_id.to_string())
        }
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
            reason: format!("the service refused the whole request: {e}"),
        },
        // It may or may not have been processed.
        _ => RowOutcome::Unconfirmed {
            reason: format!("the request failed: {e}"),
        },
    }
}

/// Sends one chunk and follows it to an answer for each row.
async fn send(ctx: &Ctx, chunk: &Chunk) -> Sent {
    let n = chunk.rows.len();
    let all = |outcome: RowOutcome| vec![outcome; n];
    let mut backoff = Backoff::new(ctx.poll_interval);
    let mut requests = 0;
    let answer = loop {
        requests += 1;
        match tokio::time::timeout_at(ctx.deadline, post(ctx, chunk.body.clone())).await {
            Err(_) => {
                return Sent {
                    outcomes: all(RowOutcome::Unconfirmed {
                        reason: "the deadline passed while the request was in flight".into(),
                    }),
                    device_ids: Vec::new(),
                    requests,
                    bulk_op: None,
                    stop: Some(Stop::Deadline),
                };
            }
            Ok(Ok(answer)) => break answer,
            Ok(Err(e)) => {
                let wait = backoff.next();
                if e.is_rate_limited()
                    && requests <= u64::from(RATE_LIMIT_RETRIES)
                    && Instant::now() + wait < ctx.deadline
                {
                    tokio::time::sleep(wait).await;
                    continue;
                }
                return Sent {
                    outcomes: all(request_failed(&e)),
                    device_ids: Vec::new(),
                    requests,
                    bulk_op: None,
                    stop: Some(Stop::Failed(e)),
                };
            }
        }
    };
    match answer {
        Answer::Claimed {
            claimed_ids,
            failed,
        } => {
            let (outcomes, device_ids) = attribute(chunk, &claimed_ids, &failed);
            Sent {
                outcomes,
                device_ids,
                requests,
                bulk_op: None,
                stop: None,
            }
        }
        Answer::Accepted(id) => {
            let mut sent = follow(ctx, chunk, id, requests).await;
            if ctx.spec.operation == Operation::Claim {
                sent.device_ids = device_ids(chunk, &body_tokens(&chunk.body));
            }
            sent
        }
    }
}

/// Follows the bulk operation `id` that holds `chunk`.
async fn follow(ctx: &Ctx, chunk: &Chunk, id: String, requests: u64) -> Sent {
    let n = chunk.rows.len();
    let all = |outcome: RowOutcome| vec![outcome; n];
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
    let (outcomes, stop) = match poll::follow(&ctx.client, &id, ctx.deadline, ctx.poll_interval)
        .await
    {
        Followed::Deadline(status) => {
            let reason = format!("bulk operation {id} was still {status} when the deadline passed");
            op.status = status;
            (
                all(RowOutcome::Unconfirmed { reason }),
                Some(Stop::Deadline),
            )
        }
        Followed::Failed(status, e) => {
            op.status = status;
            let reason = format!("cannot follow bulk operation {id}: {e}");
            (
                all(RowOutcome::Unconfirmed { reason }),
                Some(Stop::Failed(e)),
            )
        }
        Followed::Done(done) => {
            op.status = done.status.as_str().to_owned();
            let outcomes = if done.status == BulkOpsStatus::Succeeded {
                all(RowOutcome::Succeeded)
            } else if done.status != BulkOpsStatus::Failed {
                all(RowOutcome::Unconfirmed {
                    reason: format!("bulk operation {id} ended as {}", done.status),
                })
            } else {
                match &done.error_summary_url {
                    None => all(RowOutcome::Unconfirmed {
                        reason: format!("bulk operation {id} FAILED without an error summary"),
                    }),
                    Some(url) => match poll::error_summary(&ctx.client, url, ctx.deadline).await {
                        Err(reason) => all(RowOutcome::Unconfirmed {
                            reason: format!("bulk operation {id} FAILED; {reason}"),
                        }),
                        Ok(text) => {
                            let (outcomes, keep) = from_summary(ErrorSummary::parse(&text), n, &id);
                            if keep {
                                op.raw_error_summary = Some(cut(text));
                            }
                            outcomes
                        }
                    },
                }
            };
            (outcomes, None)
        }
    };
    Sent {
        outcomes,
        device_ids: Vec::new(),
        requests,
        bulk_op: Some(op),
        stop,
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
            return (vec![RowOutcome::Unconfirmed { reason }; n], true);
        }
    };
    if errors.is_empty() && unparsed.is_empty() {
        // A FAILED operation whose summary names nothing is no evidence that any row was
        // claimed: nothing is journaled, and a re-run sends every row again.
        let reason = format!(
            "bulk operation {id} FAILED and its error summary names no row (kept in the report)"
        );
        return (vec![RowOutcome::Unconfirmed { reason }; n], true);
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
    let outcomes = reasons
        .into_iter()
        .map(|reason| match reason {
            Some(reason) => RowOutcome::Failed { reason },
            None if stray == 0 => RowOutcome::Succeeded,
            None => RowOutcome::Unconfirmed {
                reason: format!(
                    "the error summary of bulk operation {id} has {stray} entries that name no row of this request"
                ),
            },
        })
        .collect();
    (outcomes, stray > 0)
}

/// `text` with every occurrence of `token` shortened to its redacted form.
fn scrub(text: &str, token: &str) -> String {
    if token.is_empty() {
        text.to_owned()
    } else {
        text.replace(token, &redacted(token))
    }
}

/// The tokens of a claim chunk, in row order, read back from its body.
fn body_tokens(body: &[u8]) -> Vec<String> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(body);
    reader
        .records()
        .map(|r| {
            r.ok()
                .and_then(|r| r.get(0).map(str::to_owned))
                .unwrap_or_default()
        })
        .collect()
}

/// Each row's device id: from the file, or read from its token.
fn device_ids(chunk: &Chunk, tokens: &[String]) -> Vec<Option<String>> {
    let tokens = tokens
        .iter()
        .map(String::as_str)
        .chain(std::iter::repeat(""));
    chunk
        .rows
        .iter()
        .zip(tokens)
        .map(|(row, token)| match &row.device_id {
            Some(id) => Some(id.to_string()),
            None => token::device_id(token),
        })
        .collect()
}

/// Row outcomes from a synchronous claim answer, with each row's device id when known. A row
/// is claimed only when the answer says so: its device id (from the file or its token) is among
/// `claimedIds`, or — for a token whose id cannot be read — every `failed` entry names its row
/// and the claimed ids are exactly as many as the rows left. Rows named by a `failed` entry
/// (`"[i]: reason"`, 0-based, or an entry quoting the token) failed. Everything else is
/// unconfirmed.
fn attribute(
    chunk: &Chunk,
    claimed_ids: &[String],
    failed: &[String],
) -> (Vec<RowOutcome>, Vec<Option<String>>) {
    let n = chunk.rows.len();
    let tokens = body_tokens(&chunk.body);
    let ids = device_ids(chunk, &tokens);
    let mut outcomes: Vec<Option<RowOutcome>> = vec![None; n];
    let mut unattributed = 0;
    for entry in failed {
        if let Some((i, message)) = parse_entry(entry)
            && i < n
        {
            // The service may quote the row's token in its reason: never keep it verbatim.
            let reason = scrub(message, tokens.get(i).map_or("", String::as_str));
            outcomes[i] = Some(RowOutcome::Failed { reason });
            continue;
        }
        match tokens
            .iter()
            .position(|t| !t.is_empty() && entry.contains(t.as_str()))
        {
            Some(i) => {
                let reason = scrub(entry, &tokens[i]);
                outcomes[i] = Some(RowOutcome::Failed {
                    reason: format!("refused by the service: {reason}"),
                });
            }
            None => unattributed += 1,
        }
    }
    let claimed: HashSet<String> = claimed_ids.iter().map(|id| token::normalized(id)).collect();
    // Rows whose device id is unknown (opaque tokens) are claimed by count alone, so the count
    // must be exact: no duplicate ids, and only the claimed ids that name none of this chunk's
    // known devices stand for them.
    let known: HashSet<String> = ids
        .iter()
        .flatten()
        .map(|id| token::normalized(id))
        .collect();
    let unnamed = claimed.iter().filter(|id| !known.contains(*id)).count();
    let opaque_left = outcomes
        .iter()
        .zip(&ids)
        .filter(|(o, id)| o.is_none() && id.is_none())
        .count();
    let counts_match =
        unattributed == 0 && claimed.len() == claimed_ids.len() && unnamed == opaque_left;
    let outcomes = outcomes
        .into_iter()
        .zip(&ids)
        .map(|(outcome, id)| {
            outcome.unwrap_or_else(|| match id {
                Some(id) if claimed.contains(&token::normalized(id)) => RowOutcome::Succeeded,
                None if counts_match => RowOutcome::Succeeded,
                _ => RowOutcome::Unconfirmed {
                    reason: format!(
                        "the service's answer does not say what became of this row ({} claimed ids and {} failed entries for {n} rows)",
                        claimed_ids.len(),
                        failed.len()
                    ),
                },
            })
        })
        .collect();
    (outcomes, ids)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bulk::{chunk::ChunkRow, summary::ErrorSummary};

    fn chunk(tokens: &[String], ids: &[Option<&str>]) -> Chunk {
        let body: String = tokens.iter().map(|t| format!("\"{t}\"\n")).collect();
        Chunk {
            body: Bytes::from(body),
            rows: ids
                .iter()
                .enumerate()
                .map(|(i, id)| ChunkRow {
                    line: i as u64 + 10,
                    key: i as u128,
                    device_id: id.map(Into::into),
                })
                .collect(),
        }
    }

    fn opaque(i: usize) -> String {
        format!("b3BhcXVl{i:04}.c2ln")
    }

    #[test]
    fn rows_are_claimed_by_device_id_from_the_file_or_the_token() {
        let minter = nrfcloud_sim::tokens::Minter::new(1);
        let tokens = vec![minter.token(0), minter.token(1), minter.token(2)];
        let c = chunk(
            &tokens,
            &[None, Some("AAAAAAAA-0000-4000-8000-000000000001"), None],
        );
        let claimed = vec![
            minter.facts(0).id.to_uppercase().replace('-', ""),
            "aaaaaaaa-0000-4000-8000-000000000001".into(),
        ];
        let (out, ids) = attribute(
            &c,
            &claimed,
            &["[2]: device is owned by another account".into()],
        );
        assert_eq!(ids[0], Some(minter.facts(0).id));
        assert_eq!(
            ids[1].as_deref(),
            Some("AAAAAAAA-0000-4000-8000-000000000001")
        );
        assert_eq!(out[0], RowOutcome::Succeeded);
        assert_eq!(out[1], RowOutcome::Succeeded);
        assert_eq!(
            out[2],
            RowOutcome::Failed {
                reason: "device is owned by another account".into()
            }
        );
        // Token 1's id is not listed: not claimed, even though two ids came back.
        let (out, _) = attribute(&c, &[minter.facts(0).id, "someone-else".into()], &[]);
        assert_eq!(out[0], RowOutcome::Succeeded);
        assert!(matches!(out[1], RowOutcome::Unconfirmed { .. }), "{out:?}");
        assert!(matches!(out[2], RowOutcome::Unconfirmed { .. }), "{out:?}");
    }

    #[test]
    fn claimed_ids_of_known_rows_do_not_count_for_opaque_ones() {
        let minter = nrfcloud_sim::tokens::Minter::new(1);
        let known = minter.token(0);
        let tokens = vec![known.clone(), opaque(1)];
        let c = chunk(&tokens, &[None, None]);
        let known_id = minter.facts(0).id;
        // Two ids: the known row's, and a stray repeat of it in another case; the opaque row
        // is not proven claimed by it.
        let (out, _) = attribute(&c, &[known_id.clone(), known_id.to_uppercase()], &[]);
        assert_eq!(out[0], RowOutcome::Succeeded);
        assert!(matches!(out[1], RowOutcome::Unconfirmed { .. }), "{out:?}");
        let (out, _) = attribute(&c, &[known_id, "other".into()], &[]);
        assert_eq!(out, [RowOutcome::Succeeded, RowOutcome::Succeeded]);
    }

    #[test]
    fn opaque_tokens_are_claimed_only_when_the_counts_leave_no_doubt() {
        let tokens: Vec<String> = (0..3).map(opaque).collect();
        let c = chunk(&tokens, &[None, None, None]);
        let (out, _) = attribute(&c, &["x".into(), "y".into()], &["[1]: expired".into()]);
        assert_eq!(out[0], RowOutcome::Succeeded);
        assert!(matches!(&out[1], RowOutcome::Failed { reason } if reason == "expired"));
        assert_eq!(out[2], RowOutcome::Succeeded);
        // One claimed id for two rows left: nobody can tell which.
        let (out, _) = attribute(&c, &["x".into()], &["[1]: expired".into()]);
        assert!(matches!(out[0], RowOutcome::Unconfirmed { .. }));
        assert!(matches!(out[2], RowOutcome::Unconfirmed { .. }));
        // The same id twice is one device, not two: the count proves nothing.
        let (out, _) = attribute(&c, &["x".into(), "x".into()], &["[1]: expired".into()]);
        assert!(matches!(out[0], RowOutcome::Unconfirmed { .. }), "{out:?}");
        assert!(matches!(out[2], RowOutcome::Unconfirmed { .. }), "{out:?}");
        // An indexed entry quoting the token keeps the reason, not the token.
        let (out, _) = attribute(
            &c,
            &["x".into(), "y".into()],
            &[format!("[1]: token {} expired", tokens[1])],
        );
        match &out[1] {
            RowOutcome::Failed { reason } => {
                assert!(!reason.contains(&tokens[1]), "{reason}");
                assert!(
                    reason.starts_with("token ") && reason.ends_with(" expired"),
                    "{reason}"
                );
            }
            other => panic!("{other:?}"),
        }
        // A failed entry quoting the row's token, which the reason does not repeat.
        let (out, _) = attribute(
            &c,
            &["x".into(), "y".into()],
            &[format!("{}: bad signature", tokens[2])],
        );
        match &out[2] {
            RowOutcome::Failed { reason } => {
                assert!(!reason.contains(&tokens[2]), "{reason}");
                assert!(reason.contains("bad signature"), "{reason}");
            }
            other => panic!("{other:?}"),
        }
        // An entry naming nothing: no row can be claimed by counting.
        let (out, _) = attribute(
            &c,
            &["x".into(), "y".into()],
            &["something went wrong".into()],
        );
        assert!(
            out.iter()
                .all(|o| matches!(o, RowOutcome::Unconfirmed { .. })),
            "{out:?}"
        );
    }

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
