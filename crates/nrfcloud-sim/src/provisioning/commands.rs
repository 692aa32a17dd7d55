//! Provisioning commands of a claimed device: create (201 `{id}`), list, fetch, delete (204).
//! At most 20 per device (422 beyond). Each command moves PENDING → IN_PROGRESS → SUCCEEDED
//! (or FAILED), one configured step apart, as if the device were online; while the device is
//! blocked its commands stay where they are.
//!
//! Responses: `certificateSigningRequest` answers a real PKCS#10 CSR made with the device's
//! key; `cloudAccessKeyGeneration` registers the device's public key, adding the device to the
//! team's REST devices (id = device UUID) so it can use device JWTs; every other kind answers
//! `{"<kind>": {"message": …}}`.

use axum::{Json, extract::State, http::StatusCode, response::IntoResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{claims::ClaimedDevice, devices::claimed};
use crate::{
    auth::ApiKey,
    error::{ApiError, ApiResult},
    extract::{Body, Path, Query, json},
    keys,
    pagination::{Page, PageQuery, PageRequest},
    rest::devices::Device,
    state::{AppState, TeamIdx, timestamp},
};

/// Most commands a claimed device holds.
pub(crate) const MAX_COMMANDS: usize = 20;

/// Command status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    Pending,
    InProgress,
    Succeeded,
    Failed,
}

impl Status {
    fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "PENDING",
            Status::InProgress => "IN_PROGRESS",
            Status::Succeeded => "SUCCEEDED",
            Status::Failed => "FAILED",
        }
    }
}

/// A provisioning command.
pub(crate) struct Command {
    id: String,
    description: Option<String>,
    /// The `{<kind>: {...}}` object, validated.
    request: Value,
    status: Status,
    response: Option<Value>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CommandJson<'a> {
    id: &'a str,
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
    request: &'a Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    response: Option<&'a Value>,
    created_at: String,
    updated_at: String,
}

impl Command {
    fn json(&self) -> CommandJson<'_> {
        CommandJson {
            id: &self.id,
            status: self.status.as_str(),
            description: self.description.as_deref(),
            request: &self.request,
            response: self.response.as_ref(),
            created_at: timestamp(&self.created_at),
            updated_at: timestamp(&self.updated_at),
        }
    }
}

/// Command kinds and the fields each requires besides `secTag` (`None`: no `secTag` either).
const KINDS: &[(&str, Option<&[&str]>)] = &[
    ("cloudAccessKeyGeneration", Some(&[])),
    ("clientPrivateKeyGeneration", Some(&[])),
    ("certificateSigningRequest", Some(&[])),
    ("serverCertificate", Some(&["content"])),
    ("clientCertificate", Some(&["content"])),
    ("clientPrivateKey", Some(&["content"])),
    ("preSharedKey", Some(&["identity", "secret"])),
    ("config", None),
    ("finished", None),
];

/// Checks a `request` object (exactly one known kind with its fields); returns the kind.
pub(crate) fn check_request(request: &Value) -> Result<&'static str, String> {
    let object = request
        .as_object()
        .ok_or("`request` must be an object keyed by the command kind")?;
    if object.len() != 1 {
        return Err(format!(
            "`request` must hold exactly one command kind, found {}",
            object.len()
        ));
    }
    let (name, body) = object.iter().next().expect("one entry");
    let (kind, fields) = KINDS
        .iter()
        .find(|(k, _)| k == name)
        .ok_or_else(|| format!("unknown command kind {name:?}"))?;
    let body = body
        .as_object()
        .ok_or_else(|| format!("`request.{kind}` must be an object"))?;
    if let Some(fields) = fields {
        if !body.get("secTag").is_some_and(Value::is_i64) {
            return Err(format!("`request.{kind}.secTag` must be an integer"));
        }
        for field in *fields {
            if !body.get(*field).is_some_and(Value::is_string) {
                return Err(format!("`request.{kind}.{field}` must be a string"));
            }
        }
    }
    match *kind {
        "certificateSigningRequest" => {
            if let Some(usage) = body.get("keyUsage") {
                let ok = usage
                    .as_str()
                    .is_some_and(|u| u.len() == 9 && u.chars().all(|c| c == '0' || c == '1'));
                if !ok {
                    return Err("`keyUsage` must be 9 characters of 0 and 1".into());
                }
            }
            if let Some(attributes) = body.get("attributes") {
                let a = attributes.as_str().ok_or("`attributes` must be a string")?;
                keys::check_subject(a)?;
            }
        }
        "config" => {
            let properties = body.get("properties").and_then(Value::as_object);
            if properties.is_some_and(|p| p.len() > 10 || p.values().any(|v| !v.is_string())) {
                return Err("`config.properties` holds at most 10 string values".into());
            }
        }
        _ => {}
    }
    Ok(kind)
}

