//! One bulk run, end to end, for any [`Kind`].
//!
//! A blocking thread reads, validates and chunks the input, handing chunks over a channel of
//! two (so reading waits for sending: memory stays flat whatever the file size). Chunks are
//! sent as the adaptive limiter allows ([`super::adaptive`]: at most the run's concurrency in
//! flight; [`super::send`]); each request's answer is mapped back to the lines it carried,
//! written to the journal and the
//! report, then the progress callback runs.

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

use futures::{StreamExt, stream::FuturesUnordered};
use tokio::{sync::mpsc, time::Instant};

use super::{
    BulkError, BulkErrorKind, InvalidRows,
    adaptive::Aimd,
    chunk::{Batch, produce},
    journal::Journal,
    kind::{Input, Kind},
    report::{BulkReport, Operation, Progress, RowOutcome},
    send::{Ctx, Sent, Stop, send},
};
use crate::{
    Client,
    error::{Error, Result},
};

/// The progress callback.
pub(crate) type ProgressFn = Box<dyn FnMut(&Progress) + Send>;

/// What stops a run on the caller's request.
pub(crate) type StopSignal = std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>;

/// How a run goes.
pub(crate) struct Settings {
    pub concurrency: usize,
    pub invalid_rows: InvalidRows,
    pub journal: Option<PathBuf>,
    pub deadline: Duration,
    pub poll_interval: Duration,
    pub progress: Option<ProgressFn>,
    pub stop: Option<StopSignal>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            concurrency: super::DEFAULT_CONCURRENCY,
            invalid_rows: InvalidRows::Abort,
            journal: None,
            deadline: Duration::from_secs(3600),
            poll_interval: Duration::from_millis(500),
            progress: None,
            stop: None,
        }
    }
}

fn input_error(
    mut report: BulkReport,
    what: &str,
    source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
) -> Error {
    report.finish();
    let kind = BulkErrorKind::Input { what: what.into() };
    BulkError::new(kind, report, Some(source.into())).into()
}

/// How long after the deadline the run still waits for the answers in flight (each of which
/// ends at the deadline by itself) before it gives up on an input that stalled.
const STALL_GRACE: Duration = Duration::from_secs(2);

/// Runs `f` on a thread of its own. Reading the input can block forever (a stalled stdin),
/// and tokio's runtime waits for its blocking-pool tasks when it shuts down: on a thread of its
/// own, a stuck read holds neither the run (which stops waiting at its deadline) nor the
/// program's exit.
fn reading<T: Send + 'static>(
    f: impl FnOnce() -> io::Result<T> + Send + 'static,
) -> impl std::future::Future<Output = io::Result<T>> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let spawned = std::thread::Builder::new()
        .name("nrfcloud-bulk-input".into())
        .spawn(move || {
            let _ = tx.send(std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)));
        });
    async move {
        spawned?;
        match rx.await {
            Ok(Ok(result)) => result,
            Ok(Err(panic)) => std::panic::resume_unwind(panic),
            Err(_) => Err(io::Error::other("the input reader ended without an answer")),
        }
    }
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
pub(crate) async fn run<K: Kind + Clone>(
    client: Client,
    kind: K,
    input: Input,
    settings: Settings,
) -> Result<BulkReport> {
    kind.check()?;
    let op = kind.operation();
    let deadline = Instant::now() + settings.deadline;
    let (journal, done) = open_journal(&settings, op).await?;
    let done = Arc::new(done);
    let input = match settings.invalid_rows {
        InvalidRows::Skip => input,
        InvalidRows::Abort => {
            let until = (deadline, settings.deadline);
            checked(kind.clone(), input, done.clone(), until).await?
        }
    };
    let ctx = Ctx {
        client,
        kind,
        deadline,
        poll_interval: settings.poll_interval,
    };
    submit(ctx, input, settings, journal, done).await
}

async fn open_journal(
    settings: &Settings,
    op: Operation,
) -> Result<(Option<Journal>, HashSet<u128>)> {
    let Some(path) = settings.journal.clone() else {
        return Ok((None, HashSet::new()));
    };
    match blocking(move || Journal::open(&path, op).map_err(io::Error::other)).await {
        Ok((journal, done)) => Ok((Some(journal), done)),
        Err(e) => {
            let e = e.into_inner().unwrap_or_else(|| "journal".into());
            Err(input_error(
                BulkReport::new(op),
                "cannot use the journal",
                e,
            ))
        }
    }
}

