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
    Ok(Json(json!({
        "mqttEndpoint": "mqtt.nrfcloud.com",
        "mqttTopicPrefix": format!("prod/{}/", t.id),
        "team": { "tenantId": t.id, "name": t.name },
        "role": "owner",
        "userId": t.user_id,
        "tags": tags,
        "plan": {
            "name": "ENTERPRISE",
            "proxyUsageDeclarations": {},
            "overages": { "type": "D2C" },
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
