//! One call of a generated operation: the shared raw client, the operation's typed handle, and
//! a per-call slot the call runs in.
//!
//! What the shared hooks learn about one call comes back through [`crate::observe`]: no raw
//! client is rebuilt per call, credentials are evaluated once (in the `pre` hook), and a
//! refusal stays a typed [`AuthError`](crate::error::AuthError).

use std::future::Future;

use bytes::Bytes;
use http::header::ACCEPT;
use nrfcloud_api::{
    Op, Operation, ResponseHead, provisioning, rest,
    rest::{Error as RawError, ResponseValue},
};
use progenitor_client::{ClientHooks, ClientInfo, OperationInfo};
use serde::de::DeserializeOwned;
use tracing::Instrument;

use crate::{
    Client,
    client::Clients,
    error::{ApiError, Error, ErrorBody, ErrorKind, Result, decode, from_raw, transport},
    observe::{Observed, observed},
};

mod sealed {
    pub trait Sealed {}
}

/// One of the two generated clients ([`rest::Client`], [`provisioning::Client`]), as
/// [`Clients::send`] and [`Clients::stream`] take them. Sealed: the facade's hooks and its error
/// conversion are written for these two.
pub trait Generated:
    sealed::Sealed
    + ClientHooks<nrfcloud_api::Inner>
    + ClientInfo<nrfcloud_api::Inner>
    + Clone
    + Send
    + Sync
    + 'static
{
    #[doc(hidden)]
    fn of(raw: &Clients) -> &Self;
}

impl sealed::Sealed for rest::Client {}
impl Generated for rest::Client {
    fn of(raw: &Clients) -> &Self {
        raw.rest()
    }
}

impl sealed::Sealed for provisioning::Client {}
impl Generated for provisioning::Client {
    fn of(raw: &Clients) -> &Self {
        raw.provisioning()
    }
}

impl Client {
    /// A call of `op` through this client's raw client.
    pub(crate) fn call<C: Generated>(&self, op: Op<C>) -> Call<'_, C> {
        self.raw().call(op)
    }
}

impl Clients {
    /// A call of `op` through this raw client.
    pub(crate) fn call<C: Generated>(&self, op: Op<C>) -> Call<'_, C> {
        Call {
            raw: C::of(self),
            op: op.operation(),
        }
    }
}

impl Clients {
    /// A location call of `op`, and whether it goes to the organization-scoped client: it does
    /// when the client has an Organization Auth Token, unless the request passes a device's own
    /// JWT through (which only the `/v1/location/…` paths take).
    pub(crate) fn location_call(
        &self,
        op: Op<rest::Client>,
        passthrough: bool,
    ) -> (Call<'_, rest::Client>, bool) {
        let (raw, organization) = match (self.organization(), passthrough) {
            (Some(org), false) => (org, true),
            _ => (self.rest(), false),
        };
        let call = Call {
            raw,
            op: op.operation(),
        };
        (call, organization)
    }
}

/// One call: the raw client to build the request with, and its operation.
pub(crate) struct Call<'a, C> {
    pub(crate) raw: &'a C,
    op: &'static Operation,
}

