//! The simulator's own routes, outside both APIs: `GET`/`PUT /__sim/faults` (so a `serve`
//! process can be driven by out-of-process tests), the JSON 404/405 fallbacks, and the
//! request body limit.

use axum::{
    Json, Router,
    extract::{DefaultBodyLimit, State},
    http::{Method, StatusCode, Uri},
    response::IntoResponse,
    routing::get,
};

use crate::{
    error::{ApiError, ApiResult},
    extract::{Body, MAX_BODY, json},
    faults::Faults,
    state::AppState,
};

/// Adds the admin routes, the fallbacks and the body limit to `router`.
pub(crate) fn wrap(router: Router<AppState>) -> Router<AppState> {
    router
        .route("/__sim/faults", get(get_faults).put(put_faults))
        .fallback(no_route)
        .method_not_allowed_fallback(not_allowed)
        .layer(DefaultBodyLimit::max(MAX_BODY))
}

async fn get_faults(State(shared): State<AppState>) -> Json<Faults> {
    Json(shared.faults().faults().clone())
}

/// Replaces the faults (missing fields take their defaults) and restarts their counters.
async fn put_faults(State(shared): State<AppState>, Body(body): Body) -> ApiResult {
    let faults: Faults = json(&body)?;
    shared.faults().set(faults);
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn no_route(method: Method, uri: Uri) -> ApiError {
    ApiError::no_route(method.as_str(), uri.path())
}

async fn not_allowed(method: Method, uri: Uri) -> ApiError {
    ApiError::method_not_allowed(method.as_str(), uri.path())
}
