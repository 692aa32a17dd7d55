//! The files in `openapi/`: the snapshots (replaced atomically) and `sources.json`, the
//! provenance of each snapshot.

use std::{
    fs,
    io::{self, Write},
    path::{Path, PathBuf},
};

use serde_json::{Map, Value, json};

use crate::{api::Api, document::Document};

/// Provenance file, relative to the project root.
pub const SOURCES: &str = "openapi/sources.json";

/// A project checkout: the directory holding `openapi/`.
pub struct Project {
    root: PathBuf,
}

impl Project {
    pub fn open(root: &Path) -> Result<Self, String> {
        if !root.join("openapi").is_dir() {
            return Err(format!(
                "{} has no openapi/ directory: run from the nrfcloud-rs checkout or pass --root",
                root.display()
            ));
        }
        Ok(Self {
            root: root.to_path_buf(),
        })
    }

    pub fn path(&self, relative: &str) -> PathBuf {
        self.root.join(relative)
    }

    /// The current snapshot's bytes, `None` when there is none yet.
    pub fn read_snapshot(&self, api: Api) -> Result<Option<Vec<u8>>, String> {
        match fs::read(self.path(api.snapshot())) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(format!("cannot read {}: {e}", api.snapshot())),
        }
    }

    pub fn write_snapshot(&self, api: Api, doc: &Document) -> Result<(), String> {
        write_atomic(&self.path(api.snapshot()), doc.text.as_bytes())
            .map_err(|e| format!("cannot write {}: {e}", api.snapshot()))
    }

    /// The provenance entries, an empty map when `sources.json` does not exist yet.
    pub fn read_sources(&self) -> Result<Map<String, Value>, String> {
        let bytes = match fs::read(self.path(SOURCES)) {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Map::new()),
            Err(e) => return Err(format!("cannot read {SOURCES}: {e}")),
        };
        match serde_json::from_slice(&bytes) {
            Ok(Value::Object(map)) => Ok(map),
            Ok(_) => Err(format!("{SOURCES} is not a JSON object; fix or delete it")),
            Err(e) => Err(format!(
                "{SOURCES} is not valid JSON ({e}); fix or delete it"
            )),
        }
    }

    /// Replaces `sources.json` with `sources` (sorted keys, like the snapshots).
    pub fn write_sources(&self, sources: Map<String, Value>) -> Result<(), String> {
        let text = crate::document::normalise(&Value::Object(sources));
        write_atomic(&self.path(SOURCES), text.as_bytes())
            .map_err(|e| format!("cannot write {SOURCES}: {e}"))
    }
}

/// The provenance entry of one snapshot.
pub fn source_entry(doc: &Document, source: &str) -> Value {
    json!({
        "source": source,
        "fetched_at": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "sha256": doc.sha256(),
        "info_version": doc.info_version,
        "openapi": doc.openapi,
    })
}

/// Writes a temporary file next to `path`, then renames it over `path`: a reader (or a build
/// running at the same time) sees the old or the new file, never half of one.
fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut tmp = tempfile::Builder::new()
        .prefix(".refresh-schema-")
        .tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    // tempfile creates the file private (0600); keep the snapshot as readable as it was.
    match fs::metadata(path) {
        Ok(old) => fs::set_permissions(tmp.path(), old.permissions())?,
        Err(_) => readable_by_all(tmp.path())?,
    }
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(unix)]
fn readable_by_all(path: &Path) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(0o644))
}

#[cfg(not(unix))]
fn readable_by_all(_: &Path) -> io::Result<()> {
    Ok(())
}
