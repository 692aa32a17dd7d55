//! Whom one request serves, as its builder said: the device it is made for, and a device token
//! a proxy passes through. The credentials read it when they pick the `Authorization` for that
//! request; it lives in a tokio task-local because the hooks serve every call of the shared raw
//! client.

use std::future::Future;

use secrecy::SecretString;

/// What a request builder says about the device it serves.
#[derive(Clone, Debug, Default)]
pub(crate) struct Serving {
    /// The device the request is made for.
    pub device: Option<String>,
    /// A device's own JWT to send as the bearer, instead of the client's credentials.
    pub token: Option<SecretString>,
}

impl Serving {
    pub(crate) fn is_empty(&self) -> bool {
        self.device.is_none() && self.token.is_none()
    }
}

tokio::task_local! {
    static SERVING: Serving;
}

/// Runs `work` (one request) as serving `serving`.
pub(crate) async fn scope<T>(serving: Serving, work: impl Future<Output = T>) -> T {
    SERVING.scope(serving, work).await
}

/// Whom the request in progress serves (nobody in particular outside a [`scope`]).
pub(crate) fn current() -> Serving {
    SERVING.try_with(Clone::clone).unwrap_or_default()
}
