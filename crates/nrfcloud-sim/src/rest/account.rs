//! Account: `GET /v1/account` (team id, MQTT settings, plan) and
//! `POST /v1/account/service-key-and-token`, which replaces the team's service key (JWTs signed
//! with the previous one stop verifying), and the service evaluation token
//! (`POST`/`GET /v1/account/service-evaluation-token`) that Location Services accept.

use std::collections::BTreeSet;

use axum::{Json, extract::State, response::IntoResponse};
use serde_json::json;

use super::location::EvalToken;
use crate::{
    auth::ApiKey,
    error::{ApiError, ApiResult},
    keys,
    state::{AppState, timestamp},
};

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

/// How long an evaluation lasts from the first GenerateServiceEvaluationToken.
const EVALUATION: chrono::TimeDelta = chrono::TimeDelta::days(30);

fn eval_token_body(token: &EvalToken) -> serde_json::Value {
    json!({ "token": token.token, "expires": timestamp(&token.expires) })
}

/// `POST /v1/account/service-evaluation-token`: `{token, expires}`. The 30-day evaluation
/// starts at the first call; later calls answer the same token.
pub(crate) async fn generate_evaluation_token(
    State(shared): State<AppState>,
    ApiKey(team): ApiKey,
) -> ApiResult {
    let fresh = EvalToken {
        token: shared.seeded_hex("service-evaluation-token", 24),
        expires: chrono::Utc::now() + EVALUATION,
    };
    let mut data = shared.write();
    let token = data.teams[team].eval_token.get_or_insert(fresh);
    Ok(Json(eval_token_body(token)).into_response())
}

/// `GET /v1/account/service-evaluation-token`: `{token, expires}`, 404 before the first
/// POST.
pub(crate) async fn fetch_evaluation_token(
    State(shared): State<AppState>,
    ApiKey(team): ApiKey,
) -> ApiResult {
    let data = shared.read();
    let token = data.teams[team]
        .eval_token
        .as_ref()
        .ok_or_else(|| ApiError::not_found("no service evaluation token has been generated"))?;
    Ok(Json(eval_token_body(token)).into_response())
}
