//! FOTA job executions: one per targeted device and job, listed per job (with
//! `statusDetail`) or per device, fetched, the device's current one, and status updates (what a
//! device, or a tool acting for it, reports).

use chrono::{DateTime, Utc};
use nrfcloud_api::{ops, rest::types};

use super::status::{ExecutionStatus, FirmwareType};
use crate::{
    Client,
    error::{Error, Result},
    pagination::{self, Page, page_of},
};

/// One device's execution of a FOTA job.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct JobExecution {
    /// The device.
    pub device_id: String,
    /// The job, when the answer names it (the per-job list does not).
    pub job_id: Option<String>,
    /// Where it is.
    pub status: ExecutionStatus,
    /// What the device said (e.g. "FOTA update completed successfully").
    pub status_detail: Option<String>,
    /// Created.
    pub created_at: Option<DateTime<Utc>>,
    /// Last changed.
    pub last_updated_at: Option<DateTime<Utc>>,
    /// What the device downloads, when the answer has it.
    pub document: Option<JobDocument>,
}

/// The job document a device receives: where to download the image.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct JobDocument {
    /// The download host.
    pub host: Option<String>,
    /// The image path on `host`.
    pub path: Option<String>,
    /// Its type.
    pub firmware_type: Option<FirmwareType>,
    /// The image size in bytes.
    pub file_size: Option<u64>,
    /// Its version.
    pub version: Option<String>,
    /// The bundle.
    pub bundle_id: Option<String>,
}

fn status_of(s: Option<&str>) -> ExecutionStatus {
    ExecutionStatus::from(s.unwrap_or_default())
}

fn size(v: Option<f64>) -> Option<u64> {
    v.filter(|v| v.is_finite() && *v >= 0.0).map(|v| v as u64)
}

impl From<types::FotaJobExecutionState> for JobExecution {
    fn from(e: types::FotaJobExecutionState) -> Self {
        Self {
            device_id: e.device_id.unwrap_or_default(),
            job_id: None,
            status: status_of(e.status.as_deref()),
            status_detail: e.status_detail,
            created_at: None,
            last_updated_at: e.last_updated_at,
            document: None,
        }
    }
}

impl From<types::FotaV2JobDocumentModel> for JobDocument {
    fn from(d: types::FotaV2JobDocumentModel) -> Self {
        Self {
            host: d.host,
            path: d.path,
            firmware_type: d.firmware_type.as_deref().map(FirmwareType::from),
            file_size: size(d.file_size),
            version: d.version,
            bundle_id: d.bundle_id,
        }
    }
}

impl From<types::FotaJobExecution> for JobExecution {
    fn from(e: types::FotaJobExecution) -> Self {
        Self {
            device_id: e.device_id.unwrap_or_default(),
            job_id: e.job_id,
            status: status_of(e.status.as_deref()),
            status_detail: e.status_detail,
            created_at: e.created_at,
            last_updated_at: e.last_updated_at,
            document: e.job_document.map(Into::into),
        }
    }
}

impl From<types::FetchFotaJobExecution200Response> for JobExecution {
    fn from(e: types::FetchFotaJobExecution200Response) -> Self {
        use types::FetchFotaJobExecution200Response as Fetched;
        // The second member differs only in that its job-document fields may be null: read
        // both through the one shape.
        let value = match e {
            Fetched::FotaJobExecution(e) => return e.into(),
            Fetched::FetchFotaJobExecution200ResponseAnyOf(e) => {
                serde_json::to_value(e).unwrap_or_default()
            }
            Fetched::Unrecognized(v) => v.0,
        };
        let lenient = serde_json::from_value::<types::FotaJobExecution>(strip_nulls(value));
        lenient.map(Into::into).unwrap_or_else(|_| JobExecution {
            device_id: String::new(),
            job_id: None,
            status: ExecutionStatus::Other(String::new()),
            status_detail: None,
            created_at: None,
            last_updated_at: None,
            document: None,
        })
    }
}

/// `value` without its `null` members (the nullable job document of FetchFOTAJobExecution).
fn strip_nulls(value: serde_json::Value) -> serde_json::Value {
    match value {
        serde_json::Value::Object(map) => map
            .into_iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| (k, strip_nulls(v)))
            .collect(),
        other => other,
    }
}

