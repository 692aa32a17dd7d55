//! Faults on demand: error rates, 429s, delays, dropped connections, failing pages, failing
//! bulk rows and FOTA outcomes per device. Every random choice comes from a generator seeded by the simulator seed and reset
//! whenever the faults are set, so the same seed and the same requests give the same faults.

use std::{
    collections::BTreeMap,
    time::{Duration, Instant},
};

use rand::{RngExt, SeedableRng, rngs::StdRng};
use serde::{Deserialize, Serialize};

use crate::error::ApiError;

/// Faults to inject. The default injects none.
///
/// Faults apply to both APIs, never to the simulator's own `/__sim/…` routes (downloads and
/// administration). Rates are fractions: values below 0 act as 0, above 1 as 1.
///
/// As JSON (for `PUT /__sim/faults`) the fields keep their names, except `delay`, which is
/// `delay_ms` in milliseconds; missing fields take their defaults:
///
/// ```
/// use nrfcloud_sim::FotaOutcome;
/// let faults: nrfcloud_sim::Faults = serde_json::from_str(
///     r#"{"rate_limit_every": 3, "delay_ms": 20, "fota_outcomes": {"nrf-1": "TIMED_OUT"}}"#,
/// )
/// .unwrap();
/// assert_eq!(faults.rate_limit_every, Some(3));
/// assert_eq!(faults.delay, Some(std::time::Duration::from_millis(20)));
/// assert_eq!(faults.fota_outcomes["nrf-1"], FotaOutcome::TimedOut);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Faults {
    /// Fraction of requests answered 500 (nRF code 50010) or 503 (50300), half each on average.
    pub error_rate: f64,
    /// Every Nth request (counted from when the faults were set) gets 429 with `Retry-After`.
    pub rate_limit_every: Option<u32>,
    /// The `Retry-After` value of those 429s, in seconds (default 1).
    pub retry_after_secs: u64,
    /// A time-based rate limit: a token bucket refilled with this many requests per second,
    /// holding [`Self::rate_limit_burst`]; a request that finds it empty gets 429 with a
    /// `Retry-After` of the seconds until the next token (at least 1), unprocessed.
    pub rate_limit_per_sec: Option<f64>,
    /// The bucket's size (default 0: the rate, rounded up, so one second's worth).
    pub rate_limit_burst: u32,
    /// Wait this long before handling each request.
    #[serde(rename = "delay_ms", with = "millis")]
    pub delay: Option<Duration>,
    /// Fraction of requests whose connection is closed without any response.
    pub drop_rate: f64,
    /// `Some(n)`: the first `n` list (page) requests succeed and the next one fails with 500,
    /// once; later page requests succeed again, so a client that retries the page resumes.
    pub fail_page_after: Option<u32>,
    /// 0-based row indices that fail in every CSV upload: a bulk operation (bulk claim,
    /// onboarding, key and certificate registration) ends `FAILED` with an error summary naming
    /// them; a synchronous CSV claim lists them in `failed`. Those rows are not applied.
    pub bulk_fail_rows: Vec<usize>,
    /// Serve error summaries in the legacy (2021-2025) format with 1-based rows instead of the
    /// current `{"errors":["[<0-based row>]: <message>"]}`.
    pub legacy_error_summary: bool,
    /// How the FOTA job executions of these devices (device id → outcome) end; the others
    /// succeed. An execution reads its device's entry once, when its job is applied, so
    /// changing the faults later does not change executions that exist. As JSON, an object
    /// of device ids to `"FAILED"`, `"TIMED_OUT"` or `"REJECTED"`:
    /// `{"fota_outcomes": {"nrf-352656100000001": "FAILED"}}`.
    #[serde(default)]
    pub fota_outcomes: BTreeMap<String, FotaOutcome>,
}

