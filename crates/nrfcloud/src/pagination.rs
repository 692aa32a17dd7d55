//! One paginator for every `pageNextToken` list: `.send()` gives one [`Page`], `.stream()` a lazy
//! stream of items that fetches the next page when the previous one is used up.
//!
//! A failure mid-way is yielded as an error and ends the stream: a caller never mistakes a
//! partial list for the whole. There is no `collect_all`; bound a stream with
//! `futures::StreamExt::take` when the list may be large.

use std::{
    collections::{HashSet, VecDeque},
    future::Future,
    hash::{Hash, Hasher},
};

use futures::Stream;

use crate::error::{Error, Result};

/// One page of a list.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Page<T> {
    items: Vec<T>,
    next_token: Option<String>,
}

impl<T> Page<T> {
    /// A page of `items`, followed by the page that `next_token` fetches (if any).
    ///
    /// ```
    /// use nrfcloud::pagination::Page;
    /// let page = Page::new(vec!["nrf-352656100123456"], Some("eyJvZmZzZXQiOjF9".to_owned()));
    /// assert!(!page.is_last());
    /// ```
    pub fn new(items: Vec<T>, next_token: Option<String>) -> Self {
        Self { items, next_token }
    }

    /// The items of this page.
    ///
    /// ```
    /// # let page = nrfcloud::pagination::Page::new(vec!["nrf-352656100123456"], None);
    /// for device_id in page.items() {
    ///     println!("{device_id}");
    /// }
    /// ```
    pub fn items(&self) -> &[T] {
        &self.items
    }

    /// The items, by value.
    ///
    /// ```
    /// # let page = nrfcloud::pagination::Page::new(vec!["nrf-352656100123456"], None);
    /// let device_ids: Vec<&str> = page.into_items();
    /// assert_eq!(device_ids, ["nrf-352656100123456"]);
    /// ```
    pub fn into_items(self) -> Vec<T> {
        self.items
    }

    /// The token that fetches the next page (pass it to the list builder's `page_token`);
    /// `None` on the last page.
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
    /// let page = client.devices().list().send().await?;
    /// if let Some(token) = page.next_token() {
    ///     let next = client.devices().list().page_token(token).send().await?;
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn next_token(&self) -> Option<&str> {
        self.next_token.as_deref()
    }

    /// Whether this is the last page.
    ///
    /// ```
    /// # use nrfcloud::pagination::Page;
    /// assert!(Page::new(vec!["nrf-352656100123456"], None).is_last());
    /// ```
    pub fn is_last(&self) -> bool {
        self.next_token.is_none()
    }

    /// Items and next token.
    ///
    /// ```
    /// # let page = nrfcloud::pagination::Page::new(vec!["nrf-352656100123456"], None);
    /// let (device_ids, next_token) = page.into_parts();
    /// assert!(next_token.is_none());
    /// ```
    pub fn into_parts(self) -> (Vec<T>, Option<String>) {
        (self.items, self.next_token)
    }
}

impl<T> IntoIterator for Page<T> {
    type Item = T;
    type IntoIter = std::vec::IntoIter<T>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.into_iter()
    }
}

mod sealed {
    pub trait Sealed {}
}

/// A generated `{items, pageNextToken}` envelope: the answer of each of the 19 operations that
/// take a `pageNextToken` (the operation table's `paginated`), which
/// [`Clients::stream`](crate::raw::Clients::stream) walks. Sealed: implemented for exactly
/// those generated types.
pub trait Envelope: sealed::Sealed {
    /// One item of the list.
    type Item;
    /// The items and the next page's token.
    fn into_page(self) -> Page<Self::Item>;
}

macro_rules! envelopes {
    ($($module:ident :: $ty:ident => $item:ident),* $(,)?) => {$(
        impl sealed::Sealed for nrfcloud_api::$module::types::$ty {}
        impl Envelope for nrfcloud_api::$module::types::$ty {
            type Item = nrfcloud_api::$module::types::$item;
            fn into_page(self) -> Page<Self::Item> {
                Page::new(self.items, self.page_next_token)
            }
        }
    )*};
}

