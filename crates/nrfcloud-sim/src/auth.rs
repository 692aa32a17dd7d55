//! Credentials: team API keys (`Authorization: Bearer <key>`) everywhere; ES256 JWTs only on
//! the operations whose security includes "JSON Web Token" — device JWTs (`sub` = device id, no
//! `aud`, verified with the device's registered public key) and service-key JWTs (`aud` = team
//! id, optional `sub`, verified with the team's service key). Errors never echo the credential.

use std::collections::HashSet;

use axum::{
    extract::FromRequestParts,
    http::{header, request::Parts},
};
use jsonwebtoken::{Algorithm, DecodingKey, Validation, errors::ErrorKind};
use serde_json::Value;

use crate::{
    error::ApiError,
    state::{AppState, Data, TeamIdx},
};

/// A request authenticated with a team API key.
pub(crate) struct ApiKey(pub TeamIdx);

/// A request to an operation that also accepts JWTs.
#[derive(Debug)]
pub(crate) enum Caller {
    /// API key of the team.
    Team(TeamIdx),
    /// Device JWT: may act on that device only.
    Device { team: TeamIdx, device_id: String },
    /// Service-key JWT; with `sub`, for that device only.
    Service { team: TeamIdx, sub: Option<String> },
}

impl Caller {
    pub fn team(&self) -> TeamIdx {
        match self {
            Caller::Team(t) | Caller::Device { team: t, .. } | Caller::Service { team: t, .. } => {
                *t
            }
        }
    }

    /// `Err(401)` when the credential is limited to another device.
    pub fn check_device(&self, device_id: &str) -> Result<(), ApiError> {
        let allowed = match self {
            Caller::Team(_) | Caller::Service { sub: None, .. } => None,
            Caller::Device { device_id: d, .. } | Caller::Service { sub: Some(d), .. } => Some(d),
        };
        match allowed {
            Some(d) if d != device_id => Err(ApiError::unauthorized(
                "this JWT does not grant access to the requested device",
            )),
            _ => Ok(()),
        }
    }
}

pub(crate) fn bearer(parts: &Parts) -> Result<&str, ApiError> {
    let value = parts
        .headers
        .get(header::AUTHORIZATION)
        .ok_or_else(|| ApiError::unauthorized("missing Authorization header (Bearer credential)"))?
        .to_str()
        .map_err(|_| ApiError::unauthorized("the Authorization header is not ASCII"))?;
    let (scheme, credential) = value.split_once(' ').ok_or_else(|| {
        ApiError::unauthorized("the Authorization header must be `Bearer <credential>`")
    })?;
    if !scheme.eq_ignore_ascii_case("bearer") || credential.trim().is_empty() {
        return Err(ApiError::unauthorized(
            "the Authorization header must be `Bearer <credential>`",
        ));
    }
    Ok(credential.trim())
}

pub(crate) fn team_for_key(data: &Data, key: &str) -> Option<TeamIdx> {
    data.teams.iter().position(|t| t.api_key == key)
}

pub(crate) fn looks_like_jwt(credential: &str) -> bool {
    credential.split('.').count() == 3
}

impl FromRequestParts<AppState> for ApiKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let credential = bearer(parts)?;
        match team_for_key(&state.read(), credential) {
            Some(team) => Ok(ApiKey(team)),
            None if looks_like_jwt(credential) => Err(ApiError::unauthorized(
                "this operation accepts only an API key, not a JWT",
            )),
            None => Err(ApiError::unauthorized("invalid API key")),
        }
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let credential = bearer(parts)?;
        if let Some(team) = team_for_key(&state.read(), credential) {
            return Ok(Caller::Team(team));
        }
        if !looks_like_jwt(credential) {
            return Err(ApiError::unauthorized("invalid API key"));
        }
        verify_jwt(state, credential)
    }
}

pub(crate) fn verify_jwt(state: &AppState, token: &str) -> Result<Caller, ApiError> {
    let malformed = || ApiError::unauthorized("malformed JWT");
    let header = jsonwebtoken::decode_header(token).map_err(|_| malformed())?;
    if header.alg != Algorithm::ES256 {
        return Err(ApiError::unauthorized("JWTs must be signed with ES256"));
    }
    // Read unverified claims only to find the key; nothing is trusted before `verify`.
    let claims: Value =
        jsonwebtoken::dangerous::insecure_decode_claims(token).map_err(|_| malformed())?;
    let sub = claims.get("sub").and_then(Value::as_str).map(str::to_owned);
    let audiences: Vec<&str> = match claims.get("aud") {
        None => Vec::new(),
        Some(Value::String(a)) => vec![a.as_str()],
        Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).collect(),
        Some(_) => return Err(malformed()),
    };
    if audiences.is_empty() {
        let device_id = sub.ok_or_else(|| {
            ApiError::unauthorized(
                "a device JWT needs `sub` = device id (or `aud` = team id for a service key)",
            )
        })?;
        let (team, key) = {
            let data = state.read();
            let team = data.device_owner(&device_id);
            let key = team.and_then(|t| data.teams[t].devices[&device_id].key.clone());
            (team, key)
        };
        let (Some(team), Some(key)) = (team, key) else {
            return Err(ApiError::unauthorized(
                "no public key is registered for the JWT's device",
            ));
        };
        verify(token, &key, None)?;
        Ok(Caller::Device { team, device_id })
    } else {
        let (team, key, team_id) = {
            let data = state.read();
            let team = data
                .teams
                .iter()
                .position(|t| audiences.contains(&t.id.as_str()))
                .ok_or_else(|| ApiError::unauthorized("the JWT audience is not a known team"))?;
            let t = &data.teams[team];
            (team, t.service_key.clone(), t.id.clone())
        };
        let key = key.ok_or_else(|| ApiError::unauthorized("the team has no service key"))?;
        verify(token, &key, Some(&team_id))?;
        Ok(Caller::Service { team, sub })
    }
}

fn verify(token: &str, key: &DecodingKey, audience: Option<&str>) -> Result<(), ApiError> {
    let mut validation = Validation::new(Algorithm::ES256);
    // Modem JWTs made with `%JWT` and exp_delta 0 carry no `exp`; when present it is enforced.
    validation.required_spec_claims = HashSet::new();
    match audience {
        Some(aud) => validation.set_audience(&[aud]),
        None => validation.validate_aud = false,
    }
    jsonwebtoken::decode::<Value>(token, key, &validation)
        .map(drop)
        .map_err(|e| {
            ApiError::unauthorized(match e.kind() {
                ErrorKind::ExpiredSignature => "the JWT has expired",
                ErrorKind::InvalidAudience => "the JWT audience does not match",
                ErrorKind::InvalidSignature => "the JWT signature does not verify",
                _ => "the JWT does not verify",
            })
        })
}
