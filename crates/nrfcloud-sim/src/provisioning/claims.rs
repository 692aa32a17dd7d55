//! ClaimDeviceOwnership in every documented form: a JSON claim (201), its dry run (202), a CSV
//! body on `/claimed-devices` or `/identities/claimed-devices` (200 `{claimedIds, failed}`),
//! and `/claimed-devices/bulk` (202 + `bulkOpsRequestId`, tracked by the REST API's bulk-ops).
//!
//! A claim is idempotent within a team (the same device again, unchanged) and conflicts across
//! teams (409, nRF code 40101).

use std::collections::{BTreeMap, BTreeSet};

use axum::{
    Json,
    extract::State,
    http::{HeaderMap, StatusCode},
    response::IntoResponse,
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{check_tags, commands};
use crate::{
    auth::ApiKey,
    bulk,
    csv_body::read_rows,
    error::{ApiError, ApiResult},
    extract::{Body, Query, content_type, json, looks_like_json_object},
    state::{AppState, Data, Shared, TeamIdx, timestamp},
    tokens::{DeviceFacts, TokenError},
};

/// A device claimed by a team.
pub(crate) struct ClaimedDevice {
    pub facts: DeviceFacts,
    pub tags: Vec<String>,
    pub blocked: bool,
    pub claimed_at: DateTime<Utc>,
    pub commands: BTreeMap<String, commands::Command>,
}

/// The JSON form (ClaimedDevice).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ClaimedDeviceJson<'a> {
    id: &'a str,
    device_type: &'a str,
    firmware_id: &'a str,
    imei: &'a str,
    owner_id: &'a str,
    ownership_status: &'static str,
    tags: &'a [String],
    status: &'static str,
    claimed_at: String,
}

