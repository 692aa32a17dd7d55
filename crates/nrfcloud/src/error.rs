//! One error type for every call: [`Error`], a pointer-sized wrapper around [`ErrorKind`], with
//! predicates for the questions callers ask (`is_not_found()`, `is_retryable()`, …).
//!
//! progenitor's `Error<NrfCloudError>` is converted here, in `from_raw`, and nowhere else.

use std::{error::Error as StdError, fmt};

use http::{HeaderMap, StatusCode};
use nrfcloud_api::{ResponseHead, Scheme};
use serde::de::DeserializeOwned;

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Response headers that carry a request id, most specific first. nRF Cloud runs behind AWS API
/// Gateway (`x-amzn-requestid`, `apigw-requestid` for HTTP APIs); proxies and the simulator may
/// use `x-request-id`. No public source pins the one nRF Cloud sends, so all are read.
pub const REQUEST_ID_HEADERS: [&str; 5] = [
    "x-amzn-requestid",
    "x-amzn-request-id",
    "x-amz-request-id",
    "apigw-requestid",
    "x-request-id",
];

/// Bodies kept in errors are cut to this many bytes.
const BODY_LIMIT: usize = 2048;

/// An error from an nRF Cloud call, from building a client, or from minting a token.
///
/// ```no_run
/// # async fn run(client: nrfcloud::Client) {
/// match client.devices().get("nrf-352656100123456").send().await {
///     Ok(device) => println!("version {:?}", device.version()),
///     Err(e) if e.is_not_found() => println!("no such device"),
///     Err(e) => eprintln!("{e} (nRF code {:?}, request {:?})", e.nrf_code(), e.request_id()),
/// }
/// # }
/// ```
pub struct Error(Box<ErrorKind>);

/// What went wrong; see [`Error::kind`].
#[derive(Debug)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The server answered with an error status (or a status the operation does not document).
    Api(ApiError),
    /// The request did not complete: connection, TLS, timeout.
    Transport(TransportError),
    /// A success response whose body does not match the expected type.
    Decode(DecodeError),
    /// No fitting credential, a bad key, or a token that could not be minted.
    Auth(AuthError),
    /// An argument was rejected before sending (e.g. a device id outside the allowed pattern).
    InvalidRequest(InvalidRequest),
    /// The client could not be configured (host URL, environment, HTTP client).
    Config(ConfigError),
    /// A wait ([`crate::wait`]) ran out of time before what it followed ended.
    Deadline(DeadlineError),
    /// A bulk run stopped early; it carries the report so far ([`Error::bulk_report`]).
    #[cfg(feature = "bulk")]
    #[cfg_attr(docsrs, doc(cfg(feature = "bulk")))]
    Bulk(crate::bulk::BulkError),
}

