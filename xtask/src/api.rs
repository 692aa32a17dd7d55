//! The two documents `openapi/` holds.

use crate::patches::{self, Step};

/// One nRF Cloud API whose OpenAPI document is snapshotted in `openapi/`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Api {
    Rest,
    Provisioning,
}

impl Api {
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "rest" => Some(Self::Rest),
            "provisioning" => Some(Self::Provisioning),
            _ => None,
        }
    }

    /// The `--api` value, also the key in `openapi/sources.json`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Rest => "rest",
            Self::Provisioning => "provisioning",
        }
    }

    /// The snapshot, relative to the project root.
    pub fn snapshot(self) -> &'static str {
        match self {
            Self::Rest => "openapi/nrfcloud-rest.json",
            Self::Provisioning => "openapi/nrfcloud-provisioning.json",
        }
    }

    pub fn default_url(self) -> &'static str {
        match self {
            Self::Rest => "https://api.nrfcloud.com/v1/openapi.json",
            Self::Provisioning => "https://api.provisioning.nrfcloud.com/v1/openapi.json",
        }
    }

    /// The patches `build.rs` applies to this document.
    pub fn steps(self) -> &'static [Step] {
        match self {
            Self::Rest => patches::REST,
            Self::Provisioning => patches::PROVISIONING,
        }
    }

    /// Extra advice when the source answers 404.
    pub fn not_found_hint(self) -> Option<&'static str> {
        match self {
            Self::Rest => None,
            Self::Provisioning => Some(
                "Nordic publishes no OpenAPI document for the Provisioning Service: \
                 openapi/nrfcloud-provisioning.json is written by hand (its guesses are listed in \
                 openapi/PROVISIONING-GUESSES.md). Keep it, or replace it with a document you \
                 have: cargo xtask refresh-schema --api provisioning --from <url-or-file>",
            ),
        }
    }
}
