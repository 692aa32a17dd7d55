//! FOTA jobs (API key only): CreateFOTAJob (201 `{jobId}`), ListFOTAJobs (pageLimit 1-100,
//! default 10, in job-id order: ids are seeded UUIDs, so that is not creation order),
//! FetchFOTAJob, ApplyFOTAJob (202), CancelFOTAJob (202) and DeleteFOTAJob (202).
//!
//! A job is CREATED until applied (at once with `autoApply`, the default), then IN_PROGRESS
//! with one QUEUED execution per targeted device (see [`super::fota_executions`]), COMPLETED
//! once every execution has ended, or CANCELLED. Its status is computed from its executions'
//! when read.

use std::{
    collections::{BTreeMap, BTreeSet},
    time::Duration,
};

use axum::{Json, extract::State, http::StatusCode, response::IntoResponse};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{
    firmware,
    fota_executions::{ExecStatus, Execution},
    onboarding::check_device_id,
};
use crate::{
    auth::ApiKey,
    error::{ApiError, ApiResult},
    extract::{Body, Path, Query, json, present},
    faults::FotaOutcome,
    pagination::{Page, PageQuery, PageRequest},
    state::{AppState, Team, timestamp},
};

/// Most device ids, or tags, one job may name (the document's `maxItems`; nrfcloud-utils'
/// `FOTA_JOB_DEV_ID_LIST_MAX`).
const MAX_TARGETS: usize = 100;

/// `FotaV2JobEvents` the simulator produces (never DELETION_IN_PROGRESS: a delete is
/// immediate).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum JobStatus {
    Created,
    InProgress,
    Completed,
    Cancelled,
}

impl JobStatus {
    fn as_str(self) -> &'static str {
        match self {
            JobStatus::Created => "CREATED",
            JobStatus::InProgress => "IN_PROGRESS",
            JobStatus::Completed => "COMPLETED",
            JobStatus::Cancelled => "CANCELLED",
        }
    }
}

/// What a job deploys, copied from its bundle when it is created.
pub(crate) struct JobFirmware {
    /// FirmwareTypes value.
    pub firmware_type: &'static str,
    pub version: String,
    /// Byte length of the image a device downloads.
    pub file_size: usize,
    /// The image's path relative to the REST origin.
    pub path: String,
    /// Every file's path relative to the REST origin.
    pub uris: Vec<String>,
}

/// One FOTA job.
pub(crate) struct FotaJob {
    pub id: String,
    pub name: Option<String>,
    pub description: Option<String>,
    pub bundle_id: String,
    pub firmware: JobFirmware,
    /// The target as given: device ids (with the deprecated `deviceIdentifiers`) and tags.
    target_device_ids: Vec<String>,
    target_tags: Vec<String>,
    /// The devices the target resolved to when the job was created; applying creates their
    /// executions (the target list is locked then, as with `targetListType` LOCKED).
    devices: Vec<String>,
    created_at: DateTime<Utc>,
    applied_at: Option<DateTime<Utc>>,
    cancelled: Option<(DateTime<Utc>, Option<String>)>,
    /// By device id.
    pub executions: BTreeMap<String, Execution>,
}

impl FotaJob {
    /// The status at `now`, the time it ended (when it has), and the time of the last change.
    pub fn status(
        &self,
        now: DateTime<Utc>,
        step: Duration,
    ) -> (JobStatus, Option<DateTime<Utc>>, DateTime<Utc>) {
        let mut last = self
            .created_at
            .max(self.applied_at.unwrap_or(self.created_at));
        let mut all_ended = true;
        for e in self.executions.values() {
            let snap = e.at(now, step);
            last = last.max(snap.updated_at);
            all_ended &= snap.status.is_terminal();
        }
        if let Some((at, _)) = self.cancelled {
            return (JobStatus::Cancelled, Some(at), last.max(at));
        }
        match self.applied_at {
            None => (JobStatus::Created, None, last),
            Some(_) if all_ended => (JobStatus::Completed, Some(last), last),
            Some(_) => (JobStatus::InProgress, None, last),
        }
    }

    /// Starts the job: an execution per targeted device, each with its FOTA outcome.
    fn apply(
        &mut self,
        shared: &AppState,
        now: DateTime<Utc>,
        outcomes: &BTreeMap<String, FotaOutcome>,
    ) {
        self.applied_at = Some(now);
        for device in &self.devices {
            let execution = Execution::new(
                device.clone(),
                shared.seeded_uuid("fota-execution"),
                now,
                outcomes.get(device).copied(),
            );
            self.executions.insert(device.clone(), execution);
        }
    }

