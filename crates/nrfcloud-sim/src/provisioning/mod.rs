//! The Provisioning Service API (`openapi/nrfcloud-provisioning.json`), served under `/v1`.

pub(crate) mod claims;
pub(crate) mod commands;
pub(crate) mod devices;
pub(crate) mod rules;
pub(crate) mod tags;

use axum::{
    Router,
    routing::{get, post, put},
};

use crate::state::AppState;

/// Routes of the provisioning API.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/v1/claimed-devices",
            post(claims::claim).get(devices::list),
        )
        .route("/v1/identities/claimed-devices", post(claims::claim))
        .route("/v1/claimed-devices/bulk", post(claims::bulk_claim))
        .route(
            "/v1/claimed-devices/tags",
            get(tags::list).post(tags::create),
        )
        .route(
            "/v1/claimed-devices/tags/{tagId}",
            get(tags::fetch).put(tags::update).delete(tags::delete),
        )
        .route("/v1/provisioning/tags", get(tags::list).post(tags::create))
        .route(
            "/v1/claimed-devices/{deviceId}",
            get(devices::fetch).delete(devices::unclaim),
        )
        .route("/v1/claimed-devices/{deviceId}/block", post(devices::block))
        .route(
            "/v1/claimed-devices/{deviceId}/unblock",
            post(devices::unblock),
        )
        .route(
            "/v1/claimed-devices/{deviceId}/tags",
            put(devices::set_tags),
        )
        .route(
            "/v1/claimed-devices/{deviceId}/provisioning",
            get(commands::list).post(commands::create),
        )
        .route(
            "/v1/claimed-devices/{deviceId}/provisioning/{commandId}",
            get(commands::fetch).delete(commands::delete),
        )
        .route(
            "/v1/provisioning-rules",
            get(rules::list).post(rules::create),
        )
        .route(
            "/v1/provisioning-rules/{ruleId}",
            get(rules::fetch).put(rules::update).delete(rules::delete),
        )
}

/// Most characters in a tag.
pub(crate) const MAX_TAG_LEN: usize = 100;

/// Checks one provisioning tag: 1 to 100 characters from `A-Z a-z 0-9 _ . @ : # -` (the
/// character set of the REST API's device tags; the provisioning documents give only the
/// length).
pub(crate) fn check_tag(tag: &str) -> Result<(), String> {
    if tag.is_empty() {
        return Err("a tag is empty".into());
    }
    if tag.chars().count() > MAX_TAG_LEN {
        return Err(format!(
            "tag {tag:?} is longer than {MAX_TAG_LEN} characters"
        ));
    }
    if let Some(c) = tag
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "_.@:#-".contains(*c)))
    {
        return Err(format!("tag {tag:?} contains the invalid character {c:?}"));
    }
    Ok(())
}

/// Checks a list of tags.
pub(crate) fn check_tags(tags: &[String]) -> Result<(), String> {
    tags.iter().try_for_each(|t| check_tag(t))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_rules() {
        assert!(check_tag("nrf-cloud-onboarding").is_ok());
        assert!(check_tag("a.b@c:d#e_f").is_ok());
        assert!(check_tag("").is_err());
        assert!(check_tag("a,b").unwrap_err().contains("','"));
        assert!(check_tag(&"x".repeat(101)).unwrap_err().contains("100"));
        assert!(check_tag(&"x".repeat(100)).is_ok());
    }
}
