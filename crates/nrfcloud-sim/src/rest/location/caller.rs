//! [`LocationCaller`]: who is asking Location Services, and for which device.
//!
//! * `/v1/location/history…`: the team API key, or a device or service-key JWT.
//! * the other `/v1/location/…` operations: a device or service-key JWT, or the team's service
//!   evaluation token; an API key gets 401 (the document lists no API key for them).
//! * `/v1/organizations/{org}/projects/{project}/location/…`: only the simulator's Organization
//!   Auth Token (401 for anything else), and 404 when the organization or project is unknown.
//!
//! The device is the JWT's (`sub` of a device JWT or of a service-key JWT) or, when the token
//! names none, the `x-custom-device-id` header's.

use axum::{extract::FromRequestParts, http::request::Parts};
use chrono::Utc;

use super::{ORGANIZATION, PROJECT};
use crate::{
    auth::{Caller, bearer, looks_like_jwt, team_for_key, verify_jwt},
    error::ApiError,
    state::{AppState, TeamIdx},
};

/// The header that names the device a proxy request is for.
pub(crate) const CUSTOM_DEVICE_ID: &str = "x-custom-device-id";

/// An authenticated Location Services request.
#[derive(Debug)]
pub(crate) struct LocationCaller {
    pub team: TeamIdx,
    /// The device the request is for: fixes are recorded in its history.
    pub device: Option<String>,
    /// The device the credential is limited to (a device JWT, or a service-key JWT with `sub`).
    pub limited_to: Option<String>,
    /// Made with the service evaluation token: fixes report the `_EVAL` service types.
    pub eval: bool,
}

impl LocationCaller {
    /// `Err(401)` when the credential is limited to another device.
    pub fn check_device(&self, device_id: &str) -> Result<(), ApiError> {
        match &self.limited_to {
            Some(d) if d != device_id => Err(ApiError::unauthorized(
                "this JWT does not grant access to the requested device",
            )),
            _ => Ok(()),
        }
    }
}

/// The prefix of OAT URLs, before `{org}/projects/{project}/location/…`.
const ORGANIZATIONS: &str = "/v1/organizations/";

impl FromRequestParts<AppState> for LocationCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let header_device = parts
            .headers
            .get(CUSTOM_DEVICE_ID)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned);
        let path = parts.uri.path().to_owned();
        let credential = bearer(parts)?;
        if let Some(rest) = path.strip_prefix(ORGANIZATIONS) {
            if credential != state.oat {
                return Err(ApiError::unauthorized(
                    "organization URLs accept only an Organization Auth Token",
                ));
            }
            let mut segments = rest.split('/');
            let (org, project) = (segments.next(), segments.nth(1));
            if org != Some(ORGANIZATION) || project != Some(PROJECT) {
                return Err(ApiError::not_found("unknown organization or project"));
            }
            return Ok(Self {
                team: 0,
                device: header_device,
                limited_to: None,
                eval: false,
            });
        }
        let history = path.starts_with("/v1/location/history");
        {
            let data = state.read();
            if let Some(team) = team_for_key(&data, credential) {
                if !history {
                    return Err(ApiError::unauthorized(
                        "Location Services do not accept an API key: use a JWT or the service \
                         evaluation token",
                    ));
                }
                return Ok(Self {
                    team,
                    device: header_device,
                    limited_to: None,
                    eval: false,
                });
            }
            let eval = data
                .teams
                .iter()
                .position(|t| t.eval_token.as_ref().is_some_and(|e| e.token == credential));
            if let Some(team) = eval {
                if history {
                    return Err(ApiError::unauthorized(
                        "location history does not accept the service evaluation token",
                    ));
                }
                let expired = data.teams[team]
                    .eval_token
                    .as_ref()
                    .is_some_and(|e| e.expires <= Utc::now());
                if expired {
                    return Err(ApiError::unauthorized(
                        "the service evaluation token has expired",
                    ));
                }
                return Ok(Self {
                    team,
                    device: header_device,
                    limited_to: None,
                    eval: true,
                });
            }
        }
        if credential == state.oat {
            return Err(ApiError::unauthorized(
                "an Organization Auth Token is accepted only under /v1/organizations/{org}/projects/{project}/",
            ));
        }
        if !looks_like_jwt(credential) {
            return Err(ApiError::unauthorized("invalid credential"));
        }
        Ok(match verify_jwt(state, credential)? {
            Caller::Device { team, device_id } => Self {
                team,
                device: Some(device_id.clone()),
                limited_to: Some(device_id),
                eval: false,
            },
            Caller::Service { team, sub } => Self {
                team,
                device: sub.clone().or(header_device),
                limited_to: sub,
                eval: false,
            },
            Caller::Team(team) => Self {
                team,
                device: header_device,
                limited_to: None,
                eval: false,
            },
        })
    }
}