/// Builder of [`FotaJobs::executions`](crate::fota::FotaJobs::executions).
#[derive(Clone, Debug)]
pub struct ListJobExecutions {
    client: Client,
    job_id: String,
    status: Option<ExecutionStatus>,
    page_limit: Option<u32>,
    page_token: Option<String>,
}

impl ListJobExecutions {
    pub(super) fn new(client: Client, job_id: String) -> Self {
        Self {
            client,
            job_id,
            status: None,
            page_limit: None,
            page_token: None,
        }
    }

    /// Only executions in this status.
    ///
    /// ```no_run
    /// # fn f(client: nrfcloud::Client) {
    /// use nrfcloud::fota::ExecutionStatus;
    /// let jobs = client.fota().jobs();
    /// let timed_out = jobs.executions("8b3b6c1e-6b9f-4c41-9e0a-2d6a8f6f1c3d").status(ExecutionStatus::TimedOut);
    /// # }
    /// ```
    pub fn status(mut self, status: ExecutionStatus) -> Self {
        self.status = Some(status);
        self
    }

    async fn fetch(self, token: Option<String>) -> Result<Page<JobExecution>> {
        let call = self
            .client
            .call(ops::rest::LIST_FOTA_JOB_EXECUTION_STATUSES);
        let mut request = call
            .raw
            .list_fota_job_execution_statuses()
            .job_id(self.job_id.as_str());
        if let Some(status) = self.status {
            let typed =
                types::FotaV2JobExecutionEvents::try_from(status.as_str()).map_err(|_| {
                    Error::invalid_request(
                        call.operation(),
                        format!("the service filters by the eight known statuses, not {status}"),
                    )
                })?;
            request = request.status(typed);
        }
        if let Some(limit) = pagination::page_limit(self.page_limit) {
            request = request.page_limit(limit);
        }
        if let Some(token) = token {
            request = request.page_next_token(token);
        }
        let job_id = self.job_id;
        page_of(call.run(request.send()).await, |e| {
            let mut e = JobExecution::from(e);
            e.job_id = Some(job_id.clone());
            Ok::<_, Error>(e)
        })
    }
}

crate::pagination::list_builder! {
    ListJobExecutions => JobExecution, ops::rest::LIST_FOTA_JOB_EXECUTION_STATUSES,
    "client.fota().jobs().executions(\"8b3b6c1e-6b9f-4c41-9e0a-2d6a8f6f1c3d\")",
    /// Every execution of the job, as a lazy stream.
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
    /// use futures::TryStreamExt;
    /// let jobs = client.fota().jobs();
    /// let mut executions = jobs.executions("8b3b6c1e-6b9f-4c41-9e0a-2d6a8f6f1c3d").stream();
    /// while let Some(e) = executions.try_next().await? {
    ///     println!("{} {}", e.device_id, e.status);
    /// }
    /// # Ok(())
    /// # }
    /// ```
}

/// The FOTA executions of one device: `client.fota().device(device_id)`.
#[derive(Clone, Debug)]
pub struct DeviceExecutions {
    client: Client,
    device_id: String,
}

impl DeviceExecutions {
    pub(super) fn new(client: Client, device_id: String) -> Self {
        Self { client, device_id }
    }