impl Error {
    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.0
    }

    /// What went wrong, by value.
    pub fn into_kind(self) -> ErrorKind {
        *self.0
    }

    /// The HTTP status, when the server answered.
    pub fn status(&self) -> Option<StatusCode> {
        match self.kind() {
            ErrorKind::Api(e) => Some(e.status),
            ErrorKind::Decode(e) => e.status,
            _ => None,
        }
    }

    /// The nRF error code of the body (`40410`, `42200`, …), when there is one.
    pub fn nrf_code(&self) -> Option<u32> {
        match self.kind() {
            ErrorKind::Api(e) => e.nrf_code,
            _ => None,
        }
    }

    /// The server's error message, when the body had one.
    pub fn message(&self) -> Option<&str> {
        match self.kind() {
            ErrorKind::Api(e) => e.message.as_deref(),
            _ => None,
        }
    }

    /// The request id the server (or its gateway) gave the failed request.
    pub fn request_id(&self) -> Option<&str> {
        match self.kind() {
            ErrorKind::Api(e) => e.request_id.as_deref(),
            ErrorKind::Decode(e) => e.request_id.as_deref(),
            _ => None,
        }
    }

    /// Whether trying again later may succeed: 429, 500, 502, 503, 504, timeouts and connection
    /// failures. Idempotent calls were already retried by the client's [`crate::retry::RetryPolicy`].
    pub fn is_retryable(&self) -> bool {
        match self.kind() {
            ErrorKind::Api(e) => matches!(e.status.as_u16(), 429 | 500 | 502 | 503 | 504),
            ErrorKind::Transport(e) => {
                matches!(e.kind, TransportKind::Timeout | TransportKind::Connect)
            }
            _ => false,
        }
    }

    /// The report so far of a bulk run that stopped early.
    #[cfg(feature = "bulk")]
    #[cfg_attr(docsrs, doc(cfg(feature = "bulk")))]
    pub fn bulk_report(&self) -> Option<&crate::bulk::BulkReport> {
        match self.kind() {
            ErrorKind::Bulk(e) => Some(e.report()),
            _ => None,
        }
    }

    /// HTTP 429.
    pub fn is_rate_limited(&self) -> bool {
        self.status() == Some(StatusCode::TOO_MANY_REQUESTS)
    }

    /// Requests sent for the call that failed, retries included: 1 when it was not sent again
    /// (or did not reach the server).
    pub fn attempts(&self) -> u32 {
        match self.kind() {
            ErrorKind::Api(e) => e.attempts,
            _ => 1,
        }
    }

    pub(crate) fn set_attempts(&mut self, attempts: u32) {
        if let ErrorKind::Api(e) = &mut *self.0 {
            e.attempts = attempts.max(1);
        }
    }

    /// HTTP 404.
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(StatusCode::NOT_FOUND)
    }

    /// HTTP 412: the `If-Match` version was stale; read the resource again.
    pub fn is_precondition_failed(&self) -> bool {
        self.status() == Some(StatusCode::PRECONDITION_FAILED)
    }

    /// HTTP 401: the credential was refused.
    pub fn is_unauthorized(&self) -> bool {
        self.status() == Some(StatusCode::UNAUTHORIZED)
    }

    /// The request or the connection timed out.
    pub fn is_timeout(&self) -> bool {
        matches!(self.kind(), ErrorKind::Transport(e) if e.kind == TransportKind::Timeout)
    }

    /// A wait ([`crate::wait`]) ended at its deadline, before what it followed ended.
    pub fn is_deadline(&self) -> bool {
        matches!(self.kind(), ErrorKind::Deadline(_))
    }

    pub(crate) fn deadline(
        operation: &'static str,
        waited: std::time::Duration,
        last_status: Option<String>,
    ) -> Self {
        ErrorKind::Deadline(DeadlineError {
            operation,
            waited,
            last_status,
        })
        .into()
    }

    pub(crate) fn invalid_request(operation: &'static str, message: impl Into<String>) -> Self {
        ErrorKind::InvalidRequest(InvalidRequest {
            operation,
            message: message.into(),
        })
        .into()
    }

    pub(crate) fn stuck_pagination(operation: &'static str) -> Self {
        ErrorKind::Decode(DecodeError {
            operation,
            status: None,
            path: "pageNextToken".into(),
            request_id: None,
            body: String::new(),
            source: "the server sent a page token again, or more than 100 empty pages in a \
                     row; stopping instead of looping"
                .into(),
        })
        .into()
    }

    /// A response that decoded but lacks what the call returns, or whose parts do not add up
    /// (an A-GNSS payload shorter than its `Content-Range` total), at `path`.
    pub(crate) fn incomplete(
        operation: &'static str,
        path: impl Into<String>,
        reason: impl Into<String>,
    ) -> Self {
        ErrorKind::Decode(DecodeError {
            operation,
            status: None,
            path: path.into(),
            request_id: None,
            body: String::new(),
            source: reason.into().into(),
        })
        .into()
    }

    pub(crate) fn config(message: impl Into<String>) -> Self {
        ErrorKind::Config(ConfigError {
            message: message.into(),
            source: None,
        })
        .into()
    }
}

impl From<ErrorKind> for Error {
    fn from(kind: ErrorKind) -> Self {
        Self(Box::new(kind))
    }
}

#[cfg(feature = "bulk")]
impl From<crate::bulk::BulkError> for Error {
    fn from(e: crate::bulk::BulkError) -> Self {
        ErrorKind::Bulk(e).into()
    }
}

