//! Following a FOTA job to its end, and what happened on each device.
//!
//! A job's own status says little: COMPLETED means its executions ended, not that they
//! succeeded (cloud-api-facts.md §4.3). So the wait polls the job (and its executions' counts),
//! and at its end reads every execution and reports each device by its own status.

use std::{fmt, time::Duration};

use futures::TryStreamExt;
use tokio::time::Instant;

use super::{
    executions::JobExecution,
    jobs::{FotaJob, FotaJobs},
    status::ExecutionStatus,
};
use crate::{
    error::Result,
    wait::{self, Backoff, Polled},
};

/// How long [`WaitJob`] follows a job unless told otherwise.
pub const DEFAULT_JOB_DEADLINE: Duration = Duration::from_secs(60 * 60);

/// How often [`WaitJob`] polls unless told otherwise: Nordic's test client polls FOTA status
/// every 5 s.
pub const DEFAULT_JOB_POLL_INTERVAL: Duration = Duration::from_secs(5);

/// Counts of executions per status.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ExecutionCounts {
    /// QUEUED.
    pub queued: u64,
    /// IN_PROGRESS.
    pub in_progress: u64,
    /// DOWNLOADING.
    pub downloading: u64,
    /// SUCCEEDED.
    pub succeeded: u64,
    /// FAILED.
    pub failed: u64,
    /// TIMED_OUT.
    pub timed_out: u64,
    /// REJECTED.
    pub rejected: u64,
    /// CANCELLED.
    pub cancelled: u64,
    /// A status this SDK does not know (counted as not ended).
    pub other: u64,
}

impl ExecutionCounts {
    /// Adds one execution in `status`.
    fn add(&mut self, status: &ExecutionStatus) {
        let slot = match status {
            ExecutionStatus::Queued => &mut self.queued,
            ExecutionStatus::InProgress => &mut self.in_progress,
            ExecutionStatus::Downloading => &mut self.downloading,
            ExecutionStatus::Succeeded => &mut self.succeeded,
            ExecutionStatus::Failed => &mut self.failed,
            ExecutionStatus::TimedOut => &mut self.timed_out,
            ExecutionStatus::Rejected => &mut self.rejected,
            ExecutionStatus::Cancelled => &mut self.cancelled,
            _ => &mut self.other,
        };
        *slot += 1;
    }

    /// Executions in all.
    ///
    /// ```
    /// let counts = nrfcloud::fota::ExecutionCounts::default();
    /// assert_eq!(counts.total(), 0);
    /// ```
    pub fn total(&self) -> u64 {
        self.pending()
            + self.succeeded
            + self.failed
            + self.timed_out
            + self.rejected
            + self.cancelled
    }

    /// Executions that have not ended: queued, in progress, downloading, or in a status this
    /// SDK does not know.
    ///
    /// ```
    /// let counts = nrfcloud::fota::ExecutionCounts::default();
    /// assert_eq!(counts.pending(), 0);
    /// ```
    pub fn pending(&self) -> u64 {
        self.queued + self.in_progress + self.downloading + self.other
    }
}

/// `N devices, S succeeded, F failed, T timed out, R rejected, C cancelled, P pending`.
impl fmt::Display for ExecutionCounts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} devices, {} succeeded, {} failed, {} timed out, {} rejected, {} cancelled, {} pending",
            self.total(),
            self.succeeded,
            self.failed,
            self.timed_out,
            self.rejected,
            self.cancelled,
            self.pending()
        )
    }
}

/// What a wait saw at one poll: the job, and its executions per status.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct JobProgress {
    /// The job as last fetched.
    pub job: FotaJob,
    /// Its executions per status (from the job's `executionStats`, or, when the service left
    /// them out, counted from the executions).
    pub counts: ExecutionCounts,
}

/// How a rollout ended, device by device.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct RolloutReport {
    /// The job as last fetched.
    pub job: FotaJob,
    /// Every execution of the job at the end of the wait: one per device.
    pub executions: Vec<JobExecution>,
    /// Whether the wait ended at its deadline, before the job did.
    pub deadline_passed: bool,
}

impl RolloutReport {
    /// Executions per status.
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
    /// let report = client.fota().jobs().wait("8b3b6c1e-6b9f-4c41-9e0a-2d6a8f6f1c3d").send().await?;
    /// println!("fota: {}", report.counts());
    /// # Ok(())
    /// # }
    /// ```
    pub fn counts(&self) -> ExecutionCounts {
        let mut counts = ExecutionCounts::default();
        for e in &self.executions {
            counts.add(&e.status);
        }
        counts
    }

    /// The executions that did not succeed (failed, timed out, rejected, cancelled, or not
    /// ended), in the order the service listed them.
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
    /// let report = client.fota().jobs().wait("8b3b6c1e-6b9f-4c41-9e0a-2d6a8f6f1c3d").send().await?;
    /// for e in report.not_succeeded() {
    ///     println!("{}: {} {}", e.device_id, e.status, e.status_detail.as_deref().unwrap_or(""));
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn not_succeeded(&self) -> impl Iterator<Item = &JobExecution> {
        self.executions
            .iter()
            .filter(|e| e.status != ExecutionStatus::Succeeded)
    }

    /// Whether every device updated (and there was at least one).
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
    /// let report = client.fota().jobs().wait("8b3b6c1e-6b9f-4c41-9e0a-2d6a8f6f1c3d").send().await?;
    /// assert!(report.all_succeeded(), "{}", report.counts());
    /// # Ok(())
    /// # }
    /// ```
    pub fn all_succeeded(&self) -> bool {
        !self.executions.is_empty() && self.not_succeeded().next().is_none()
    }
}