impl ClaimedDevice {
    pub fn json<'a>(&'a self, owner_id: &'a str) -> ClaimedDeviceJson<'a> {
        ClaimedDeviceJson {
            id: &self.facts.id,
            device_type: &self.facts.device_type,
            firmware_id: &self.facts.firmware_id,
            imei: &self.facts.imei,
            owner_id,
            ownership_status: "IDENTIFIED",
            tags: &self.tags,
            status: if self.blocked { "BLOCKED" } else { "READY" },
            claimed_at: timestamp(&self.claimed_at),
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ClaimRequest {
    claim_token: String,
    #[serde(default)]
    tags: Vec<String>,
}

#[derive(Deserialize)]
pub(crate) struct ClaimQuery {
    #[serde(default)]
    dryrun: bool,
}

/// The synchronous CSV result (BulkClaimResult).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct BulkClaimResult {
    claimed_ids: Vec<String>,
    /// One `"[<0-based row>]: <reason>"` per rejected row, the same shape as the lines of a bulk
    /// operation's error summary.
    failed: Vec<String>,
}

fn token_error(e: TokenError) -> ApiError {
    match e {
        TokenError::Malformed(m) => ApiError::bad_request(m),
        TokenError::Forged => ApiError::invalid_ownership_code(),
    }
}

/// Verifies a token and tags, and tells whether `team` may claim the device.
fn check_claim(
    shared: &Shared,
    data: &Data,
    team: TeamIdx,
    token: &str,
    tags: &[String],
) -> Result<DeviceFacts, ApiError> {
    let facts = shared.minter.verify(token).map_err(token_error)?;
    check_tags(tags).map_err(ApiError::bad_request)?;
    match data.claim_owner(&facts.id) {
        Some(owner) if owner != team => Err(ApiError::owned_by_other_team()),
        _ => Ok(facts),
    }
}

/// Claims one device for `team`; returns its id. Re-claiming by the same team returns the
/// device as it is. A new claim gets the commands of the team's active rules for its tags.
pub(crate) fn claim_one(
    shared: &AppState,
    data: &mut Data,
    team: TeamIdx,
    token: &str,
    tags: Vec<String>,
) -> Result<String, ApiError> {
    let facts = check_claim(shared, data, team, token, &tags)?;
    let id = facts.id.clone();
    let t = &mut data.teams[team];
    if t.claimed.contains_key(&id) {
        return Ok(id);
    }
    let rule_commands: Vec<(serde_json::Value, Option<String>)> = t
        .rules
        .values()
        .filter(|r| r.active && r.tags.iter().any(|tag| tags.contains(tag)))
        .flat_map(|r| r.commands.iter().cloned())
        .collect();
    let mut device = ClaimedDevice {
        facts,
        tags,
        blocked: false,
        claimed_at: Utc::now(),
        commands: BTreeMap::new(),
    };
    for (request, description) in rule_commands {
        // A rule holds at most the per-device limit, so only overlapping rules can overflow;
        // their surplus commands are dropped, as the device could not hold them either.
        let _ = commands::enqueue(shared, team, &mut device, request, description);
    }
    t.claimed.insert(id.clone(), device);
    Ok(id)
}

/// One CSV row: the token, then optionally the comma-separated tags.
fn parse_row(record: &csv::StringRecord) -> Result<(String, Vec<String>), ApiError> {
    if record.len() > 2 {
        return Err(ApiError::bad_request(format!(
            "expected 1 or 2 columns (token, tags), found {}",
            record.len()
        )));
    }
    let token = record.get(0).unwrap_or_default().trim().to_string();
    let tags = record
        .get(1)
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect();
    Ok((token, tags))
}

/// Claims the rows of a CSV body; returns the claimed ids and `(row, reason)` failures.
fn claim_rows(
    shared: &AppState,
    data: &mut Data,
    team: TeamIdx,
    rows: &[csv::StringRecord],
    skip: &BTreeSet<usize>,
) -> (Vec<String>, Vec<(usize, String)>) {
    let mut claimed = Vec::new();
    let mut failed = Vec::new();
    for (i, record) in rows.iter().enumerate() {
        if skip.contains(&i) {
            continue;
        }
        match parse_row(record)
            .and_then(|(token, tags)| claim_one(shared, data, team, &token, tags))
        {
            Ok(id) => claimed.push(id),
            Err(e) => failed.push((i, e.message)),
        }
    }
    (claimed, failed)
}

/// `POST /v1/claimed-devices` and `/v1/identities/claimed-devices`.
pub(crate) async fn claim(
    State(shared): State<AppState>,
    ApiKey(team): ApiKey,
    Query(query): Query<ClaimQuery>,
    headers: HeaderMap,
    Body(body): Body,
) -> ApiResult {
    // nrfcloud-utils sends its CSV with a header literally named `contentType` and no real
    // Content-Type: anything not declared JSON or CSV is sniffed.
    let is_csv = match content_type(&headers).as_deref() {
        Some("application/json") => false,
        Some("text/csv") => true,
        _ => !looks_like_json_object(&body),
    };
    if is_csv {
        if query.dryrun {
            return Err(ApiError::bad_request("dryrun applies to JSON claims only"));
        }
        return claim_csv(&shared, team, &body);
    }
    let request: ClaimRequest = json(&body)?;
    if query.dryrun {
        check_claim(
            &shared,
            &shared.read(),
            team,
            &request.claim_token,
            &request.tags,
        )?;
        return Ok(StatusCode::ACCEPTED.into_response());
    }
    let mut data = shared.write();
    let id = claim_one(&shared, &mut data, team, &request.claim_token, request.tags)?;
    let t = &data.teams[team];
    Ok((StatusCode::CREATED, Json(t.claimed[&id].json(&t.id))).into_response())
}

fn claim_csv(shared: &AppState, team: TeamIdx, body: &[u8]) -> ApiResult {
    let rows = read_rows(body)?;
    let injected: BTreeSet<usize> = shared
        .faults()
        .faults()
        .bulk_fail_rows
        .iter()
        .copied()
        .filter(|r| *r < rows.len())
        .collect();
    let (claimed_ids, mut failed) = claim_rows(shared, &mut shared.write(), team, &rows, &injected);
    failed.extend(
        injected
            .iter()
            .map(|r| (*r, "simulated failure".to_string())),
    );
    failed.sort_by_key(|(r, _)| *r);
    let result = BulkClaimResult {
        claimed_ids,
        failed: failed
            .into_iter()
            .map(|(r, m)| format!("[{r}]: {m}"))
            .collect(),
    };
    Ok((StatusCode::OK, Json(result)).into_response())
}

/// `POST /v1/claimed-devices/bulk`: 202 + `bulkOpsRequestId`; poll it on the REST API.
pub(crate) async fn bulk_claim(
    State(shared): State<AppState>,
    ApiKey(team): ApiKey,
    Body(body): Body,
) -> ApiResult {
    let rows = read_rows(&body)?;
    let count = rows.len();
    let id = bulk::submit(
        &shared,
        team,
        "CLAIM_DEVICE_OWNERSHIP",
        body,
        count,
        Box::new(move |shared, data, skip| claim_rows(shared, data, team, &rows, skip).1),
    );
    Ok((
        StatusCode::ACCEPTED,
        Json(serde_json::json!({ "bulkOpsRequestId": id })),
    )
        .into_response())
}
