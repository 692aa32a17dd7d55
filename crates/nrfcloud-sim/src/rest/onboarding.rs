//! CSV uploads that become bulk operations: OnboardDevices (`POST /v1/devices`,
//! `deviceId,subType,tags|…,fwTypes|…,"certPem"`), RegisterPublicKeys
//! (`POST /v1/devices/public-keys`, `deviceId,"keyPem"`) and RegisterCertificates
//! (`POST /v1/devices/certificates`, `deviceId,"certPem"`).
//!
//! A body that cannot be read as CSV, has no rows or more than 1000 is rejected at once with
//! 422. Otherwise the answer is 202 + `bulkOpsRequestId`, and each row is checked when the
//! operation runs: bad rows end up in its error summary, good rows are applied.

use std::collections::{BTreeSet, HashSet};

use axum::{Json, extract::State, http::StatusCode, response::IntoResponse};
use bytes::Bytes;
use serde_json::json;

use super::devices::Device;
use crate::{
    auth::ApiKey,
    bulk,
    csv_body::read_rows,
    error::{ApiError, ApiResult},
    extract::{Body, looks_like_json_object},
    keys::decoding_key_from_pem,
    provisioning::check_tag,
    state::{AppState, Data, TeamIdx},
};

/// Firmware types the onboarding CSV accepts.
const FIRMWARE_TYPES: [&str; 6] = [
    "APP",
    "MODEM",
    "BOOT",
    "SOFTDEVICE",
    "BOOTLOADER",
    "MDM_FULL",
];

/// Which upload.
#[derive(Clone, Copy)]
enum Upload {
    Onboard,
    PublicKeys,
    Certificates,
}

impl Upload {
    fn endpoint(self) -> &'static str {
        match self {
            Upload::Onboard => "ONBOARD_DEVICES",
            Upload::PublicKeys => "REGISTER_PUBLIC_KEYS",
            Upload::Certificates => "REGISTER_CERTIFICATES",
        }
    }

    fn columns(self) -> (usize, &'static str) {
        match self {
            Upload::Onboard => (5, "deviceId,subType,tags,fwTypes,certPem"),
            Upload::PublicKeys => (2, "deviceId,keyPem"),
            Upload::Certificates => (2, "deviceId,certPem"),
        }
    }

    /// The PEM labels allowed in the key column.
    fn pem_labels(self) -> &'static [&'static str] {
        match self {
            Upload::Onboard => &["CERTIFICATE", "PUBLIC KEY"],
            Upload::PublicKeys => &["PUBLIC KEY"],
            Upload::Certificates => &["CERTIFICATE"],
        }
    }
}

/// The REST document's device-id pattern `^[a-zA-Z0-9:_-]{1,128}$`.
pub(crate) fn check_device_id(id: &str) -> Result<(), String> {
    let ok = (1..=128).contains(&id.len())
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ":_-".contains(c));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "invalid device id {id:?}: 1 to 128 characters from A-Z a-z 0-9 : _ -"
        ))
    }
}

fn check_sub_type(sub_type: &str) -> Result<(), String> {
    let ok = sub_type.len() <= 799
        && sub_type
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.,@/:#-".contains(c));
    if ok {
        Ok(())
    } else {
        Err(format!("invalid subType {sub_type:?}"))
    }
}

