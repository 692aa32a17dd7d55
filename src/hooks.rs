//! What every generated request passes through: the per-operation credential and the upload
//! `Content-Type` (progenitor ignores `security` and cannot send `text/csv`).

use std::{fmt, sync::Arc};

use progenitor_client::{ClientHooks, Error, OperationInfo};
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue};

use crate::operations::{Api, Operation};

/// Supplies the `Authorization` header for an operation.
///
/// The facade implements this with its API key and JWT credentials; the operation tells which
/// schemes are accepted. Implementations must keep secrets out of their `Debug` output.
pub trait Authorize: Send + Sync + fmt::Debug {
    /// Returns the header value to send (e.g. `Bearer …`), `None` to send none, or an error
    /// message when no configured credential fits the operation. The request is not sent then.
    fn authorize(&self, operation: &Operation) -> Result<Option<HeaderValue>, String>;
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
}

impl Inner {
    /// No credentials: only unauthenticated operations succeed.
    pub fn new() -> Self {
        Self::default()
    }

    /// Uses `authorizer` for every request.
    pub fn with_authorizer(mut self, authorizer: Arc<dyn Authorize>) -> Self {
        self.authorizer = Some(authorizer);
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
        if let Some(auth) = &self.authorizer {
            if let Some(mut value) = auth.authorize(op)? {
                value.set_sensitive(true);
                request.headers_mut().insert(AUTHORIZATION, value);
            }
        }
        Ok(())
    }
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
        }
    };
}

hooks_for!(crate::rest::Client, Api::Rest);
hooks_for!(crate::provisioning::Client, Api::Provisioning);
