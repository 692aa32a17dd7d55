//! When to send a request again: a retry policy (configuration) and a pure decision function,
//! used by the hooks' `exec` loop for every generated call.
//!
//! The rules:
//!
//! * every method is retried on 429: the server refused the request without processing it, so
//!   sending it again after the wait it asked for cannot apply it twice;
//! * idempotent methods (GET, HEAD, PUT, DELETE, OPTIONS) are also retried on 500, 502, 503 and
//!   504 (a server error on a request that may be repeated without changing its result),
//!   on timeouts, on connection failures and on connections lost mid-way;
//! * POST and PATCH (claims, uploads, state patches) are otherwise retried only when the request
//!   provably never left: the connection could not be established;
//! * the delay is exponential with full jitter (`rand(0..1) × min(max_delay, base × 2^(n-1))`),
//!   unless the server sent `Retry-After`, which is honoured as is; a server asking for a longer
//!   pause than [`RetryPolicy::max_retry_after`] gets its error back at once rather than a retry
//!   that it has announced it will refuse;
//! * at most [`RetryPolicy::max_attempts`] attempts in all.

use std::time::{Duration, SystemTime};

/// How many times, and how patiently, a failed request is sent again.
///
/// ```
/// use std::time::Duration;
/// use nrfcloud_api::RetryPolicy;
/// let policy = RetryPolicy::default().max_attempts(6).max_delay(Duration::from_secs(20));
/// assert_eq!(policy.attempts(), 6);
/// assert_eq!(RetryPolicy::never().attempts(), 1);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    max_attempts: u32,
    base_delay: Duration,
    max_delay: Duration,
    max_retry_after: Duration,
}

impl Default for RetryPolicy {
    /// 4 attempts, 250 ms base delay, at most 10 s between attempts, `Retry-After` up to 60 s.
    fn default() -> Self {
        Self {
            max_attempts: 4,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(10),
            max_retry_after: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// One attempt, no retries.
    pub fn never() -> Self {
        Self::default().max_attempts(1)
    }

    /// Attempts in all, the first one included (at least 1).
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// The first backoff delay, doubled at each further attempt.
    pub fn base_delay(mut self, delay: Duration) -> Self {
        self.base_delay = delay;
        self
    }

    /// The longest backoff delay between two attempts.
    pub fn max_delay(mut self, delay: Duration) -> Self {
        self.max_delay = delay;
        self
    }

    /// The longest `Retry-After` the client waits; a longer one ends the retries.
    pub fn max_retry_after(mut self, delay: Duration) -> Self {
        self.max_retry_after = delay;
        self
    }

    /// Attempts in all, the first one included.
    pub fn attempts(&self) -> u32 {
        self.max_attempts
    }
}

/// What happened to one attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The server answered with this status.
    Status(u16),
    /// No connection could be established: the request never left.
    Connect,
    /// The request or the connection timed out; the server may have seen it.
    Timeout,
    /// Any other transport failure (connection reset mid-way, body error, …).
    Transport,
}

/// The verdict of [`decide`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Send the request again after this delay.
    Retry(Duration),
    /// Return this attempt's result to the caller.
    Stop,
}

/// Whether a method may be repeated without changing the result (RFC 9110 §9.2.2).
pub fn is_idempotent(method: &str) -> bool {
    matches!(
        method.to_ascii_uppercase().as_str(),
        "GET" | "HEAD" | "PUT" | "DELETE" | "OPTIONS" | "TRACE"
    )
}

