//! How many requests a bulk run keeps in flight, and how fast it starts them: AIMD, adapted
//! to what the service answers.
//!
//! * **In flight**: starts at [`START`], doubles after each window of answers (one answer per
//!   request in flight) while none was throttled and their latency stays within
//!   [`LATENCY_TOLERANCE`] of the fastest seen; after the first throttled answer it grows by
//!   one per window instead; a throttled answer halves it (at most once per window: answers
//!   to requests started before the last decrease do not count again). Never above the run's
//!   maximum ([`super::BulkUpload::concurrency`]).
//! * **Start rate**: unpaced until the first throttled answer. Then requests start no faster
//!   than the rate the service granted (answers that were not throttled, per second, since
//!   the previous throttled answer), less [`RATE_BACKOFF`]; the rate grows by about
//!   [`RATE_INCREASE`] requests/s every second without a throttled answer. A service that
//!   limits requests per second (a token bucket) gets a steady rate just under its limit
//!   instead of a 429 for every request above it, however short its round trips.
//!
//! "Throttled" is an answer after which the client's retry layer resent the request (a 429,
//! whose `Retry-After` it waited out, or a connection that never opened), or a request that
//! failed with 429 or 5xx.

use std::time::Duration;

use tokio::time::Instant;

/// Requests in flight at the start.
pub(crate) const START: usize = 2;
/// Latency above this multiple of the fastest answer stops growth.
pub(crate) const LATENCY_TOLERANCE: u32 = 2;
/// The start rate after a throttled answer, as a share of the rate the service granted.
pub(crate) const RATE_BACKOFF: f64 = 0.9;
/// Requests/s the start rate grows per second without a throttled answer.
pub(crate) const RATE_INCREASE: f64 = 0.1;
/// The slowest start rate, requests/s.
const MIN_RATE: f64 = 0.2;

/// The limiter of one run.
#[derive(Debug)]
pub(crate) struct Aimd {
    limit: usize,
    max: usize,
    slow_start: bool,
    /// Answers in the current window that were fast enough.
    window: usize,
    fastest: Option<Duration>,
    last_decrease: Option<Instant>,
    /// Start rate, requests/s; `None` until the service throttles.
    rate: Option<f64>,
    last_start: Option<Instant>,
    /// Answers not throttled since `since` (the start, or the last throttled answer).
    granted: u64,
    since: Instant,
    peak: usize,
    throttled: u64,
}

impl Aimd {
    pub(crate) fn new(max: usize) -> Self {
        let limit = START.min(max.max(1));
        Self {
            limit,
            max: max.max(1),
            slow_start: true,
            window: 0,
            fastest: None,
            last_decrease: None,
            rate: None,
            last_start: None,
            granted: 0,
            since: Instant::now(),
            peak: limit,
            throttled: 0,
        }
    }

    /// Requests that may be in flight now.
    pub(crate) fn limit(&self) -> usize {
        self.limit
    }

    /// The most requests that were allowed in flight at once.
    pub(crate) fn peak(&self) -> usize {
        self.peak
    }

    /// Throttled answers seen.
    pub(crate) fn throttled(&self) -> u64 {
        self.throttled
    }

    /// When the next request may start (now, while unpaced).
    pub(crate) fn next_start(&self) -> Instant {
        match (self.rate, self.last_start) {
            (Some(rate), Some(last)) => last + Duration::from_secs_f64(1.0 / rate),
            _ => Instant::now(),
        }
    }

    /// A request starts now.
    pub(crate) fn started(&mut self) {
        self.last_start = Some(Instant::now());
    }

