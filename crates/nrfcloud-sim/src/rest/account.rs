//! Account: `GET /v1/account` (team id, MQTT settings, plan) and
//! `POST /v1/account/service-key-and-token`, which replaces the team's service key (JWTs signed
//! with the previous one stop verifying).

use std::collections::BTreeSet;

use axum::{Json, extract::State, response::IntoResponse};
use serde_json::json;

use crate::{auth::ApiKey, error::ApiResult, keys, state::AppState};

/// `GET /v1/account`.
pub(crate) async fn fetch(State(shared): State<AppState>, ApiKey(team): ApiKey) -> ApiResult {
    let data = shared.read();
    let t = &data.teams[team];
    let tags: BTreeSet<&str> = t
        .devices
        .values()
        .flat_map(|d| d.tags())
        .map(String::as_str)
        .collect();
    // The shape of an account captured from the live service (hello-nrfcloud's api-helpers
    // test data, crates/nrfcloud/tests/fixtures/live): no `userId`, and an ENTERPRISE plan with
    // `serviceKeys` and the month's costs but no `overages`, which the document requires.
    Ok(Json(json!({
        "mqttEndpoint": "mqtt.nrfcloud.com",
        "mqttTopicPrefix": format!("prod/{}/", t.id),
        "team": { "tenantId": t.id, "name": t.name },
        "role": "owner",
        "tags": tags,
        "plan": {
            "name": "ENTERPRISE",
            "proxyUsageDeclarations": { "AGPS": 0, "PGPS": 0, "GROUND_FIX": 0 },
            "serviceKeys": [],
            "currentMonthCosts": [{
                "serviceId": "Devices",
                "serviceDescription": "Devices in your account",
                "quantity": t.devices.len(),
                "price": 0.1,
                "total": (t.devices.len() as f64 * 0.1 * 100.0).round() / 100.0,
            }],
            "currentMonthTotalCost": (t.devices.len() as f64 * 0.1 * 100.0).round() / 100.0,
        },
    }))
    .into_response())
}

/// `POST /v1/account/service-key-and-token`: `{key: <SEC1 PEM>, token: <ES256 JWT>}`.
pub(crate) async fn service_key_and_token(
    State(shared): State<AppState>,
    ApiKey(team): ApiKey,
) -> ApiResult {
    let team_id = shared.read().teams[team].id.clone();
    let key = keys::service_key(shared.random_bytes(), &team_id);
    shared.write().teams[team].service_key = Some(key.public);
    Ok(Json(json!({ "key": key.private_pem, "token": key.token })).into_response())
}