/// How a simulated device's FOTA job execution ends ([`Faults::fota_outcomes`]). Without one,
/// an execution goes QUEUED → IN_PROGRESS → DOWNLOADING → SUCCEEDED ("FOTA update completed
/// successfully"), one step of the simulator apart. The `statusDetail` strings are the ones
/// sdk-nrf's FOTA code reports.
///
/// ```
/// use nrfcloud_sim::FotaOutcome;
/// assert_eq!(serde_json::to_string(&FotaOutcome::TimedOut).unwrap(), r#""TIMED_OUT""#);
/// let parsed: FotaOutcome = serde_json::from_str(r#""REJECTED""#).unwrap();
/// assert_eq!(parsed, FotaOutcome::Rejected);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FotaOutcome {
    /// QUEUED → IN_PROGRESS → DOWNLOADING → FAILED, "FOTA update failed".
    Failed,
    /// QUEUED → IN_PROGRESS → DOWNLOADING → TIMED_OUT, "Download did not complete in the
    /// allotted time".
    TimedOut,
    /// QUEUED → REJECTED, "Device rejected the update".
    Rejected,
}

impl Default for Faults {
    fn default() -> Self {
        Self {
            error_rate: 0.0,
            rate_limit_every: None,
            retry_after_secs: 1,
            rate_limit_per_sec: None,
            rate_limit_burst: 0,
            delay: None,
            drop_rate: 0.0,
            fail_page_after: None,
            bulk_fail_rows: Vec::new(),
            legacy_error_summary: false,
            fota_outcomes: BTreeMap::new(),
        }
    }
}

mod millis {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => s.serialize_some(&(d.as_millis() as u64)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
        Ok(Option::<u64>::deserialize(d)?.map(Duration::from_millis))
    }
}

/// What to do with one request.
#[derive(Debug)]
pub(crate) enum Verdict {
    /// Handle it normally.
    Pass,
    /// Answer with this error instead.
    Respond(ApiError),
    /// Close the connection without answering.
    Drop,
}

/// What the simulator did with the API requests it received since the faults were last set
/// ([`crate::Simulator::request_counts`]): a client's retries show in these counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct RequestCounts {
    /// API requests received (the simulator's own `/__sim/…` routes are not counted).
    pub received: u64,
    /// Answered 429 by the `rate_limit_every` or `rate_limit_per_sec` fault, unprocessed.
    pub rate_limited: u64,
    /// Closed without an answer by the `drop_rate` fault, unprocessed.
    pub dropped: u64,
    /// Answered 500 or 503 by the `error_rate` fault, unprocessed.
    pub failed: u64,
    /// The most API requests being handled at once (delay included).
    pub peak_in_flight: u64,
}

/// The faults in force and the seeded state that makes them reproducible.
#[derive(Debug)]
pub(crate) struct FaultState {
    seed: u64,
    faults: Faults,
    rng: StdRng,
    requests: u64,
    pages: u64,
    counts: RequestCounts,
    in_flight: u64,
    /// The `rate_limit_per_sec` bucket: tokens left, as of when.
    bucket: Option<(f64, Instant)>,
}

impl FaultState {
    pub fn new(seed: u64, faults: Faults) -> Self {
        Self {
            seed,
            rng: Self::rng(seed),
            faults,
            requests: 0,
            pages: 0,
            counts: RequestCounts::default(),
            in_flight: 0,
            bucket: None,
        }
    }

    pub fn counts(&self) -> RequestCounts {
        self.counts
    }

    fn rng(seed: u64) -> StdRng {
        StdRng::seed_from_u64(seed ^ 0x6661_756c_7473) // "faults"
    }

    /// Replaces the faults and restarts the counters and the generator.
    pub fn set(&mut self, faults: Faults) {
        *self = Self::new(self.seed, faults);
    }

    pub fn faults(&self) -> &Faults {
        &self.faults
    }