/// Decides what to do after attempt number `attempt` (1-based) of a `method` request ended with
/// `outcome`. `retry_after` is the parsed `Retry-After` header, `jitter` a random number in
/// `[0, 1)`. Pure: no clock, no randomness of its own.
///
/// ```
/// use std::time::Duration;
/// use nrfcloud_api::retry::{decide, Decision, Outcome};
/// use nrfcloud_api::RetryPolicy;
/// let p = RetryPolicy::default();
/// let wait = Some(Duration::from_secs(2));
/// assert_eq!(decide(&p, "GET", Outcome::Status(429), wait, 1, 0.5), Decision::Retry(Duration::from_secs(2)));
/// assert_eq!(decide(&p, "POST", Outcome::Status(429), wait, 1, 0.5), Decision::Retry(Duration::from_secs(2)));
/// assert_eq!(decide(&p, "POST", Outcome::Status(503), None, 1, 0.5), Decision::Stop);
/// ```
pub fn decide(
    policy: &RetryPolicy,
    method: &str,
    outcome: Outcome,
    retry_after: Option<Duration>,
    attempt: u32,
    jitter: f64,
) -> Decision {
    if attempt >= policy.max_attempts {
        return Decision::Stop;
    }
    let retryable = match outcome {
        Outcome::Connect | Outcome::Status(429) => true,
        Outcome::Timeout | Outcome::Transport => is_idempotent(method),
        Outcome::Status(500 | 502..=504) => is_idempotent(method),
        Outcome::Status(_) => false,
    };
    if !retryable {
        return Decision::Stop;
    }
    if let (Outcome::Status(_), Some(wait)) = (outcome, retry_after) {
        return if wait <= policy.max_retry_after {
            Decision::Retry(wait)
        } else {
            Decision::Stop
        };
    }
    let exponent = attempt.saturating_sub(1).min(30);
    let ceiling = policy
        .base_delay
        .saturating_mul(1u32 << exponent)
        .min(policy.max_delay);
    Decision::Retry(ceiling.mul_f64(jitter.clamp(0.0, 1.0)))
}

