//! The operation table written by `build.rs`: what progenitor does not keep (auth schemes,
//! upload media types, pagination) for every operation of both APIs.

use std::{fmt, marker::PhantomData};

/// Which API an operation belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Api {
    /// The REST API, `https://api.nrfcloud.com/v1`.
    Rest,
    /// The Provisioning Service, `https://api.provisioning.nrfcloud.com/v1`.
    Provisioning,
}

/// An authentication scheme of the nRF Cloud documents (`components.securitySchemes`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// "Simple Token": the team API key as a bearer token.
    ApiKey,
    /// "JSON Web Token": a device or service-key JWT as a bearer token.
    Jwt,
    /// "Service Evaluation Token": the 30-day location-services evaluation token.
    ServiceEvaluationToken,
}

/// One operation of the patched documents.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Operation {
    /// The API it belongs to.
    pub api: Api,
    /// The operationId of the document, e.g. `FetchDevice`.
    pub operation_id: &'static str,
    /// The generated method's name, e.g. `fetch_device` (also `OperationInfo::operation_id`).
    pub method_name: &'static str,
    /// HTTP method, upper case.
    pub method: &'static str,
    /// Path template relative to the API's base URL, e.g. `/devices/{deviceId}`.
    pub path: &'static str,
    /// The operation's (first) tag.
    pub tag: &'static str,
    /// Accepted schemes; any one of them suffices. Empty: no authentication declared.
    pub schemes: &'static [Scheme],
    /// Media type(s) of the request body on the wire, comma-separated; empty without a body.
    pub body_media_type: &'static str,
    /// `Content-Type` the hooks set on the raw upload body (e.g. `text/csv`).
    pub upload_content_type: Option<&'static str>,
    /// Whether the operation pages with `pageNextToken`.
    pub paginated: bool,
}

impl Operation {
    /// Looks up an operation by API and generated method name.
    ///
    /// ```
    /// use nrfcloud_api::{Api, Operation, Scheme};
    /// let op = Operation::find(Api::Rest, "fetch_device").unwrap();
    /// assert_eq!(op.schemes, &[Scheme::ApiKey, Scheme::Jwt]);
    /// ```
    pub fn find(api: Api, method_name: &str) -> Option<&'static Operation> {
        OPERATIONS
            .iter()
            .find(|op| op.api == api && op.method_name == method_name)
    }

    /// Looks up an operation by API and operationId (`FetchDevice`).
    pub fn by_id(api: Api, operation_id: &str) -> Option<&'static Operation> {
        OPERATIONS
            .iter()
            .find(|op| op.api == api && op.operation_id == operation_id)
    }
}

/// One operation of the API whose generated client is `C`: the typed handles of [`crate::ops`]
/// (`ops::rest::FETCH_DEVICE`). A handle of one API cannot be passed where the other's is
/// expected, and a misspelt or removed operation does not compile.
///
/// ```
/// use nrfcloud_api::{ops, Scheme};
/// let fetch = ops::rest::FETCH_DEVICE.operation();
/// assert_eq!((fetch.method, fetch.path), ("GET", "/devices/{deviceId}"));
/// assert_eq!(fetch.schemes, &[Scheme::ApiKey, Scheme::Jwt]);
/// ```
pub struct Op<C> {
    operation: &'static Operation,
    client: PhantomData<fn() -> C>,
}

impl<C> Op<C> {
    pub(crate) const fn new(operation: &'static Operation) -> Self {
        Self {
            operation,
            client: PhantomData,
        }
    }

    /// The operation's row of [`OPERATIONS`].
    pub const fn operation(self) -> &'static Operation {
        self.operation
    }
}

impl<C> Clone for Op<C> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<C> Copy for Op<C> {}

impl<C> fmt::Debug for Op<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.operation.operation_id)
    }
}

/// Every operation of both documents, in document order.
pub static OPERATIONS: &[Operation] = include!(concat!(env!("OUT_DIR"), "/operations.rs"));
