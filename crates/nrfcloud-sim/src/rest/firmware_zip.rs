//! What UploadFirmware accepts: the body's encodings (raw zip or base64 text), the zip, and its
//! `manifest.json` (`fwversion`, `format-version`, `files[{file, type, size}]`, `name`,
//! `description`), checked the way cloud-api-facts.md §3.1 describes.

use std::io::{Cursor, Read};

use base64::{
    Engine, alphabet,
    engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig},
};
use bytes::Bytes;
use serde_json::Value;

use crate::error::ApiError;

/// Largest UploadFirmware body: the REST document's `maxLength` of the (base64) body, about 1 MB
/// of zip once encoded. The live limit for a raw binary body is unknown (§3.1); the simulator
/// holds raw bodies to the same byte count, and answers a larger one 413 (41300), like its other
/// body limit, rather than 400.
pub(crate) const MAX_UPLOAD: usize = 1_333_333;

/// Largest `manifest.json` read.
const MAX_MANIFEST: u64 = 64 * 1024;

/// Largest sum of the listed files, uncompressed: a zip bomb stops here.
const MAX_UNCOMPRESSED: u64 = 16 * 1024 * 1024;

/// Base64 as senders write it: padding optional, line breaks and spaces ignored (stripped
/// before decoding).
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// One file of a bundle.
pub(crate) struct BundleFile {
    pub name: String,
    /// The manifest's `type` (`application`, `init_packet`, …).
    pub file_type: String,
    pub data: Bytes,
}

/// A checked upload.
pub(crate) struct Upload {
    pub fwversion: String,
    pub name: Option<String>,
    pub description: Option<String>,
    /// FirmwareTypes value: APP, BOOT, BOOTLOADER or SOFTDEVICE.
    pub firmware_type: &'static str,
    pub files: Vec<BundleFile>,
}

fn bad(message: impl Into<String>) -> ApiError {
    ApiError::bad_request(message)
}

/// The zip bytes of a body sent with `content_type` (the essence, lowercase): raw for
/// `application/zip` and `application/octet-stream`; base64 for `text/plain` (any charset) and
/// for a JSON string under `application/json` (what the REST document literally declares); a body
/// without a `Content-Type` is a zip if it starts like one, base64 otherwise.
pub(crate) fn zip_bytes(content_type: Option<&str>, body: &[u8]) -> Result<Vec<u8>, ApiError> {
    if body.len() > MAX_UPLOAD {
        return Err(ApiError::too_large(MAX_UPLOAD));
    }
    match content_type {
        Some("application/zip" | "application/octet-stream") => Ok(body.to_vec()),
        Some("text/plain") => base64(body),
        Some("application/json") => match serde_json::from_slice::<Value>(body) {
            Ok(Value::String(text)) => base64(text.as_bytes()),
            _ => Err(bad(
                "an application/json body must be a JSON string holding the base64 zip",
            )),
        },
        None if body.starts_with(b"PK") => Ok(body.to_vec()),
        None => base64(body),
        Some(other) => Err(bad(format!(
            "Content-Type {other} is not accepted: send the zip as application/zip or \
             application/octet-stream, or base64 as text/plain"
        ))),
    }
}

fn base64(text: &[u8]) -> Result<Vec<u8>, ApiError> {
    let compact: Vec<u8> = text
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    BASE64
        .decode(compact)
        .map_err(|e| bad(format!("the body is not base64: {e}")))
}

/// `^[a-zA-Z0-9._-]{1,60}$`.
fn valid_fwversion(v: &str) -> bool {
    (1..=60).contains(&v.len())
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b".-_".contains(&b))
}

/// The FirmwareTypes value of a manifest file type; `None` for `init_packet`, which goes with
/// the image it describes (a BLE zip holds both).
fn firmware_type(file_type: &str) -> Result<Option<&'static str>, ApiError> {
    let lower = file_type.to_ascii_lowercase();
    if lower.contains("modem") || lower.contains("mdm") {
        return Err(bad(format!(
            "modem firmware cannot be uploaded (file type {file_type:?}): Nordic's modem \
             bundles are listed with modemOnly=true"
        )));
    }
    match file_type {
        "application" => Ok(Some("APP")),
        "mcuboot" => Ok(Some("BOOT")),
        "bootloader" => Ok(Some("BOOTLOADER")),
        "softdevice" => Ok(Some("SOFTDEVICE")),
        "init_packet" => Ok(None),
        other => Err(bad(format!(
            "manifest.json: unknown file type {other:?}; expected application, mcuboot, \
             bootloader, softdevice or init_packet"
        ))),
    }
}

