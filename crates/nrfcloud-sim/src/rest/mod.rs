//! The REST API subset (`openapi/nrfcloud-rest.json`), served under `/v1`, plus the
//! simulator's own unauthenticated `/__sim/bulk/…`, `/__sim/firmware/…` and `/__sim/pgps/…`
//! downloads. Location Services are served under `/v1/location/…` and, for Organization Auth
//! Tokens, under `/v1/organizations/{org}/projects/{project}/location/…` (same handlers).

pub(crate) mod account;
pub(crate) mod bulk_ops;
pub(crate) mod devices;
pub(crate) mod firmware;
mod firmware_zip;
pub(crate) mod fota_executions;
pub(crate) mod fota_jobs;
pub(crate) mod location;
pub(crate) mod messages;
pub(crate) mod onboarding;

use axum::{
    Router,
    routing::{delete, get, patch, post, put},
};

use self::location::{agnss, ground_fix, history, pgps};
use crate::{bulk, state::AppState};

/// Routes of the REST API.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/account", get(account::fetch))
        .route(
            "/v1/account/service-key-and-token",
            post(account::service_key_and_token),
        )
        .route(
            "/v1/account/service-evaluation-token",
            get(account::fetch_evaluation_token).post(account::generate_evaluation_token),
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
        .route("/v1/devices/{deviceId}/state", patch(devices::update_state))
        .route("/v1/devices/{deviceId}/messages", post(messages::send))
        .route("/v1/messages", get(messages::list))
        .route("/v1/bulk-ops-requests", get(bulk_ops::list))
        .route("/v1/bulk-ops-requests/{id}", get(bulk_ops::fetch))
        .route("/v1/firmwares", get(firmware::list).post(firmware::upload))
        .route("/v1/firmwares/{bundleId}", delete(firmware::delete))
        .route(
            "/v1/fota-jobs",
            get(fota_jobs::list).post(fota_jobs::create),
        )
        .route(
            "/v1/fota-jobs/{jobId}",
            get(fota_jobs::fetch).delete(fota_jobs::delete),
        )
        .route("/v1/fota-jobs/{jobId}/apply", post(fota_jobs::apply))
        .route("/v1/fota-jobs/{jobId}/cancel", put(fota_jobs::cancel))
        .route(
            "/v1/fota-job-execution-statuses/{jobId}",
            get(fota_executions::list_statuses),
        )
        .route(
            "/v1/fota-job-executions/{deviceId}",
            get(fota_executions::list_for_device),
        )
        .route(
            "/v1/fota-job-executions/{deviceId}/current",
            get(fota_executions::current),
        )
        .route(
            "/v1/fota-job-executions/{deviceId}/{jobId}",
            get(fota_executions::fetch).patch(fota_executions::update),
        )
        .route("/v1/location/ground-fix", post(ground_fix::ground_fix))
        .route("/v1/location/single-cell", get(ground_fix::single_cell))
        .route("/v1/location/agnss", post(agnss::fetch).head(agnss::size))
        .route("/v1/location/pgnss", get(pgps::link))
        .route("/v1/location/pgps", get(pgps::link))
        .route("/v1/location/history", get(history::list))
        .route(
            "/v1/location/history/{deviceId}/{id}",
            delete(history::delete),
        )
        .route(
            "/v1/organizations/{org}/projects/{project}/location/ground-fix",
            post(ground_fix::ground_fix),
        )
        .route(
            "/v1/organizations/{org}/projects/{project}/location/single-cell",
            get(ground_fix::single_cell),
        )
        .route(
            "/v1/organizations/{org}/projects/{project}/location/agnss",
            post(agnss::fetch).head(agnss::size),
        )
        .route(
            "/v1/organizations/{org}/projects/{project}/location/pgnss",
            get(pgps::link),
        )
        .route(
            "/v1/organizations/{org}/projects/{project}/location/pgps",
            get(pgps::link),
        )
        .route(
            "/v1/organizations/{org}/projects/{project}/location/history",
            get(history::list),
        )
        .route(
            "/v1/organizations/{org}/projects/{project}/location/history/{deviceId}/{id}",
            delete(history::delete),
        )
        .route("/__sim/bulk/{id}/uploaded.csv", get(bulk::uploaded))
        .route("/__sim/bulk/{id}/errors.json", get(bulk::error_summary))
        .route(
            "/__sim/firmware/{tenantId}/{bundleId}/{*file}",
            get(firmware::download),
        )
        .route("/__sim/pgps/{file}", get(pgps::download))
}
