//! When requests are sent again: [`RetryPolicy`], set with
//! [`ClientBuilder::retry`](crate::ClientBuilder::retry).
//!
//! Retries run inside the raw client's hooks (`nrfcloud_api::retry`), so `client.raw()` retries
//! exactly like the facade. This module gives them tokio's timer and reports each attempt as a
//! `tracing` event (operation, attempt, status; never headers or bodies), and hands each call's
//! response head and each attempt to the call in progress.

use std::{future::Future, pin::Pin, time::Duration};

use nrfcloud_api::{
    Attempt, ResponseHead, RetryRuntime,
    retry::{Decision, Outcome},
};

pub use nrfcloud_api::RetryPolicy;

/// The retry runtime of every facade client.
#[derive(Debug)]
pub(crate) struct TokioTracing;

impl RetryRuntime for TokioTracing {
    fn sleep(&self, delay: Duration) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        Box::pin(tokio::time::sleep(delay))
    }

    fn on_response(&self, head: &ResponseHead) {
        crate::observe::record_head(head);
    }

    fn on_attempt(&self, a: &Attempt<'_>) {
        crate::observe::record_attempt();
        let status = match a.outcome {
            Outcome::Status(s) => Some(s),
            _ => None,
        };
        match a.decision {
            Decision::Retry(delay) => tracing::info!(
                operation = a.operation_id,
                method = a.method,
                attempt = a.attempt,
                status,
                outcome = ?a.outcome,
                retry_in_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                "nrfcloud: retrying request"
            ),
            Decision::Stop => tracing::debug!(
                operation = a.operation_id,
                method = a.method,
                attempt = a.attempt,
                status,
                outcome = ?a.outcome,
                "nrfcloud: request attempt"
            ),
        }
    }
}
