//! Following a bulk operation to its end: FetchBulkOpsRequest with a doubling interval until
//! SUCCEEDED or FAILED or the run's deadline, and the download of its error summary.

use std::time::Duration;

use tokio::time::Instant;

use crate::{
    Client,
    bulk_ops::BulkOpsRequest,
    error::{ApiError, Error, ErrorKind, Result, transport},
    wait::Backoff,
};

/// How following an operation ended.
pub(crate) enum Followed {
    /// It ended (SUCCEEDED or FAILED).
    Done(BulkOpsRequest),
    /// The deadline passed; the last status seen.
    Deadline(String),
    /// Fetching it failed (after the client's own retries).
    Failed(String, Error),
}

/// Polls bulk operation `id` until it ends or `deadline` passes.
pub(crate) async fn follow(
    client: &Client,
    id: &str,
    deadline: Instant,
    first: Duration,
) -> Followed {
    let mut backoff = Backoff::new(first);
    let mut status = "PENDING".to_owned();
    loop {
        let wake = Instant::now() + backoff.next();
        if wake >= deadline {
            tokio::time::sleep_until(deadline).await;
            return Followed::Deadline(status);
        }
        tokio::time::sleep_until(wake).await;
        match tokio::time::timeout_at(deadline, client.bulk_ops().get(id).send()).await {
            Err(_) => return Followed::Deadline(status),
            Ok(Err(e)) => return Followed::Failed(status, e),
            Ok(Ok(op)) if op.status.is_terminal() => return Followed::Done(op),
            Ok(Ok(op)) => status = op.status.as_str().to_owned(),
        }
    }
}

const SUMMARY: &str = "DownloadErrorSummary";

/// The largest error summary read (one line per failed row of at most 1000 rows is far less);
/// a larger answer is not a summary, and reading it whole would let a server fill memory.
pub(crate) const MAX_SUMMARY_BYTES: usize = 16 << 20;

/// Whether `url` may be fetched: `https://`, or the origin of one of the client's own hosts (a
/// simulator or proxy on plain HTTP). Anything else (`http://169.254.169.254/`, `file:`) is
/// refused, since the URL comes from the server's answer.
fn summary_url_allowed(client: &Client, url: &reqwest::Url) -> bool {
    use progenitor_client::ClientInfo;
    let same_origin =
        |base: &str| reqwest::Url::parse(base).is_ok_and(|b| b.origin() == url.origin());
    url.scheme() == "https"
        || same_origin(client.raw().rest().baseurl())
        || same_origin(client.raw().provisioning().baseurl())
}

/// Downloads an error summary with a plain GET: the URL is pre-signed, and the API key must
/// not travel to the storage host. The client's timeouts apply; at most
/// [`MAX_SUMMARY_BYTES`] are read. `Err` is the reason, for the report.
pub(crate) async fn error_summary(
    client: &Client,
    url: &str,
    deadline: Instant,
) -> std::result::Result<String, String> {
    use progenitor_client::ClientInfo;
    let shown = crate::error::without_query(url);
    let parsed = reqwest::Url::parse(url)
        .map_err(|_| format!("its error summary URL {shown:?} is not a URL"))?;
    if !summary_url_allowed(client, &parsed) {
        return Err(format!(
            "its error summary URL {shown:?} is neither https:// nor one of the client's hosts; not fetched"
        ));
    }
    let http = client.raw().rest().client().clone();
    let get = async {
        let response: Result<String> = async {
            let mut response = http
                .get(parsed)
                .send()
                .await
                .map_err(|e| transport(SUMMARY, e))?;
            let status = response.status();
            let headers = response.headers().clone();
            let mut body = Vec::new();
            while let Some(chunk) = response.chunk().await.map_err(|e| transport(SUMMARY, e))? {
                if body.len() + chunk.len() > MAX_SUMMARY_BYTES {
                    return Err(Error::invalid_request(
                        SUMMARY,
                        format!("it is larger than {} MiB", MAX_SUMMARY_BYTES >> 20),
                    ));
                }
                body.extend_from_slice(&chunk);
            }
            if status.is_success() {
                Ok(String::from_utf8_lossy(&body).into_owned())
            } else {
                Err(ErrorKind::Api(ApiError::from_parts(SUMMARY, status, &headers, &body)).into())
            }
        }
        .await;
        response.map_err(|e| format!("cannot download its error summary: {e}"))
    };
    tokio::time::timeout_at(deadline, get)
        .await
        .unwrap_or_else(|_| Err("the deadline passed while downloading its error summary".into()))
}