    /// Decides the fate of the next request and the delay to apply before it.
    pub fn on_request(&mut self) -> (Option<Duration>, Verdict) {
        self.requests += 1;
        // Draw the same numbers for every request, so one fault's setting does not shift the
        // sequence another fault sees.
        let drop_draw: f64 = self.rng.random();
        let error_draw: f64 = self.rng.random();
        let unavailable: bool = self.rng.random();
        let refused_for = self.take_token();
        let f = &self.faults;
        let verdict = if let Some(wait) = refused_for {
            Verdict::Respond(ApiError::rate_limited(wait))
        } else if f
            .rate_limit_every
            .is_some_and(|k| k > 0 && self.requests.is_multiple_of(u64::from(k)))
        {
            Verdict::Respond(ApiError::rate_limited(f.retry_after_secs))
        } else if drop_draw < f.drop_rate {
            Verdict::Drop
        } else if error_draw < f.error_rate {
            Verdict::Respond(if unavailable {
                ApiError::unavailable()
            } else {
                ApiError::internal("internal server error (simulated)")
            })
        } else {
            Verdict::Pass
        };
        self.counts.received += 1;
        match &verdict {
            Verdict::Respond(e) if e.status.as_u16() == 429 => self.counts.rate_limited += 1,
            Verdict::Respond(_) => self.counts.failed += 1,
            Verdict::Drop => self.counts.dropped += 1,
            Verdict::Pass => {}
        }
        self.in_flight += 1;
        self.counts.peak_in_flight = self.counts.peak_in_flight.max(self.in_flight);
        (f.delay, verdict)
    }

    /// A request counted by [`Self::on_request`] was answered (or its connection closed).
    pub fn on_done(&mut self) {
        self.in_flight = self.in_flight.saturating_sub(1);
    }

    /// Takes a token from the `rate_limit_per_sec` bucket; when it is empty, the whole seconds
    /// until the next token (at least 1), for `Retry-After`.
    fn take_token(&mut self) -> Option<u64> {
        let rate = self.faults.rate_limit_per_sec.filter(|r| *r > 0.0)?;
        let size = match self.faults.rate_limit_burst {
            0 => rate.ceil(),
            n => f64::from(n),
        };
        let now = Instant::now();
        let (tokens, at) = self.bucket.get_or_insert((size, now));
        *tokens = (*tokens + now.duration_since(*at).as_secs_f64() * rate).min(size);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            None
        } else {
            Some((((1.0 - *tokens) / rate).ceil() as u64).max(1))
        }
    }

    /// Counts a page request; `Err` when this is the one `fail_page_after` picks.
    pub fn on_page(&mut self) -> Result<(), ApiError> {
        self.pages += 1;
        match self.faults.fail_page_after {
            Some(n) if self.pages == u64::from(n) + 1 => Err(ApiError::internal(format!(
                "internal server error (simulated failure of page request {})",
                self.pages
            ))),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn statuses(state: &mut FaultState, n: usize) -> Vec<u16> {
        (0..n)
            .map(|_| match state.on_request().1 {
                Verdict::Pass => 200,
                Verdict::Respond(e) => e.status.as_u16(),
                Verdict::Drop => 0,
            })
            .collect()
    }

    #[test]
    fn the_same_seed_gives_the_same_faults() {
        let faults = Faults {
            error_rate: 0.3,
            drop_rate: 0.1,
            ..Faults::default()
        };
        let a = statuses(&mut FaultState::new(9, faults.clone()), 200);
        let b = statuses(&mut FaultState::new(9, faults.clone()), 200);
        let c = statuses(&mut FaultState::new(10, faults), 200);
        assert_eq!(a, b);
        assert_ne!(a, c);
        let errors = a.iter().filter(|s| **s >= 500).count();
        assert!(
            (30..=90).contains(&errors),
            "{errors} errors of 200 at rate 0.3"
        );
        assert!(a.contains(&500) && a.contains(&503) && a.contains(&0));
    }

    #[test]
    fn rate_limit_hits_every_nth_request_and_setting_resets_the_count() {
        let mut state = FaultState::new(
            1,
            Faults {
                rate_limit_every: Some(3),
                retry_after_secs: 7,
                ..Faults::default()
            },
        );
        assert_eq!(statuses(&mut state, 7), [200, 200, 429, 200, 200, 429, 200]);
        state.set(state.faults().clone());
        assert_eq!(statuses(&mut state, 3), [200, 200, 429]);
        match state.on_request().1 {
            Verdict::Pass => {}
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn one_page_fails_after_n() {
        let mut state = FaultState::new(
            1,
            Faults {
                fail_page_after: Some(2),
                ..Faults::default()
            },
        );
        let results: Vec<bool> = (0..5).map(|_| state.on_page().is_ok()).collect();
        assert_eq!(results, [true, true, false, true, true]);
    }
}