    /// The job document a device gets: `{host, path, firmwareType, fileSize, version,
    /// bundleId}`; it downloads `http://<host>/<path>`.
    pub fn job_document(&self, host: &str) -> Value {
        json!({
            "host": host,
            "path": self.firmware.path,
            "firmwareType": self.firmware.firmware_type,
            "fileSize": self.firmware.file_size,
            "version": self.firmware.version,
            "bundleId": self.bundle_id,
        })
    }

    /// FOTAV2Job.
    fn json(&self, host: &str, now: DateTime<Utc>, step: Duration) -> Value {
        let (status, completed_at, last_updated) = self.status(now, step);
        let mut counts = [0usize; 8];
        for e in self.executions.values() {
            counts[e.at(now, step).status as usize] += 1;
        }
        let count = |s: ExecStatus| counts[s as usize];
        let completed: usize = self
            .executions
            .values()
            .filter(|e| e.at(now, step).status.is_terminal())
            .count();
        let mut v = json!({
            "jobId": self.id,
            "status": status.as_str(),
            "createdAt": timestamp(&self.created_at),
            "lastUpdatedAt": timestamp(&last_updated),
            "target": { "deviceIds": self.target_device_ids, "tags": self.target_tags },
            "firmware": {
                "bundleId": self.bundle_id,
                "host": host,
                "fileSize": self.firmware.file_size,
                "firmwareType": self.firmware.firmware_type,
                "version": self.firmware.version,
                "uris": self.firmware.uris,
            },
            "executionStats": {
                "queued": count(ExecStatus::Queued),
                "inProgress": count(ExecStatus::InProgress),
                "downloading": count(ExecStatus::Downloading),
                "succeeded": count(ExecStatus::Succeeded),
                "failed": count(ExecStatus::Failed),
                "timedOut": count(ExecStatus::TimedOut),
                "rejected": count(ExecStatus::Rejected),
                "cancelled": count(ExecStatus::Cancelled),
                "removed": 0,
                "executions": self.executions.len(),
                "devices": self.devices.len(),
                "completedExecutions": completed,
            },
        });
        if let Some(name) = &self.name {
            v["name"] = json!(name);
        }
        if let Some(description) = &self.description {
            v["description"] = json!(description);
        }
        if let Some(at) = completed_at {
            v["completedAt"] = json!(timestamp(&at));
        }
        if let Some((_, Some(reason))) = &self.cancelled {
            v["statusDetail"] = json!(reason);
        }
        v
    }
}

/// The document's job-id pattern `^[a-f0-9]{8}-?[a-f0-9]{4}-?[a-f0-9]{4}-?[a-f0-9]{4}-?[a-f0-9]{12}$`,
/// as the hyphenated id the simulator stores (an id sent without its dashes is the same job),
/// or 400.
pub(crate) fn job_id(raw: &str) -> Result<String, ApiError> {
    let groups = [8, 4, 4, 4, 12];
    let mut rest = raw;
    let mut parts = Vec::with_capacity(groups.len());
    for (i, len) in groups.into_iter().enumerate() {
        if i > 0 {
            rest = rest.strip_prefix('-').unwrap_or(rest);
        }
        let part = rest.get(..len).filter(|p| {
            p.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        });
        let Some(part) = part else {
            return Err(invalid_job_id(raw));
        };
        parts.push(part);
        rest = &rest[len..];
    }
    if !rest.is_empty() {
        return Err(invalid_job_id(raw));
    }
    Ok(parts.join("-"))
}

fn invalid_job_id(raw: &str) -> ApiError {
    ApiError::bad_request(format!(
        "invalid job id {raw:?}: a UUID in lowercase hex, with or without dashes"
    ))
}

fn not_found(id: &str) -> ApiError {
    ApiError::not_found(format!("FOTA job {id} not found"))
}

fn job_mut<'a>(team: &'a mut Team, id: &str) -> Result<&'a mut FotaJob, ApiError> {
    team.fota_jobs.get_mut(id).ok_or_else(|| not_found(id))
}