impl From<AuthError> for Error {
    fn from(e: AuthError) -> Self {
        ErrorKind::Auth(e).into()
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind() {
            ErrorKind::Api(e) => e.fmt(f),
            ErrorKind::Transport(e) => e.fmt(f),
            ErrorKind::Decode(e) => e.fmt(f),
            ErrorKind::Auth(e) => e.fmt(f),
            ErrorKind::InvalidRequest(e) => e.fmt(f),
            ErrorKind::Config(e) => e.fmt(f),
            ErrorKind::Deadline(e) => e.fmt(f),
            #[cfg(feature = "bulk")]
            ErrorKind::Bulk(e) => e.fmt(f),
        }
    }
}

impl StdError for Error {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        // Each kind is its own error; its Display is ours, so the kind is skipped as a source
        // and its own source is returned (Display never repeats a source).
        match self.kind() {
            ErrorKind::Api(_) | ErrorKind::InvalidRequest(_) | ErrorKind::Deadline(_) => None,
            ErrorKind::Transport(e) => e.source(),
            ErrorKind::Decode(e) => e.source(),
            ErrorKind::Auth(e) => e.source(),
            ErrorKind::Config(e) => e.source(),
            #[cfg(feature = "bulk")]
            ErrorKind::Bulk(e) => e.source(),
        }
    }
}

/// The server answered with an error status.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ApiError {
    /// The operation, e.g. `FetchDevice`.
    pub(crate) operation: &'static str,
    /// The HTTP status.
    pub(crate) status: StatusCode,
    /// The nRF error code (`code` of the body).
    pub(crate) nrf_code: Option<u32>,
    /// The `message` of the body.
    pub(crate) message: Option<String>,
    /// The request id from the response headers.
    pub(crate) request_id: Option<String>,
    /// The raw body (cut to 2 KiB) when it was not the usual `{code, message}`, e.g. an empty
    /// body or a gateway's HTML page.
    pub(crate) body: Option<String>,
    /// Requests sent for the call, retries included.
    pub(crate) attempts: u32,
}

impl ApiError {
    /// Requests sent for the call, retries included (1 when it was not sent again).
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// The operation, e.g. `FetchDevice`.
    pub fn operation(&self) -> &'static str {
        self.operation
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The nRF error code (`code` of the body).
    pub fn nrf_code(&self) -> Option<u32> {
        self.nrf_code
    }

    /// The `message` of the body.
    pub fn message(&self) -> Option<&str> {
        self.message.as_deref()
    }

    /// The request id from the response headers.
    pub fn request_id(&self) -> Option<&str> {
        self.request_id.as_deref()
    }

    /// The raw body (cut to 2 KiB) when it was not the usual `{code, message}`, e.g. an
    /// empty body or a gateway's HTML page.
    pub fn body(&self) -> Option<&str> {
        self.body.as_deref()
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} failed with HTTP {}", self.operation, self.status)?;
        if let Some(code) = self.nrf_code {
            write!(f, " (nRF code {code})")?;
        }
        match (&self.message, &self.body) {
            (Some(m), _) => write!(f, ": {m}")?,
            (None, Some(b)) if !b.trim().is_empty() => write!(f, ": {}", b.trim())?,
            _ => {}
        }
        if self.attempts > 1 {
            write!(f, " (attempt {} of the request", self.attempts)?;
            if self.status == StatusCode::PRECONDITION_FAILED {
                // A resent conditional write: the first one may have changed the version.
                f.write_str("; an earlier attempt may have applied the change: read it again")?;
            }
            f.write_str(")")?;
        }
        Ok(())
    }
}

