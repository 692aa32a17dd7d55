//! Bulk-operation requests (REST `Bulk Ops Requests`): the asynchronous jobs behind bulk
//! onboarding, key registration and bulk claims.

use nrfcloud_api::ops;
use std::fmt;

use chrono::{DateTime, Utc};
use nrfcloud_api::rest::types;

use crate::{
    Client,
    error::{Error, Result},
    open_enum::open_enum,
    pagination::{Page, page_of},
    wait::Wait,
};

open_enum! {
    /// Where a bulk operation is in its life.
    pub enum BulkOpsStatus {
        /// Accepted, not started.
        Pending => "PENDING",
        /// Running.
        InProgress => "IN_PROGRESS",
        /// Done; some rows may still have failed (see the error summary).
        Failed => "FAILED",
        /// Done without errors.
        Succeeded => "SUCCEEDED",
    }
}

impl BulkOpsStatus {
    /// Whether the operation has ended: anything but PENDING and IN_PROGRESS. A status the
    /// service adds (`CANCELLED`, say) counts as ended, so nothing polls it until a deadline;
    /// the bulk engine then reports its rows unconfirmed, and a re-run sends them again.
    ///
    /// ```
    /// use nrfcloud::bulk_ops::BulkOpsStatus;
    /// assert!(BulkOpsStatus::Succeeded.is_terminal());
    /// assert!(!BulkOpsStatus::InProgress.is_terminal());
    /// ```
    pub fn is_terminal(&self) -> bool {
        !matches!(self, Self::Pending | Self::InProgress)
    }
}

open_enum! {
    /// The operation a bulk request runs (the set has changed before: `PROVISION_DEVICES`).
    pub enum BulkOpsEndpoint {
        /// RegisterPublicKeys.
        RegisterPublicKeys => "REGISTER_PUBLIC_KEYS",
        /// RegisterCertificates.
        RegisterCertificates => "REGISTER_CERTIFICATES",
        /// OnboardDevices.
        OnboardDevices => "ONBOARD_DEVICES",
        /// Attestation-token verification.
        VerifyAttestationTokens => "VERIFY_ATTESTATION_TOKENS",
        /// JWT verification.
        VerifyJwts => "VERIFY_JWTS",
        /// A bulk claim.
        ClaimDeviceOwnership => "CLAIM_DEVICE_OWNERSHIP",
        /// The 2021–2022 name of bulk onboarding.
        ProvisionDevices => "PROVISION_DEVICES",
    }
}

/// A bulk-operation request. Its URLs are pre-signed: `Debug` shows where they point, never
/// their query (the signature).
#[derive(Clone)]
#[non_exhaustive]
pub struct BulkOpsRequest {
    /// Its id (a ULID).
    pub id: String,
    /// What it runs (the claiming guide's example answer leaves it out).
    pub endpoint: Option<BulkOpsEndpoint>,
    /// Where it is.
    pub status: BulkOpsStatus,
    /// When it was requested.
    pub requested_at: Option<DateTime<Utc>>,
    /// When it ended.
    pub completed_at: Option<DateTime<Utc>>,
    /// The uploaded input.
    pub uploaded_data_url: Option<String>,
    /// The results, when there are any.
    pub result_data_url: Option<String>,
    /// The errors and their row indices, when it failed (fetch without credentials).
    pub error_summary_url: Option<String>,
}

impl fmt::Debug for BulkOpsRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let url = |u: &Option<String>| u.as_deref().map(crate::error::without_query);
        f.debug_struct("BulkOpsRequest")
            .field("id", &self.id)
            .field("endpoint", &self.endpoint)
            .field("status", &self.status)
            .field("requested_at", &self.requested_at)
            .field("completed_at", &self.completed_at)
            .field("uploaded_data_url", &url(&self.uploaded_data_url))
            .field("result_data_url", &url(&self.result_data_url))
            .field("error_summary_url", &url(&self.error_summary_url))
            .finish()
    }
}

impl From<types::BulkOpsRequestDetails> for BulkOpsRequest {
    fn from(d: types::BulkOpsRequestDetails) -> Self {
        Self {
            id: d.bulk_ops_request_id.to_string(),
            endpoint: d
                .endpoint
                .as_ref()
                .map(|e| BulkOpsEndpoint::from(e.as_str())),
            status: BulkOpsStatus::from(d.status.as_str()),
            requested_at: d.requested_at,
            completed_at: d.completed_at,
            uploaded_data_url: d.uploaded_data_url,
            result_data_url: d.result_data_url,
            error_summary_url: d.error_summary_url,
        }
    }
}

/// The bulk-operations handle: `client.bulk_ops()`.
#[derive(Clone, Debug)]
pub struct BulkOps {
    client: Client,
}