#[derive(Deserialize)]
struct Schedule {
    #[serde(rename = "startJobAtEpochMs", default, deserialize_with = "present")]
    _start_job_at_epoch_ms: Option<f64>,
    #[serde(
        rename = "lockTargetListAtEpochMs",
        default,
        deserialize_with = "present"
    )]
    _lock_target_list_at_epoch_ms: Option<f64>,
}

/// `CreateJobInput`, every shape of its anyOf at once.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateJobInput {
    bundle_id: String,
    /// A boolean, or the string `"true"`/`"false"` that nrfcloud-utils sends.
    #[serde(default, deserialize_with = "present")]
    auto_apply: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    name: Option<String>,
    #[serde(default, deserialize_with = "present")]
    description: Option<String>,
    #[serde(default, deserialize_with = "present")]
    device_ids: Option<Vec<String>>,
    /// Deprecated: the same as `deviceIds`.
    #[serde(default, deserialize_with = "present")]
    device_identifiers: Option<Vec<String>>,
    #[serde(default, deserialize_with = "present")]
    tags: Option<Vec<String>>,
    // The "criteria" shape's fields, which the service marks "currently not supported": checked
    // as the document types them, not applied.
    #[serde(default, deserialize_with = "present")]
    firmware_type: Option<String>,
    #[serde(default, deserialize_with = "present")]
    firmware_versions: Option<Vec<String>>,
    #[serde(default, deserialize_with = "present")]
    target_list_type: Option<String>,
    #[serde(rename = "schedule", default, deserialize_with = "present")]
    _schedule: Option<Schedule>,
}

/// `^(APP|MODEM|BOOT|SOFTDEVICE|BOOTLOADER|MDM_FULL|SMP|CUSTOM)\*[0-9a-zA-Z]{8}\*.*$`, or a UUID.
fn valid_bundle_id(id: &str) -> bool {
    let legacy = id.split_once('*').is_some_and(|(kind, rest)| {
        super::devices::FIRMWARE_TYPES.contains(&kind)
            && rest.len() > 8
            && rest.as_bytes()[8] == b'*'
            && rest.as_bytes()[..8].iter().all(u8::is_ascii_alphanumeric)
    });
    legacy || job_id(id).is_ok()
}

impl CreateJobInput {
    /// The document's constraints, and the simulator's: a target is required.
    fn check(&self) -> Result<(), ApiError> {
        let bad = |m: String| Err(ApiError::bad_request(m));
        if !valid_bundle_id(&self.bundle_id) {
            return bad(format!(
                "bundleId {:?} is neither <TYPE>*<8 characters>*<version> nor a UUID",
                self.bundle_id
            ));
        }
        if let Some(auto) = &self.auto_apply
            && !matches!(auto, Value::Bool(_))
            && !matches!(auto.as_str(), Some("true" | "false"))
        {
            return bad(format!("autoApply must be a boolean, got {auto}"));
        }
        for (field, value, max) in [
            ("name", &self.name, 64),
            ("description", &self.description, 1024),
        ] {
            if value.as_ref().is_some_and(|v| v.chars().count() > max) {
                return bad(format!("{field} has more than {max} characters"));
            }
        }
        for (field, list) in [
            ("deviceIds", &self.device_ids),
            ("deviceIdentifiers", &self.device_identifiers),
            ("tags", &self.tags),
        ] {
            if list.as_ref().is_some_and(|l| l.len() > MAX_TARGETS) {
                return bad(format!(
                    "{field} has more than {MAX_TARGETS} entries; target a tag instead"
                ));
            }
        }
        for id in self.device_ids.iter().flatten() {
            check_device_id(id).map_err(ApiError::bad_request)?;
        }
        if let Some(t) = &self.firmware_type
            && !["APP", "BOOT", "MODEM"].contains(&t.as_str())
        {
            return bad(format!("firmwareType {t:?} is not APP, BOOT or MODEM"));
        }
        if self.firmware_versions.as_ref().is_some_and(|v| v.len() > 5) {
            return bad("firmwareVersions has more than 5 entries".into());
        }
        // The document's pattern is `^LOCKED|UNLOCKED$`, as written.
        if let Some(t) = &self.target_list_type
            && !(t.starts_with("LOCKED") || t.ends_with("UNLOCKED"))
        {
            return bad(format!("targetListType {t:?} is not LOCKED or UNLOCKED"));
        }
        let given = |l: &Option<Vec<String>>| l.as_ref().is_some_and(|l| !l.is_empty());
        if !given(&self.device_ids) && !given(&self.device_identifiers) && !given(&self.tags) {
            return bad("a job needs a target: deviceIds and/or tags".into());
        }
        Ok(())
    }