impl<C> Call<'_, C> {
    /// The operationId, e.g. `FetchDevice`.
    pub(crate) fn operation(&self) -> &'static str {
        self.op.operation_id
    }

    /// Runs `send` in a fresh slot and a tracing span. The request's future goes on the heap:
    /// a generated call with its retry loop is large, and unboxed, a debug build copies it
    /// into each frame of the wrappers around it (enough to overflow a 2 MiB thread).
    async fn scoped<T>(&self, send: impl Future<Output = T>) -> (T, Observed) {
        let span = tracing::debug_span!("nrfcloud", operation = self.op.operation_id);
        observed(Box::pin(send.instrument(span))).await
    }

    /// Awaits a generated call, converting its error the one way (see [`from_raw`]), but
    /// handing back the raw error of the statuses `keep` selects (the dry-run claim's 202).
    pub(crate) async fn run_keeping<T: DeserializeOwned, E: ErrorBody>(
        &self,
        send: impl Future<Output = Result<ResponseValue<T>, RawError<E>>>,
        keep: impl Fn(&RawError<E>) -> bool,
    ) -> Result<std::result::Result<ResponseValue<T>, RawError<E>>> {
        match self.scoped(send).await {
            (Ok(v), _) => Ok(Ok(v)),
            (Err(e), _) if keep(&e) => Ok(Err(e)),
            (Err(e), seen) => Err(self.convert::<T, E>(seen, e).await),
        }
    }

    async fn convert<T: DeserializeOwned, E: ErrorBody>(
        &self,
        seen: Observed,
        e: RawError<E>,
    ) -> Error {
        let operation = self.op.operation_id;
        self.convert_with(seen, e, |head, bytes| {
            decode::<T>(operation, head, bytes).err()
        })
        .await
    }

    async fn convert_with<E: ErrorBody>(
        &self,
        seen: Observed,
        e: RawError<E>,
        redecode: impl FnOnce(Option<&ResponseHead>, &[u8]) -> Option<Error>,
    ) -> Error {
        if let (Some(refused), RawError::Custom(_)) = (seen.refused, &e) {
            return refused.into();
        }
        let mut error = from_raw::<E>(self.op.operation_id, seen.head, e, redecode).await;
        error.set_attempts(seen.attempts);
        error
    }

    /// [`Call::run`] for any success type, a byte stream included: a body that does not
    /// decode is reported with the typed decoder's message, at the document root.
    pub(crate) async fn run_any<T, E: ErrorBody>(
        &self,
        send: impl Future<Output = Result<ResponseValue<T>, RawError<E>>>,
    ) -> Result<T> {
        match self.scoped(send).await {
            (Ok(v), _) => Ok(v.into_inner()),
            (Err(e), seen) => Err(self.convert_with(seen, e, |_, _| None).await),
        }
    }

    /// [`Call::run_any`], keeping the response headers (A-GNSS reads `Content-Range`).
    pub(crate) async fn run_value<T, E: ErrorBody>(
        &self,
        send: impl Future<Output = Result<ResponseValue<T>, RawError<E>>>,
    ) -> Result<ResponseValue<T>> {
        match self.scoped(send).await {
            (Ok(v), _) => Ok(v),
            (Err(e), seen) => Err(self.convert_with(seen, e, |_, _| None).await),
        }
    }

    /// Awaits a generated call and converts its error.
    pub(crate) async fn run<T: DeserializeOwned, E: ErrorBody>(
        &self,
        send: impl Future<Output = Result<ResponseValue<T>, RawError<E>>>,
    ) -> Result<T> {
        match self.scoped(send).await {
            (Ok(v), _) => Ok(v.into_inner()),
            (Err(e), seen) => Err(self.convert::<T, E>(seen, e).await),
        }
    }

    /// Awaits a generated DELETE. A 404 to a resend means an earlier attempt deleted it (the
    /// answer to that one was lost): the call succeeded.
    pub(crate) async fn run_delete<E: ErrorBody>(
        &self,
        send: impl Future<Output = Result<ResponseValue<()>, RawError<E>>>,
    ) -> Result<()> {
        match self.run(send).await {
            Err(e) if e.is_not_found() && e.attempts() > 1 => {
                tracing::info!(
                    operation = self.op.operation_id,
                    attempts = e.attempts(),
                    "nrfcloud: a resent DELETE found nothing to delete: an earlier attempt did"
                );
                Ok(())
            }
            other => other,
        }
    }
}

impl<C: Generated> Call<'_, C> {
    /// GET `path` (relative to the base URL, already encoded) through the same hooks as the
    /// generated calls, returning the raw body: for the reads whose typed decoding would drop a
    /// field the facade needs (`$meta.version`).
    pub(crate) async fn get_bytes(&self, path: &str) -> Result<(ResponseHead, Bytes)> {
        self.request_bytes(http::Method::GET, path, http::HeaderMap::new())
            .await
    }

    /// `method` `path` (relative to the base URL, already encoded) with `headers`, through the
    /// same hooks as the generated calls: for the requests whose generated form cannot say
    /// what the service takes (A-GNSS HEAD with comma-joined `types`).
    pub(crate) async fn request_bytes(
        &self,
        method: http::Method,
        path: &str,
        headers: http::HeaderMap,
    ) -> Result<(ResponseHead, Bytes)> {
        match self.scoped(self.send_bytes(method, path, headers)).await {
            (
                Err(_),
                Observed {
                    refused: Some(refused),
                    ..
                },
            ) => Err(refused.into()),
            (Err(mut e), seen) => {
                e.set_attempts(seen.attempts);
                Err(e)
            }
            (ok, _) => ok,
        }
    }

    async fn send_bytes(
        &self,
        method: http::Method,
        path: &str,
        headers: http::HeaderMap,
    ) -> Result<(ResponseHead, Bytes)> {
        let operation = self.op.operation_id;
        let info = OperationInfo {
            operation_id: self.op.method_name,
        };
        let url = format!("{}{path}", self.raw.baseurl());
        let mut request = self
            .raw
            .client()
            .request(method, url)
            .header(ACCEPT, "application/json")
            .headers(headers)
            .build()
            .map_err(|e| transport(operation, e))?;
        self.raw
            .pre::<()>(&mut request, &info)
            .await
            .map_err(|e| Error::invalid_request(operation, e.to_string()))?;
        let response = self
            .raw
            .exec(request, &info)
            .await
            .map_err(|e| transport(operation, e))?;
        let head = ResponseHead {
            status: response.status(),
            headers: response.headers().clone(),
        };
        let body = response
            .bytes()
            .await
            .map_err(|e| transport(operation, e))?;
        if head.status.is_success() {
            Ok((head, body))
        } else {
            Err(ErrorKind::Api(ApiError::from_parts(
                operation,
                head.status,
                &head.headers,
                &body,
            ))
            .into())
        }
    }
}
