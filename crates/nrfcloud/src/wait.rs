//! Following something the service works on until it ends: a bulk operation
//! ([`BulkOps::wait`](crate::bulk_ops::BulkOps::wait)), a provisioning command
//! ([`ProvisioningCommands::wait`](crate::provisioning::ProvisioningCommands::wait)), a FOTA job
//! ([`FotaJobs::wait`](crate::fota::FotaJobs::wait), which reports per device).
//!
//! Each poll is one call with the client's own retries. Between polls the wait doubles from
//! 0.5 s up to 5 s (Nordic's tools poll every 5 s), or keeps a fixed
//! [`poll_interval`](Wait::poll_interval); there is no jitter, so a run is predictable. A
//! deadline bounds the whole wait, the poll in flight included.

use std::{fmt, future::Future, pin::Pin, time::Duration};

use tokio::time::Instant;

use crate::error::{Error, Result};

/// The first wait between two polls, doubled after each up to [`MAX_INTERVAL`].
pub(crate) const FIRST_INTERVAL: Duration = Duration::from_millis(500);

/// The longest wait between two polls: what Nordic's own tools use as their fixed interval.
pub(crate) const MAX_INTERVAL: Duration = Duration::from_secs(5);

/// How long a wait lasts unless told otherwise.
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(10 * 60);

/// The delays between polls: doubling from `first` up to [`MAX_INTERVAL`] (or `first`, when
/// larger), or fixed.
#[derive(Clone, Debug)]
pub(crate) struct Backoff {
    next: Duration,
    max: Duration,
}

impl Backoff {
    pub(crate) fn new(first: Duration) -> Self {
        Self {
            next: first,
            max: MAX_INTERVAL.max(first),
        }
    }

    pub(crate) fn fixed(every: Duration) -> Self {
        Self {
            next: every,
            max: every,
        }
    }

    pub(crate) fn next(&mut self) -> Duration {
        let now = self.next;
        self.next = (self.next * 2).min(self.max);
        now
    }
}

type Fetch<T> = Box<dyn FnMut() -> Pin<Box<dyn Future<Output = Result<T>> + Send>> + Send>;
type Progress<T> = Box<dyn FnMut(&T) + Send>;

/// How polling ended.
pub(crate) enum Polled<T> {
    /// `ended` said so.
    Ended(T),
    /// The deadline passed; the last value seen, if any.
    Deadline(Option<T>),
}

/// Fetches until `ended`, calling `progress` with each value, within `deadline`.
pub(crate) async fn poll<T, Fut>(
    mut fetch: impl FnMut() -> Fut,
    ended: impl Fn(&T) -> bool,
    mut progress: impl FnMut(&T),
    mut backoff: Backoff,
    deadline: Instant,
) -> Result<Polled<T>>
where
    Fut: Future<Output = Result<T>>,
{
    let mut last = None;
    loop {
        let value = match tokio::time::timeout_at(deadline, fetch()).await {
            Err(_) => return Ok(Polled::Deadline(last)),
            Ok(value) => value?,
        };
        progress(&value);
        if ended(&value) {
            return Ok(Polled::Ended(value));
        }
        last = Some(value);
        let wake = Instant::now() + backoff.next();
        if wake >= deadline {
            tokio::time::sleep_until(deadline).await;
            return Ok(Polled::Deadline(last));
        }
        tokio::time::sleep_until(wake).await;
    }
}

/// A wait for one resource to reach an end state; `send()` runs it.
///
/// It ends with the resource in its end state, with the first error of a poll (after the
/// client's retries), or, when the deadline passes first, with an error for which
/// [`Error::is_deadline`] holds and that names the last status seen.
#[must_use = "a wait does nothing until `.send()` is awaited"]
pub struct Wait<T> {
    operation: &'static str,
    fetch: Fetch<T>,
    ended: fn(&T) -> bool,
    status: fn(&T) -> String,
    deadline: Duration,
    interval: Option<Duration>,
    progress: Option<Progress<T>>,
}

impl<T> fmt::Debug for Wait<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Wait")
            .field("operation", &self.operation)
            .field("deadline", &self.deadline)
            .field("interval", &self.interval)
            .finish_non_exhaustive()
    }
}