/// Validates the whole input before anything is sent ([`InvalidRows::Abort`]); the input to
/// send, read again from a spool.
async fn checked<K: Kind>(
    kind: K,
    input: Input,
    done: Arc<HashSet<u128>>,
    (deadline, after): (Instant, Duration),
) -> Result<Input> {
    let op = kind.operation();
    let last_line = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let seen = last_line.clone();
    let validated = reading(move || {
        let spool = tempfile::tempfile()?;
        let again = spool.try_clone()?;
        let tee = Tee {
            input,
            spool: BufWriter::new(spool),
        };
        let mut report = BulkReport::new(op);
        produce(&kind, Box::new(tee), &done, |batch| {
            seen.fetch_max(batch.last_line(), Ordering::Relaxed);
            unsent(&mut report, batch);
            true
        })?;
        Ok((report, again))
    });
    let Ok(validated) = tokio::time::timeout_at(deadline, validated).await else {
        let mut report = BulkReport::new(op);
        report.unread_after_line = Some(last_line.load(Ordering::Relaxed));
        report.finish();
        let kind = BulkErrorKind::Deadline { after };
        return Err(BulkError::new(kind, report, None).into());
    };
    let (mut report, mut again) =
        validated.map_err(|e| input_error(BulkReport::new(op), "cannot read the CSV input", e))?;
    if report.counts.invalid > 0 {
        report.finish();
        return Err(BulkError::new(BulkErrorKind::InvalidRows, report, None).into());
    }
    again
        .seek(SeekFrom::Start(0))
        .map_err(|e| input_error(BulkReport::new(op), "cannot read the spooled input", e))?;
    Ok(Box::new(again))
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

async fn submit<K: Kind>(
    ctx: Ctx<K>,
    input: Input,
    mut settings: Settings,
    journal: Option<Journal>,
    done: Arc<HashSet<u128>>,
) -> Result<BulkReport> {
    let concurrency = settings.concurrency.max(1);
    let stop = Arc::new(AtomicBool::new(false));
    let asked = Arc::new(AtomicBool::new(false));
    // Ends with the run (dropped below), so a signal that never comes holds nothing.
    let _watch = settings.stop.take().map(|signal| {
        let (stop, asked) = (stop.clone(), asked.clone());
        AbortOnDrop(tokio::spawn(async move {
            signal.await;
            asked.store(true, Ordering::SeqCst);
            stop.store(true, Ordering::SeqCst);
        }))
    });
    let mut tally = Tally::new(ctx.kind.operation(), settings, journal);
    // Two chunks ready are enough: the reader builds one far faster than a round trip.
    let (tx, rx) = mpsc::channel::<Batch>(2);
    let ctx = Arc::new(ctx);
    let deadline = ctx.deadline;
    let producer = {
        let ctx = ctx.clone();
        reading(move || {
            produce(&ctx.kind, input, &done, |batch| {
                tx.blocking_send(batch).is_ok()
            })
        })
    };
    // Started as the limiter allows (adaptive.rs), answered in any order.
    let mut limiter = Aimd::new(concurrency);
    let mut in_flight = FuturesUnordered::new();
    let mut rx = Some(rx);
    while rx.is_some() || !in_flight.is_empty() {
        let room = in_flight.len() < limiter.limit();
        let start_at = limiter.next_start();
        tokio::select! {
            biased;
            Some((batch, sent)) = in_flight.next() => {
                let sent: Option<Sent> = sent;
                if let Some(s) = &sent {
                    limiter.answered(s.started, s.upload_time, s.throttled());
                }
                if tally.record(batch, sent) {
                    // Nothing more may be sent: a request failed, the deadline passed, or the
                    // journal cannot record confirmations (unrecorded ones would be sent again).
                    stop.store(true, Ordering::SeqCst);
                }
            }
            batch = async {
                tokio::time::sleep_until(start_at).await;
                rx.as_mut()?.recv().await
            }, if room && rx.is_some() => match batch {
                Some(batch) => {
                    let ctx = ctx.clone();
                    let go = !stop.load(Ordering::SeqCst) && Instant::now() < ctx.deadline;
                    if go && batch.chunk.is_some() {
                        limiter.started();
                    }
                    in_flight.push(async move {
                        let sent = match &batch.chunk {
                            Some(chunk) if go => Some(send(&ctx, chunk).await),
                            _ => None,
                        };
                        (batch, sent)
                    });
                }
                None => rx = None,
            },
            // The input stalled: every answer in flight is in (each ends at the deadline);
            // the reader is left behind on its thread.
            _ = tokio::time::sleep_until(deadline + STALL_GRACE) => return tally.stalled(),
        }
    }
    tracing::debug!(
        peak = limiter.peak(),
        throttled = limiter.throttled(),
        "nrfcloud: bulk run's concurrency"
    );
    let produced = tokio::time::timeout_at(deadline + STALL_GRACE, producer)
        .await
        .unwrap_or(Ok(()));
    if asked.load(Ordering::SeqCst) && tally.report.counts.not_submitted > 0 {
        tally.stopped.get_or_insert((BulkErrorKind::Stopped, None));
    }
    tally.finish(produced)
}

/// A task aborted when this is dropped.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// The report, journal and progress of a run, fed each request's outcome in turn.
struct Tally {
    report: BulkReport,
    settings: Settings,
    journal: Option<Journal>,
    submitted: u64,
    stopped: Option<(BulkErrorKind, Option<Error>)>,
    journal_error: Option<io::Error>,
    /// The last line of the input handed over so far.
    last_line: u64,
}

impl Tally {
    fn new(op: Operation, settings: Settings, journal: Option<Journal>) -> Self {
        Self {
            report: BulkReport::new(op),
            settings,
            journal,
            submitted: 0,
            stopped: None,
            journal_error: None,
            last_line: 0,
        }
    }

    /// The run's end when the input stalled past the deadline.
    fn stalled(mut self) -> Result<BulkReport> {
        self.report.unread_after_line = Some(self.last_line);
        let after = self.settings.deadline;
        self.stopped
            .get_or_insert((BulkErrorKind::Deadline { after }, None));
        self.finish(Ok(()))
    }

    /// Records one batch and what became of it; whether the run must stop sending.
    fn record(&mut self, batch: Batch, sent: Option<Sent>) -> bool {
        self.last_line = self.last_line.max(batch.last_line());
        match sent {
            None => unsent(&mut self.report, batch),
            Some(sent) => self.answered(batch, sent),
        }
        if let Some(Err(e)) = self.journal.as_mut().map(Journal::flush) {
            self.journal_error.get_or_insert(e);
        }
        if let Some(callback) = self.settings.progress.as_mut() {
            callback(&Progress {
                submitted: self.submitted,
                counts: self.report.counts,
            });
        }
        self.stopped.is_some() || self.journal_error.is_some()
    }

    fn answered(&mut self, batch: Batch, sent: Sent) {
        for e in batch.invalid {
            self.report.invalid(e);
        }
        self.report.already_done(batch.already_done);
        let Some(chunk) = batch.chunk else { return };
        self.report.requests += sent.requests;
        if sent.outcomes.iter().any(|o| *o != RowOutcome::NotSubmitted) {
            self.submitted += chunk.rows.len() as u64;
        }
        let bulk_op = sent.bulk_op.as_ref().map(|o| o.id.clone());
        let mut ids = sent.device_ids.into_iter();
        for (row, outcome) in chunk.rows.iter().zip(sent.outcomes) {
            let revealed = ids.next().flatten();
            let device_id = row.device_id.as_deref().or(revealed.as_deref());
            if outcome == RowOutcome::Succeeded
                && let Some(j) = self.journal.as_mut()
                && let Err(e) = j.confirm(row.key, row.line, device_id)
            {
                self.journal_error.get_or_insert(e);
            }
            self.report
                .row(row.line, outcome, device_id, bulk_op.as_deref());
        }
        self.report.bulk_ops.extend(sent.bulk_op);
        if let Some(why) = sent.stop {
            let after = self.settings.deadline;
            self.stopped.get_or_insert(match why {
                Stop::Failed(e) => {
                    let (first_line, last_line) = (chunk.first_line(), chunk.last_line());
                    let kind = BulkErrorKind::Interrupted {
                        first_line,
                        last_line,
                    };
                    (kind, Some(e))
                }
                Stop::Deadline => (BulkErrorKind::Deadline { after }, None),
            });
        }
    }

    fn finish(mut self, produced: io::Result<()>) -> Result<BulkReport> {
        if let Err(e) = produced {
            return Err(input_error(self.report, "cannot read the CSV input", e));
        }
        if let Some(e) = self.journal_error {
            return Err(input_error(self.report, "cannot write the journal", e));
        }
        if self.stopped.is_none() && self.report.counts.not_submitted > 0 {
            let after = self.settings.deadline;
            self.stopped = Some((BulkErrorKind::Deadline { after }, None));
        }
        self.report.finish();
        match self.stopped {
            None => Ok(self.report),
            Some((kind, source)) => {
                let source = source.map(|e| Box::new(e) as _);
                Err(BulkError::new(kind, self.report, source).into())
            }
        }
    }
}