/// Parses a `Retry-After` value: delay-seconds (`120`) or an HTTP-date
/// (`Wed, 21 Oct 2015 07:28:00 GMT`, relative to `now`; a date in the past means "now").
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use nrfcloud_api::retry::parse_retry_after;
/// assert_eq!(parse_retry_after("3", SystemTime::now()), Some(Duration::from_secs(3)));
/// assert_eq!(parse_retry_after("soon", SystemTime::now()), None);
/// ```
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    // Checked arithmetic on milliseconds, not `SystemTime + Duration`, which panics where
    // `SystemTime` is narrower than the date (far-future dates on Windows); what does not fit
    // is ignored.
    let now_ms =
        i128::try_from(now.duration_since(SystemTime::UNIX_EPOCH).ok()?.as_millis()).ok()?;
    let delta = i128::from(at.timestamp_millis()) - now_ms;
    Some(Duration::from_millis(u64::try_from(delta.max(0)).ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: fn(u64) -> Duration = Duration::from_secs;
    const MS: fn(u64) -> Duration = Duration::from_millis;

    /// method, outcome, Retry-After, attempt, jitter, expected decision
    type Row = (&'static str, Outcome, Option<Duration>, u32, f64, Decision);

    #[test]
    fn decision_table() {
        let p = RetryPolicy::default()
            .base_delay(MS(100))
            .max_delay(S(1))
            .max_retry_after(S(30));
        use Decision::{Retry, Stop};
        use Outcome::*;
        #[rustfmt::skip]
        let table: &[Row] = &[
            // idempotent methods: the retryable statuses, backoff doubling under the cap
            ("GET", Status(429), None, 1, 1.0, Retry(MS(100))),
            ("GET", Status(502), None, 2, 1.0, Retry(MS(200))),
            ("PUT", Status(503), None, 3, 1.0, Retry(MS(400))),
            ("DELETE", Status(504), None, 1, 0.5, Retry(MS(50))),
            ("HEAD", Timeout, None, 1, 1.0, Retry(MS(100))),
            ("get", Connect, None, 1, 0.0, Retry(MS(0))),
            // full jitter stays under the max delay
            ("GET", Status(503), None, 3, 0.99, Retry(MS(396))),
            ("GET", Status(503), None, 3, 7.0, Retry(MS(400))),
            // not retryable statuses and errors
            ("GET", Status(200), None, 1, 1.0, Stop),
            ("GET", Status(500), None, 1, 1.0, Retry(MS(100))),
            ("GET", Status(501), None, 1, 1.0, Stop),
            ("POST", Status(500), None, 1, 1.0, Stop),
            ("GET", Status(404), None, 1, 1.0, Stop),
            ("GET", Status(412), None, 1, 1.0, Stop),
            ("GET", Transport, None, 1, 1.0, Retry(MS(100))),
            ("POST", Transport, None, 1, 1.0, Stop),
            // Retry-After wins over backoff, and a too long one stops
            ("GET", Status(429), Some(S(3)), 1, 0.1, Retry(S(3))),
            ("GET", Status(503), Some(S(0)), 1, 0.1, Retry(S(0))),
            ("GET", Status(429), Some(S(31)), 1, 0.1, Stop),
            // non-idempotent: after a 429 (refused unprocessed), or when the request never left
            ("POST", Status(503), None, 1, 1.0, Stop),
            ("POST", Status(429), Some(S(2)), 1, 1.0, Retry(S(2))),
            ("PATCH", Status(429), None, 2, 1.0, Retry(MS(200))),
            ("POST", Status(429), Some(S(31)), 1, 1.0, Stop),
            ("POST", Status(429), Some(S(2)), 4, 1.0, Stop),
            ("POST", Timeout, None, 1, 1.0, Stop),
            ("PATCH", Status(502), None, 1, 1.0, Stop),
            ("POST", Connect, None, 1, 1.0, Retry(MS(100))),
            ("PATCH", Connect, None, 2, 1.0, Retry(MS(200))),
            // bounded attempts: attempt 4 of 4 is the last one
            ("GET", Status(503), None, 4, 1.0, Stop),
            ("POST", Connect, None, 4, 1.0, Stop),
        ];
        for (i, &(method, outcome, retry_after, attempt, jitter, want)) in table.iter().enumerate()
        {
            let got = decide(&p, method, outcome, retry_after, attempt, jitter);
            assert_eq!(
                got, want,
                "row {i}: {method} {outcome:?} after attempt {attempt}"
            );
        }
    }

    #[test]
    fn max_delay_caps_large_attempt_numbers() {
        let p = RetryPolicy::default().max_attempts(100).max_delay(S(10));
        assert_eq!(
            decide(&p, "GET", Outcome::Status(503), None, 60, 1.0),
            Decision::Retry(S(10))
        );
    }

    #[test]
    fn never_means_one_attempt() {
        let p = RetryPolicy::never();
        assert_eq!(
            decide(&p, "GET", Outcome::Status(503), None, 1, 1.0),
            Decision::Stop
        );
        assert_eq!(RetryPolicy::default().max_attempts(0).attempts(), 1);
    }

    #[test]
    fn retry_after_forms() {
        let now = SystemTime::UNIX_EPOCH + S(1_445_412_480); // Wed, 21 Oct 2015 07:28:00 GMT
        assert_eq!(parse_retry_after(" 120 ", now), Some(S(120)));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now),
            Some(S(30))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:27:00 GMT", now),
            Some(S(0))
        );
        assert_eq!(parse_retry_after("-1", now), None);
        assert_eq!(parse_retry_after("18446744073709551616", now), None);
        assert_eq!(parse_retry_after("31 Feb 2015 07:28:00 GMT", now), None);
        // Far-future dates: a number of seconds, or ignored, never a panic.
        for far in [
            "Fri, 31 Dec 9999 23:59:59 GMT",
            "01 Jan 99999 00:00:00 GMT",
            "Mon, 01 Jan 262143 00:00:00 GMT",
        ] {
            if let Some(d) = parse_retry_after(far, now) {
                assert!(d > S(250_000_000_000), "{far}: {d:?}");
            }
        }
        assert_eq!(
            parse_retry_after("Fri, 31 Dec 9999 23:59:59 GMT", now),
            Some(S(253_402_300_799 - 1_445_412_480))
        );
        assert_eq!(parse_retry_after("1.5", now), None);
        assert_eq!(parse_retry_after("", now), None);
    }
}
