//! FOTA job executions: one per targeted device, created when its job is applied.
//!
//! An execution's status is computed when it is read, from the time since it was created: one
//! status per configured step, QUEUED → IN_PROGRESS → DOWNLOADING → SUCCEEDED, or the path of
//! the device's [`FotaOutcome`] (read once, at apply). No background task runs. Once
//! UpdateFOTAJobExecutionStatus (or a cancel) sets a status, it stays until set again.
//!
//! Operations: ListFOTAJobExecutionStatuses (per job, filter `status`, in device-id order),
//! ListFOTAJobExecutionsForDevice (per device, in job-id order), FetchFOTAJobExecution,
//! FetchCurrentPendingFOTAJobExecution (the earliest-created QUEUED, IN_PROGRESS or DOWNLOADING
//! one; 404 when there is none, as the live service answers, though the document has no 404),
//! all API key only but the last, which also takes the device's JWT, like
//! UpdateFOTAJobExecutionStatus (202).

use std::{collections::BTreeMap, time::Duration};

use axum::{Json, extract::State, http::StatusCode, response::IntoResponse};
use chrono::{DateTime, TimeDelta, Utc};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{
    devices::FIRMWARE_TYPES,
    fota_jobs::{FotaJob, job_id},
    onboarding::check_device_id,
};
use crate::{
    auth::{ApiKey, Caller},
    error::{ApiError, ApiResult},
    extract::{Body, Path, Query, json},
    faults::FotaOutcome,
    pagination::{Page, PageRequest},
    state::{AppState, Team, timestamp},
};

/// `FotaV2JobExecutionEvents`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ExecStatus {
    Queued,
    InProgress,
    Downloading,
    Succeeded,
    Failed,
    TimedOut,
    Rejected,
    Cancelled,
}

impl ExecStatus {
    const ALL: [ExecStatus; 8] = [
        ExecStatus::Queued,
        ExecStatus::InProgress,
        ExecStatus::Downloading,
        ExecStatus::Succeeded,
        ExecStatus::Failed,
        ExecStatus::TimedOut,
        ExecStatus::Rejected,
        ExecStatus::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ExecStatus::Queued => "QUEUED",
            ExecStatus::InProgress => "IN_PROGRESS",
            ExecStatus::Downloading => "DOWNLOADING",
            ExecStatus::Succeeded => "SUCCEEDED",
            ExecStatus::Failed => "FAILED",
            ExecStatus::TimedOut => "TIMED_OUT",
            ExecStatus::Rejected => "REJECTED",
            ExecStatus::Cancelled => "CANCELLED",
        }
    }

    /// The status named `s`, or 400 naming the values.
    pub fn parse(s: &str) -> Result<Self, ApiError> {
        Self::ALL
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| {
                let known: Vec<&str> = Self::ALL.iter().map(|v| v.as_str()).collect();
                ApiError::bad_request(format!("status {s:?} is not one of {}", known.join(", ")))
            })
    }

    pub fn is_terminal(self) -> bool {
        !matches!(
            self,
            ExecStatus::Queued | ExecStatus::InProgress | ExecStatus::Downloading
        )
    }
}

/// sdk-nrf's detail for a successful update.
const SUCCEEDED: &str = "FOTA update completed successfully";

/// The statuses an execution passes through, one step apart, and the detail of the last.
fn path(outcome: Option<FotaOutcome>) -> (&'static [ExecStatus], &'static str) {
    use ExecStatus::*;
    match outcome {
        None => (&[Queued, InProgress, Downloading, Succeeded], SUCCEEDED),
        Some(FotaOutcome::Failed) => (
            &[Queued, InProgress, Downloading, Failed],
            "FOTA update failed",
        ),
        Some(FotaOutcome::TimedOut) => (
            &[Queued, InProgress, Downloading, TimedOut],
            "Download did not complete in the allotted time",
        ),
        Some(FotaOutcome::Rejected) => (&[Queued, Rejected], "Device rejected the update"),
    }
}

/// A status set by a request, no longer computed.
struct Fixed {
    status: ExecStatus,
    detail: Option<String>,
    at: DateTime<Utc>,
}