impl ApiError {
    /// Builds the error from a response's parts; `body` is the raw bytes, parsed as
    /// `{code, message}` when possible.
    pub(crate) fn from_parts(
        operation: &'static str,
        status: StatusCode,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Self {
        #[derive(serde::Deserialize)]
        struct Body {
            code: Option<serde_json::Value>,
            message: Option<String>,
        }
        let parsed = serde_json::from_slice::<Body>(body)
            .ok()
            .filter(|b| b.message.is_some() || b.code.is_some());
        let (nrf_code, message, body) = match parsed {
            Some(b) => (b.code.as_ref().and_then(code_of), b.message, None),
            None => (None, None, Some(truncate(body))),
        };
        Self {
            operation,
            status,
            nrf_code,
            message,
            request_id: request_id(headers),
            body,
            attempts: 1,
        }
    }

    fn from_typed(
        operation: &'static str,
        status: StatusCode,
        headers: &HeaderMap,
        code: Option<i64>,
        message: String,
    ) -> Self {
        Self {
            operation,
            status,
            nrf_code: code.and_then(|c| u32::try_from(c).ok()),
            message: Some(message),
            request_id: request_id(headers),
            body: None,
            attempts: 1,
        }
    }
}

fn code_of(v: &serde_json::Value) -> Option<u32> {
    match v {
        serde_json::Value::Number(n) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// The first request id header present.
pub(crate) fn request_id(headers: &HeaderMap) -> Option<String> {
    REQUEST_ID_HEADERS
        .iter()
        .find_map(|name| headers.get(*name))
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

fn truncate(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(BODY_LIMIT)]);
    let mut text = text.into_owned();
    if body.len() > BODY_LIMIT {
        text.push('…');
    }
    text
}

/// What kind of transport failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransportKind {
    /// No connection could be established (DNS, refused, TLS handshake).
    Connect,
    /// The request or the connection timed out.
    Timeout,
    /// The response body is longer than [`nrfcloud_api::MAX_BODY_BYTES`] (64 MiB); reading
    /// stopped there.
    BodyTooLarge,
    /// Anything else (connection reset, body read failure, …).
    Other,
}

/// The request did not complete.
#[derive(Debug)]
#[non_exhaustive]
pub struct TransportError {
    /// The operation, e.g. `FetchDevice`.
    pub(crate) operation: &'static str,
    /// What failed.
    pub(crate) kind: TransportKind,
    source: Box<dyn StdError + Send + Sync>,
}

impl TransportError {
    /// The operation, e.g. `FetchDevice`.
    pub fn operation(&self) -> &'static str {
        self.operation
    }

    /// What failed.
    pub fn kind(&self) -> TransportKind {
        self.kind
    }
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            TransportKind::Connect => "could not connect",
            TransportKind::Timeout => "timed out",
            TransportKind::BodyTooLarge => {
                return write!(
                    f,
                    "{} failed: the response body is larger than {} MiB",
                    self.operation,
                    nrfcloud_api::MAX_BODY_BYTES >> 20
                );
            }
            TransportKind::Other => "failed in transit",
        };
        write!(f, "{} {what}", self.operation)
    }
}

impl StdError for TransportError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        Some(&*self.source)
    }
}

/// A response body that does not match the expected type. `Debug` shows the body's size, not
/// the body: a success body can carry secrets (GenerateServiceKeyAndToken answers with a private
/// key); read [`DecodeError::body`] deliberately.
#[non_exhaustive]
pub struct DecodeError {
    /// The operation, e.g. `ListDevices`.
    pub(crate) operation: &'static str,
    /// The HTTP status of the response, when known.
    pub(crate) status: Option<StatusCode>,
    /// Where in the JSON document decoding failed, e.g. `items[3].$meta.createdAt`.
    pub(crate) path: String,
    /// The request id from the response headers.
    pub(crate) request_id: Option<String>,
    /// The raw body, cut to 2 KiB.
    pub(crate) body: String,
    source: Box<dyn StdError + Send + Sync>,
}

impl DecodeError {
    /// The operation, e.g. `ListDevices`.
    pub fn operation(&self) -> &'static str {
        self.operation
    }

    /// The HTTP status of the response, when known.
    pub fn status(&self) -> Option<StatusCode> {
        self.status
    }

    /// Where in the JSON document decoding failed, e.g. `items[3].$meta.createdAt`.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The request id from the response headers.
    pub fn request_id(&self) -> Option<&str> {
        self.request_id.as_deref()
    }

    /// The raw body, cut to 2 KiB. It can hold secrets (a success body of
    /// GenerateServiceKeyAndToken holds a private key): read it deliberately.
    pub fn body(&self) -> &str {
        &self.body
    }
}

