//! What the shared hooks learn about the call in progress: the response head, a credential
//! refused before sending, and how many requests were sent. The hooks serve every call, so
//! this goes to tokio task-locals that only the future of one call (or one bulk upload) sees.

use std::{
    future::Future,
    sync::{
        Mutex,
        atomic::{AtomicU32, AtomicU64, Ordering},
    },
};

use nrfcloud_api::ResponseHead;

use crate::error::AuthError;

/// What the hooks learnt about the call in progress.
#[derive(Debug, Default)]
struct Slot {
    head: Mutex<Option<ResponseHead>>,
    refused: Mutex<Option<AuthError>>,
    attempts: AtomicU32,
}

/// What the hooks learnt about one call.
#[derive(Debug, Default)]
pub(crate) struct Observed {
    /// The head of the response the call returned.
    pub head: Option<ResponseHead>,
    /// The credential refusal that stopped it before sending.
    pub refused: Option<AuthError>,
    /// Requests sent, retries included.
    pub attempts: u32,
}

tokio::task_local! {
    static SLOT: Slot;
    static ATTEMPTS: AtomicU64;
}

/// Runs `work`, counting the requests its calls send (each retry included): the bulk report's
/// request count.
#[cfg(feature = "bulk")]
pub(crate) async fn counting_attempts<T>(work: impl Future<Output = T>) -> (T, u64) {
    ATTEMPTS
        .scope(AtomicU64::new(0), async {
            let out = work.await;
            (out, ATTEMPTS.with(|n| n.load(Ordering::Relaxed)))
        })
        .await
}

/// Called by the retry runtime once per attempt.
pub(crate) fn record_attempt() {
    let _ = ATTEMPTS.try_with(|n| n.fetch_add(1, Ordering::Relaxed));
    let _ = SLOT.try_with(|s| s.attempts.fetch_add(1, Ordering::Relaxed));
}

fn take<T>(cell: &Mutex<Option<T>>) -> Option<T> {
    cell.lock().unwrap_or_else(|e| e.into_inner()).take()
}

/// Called by the retry runtime with the head of the response a call returns.
pub(crate) fn record_head(head: &ResponseHead) {
    let _ =
        SLOT.try_with(|s| *s.head.lock().unwrap_or_else(|e| e.into_inner()) = Some(head.clone()));
}

/// Called by the credentials when they refuse an operation; the message goes to the hooks.
pub(crate) fn record_refusal(e: AuthError) -> String {
    let message = e.to_string();
    let _ = SLOT.try_with(|s| *s.refused.lock().unwrap_or_else(|e| e.into_inner()) = Some(e));
    message
}

/// Runs `work` (one call) in a fresh slot; its output with what the hooks learnt about it.
pub(crate) async fn observed<T>(work: impl Future<Output = T>) -> (T, Observed) {
    SLOT.scope(Slot::default(), async {
        let out = work.await;
        let seen = SLOT
            .try_with(|s| Observed {
                head: take(&s.head),
                refused: take(&s.refused),
                attempts: s.attempts.load(Ordering::Relaxed),
            })
            .unwrap_or_default();
        (out, seen)
    })
    .await
}