    /// Lists the device's executions, of every job.
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
    /// let page = client.fota().device("nrf-352656100123456").list().send().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn list(&self) -> ListDeviceExecutions {
        ListDeviceExecutions {
            client: self.client.clone(),
            device_id: self.device_id.clone(),
            page_limit: None,
            page_token: None,
        }
    }

    /// The device's execution of one job.
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
    /// let device = client.fota().device("nrf-352656100123456");
    /// let execution = device.get("8b3b6c1e-6b9f-4c41-9e0a-2d6a8f6f1c3d").await?;
    /// println!("{} {:?}", execution.status, execution.status_detail);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn get(&self, job_id: &str) -> Result<JobExecution> {
        let call = self.client.call(ops::rest::FETCH_FOTA_JOB_EXECUTION);
        let request = call
            .raw
            .fetch_fota_job_execution()
            .device_id(self.device_id.as_str())
            .job_id(job_id);
        Ok(call.run(request.send()).await?.into())
    }

    /// The execution the device should work on next (the oldest one not ended), of any type
    /// or of `firmware_type`; `None` when there is none (the service answers 404).
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
    /// use nrfcloud::fota::FirmwareType;
    /// let device = client.fota().device("nrf-352656100123456");
    /// if let Some(next) = device.current(Some(FirmwareType::App)).await? {
    ///     println!("next: job {:?}", next.job_id);
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub async fn current(
        &self,
        firmware_type: Option<FirmwareType>,
    ) -> Result<Option<JobExecution>> {
        let call = self
            .client
            .call(ops::rest::FETCH_CURRENT_PENDING_FOTA_JOB_EXECUTION);
        let mut request = call
            .raw
            .fetch_current_pending_fota_job_execution()
            .device_id(self.device_id.as_str());
        if let Some(t) = firmware_type {
            let typed = types::FirmwareTypes::try_from(t.as_str()).map_err(|_| {
                Error::invalid_request(call.operation(), format!("unknown firmware type {t}"))
            })?;
            request = request.firmware_type(typed);
        }
        match call.run(request.send()).await {
            Ok(e) => Ok(Some(e.into())),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Reports a status for the device's execution of a job, as the device would (sdk-nrf
    /// reports IN_PROGRESS, then SUCCEEDED, FAILED, REJECTED, TIMED_OUT or CANCELLED), with an
    /// optional detail.
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
    /// use nrfcloud::fota::ExecutionStatus;
    /// let device = client.fota().device("nrf-352656100123456");
    /// let job = "8b3b6c1e-6b9f-4c41-9e0a-2d6a8f6f1c3d";
    /// device.update(job, ExecutionStatus::Cancelled, Some("stale job, cleared by CI")).await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn update(
        &self,
        job_id: &str,
        status: ExecutionStatus,
        details: Option<&str>,
    ) -> Result<()> {
        let call = self
            .client
            .call(ops::rest::UPDATE_FOTA_JOB_EXECUTION_STATUS);
        let typed = types::FotaV2JobExecutionEvents::try_from(status.as_str()).map_err(|_| {
            Error::invalid_request(
                call.operation(),
                format!("the service takes the eight known statuses, not {status}"),
            )
        })?;
        let body = types::UpdateFotaJobExecutionStatusRequest {
            status: typed,
            details: details.map(str::to_owned),
        };
        let request = call
            .raw
            .update_fota_job_execution_status()
            .device_id(self.device_id.as_str())
            .job_id(job_id)
            .body(body);
        call.run(request.send()).await
    }
}

/// Builder of [`DeviceExecutions::list`].
#[derive(Clone, Debug)]
pub struct ListDeviceExecutions {
    client: Client,
    device_id: String,
    page_limit: Option<u32>,
    page_token: Option<String>,
}

crate::pagination::list_builder! {
    ListDeviceExecutions => JobExecution, ops::rest::LIST_FOTA_JOB_EXECUTIONS_FOR_DEVICE,
    "client.fota().device(\"nrf-352656100123456\").list()",
    /// Every execution of the device, as a lazy stream.
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
    /// use futures::TryStreamExt;
    /// let mut executions = client.fota().device("nrf-352656100123456").list().stream();
    /// while let Some(e) = executions.try_next().await? {
    ///     println!("{:?} {}", e.job_id, e.status);
    /// }
    /// # Ok(())
    /// # }
    /// ```
}

impl ListDeviceExecutions {
    async fn fetch(self, token: Option<String>) -> Result<Page<JobExecution>> {
        let call = self
            .client
            .call(ops::rest::LIST_FOTA_JOB_EXECUTIONS_FOR_DEVICE);
        let mut request = call
            .raw
            .list_fota_job_executions_for_device()
            .device_id(self.device_id.as_str());
        if let Some(limit) = pagination::page_limit(self.page_limit) {
            request = request.page_limit(limit);
        }
        if let Some(token) = token {
            request = request.page_next_token(token);
        }
        page_of(call.run(request.send()).await, |e| Ok::<_, Error>(e.into()))
    }
}