impl fmt::Debug for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DecodeError")
            .field("operation", &self.operation)
            .field("status", &self.status)
            .field("path", &self.path)
            .field("request_id", &self.request_id)
            .field("body", &format_args!("[{} bytes]", self.body.len()))
            .field("source", &self.source)
            .finish()
    }
}

/// `url` without its query and fragment, where pre-signed URLs keep their signature.
pub(crate) fn without_query(url: &str) -> String {
    match url.find(['?', '#']) {
        Some(i) => format!("{}?[REDACTED]", &url[..i]),
        None => url.to_owned(),
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the response of {} does not match its schema at `{}`",
            self.operation, self.path
        )
    }
}

impl StdError for DecodeError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        Some(&*self.source)
    }
}

/// Decodes `bytes` as `T`, reporting the JSON path of the first mismatch.
pub(crate) fn decode<T: DeserializeOwned>(
    operation: &'static str,
    head: Option<&ResponseHead>,
    bytes: &[u8],
) -> Result<T> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        ErrorKind::Decode(DecodeError {
            operation,
            status: head.map(|h| h.status),
            path,
            request_id: head.and_then(|h| request_id(&h.headers)),
            body: truncate(bytes),
            source: Box::new(e.into_inner()),
        })
        .into()
    })
}

/// A wait that ran out of time: what it polled, for how long, and the last status it saw.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct DeadlineError {
    pub(crate) operation: &'static str,
    pub(crate) waited: std::time::Duration,
    pub(crate) last_status: Option<String>,
}

impl DeadlineError {
    /// The operation polled, e.g. `FetchBulkOpsRequest`.
    pub fn operation(&self) -> &'static str {
        self.operation
    }

    /// How long the wait lasted.
    pub fn waited(&self) -> std::time::Duration {
        self.waited
    }

    /// The last status seen, if any poll answered.
    pub fn last_status(&self) -> Option<&str> {
        self.last_status.as_deref()
    }
}

impl fmt::Display for DeadlineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.last_status {
            Some(status) => write!(
                f,
                "{}: still {status} when the deadline of {:?} passed",
                self.operation, self.waited
            ),
            None => write!(
                f,
                "{}: no answer before the deadline of {:?} passed",
                self.operation, self.waited
            ),
        }
    }
}

impl StdError for DeadlineError {}

/// An argument rejected before sending.
#[derive(Debug, Clone, thiserror::Error)]
#[error("invalid request to {operation}: {message}")]
#[non_exhaustive]
pub struct InvalidRequest {
    /// The operation, e.g. `UpdateDeviceName`.
    pub(crate) operation: &'static str,
    /// What is wrong.
    pub(crate) message: String,
}

impl InvalidRequest {
    /// The operation, e.g. `UpdateDeviceName`.
    pub fn operation(&self) -> &'static str {
        self.operation
    }

    /// What is wrong.
    pub fn message(&self) -> &str {
        &self.message
    }
}

/// The client could not be configured.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
#[non_exhaustive]
pub struct ConfigError {
    /// What is wrong.
    pub(crate) message: String,
    #[source]
    source: Option<Box<dyn StdError + Send + Sync>>,
}

impl ConfigError {
    /// What is wrong.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl ConfigError {
    pub(crate) fn with_source(
        message: impl Into<String>,
        source: impl StdError + Send + Sync + 'static,
    ) -> Error {
        ErrorKind::Config(ConfigError {
            message: message.into(),
            source: Some(Box::new(source)),
        })
        .into()
    }
}

/// A credential or key problem.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// No configured credential is accepted by the operation; nothing was sent.
    #[error(
        "{operation} accepts {}, but the client has {}",
        schemes(accepted),
        if configured.is_empty() { "no credentials".to_string() } else { schemes(configured) }
    )]
    MissingCredential {
        /// The operation, e.g. `ListDevices`.
        operation: &'static str,
        /// The schemes the operation accepts.
        accepted: Vec<Scheme>,
        /// The schemes the client has credentials for.
        configured: Vec<Scheme>,
    },
    /// The key could not be read.
    #[error("invalid private key: {reason}")]
    InvalidKey {
        /// Why.
        reason: String,
    },
    /// The key is of the wrong type for the algorithm.
    #[error("wrong key type: {algorithm} needs {expected}, but the key is {found}")]
    WrongKeyType {
        /// The JWT algorithm (`ES256`, `RS256`).
        algorithm: &'static str,
        /// The key it needs.
        expected: &'static str,
        /// The key that was given.
        found: String,
    },
    /// A claim value or lifetime is not allowed.
    #[error("invalid token claim: {reason}")]
    InvalidClaim {
        /// Why.
        reason: String,
    },
    /// Signing failed.
    #[error("could not sign the token")]
    Signing(#[source] Box<dyn StdError + Send + Sync>),
}

