//! How the SDK's values look on stdout: a JSON object (camelCase, as the service spells it)
//! and a table row. Pre-signed URLs lose their query (the signature) here, like in the SDK's
//! `Debug`.

use nrfcloud::{
    bulk_ops::BulkOpsRequest,
    devices::DeviceExt,
    fota::{Bundle, ExecutionCounts, FotaJob, JobExecution},
    location::{Fix, HistoryEntry},
    messages::Message,
    provisioning::{ClaimedDevice, ProvisioningCommand, types::ProvisioningRule},
    raw::rest::types::Device,
};
use serde_json::{Value, json};

/// A value printed as JSON and as a table row.
pub trait View {
    /// The table's column names.
    const HEADERS: &'static [&'static str];
    /// The JSON object.
    fn json(&self) -> Value;
    /// The table row.
    fn row(&self) -> Vec<String>;
    /// What `--quiet` prints: the id.
    fn id(&self) -> String;
}

/// A URL without its query: a pre-signed URL's signature is a credential.
pub fn unsigned(url: &str) -> String {
    match url.split_once('?') {
        Some((base, _)) => format!("{base}?…"),
        None => url.to_owned(),
    }
}

/// An optional value as text (empty when absent).
fn text<T: std::fmt::Display>(t: &Option<T>) -> String {
    t.as_ref().map(|t| t.to_string()).unwrap_or_default()
}

impl View for Device {
    const HEADERS: &'static [&'static str] = &["ID", "NAME", "TAGS"];
    fn json(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
    fn row(&self) -> Vec<String> {
        vec![
            DeviceExt::id(self).to_owned(),
            self.name().unwrap_or_default().to_owned(),
            self.tags().join(","),
        ]
    }
    fn id(&self) -> String {
        DeviceExt::id(self).to_owned()
    }
}

impl View for ClaimedDevice {
    const HEADERS: &'static [&'static str] = &["ID", "IMEI", "TYPE", "STATUS", "TAGS", "CLAIMED"];
    fn json(&self) -> Value {
        json!({
            "id": self.id,
            "deviceType": self.device_type,
            "firmwareId": self.firmware_id,
            "imei": self.imei,
            "ownerId": self.owner_id,
            "ownershipStatus": self.ownership_status.as_ref().map(|s| s.to_string()),
            "status": self.status.as_ref().map(|s| s.to_string()),
            "tags": self.tags,
            "claimedAt": self.claimed_at,
        })
    }
    fn row(&self) -> Vec<String> {
        vec![
            self.id.clone(),
            self.imei.clone().unwrap_or_default(),
            self.device_type.clone().unwrap_or_default(),
            text(&self.status),
            self.tags.join(","),
            text(&self.claimed_at),
        ]
    }
    fn id(&self) -> String {
        self.id.clone()
    }
}

impl View for BulkOpsRequest {
    const HEADERS: &'static [&'static str] =
        &["ID", "ENDPOINT", "STATUS", "REQUESTED", "COMPLETED"];
    fn json(&self) -> Value {
        let url = |u: &Option<String>| u.as_deref().map(unsigned);
        json!({
            "bulkOpsRequestId": self.id,
            "endpoint": self.endpoint.as_ref().map(|e| e.to_string()),
            "status": self.status.to_string(),
            "requestedAt": self.requested_at,
            "completedAt": self.completed_at,
            "uploadedDataUrl": url(&self.uploaded_data_url),
            "resultDataUrl": url(&self.result_data_url),
            "errorSummaryUrl": url(&self.error_summary_url),
        })
    }
    fn row(&self) -> Vec<String> {
        vec![
            self.id.clone(),
            text(&self.endpoint),
            self.status.to_string(),
            text(&self.requested_at),
            text(&self.completed_at),
        ]
    }
    fn id(&self) -> String {
        self.id.clone()
    }
}

