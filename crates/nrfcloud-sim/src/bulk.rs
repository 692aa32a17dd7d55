//! Bulk operations: a request is accepted at once (202 + `bulkOpsRequestId`), then a background
//! task moves it PENDING → IN_PROGRESS → SUCCEEDED or FAILED, one configured step apart, and
//! applies its rows when it completes. Rows that fail are listed in an error summary served,
//! like the uploaded data, from the simulator's own `/__sim/bulk/…` routes without auth.

use std::collections::{BTreeMap, BTreeSet};

use axum::{
    extract::State,
    http::{StatusCode, header},
    response::IntoResponse,
};
use bytes::Bytes;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;

use crate::{
    error::{ApiError, ApiResult},
    extract::Path,
    state::{AppState, Data, Shared, TeamIdx, timestamp},
};

/// Bulk operation status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    Pending,
    InProgress,
    Succeeded,
    Failed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "PENDING",
            Status::InProgress => "IN_PROGRESS",
            Status::Succeeded => "SUCCEEDED",
            Status::Failed => "FAILED",
        }
    }
}

/// One bulk operation.
pub(crate) struct BulkOp {
    pub id: String,
    pub endpoint: &'static str,
    pub status: Status,
    pub requested_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
    /// The uploaded data; emptied, with `expired` set, once newer uploads fill
    /// [`UPLOAD_RETENTION_BYTES`].
    pub uploaded: Bytes,
    pub expired: bool,
    /// `(0-based row, message)`, sorted by row.
    pub errors: Vec<(usize, String)>,
}

/// The JSON form (BulkOpsRequestDetails).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct BulkOpJson {
    bulk_ops_request_id: String,
    endpoint: &'static str,
    status: &'static str,
    requested_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    completed_at: Option<String>,
    uploaded_data_url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    error_summary_url: Option<String>,
}

impl BulkOp {
    pub fn json(&self, rest_origin: &str) -> BulkOpJson {
        let base = format!("{rest_origin}/__sim/bulk/{}", self.id);
        BulkOpJson {
            bulk_ops_request_id: self.id.clone(),
            endpoint: self.endpoint,
            status: self.status.as_str(),
            requested_at: timestamp(&self.requested_at),
            completed_at: self.completed_at.as_ref().map(timestamp),
            uploaded_data_url: format!("{base}/uploaded.csv"),
            error_summary_url: (self.status == Status::Failed)
                .then(|| format!("{base}/errors.json")),
        }
    }
}

/// Applies the rows of a bulk operation when it completes; returns the failed rows. The set
/// holds the rows the `bulk_fail_rows` fault fails: they must be left alone.
pub(crate) type Apply =
    Box<dyn FnOnce(&AppState, &mut Data, &BTreeSet<usize>) -> Vec<(usize, String)> + Send>;

/// Records a new operation for `team` and starts its lifecycle; returns its id.
pub(crate) fn submit(
    shared: &AppState,
    team: TeamIdx,
    endpoint: &'static str,
    uploaded: Bytes,
    rows: usize,
    apply: Apply,
) -> String {
    let id = shared.new_ulid();
    shared.write().teams[team].bulk_ops.insert(
        id.clone(),
        BulkOp {
            id: id.clone(),
            endpoint,
            status: Status::Pending,
            requested_at: Utc::now(),
            completed_at: None,
            uploaded,
            expired: false,
            errors: Vec::new(),
        },
    );
    retain_uploads(
        &mut shared.write().teams[team].bulk_ops,
        UPLOAD_RETENTION_BYTES,
    );
    let task_shared = shared.clone();
    let task_id = id.clone();
    shared.spawn(async move { run(task_shared, team, task_id, rows, apply).await });
    id
}

async fn run(shared: AppState, team: TeamIdx, id: String, rows: usize, apply: Apply) {
    tokio::time::sleep(shared.config.step).await;
    if let Some(op) = shared.write().teams[team].bulk_ops.get_mut(&id) {
        op.status = Status::InProgress;
    }
    tokio::time::sleep(shared.config.step).await;
    let injected: BTreeSet<usize> = shared
        .faults()
        .faults()
        .bulk_fail_rows
        .iter()
        .copied()
        .filter(|r| *r < rows)
        .collect();
    let mut data = shared.write();
    let mut errors = apply(&shared, &mut data, &injected);
    errors.extend(
        injected
            .iter()
            .map(|r| (*r, "simulated failure".to_string())),
    );
    errors.sort_by_key(|(row, _)| *row);
    if let Some(op) = data.teams[team].bulk_ops.get_mut(&id) {
        op.status = if errors.is_empty() {
            Status::Succeeded
        } else {
            Status::Failed
        };
        op.errors = errors;
        op.completed_at = Some(Utc::now());
    }
}

/// How much uploaded data a team's bulk operations keep: a long-running simulator fed
/// 100,000-row files must not grow without bound. Operations themselves are kept.
pub(crate) const UPLOAD_RETENTION_BYTES: usize = 64 << 20;

/// Empties the uploaded data of the oldest operations (ids are ULIDs: they sort by time)
/// beyond the newest `budget` bytes.
fn retain_uploads(ops: &mut BTreeMap<String, BulkOp>, budget: usize) {
    let mut kept = 0usize;
    for op in ops.values_mut().rev() {
        kept = kept.saturating_add(op.uploaded.len());
        if kept > budget && !op.expired {
            op.uploaded = Bytes::new();
            op.expired = true;
        }
    }
}