fn schemes(list: &[Scheme]) -> String {
    let names: Vec<&str> = list
        .iter()
        .map(|s| match s {
            Scheme::ApiKey => "an API key",
            Scheme::Jwt => "a JWT",
            Scheme::ServiceEvaluationToken => "a service evaluation token",
        })
        .collect();
    names.join(" or ")
}

/// The one conversion of the raw client's errors. `head` is the status and headers of the last
/// response, recorded by the hooks (progenitor drops them on `InvalidResponsePayload`);
/// `redecode` decodes a success body that did not match again, to find the JSON path of the
/// mismatch (`None`: report serde's own message at the document root).
pub(crate) async fn from_raw<E: ErrorBody>(
    operation: &'static str,
    head: Option<ResponseHead>,
    error: nrfcloud_api::rest::Error<E>,
    redecode: impl FnOnce(Option<&ResponseHead>, &[u8]) -> Option<Error>,
) -> Error {
    use nrfcloud_api::rest::Error as Raw;
    match error {
        Raw::InvalidRequest(message) => Error::invalid_request(operation, message),
        Raw::CommunicationError(e) | Raw::InvalidUpgrade(e) | Raw::ResponseBodyError(e) => {
            transport(operation, e)
        }
        Raw::ErrorResponse(rv) => {
            let (status, headers) = (rv.status(), rv.headers().clone());
            let (code, message) = rv.into_inner().into_parts();
            ErrorKind::Api(ApiError::from_typed(
                operation, status, &headers, code, message,
            ))
            .into()
        }
        Raw::InvalidResponsePayload(bytes, serde_error) => match head {
            Some(h) if !h.status.is_success() => ErrorKind::Api(ApiError::from_parts(
                operation, h.status, &h.headers, &bytes,
            ))
            .into(),
            head => match redecode(head.as_ref(), &bytes) {
                Some(e) => e,
                // No path-tracking decode (or it found nothing): report the typed decoder's
                // own message at the document root rather than inventing success.
                None => ErrorKind::Decode(DecodeError {
                    operation,
                    status: head.as_ref().map(|h| h.status),
                    path: ".".into(),
                    request_id: head.as_ref().and_then(|h| request_id(&h.headers)),
                    body: truncate(&bytes),
                    source: Box::new(serde_error),
                })
                .into(),
            },
        },
        Raw::UnexpectedResponse(response) => unexpected(operation, response).await,
        // The facade's own hook failures arrive typed through the call's slot
        // (`crate::call`); what is left is a request the hooks could not prepare.
        Raw::Custom(message) => Error::invalid_request(operation, message),
    }
}

mod sealed {
    pub trait Sealed {}
}

/// The `{code, message}` error body of either generated client
/// (`nrfcloud::raw::rest::types::NrfCloudError` and its provisioning twin): what
/// [`Clients::send`](crate::raw::Clients::send) turns into an [`Error`] with its nRF code.
/// Sealed: only those two implement it.
pub trait ErrorBody: sealed::Sealed {
    #[doc(hidden)]
    fn into_parts(self) -> (Option<i64>, String);
}

impl sealed::Sealed for nrfcloud_api::rest::types::NrfCloudError {}
impl ErrorBody for nrfcloud_api::rest::types::NrfCloudError {
    fn into_parts(self) -> (Option<i64>, String) {
        (self.code, self.message)
    }
}

impl sealed::Sealed for nrfcloud_api::provisioning::types::NrfCloudError {}
impl ErrorBody for nrfcloud_api::provisioning::types::NrfCloudError {
    fn into_parts(self) -> (Option<i64>, String) {
        (self.code, self.message)
    }
}