impl Client {
    /// Bulk-operation requests.
    ///
    /// ```no_run
    /// # fn f(client: nrfcloud::Client) {
    /// let bulk_ops = client.bulk_ops();
    /// # }
    /// ```
    pub fn bulk_ops(&self) -> BulkOps {
        BulkOps {
            client: self.clone(),
        }
    }
}

impl BulkOps {
    /// Fetches one request by id.
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
    /// let request = client.bulk_ops().get("01JB8Z6X3Q9R4T5V7W2YKMNPCD").send().await?;
    /// println!("{}: {}", request.id, request.status);
    /// # Ok(())
    /// # }
    /// ```
    pub fn get(&self, id: impl Into<String>) -> GetBulkOps {
        GetBulkOps {
            client: self.client.clone(),
            id: id.into(),
        }
    }

    /// Follows request `id` until it ends (SUCCEEDED, FAILED, or a status this SDK does not
    /// know), with progress and a deadline: see [`Wait`].
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
    /// use std::time::Duration;
    /// let op = client
    ///     .bulk_ops()
    ///     .wait("01JB8Z6X3Q9R4T5V7W2YKMNPCD")
    ///     .deadline(Duration::from_secs(300))
    ///     .on_progress(|op| eprintln!("{}", op.status))
    ///     .send()
    ///     .await?;
    /// println!("{}: {}", op.id, op.status);
    /// # Ok(())
    /// # }
    /// ```
    pub fn wait(&self, id: impl Into<String>) -> Wait<BulkOpsRequest> {
        let (bulk_ops, id) = (self.clone(), id.into());
        Wait::new(
            ops::rest::FETCH_BULK_OPS_REQUEST.operation().operation_id,
            move || bulk_ops.get(id.clone()).send(),
            |op| op.status.is_terminal(),
            |op| op.status.to_string(),
        )
    }

    /// Lists requests, newest first.
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
    /// let page = client.bulk_ops().list().send().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn list(&self) -> ListBulkOps {
        ListBulkOps {
            client: self.client.clone(),
            status: None,
            page_limit: None,
            page_token: None,
        }
    }
}

/// Builder of [`BulkOps::get`].
#[derive(Clone, Debug)]
pub struct GetBulkOps {
    client: Client,
    id: String,
}

impl GetBulkOps {
    /// Fetches the request.
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
    /// let request = client.bulk_ops().get("01JB8Z6X3Q9R4T5V7W2YKMNPCD").send().await?;
    /// if request.status.is_terminal() {
    ///     println!("errors: {:?}", request.error_summary_url);
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub async fn send(self) -> Result<BulkOpsRequest> {
        let call = self.client.call(ops::rest::FETCH_BULK_OPS_REQUEST);
        let request = call
            .raw
            .fetch_bulk_ops_request()
            .bulk_ops_request_id(self.id.as_str());
        Ok(call.run(request.send()).await?.into())
    }
}

/// Builder of [`BulkOps::list`].
#[derive(Clone, Debug)]
pub struct ListBulkOps {
    client: Client,
    status: Option<BulkOpsStatus>,
    page_limit: Option<u32>,
    page_token: Option<String>,
}

crate::pagination::list_builder! {
    ListBulkOps => BulkOpsRequest, ops::rest::LIST_BULK_OPS_REQUESTS, "client.bulk_ops().list()",
    /// Every request, as a lazy stream.
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
    /// use futures::TryStreamExt;
    /// let mut requests = client.bulk_ops().list().stream();
    /// while let Some(request) = requests.try_next().await? {
    ///     println!("{} {:?}: {}", request.id, request.endpoint, request.status);
    /// }
    /// # Ok(())
    /// # }
    /// ```
}

impl ListBulkOps {
    /// Only requests in this state.
    ///
    /// ```no_run
    /// # fn f(client: nrfcloud::Client) {
    /// use nrfcloud::bulk_ops::BulkOpsStatus;
    /// let req = client.bulk_ops().list().status(BulkOpsStatus::Failed);
    /// # }
    /// ```
    pub fn status(mut self, status: BulkOpsStatus) -> Self {
        self.status = Some(status);
        self
    }

    async fn fetch(self, token: Option<String>) -> Result<Page<BulkOpsRequest>> {
        let call = self.client.call(ops::rest::LIST_BULK_OPS_REQUESTS);
        let mut request = call.raw.list_bulk_ops_requests();
        if let Some(status) = self.status {
            request = request.status(types::BulkOpsRequestStatus(status.as_str().to_owned()));
        }
        if let Some(limit) = self.page_limit {
            request = request.page_limit(f64::from(limit));
        }
        if let Some(token) = token {
            request = request.page_next_token(token);
        }
        page_of(call.run(request.send()).await, |d| Ok::<_, Error>(d.into()))
    }
}