envelopes! {
    rest::PaginatedResultInvoiceResponse => InvoiceResponse,
    rest::PaginatedResultOmitApiUsageMetricRecordTenantId =>
        PickApiUsageMetricRecordExcludeKeyofApiUsageMetricRecordTenantId,
    rest::PaginatedResultDeviceAlert => DeviceAlert,
    rest::PaginatedResultBulkOpsRequestDetails => BulkOpsRequestDetails,
    rest::PaginatedResultDeviceOrJsoNataTransformedResponse =>
        PaginatedResultDeviceOrJsoNataTransformedResponseItemsInner,
    rest::PaginatedResultDeviceTagOrJsoNataTransformedResponse =>
        PaginatedResultDeviceTagOrJsoNataTransformedResponseItemsInner,
    rest::PaginatedResultFirmware => Firmware,
    rest::PaginatedResultFotaJobExecutionState => FotaJobExecutionState,
    rest::PaginatedResultFotaJobExecution => FotaJobExecution,
    rest::PaginatedResultFotav2JobOrFotaJobV2Plus => PaginatedResultFotav2JobOrFotaJobV2PlusItemsInner,
    rest::PaginatedResultAnchor => Anchor,
    rest::PaginatedResultContributionItem => ContributionItem,
    rest::PaginatedResultLocationTrackerItem => LocationTrackerItem,
    rest::PaginatedResultDeviceMessage => DeviceMessage,
    provisioning::PaginatedClaimedDevices => ClaimedDevice,
    provisioning::PaginatedProvisioningTags => ProvisioningTag,
    provisioning::PaginatedProvisioningCommands => ProvisioningCommand,
    provisioning::PaginatedProvisioningRules => ProvisioningRule,
}

