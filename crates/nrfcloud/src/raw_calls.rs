//! Any generated operation, with what the facade gives its own calls: one [`Error`] (status,
//! nRF code, message, request id, attempts), the client's credentials, retries, timeouts and
//! body limits (the shared hooks), a tracing span, and `stream()` over the pages of every
//! operation that takes a `pageNextToken`.
//!
//! The request is built with the generated builder, so every parameter the document declares
//! is there; only the sending and the answer go through the facade.

use std::{future::Future, sync::Arc};

use futures::Stream;
use nrfcloud_api::{
    Op,
    rest::{Error as RawError, ResponseValue},
};
use serde::de::DeserializeOwned;

use crate::{
    call::Generated,
    client::Clients,
    error::{ErrorBody, Result},
    pagination::{self, Envelope},
};

impl Clients {
    /// Sends one operation that `request` builds on the generated client `op` belongs to, and
    /// returns its answer, or the facade's [`Error`](crate::Error) for whatever went wrong
    /// (never the generated client's error type).
    ///
    /// `op` is the operation's typed handle in [`ops`](crate::raw::ops): it names the
    /// operation in errors and logs, and its type picks the REST or the provisioning client.
    ///
    /// ```no_run
    /// use nrfcloud::raw::ops;
    /// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
    /// let usage = client
    ///     .raw()
    ///     .send(ops::rest::FETCH_API_USAGE_SUMMARY, |rest| {
    ///         rest.fetch_api_usage_summary().send()
    ///     })
    ///     .await?;
    /// println!("{usage:?}");
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// A failure is the same [`Error`](crate::Error) the facade's own calls return:
    ///
    /// ```no_run
    /// use nrfcloud::raw::ops;
    /// # async fn run(client: nrfcloud::Client) {
    /// let fetched = client
    ///     .raw()
    ///     .send(ops::rest::FETCH_FOTA_JOB, |rest| rest.fetch_fota_job().job_id("no-such-job").send())
    ///     .await;
    /// if let Err(e) = fetched {
    ///     eprintln!("{e}: HTTP {:?}, nRF code {:?}, request {:?}", e.status(), e.nrf_code(), e.request_id());
    /// }
    /// # }
    /// ```
    pub async fn send<'a, C, T, E, F, Fut>(&'a self, op: Op<C>, request: F) -> Result<T>
    where
        C: Generated,
        E: ErrorBody,
        F: FnOnce(&'a C) -> Fut,
        Fut: Future<Output = std::result::Result<ResponseValue<T>, RawError<E>>>,
    {
        let call = self.call(op);
        call.run_any(request(call.raw)).await
    }

    /// Every item of a paginated operation, as a lazy stream: `page` builds and sends the
    /// request for one page on an owned copy of the generated client, given the token of the
    /// page to fetch (`None` for the first). The stream threads `pageNextToken` itself, treats
    /// nRF code 40499 as an empty list, ends with an error instead of looping when the service
    /// repeats a token, and yields a failure once and then ends (see [`pagination`]).
    ///
    /// ```no_run
    /// use futures::TryStreamExt;
    /// use nrfcloud::raw::ops;
    /// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
    /// let mut alerts = client.raw().stream(ops::rest::LIST_DEVICE_ALERTS, |rest, token| async move {
    ///     let mut request = rest.list_device_alerts();
    ///     if let Some(token) = token {
    ///         request = request.page_next_token(token);
    ///     }
    ///     request.send().await
    /// });
    /// while let Some(alert) = alerts.try_next().await? {
    ///     println!("{:?}", alert.device_id);
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn stream<C, P, E, F, Fut>(
        &self,
        op: Op<C>,
        page: F,
    ) -> impl Stream<Item = Result<P::Item>> + Send + Unpin + 'static
    where
        C: Generated,
        P: Envelope + DeserializeOwned + Send + 'static,
        P::Item: Send + 'static,
        E: ErrorBody + Send + 'static,
        F: Fn(C, Option<String>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = std::result::Result<ResponseValue<P>, RawError<E>>> + Send + 'static,
    {
        let raw = self.clone();
        let page = Arc::new(page);
        pagination::stream(op.operation().operation_id, move |token| {
            let (raw, page) = (raw.clone(), page.clone());
            async move {
                let call = raw.call(op);
                let response = call.run(page(call.raw.clone(), token)).await;
                pagination::page_of(response, Ok)
            }
        })
    }
}
