//! FOTA jobs (REST `FOTA Jobs`): create for device ids and tags, apply, cancel, fetch, list,
//! delete, and the executions of one job.

use chrono::{DateTime, Utc};
use nrfcloud_api::{ops, rest::types};
use serde_json::json;

use super::{
    executions::ListJobExecutions,
    rollout::{ExecutionCounts, WaitJob},
    status::{FirmwareType, JobStatus},
};
use crate::{
    Client,
    error::{Error, Result, decode},
    ids::is_device_id,
    pagination::{self, Page, page_of},
};

/// The most device ids, and the most tags, one job may target (the REST document's `maxItems`;
/// nrfcloud-utils' `FOTA_JOB_DEV_ID_LIST_MAX`). Target a tag to reach more devices.
pub const MAX_TARGETS: usize = 100;
/// The longest job name, in characters.
pub const MAX_NAME_CHARS: usize = 64;
/// The longest job description, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 1024;

/// A FOTA job. The live service leaves out fields its document requires (`target`,
/// `firmware`, `executionStats`): each is an `Option` here, or empty.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct FotaJob {
    /// Its id (a UUID).
    pub id: String,
    /// Where it is (see [`JobStatus`]: COMPLETED is not success).
    pub status: JobStatus,
    /// Its name.
    pub name: Option<String>,
    /// Its description.
    pub description: Option<String>,
    /// Why it is where it is, when the service says.
    pub status_detail: Option<String>,
    /// The device ids it targets.
    pub device_ids: Vec<String>,
    /// The tags it targets (a device with any of them).
    pub tags: Vec<String>,
    /// The bundle it rolls out.
    pub firmware: Option<JobFirmware>,
    /// Counts of its executions per status, when the service sent them.
    pub stats: Option<ExecutionStats>,
    /// Created.
    pub created_at: Option<DateTime<Utc>>,
    /// Last changed.
    pub last_updated_at: Option<DateTime<Utc>>,
    /// Ended.
    pub completed_at: Option<DateTime<Utc>>,
}

/// The bundle of a job, as the job describes it.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct JobFirmware {
    /// The bundle id.
    pub bundle_id: Option<String>,
    /// Its type.
    pub firmware_type: Option<FirmwareType>,
    /// Its version.
    pub version: Option<String>,
    /// The host devices download from.
    pub host: Option<String>,
    /// The image size in bytes.
    pub file_size: Option<u64>,
    /// The image paths on `host`.
    pub uris: Vec<String>,
}

/// A job's `executionStats`: how many executions are in each status, and the totals.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ExecutionStats {
    /// Executions per status (`other` is always 0: the stats name only the known statuses).
    pub counts: ExecutionCounts,
    /// Removed (a count with no matching execution status; it probably comes from AWS IoT
    /// Jobs).
    pub removed: u64,
    /// Executions in all.
    pub executions: u64,
    /// Devices targeted.
    pub devices: u64,
    /// Executions that have ended.
    pub completed_executions: u64,
}

fn count(v: Option<f64>) -> u64 {
    v.filter(|v| v.is_finite() && *v >= 0.0)
        .map_or(0, |v| v as u64)
}

impl From<types::Fotav2JobExecutionStats> for ExecutionStats {
    fn from(s: types::Fotav2JobExecutionStats) -> Self {
        Self {
            counts: ExecutionCounts {
                queued: count(s.queued),
                in_progress: count(s.in_progress),
                downloading: count(s.downloading),
                succeeded: count(s.succeeded),
                failed: count(s.failed),
                timed_out: count(s.timed_out),
                rejected: count(s.rejected),
                cancelled: count(s.cancelled),
                other: 0,
            },
            removed: count(s.removed),
            executions: count(s.executions),
            devices: count(s.devices),
            completed_executions: count(s.completed_executions),
        }
    }
}

impl From<types::Fotav2JobFirmware> for JobFirmware {
    fn from(f: types::Fotav2JobFirmware) -> Self {
        Self {
            bundle_id: f.bundle_id.map(|b| b.0),
            firmware_type: f.firmware_type.as_deref().map(FirmwareType::from),
            version: f.version,
            host: f.host,
            file_size: f.file_size.map(|s| count(Some(s))),
            uris: f.uris,
        }
    }
}

