//! What every generated request passes through: the per-operation credential and the upload
//! `Content-Type` (progenitor ignores `security` and cannot send `text/csv`) in `pre`, and the
//! retry loop of [`crate::retry`] in `exec`.

use std::{
    fmt,
    future::Future,
    hash::{BuildHasher, RandomState},
    pin::Pin,
    sync::Arc,
    time::{Duration, SystemTime},
};

use progenitor_client::{ClientHooks, Error, OperationInfo};
use reqwest::{
    StatusCode,
    header::{AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderValue, RETRY_AFTER},
};

use crate::operations::{Api, Operation};
use crate::retry::{Decision, Outcome, RetryPolicy, decide, parse_retry_after};

/// Supplies the `Authorization` header for an operation.
///
/// The facade implements this with its API key and JWT credentials; the operation tells which
/// schemes are accepted. Implementations must keep secrets out of their `Debug` output.
pub trait Authorize: Send + Sync + fmt::Debug {
    /// Returns the header value to send (e.g. `Bearer …`), `None` to send none, or an error
    /// message when no configured credential fits the operation. The request is not sent then.
    fn authorize(&self, operation: &Operation) -> Result<Option<HeaderValue>, String>;
}

/// What the retry loop needs from outside this crate: a timer, and a place to report attempts.
///
/// This crate depends on no async runtime and no logger; the `nrfcloud` facade supplies tokio's
/// timer and `tracing` events. Reports carry no headers and no bodies.
pub trait RetryRuntime: Send + Sync + fmt::Debug {
    /// A future that completes after `delay`.
    fn sleep(&self, delay: Duration) -> Pin<Box<dyn Future<Output = ()> + Send>>;

    /// Called once per attempt, after it ended and the next step was decided.
    fn on_attempt(&self, attempt: &Attempt<'_>) {
        let _ = attempt;
    }

    /// Called with the status and headers of the response a call returns (after the last
    /// attempt), before progenitor reads the body. progenitor reports an error body that is not
    /// the declared JSON as `InvalidResponsePayload(bytes, _)`, without the status or headers:
    /// this is where a caller keeps them, so an empty 412 or an HTML 503 from a gateway is still
    /// reported with its status and request id.
    fn on_response(&self, head: &ResponseHead) {
        let _ = head;
    }
}

/// One attempt of a request, as reported to [`RetryRuntime::on_attempt`].
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct Attempt<'a> {
    /// The generated method name (`fetch_device`).
    pub operation_id: &'a str,
    /// The HTTP method.
    pub method: &'a str,
    /// 1 for the first attempt.
    pub attempt: u32,
    /// How it ended.
    pub outcome: Outcome,
    /// What happens next.
    pub decision: Decision,
}

/// Status and headers of the response a call returned (see [`RetryRuntime::on_response`]).
#[derive(Clone, Debug)]
pub struct ResponseHead {
    /// The HTTP status.
    pub status: StatusCode,
    /// The response headers.
    pub headers: HeaderMap,
}

/// State shared by the generated clients (progenitor's `inner` value).
///
/// ```
/// let inner = nrfcloud_api::Inner::new();
/// let client = nrfcloud_api::rest::Client::new("http://127.0.0.1:8080/v1", inner);
/// # let _ = client;
/// ```
#[derive(Clone, Default, Debug)]
pub struct Inner {
    authorizer: Option<Arc<dyn Authorize>>,
    retry: Option<(RetryPolicy, Arc<dyn RetryRuntime>)>,
}

impl Inner {
    /// No credentials, no retries: only unauthenticated operations succeed.
    pub fn new() -> Self {
        Self::default()
    }

    /// Uses `authorizer` for every request.
    pub fn with_authorizer(mut self, authorizer: Arc<dyn Authorize>) -> Self {
        self.authorizer = Some(authorizer);
        self
    }

    /// Retries failed requests by `policy` (see [`crate::retry`]), waiting with `runtime`.
    /// Requests with a streaming body cannot be cloned and are never retried.
    ///
    /// ```
    /// use std::{future::Future, pin::Pin, sync::Arc, time::Duration};
    /// use nrfcloud_api::{Inner, RetryPolicy, RetryRuntime};
    ///
    /// #[derive(Debug)]
    /// struct Blocking; // a real program uses its runtime's timer, e.g. tokio::time::sleep
    /// impl RetryRuntime for Blocking {
    ///     fn sleep(&self, delay: Duration) -> Pin<Box<dyn Future<Output = ()> + Send>> {
    ///         Box::pin(async move { std::thread::sleep(delay) })
    ///     }
    /// }
    /// let inner = Inner::new().with_retry(RetryPolicy::default(), Arc::new(Blocking));
    /// # let _ = inner;
    /// ```
    pub fn with_retry(mut self, policy: RetryPolicy, runtime: Arc<dyn RetryRuntime>) -> Self {
        self.retry = Some((policy, runtime));
        self
    }

    /// Sets the upload media type and the credential for `method_name` of `api`.
    fn prepare(
        &self,
        api: Api,
        method_name: &str,
        request: &mut reqwest::Request,
    ) -> Result<(), String> {
        let op = Operation::find(api, method_name).ok_or_else(|| {
            format!("operation {method_name} is missing from the operation table")
        })?;
        if let Some(media_type) = op.upload_content_type {
            request
                .headers_mut()
                .insert(CONTENT_TYPE, HeaderValue::from_static(media_type));
        }
        if let Some(auth) = &self.authorizer
            && let Some(mut value) = auth.authorize(op)?
        {
            value.set_sensitive(true);
            request.headers_mut().insert(AUTHORIZATION, value);
        }
        Ok(())
    }