/// An execution's status at one instant.
pub(crate) struct Snapshot {
    pub status: ExecStatus,
    pub detail: Option<String>,
    pub updated_at: DateTime<Utc>,
}

/// One device's execution of a job.
pub(crate) struct Execution {
    pub device_id: String,
    pub execution_id: String,
    pub created_at: DateTime<Utc>,
    outcome: Option<FotaOutcome>,
    fixed: Option<Fixed>,
}

impl Execution {
    pub fn new(
        device_id: String,
        execution_id: String,
        created_at: DateTime<Utc>,
        outcome: Option<FotaOutcome>,
    ) -> Self {
        Self {
            device_id,
            execution_id,
            created_at,
            outcome,
            fixed: None,
        }
    }

    /// The status at `now`, with steps of `step` (0: at once at the end of its path).
    pub fn at(&self, now: DateTime<Utc>, step: Duration) -> Snapshot {
        if let Some(f) = &self.fixed {
            return Snapshot {
                status: f.status,
                detail: f.detail.clone(),
                updated_at: f.at,
            };
        }
        let (statuses, detail) = path(self.outcome);
        let last = statuses.len() - 1;
        let elapsed = (now - self.created_at).to_std().unwrap_or_default();
        let k = if step.is_zero() {
            last
        } else {
            usize::try_from(elapsed.as_nanos() / step.as_nanos())
                .unwrap_or(usize::MAX)
                .min(last)
        };
        let offset = TimeDelta::from_std(step * k as u32).unwrap_or_default();
        Snapshot {
            status: statuses[k],
            detail: (k == last).then(|| detail.to_string()),
            updated_at: self.created_at + offset,
        }
    }

    /// Sets the status; it stops advancing.
    pub fn set(&mut self, status: ExecStatus, detail: Option<String>, at: DateTime<Utc>) {
        self.fixed = Some(Fixed { status, detail, at });
    }

    /// FOTAJobExecution.
    fn json(&self, job: &FotaJob, tenant_id: &str, host: &str, snap: &Snapshot) -> Value {
        let mut v = json!({
            "jobId": job.id,
            "deviceId": self.device_id,
            "executionId": self.execution_id,
            "tenantId": tenant_id,
            "status": snap.status.as_str(),
            "createdAt": timestamp(&self.created_at),
            "lastUpdatedAt": timestamp(&snap.updated_at),
            "jobDocument": job.job_document(host),
        });
        if let Some(detail) = &snap.detail {
            v["statusDetail"] = json!(detail);
        }
        v
    }
}

/// The job `id` of `team`, or 404.
fn find_job<'a>(team: &'a Team, id: &str) -> Result<&'a FotaJob, ApiError> {
    team.fota_jobs
        .get(id)
        .ok_or_else(|| ApiError::not_found(format!("FOTA job {id} not found")))
}