    /// The answer to a request started at `started`, which took `latency`.
    pub(crate) fn answered(&mut self, started: Instant, latency: Duration, throttled: bool) {
        let now = Instant::now();
        if throttled {
            self.throttled += 1;
            if self.last_decrease.is_some_and(|at| started < at) {
                return;
            }
            self.last_decrease = Some(now);
            self.limit = (self.limit / 2).max(1);
            self.slow_start = false;
            self.window = 0;
            let elapsed = now.duration_since(self.since).as_secs_f64();
            // Over a short span the count says little (a burst the service allowed, say).
            if elapsed >= 1.0 || self.rate.is_none() {
                let granted = self.granted as f64 / elapsed.max(1.0);
                let rate = (granted * RATE_BACKOFF).max(MIN_RATE);
                self.rate = Some(self.rate.map_or(rate, |r| r.min(rate.max(r * 0.5))));
            }
            self.granted = 0;
            self.since = now;
            return;
        }
        self.granted += 1;
        if let Some(rate) = self.rate {
            // About RATE_INCREASE more per second at this rate of answers.
            self.rate = Some(rate + RATE_INCREASE / rate);
        }
        let fastest = self.fastest.map_or(latency, |f| f.min(latency));
        self.fastest = Some(fastest);
        if latency > fastest * LATENCY_TOLERANCE {
            self.window = 0;
            return;
        }
        self.window += 1;
        if self.window >= self.limit {
            self.window = 0;
            let grown = if self.slow_start {
                self.limit * 2
            } else {
                self.limit + 1
            };
            self.limit = grown.min(self.max);
            self.peak = self.peak.max(self.limit);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FAST: Duration = Duration::from_millis(10);

    /// Answers `n` requests started now, unthrottled, each taking `latency`.
    fn answer(aimd: &mut Aimd, n: usize, latency: Duration) {
        for _ in 0..n {
            aimd.answered(Instant::now(), latency, false);
        }
    }

    #[tokio::test(start_paused = true)]
    async fn it_doubles_per_window_up_to_the_maximum() {
        let mut aimd = Aimd::new(20);
        let mut seen = vec![aimd.limit()];
        for _ in 0..5 {
            let window = aimd.limit();
            answer(&mut aimd, window, FAST);
            seen.push(aimd.limit());
        }
        assert_eq!(seen, [2, 4, 8, 16, 20, 20]);
        assert_eq!(aimd.peak(), 20);
        assert_eq!(aimd.next_start(), Instant::now(), "unpaced until throttled");
    }

    #[tokio::test(start_paused = true)]
    async fn slow_answers_stop_growth() {
        let mut aimd = Aimd::new(32);
        answer(&mut aimd, 2, FAST);
        assert_eq!(aimd.limit(), 4);
        answer(&mut aimd, 40, FAST * 3);
        assert_eq!(aimd.limit(), 4);
        answer(&mut aimd, 4, FAST * 2);
        assert_eq!(aimd.limit(), 8, "twice the fastest still counts as fast");
    }

    #[tokio::test(start_paused = true)]
    async fn a_throttled_round_halves_once_then_paces_and_grows_by_one() {
        let mut aimd = Aimd::new(32);
        answer(&mut aimd, 2 + 4 + 8, FAST);
        assert_eq!(aimd.limit(), 16);
        let before = Instant::now();
        tokio::time::advance(Duration::from_secs(2)).await;
        // 14 answers granted in 2 s, then a whole round of 429s from requests started before.
        aimd.answered(before, FAST, true);
        assert_eq!(aimd.limit(), 8);
        for _ in 0..7 {
            aimd.answered(before, FAST, true);
        }
        assert_eq!(aimd.limit(), 8, "one decrease per round");
        assert_eq!(aimd.throttled(), 8);
        // Paced at 0.9 x the 7 requests/s granted.
        aimd.started();
        let gap = aimd.next_start() - Instant::now();
        assert_eq!(gap, Duration::from_secs_f64(1.0 / 6.3));
        // Congestion avoidance: +1 per window of 8.
        answer(&mut aimd, 8, FAST);
        assert_eq!(aimd.limit(), 9);
        // A request started after the decrease counts again.
        tokio::time::advance(Duration::from_millis(1)).await;
        aimd.answered(Instant::now(), FAST, true);
        assert_eq!(aimd.limit(), 4);
    }

    #[tokio::test(start_paused = true)]
    async fn it_never_goes_below_one_or_above_its_maximum() {
        let mut aimd = Aimd::new(1);
        assert_eq!(aimd.limit(), 1);
        answer(&mut aimd, 10, FAST);
        assert_eq!(aimd.limit(), 1);
        for _ in 0..5 {
            tokio::time::advance(Duration::from_millis(5)).await;
            aimd.answered(Instant::now(), FAST, true);
        }
        assert_eq!(aimd.limit(), 1);
    }
}