/// Adds a command to `device` and starts its lifecycle; returns its id.
pub(crate) fn enqueue(
    shared: &AppState,
    team: TeamIdx,
    device: &mut ClaimedDevice,
    request: Value,
    description: Option<String>,
) -> Result<String, ApiError> {
    if device.commands.len() >= MAX_COMMANDS {
        return Err(ApiError::validation(format!(
            "a claimed device holds at most {MAX_COMMANDS} provisioning commands"
        )));
    }
    let id = shared.new_ulid();
    let now = Utc::now();
    device.commands.insert(
        id.clone(),
        Command {
            id: id.clone(),
            description,
            request,
            status: Status::Pending,
            response: None,
            created_at: now,
            updated_at: now,
        },
    );
    let (task_shared, device_id, command_id) =
        (shared.clone(), device.facts.id.clone(), id.clone());
    shared.spawn(async move { run(task_shared, team, device_id, command_id).await });
    Ok(id)
}

async fn run(shared: AppState, team: TeamIdx, device_id: String, command_id: String) {
    for next in [Status::InProgress, Status::Succeeded] {
        loop {
            tokio::time::sleep(shared.config.step).await;
            match advance(&shared, team, &device_id, &command_id, next) {
                Some(true) => break,
                Some(false) => {}
                None => return,
            }
        }
    }
}

/// Moves the command to `next` unless the device is blocked: `Some(true)` when moved,
/// `Some(false)` when it must wait, `None` when the device or command is gone.
fn advance(
    shared: &AppState,
    team: TeamIdx,
    device_id: &str,
    command_id: &str,
    next: Status,
) -> Option<bool> {
    let mut data = shared.write();
    let t = &mut data.teams[team];
    let device = t.claimed.get_mut(device_id)?;
    if device.blocked {
        return Some(false);
    }
    let command = device.commands.get_mut(command_id)?;
    command.updated_at = Utc::now();
    if next != Status::Succeeded {
        command.status = next;
        return Some(true);
    }
    let kind = command
        .request
        .as_object()
        .and_then(|o| o.iter().next())
        .map(|(k, v)| (k.clone(), v.clone()));
    let Some((kind, body)) = kind else {
        command.status = Status::Failed;
        return Some(true);
    };
    let secret = keys::device_secret(&shared.seed, device_id);
    let (status, response) = match kind.as_str() {
        "certificateSigningRequest" => {
            let attributes = body.get("attributes").and_then(Value::as_str);
            match keys::csr_pem(&secret, attributes, device_id) {
                Ok(csr) => (Status::Succeeded, json!({ "csr": csr })),
                Err(e) => (Status::Failed, json!({ "message": e })),
            }
        }
        "cloudAccessKeyGeneration" => (
            Status::Succeeded,
            json!({ "message": "key pair generated; public key registered with nRF Cloud" }),
        ),
        _ => (Status::Succeeded, json!({ "message": "OK" })),
    };
    command.status = status;
    command.response = Some(json!({ kind.clone(): response }));
    if kind == "cloudAccessKeyGeneration" && data.device_owner(device_id).is_none_or(|o| o == team)
    {
        let key = keys::decoding_key(&secret);
        let devices = &mut data.teams[team].devices;
        match devices.get_mut(device_id) {
            Some(device) => device.set_key(key),
            None => {
                devices.insert(
                    device_id.to_string(),
                    Device::new(
                        device_id.to_string(),
                        String::new(),
                        Vec::new(),
                        Vec::new(),
                        Some(key),
                    ),
                );
            }
        }
    }
    Some(true)
}

