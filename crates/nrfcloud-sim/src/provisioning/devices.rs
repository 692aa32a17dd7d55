//! Claimed devices: list (pageLimit 1-100, default 10; filters `tags` = any of, `deviceIds`),
//! fetch, unclaim (204; 404 when not claimed), block / unblock (204; status BLOCKED / READY),
//! and replace tags (204).

use axum::{Json, extract::State, http::StatusCode, response::IntoResponse};
use serde::Deserialize;

use super::{check_tags, claims::ClaimedDevice};
use crate::{
    auth::ApiKey,
    error::{ApiError, ApiResult},
    extract::{Body, Path, Query, json},
    pagination::{Page, PageRequest},
    state::{AppState, Team},
};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ListQuery {
    #[serde(default, deserialize_with = "crate::extract::present")]
    page_limit: Option<String>,
    page_next_token: Option<String>,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    device_ids: Vec<String>,
}

pub(crate) fn not_claimed(id: &str) -> ApiError {
    ApiError::not_found(format!("device {id} is not claimed by this team"))
}

/// The claimed device `id` of `team`, or 404.
pub(crate) fn claimed<'a>(team: &'a mut Team, id: &str) -> Result<&'a mut ClaimedDevice, ApiError> {
    team.claimed.get_mut(id).ok_or_else(|| not_claimed(id))
}

/// `GET /v1/claimed-devices`.
pub(crate) async fn list(
    State(shared): State<AppState>,
    ApiKey(team): ApiKey,
    Query(q): Query<ListQuery>,
) -> ApiResult {
    let page = PageRequest::new(
        &shared,
        q.page_limit.as_deref(),
        q.page_next_token.as_deref(),
    )?;
    let data = shared.read();
    let t = &data.teams[team];
    let (items, next) = page.page(&t.claimed, |d| {
        (q.device_ids.is_empty() || q.device_ids.contains(&d.facts.id))
            && (q.tags.is_empty() || d.tags.iter().any(|tag| q.tags.contains(tag)))
    });
    let items = items.into_iter().map(|d| d.json(&t.id)).collect();
    Ok(Json(Page::new(items, next)).into_response())
}

/// `GET /v1/claimed-devices/{deviceId}`.
pub(crate) async fn fetch(
    State(shared): State<AppState>,
    ApiKey(team): ApiKey,
    Path(id): Path<String>,
) -> ApiResult {
    let data = shared.read();
    let t = &data.teams[team];
    let device = t.claimed.get(&id).ok_or_else(|| not_claimed(&id))?;
    Ok(Json(device.json(&t.id)).into_response())
}

/// `DELETE /v1/claimed-devices/{deviceId}`.
pub(crate) async fn unclaim(
    State(shared): State<AppState>,
    ApiKey(team): ApiKey,
    Path(id): Path<String>,
) -> ApiResult {
    shared.write().teams[team]
        .claimed
        .remove(&id)
        .ok_or_else(|| not_claimed(&id))?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

fn set_blocked(shared: &AppState, team: usize, id: &str, blocked: bool) -> ApiResult {
    claimed(&mut shared.write().teams[team], id)?.blocked = blocked;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `POST /v1/claimed-devices/{deviceId}/block`: the device keeps its commands pending.
pub(crate) async fn block(
    State(shared): State<AppState>,
    ApiKey(team): ApiKey,
    Path(id): Path<String>,
) -> ApiResult {
    set_blocked(&shared, team, &id, true)
}

/// `POST /v1/claimed-devices/{deviceId}/unblock`.
pub(crate) async fn unblock(
    State(shared): State<AppState>,
    ApiKey(team): ApiKey,
    Path(id): Path<String>,
) -> ApiResult {
    set_blocked(&shared, team, &id, false)
}

#[derive(Deserialize)]
struct TagsRequest {
    tags: Vec<String>,
}

/// `PUT /v1/claimed-devices/{deviceId}/tags`: replaces the tags.
pub(crate) async fn set_tags(
    State(shared): State<AppState>,
    ApiKey(team): ApiKey,
    Path(id): Path<String>,
    Body(body): Body,
) -> ApiResult {
    let request: TagsRequest = json(&body)?;
    check_tags(&request.tags).map_err(ApiError::bad_request)?;
    claimed(&mut shared.write().teams[team], &id)?.tags = request.tags;
    Ok(StatusCode::NO_CONTENT.into_response())
}