type Progress = Box<dyn FnMut(&JobProgress) + Send>;

/// Builder of [`FotaJobs::wait`]: polls the job at a fixed interval (no jitter) until it ends or
/// the deadline passes, then reports every device.
#[must_use = "a wait does nothing until `.send()` is awaited"]
pub struct WaitJob {
    jobs: FotaJobs,
    job_id: String,
    deadline: Duration,
    interval: Duration,
    progress: Option<Progress>,
}

impl fmt::Debug for WaitJob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WaitJob")
            .field("job_id", &self.job_id)
            .field("deadline", &self.deadline)
            .field("interval", &self.interval)
            .finish_non_exhaustive()
    }
}

impl WaitJob {
    pub(super) fn new(jobs: FotaJobs, job_id: String) -> Self {
        Self {
            jobs,
            job_id,
            deadline: DEFAULT_JOB_DEADLINE,
            interval: DEFAULT_JOB_POLL_INTERVAL,
            progress: None,
        }
    }

    /// Stop following after this long (default [`DEFAULT_JOB_DEADLINE`], one hour); the
    /// report then lists the devices still pending.
    ///
    /// ```no_run
    /// # fn f(client: nrfcloud::Client) {
    /// use std::time::Duration;
    /// let wait = client.fota().jobs().wait("8b3b6c1e-6b9f-4c41-9e0a-2d6a8f6f1c3d");
    /// let wait = wait.deadline(Duration::from_secs(6 * 3600));
    /// # }
    /// ```
    pub fn deadline(mut self, within: Duration) -> Self {
        self.deadline = within;
        self
    }

    /// Poll this often (default [`DEFAULT_JOB_POLL_INTERVAL`], 5 s); the interval is fixed,
    /// without jitter.
    ///
    /// ```no_run
    /// # fn f(client: nrfcloud::Client) {
    /// use std::time::Duration;
    /// let wait = client.fota().jobs().wait("8b3b6c1e-6b9f-4c41-9e0a-2d6a8f6f1c3d");
    /// let wait = wait.poll_interval(Duration::from_secs(30));
    /// # }
    /// ```
    pub fn poll_interval(mut self, every: Duration) -> Self {
        self.interval = every;
        self
    }

    /// Called at each poll with the job and its counts per execution status.
    ///
    /// ```no_run
    /// # fn f(client: nrfcloud::Client) {
    /// let wait = client.fota().jobs().wait("8b3b6c1e-6b9f-4c41-9e0a-2d6a8f6f1c3d");
    /// let wait = wait.on_progress(|p| eprintln!("{}: {}", p.job.status, p.counts));
    /// # }
    /// ```
    pub fn on_progress(mut self, progress: impl FnMut(&JobProgress) + Send + 'static) -> Self {
        self.progress = Some(Box::new(progress));
        self
    }

    /// Follows the job and reports each device. An error of a poll (after the client's own
    /// retries) ends the wait with that error; the deadline does not: it gives a report with
    /// [`RolloutReport::deadline_passed`] set and the unfinished devices pending.
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
    /// let report = client.fota().jobs().wait("8b3b6c1e-6b9f-4c41-9e0a-2d6a8f6f1c3d").send().await?;
    /// println!("{}", report.counts());
    /// # Ok(())
    /// # }
    /// ```
    pub async fn send(self) -> Result<RolloutReport> {
        let Self {
            jobs,
            job_id,
            deadline,
            interval,
            mut progress,
        } = self;
        let polled = wait::poll(
            || poll_once(&jobs, &job_id),
            |p: &JobProgress| {
                p.job.status.is_terminal() || (p.counts.total() > 0 && p.counts.pending() == 0)
            },
            |p| {
                if let Some(f) = progress.as_mut() {
                    f(p);
                }
            },
            Backoff::fixed(interval),
            Instant::now() + deadline,
        )
        .await?;
        let (job, deadline_passed) = match polled {
            Polled::Ended(p) => (p.job, false),
            Polled::Deadline(Some(p)) => (p.job, true),
            // Not one answer before the deadline: the report still says what the job is.
            Polled::Deadline(None) => (jobs.get(&job_id).await?, true),
        };
        let executions = jobs
            .executions(job_id)
            .page_limit(100)
            .stream()
            .try_collect()
            .await?;
        Ok(RolloutReport {
            job,
            executions,
            deadline_passed,
        })
    }
}

/// One poll: the job, and its counts (listing the executions when the job has no stats).
async fn poll_once(jobs: &FotaJobs, job_id: &str) -> Result<JobProgress> {
    let job = jobs.get(job_id).await?;
    let counts = match job.stats {
        Some(stats) => stats.counts,
        None => {
            let mut counts = ExecutionCounts::default();
            let mut executions = jobs.executions(job_id).page_limit(100).stream();
            while let Some(e) = executions.try_next().await? {
                counts.add(&e.status);
            }
            counts
        }
    };
    Ok(JobProgress { job, counts })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_read_as_the_rollout_line() {
        let mut counts = ExecutionCounts::default();
        for s in [
            "SUCCEEDED",
            "SUCCEEDED",
            "FAILED",
            "TIMED_OUT",
            "REJECTED",
            "CANCELED",
            "QUEUED",
            "DOWNLOADING",
            "PAUSED",
        ] {
            counts.add(&ExecutionStatus::from(s));
        }
        assert_eq!(
            counts.to_string(),
            "9 devices, 2 succeeded, 1 failed, 1 timed out, 1 rejected, 1 cancelled, 3 pending"
        );
    }
}
