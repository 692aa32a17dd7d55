//! Provisioning rules: create (201), list, fetch, update (PUT, 204), delete (204). A rule is
//! `DRAFT` until `active` is true, then `ACTIVE`; an active rule cannot be edited except to
//! deactivate it (409). Names are unique per team (409). When a device is claimed with a tag
//! that an active rule targets, the rule's commands are added to the device.

use axum::{Json, extract::State, http::StatusCode, response::IntoResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{
    check_tags,
    commands::{MAX_COMMANDS, check_request},
};
use crate::{
    auth::ApiKey,
    error::{ApiError, ApiResult},
    extract::{Body, Path, Query, json},
    pagination::{Page, PageQuery, PageRequest},
    state::{AppState, Team, timestamp},
};

/// A provisioning rule.
pub(crate) struct Rule {
    id: String,
    name: String,
    description: Option<String>,
    pub active: bool,
    /// `(request, description)` of each command.
    pub commands: Vec<(Value, Option<String>)>,
    pub tags: Vec<String>,
    created_at: DateTime<Utc>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RuleJson<'a> {
    id: &'a str,
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
    active: bool,
    status: &'static str,
    commands: Vec<CommandJson<'a>>,
    tags: &'a [String],
    created_at: String,
}

#[derive(Serialize)]
struct CommandJson<'a> {
    request: &'a Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
}

impl Rule {
    fn json(&self) -> RuleJson<'_> {
        RuleJson {
            id: &self.id,
            name: &self.name,
            description: self.description.as_deref(),
            active: self.active,
            status: if self.active { "ACTIVE" } else { "DRAFT" },
            commands: self
                .commands
                .iter()
                .map(|(request, description)| CommandJson {
                    request,
                    description: description.as_deref(),
                })
                .collect(),
            tags: &self.tags,
            created_at: timestamp(&self.created_at),
        }
    }
}

#[derive(Deserialize)]
struct RuleCommand {
    request: Value,
    #[serde(default, deserialize_with = "crate::extract::present")]
    description: Option<String>,
}

#[derive(Deserialize)]
struct RuleRequest {
    name: String,
    #[serde(default, deserialize_with = "crate::extract::present")]
    description: Option<String>,
    #[serde(default)]
    active: bool,
    commands: Vec<RuleCommand>,
    tags: Vec<String>,
}

impl RuleRequest {
    fn parse(body: &[u8]) -> Result<Self, ApiError> {
        let request: RuleRequest = json(body)?;
        if request.name.trim().is_empty() {
            return Err(ApiError::bad_request("`name` must not be empty"));
        }
        check_tags(&request.tags).map_err(ApiError::bad_request)?;
        if request.commands.len() > MAX_COMMANDS {
            return Err(ApiError::bad_request(format!(
                "a rule holds at most {MAX_COMMANDS} commands"
            )));
        }
        for (i, command) in request.commands.iter().enumerate() {
            check_request(&command.request)
                .map_err(|e| ApiError::bad_request(format!("commands[{i}]: {e}")))?;
        }
        Ok(request)
    }

    /// The commands as stored: `(request, description)`.
    fn take_commands(&mut self) -> Vec<(Value, Option<String>)> {
        std::mem::take(&mut self.commands)
            .into_iter()
            .map(|c| (c.request, c.description))
            .collect()
    }
}

fn not_found(id: &str) -> ApiError {
    ApiError::not_found(format!("provisioning rule {id} not found"))
}

fn check_unique(team: &Team, name: &str, except: Option<&str>) -> Result<(), ApiError> {
    if team
        .rules
        .values()
        .any(|r| r.name == name && Some(r.id.as_str()) != except)
    {
        return Err(ApiError::conflict(format!(
            "a rule named {name:?} already exists"
        )));
    }
    Ok(())
}

/// `GET /v1/provisioning-rules`, oldest first.
pub(crate) async fn list(
    State(shared): State<AppState>,
    ApiKey(team): ApiKey,
    Query(q): Query<PageQuery>,
) -> ApiResult {
    let page = PageRequest::from_query(&shared, &q)?;
    let data = shared.read();
    let (items, next) = page.page(&data.teams[team].rules, |_| true);
    let items = items.into_iter().map(Rule::json).collect();
    Ok(Json(Page::new(items, next)).into_response())
}

/// `POST /v1/provisioning-rules`: 201 with the rule.
pub(crate) async fn create(
    State(shared): State<AppState>,
    ApiKey(team): ApiKey,
    Body(body): Body,
) -> ApiResult {
    let mut request = RuleRequest::parse(&body)?;
    let commands = request.take_commands();
    let id = shared.new_ulid();
    let mut data = shared.write();
    let t = &mut data.teams[team];
    check_unique(t, &request.name, None)?;
    let rule = Rule {
        id: id.clone(),
        name: request.name,
        description: request.description,
        active: request.active,
        commands,
        tags: request.tags,
        created_at: Utc::now(),
    };
    let response = (StatusCode::CREATED, Json(rule.json())).into_response();
    t.rules.insert(id, rule);
    Ok(response)
}

/// `GET /v1/provisioning-rules/{ruleId}`.
pub(crate) async fn fetch(
    State(shared): State<AppState>,
    ApiKey(team): ApiKey,
    Path(id): Path<String>,
) -> ApiResult {
    let data = shared.read();
    let rule = data.teams[team]
        .rules
        .get(&id)
        .ok_or_else(|| not_found(&id))?;
    Ok(Json(rule.json()).into_response())
}

/// `PUT /v1/provisioning-rules/{ruleId}`: replaces the rule; 204.
pub(crate) async fn update(
    State(shared): State<AppState>,
    ApiKey(team): ApiKey,
    Path(id): Path<String>,
    Body(body): Body,
) -> ApiResult {
    let mut request = RuleRequest::parse(&body)?;
    let commands = request.take_commands();
    let mut data = shared.write();
    let t = &mut data.teams[team];
    check_unique(t, &request.name, Some(&id))?;
    let rule = t.rules.get_mut(&id).ok_or_else(|| not_found(&id))?;
    let edits = rule.name != request.name
        || rule.description != request.description
        || rule.commands != commands
        || rule.tags != request.tags;
    if rule.active && edits {
        return Err(ApiError::conflict(
            "an active rule cannot be edited; deactivate it first (active: false)",
        ));
    }
    rule.name = request.name;
    rule.description = request.description;
    rule.active = request.active;
    rule.commands = commands;
    rule.tags = request.tags;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `DELETE /v1/provisioning-rules/{ruleId}`: 204.
pub(crate) async fn delete(
    State(shared): State<AppState>,
    ApiKey(team): ApiKey,
    Path(id): Path<String>,
) -> ApiResult {
    shared.write().teams[team]
        .rules
        .remove(&id)
        .ok_or_else(|| not_found(&id))?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