fn find<'a>(data: &'a Data, id: &str) -> Result<&'a BulkOp, ApiError> {
    data.teams
        .iter()
        .find_map(|t| t.bulk_ops.get(id))
        .ok_or_else(|| ApiError::not_found(format!("bulk operation {id} not found")))
}

/// `GET /__sim/bulk/{id}/uploaded.csv`: the uploaded data, as `uploadedDataUrl` promises.
pub(crate) async fn uploaded(State(shared): State<AppState>, Path(id): Path<String>) -> ApiResult {
    let data = shared.read();
    let op = find(&data, &id)?;
    if op.expired {
        return Err(ApiError::not_found(format!(
            "the uploaded data of bulk operation {id} is no longer kept"
        )));
    }
    Ok(([(header::CONTENT_TYPE, "text/csv")], op.uploaded.clone()).into_response())
}

/// `GET /__sim/bulk/{id}/errors.json`: the error summary of a FAILED operation.
pub(crate) async fn error_summary(
    State(shared): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult {
    let legacy = shared.faults().faults().legacy_error_summary;
    let data = shared.read();
    let op = find(&data, &id)?;
    if op.status != Status::Failed {
        return Err(ApiError::not_found(format!(
            "bulk operation {id} has no error summary (status {})",
            op.status.as_str()
        )));
    }
    let body = if legacy {
        legacy_summary(&op.errors)
    } else {
        current_summary(&op.errors)
    };
    Ok((
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response())
}

/// `{"errors":["[<0-based row>]: <message>", …]}`, the format since 2025-12.
fn current_summary(errors: &[(usize, String)]) -> String {
    let lines: Vec<String> = errors.iter().map(|(r, m)| format!("[{r}]: {m}")).collect();
    json!({ "errors": lines }).to_string()
}

/// The 2021-2025 format nrfcloud-utils parsed with string searches: a message whose first
/// whitespace-separated number is the error count, then `(1-based)]: `, then an escaped JSON object mapping each message to its 1-based
/// rows, then `.`.
fn legacy_summary(errors: &[(usize, String)]) -> String {
    let mut by_message: serde_json::Map<String, serde_json::Value> = serde_json::Map::new();
    for (row, message) in errors {
        let rows = by_message
            .entry(message.clone())
            .or_insert_with(|| json!([]));
        if let Some(list) = rows.as_array_mut() {
            list.push(json!(row + 1));
        }
    }
    let inner = serde_json::Value::Object(by_message).to_string();
    json!({
        "message": format!(
            "Bulk operation failed with {} errors [rows by error message (1-based)]: {inner}.",
            errors.len()
        )
    })
    .to_string()
}

/// Shared by the REST API's bulk-ops handlers.
pub(crate) fn fetch_json(shared: &Shared, team: TeamIdx, id: &str) -> Result<BulkOpJson, ApiError> {
    let data = shared.read();
    data.teams[team]
        .bulk_ops
        .get(id)
        .map(|op| op.json(&shared.config.rest_origin))
        .ok_or_else(|| ApiError::not_found(format!("bulk operation {id} not found")))
}

#[cfg(test)]
mod tests {

    #[test]
    fn old_uploads_are_emptied_beyond_the_budget() {
        let op = |id: &str, size: usize| BulkOp {
            id: id.into(),
            endpoint: "ONBOARDING",
            status: Status::Succeeded,
            requested_at: Utc::now(),
            completed_at: None,
            uploaded: Bytes::from(vec![b'x'; size]),
            expired: false,
            errors: Vec::new(),
        };
        let mut ops: BTreeMap<String, BulkOp> = ["01A", "01B", "01C", "01D"]
            .into_iter()
            .map(|id| (id.to_string(), op(id, 40)))
            .collect();
        retain_uploads(&mut ops, 100);
        let kept: Vec<(&str, usize, bool)> = ops
            .values()
            .map(|o| (o.id.as_str(), o.uploaded.len(), o.expired))
            .collect();
        assert_eq!(
            kept,
            [
                ("01A", 0, true),
                ("01B", 0, true),
                ("01C", 40, false),
                ("01D", 40, false)
            ]
        );
    }

    use super::*;

    #[test]
    fn summaries_in_both_formats() {
        let errors = vec![
            (0, "bad cert".to_string()),
            (3, "bad cert".to_string()),
            (4, "dup".to_string()),
        ];
        assert_eq!(
            current_summary(&errors),
            r#"{"errors":["[0]: bad cert","[3]: bad cert","[4]: dup"]}"#
        );
        let legacy = legacy_summary(&errors);
        // What nrfcloud-utils did: count = first integer, JSON between the markers, unescaped.
        let begin = legacy.find("(1-based)]: ").unwrap();
        let end = legacy.rfind(".\"}").unwrap();
        let count: usize = legacy[..begin]
            .split_whitespace()
            .find_map(|w| w.parse().ok())
            .unwrap();
        assert_eq!(count, 3);
        let inner = legacy[begin + "(1-based)]: ".len()..end].replace("\\\"", "\"");
        let parsed: serde_json::Value = serde_json::from_str(&inner).unwrap();
        assert_eq!(parsed, json!({"bad cert": [1, 4], "dup": [5]}));
    }
}