fn execution_not_found(device_id: &str, job: &str) -> ApiError {
    ApiError::not_found(format!(
        "no execution of FOTA job {job} for device {device_id}"
    ))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct StatusesQuery {
    #[serde(default, deserialize_with = "crate::extract::present")]
    status: Option<String>,
    #[serde(default, deserialize_with = "crate::extract::present")]
    page_limit: Option<String>,
    page_next_token: Option<String>,
}

/// `GET /v1/fota-job-execution-statuses/{jobId}`: `{deviceId, status, statusDetail?,
/// lastUpdatedAt}` per execution.
pub(crate) async fn list_statuses(
    State(shared): State<AppState>,
    ApiKey(team): ApiKey,
    Path(raw): Path<String>,
    Query(q): Query<StatusesQuery>,
) -> ApiResult {
    let id = job_id(&raw)?;
    let status = q.status.as_deref().map(ExecStatus::parse).transpose()?;
    let page = PageRequest::new(
        &shared,
        q.page_limit.as_deref(),
        q.page_next_token.as_deref(),
    )?;
    let (now, step) = (Utc::now(), shared.config.step);
    let data = shared.read();
    let job = find_job(&data.teams[team], &id)?;
    let (items, next) = page.page(&job.executions, |e| {
        status.is_none_or(|s| e.at(now, step).status == s)
    });
    let items = items
        .into_iter()
        .map(|e| {
            let snap = e.at(now, step);
            let mut v = json!({
                "deviceId": e.device_id,
                "status": snap.status.as_str(),
                "lastUpdatedAt": timestamp(&snap.updated_at),
            });
            if let Some(detail) = snap.detail {
                v["statusDetail"] = json!(detail);
            }
            v
        })
        .collect();
    Ok(Json(Page::new(items, next)).into_response())
}

/// `GET /v1/fota-job-executions/{deviceId}`: the device's executions, in job-id order.
pub(crate) async fn list_for_device(
    State(shared): State<AppState>,
    ApiKey(team): ApiKey,
    Path(device_id): Path<String>,
    Query(q): Query<crate::pagination::PageQuery>,
) -> ApiResult {
    check_device_id(&device_id).map_err(ApiError::bad_request)?;
    let page = PageRequest::from_query(&shared, &q)?;
    let (now, step) = (Utc::now(), shared.config.step);
    let data = shared.read();
    let t = &data.teams[team];
    let mine: BTreeMap<String, (&FotaJob, &Execution)> = t
        .fota_jobs
        .values()
        .filter_map(|j| j.executions.get(&device_id).map(|e| (j.id.clone(), (j, e))))
        .collect();
    let (items, next) = page.page(&mine, |_| true);
    let host = shared.config.rest_host();
    let items = items
        .into_iter()
        .map(|(job, e)| e.json(job, &t.id, host, &e.at(now, step)))
        .collect();
    Ok(Json(Page::new(items, next)).into_response())
}

/// `GET /v1/fota-job-executions/{deviceId}/{jobId}`.
pub(crate) async fn fetch(
    State(shared): State<AppState>,
    ApiKey(team): ApiKey,
    Path((device_id, raw)): Path<(String, String)>,
) -> ApiResult {
    check_device_id(&device_id).map_err(ApiError::bad_request)?;
    let id = job_id(&raw)?;
    let (now, step) = (Utc::now(), shared.config.step);
    let data = shared.read();
    let t = &data.teams[team];
    let job = find_job(t, &id)?;
    let e = job
        .executions
        .get(&device_id)
        .ok_or_else(|| execution_not_found(&device_id, &id))?;
    let body = e.json(job, &t.id, shared.config.rest_host(), &e.at(now, step));
    Ok(Json(body).into_response())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CurrentQuery {
    #[serde(default, deserialize_with = "crate::extract::present")]
    firmware_type: Option<String>,
}

/// `GET /v1/fota-job-executions/{deviceId}/current`: API key or the device's JWT.
pub(crate) async fn current(
    State(shared): State<AppState>,
    caller: Caller,
    Path(device_id): Path<String>,
    Query(q): Query<CurrentQuery>,
) -> ApiResult {
    check_device_id(&device_id).map_err(ApiError::bad_request)?;
    caller.check_device(&device_id)?;
    if let Some(t) = q.firmware_type.as_deref()
        && !FIRMWARE_TYPES.contains(&t)
    {
        return Err(ApiError::bad_request(format!(
            "firmwareType {t:?} is not one of {}",
            FIRMWARE_TYPES.join(", ")
        )));
    }
    let (now, step) = (Utc::now(), shared.config.step);
    let data = shared.read();
    let t = &data.teams[caller.team()];
    let pending = t
        .fota_jobs
        .values()
        .filter(|j| {
            q.firmware_type
                .as_deref()
                .is_none_or(|ft| j.firmware.firmware_type == ft)
        })
        .filter_map(|j| {
            let e = j.executions.get(&device_id)?;
            let snap = e.at(now, step);
            (!snap.status.is_terminal()).then_some((j, e, snap))
        })
        .min_by_key(|(j, e, _)| (e.created_at, j.id.clone()));
    match pending {
        Some((job, e, snap)) => {
            Ok(Json(e.json(job, &t.id, shared.config.rest_host(), &snap)).into_response())
        }
        None => Err(ApiError::not_found(format!(
            "device {device_id} has no pending FOTA job execution"
        ))),
    }
}

#[derive(Deserialize)]
struct UpdateInput {
    status: String,
    #[serde(default, deserialize_with = "crate::extract::present")]
    details: Option<String>,
}

/// `PATCH /v1/fota-job-executions/{deviceId}/{jobId}`: sets the status (and detail); 202. An
/// execution that has ended gets 409 (40900), as AWS IoT Jobs, which nRF Cloud FOTA runs on,
/// refuses to change a terminal execution (a guess: the live answer is not documented).
pub(crate) async fn update(
    State(shared): State<AppState>,
    caller: Caller,
    Path((device_id, raw)): Path<(String, String)>,
    Body(body): Body,
) -> ApiResult {
    check_device_id(&device_id).map_err(ApiError::bad_request)?;
    let id = job_id(&raw)?;
    caller.check_device(&device_id)?;
    let input: Value = json(&body)?;
    if !input.is_object() {
        return Err(ApiError::bad_request("the body must be a JSON object"));
    }
    let input: UpdateInput = serde_json::from_value(input)
        .map_err(|e| ApiError::bad_request(format!("invalid body: {e}")))?;
    let status = ExecStatus::parse(&input.status)?;
    let (now, step) = (Utc::now(), shared.config.step);
    let mut data = shared.write();
    let t = &mut data.teams[caller.team()];
    let e = t
        .fota_jobs
        .get_mut(&id)
        .ok_or_else(|| ApiError::not_found(format!("FOTA job {id} not found")))?
        .executions
        .get_mut(&device_id)
        .ok_or_else(|| execution_not_found(&device_id, &id))?;
    let current = e.at(now, step).status;
    if current.is_terminal() {
        return Err(ApiError::conflict(format!(
            "the execution of FOTA job {id} on device {device_id} has ended ({})",
            current.as_str()
        )));
    }
    e.set(status, input.details, now);
    Ok(StatusCode::ACCEPTED.into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_advance_one_step_at_a_time() {
        let t0 = Utc::now();
        let step = Duration::from_millis(100);
        let at = |e: &Execution, ms: i64| {
            let s = e.at(t0 + TimeDelta::milliseconds(ms), step);
            (s.status, s.detail, (s.updated_at - t0).num_milliseconds())
        };
        let e = Execution::new("d".into(), "x".into(), t0, None);
        assert_eq!(at(&e, -5), (ExecStatus::Queued, None, 0));
        assert_eq!(at(&e, 99), (ExecStatus::Queued, None, 0));
        assert_eq!(at(&e, 100), (ExecStatus::InProgress, None, 100));
        assert_eq!(at(&e, 250), (ExecStatus::Downloading, None, 200));
        assert_eq!(
            at(&e, 10_000),
            (ExecStatus::Succeeded, Some(SUCCEEDED.into()), 300)
        );
        let e = Execution::new("d".into(), "x".into(), t0, Some(FotaOutcome::Rejected));
        assert_eq!(
            at(&e, 150),
            (
                ExecStatus::Rejected,
                Some("Device rejected the update".into()),
                100
            )
        );
        let mut e = Execution::new("d".into(), "x".into(), t0, Some(FotaOutcome::TimedOut));
        assert_eq!(at(&e, 400).0, ExecStatus::TimedOut);
        e.set(ExecStatus::Cancelled, None, t0);
        assert_eq!(at(&e, 400), (ExecStatus::Cancelled, None, 0));
        let instant = Execution::new("d".into(), "x".into(), t0, Some(FotaOutcome::Failed));
        let s = instant.at(t0, Duration::ZERO);
        assert_eq!((s.status, s.updated_at), (ExecStatus::Failed, t0));
    }

    #[test]
    fn status_names() {
        for s in ExecStatus::ALL {
            assert_eq!(ExecStatus::parse(s.as_str()).unwrap(), s);
        }
        assert!(ExecStatus::parse("CANCELED").is_err());
        let terminal: Vec<&str> = ExecStatus::ALL
            .iter()
            .filter(|s| s.is_terminal())
            .map(|s| s.as_str())
            .collect();
        assert_eq!(
            terminal,
            ["SUCCEEDED", "FAILED", "TIMED_OUT", "REJECTED", "CANCELLED"]
        );
    }
}