fn optional_string(manifest: &Value, key: &str) -> Result<Option<String>, ApiError> {
    match manifest.get(key) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(bad(format!("manifest.json: {key} must be a string"))),
    }
}

/// Reads and checks a bundle zip.
pub(crate) fn parse(zip: &[u8]) -> Result<Upload, ApiError> {
    let mut archive = zip::ZipArchive::new(Cursor::new(zip))
        .map_err(|e| bad(format!("the body is not a zip archive: {e}")))?;
    let manifest: Value = {
        let file = archive
            .by_name("manifest.json")
            .map_err(|_| bad("the zip has no manifest.json"))?;
        if file.size() > MAX_MANIFEST {
            return Err(bad(format!(
                "manifest.json is larger than {MAX_MANIFEST} bytes"
            )));
        }
        let mut text = Vec::new();
        file.take(MAX_MANIFEST)
            .read_to_end(&mut text)
            .map_err(|e| bad(format!("cannot read manifest.json: {e}")))?;
        serde_json::from_slice(&text)
            .map_err(|e| bad(format!("manifest.json is not valid JSON: {e}")))?
    };
    if !manifest.is_object() {
        return Err(bad("manifest.json must be a JSON object"));
    }
    let fwversion = match manifest.get("fwversion") {
        None => {
            return Err(bad(
                "manifest.json has no fwversion (a Zephyr dfu_application.zip needs one added)",
            ));
        }
        Some(Value::String(v)) if valid_fwversion(v) => v.clone(),
        Some(v) => {
            return Err(bad(format!(
                "manifest.json: fwversion {v} must match ^[a-zA-Z0-9._-]{{1,60}}$"
            )));
        }
    };
    match manifest.get("format-version") {
        None => {}
        Some(v) if v.as_u64() == Some(1) || v.as_str() == Some("1") => {}
        Some(v) => {
            return Err(bad(format!(
                "manifest.json: format-version {v} is not supported; expected 1"
            )));
        }
    }
    let name = optional_string(&manifest, "name")?;
    let description = optional_string(&manifest, "description")?;
    let listed = match manifest.get("files") {
        Some(Value::Array(files)) if !files.is_empty() => files,
        _ => return Err(bad("manifest.json: files must be a non-empty array")),
    };
    let mut types = Vec::new();
    let mut entries: Vec<(String, String)> = Vec::new();
    for (i, entry) in listed.iter().enumerate() {
        let field = |key: &str| entry.get(key).and_then(Value::as_str);
        let (Some(file), Some(file_type)) = (field("file"), field("type")) else {
            return Err(bad(format!(
                "manifest.json: files[{i}] needs a string file and a string type"
            )));
        };
        if entry
            .get("size")
            .is_some_and(|s| s.as_u64().is_none() && s.as_f64().is_none_or(|f| f < 0.0))
        {
            return Err(bad(format!(
                "manifest.json: files[{i}].size must be a non-negative number"
            )));
        }
        if let Some(t) = firmware_type(file_type)?
            && !types.contains(&t)
        {
            types.push(t);
        }
        if !entries.iter().any(|(f, _)| f == file) {
            entries.push((file.to_string(), file_type.to_string()));
        }
    }
    let firmware_type = match types[..] {
        [] => "SOFTDEVICE",
        [one] => one,
        _ => {
            return Err(bad(format!(
                "manifest.json: the files of one bundle must share one type, found {}",
                types.join(", ")
            )));
        }
    };
    let mut files = Vec::new();
    let mut budget = MAX_UNCOMPRESSED;
    for (file, file_type) in entries {
        let entry = archive.by_name(&file).map_err(|_| {
            bad(format!(
                "manifest.json lists {file:?}, which is not in the zip"
            ))
        })?;
        let mut data = Vec::new();
        entry
            .take(budget + 1)
            .read_to_end(&mut data)
            .map_err(|e| bad(format!("cannot read {file:?} from the zip: {e}")))?;
        budget = budget.checked_sub(data.len() as u64).ok_or_else(|| {
            bad(format!(
                "the bundle's files are larger than {MAX_UNCOMPRESSED} bytes uncompressed"
            ))
        })?;
        files.push(BundleFile {
            name: file,
            file_type,
            data: Bytes::from(data),
        });
    }
    Ok(Upload {
        fwversion,
        name,
        description,
        firmware_type,
        files,
    })
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use serde_json::json;
    use zip::write::SimpleFileOptions;

    use super::*;

    fn zip_of(files: &[(&str, &[u8])]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, data) in files {
            w.start_file(*name, SimpleFileOptions::default()).unwrap();
            w.write_all(data).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    fn with_manifest(manifest: Value) -> Vec<u8> {
        zip_of(&[
            ("manifest.json", manifest.to_string().as_bytes()),
            ("app.bin", b"image"),
            ("app.dat", b"init"),
        ])
    }

    fn message(r: Result<Upload, ApiError>) -> String {
        match r {
            Ok(_) => panic!("accepted"),
            Err(e) => {
                assert_eq!((e.status.as_u16(), e.code), (400, 40000));
                e.message
            }
        }
    }

    #[test]
    fn a_good_bundle() {
        let upload = parse(&with_manifest(json!({
            "name": "Blinky", "fwversion": "1.2.3", "format-version": 1,
            "files": [{"file": "app.bin", "type": "application", "size": 5}],
        })))
        .unwrap();
        assert_eq!(
            (upload.fwversion.as_str(), upload.firmware_type),
            ("1.2.3", "APP")
        );
        assert_eq!(upload.name.as_deref(), Some("Blinky"));
        assert_eq!(upload.files[0].data, Bytes::from_static(b"image"));
        // An init packet goes with its image.
        let ble = parse(&with_manifest(json!({
            "fwversion": "v1",
            "files": [{"file": "app.dat", "type": "init_packet"}, {"file": "app.bin", "type": "softdevice"}],
        })))
        .unwrap();
        assert_eq!((ble.firmware_type, ble.files.len()), ("SOFTDEVICE", 2));
    }

    #[test]
    fn bad_bundles_say_what_is_wrong() {
        let files = json!([{"file": "app.bin", "type": "application"}]);
        assert!(message(parse(b"not a zip")).contains("not a zip"));
        assert!(message(parse(&zip_of(&[("app.bin", b"x")]))).contains("no manifest.json"));
        assert!(message(parse(&with_manifest(json!({"files": files})))).contains("no fwversion"));
        let long = "1".repeat(61);
        for bad_version in [json!("1.0 beta"), json!(long), json!(""), json!(3)] {
            let m = message(parse(&with_manifest(
                json!({"fwversion": bad_version, "files": files}),
            )));
            assert!(m.contains("must match"), "{m}");
        }
        let m = message(parse(&with_manifest(json!({
            "fwversion": "1", "files": [{"file": "mfw.bin", "type": "modem"}],
        }))));
        assert!(m.contains("modem firmware cannot be uploaded"), "{m}");
        let m = message(parse(&with_manifest(json!({
            "fwversion": "1", "files": [{"file": "missing.bin", "type": "application"}],
        }))));
        assert!(m.contains("not in the zip"), "{m}");
        let m = message(parse(&with_manifest(json!({
            "fwversion": "1", "format-version": 2, "files": files,
        }))));
        assert!(m.contains("format-version"), "{m}");
        let m = message(parse(&with_manifest(json!({
            "fwversion": "1",
            "files": [{"file": "app.bin", "type": "application"}, {"file": "app.dat", "type": "mcuboot"}],
        }))));
        assert!(m.contains("share one type"), "{m}");
        let m = message(parse(&with_manifest(
            json!({"fwversion": "1", "files": []}),
        )));
        assert!(m.contains("non-empty"), "{m}");
    }

    #[test]
    fn body_encodings() {
        let zip = with_manifest(json!({"fwversion": "1", "files": []}));
        let b64 = BASE64.encode(&zip);
        let wrapped = format!("{}\n{}\n", &b64[..10], &b64[10..]);
        assert_eq!(zip_bytes(Some("application/zip"), &zip).unwrap(), zip);
        assert_eq!(
            zip_bytes(Some("text/plain"), wrapped.as_bytes()).unwrap(),
            zip
        );
        assert_eq!(zip_bytes(None, &zip).unwrap(), zip);
        assert_eq!(zip_bytes(None, b64.as_bytes()).unwrap(), zip);
        let json_body = serde_json::to_vec(&b64).unwrap();
        assert_eq!(
            zip_bytes(Some("application/json"), &json_body).unwrap(),
            zip
        );
        assert!(zip_bytes(Some("text/csv"), &zip).is_err());
        let e = zip_bytes(Some("application/zip"), &vec![0; MAX_UPLOAD + 1]).unwrap_err();
        assert_eq!((e.status.as_u16(), e.code), (413, 41300));
    }
}
