//! Firmware bundles (API key only): UploadFirmware (`POST /v1/firmwares`, a zip with
//! `manifest.json`, see [`super::firmware_zip`]; 202 `{uris}`), ListFirmware (the team's own
//! bundles, or with `modemOnly=true` Nordic's modem bundles; pageLimit 1-100, default 10, in
//! bundle-id order) and DeleteFirmware (202). The files are served without auth from
//! `/__sim/firmware/{tenantId}/{bundleId}/{file}`, with single `Range`s, as devices download
//! them.
//!
//! A bundle id is `<TYPE>*<8 seeded lowercase hex>*<fwversion>`, the legacy form the REST
//! document's pattern gives (cloud-api-facts.md §3.2).

use std::collections::BTreeMap;

use axum::{
    Json,
    extract::State,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use bytes::Bytes;
use chrono::{DateTime, TimeZone, Utc};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{
    firmware_zip::{self, BundleFile},
    fota_jobs::JobStatus,
};
use crate::{
    auth::ApiKey,
    error::{ApiError, ApiResult},
    extract::{Body, Path, Query, content_type},
    pagination::{Page, PageRequest},
    seed::Seed,
    state::{AppState, Team, timestamp},
};

/// A firmware bundle.
pub(crate) struct Bundle {
    pub id: String,
    /// FirmwareTypes value.
    pub firmware_type: &'static str,
    pub version: String,
    pub files: Vec<BundleFile>,
    /// Byte length of the uploaded zip (of the image, for Nordic's bundles).
    pub size: usize,
    pub last_modified: DateTime<Utc>,
    pub name: Option<String>,
    pub description: Option<String>,
    /// One of Nordic's modem bundles: listed with `modemOnly=true` only, never deleted.
    pub nordic: bool,
}

impl Bundle {
    fn json(&self) -> Value {
        let mut v = json!({
            "bundleId": self.id,
            "type": self.firmware_type,
            "version": self.version,
            "filenames": self.files.iter().map(|f| &f.name).collect::<Vec<_>>(),
            "size": self.size,
            "lastModified": timestamp(&self.last_modified),
        });
        if let Some(name) = &self.name {
            v["name"] = json!(name);
        }
        if let Some(description) = &self.description {
            v["description"] = json!(description);
        }
        v
    }

    /// The file a device downloads: the first one that is not an init packet.
    pub fn image(&self) -> &BundleFile {
        self.files
            .iter()
            .find(|f| f.file_type != "init_packet")
            .unwrap_or(&self.files[0])
    }

    /// `__sim/firmware/<tenant>/<bundle>/<file>`: relative to the REST origin, as job
    /// documents carry it (`https://<host>/<path>`).
    pub fn path(&self, tenant_id: &str, file: &BundleFile) -> String {
        format!(
            "__sim/firmware/{tenant_id}/{}/{}",
            self.id,
            encode_path(&file.name)
        )
    }
}

/// Percent-encodes what may not stand in a URL path as it is (keeps `/`).
fn encode_path(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/*!$&'()+,;=:@".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Nordic's modem bundles every team sees with `modemOnly=true`: a delta (MODEM) and a full
/// (MDM_FULL) image of mfw_nrf91x1 2.0.2, with seeded contents.
pub(crate) fn nordic_bundles(seed: &Seed, team: u64) -> BTreeMap<String, Bundle> {
    let released = Utc
        .with_ymd_and_hms(2024, 11, 21, 12, 0, 0)
        .single()
        .unwrap_or_default();
    [
        (
            "MODEM",
            "mfw_nrf91x1_2.0.2",
            "mfw_nrf91x1_2.0.1-2.0.2.bin",
            4096,
        ),
        (
            "MDM_FULL",
            "mfw_nrf91x1_full_2.0.2",
            "mfw_nrf91x1_full_2.0.2.bin",
            16384,
        ),
    ]
    .into_iter()
    .enumerate()
    .map(|(i, (firmware_type, version, file, len))| {
        let index = team * 2 + i as u64;
        let id = format!(
            "{firmware_type}*{}*{version}",
            seed.hex("modem-bundle", index, 4)
        );
        let data: Vec<u8> = (0..len / 32)
            .flat_map(|block| seed.bytes(&format!("modem-image-{index}"), block))
            .collect();
        let bundle = Bundle {
            id: id.clone(),
            firmware_type,
            version: version.into(),
            size: data.len(),
            files: vec![BundleFile {
                name: file.into(),
                file_type: "modem".into(),
                data: Bytes::from(data),
            }],
            last_modified: released,
            name: Some(format!("nRF91x1 modem firmware {version}")),
            description: Some("Nordic Semiconductor modem firmware".into()),
            nordic: true,
        };
        (id, bundle)
    })
    .collect()
}

/// `POST /v1/firmwares`: 202 `{uris}`, one per file.
pub(crate) async fn upload(
    State(shared): State<AppState>,
    ApiKey(team): ApiKey,
    headers: HeaderMap,
    Body(body): Body,
) -> ApiResult {
    let zip = firmware_zip::zip_bytes(content_type(&headers).as_deref(), &body)?;
    let upload = firmware_zip::parse(&zip)?;
    let id = format!(
        "{}*{}*{}",
        upload.firmware_type,
        shared.seeded_hex("bundle", 4),
        upload.fwversion
    );
    let bundle = Bundle {
        id: id.clone(),
        firmware_type: upload.firmware_type,
        version: upload.fwversion,
        files: upload.files,
        size: zip.len(),
        last_modified: Utc::now(),
        name: upload.name,
        description: upload.description,
        nordic: false,
    };
    let mut data = shared.write();
    let t = &mut data.teams[team];
    let origin = &shared.config.rest_origin;
    let uris: Vec<String> = bundle
        .files
        .iter()
        .map(|f| format!("{origin}/{}", bundle.path(&t.id, f)))
        .collect();
    t.firmware.insert(id, bundle);
    Ok((StatusCode::ACCEPTED, Json(json!({ "uris": uris }))).into_response())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ListQuery {
    #[serde(default, deserialize_with = "crate::extract::present")]
    page_limit: Option<String>,
    page_next_token: Option<String>,
    #[serde(default, deserialize_with = "crate::extract::present")]
    modem_only: Option<bool>,
}

/// `GET /v1/firmwares`.
pub(crate) async fn list(
    State(shared): State<AppState>,
    ApiKey(team): ApiKey,
    Query(q): Query<ListQuery>,
) -> ApiResult {
    let page = PageRequest::new(
        &shared,
        q.page_limit.as_deref(),
        q.page_next_token.as_deref(),
    )?;
    let modem_only = q.modem_only.unwrap_or(false);
    let data = shared.read();
    let (items, next) = page.page(&data.teams[team].firmware, |b| b.nordic == modem_only);
    let items = items.into_iter().map(Bundle::json).collect();
    Ok(Json(Page::new(items, next)).into_response())
}

fn not_found(id: &str) -> ApiError {
    ApiError::not_found(format!("firmware bundle {id} not found"))
}

/// The bundle `id` of `team`, or 404.
pub(crate) fn find<'a>(team: &'a Team, id: &str) -> Result<&'a Bundle, ApiError> {
    team.firmware.get(id).ok_or_else(|| not_found(id))
}

/// `DELETE /v1/firmwares/{bundleId}`: 202. The id contains `*`, sent raw or as `%2A` (axum
/// decodes the path either way). A bundle that a job which is not COMPLETED or CANCELLED still
/// uses gets 409 (40900): the request conflicts with the job, it is not malformed. Nordic's
/// modem bundles get 400: they are not the team's to delete.
pub(crate) async fn delete(
    State(shared): State<AppState>,
    ApiKey(team): ApiKey,
    Path(id): Path<String>,
) -> ApiResult {
    let now = Utc::now();
    let step = shared.config.step;
    let mut data = shared.write();
    let t = &mut data.teams[team];
    if find(t, &id)?.nordic {
        return Err(ApiError::bad_request(format!(
            "{id} is one of Nordic's modem bundles, which cannot be deleted"
        )));
    }
    if let Some(job) = t.fota_jobs.values().find(|j| {
        j.bundle_id == id
            && !matches!(
                j.status(now, step).0,
                JobStatus::Completed | JobStatus::Cancelled
            )
    }) {
        return Err(ApiError::conflict(format!(
            "firmware bundle {id} is used by FOTA job {}, which has not ended; cancel or \
             delete the job first",
            job.id
        )));
    }
    t.firmware.remove(&id);
    Ok(StatusCode::ACCEPTED.into_response())
}

/// `GET /__sim/firmware/{tenantId}/{bundleId}/{*file}`: a bundle's file, as its upload URI
/// promises, without auth. A single `Range: bytes=…` gets 206 (what devices send).
pub(crate) async fn download(
    State(shared): State<AppState>,
    Path((tenant, bundle, file)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> ApiResult {
    let data = shared.read();
    let missing = || ApiError::not_found(format!("no file {file:?} in bundle {bundle}"));
    let found = data
        .teams
        .iter()
        .find(|t| t.id == tenant)
        .and_then(|t| t.firmware.get(&bundle))
        .and_then(|b| b.files.iter().find(|f| f.name == file))
        .ok_or_else(missing)?;
    Ok(ranged(&found.data, &headers))
}

/// The whole body (200), or the single range asked for (206, or 416 when it cannot be served).
fn ranged(body: &Bytes, headers: &HeaderMap) -> Response {
    let octets = [(header::CONTENT_TYPE, "application/octet-stream")];
    let Some(range) = headers.get(header::RANGE) else {
        return (octets, body.clone()).into_response();
    };
    let len = body.len() as u64;
    let parsed = range
        .to_str()
        .ok()
        .and_then(|r| r.trim().strip_prefix("bytes="))
        .filter(|r| !r.contains(','))
        .and_then(|r| r.split_once('-'))
        .and_then(|(a, b)| {
            let (a, b) = (a.trim(), b.trim());
            match (a.parse::<u64>().ok(), b.parse::<u64>().ok()) {
                (Some(start), Some(end)) if start <= end && start < len => {
                    Some((start, end.min(len - 1)))
                }
                (Some(start), None) if b.is_empty() && start < len => Some((start, len - 1)),
                (None, Some(suffix)) if a.is_empty() && suffix > 0 && len > 0 => {
                    Some((len.saturating_sub(suffix), len - 1))
                }
                _ => None,
            }
        });
    match parsed {
        Some((start, end)) => {
            let content_range = HeaderValue::from_str(&format!("bytes {start}-{end}/{len}"))
                .expect("digits are a valid header value");
            (
                StatusCode::PARTIAL_CONTENT,
                octets,
                [(header::CONTENT_RANGE, content_range)],
                body.slice(start as usize..=end as usize),
            )
                .into_response()
        }
        None => {
            let content_range = HeaderValue::from_str(&format!("bytes */{len}"))
                .expect("digits are a valid header value");
            (
                StatusCode::RANGE_NOT_SATISFIABLE,
                [(header::CONTENT_RANGE, content_range)],
            )
                .into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        let body = Bytes::from_static(b"0123456789");
        let get = |range: &str| {
            let mut h = HeaderMap::new();
            h.insert(header::RANGE, range.parse().unwrap());
            let r = ranged(&body, &h);
            let cr = r.headers().get(header::CONTENT_RANGE).cloned();
            (
                r.status().as_u16(),
                cr.map(|v| v.to_str().unwrap().to_string()),
            )
        };
        assert_eq!(get("bytes=2-4"), (206, Some("bytes 2-4/10".into())));
        assert_eq!(get("bytes=8-"), (206, Some("bytes 8-9/10".into())));
        assert_eq!(get("bytes=-3"), (206, Some("bytes 7-9/10".into())));
        assert_eq!(get("bytes=5-100"), (206, Some("bytes 5-9/10".into())));
        assert_eq!(get("bytes=10-"), (416, Some("bytes */10".into())));
        assert_eq!(get("bytes=1-2,4-5"), (416, Some("bytes */10".into())));
        assert_eq!(ranged(&body, &HeaderMap::new()).status().as_u16(), 200);
    }

    #[test]
    fn nordic_bundles_are_seeded() {
        let a = nordic_bundles(&Seed::new(1), 0);
        let b = nordic_bundles(&Seed::new(1), 0);
        let ids: Vec<&String> = a.keys().collect();
        assert_eq!(ids, b.keys().collect::<Vec<_>>());
        assert!(
            ids[0].starts_with("MDM_FULL*") && ids[1].starts_with("MODEM*"),
            "{ids:?}"
        );
        assert!(ids[1].ends_with("*mfw_nrf91x1_2.0.2"));
        assert_eq!(a[ids[1]].size, 4096);
        assert_eq!(encode_path("a b/c%.bin"), "a%20b/c%25.bin");
    }
}