/// Adds `page_limit`, `page_token`, `send` and `stream` to a list builder that has the fields
/// `page_limit: Option<u32>` and `page_token: Option<String>` and an
/// `async fn fetch(self, token: Option<String>) -> Result<Page<Item>>`.
///
/// `$list` is the expression that makes the builder from a `client: nrfcloud::Client`, as a
/// string literal (e.g. `"client.devices().list()"`): the examples of `page_limit`,
/// `page_token` and `send` are written with it. The doc comments given go on `stream`.
macro_rules! list_builder {
    ($builder:ty => $item:ty, $op:expr, $list:literal, $(#[$stream_doc:meta])*) => {
        impl $builder {
            /// Items per page (the service's own default and maximum apply).
            ///
            /// ```no_run
            /// # fn f(client: nrfcloud::Client) {
            #[doc = concat!(" let req = ", $list, ".page_limit(50);")]
            /// # }
            /// ```
            pub fn page_limit(mut self, limit: u32) -> Self {
                self.page_limit = Some(limit);
                self
            }

            /// Start at the page this token (from
            /// [`Page::next_token`](crate::pagination::Page::next_token)) fetches.
            ///
            /// ```no_run
            /// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
            #[doc = concat!(" let first = ", $list, ".page_limit(50).send().await?;")]
            /// if let Some(token) = first.next_token() {
            #[doc = concat!("     let second = ", $list, ".page_token(token).send().await?;")]
            /// }
            /// # Ok(())
            /// # }
            /// ```
            pub fn page_token(mut self, token: impl Into<String>) -> Self {
                self.page_token = Some(token.into());
                self
            }

            /// One page.
            ///
            /// ```no_run
            /// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
            #[doc = concat!(" let page = ", $list, ".send().await?;")]
            /// println!("{} items, last page: {}", page.items().len(), page.is_last());
            /// # Ok(())
            /// # }
            /// ```
            pub async fn send(self) -> $crate::Result<$crate::pagination::Page<$item>> {
                let token = self.page_token.clone();
                self.fetch(token).await
            }

            $(#[$stream_doc])*
            pub fn stream(
                self,
            ) -> impl futures::Stream<Item = $crate::Result<$item>> + Send + Unpin + 'static {
                let operation = $op.operation().operation_id;
                $crate::pagination::stream(operation, move |token| self.clone().fetch(token))
            }
        }
    };
}
pub(crate) use list_builder;

/// A builder's `page_limit` as the generated clients take it (0 means: the service's default).
pub(crate) fn page_limit(limit: Option<u32>) -> Option<std::num::NonZeroU64> {
    limit.and_then(|l| std::num::NonZeroU64::new(l.into()))
}

/// nRF code 40499: "not found, but not an error" (an empty list).
const EMPTY_LIST: u32 = 40499;

/// A list response as a page: the envelope's items mapped by `item`, and nRF code 40499 as an
/// empty page.
pub(crate) fn page_of<P: Envelope, T>(
    response: Result<P>,
    item: impl FnMut(P::Item) -> Result<T>,
) -> Result<Page<T>> {
    match response {
        Ok(envelope) => {
            let (items, next) = envelope.into_page().into_parts();
            let items = items.into_iter().map(item).collect::<Result<Vec<T>>>()?;
            Ok(Page::new(items, next))
        }
        Err(e) if e.nrf_code() == Some(EMPTY_LIST) => Ok(Page::new(Vec::new(), None)),
        Err(e) => Err(e),
    }
}

enum Next {
    First,
    Token(String),
    Done,
    /// The last page's items are still yielded; then the stuck-pagination error.
    Stuck,
}

/// How many empty pages in a row, each with a next token, a list may answer before the stream
/// gives up: a page can be empty on a filtered scan, a hundred in a row is a server going round.
pub(crate) const MAX_EMPTY_PAGES: u32 = 100;

/// Where a paged walk is, and what it has seen: a hash of every token (8 bytes a page, so a
/// cycle A→B→A is caught at any length) and the current run of empty pages.
struct Walk {
    next: Next,
    seen: HashSet<u64>,
    empty_run: u32,
}

impl Walk {
    /// Records the answer to one page request: what to fetch next, or [`Next::Stuck`] when the
    /// walk is going nowhere.
    fn advance(&mut self, empty: bool, following: Option<String>) {
        self.next = match following {
            None => Next::Done,
            Some(token) => {
                let mut h = std::collections::hash_map::DefaultHasher::new();
                token.hash(&mut h);
                self.empty_run = if empty { self.empty_run + 1 } else { 0 };
                if !self.seen.insert(h.finish()) || self.empty_run > MAX_EMPTY_PAGES {
                    Next::Stuck
                } else {
                    Next::Token(token)
                }
            }
        };
    }
}

/// Items of every page, fetched lazily with `fetch(token)` (`None` for the first page). A
/// token seen before, or more than [`MAX_EMPTY_PAGES`] empty pages in a row, ends the stream
/// with the stuck-pagination error instead of looping forever.
pub(crate) fn stream<T, F, Fut>(
    operation: &'static str,
    fetch: F,
) -> impl Stream<Item = Result<T>> + Send + Unpin + 'static
where
    T: Send + 'static,
    F: Fn(Option<String>) -> Fut + Send + 'static,
    Fut: Future<Output = Result<Page<T>>> + Send + 'static,
{
    let walk = Walk {
        next: Next::First,
        seen: HashSet::new(),
        empty_run: 0,
    };
    let state = (fetch, VecDeque::<T>::new(), walk);
    // Boxed so that the stream is `Unpin`: `stream.try_next().await` works without pinning.
    Box::pin(futures::stream::try_unfold(
        state,
        move |(fetch, mut buffer, mut walk)| async move {
            loop {
                if let Some(item) = buffer.pop_front() {
                    return Ok(Some((item, (fetch, buffer, walk))));
                }
                let token = match std::mem::replace(&mut walk.next, Next::Done) {
                    Next::Done => return Ok(None),
                    Next::Stuck => return Err(Error::stuck_pagination(operation)),
                    Next::First => None,
                    Next::Token(t) => Some(t),
                };
                let (items, following) = fetch(token).await?.into_parts();
                walk.advance(items.is_empty(), following);
                buffer = items.into();
            }
        },
    ))
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use futures::{StreamExt, TryStreamExt};

    use super::*;

    type Tokens = Arc<Mutex<Vec<Option<String>>>>;

    /// A fake list of `pages`, recording the tokens it was asked for.
    fn fake(
        pages: Vec<(Vec<u32>, Option<&'static str>)>,
        fail_on: Option<usize>,
    ) -> (impl Stream<Item = Result<u32>> + Send + 'static, Tokens) {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        let s = stream("ListDevices", move |token: Option<String>| {
            let log = log.clone();
            let pages = pages.clone();
            async move {
                let n = {
                    let mut log = log.lock().unwrap();
                    log.push(token);
                    log.len() - 1
                };
                if Some(n) == fail_on {
                    return Err(Error::invalid_request("ListDevices", "boom"));
                }
                let (items, next) = pages[n].clone();
                Ok(Page::new(items, next.map(str::to_owned)))
            }
        });
        (s, seen)
    }

    #[tokio::test]
    async fn threads_tokens_and_skips_empty_pages() {
        let (s, seen) = fake(
            vec![
                (vec![1, 2], Some("a+b/c")),
                (vec![], Some("t2")),
                (vec![3], None),
            ],
            None,
        );
        assert_eq!(s.try_collect::<Vec<_>>().await.unwrap(), vec![1, 2, 3]);
        assert_eq!(
            *seen.lock().unwrap(),
            vec![None, Some("a+b/c".to_owned()), Some("t2".to_owned())]
        );
    }

    #[tokio::test]
    async fn lazy_and_failing_loudly() {
        let (s, seen) = fake(vec![(vec![1, 2], Some("t1")), (vec![3], None)], None);
        let first: Vec<_> = s.take(2).collect().await;
        assert_eq!(first.len(), 2);
        assert_eq!(
            seen.lock().unwrap().len(),
            1,
            "the second page was not needed"
        );

        let (s, _) = fake(vec![(vec![1], Some("t1")), (vec![2], None)], Some(1));
        let all: Vec<Result<u32>> = s.collect().await;
        assert_eq!(all.len(), 2);
        assert_eq!(*all[0].as_ref().unwrap(), 1);
        assert!(all[1].is_err(), "the failure is yielded, not swallowed");
    }

    #[tokio::test]
    async fn a_token_that_does_not_advance_is_an_error() {
        let (s, _) = fake(vec![(vec![1], Some("same")), (vec![2], Some("same"))], None);
        let all: Vec<Result<u32>> = s.collect().await;
        assert!(all.last().unwrap().is_err());
    }

    #[tokio::test]
    async fn a_token_cycle_is_an_error_not_a_loop() {
        let (s, seen) = fake(
            vec![
                (vec![1], Some("A")),
                (vec![2], Some("B")),
                (vec![3], Some("A")),
                (vec![4], None),
            ],
            None,
        );
        let all: Vec<Result<u32>> = s.collect().await;
        assert_eq!(all.len(), 4, "{all:?}");
        assert_eq!(
            all[..3]
                .iter()
                .map(|r| *r.as_ref().unwrap())
                .collect::<Vec<_>>(),
            [1, 2, 3]
        );
        let crate::error::ErrorKind::Decode(e) = all[3].as_ref().unwrap_err().kind() else {
            panic!("{:?}", all[3])
        };
        assert_eq!(
            (e.operation, e.path.as_str()),
            ("ListDevices", "pageNextToken")
        );
        assert_eq!(
            seen.lock().unwrap().len(),
            3,
            "the repeated A is not fetched again"
        );
    }

    #[tokio::test]
    async fn endless_empty_pages_with_fresh_tokens_end_the_stream() {
        let fetches = Arc::new(Mutex::new(0u32));
        let count = fetches.clone();
        let s = stream("ListDevices", move |_token: Option<String>| {
            let count = count.clone();
            async move {
                let mut n = count.lock().unwrap();
                *n += 1;
                Ok(Page::<u32>::new(Vec::new(), Some(format!("fresh-{n}"))))
            }
        });
        let all: Vec<Result<u32>> = s.collect().await;
        assert_eq!(all.len(), 1);
        let crate::error::ErrorKind::Decode(e) = all[0].as_ref().unwrap_err().kind() else {
            panic!("{:?}", all[0])
        };
        assert_eq!(e.path, "pageNextToken");
        assert_eq!(*fetches.lock().unwrap(), MAX_EMPTY_PAGES + 1);
    }

    #[test]
    fn empty_list_code_is_an_empty_page() {
        use crate::error::{ApiError, ErrorKind};
        let api = ApiError::from_parts(
            "ListDevices",
            http::StatusCode::NOT_FOUND,
            &http::HeaderMap::new(),
            br#"{"code":40499,"message":"No devices found"}"#,
        );
        let r: Result<nrfcloud_api::provisioning::types::PaginatedProvisioningTags> =
            Err(ErrorKind::Api(api).into());
        let page = page_of(r, Ok).unwrap();
        assert!(page.items().is_empty() && page.is_last());
        let other = ApiError::from_parts(
            "ListDevices",
            http::StatusCode::NOT_FOUND,
            &http::HeaderMap::new(),
            br#"{"code":40410,"message":"nope"}"#,
        );
        let r: Result<nrfcloud_api::provisioning::types::PaginatedProvisioningTags> =
            Err(ErrorKind::Api(other).into());
        assert!(page_of(r, Ok).is_err());
    }
}