impl View for ProvisioningCommand {
    const HEADERS: &'static [&'static str] = &["ID", "STATUS", "DESCRIPTION", "CREATED"];
    fn json(&self) -> Value {
        json!({
            "id": self.id,
            "description": self.description,
            "status": self.status.to_string(),
            "request": self.request,
            "response": self.response,
            "createdAt": self.created_at,
            "updatedAt": self.updated_at,
        })
    }
    fn row(&self) -> Vec<String> {
        vec![
            self.id.clone(),
            self.status.to_string(),
            self.description.clone().unwrap_or_default(),
            text(&self.created_at),
        ]
    }
    fn id(&self) -> String {
        self.id.clone()
    }
}

impl View for ProvisioningRule {
    const HEADERS: &'static [&'static str] = &["ID", "NAME", "TAGS", "ACTIVE"];
    fn json(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
    fn row(&self) -> Vec<String> {
        let v = self.json();
        let text = |k: &str| v.get(k).map(plain).unwrap_or_default();
        vec![text("id"), text("name"), text("tags"), text("active")]
    }
    fn id(&self) -> String {
        self.json().get("id").map(plain).unwrap_or_default()
    }
}

/// A JSON value as plain text: strings unquoted, arrays comma-joined.
fn plain(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(plain).collect::<Vec<_>>().join(","),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Prints the items of `stream` as they arrive: JSON Lines with `--json`, ids with `--quiet`,
/// else a table once the last page is in (with a spinner counting them meanwhile).
pub async fn print_list<T: View>(
    out: &crate::output::Out,
    what: &str,
    mut stream: impl futures::Stream<Item = nrfcloud::Result<T>> + Unpin,
) -> Result<u64, crate::exit::CliError> {
    use futures::StreamExt;
    let spinner = crate::progress::spinner(out, format!("listing {what}"));
    let mut rows = Vec::new();
    let mut count = 0u64;
    while let Some(item) = stream.next().await {
        let item = item?;
        count += 1;
        if out.json() {
            out.json_line(&item.json());
        } else if out.quiet() {
            out.line(item.id());
        } else {
            rows.push(item.row());
            spinner.set_message(format!("listing {what}: {count}"));
        }
    }
    spinner.finish_and_clear();
    if !out.json() && !out.quiet() {
        out.table(T::HEADERS, &rows);
        out.note(format!("{count} {what}"));
    }
    Ok(count)
}

/// Prints one value: pretty JSON with `--json`, its id with `--quiet`, else a table of one row.
pub fn print_one<T: View>(out: &crate::output::Out, item: &T) {
    if out.json() {
        out.json_pretty(&item.json());
    } else if out.quiet() {
        out.line(item.id());
    } else {
        out.table(T::HEADERS, &[item.row()]);
    }
}

impl View for Bundle {
    const HEADERS: &'static [&'static str] = &["ID", "TYPE", "VERSION", "NAME", "SIZE"];
    fn json(&self) -> Value {
        json!({
            "bundleId": self.id,
            "type": self.firmware_type.as_ref().map(|t| t.to_string()),
            "version": self.version,
            "name": self.name,
            "description": self.description,
            "filenames": self.filenames,
            "size": self.size,
            "lastModified": self.last_modified,
        })
    }
    fn row(&self) -> Vec<String> {
        vec![
            self.id.clone(),
            text(&self.firmware_type),
            text(&self.version),
            text(&self.name),
            text(&self.size),
        ]
    }
    fn id(&self) -> String {
        self.id.clone()
    }
}

impl View for FotaJob {
    const HEADERS: &'static [&'static str] = &["ID", "STATUS", "BUNDLE", "NAME", "CREATED"];
    fn json(&self) -> Value {
        let firmware = self.firmware.as_ref();
        json!({
            "jobId": self.id,
            "status": self.status.to_string(),
            "statusDetail": self.status_detail,
            "name": self.name,
            "description": self.description,
            "deviceIds": self.device_ids,
            "tags": self.tags,
            "bundleId": firmware.and_then(|f| f.bundle_id.clone()),
            "firmwareType": firmware.and_then(|f| f.firmware_type.as_ref()).map(|t| t.to_string()),
            "version": firmware.and_then(|f| f.version.clone()),
            "executionCounts": self.stats.as_ref().map(|s| counts_json(&s.counts)),
            "createdAt": self.created_at,
            "lastUpdatedAt": self.last_updated_at,
            "completedAt": self.completed_at,
        })
    }
    fn row(&self) -> Vec<String> {
        vec![
            self.id.clone(),
            self.status.to_string(),
            self.firmware
                .as_ref()
                .and_then(|f| f.bundle_id.clone())
                .unwrap_or_default(),
            text(&self.name),
            text(&self.created_at),
        ]
    }
    fn id(&self) -> String {
        self.id.clone()
    }
}