impl From<types::Fotav2Job> for FotaJob {
    fn from(j: types::Fotav2Job) -> Self {
        let target = j.target.unwrap_or_default();
        Self {
            id: j.job_id.unwrap_or_default(),
            status: j.status.map_or_else(
                || JobStatus::Other(String::new()),
                |s| JobStatus::from(s.0.as_str()),
            ),
            name: j.name,
            description: j.description,
            status_detail: j.status_detail,
            device_ids: target.device_ids,
            tags: target.tags,
            firmware: j.firmware.map(Into::into),
            stats: j.execution_stats.map(Into::into),
            created_at: j.created_at,
            last_updated_at: j.last_updated_at,
            completed_at: j.completed_at,
        }
    }
}

impl From<types::FotaJobV2Plus> for FotaJob {
    fn from(j: types::FotaJobV2Plus) -> Self {
        // The same job with the fields of the newer job service; read through its JSON so
        // that the two generated shapes map the one way.
        let value = serde_json::to_value(&j).unwrap_or_default();
        serde_json::from_value::<types::Fotav2Job>(value)
            .map(Into::into)
            .unwrap_or_else(|_| FotaJob {
                id: j.job_id.clone().unwrap_or_default(),
                status: JobStatus::Other(String::new()),
                name: j.name.clone(),
                description: j.description.clone(),
                status_detail: j.status_detail.clone(),
                device_ids: Vec::new(),
                tags: Vec::new(),
                firmware: None,
                stats: None,
                created_at: j.created_at,
                last_updated_at: j.last_updated_at,
                completed_at: j.completed_at,
            })
    }
}

/// The FOTA jobs handle: `client.fota().jobs()`.
#[derive(Clone, Debug)]
pub struct FotaJobs {
    client: Client,
}

impl FotaJobs {
    pub(super) fn new(client: Client) -> Self {
        Self { client }
    }

    /// A job that rolls out bundle `bundle_id` to the devices you name or tag. It starts at
    /// once unless [`CreateJob::auto_apply`] is `false`.
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
    /// let job_id = client
    ///     .fota()
    ///     .jobs()
    ///     .create("APP*1a2b3c4d*1.4.0")
    ///     .tags(["field-test"])
    ///     .name("tracker 1.4.0")
    ///     .send()
    ///     .await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn create(&self, bundle_id: impl Into<String>) -> CreateJob {
        CreateJob {
            client: self.client.clone(),
            bundle_id: bundle_id.into(),
            device_ids: Vec::new(),
            tags: Vec::new(),
            name: None,
            description: None,
            auto_apply: true,
        }
    }

    /// Fetches a job.
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
    /// let job = client.fota().jobs().get("8b3b6c1e-6b9f-4c41-9e0a-2d6a8f6f1c3d").await?;
    /// println!("{}: {:?}", job.status, job.stats);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn get(&self, job_id: &str) -> Result<FotaJob> {
        let call = self.client.call(ops::rest::FETCH_FOTA_JOB);
        let request = call.raw.fetch_fota_job().job_id(job_id);
        Ok(call.run(request.send()).await?.into())
    }

    /// Lists the team's jobs.
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
    /// let page = client.fota().jobs().list().send().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn list(&self) -> ListJobs {
        ListJobs {
            client: self.client.clone(),
            page_limit: None,
            page_token: None,
        }
    }

    /// Starts a job created with `auto_apply(false)`: its targets get executions.
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
    /// client.fota().jobs().apply("8b3b6c1e-6b9f-4c41-9e0a-2d6a8f6f1c3d").await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn apply(&self, job_id: &str) -> Result<()> {
        let call = self.client.call(ops::rest::APPLY_FOTA_JOB);
        let request = call.raw.apply_fota_job().job_id(job_id);
        call.run(request.send()).await
    }

    /// Cancels a job: the executions that have not ended are cancelled.
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
    /// let jobs = client.fota().jobs();
    /// jobs.cancel("8b3b6c1e-6b9f-4c41-9e0a-2d6a8f6f1c3d", Some("bad build")).await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn cancel(&self, job_id: &str, reason: Option<&str>) -> Result<()> {
        let call = self.client.call(ops::rest::CANCEL_FOTA_JOB);
        let mut request = call.raw.cancel_fota_job().job_id(job_id);
        if let Some(reason) = reason {
            request = request.reason(reason);
        }
        call.run(request.send()).await
    }

    /// Deletes a job (its executions are not affected, says the service).
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
    /// client.fota().jobs().delete("8b3b6c1e-6b9f-4c41-9e0a-2d6a8f6f1c3d").await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn delete(&self, job_id: &str) -> Result<()> {
        let call = self.client.call(ops::rest::DELETE_FOTA_JOB);
        let request = call.raw.delete_fota_job().job_id(job_id);
        call.run_delete(request.send()).await
    }

    /// The executions of a job, one per targeted device, with `statusDetail`.
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
    /// use futures::TryStreamExt;
    /// use nrfcloud::fota::ExecutionStatus;
    /// let jobs = client.fota().jobs();
    /// let failed = jobs.executions("8b3b6c1e-6b9f-4c41-9e0a-2d6a8f6f1c3d").status(ExecutionStatus::Failed);
    /// let mut failed = failed.stream();
    /// while let Some(e) = failed.try_next().await? {
    ///     println!("{}: {:?}", e.device_id, e.status_detail);
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn executions(&self, job_id: impl Into<String>) -> ListJobExecutions {
        ListJobExecutions::new(self.client.clone(), job_id.into())
    }

    /// Follows a job to its end and reports each device's outcome: see [`WaitJob`].
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
    /// use std::time::Duration;
    /// let report = client
    ///     .fota()
    ///     .jobs()
    ///     .wait("8b3b6c1e-6b9f-4c41-9e0a-2d6a8f6f1c3d")
    ///     .deadline(Duration::from_secs(3600))
    ///     .on_progress(|p| eprintln!("{}", p.counts))
    ///     .send()
    ///     .await?;
    /// println!("{}", report.counts());
    /// # Ok(())
    /// # }
    /// ```
    pub fn wait(&self, job_id: impl Into<String>) -> WaitJob {
        WaitJob::new(self.clone(), job_id.into())
    }
}