impl<T: Send + 'static> Wait<T> {
    pub(crate) fn new<Fut>(
        operation: &'static str,
        mut fetch: impl FnMut() -> Fut + Send + 'static,
        ended: fn(&T) -> bool,
        status: fn(&T) -> String,
    ) -> Self
    where
        Fut: Future<Output = Result<T>> + Send + 'static,
    {
        Self {
            operation,
            fetch: Box::new(move || Box::pin(fetch())),
            ended,
            status,
            deadline: DEFAULT_DEADLINE,
            interval: None,
            progress: None,
        }
    }

    /// Give up after this long (default [`DEFAULT_DEADLINE`], 10 minutes).
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
    /// use std::time::Duration;
    /// let wait = client.bulk_ops().wait("01JB8Z6X3Q9R4T5V7W2YKMNPCD");
    /// let done = wait.deadline(Duration::from_secs(120)).send().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn deadline(mut self, within: Duration) -> Self {
        self.deadline = within;
        self
    }

    /// Poll at this fixed interval instead of doubling from 0.5 s to 5 s.
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
    /// use std::time::Duration;
    /// let wait = client.bulk_ops().wait("01JB8Z6X3Q9R4T5V7W2YKMNPCD");
    /// let done = wait.poll_interval(Duration::from_secs(5)).send().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn poll_interval(mut self, every: Duration) -> Self {
        self.interval = Some(every);
        self
    }

    /// Called with each state fetched, the last one included.
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
    /// let wait = client.bulk_ops().wait("01JB8Z6X3Q9R4T5V7W2YKMNPCD");
    /// let done = wait.on_progress(|op| eprintln!("{}: {}", op.id, op.status)).send().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn on_progress(mut self, progress: impl FnMut(&T) + Send + 'static) -> Self {
        self.progress = Some(Box::new(progress));
        self
    }

    /// Polls until the end state, the first error, or the deadline.
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
    /// match client.bulk_ops().wait("01JB8Z6X3Q9R4T5V7W2YKMNPCD").send().await {
    ///     Ok(op) => println!("ended {}", op.status),
    ///     Err(e) if e.is_deadline() => println!("still running: {e}"),
    ///     Err(e) => return Err(e),
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub async fn send(self) -> Result<T> {
        let Self {
            operation,
            mut fetch,
            ended,
            status,
            deadline,
            interval,
            mut progress,
        } = self;
        let backoff = interval.map_or_else(|| Backoff::new(FIRST_INTERVAL), Backoff::fixed);
        let polled = poll(
            &mut fetch,
            ended,
            |v| {
                if let Some(p) = progress.as_mut() {
                    p(v);
                }
            },
            backoff,
            Instant::now() + deadline,
        )
        .await?;
        match polled {
            Polled::Ended(v) => Ok(v),
            Polled::Deadline(last) => Err(Error::deadline(
                operation,
                deadline,
                last.as_ref().map(status),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    #[test]
    fn backoff_doubles_up_to_five_seconds() {
        let mut b = Backoff::new(Duration::from_millis(500));
        let waits: Vec<u128> = (0..6).map(|_| b.next().as_millis()).collect();
        assert_eq!(waits, [500, 1000, 2000, 4000, 5000, 5000]);
        let mut slow = Backoff::new(Duration::from_secs(8));
        assert_eq!(
            (slow.next(), slow.next()),
            (Duration::from_secs(8), Duration::from_secs(8))
        );
        let mut fixed = Backoff::fixed(Duration::from_millis(300));
        assert_eq!((fixed.next(), fixed.next()), (fixed.max, fixed.max));
    }

    /// A wait over `states`, one per poll, recording when each poll happened.
    fn over(states: &'static [u32]) -> (Wait<u32>, Arc<Mutex<Vec<Instant>>>) {
        let polls = Arc::new(Mutex::new(Vec::new()));
        let log = polls.clone();
        let wait = Wait::new(
            "FetchThing",
            move || {
                let log = log.clone();
                async move {
                    let mut log = log.lock().unwrap();
                    log.push(Instant::now());
                    Ok(states[(log.len() - 1).min(states.len() - 1)])
                }
            },
            |s| *s == 3,
            |s| format!("step {s}"),
        );
        (wait, polls)
    }

    #[tokio::test(start_paused = true)]
    async fn polls_at_a_fixed_interval_without_jitter_and_reports_progress() {
        let (wait, polls) = over(&[1, 2, 3]);
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        let start = Instant::now();
        let end = wait
            .poll_interval(Duration::from_secs(2))
            .on_progress(move |s| log.lock().unwrap().push(*s))
            .send()
            .await
            .unwrap();
        assert_eq!(end, 3);
        assert_eq!(*seen.lock().unwrap(), [1, 2, 3]);
        let offsets: Vec<u64> = polls
            .lock()
            .unwrap()
            .iter()
            .map(|t| (*t - start).as_secs())
            .collect();
        assert_eq!(offsets, [0, 2, 4]);
    }

    #[tokio::test(start_paused = true)]
    async fn the_deadline_ends_the_wait_with_the_last_status() {
        let (wait, polls) = over(&[1, 2]);
        let start = Instant::now();
        let e = wait
            .deadline(Duration::from_secs(7))
            .send()
            .await
            .unwrap_err();
        assert!(e.is_deadline(), "{e:?}");
        assert_eq!(
            e.to_string(),
            "FetchThing: still step 2 when the deadline of 7s passed"
        );
        assert_eq!(Instant::now() - start, Duration::from_secs(7));
        // Polls at 0, 0.5, 1.5 and 3.5 s; the next (7.5 s) would pass the deadline.
        assert_eq!(polls.lock().unwrap().len(), 4);
    }
}