    fn auto_apply(&self) -> bool {
        match &self.auto_apply {
            None => true,
            Some(Value::Bool(b)) => *b,
            Some(v) => v.as_str() != Some("false"),
        }
    }
}

/// `POST /v1/fota-jobs`: 201 `{jobId}`.
///
/// The target is the given device ids that are devices of the team, plus the team's devices
/// with any of the tags. Unknown device ids are left out rather than refused (a guess: the
/// service's answer to them is not documented); a target that matches no device gets 400
/// "empty job target" (the failure device-simulator-v2 mentions). Devices are not filtered by
/// `firmware.supports`.
pub(crate) async fn create(
    State(shared): State<AppState>,
    ApiKey(team): ApiKey,
    Body(body): Body,
) -> ApiResult {
    let input: Value = json(&body)?;
    if !input.is_object() {
        return Err(ApiError::bad_request("the body must be a JSON object"));
    }
    let input: CreateJobInput = serde_json::from_value(input)
        .map_err(|e| ApiError::bad_request(format!("invalid body: {e}")))?;
    input.check()?;
    // Read before the state lock, which is never held together with the faults' one.
    let outcomes = shared.faults().faults().fota_outcomes.clone();
    let now = Utc::now();
    let mut data = shared.write();
    let t = &mut data.teams[team];
    let bundle = firmware::find(t, &input.bundle_id)?;
    let image = bundle.image();
    let job_firmware = JobFirmware {
        firmware_type: bundle.firmware_type,
        version: bundle.version.clone(),
        file_size: image.data.len(),
        path: bundle.path(&t.id, image),
        uris: bundle.files.iter().map(|f| bundle.path(&t.id, f)).collect(),
    };
    let ids: Vec<String> = input
        .device_ids
        .iter()
        .chain(&input.device_identifiers)
        .flatten()
        .filter(|id| check_device_id(id).is_ok())
        .cloned()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let tags: Vec<String> = input.tags.clone().unwrap_or_default();
    let devices: Vec<String> = t
        .devices
        .iter()
        .filter(|(id, d)| ids.contains(id) || d.tags().iter().any(|tag| tags.contains(tag)))
        .map(|(id, _)| id.clone())
        .collect();
    if devices.is_empty() {
        return Err(ApiError::bad_request(
            "empty job target: no device of the team matches deviceIds or tags",
        ));
    }
    let auto_apply = input.auto_apply();
    let mut job = FotaJob {
        id: shared.seeded_uuid("fota-job"),
        name: input.name,
        description: input.description,
        bundle_id: input.bundle_id,
        firmware: job_firmware,
        target_device_ids: ids,
        target_tags: tags,
        devices,
        created_at: now,
        applied_at: None,
        cancelled: None,
        executions: BTreeMap::new(),
    };
    if auto_apply {
        job.apply(&shared, now, &outcomes);
    }
    let id = job.id.clone();
    t.fota_jobs.insert(id.clone(), job);
    Ok((StatusCode::CREATED, Json(json!({ "jobId": id }))).into_response())
}

/// `GET /v1/fota-jobs`.
pub(crate) async fn list(
    State(shared): State<AppState>,
    ApiKey(team): ApiKey,
    Query(q): Query<PageQuery>,
) -> ApiResult {
    let page = PageRequest::from_query(&shared, &q)?;
    let (now, step) = (Utc::now(), shared.config.step);
    let data = shared.read();
    let (items, next) = page.page(&data.teams[team].fota_jobs, |_| true);
    let host = shared.config.rest_host();
    let items = items.into_iter().map(|j| j.json(host, now, step)).collect();
    Ok(Json(Page::new(items, next)).into_response())
}

/// `GET /v1/fota-jobs/{jobId}`.
pub(crate) async fn fetch(
    State(shared): State<AppState>,
    ApiKey(team): ApiKey,
    Path(raw): Path<String>,
) -> ApiResult {
    let id = job_id(&raw)?;
    let data = shared.read();
    let job = data.teams[team]
        .fota_jobs
        .get(&id)
        .ok_or_else(|| not_found(&id))?;
    let body = job.json(shared.config.rest_host(), Utc::now(), shared.config.step);
    Ok(Json(body).into_response())
}