#[derive(Deserialize)]
struct CreateRequest {
    #[serde(default, deserialize_with = "crate::extract::present")]
    description: Option<String>,
    request: Value,
}

fn not_found(id: &str) -> ApiError {
    ApiError::not_found(format!("provisioning command {id} not found"))
}

/// `POST /v1/claimed-devices/{deviceId}/provisioning`: 201 `{id}`.
pub(crate) async fn create(
    State(shared): State<AppState>,
    ApiKey(team): ApiKey,
    Path(device_id): Path<String>,
    Body(body): Body,
) -> ApiResult {
    let request: CreateRequest = json(&body)?;
    check_request(&request.request).map_err(ApiError::bad_request)?;
    let mut data = shared.write();
    let device = claimed(&mut data.teams[team], &device_id)?;
    let id = enqueue(&shared, team, device, request.request, request.description)?;
    Ok((StatusCode::CREATED, Json(json!({ "id": id }))).into_response())
}

/// `GET /v1/claimed-devices/{deviceId}/provisioning`, oldest first.
pub(crate) async fn list(
    State(shared): State<AppState>,
    ApiKey(team): ApiKey,
    Path(device_id): Path<String>,
    Query(q): Query<PageQuery>,
) -> ApiResult {
    let page = PageRequest::from_query(&shared, &q)?;
    let mut data = shared.write();
    let device = claimed(&mut data.teams[team], &device_id)?;
    let (items, next) = page.page(&device.commands, |_| true);
    let items = items.into_iter().map(Command::json).collect();
    Ok(Json(Page::new(items, next)).into_response())
}

/// `GET /v1/claimed-devices/{deviceId}/provisioning/{commandId}`.
pub(crate) async fn fetch(
    State(shared): State<AppState>,
    ApiKey(team): ApiKey,
    Path((device_id, command_id)): Path<(String, String)>,
) -> ApiResult {
    let mut data = shared.write();
    let device = claimed(&mut data.teams[team], &device_id)?;
    let command = device
        .commands
        .get(&command_id)
        .ok_or_else(|| not_found(&command_id))?;
    Ok(Json(command.json()).into_response())
}

/// `DELETE /v1/claimed-devices/{deviceId}/provisioning/{commandId}`: 204.
pub(crate) async fn delete(
    State(shared): State<AppState>,
    ApiKey(team): ApiKey,
    Path((device_id, command_id)): Path<(String, String)>,
) -> ApiResult {
    let mut data = shared.write();
    let device = claimed(&mut data.teams[team], &device_id)?;
    device
        .commands
        .remove(&command_id)
        .ok_or_else(|| not_found(&command_id))?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_requests_are_checked() {
        assert_eq!(
            check_request(&json!({"cloudAccessKeyGeneration": {"secTag": 16842753}})),
            Ok("cloudAccessKeyGeneration")
        );
        assert_eq!(check_request(&json!({"finished": {}})), Ok("finished"));
        for (bad, needle) in [
            (json!({}), "exactly one"),
            (json!({"finished": {}, "config": {}}), "exactly one"),
            (json!({"reboot": {}}), "unknown command kind"),
            (json!({"serverCertificate": {"secTag": 1}}), "content"),
            (
                json!({"clientPrivateKeyGeneration": {"secTag": "1"}}),
                "secTag",
            ),
            (
                json!({"certificateSigningRequest": {"secTag": 1, "keyUsage": "12"}}),
                "keyUsage",
            ),
            (json!([1]), "object"),
        ] {
            let err = check_request(&bad).unwrap_err();
            assert!(err.contains(needle), "{bad}: {err}");
        }
    }
}