/// An undocumented status: kept as an API error with its body.
pub(crate) async fn unexpected(operation: &'static str, response: reqwest::Response) -> Error {
    let status = response.status();
    let headers = response.headers().clone();
    match response.bytes().await {
        Ok(body) => ErrorKind::Api(ApiError::from_parts(operation, status, &headers, &body)).into(),
        Err(e) => transport(operation, e),
    }
}

pub(crate) fn transport(operation: &'static str, e: reqwest::Error) -> Error {
    let kind = if e.is_connect() {
        TransportKind::Connect
    } else if e.is_timeout() {
        TransportKind::Timeout
    } else if nrfcloud_api::is_body_too_large(&e) {
        TransportKind::BodyTooLarge
    } else {
        TransportKind::Other
    };
    ErrorKind::Transport(TransportError {
        operation,
        kind,
        source: Box::new(e),
    })
    .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(status: u16, body: &str, headers: &[(&str, &str)]) -> Error {
        let mut map = HeaderMap::new();
        for (k, v) in headers {
            map.insert(
                http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        let status = StatusCode::from_u16(status).unwrap();
        ErrorKind::Api(ApiError::from_parts(
            "FetchDevice",
            status,
            &map,
            body.as_bytes(),
        ))
        .into()
    }

    #[test]
    fn nrf_body_fills_code_and_message() {
        let e = api(
            404,
            r#"{"code":40410,"message":"Device not found"}"#,
            &[("x-amzn-requestid", "r-1")],
        );
        assert!(e.is_not_found());
        assert_eq!(e.nrf_code(), Some(40410));
        assert_eq!(e.message(), Some("Device not found"));
        assert_eq!(e.request_id(), Some("r-1"));
        assert_eq!(
            e.to_string(),
            "FetchDevice failed with HTTP 404 Not Found (nRF code 40410): Device not found"
        );
    }

    #[test]
    fn other_bodies_keep_status_and_raw_text() {
        let e = api(503, "<html>busy</html>", &[("x-request-id", "r-2")]);
        assert!(e.is_retryable());
        assert_eq!(e.nrf_code(), None);
        assert_eq!(e.message(), None);
        assert_eq!(e.request_id(), Some("r-2"));
        let ErrorKind::Api(inner) = e.kind() else {
            panic!("{e:?}")
        };
        assert_eq!(inner.body.as_deref(), Some("<html>busy</html>"));
        let empty = api(412, "", &[]);
        assert!(empty.is_precondition_failed());
        assert!(!empty.is_retryable());
    }

    #[test]
    fn long_bodies_are_cut() {
        let long = "x".repeat(5000);
        let e = api(500, &long, &[]);
        let ErrorKind::Api(inner) = e.kind() else {
            panic!()
        };
        assert_eq!(inner.body.as_ref().unwrap().chars().count(), BODY_LIMIT + 1);
    }

    #[test]
    fn predicates() {
        assert!(api(429, "", &[]).is_rate_limited());
        assert!(api(429, "", &[]).is_retryable());
        assert!(api(401, "", &[]).is_unauthorized());
        assert!(!api(400, "", &[]).is_retryable());
        assert!(!api(404, "", &[]).is_timeout());
    }

    #[test]
    fn decode_reports_the_json_path() {
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)] // only decoded, never read
        struct Item {
            id: String,
            n: u32,
        }
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)] // only decoded, never read
        struct Page {
            items: Vec<Item>,
        }
        let body = br#"{"items":[{"id":"a","n":1},{"id":"b","n":"two"}]}"#;
        let e = decode::<Page>("ListDevices", None, body).unwrap_err();
        let ErrorKind::Decode(d) = e.kind() else {
            panic!("{e:?}")
        };
        assert_eq!(d.path, "items[1].n");
        assert!(e.to_string().contains("items[1].n"), "{e}");
        assert!(e.source().is_some());
    }

    #[test]
    fn missing_credential_names_operation_and_schemes() {
        let e = AuthError::MissingCredential {
            operation: "ListDevices",
            accepted: vec![Scheme::ApiKey],
            configured: vec![Scheme::Jwt],
        };
        assert_eq!(
            e.to_string(),
            "ListDevices accepts an API key, but the client has a JWT"
        );
    }
}