/// Pipe-separated list; empty means none.
fn pipe_list(field: &str) -> Vec<String> {
    field
        .split('|')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Checks the PEM framing the REST document's regex demands (including the line break after
/// the END line) and loads the key.
fn check_pem(pem: &str, labels: &[&str]) -> Result<jsonwebtoken::DecodingKey, String> {
    let label = labels
        .iter()
        .find(|l| {
            pem.trim_start()
                .starts_with(&format!("-----BEGIN {l}-----"))
        })
        .ok_or_else(|| format!("expected a PEM {}", labels.join(" or ")))?;
    let end = format!("-----END {label}-----");
    let after_end = pem
        .rfind(&end)
        .map(|i| &pem[i + end.len()..])
        .ok_or_else(|| format!("the PEM has no {end} line"))?;
    if !matches!(after_end, "\n" | "\r\n" | "\r") {
        return Err(format!("the PEM must end with a line break after {end}"));
    }
    decoding_key_from_pem(pem)
}

/// Checks and applies one row.
fn apply_row(
    upload: Upload,
    data: &mut Data,
    team: TeamIdx,
    record: &csv::StringRecord,
    seen: &mut HashSet<String>,
) -> Result<(), String> {
    let (count, names) = upload.columns();
    if record.len() != count {
        return Err(format!(
            "expected {count} columns ({names}), found {}",
            record.len()
        ));
    }
    let id = record[0].trim();
    check_device_id(id)?;
    if !seen.insert(id.to_owned()) {
        return Err(format!("duplicate device id {id} in this upload"));
    }
    let key = check_pem(&record[count - 1], upload.pem_labels())?;
    match upload {
        Upload::Onboard => {
            let sub_type = record[1].trim();
            check_sub_type(sub_type)?;
            let tags = pipe_list(record[2].trim());
            tags.iter().try_for_each(|t| check_tag(t))?;
            let firmware = pipe_list(record[3].trim());
            if let Some(bad) = firmware
                .iter()
                .find(|f| !FIRMWARE_TYPES.contains(&f.as_str()))
            {
                return Err(format!(
                    "invalid firmware type {bad:?}; expected one of {}",
                    FIRMWARE_TYPES.join(", ")
                ));
            }
            if data.device_owner(id).is_some() {
                return Err(format!("device {id} already exists"));
            }
            data.teams[team].devices.insert(
                id.to_owned(),
                Device::new(
                    id.to_owned(),
                    sub_type.to_owned(),
                    tags,
                    firmware,
                    Some(key),
                ),
            );
        }
        Upload::PublicKeys | Upload::Certificates => {
            let device = data.teams[team]
                .devices
                .get_mut(id)
                .ok_or_else(|| format!("device {id} not found"))?;
            device.set_key(key);
        }
    }
    Ok(())
}

fn submit(shared: &AppState, team: TeamIdx, upload: Upload, body: Bytes) -> ApiResult {
    if looks_like_json_object(&body) {
        return Err(ApiError::validation(format!(
            "{} takes CSV rows ({}), not JSON",
            upload.endpoint(),
            upload.columns().1
        )));
    }
    let rows = read_rows(&body)?;
    let count = rows.len();
    let apply: bulk::Apply = Box::new(move |_, data, skip: &BTreeSet<usize>| {
        let mut seen = HashSet::new();
        rows.iter()
            .enumerate()
            .filter(|(i, _)| !skip.contains(i))
            .filter_map(|(i, record)| {
                apply_row(upload, data, team, record, &mut seen)
                    .err()
                    .map(|e| (i, e))
            })
            .collect()
    });
    let id = bulk::submit(shared, team, upload.endpoint(), body, count, apply);
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({ "bulkOpsRequestId": id })),
    )
        .into_response())
}

/// `POST /v1/devices` (OnboardDevices).
pub(crate) async fn onboard(
    State(shared): State<AppState>,
    ApiKey(team): ApiKey,
    Body(body): Body,
) -> ApiResult {
    submit(&shared, team, Upload::Onboard, body)
}

/// `POST /v1/devices/public-keys` (RegisterPublicKeys).
pub(crate) async fn public_keys(
    State(shared): State<AppState>,
    ApiKey(team): ApiKey,
    Body(body): Body,
) -> ApiResult {
    submit(&shared, team, Upload::PublicKeys, body)
}

/// `POST /v1/devices/certificates` (RegisterCertificates).
pub(crate) async fn certificates(
    State(shared): State<AppState>,
    ApiKey(team): ApiKey,
    Body(body): Body,
) -> ApiResult {
    submit(&shared, team, Upload::Certificates, body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pem_framing() {
        let labels = &["PUBLIC KEY"];
        assert!(
            check_pem("junk", labels)
                .unwrap_err()
                .contains("expected a PEM")
        );
        let no_newline = "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----";
        assert!(
            check_pem(no_newline, labels)
                .unwrap_err()
                .contains("line break")
        );
        let no_end = "-----BEGIN PUBLIC KEY-----\nAAAA\n";
        assert!(
            check_pem(no_end, labels)
                .unwrap_err()
                .contains("no -----END")
        );
    }

    #[test]
    fn field_rules() {
        assert!(check_device_id("nrf-352656100123456").is_ok());
        assert!(check_device_id("a/b").is_err());
        assert!(check_device_id("").is_err());
        assert!(check_sub_type("").is_ok());
        assert!(check_sub_type("jitp-apricity-gateway").is_ok());
        assert!(check_sub_type("bad sub type").is_err());
        assert_eq!(pipe_list("a|b||c"), ["a", "b", "c"]);
        assert!(pipe_list("").is_empty());
    }
}
