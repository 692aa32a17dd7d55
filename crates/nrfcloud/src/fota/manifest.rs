//! The `manifest.json` of a firmware bundle zip, checked (and given a `fwversion` and
//! `format-version` 1 when needed) before the upload: nRF Cloud refuses a bundle without
//! `fwversion`, and Zephyr's `dfu_application.zip` has none and `format-version` 0
//! (cloud-api-facts.md §3.1).

use std::io::{Cursor, Read, Write};

use bytes::Bytes;
use serde_json::{Map, Value};

/// The manifest's name in the zip.
const MANIFEST: &str = "manifest.json";

/// More than any manifest needs; a larger one is not read into memory.
const MAX_MANIFEST_BYTES: u64 = 64 << 10;

/// The `files[].type` values a user bundle may hold. Modem images come from Nordic only.
const FILE_TYPES: [&str; 5] = [
    "application",
    "mcuboot",
    "bootloader",
    "softdevice",
    "init_packet",
];

/// A bundle ready to upload: the zip (rewritten only when its manifest changed), and what its
/// manifest says.
#[derive(Debug)]
pub(crate) struct Prepared {
    pub zip: Bytes,
    pub version: String,
    pub name: Option<String>,
}

/// Whether `v` is a valid `fwversion`: `^[a-zA-Z0-9._-]{1,60}$`.
pub(crate) fn is_fw_version(v: &str) -> bool {
    (1..=60).contains(&v.len())
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// Checks the zip's manifest; with `version`, sets `fwversion` to it. `Err` says what is wrong,
/// in the user's terms.
pub(crate) fn prepare(zip: Bytes, version: Option<&str>) -> Result<Prepared, String> {
    let mut archive = zip::ZipArchive::new(Cursor::new(zip.clone()))
        .map_err(|e| format!("the bundle is not a zip archive ({e})"))?;
    let mut manifest: Map<String, Value> = {
        let file = archive.by_name(MANIFEST).map_err(|_| {
            format!("the bundle has no {MANIFEST} (nRF Cloud needs one, with fwversion and files)")
        })?;
        let mut text = Vec::new();
        file.take(MAX_MANIFEST_BYTES + 1)
            .read_to_end(&mut text)
            .map_err(|e| format!("cannot read {MANIFEST}: {e}"))?;
        if text.len() as u64 > MAX_MANIFEST_BYTES {
            return Err(format!(
                "{MANIFEST} is larger than {} KiB",
                MAX_MANIFEST_BYTES >> 10
            ));
        }
        serde_json::from_slice(&text)
            .map_err(|e| format!("{MANIFEST} is not a JSON object ({e})"))?
    };
    check_files(&manifest, &archive)?;
    let current = manifest.get("fwversion").and_then(Value::as_str);
    let version = match (version, current) {
        (Some(v), _) => v.to_owned(),
        (None, Some(v)) => v.to_owned(),
        (None, None) => {
            return Err(format!(
                "{MANIFEST} has no fwversion (Zephyr's dfu_application.zip has none): give the \
                 upload a version"
            ));
        }
    };
    if !is_fw_version(&version) {
        return Err(format!(
            "fwversion {version:?} must be 1 to 60 letters, digits, `.`, `_` or `-`"
        ));
    }
    let name = manifest
        .get("name")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let format_ok = manifest.get("format-version").and_then(Value::as_u64) == Some(1);
    if current == Some(version.as_str()) && format_ok {
        return Ok(Prepared { zip, version, name });
    }
    manifest.insert("fwversion".into(), Value::String(version.clone()));
    // nRF Cloud's manifest format is version 1; Zephyr writes 0 (or nothing).
    manifest.insert("format-version".into(), Value::from(1));
    let zip =
        rewrite(&mut archive, &manifest).map_err(|e| format!("cannot rewrite the zip: {e}"))?;
    Ok(Prepared { zip, version, name })
}

fn check_files(
    manifest: &Map<String, Value>,
    archive: &zip::ZipArchive<Cursor<Bytes>>,
) -> Result<(), String> {
    let files = manifest
        .get("files")
        .and_then(Value::as_array)
        .filter(|f| !f.is_empty())
        .ok_or_else(|| format!("{MANIFEST} lists no files"))?;
    for entry in files {
        let file = entry
            .get("file")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let kind = entry
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if kind.to_ascii_lowercase().contains("modem") {
            return Err(format!(
                "{file:?} is a modem image: modem firmware cannot be uploaded (Nordic publishes \
                 modem bundles; list them with modem_only)"
            ));
        }
        if !FILE_TYPES.contains(&kind) {
            return Err(format!(
                "{file:?} has type {kind:?}; expected one of {}",
                FILE_TYPES.join(", ")
            ));
        }
        if archive.index_for_name(file).is_none() {
            return Err(format!(
                "{MANIFEST} lists {file:?}, which the zip does not hold"
            ));
        }
    }
    Ok(())
}

/// The same zip with `manifest` as its manifest; the other entries are copied as they are
/// (still compressed).
fn rewrite(
    archive: &mut zip::ZipArchive<Cursor<Bytes>>,
    manifest: &Map<String, Value>,
) -> zip::result::ZipResult<Bytes> {
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for i in 0..archive.len() {
        let entry = archive.by_index_raw(i)?;
        if entry.name()? == MANIFEST {
            continue;
        }
        out.raw_copy_file(entry)?;
    }
    out.start_file(MANIFEST, zip::write::SimpleFileOptions::default())?;
    let text = serde_json::to_vec_pretty(manifest).map_err(std::io::Error::other)?;
    out.write_all(&text)?;
    Ok(out.finish()?.into_inner().into())
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn zip_of(files: &[(&str, &[u8])]) -> Bytes {
        let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, data) in files {
            out.start_file(*name, zip::write::SimpleFileOptions::default())
                .unwrap();
            out.write_all(data).unwrap();
        }
        out.finish().unwrap().into_inner().into()
    }

    fn manifest_of(zip: &Bytes) -> Value {
        let mut archive = zip::ZipArchive::new(Cursor::new(zip.clone())).unwrap();
        let mut text = String::new();
        archive
            .by_name(MANIFEST)
            .unwrap()
            .read_to_string(&mut text)
            .unwrap();
        serde_json::from_str(&text).unwrap()
    }

    const ZEPHYR: &[u8] = br#"{"format-version": 0, "name": "asset_tracker", "files": [{"type": "application", "file": "app_update.bin", "size": 4}]}"#;

    #[test]
    fn a_zephyr_bundle_gets_the_version_and_keeps_its_image() {
        let zip = zip_of(&[
            ("manifest.json", ZEPHYR),
            ("app_update.bin", b"\x01\x02\x03\x04"),
        ]);
        assert_eq!(
            prepare(zip.clone(), None).unwrap_err(),
            "manifest.json has no fwversion (Zephyr's dfu_application.zip has none): give the upload a version"
        );
        let prepared = prepare(zip, Some("1.4.0")).unwrap();
        assert_eq!(prepared.version, "1.4.0");
        assert_eq!(prepared.name.as_deref(), Some("asset_tracker"));
        let manifest = manifest_of(&prepared.zip);
        assert_eq!(manifest["fwversion"], "1.4.0");
        assert_eq!(manifest["format-version"], 1);
        assert_eq!(manifest["files"][0]["file"], "app_update.bin");
        let mut archive = zip::ZipArchive::new(Cursor::new(prepared.zip)).unwrap();
        let mut image = Vec::new();
        archive
            .by_name("app_update.bin")
            .unwrap()
            .read_to_end(&mut image)
            .unwrap();
        assert_eq!(image, b"\x01\x02\x03\x04");
        assert_eq!(archive.len(), 2);
    }

    #[test]
    fn a_bundle_with_its_version_is_sent_unchanged() {
        let manifest = br#"{"format-version": 1, "fwversion": "2.0.0", "files": [{"type": "mcuboot", "file": "b.bin", "size": 1}]}"#;
        let zip = zip_of(&[("manifest.json", manifest), ("b.bin", b"x")]);
        let prepared = prepare(zip.clone(), None).unwrap();
        assert_eq!((prepared.zip, prepared.version.as_str()), (zip, "2.0.0"));
    }

    #[test]
    fn bad_bundles_are_refused_in_the_users_terms() {
        let cases: [(Bytes, Option<&str>, &str); 6] = [
            (Bytes::from_static(b"not a zip"), None, "the bundle is not a zip archive"),
            (zip_of(&[("app.bin", b"x")]), None, "the bundle has no manifest.json"),
            (
                zip_of(&[("manifest.json", br#"{"fwversion": "1", "files": [{"type": "modem", "file": "m.bin"}]}"#), ("m.bin", b"x")]),
                None,
                "\"m.bin\" is a modem image: modem firmware cannot be uploaded",
            ),
            (
                zip_of(&[("manifest.json", br#"{"fwversion": "1", "files": [{"type": "application", "file": "gone.bin"}]}"#)]),
                None,
                "manifest.json lists \"gone.bin\", which the zip does not hold",
            ),
            (
                zip_of(&[("manifest.json", ZEPHYR), ("app_update.bin", b"x")]),
                Some("1.0 beta"),
                "fwversion \"1.0 beta\" must be 1 to 60 letters",
            ),
            (
                zip_of(&[("manifest.json", br#"{"fwversion": "1", "files": []}"#)]),
                None,
                "manifest.json lists no files",
            ),
        ];
        for (zip, version, expected) in cases {
            let e = prepare(zip, version).unwrap_err();
            assert!(
                e.starts_with(expected),
                "{e:?} should start with {expected:?}"
            );
        }
    }

    #[test]
    fn versions_follow_the_services_pattern() {
        assert!(is_fw_version("v2.0.0-rc_1"));
        assert!(!is_fw_version(""));
        assert!(!is_fw_version(&"1".repeat(61)));
        assert!(!is_fw_version("1/2"));
    }
}