/// Executions per status, as JSON.
pub fn counts_json(c: &ExecutionCounts) -> Value {
    json!({
        "devices": c.total(),
        "queued": c.queued,
        "inProgress": c.in_progress,
        "downloading": c.downloading,
        "succeeded": c.succeeded,
        "failed": c.failed,
        "timedOut": c.timed_out,
        "rejected": c.rejected,
        "cancelled": c.cancelled,
        "other": c.other,
        "pending": c.pending(),
    })
}

impl View for JobExecution {
    const HEADERS: &'static [&'static str] = &["DEVICE", "JOB", "STATUS", "DETAIL", "UPDATED"];
    fn json(&self) -> Value {
        json!({
            "deviceId": self.device_id,
            "jobId": self.job_id,
            "status": self.status.to_string(),
            "statusDetail": self.status_detail,
            "createdAt": self.created_at,
            "lastUpdatedAt": self.last_updated_at,
            "version": self.document.as_ref().and_then(|d| d.version.clone()),
        })
    }
    fn row(&self) -> Vec<String> {
        vec![
            self.device_id.clone(),
            text(&self.job_id),
            self.status.to_string(),
            text(&self.status_detail),
            text(&self.last_updated_at),
        ]
    }
    fn id(&self) -> String {
        self.device_id.clone()
    }
}

impl View for Message {
    const HEADERS: &'static [&'static str] = &["RECEIVED", "DEVICE", "TOPIC", "MESSAGE"];
    fn json(&self) -> Value {
        json!({
            "receivedAt": self.received_at,
            "deviceId": self.device_id,
            "topic": self.topic,
            "message": self.message,
        })
    }
    fn row(&self) -> Vec<String> {
        vec![
            text(&self.received_at),
            text(&self.device_id),
            text(&self.topic),
            self.message.to_string(),
        ]
    }
    /// A message has no id: `--quiet` prints the message itself.
    fn id(&self) -> String {
        self.message.to_string()
    }
}

impl View for Fix {
    const HEADERS: &'static [&'static str] = &["LAT", "LON", "UNCERTAINTY (M)", "FULFILLED WITH"];
    fn json(&self) -> Value {
        json!({
            "lat": self.lat,
            "lon": self.lon,
            "uncertainty": self.uncertainty,
            "fulfilledWith": self.fulfilled_with.to_string(),
            "anchors": self.anchors,
        })
    }
    fn row(&self) -> Vec<String> {
        vec![
            self.lat.to_string(),
            self.lon.to_string(),
            self.uncertainty.to_string(),
            self.fulfilled_with.to_string(),
        ]
    }
    /// A fix has no id: `--quiet` prints `lat,lon`.
    fn id(&self) -> String {
        format!("{},{}", self.lat, self.lon)
    }
}

impl View for HistoryEntry {
    const HEADERS: &'static [&'static str] = &[
        "INSERTED",
        "DEVICE",
        "SERVICE",
        "LAT",
        "LON",
        "UNCERTAINTY (M)",
        "ID",
    ];
    fn json(&self) -> Value {
        json!({
            "id": self.id,
            "deviceId": self.device_id,
            "serviceType": self.service_type.to_string(),
            "insertedAt": self.inserted_at,
            "lat": self.lat,
            "lon": self.lon,
            "uncertainty": self.uncertainty,
        })
    }
    fn row(&self) -> Vec<String> {
        vec![
            text(&self.inserted_at),
            self.device_id.clone(),
            self.service_type.to_string(),
            self.lat.to_string(),
            self.lon.to_string(),
            self.uncertainty.to_string(),
            self.id.clone(),
        ]
    }
    fn id(&self) -> String {
        self.id.clone()
    }
}
