//! Provisioning tags (provisioning groups), at `/claimed-devices/tags` (docs) and
//! `/provisioning/tags` (nrfcloud-utils). Names are unique per team (409 otherwise). Renaming a
//! tag renames it on every claimed device and rule that carries it; deleting it removes it from
//! every claimed device.

use axum::{Json, extract::State, http::StatusCode, response::IntoResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::check_tag;
use crate::{
    auth::ApiKey,
    error::{ApiError, ApiResult},
    extract::{Body, Path, Query, json},
    pagination::{Page, PageQuery, PageRequest},
    state::{AppState, Team, timestamp},
};

/// A provisioning tag.
pub(crate) struct ProvisioningTag {
    pub id: String,
    pub tag: String,
    pub description: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TagJson<'a> {
    id: &'a str,
    tag: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
    created_at: String,
}

impl ProvisioningTag {
    fn json(&self) -> TagJson<'_> {
        TagJson {
            id: &self.id,
            tag: &self.tag,
            description: self.description.as_deref(),
            created_at: timestamp(&self.created_at),
        }
    }
}

#[derive(Deserialize)]
struct TagRequest {
    tag: String,
    #[serde(default, deserialize_with = "crate::extract::present")]
    description: Option<String>,
}

fn not_found(id: &str) -> ApiError {
    ApiError::not_found(format!("provisioning tag {id} not found"))
}

fn check_unique(team: &Team, name: &str, except: Option<&str>) -> Result<(), ApiError> {
    if team
        .tags
        .values()
        .any(|t| t.tag == name && Some(t.id.as_str()) != except)
    {
        return Err(ApiError::conflict(format!(
            "the tag {name:?} already exists"
        )));
    }
    Ok(())
}

/// `GET /v1/claimed-devices/tags` and `/v1/provisioning/tags`.
pub(crate) async fn list(
    State(shared): State<AppState>,
    ApiKey(team): ApiKey,
    Query(q): Query<PageQuery>,
) -> ApiResult {
    let page = PageRequest::from_query(&shared, &q)?;
    let data = shared.read();
    let (items, next) = page.page(&data.teams[team].tags, |_| true);
    let items = items.into_iter().map(ProvisioningTag::json).collect();
    Ok(Json(Page::new(items, next)).into_response())
}

/// `POST /v1/claimed-devices/tags` and `/v1/provisioning/tags`: 201 with the tag.
pub(crate) async fn create(
    State(shared): State<AppState>,
    ApiKey(team): ApiKey,
    Body(body): Body,
) -> ApiResult {
    let request: TagRequest = json(&body)?;
    check_tag(&request.tag).map_err(ApiError::bad_request)?;
    let id = shared.new_ulid();
    let mut data = shared.write();
    let t = &mut data.teams[team];
    check_unique(t, &request.tag, None)?;
    let tag = ProvisioningTag {
        id: id.clone(),
        tag: request.tag,
        description: request.description,
        created_at: Utc::now(),
    };
    let response = (StatusCode::CREATED, Json(tag.json())).into_response();
    t.tags.insert(id, tag);
    Ok(response)
}

/// `GET /v1/claimed-devices/tags/{tagId}`.
pub(crate) async fn fetch(
    State(shared): State<AppState>,
    ApiKey(team): ApiKey,
    Path(id): Path<String>,
) -> ApiResult {
    let data = shared.read();
    let tag = data.teams[team]
        .tags
        .get(&id)
        .ok_or_else(|| not_found(&id))?;
    Ok(Json(tag.json()).into_response())
}

/// `PUT /v1/claimed-devices/tags/{tagId}`: 204.
pub(crate) async fn update(
    State(shared): State<AppState>,
    ApiKey(team): ApiKey,
    Path(id): Path<String>,
    Body(body): Body,
) -> ApiResult {
    let request: TagRequest = json(&body)?;
    check_tag(&request.tag).map_err(ApiError::bad_request)?;
    let mut data = shared.write();
    let t = &mut data.teams[team];
    check_unique(t, &request.tag, Some(&id))?;
    let tag = t.tags.get_mut(&id).ok_or_else(|| not_found(&id))?;
    let old = std::mem::replace(&mut tag.tag, request.tag.clone());
    tag.description = request.description;
    let rename = |tags: &mut Vec<String>| {
        for t in tags.iter_mut().filter(|t| **t == old) {
            t.clone_from(&request.tag);
        }
    };
    t.claimed.values_mut().for_each(|d| rename(&mut d.tags));
    t.rules.values_mut().for_each(|r| rename(&mut r.tags));
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `DELETE /v1/claimed-devices/tags/{tagId}`: 204.
pub(crate) async fn delete(
    State(shared): State<AppState>,
    ApiKey(team): ApiKey,
    Path(id): Path<String>,
) -> ApiResult {
    let mut data = shared.write();
    let t = &mut data.teams[team];
    let tag = t.tags.remove(&id).ok_or_else(|| not_found(&id))?;
    for device in t.claimed.values_mut() {
        device.tags.retain(|x| *x != tag.tag);
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}