/// Builder of [`FotaJobs::create`].
#[derive(Clone, Debug)]
pub struct CreateJob {
    client: Client,
    bundle_id: String,
    device_ids: Vec<String>,
    tags: Vec<String>,
    name: Option<String>,
    description: Option<String>,
    auto_apply: bool,
}

impl CreateJob {
    /// Target these devices (at most [`MAX_TARGETS`]; added to earlier calls).
    ///
    /// ```no_run
    /// # fn f(client: nrfcloud::Client) {
    /// let job = client.fota().jobs().create("APP*1a2b3c4d*1.4.0").device_ids(["nrf-352656100123456"]);
    /// # }
    /// ```
    pub fn device_ids<I: IntoIterator<Item = S>, S: Into<String>>(mut self, ids: I) -> Self {
        self.device_ids.extend(ids.into_iter().map(Into::into));
        self
    }

    /// Target the devices that have any of these tags (at most [`MAX_TARGETS`] tags).
    ///
    /// ```no_run
    /// # fn f(client: nrfcloud::Client) {
    /// let job = client.fota().jobs().create("APP*1a2b3c4d*1.4.0").tags(["field-test"]);
    /// # }
    /// ```
    pub fn tags<I: IntoIterator<Item = S>, S: Into<String>>(mut self, tags: I) -> Self {
        self.tags.extend(tags.into_iter().map(Into::into));
        self
    }

    /// Its name (at most [`MAX_NAME_CHARS`] characters).
    ///
    /// ```no_run
    /// # fn f(client: nrfcloud::Client) {
    /// let job = client.fota().jobs().create("APP*1a2b3c4d*1.4.0").name("tracker 1.4.0");
    /// # }
    /// ```
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Its description (at most [`MAX_DESCRIPTION_CHARS`] characters).
    ///
    /// ```no_run
    /// # fn f(client: nrfcloud::Client) {
    /// let job = client.fota().jobs().create("APP*1a2b3c4d*1.4.0").description("fixes the GNSS timeout");
    /// # }
    /// ```
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// Start at once (`true`, the default) or only when [`FotaJobs::apply`] is called.
    ///
    /// ```no_run
    /// # fn f(client: nrfcloud::Client) {
    /// let staged = client.fota().jobs().create("APP*1a2b3c4d*1.4.0").auto_apply(false);
    /// # }
    /// ```
    pub fn auto_apply(mut self, auto_apply: bool) -> Self {
        self.auto_apply = auto_apply;
        self
    }