/// `POST /v1/fota-jobs/{jobId}/apply`: 202; a job that is not CREATED gets 400 (the live
/// answer is not documented; Nordic's test client ignores errors from this call).
pub(crate) async fn apply(
    State(shared): State<AppState>,
    ApiKey(team): ApiKey,
    Path(raw): Path<String>,
) -> ApiResult {
    let id = job_id(&raw)?;
    let outcomes = shared.faults().faults().fota_outcomes.clone();
    let now = Utc::now();
    let mut data = shared.write();
    let job = job_mut(&mut data.teams[team], &id)?;
    let status = job.status(now, shared.config.step).0;
    if status != JobStatus::Created {
        return Err(ApiError::bad_request(format!(
            "FOTA job {id} is {}: only a CREATED job (autoApply false) can be applied",
            status.as_str()
        )));
    }
    job.apply(&shared, now, &outcomes);
    Ok(StatusCode::ACCEPTED.into_response())
}

#[derive(Deserialize)]
pub(crate) struct CancelQuery {
    #[serde(default, deserialize_with = "present")]
    reason: Option<String>,
}

/// `PUT /v1/fota-jobs/{jobId}/cancel?reason=`: 202. The job becomes CANCELLED and every
/// execution that has not ended CANCELLED, with the reason as its detail. The body may be
/// absent or a JSON object (clients send `{}`). A job that has ended gets 400.
pub(crate) async fn cancel(
    State(shared): State<AppState>,
    ApiKey(team): ApiKey,
    Path(raw): Path<String>,
    Query(q): Query<CancelQuery>,
    Body(body): Body,
) -> ApiResult {
    let id = job_id(&raw)?;
    if !body.iter().all(u8::is_ascii_whitespace) && !json::<Value>(&body)?.is_object() {
        return Err(ApiError::bad_request(
            "CancelFOTAJob takes no body (or an empty JSON object)",
        ));
    }
    let (now, step) = (Utc::now(), shared.config.step);
    let mut data = shared.write();
    let job = job_mut(&mut data.teams[team], &id)?;
    let status = job.status(now, step).0;
    if matches!(status, JobStatus::Completed | JobStatus::Cancelled) {
        return Err(ApiError::bad_request(format!(
            "FOTA job {id} is {} and cannot be cancelled",
            status.as_str()
        )));
    }
    let detail = q
        .reason
        .clone()
        .or_else(|| Some("The job was cancelled".into()));
    for e in job.executions.values_mut() {
        if !e.at(now, step).status.is_terminal() {
            e.set(ExecStatus::Cancelled, detail.clone(), now);
        }
    }
    job.cancelled = Some((now, q.reason));
    Ok(StatusCode::ACCEPTED.into_response())
}

/// `DELETE /v1/fota-jobs/{jobId}`: 202, in any status. The service says a delete "does not
/// affect executions of this job"; the simulator keeps it simple and removes the executions
/// with the job.
pub(crate) async fn delete(
    State(shared): State<AppState>,
    ApiKey(team): ApiKey,
    Path(raw): Path<String>,
) -> ApiResult {
    let id = job_id(&raw)?;
    shared.write().teams[team]
        .fota_jobs
        .remove(&id)
        .ok_or_else(|| not_found(&id))?;
    Ok(StatusCode::ACCEPTED.into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_ids_with_or_without_dashes() {
        let id = "0f8fad5b-d9cb-469f-a165-70867728950e";
        assert_eq!(job_id(id).unwrap(), id);
        assert_eq!(job_id(&id.replace('-', "")).unwrap(), id);
        for bad in [
            "0F8FAD5B-D9CB-469F-A165-70867728950E",
            "0f8fad5b-d9cb-469f-a165-70867728950",
            "0f8fad5b-d9cb-469f-a165-70867728950e0",
            "0f8fad5b--d9cb-469f-a165-70867728950e",
            "",
            "é",
        ] {
            assert!(job_id(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn bundle_ids_in_both_forms() {
        assert!(valid_bundle_id("APP*1a2b3c4d*v1.0.0"));
        assert!(valid_bundle_id("MDM_FULL*ABCDEFGH*"));
        assert!(valid_bundle_id("0f8fad5b-d9cb-469f-a165-70867728950e"));
        assert!(!valid_bundle_id("APP*1a2b3c4*v1"));
        assert!(!valid_bundle_id("FOO*1a2b3c4d*v1"));
        assert!(!valid_bundle_id("APP*1a2b-c4d*v1"));
    }
}
