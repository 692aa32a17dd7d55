//! The REST API subset (`openapi/nrfcloud-rest.json`), served under `/v1`, plus the
//! simulator's own unauthenticated `/__sim/bulk/…` downloads.

pub(crate) mod account;
pub(crate) mod bulk_ops;
pub(crate) mod devices;
pub(crate) mod onboarding;

use axum::{
    Router,
    routing::{get, post, put},
};

use crate::{bulk, state::AppState};

/// Routes of the REST API.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/account", get(account::fetch))
        .route(
            "/v1/account/service-key-and-token",
            post(account::service_key_and_token),
        )
        .route("/v1/devices", get(devices::list).post(onboarding::onboard))
        .route("/v1/devices/public-keys", post(onboarding::public_keys))
        .route("/v1/devices/certificates", post(onboarding::certificates))
        .route(
            "/v1/devices/{deviceId}",
            get(devices::fetch).delete(devices::delete),
        )
        .route("/v1/devices/{deviceId}/name", put(devices::rename))
        .route("/v1/devices/{deviceId}/tags", put(devices::set_tags))
        .route(
            "/v1/devices/{deviceId}/state",
            axum::routing::patch(devices::update_state),
        )
        .route("/v1/bulk-ops-requests", get(bulk_ops::list))
        .route("/v1/bulk-ops-requests/{id}", get(bulk_ops::fetch))
        .route("/__sim/bulk/{id}/uploaded.csv", get(bulk::uploaded))
        .route("/__sim/bulk/{id}/errors.json", get(bulk::error_summary))
}
