//! Bulk-ops requests: list (newest first; pageLimit 1-100, default 10; filters `status`,
//! `startRequestedAt`, `endRequestedAt`) and fetch.

use axum::{Json, extract::State, response::IntoResponse};
use serde::Deserialize;

use crate::{
    auth::ApiKey,
    bulk,
    error::{ApiError, ApiResult},
    extract::{Path, Query},
    pagination::{Page, PageRequest},
    state::AppState,
};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ListQuery {
    status: Option<String>,
    start_requested_at: Option<String>,
    end_requested_at: Option<String>,
    #[serde(default, deserialize_with = "crate::extract::present")]
    page_limit: Option<String>,
    page_next_token: Option<String>,
}

/// `GET /v1/bulk-ops-requests`.
pub(crate) async fn list(
    State(shared): State<AppState>,
    ApiKey(team): ApiKey,
    Query(q): Query<ListQuery>,
) -> ApiResult {
    let start = crate::extract::date_time("startRequestedAt", q.start_requested_at.as_deref())?;
    let end = crate::extract::date_time("endRequestedAt", q.end_requested_at.as_deref())?;
    if let Some(status) = q.status.as_deref()
        && !["PENDING", "IN_PROGRESS", "SUCCEEDED", "FAILED"].contains(&status)
    {
        return Err(ApiError::bad_request(format!("unknown status {status:?}")));
    }
    let page = PageRequest::new(
        &shared,
        q.page_limit.as_deref(),
        q.page_next_token.as_deref(),
    )?;
    let data = shared.read();
    let (items, next) = page.page_rev(&data.teams[team].bulk_ops, |op| {
        q.status.as_deref().is_none_or(|s| op.status.as_str() == s)
            && start.is_none_or(|t| op.requested_at >= t)
            && end.is_none_or(|t| op.requested_at <= t)
    });
    let items = items
        .into_iter()
        .map(|op| op.json(&shared.config.rest_origin))
        .collect();
    Ok(Json(Page::new(items, next)).into_response())
}

/// `GET /v1/bulk-ops-requests/{bulkOpsRequestId}`.
pub(crate) async fn fetch(
    State(shared): State<AppState>,
    ApiKey(team): ApiKey,
    Path(id): Path<String>,
) -> ApiResult {
    Ok(Json(bulk::fetch_json(&shared, team, &id)?).into_response())
}