    /// Sends `request`, again while the retry policy says so.
    async fn execute(
        &self,
        client: &reqwest::Client,
        mut request: reqwest::Request,
        operation_id: &str,
    ) -> reqwest::Result<reqwest::Response> {
        let method = request.method().as_str().to_owned();
        let mut attempt = 1;
        loop {
            // Cloned before sending: a streaming body cannot be, and is then never retried.
            let spare = self.retry.as_ref().and_then(|_| request.try_clone());
            let result = client.execute(request).await;
            let outcome = match &result {
                Ok(response) => Outcome::Status(response.status().as_u16()),
                Err(e) if e.is_connect() => Outcome::Connect,
                Err(e) if e.is_timeout() => Outcome::Timeout,
                Err(_) => Outcome::Transport,
            };
            let next = match (&self.retry, spare) {
                (Some((policy, runtime)), Some(spare)) => {
                    let retry_after = result
                        .as_ref()
                        .ok()
                        .and_then(|r| r.headers().get(RETRY_AFTER))
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| parse_retry_after(v, SystemTime::now()));
                    let decision = decide(policy, &method, outcome, retry_after, attempt, jitter());
                    runtime.on_attempt(&Attempt {
                        operation_id,
                        method: &method,
                        attempt,
                        outcome,
                        decision,
                    });
                    match decision {
                        Decision::Retry(delay) => Some((runtime, delay, spare)),
                        Decision::Stop => None,
                    }
                }
                (Some((_, runtime)), None) => {
                    let decision = Decision::Stop;
                    runtime.on_attempt(&Attempt {
                        operation_id,
                        method: &method,
                        attempt,
                        outcome,
                        decision,
                    });
                    None
                }
                (None, _) => None,
            };
            let Some((runtime, delay, spare)) = next else {
                if let (Some((_, runtime)), Ok(response)) = (&self.retry, &result) {
                    runtime.on_response(&ResponseHead {
                        status: response.status(),
                        headers: response.headers().clone(),
                    });
                }
                return match result {
                    Ok(response) if !response.status().is_success() => {
                        Ok(bounded_error_body(response).await)
                    }
                    Ok(response) => Ok(bounded_body(response)),
                    other => other,
                };
            };
            drop(result);
            runtime.sleep(delay).await;
            request = spare;
            attempt += 1;
        }
    }
}

/// The most of an error response's body a call reads: enough for any nRF error body or a
/// gateway's HTML page, and a bound on memory whatever a server sends.
pub const MAX_ERROR_BODY_BYTES: usize = 64 * 1024;

/// `response` with its body cut to [`MAX_ERROR_BODY_BYTES`], read at most that far: the
/// generated code reads an error body whole.
async fn bounded_error_body(mut response: reqwest::Response) -> reqwest::Response {
    let mut body = Vec::new();
    while body.len() < MAX_ERROR_BODY_BYTES {
        match response.chunk().await {
            Ok(Some(chunk)) => body.extend_from_slice(&chunk),
            // What arrived before the body failed is what there is to report.
            Ok(None) | Err(_) => break,
        }
    }
    body.truncate(MAX_ERROR_BODY_BYTES);
    let mut cut = http::Response::new(body);
    *cut.status_mut() = response.status();
    *cut.version_mut() = response.version();
    *cut.headers_mut() = std::mem::take(response.headers_mut());
    // The length no longer matches the body.
    cut.headers_mut().remove(reqwest::header::CONTENT_LENGTH);
    reqwest::Response::from(cut)
}

/// The most of a success response's body a call reads: far above any page or document nRF
/// Cloud answers with, and a bound on memory whatever a server sends. A longer body fails the
/// call in transit ([`is_body_too_large`] tells).
pub const MAX_BODY_BYTES: usize = 64 * 1024 * 1024;

/// `response`, whose body fails to read past [`MAX_BODY_BYTES`]: the generated code reads a
/// success body whole.
fn bounded_body(response: reqwest::Response) -> reqwest::Response {
    let response = http::Response::<reqwest::Body>::from(response);
    reqwest::Response::from(
        response
            .map(|body| reqwest::Body::wrap(http_body_util::Limited::new(body, MAX_BODY_BYTES))),
    )
}

/// Whether `error` (or one of its sources) is a body cut at [`MAX_BODY_BYTES`].
pub fn is_body_too_large(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut next = Some(error);
    while let Some(e) = next {
        if e.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        next = e.source();
    }
    false
}

/// A number in `[0, 1)` for the backoff jitter. std's `RandomState` is randomly keyed per
/// thread and re-keyed per instance, which is plenty for spreading retries (not for secrets).
fn jitter() -> f64 {
    let bits = RandomState::new().hash_one(SystemTime::now());
    (bits >> 11) as f64 / (1u64 << 53) as f64
}

macro_rules! hooks_for {
    ($client:ty, $api:expr) => {
        impl ClientHooks<Inner> for $client {
            async fn pre<E>(
                &self,
                request: &mut reqwest::Request,
                info: &OperationInfo,
            ) -> Result<(), Error<E>> {
                self.inner
                    .prepare($api, info.operation_id, request)
                    .map_err(Error::Custom)
            }

            async fn exec(
                &self,
                request: reqwest::Request,
                info: &OperationInfo,
            ) -> reqwest::Result<reqwest::Response> {
                self.inner
                    .execute(&self.client, request, info.operation_id)
                    .await
            }
        }
    };
}

hooks_for!(crate::rest::Client, Api::Rest);
hooks_for!(crate::provisioning::Client, Api::Provisioning);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jitter_is_a_fraction_and_varies() {
        let draws: Vec<f64> = (0..64).map(|_| jitter()).collect();
        assert!(draws.iter().all(|j| (0.0..1.0).contains(j)));
        let first = draws[0];
        assert!(draws.iter().any(|&j| j != first), "64 equal draws: {first}");
    }
}