    /// Checks the service's limits, creates the job and returns its id.
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
    /// let create = client.fota().jobs().create("APP*1a2b3c4d*1.4.0").tags(["field-test"]);
    /// let job_id = create.send().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn send(self) -> Result<String> {
        let call = self.client.call(ops::rest::CREATE_FOTA_JOB);
        let invalid = |m: String| Error::invalid_request(call.operation(), m);
        if self.device_ids.is_empty() && self.tags.is_empty() {
            return Err(invalid(
                "a FOTA job needs device ids or tags to target".into(),
            ));
        }
        if self.device_ids.len() > MAX_TARGETS {
            return Err(invalid(format!(
                "{} device ids given; a job targets at most {MAX_TARGETS} (tag the devices and \
                 target the tag)",
                self.device_ids.len()
            )));
        }
        if self.tags.len() > MAX_TARGETS {
            return Err(invalid(format!(
                "{} tags given; a job targets at most {MAX_TARGETS}",
                self.tags.len()
            )));
        }
        if let Some(bad) = self.device_ids.iter().find(|id| !is_device_id(id)) {
            return Err(invalid(format!(
                "device id {bad:?} must be 1 to 128 characters of letters, digits, `:`, `_` or `-`"
            )));
        }
        if let Some(name) = self
            .name
            .as_deref()
            .filter(|n| n.chars().count() > MAX_NAME_CHARS)
        {
            return Err(invalid(format!(
                "the name has {} characters; at most {MAX_NAME_CHARS}",
                name.chars().count()
            )));
        }
        if let Some(d) = self
            .description
            .as_deref()
            .filter(|d| d.chars().count() > MAX_DESCRIPTION_CHARS)
        {
            return Err(invalid(format!(
                "the description has {} characters; at most {MAX_DESCRIPTION_CHARS}",
                d.chars().count()
            )));
        }
        // The "criteria" member is the one shape that takes ids, tags or both without the
        // deprecated `deviceIdentifiers`; empty lists and absent options are not sent.
        let mut body = json!({"bundleId": self.bundle_id, "autoApply": self.auto_apply});
        if !self.device_ids.is_empty() {
            body["deviceIds"] = json!(self.device_ids);
        }
        if !self.tags.is_empty() {
            body["tags"] = json!(self.tags);
        }
        if let Some(name) = self.name {
            body["name"] = json!(name);
        }
        if let Some(d) = self.description {
            body["description"] = json!(d);
        }
        let criteria: types::CreateJobInputCriteria =
            serde_json::from_value(body).map_err(|e| invalid(e.to_string()))?;
        let request = call
            .raw
            .create_fota_job()
            .body(types::CreateJobInput::Criteria(criteria));
        Ok(call.run(request.send()).await?.job_id)
    }
}

/// Builder of [`FotaJobs::list`].
#[derive(Clone, Debug)]
pub struct ListJobs {
    client: Client,
    page_limit: Option<u32>,
    page_token: Option<String>,
}

crate::pagination::list_builder! {
    ListJobs => FotaJob, ops::rest::LIST_FOTA_JOBS, "client.fota().jobs().list()",
    /// Every job, as a lazy stream.
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
    /// use futures::TryStreamExt;
    /// let mut jobs = client.fota().jobs().list().stream();
    /// while let Some(job) = jobs.try_next().await? {
    ///     println!("{} {}", job.id, job.status);
    /// }
    /// # Ok(())
    /// # }
    /// ```
}

impl ListJobs {
    async fn fetch(self, token: Option<String>) -> Result<Page<FotaJob>> {
        use types::PaginatedResultFotav2JobOrFotaJobV2PlusItemsInner as Item;
        let call = self.client.call(ops::rest::LIST_FOTA_JOBS);
        let mut request = call.raw.list_fota_jobs();
        if let Some(limit) = pagination::page_limit(self.page_limit) {
            request = request.page_limit(limit);
        }
        if let Some(token) = token {
            request = request.page_next_token(token);
        }
        page_of(call.run(request.send()).await, |item| match item {
            Item::Fotav2Job(j) => Ok(j.into()),
            Item::FotaJobV2Plus(j) => Ok(j.into()),
            // Decoded again as a job, to say where it does not match.
            Item::Unrecognized(v) => {
                let bytes = serde_json::to_vec(&v).unwrap_or_default();
                decode::<types::Fotav2Job>(call.operation(), None, &bytes).map(Into::into)
            }
        })
    }
}
