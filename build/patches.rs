//! Named fixes for the nRF Cloud OpenAPI documents, applied by `build.rs` before code generation.
//!
//! The downloaded REST document is never edited by hand, and no document is edited to suit the
//! generator (the provisioning document is ours: it is edited only to say what the service does).
//! Each quirk that breaks progenitor, or that makes the generated client misbehave at run time,
//! gets one function here. Every function returns the JSON pointers it changed, and [`REST`] /
//! [`PROVISIONING`] say how many changes each document must see. `build.rs` fails when a count
//! differs, so a patch whose target upstream fixed (or reshaped) is noticed at once and deleted or
//! updated, never silently left as a no-op.
//!
//! This file depends on `serde_json` only: `build.rs`, the root package's tests and `xtask` all
//! include it with `#[path]`.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value, json};

/// A patch: its name (stable, used in messages and `NRFCLOUD_SKIP_PATCHES`) and its function.
pub struct Patch {
    /// Kebab-case name, e.g. `device-id-regex`.
    pub name: &'static str,
    /// Applies the fix and returns the JSON pointers it changed.
    pub apply: fn(&mut Value) -> Vec<String>,
}

/// A patch together with the number of changes it must make on one document.
pub struct Step {
    /// The patch.
    pub patch: Patch,
    /// Exactly how many JSON pointers the patch must change.
    pub expect: usize,
}

macro_rules! step {
    ($name:literal, $f:path, $n:expr) => {
        Step {
            patch: Patch {
                name: $name,
                apply: $f,
            },
            expect: $n,
        }
    };
}

/// Patches for `openapi/nrfcloud-rest.json`, in the order they run.
pub const REST: &[Step] = &[
    step!("anyof-identical", anyof_identical, 1),
    step!("anyof-rewrite", anyof_rewrite, 30),
    step!("unique-opids", unique_opids, 0),
    step!("raw-uploads", raw_uploads, 4),
    step!("binary-206", binary_206, 2),
    step!("head-no-content", head_no_content, 2),
    step!("device-id-regex", device_id_regex, 51),
    step!("optional-bodies", optional_bodies, 4),
    step!("if-match", if_match, 6),
    step!("open-response-enums", open_response_enums, 2),
    step!("lenient-response-required", lenient_response_required, 75),
    step!("open-response-unions", open_response_unions, 9),
    step!("open-response-enum-values", open_response_enum_values, 15),
    step!("open-shared-response-enums", open_shared_response_enums, 7),
    step!("lenient-numbers", lenient_numbers, 7),
    step!("fractional-uncertainty", fractional_uncertainty, 6),
    step!("location-history-security", location_history_security, 2),
    step!("lenient-timestamps", lenient_timestamps, 1),
    step!("any-json-messages", any_json_messages, 1),
    step!("lenient-response-strings", lenient_response_strings, 46),
    step!("create-fota-job-any-2xx", create_fota_job_any_2xx, 1),
    step!("typed-errors", typed_errors, 82),
];

/// Patches for `openapi/nrfcloud-provisioning.json`, in the order they run.
pub const PROVISIONING: &[Step] = &[
    step!("multi-media-bodies", multi_media_bodies, 2),
    step!("csv-bodies", csv_bodies, 1),
    step!("merge-success-responses", merge_success_responses, 2),
    step!("drop-empty-success-twins", drop_empty_success_twins, 2),
    step!("lenient-response-required", lenient_response_required, 6),
    step!("open-response-unions", open_response_unions, 1),
    step!("open-response-enum-values", open_response_enum_values, 0),
    step!("lenient-response-strings", lenient_response_strings, 2),
    // No `typed-errors`: we write this document, and it declares the `4XX`/`5XX` `NrfCloudError`
    // answers itself, so Prism, schemathesis and readers see them too.
];

/// Vendor extension that records the `Content-Type` a raw upload must be sent with. progenitor
/// ignores `x-` keys; `build.rs` copies it into the operation table that the hooks read.
pub const UPLOAD_MEDIA_TYPE: &str = "x-nrfcloud-upload-media-type";

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Escapes one JSON-pointer segment (RFC 6901).
pub fn esc(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

/// Calls `f(pointer, operation, method)` for every operation of the document, in path order.
fn for_each_op(doc: &mut Value, mut f: impl FnMut(&str, &mut Map<String, Value>, &str)) {
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for (path, item) in paths.iter_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for (method, op) in item.iter_mut() {
            if !METHODS.contains(&method.as_str()) {
                continue;
            }
            if let Some(op) = op.as_object_mut() {
                f(&format!("/paths/{}/{method}", esc(path)), op, method);
            }
        }
    }
}

/// Calls `f(pointer, object)` for every JSON object in the tree, parents before children.
fn for_each_object(v: &mut Value, ptr: &str, f: &mut impl FnMut(&str, &mut Map<String, Value>)) {
    match v {
        Value::Object(map) => {
            f(ptr, map);
            for (k, child) in map.iter_mut() {
                for_each_object(child, &format!("{ptr}/{}", esc(k)), f);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter_mut().enumerate() {
                for_each_object(child, &format!("{ptr}/{i}"), f);
            }
        }
        _ => {}
    }
}

/// `Value::pointer` for an operation object: `pointer` starts with `/`.
fn at<'a>(op: &'a Map<String, Value>, pointer: &str) -> Option<&'a Value> {
    let (first, rest) = pointer[1..]
        .split_once('/')
        .map_or((&pointer[1..], ""), |(f, r)| (f, r));
    let v = op.get(first)?;
    if rest.is_empty() {
        Some(v)
    } else {
        v.pointer(&format!("/{rest}"))
    }
}

/// `Value::pointer_mut` for an operation object.
fn at_mut<'a>(op: &'a mut Map<String, Value>, pointer: &str) -> Option<&'a mut Value> {
    let (first, rest) = pointer[1..]
        .split_once('/')
        .map_or((&pointer[1..], ""), |(f, r)| (f, r));
    let v = op.get_mut(first)?;
    if rest.is_empty() {
        Some(v)
    } else {
        v.pointer_mut(&format!("/{rest}"))
    }
}

/// Follows a local `$ref` (one level) to the schema it names.
fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(r) => doc.pointer(r.trim_start_matches('#')).unwrap_or(schema),
        None => schema,
    }
}

/// tsoa emits `UsageMetricDate = anyOf[string, string]`. progenitor's builder interface panics on
/// it as a query parameter (progenitor#1221, `left: "exclusive_end" right: "body"`). An `anyOf`
/// whose members are all equal is exactly that member.
pub fn anyof_identical(doc: &mut Value) -> Vec<String> {
    let mut touched = Vec::new();
    for_each_object(doc, "", &mut |ptr, obj| {
        let Some(Value::Array(members)) = obj.get("anyOf") else {
            return;
        };
        if members.len() < 2 || members.iter().any(|m| m != &members[0]) {
            return;
        }
        let Some(Value::Object(member)) = obj.remove("anyOf").map(|m| m[0].clone()) else {
            return;
        };
        obj.extend(member);
        touched.push(ptr.to_string());
    });
    touched
}

/// typify turns an `anyOf` whose members overlap (`Enum | string`, `Device | {}`) into a struct
/// of `#[serde(flatten)]` options that cannot decode a plain JSON string and silently drops
/// objects that fail a member: every `GenericDevice` fails (`expected struct
/// GenericDeviceSubType`) and `FetchDevice` falls back to `{}`. tsoa means "one of these": an
/// `anyOf` of strings becomes one string (one enum when every member is an enum), and any other
/// `anyOf` becomes `oneOf`, which typify renders as an untagged enum tried in order.
pub fn anyof_rewrite(doc: &mut Value) -> Vec<String> {
    // Decide on a read-only copy so `$ref`s can be resolved while the tree is mutated.
    let snapshot = doc.clone();
    let mut touched = Vec::new();
    for_each_object(doc, "", &mut |ptr, obj| {
        let Some(Value::Array(members)) = obj.get("anyOf") else {
            return;
        };
        let resolved: Vec<&Value> = members.iter().map(|m| resolve(&snapshot, m)).collect();
        let all_strings = resolved
            .iter()
            .all(|m| m.get("type") == Some(&json!("string")));
        if all_strings {
            let enums: Option<Vec<Value>> = resolved
                .iter()
                .map(|m| m.get("enum").and_then(Value::as_array).cloned())
                .collect::<Option<Vec<_>>>()
                .map(|lists| lists.into_iter().flatten().collect());
            obj.remove("anyOf");
            obj.insert("type".into(), json!("string"));
            if let Some(mut values) = enums {
                values.dedup();
                obj.insert("enum".into(), Value::Array(values));
            }
        } else {
            let members = obj.remove("anyOf").unwrap_or_default();
            obj.insert("oneOf".into(), members);
        }
        touched.push(ptr.to_string());
    });
    touched
}

/// progenitor requires unique operationIds (`duplicate operation ID`). The live document reuses
/// `GetAssistanceData` and `GetPredictedAssistanceData` on their deprecated A-GPS twins (the
/// reconstructed snapshot already renamed them, hence 0 there). Later duplicates get the method
/// and an index appended, e.g. `GetAssistanceDataGet2`.
pub fn unique_opids(doc: &mut Value) -> Vec<String> {
    let mut seen = std::collections::BTreeMap::<String, usize>::new();
    let mut touched = Vec::new();
    for_each_op(doc, |ptr, op, method| {
        let Some(id) = op
            .get("operationId")
            .and_then(Value::as_str)
            .map(str::to_owned)
        else {
            return;
        };
        let n = seen.entry(id.clone()).or_insert(0);
        *n += 1;
        if *n > 1 {
            let mut m = method.to_string();
            m[..1].make_ascii_uppercase();
            op.insert("operationId".into(), json!(format!("{id}{m}{n}")));
            touched.push(format!("{ptr}/operationId"));
        }
    });
    touched
}

fn binary_body(media_type: Option<&str>) -> Value {
    let mut body = json!({
        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
        "required": true
    });
    if let Some(mt) = media_type {
        body[UPLOAD_MEDIA_TYPE] = json!(mt);
    }
    body
}

/// tsoa declares the CSV and zip uploads (OnboardDevices, RegisterCertificates,
/// RegisterPublicKeys, UploadFirmware) as a JSON `string` body plus a required `content-type`
/// header parameter. progenitor then JSON-encodes the CSV (`"nrf-1,tag1,,\n"`, quotes and escaped
/// newlines) under a `text/csv` header, so the server sees one malformed row. The body becomes raw
/// bytes (`application/octet-stream`, which both content-type enums allow) and the parameter goes;
/// the operation table tells the hooks to send `text/csv` where the enum offers it.
pub fn raw_uploads(doc: &mut Value) -> Vec<String> {
    let snapshot = doc.clone();
    let mut touched = Vec::new();
    for_each_op(doc, |ptr, op, _| {
        let is_ct = |p: &Value| {
            p.get("in") == Some(&json!("header"))
                && p.get("name")
                    .and_then(Value::as_str)
                    .map(str::to_ascii_lowercase)
                    .as_deref()
                    == Some("content-type")
        };
        let Some(Value::Array(params)) = op.get("parameters") else {
            return;
        };
        let Some(ct) = params.iter().find(|p| is_ct(p)) else {
            return;
        };
        let json_string = at(op, "/requestBody/content/application~1json/schema/type")
            .and_then(Value::as_str)
            == Some("string");
        if !json_string {
            return;
        }
        let allowed = ct.get("schema").map(|s| resolve(&snapshot, s));
        let csv = allowed
            .and_then(|s| s.get("enum"))
            .and_then(Value::as_array)
            .is_some_and(|e| e.contains(&json!("text/csv")));
        if let Some(Value::Array(params)) = op.get_mut("parameters") {
            params.retain(|p| !is_ct(p));
            if params.is_empty() {
                op.remove("parameters");
            }
        }
        op.insert("requestBody".into(), binary_body(csv.then_some("text/csv")));
        touched.push(ptr.to_string());
    });
    touched
}

/// The A-GNSS/A-GPS 206 responses are declared `application/json` `string/byte`, so progenitor
/// would JSON-decode binary assistance data and fail. They become `application/octet-stream`,
/// which progenitor hands back as a raw byte stream.
pub fn binary_206(doc: &mut Value) -> Vec<String> {
    let mut touched = Vec::new();
    for_each_op(doc, |ptr, op, _| {
        let Some(resp) = at_mut(op, "/responses/206") else {
            return;
        };
        let Some(schema) = resp.pointer("/content/application~1json/schema") else {
            return;
        };
        if schema.get("format") != Some(&json!("byte")) {
            return;
        }
        resp["content"] =
            json!({"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}});
        touched.push(format!("{ptr}/responses/206"));
    });
    touched
}

/// HEAD responses (GetFileSize, GetAssistanceDataSize) are declared with a JSON body, which a
/// HEAD response never has: decoding the empty body would fail. Their `content` is dropped.
pub fn head_no_content(doc: &mut Value) -> Vec<String> {
    let mut touched = Vec::new();
    for_each_op(doc, |ptr, op, method| {
        if method != "head" {
            return;
        }
        let Some(Value::Object(responses)) = op.get_mut("responses") else {
            return;
        };
        for (code, resp) in responses.iter_mut() {
            if resp
                .as_object_mut()
                .and_then(|r| r.remove("content"))
                .is_some()
            {
                touched.push(format!("{ptr}/responses/{code}/content"));
            }
        }
    });
    touched
}

/// tsoa copies the JavaScript regex literal `/^[a-z0-9:_-]{1,128}$/i` into `pattern`. As an
/// ECMA-262 pattern it demands literal slashes and an `i`, so no real device id
/// (`nrf-352656100123456`) matches and every device call fails before sending. The literal
/// means `^[a-zA-Z0-9:_-]{1,128}$`.
pub fn device_id_regex(doc: &mut Value) -> Vec<String> {
    let mut touched = Vec::new();
    for_each_object(doc, "", &mut |ptr, obj| {
        if obj.get("pattern") == Some(&json!("/^[a-z0-9:_-]{1,128}$/i")) {
            obj.insert("pattern".into(), json!("^[a-zA-Z0-9:_-]{1,128}$"));
            touched.push(format!("{ptr}/pattern"));
        }
    });
    touched
}

/// progenitor cannot leave a body out: an optional string body fails at `send()` with `body was
/// not initialized`, an optional object body is always sent as `{}`. DeleteDevice's optional
/// body (a legacy ownership code) is dropped, because a DELETE is almost always sent without
/// one. The other optional bodies (UpdateDeviceImage, StartScanForBLEDevices,
/// GetAssistanceData) are marked required, which states what the generated client does anyway.
pub fn optional_bodies(doc: &mut Value) -> Vec<String> {
    let mut touched = Vec::new();
    for_each_op(doc, |ptr, op, method| {
        let Some(body) = op.get_mut("requestBody") else {
            return;
        };
        if body.get("required") == Some(&json!(true)) {
            return;
        }
        if method == "delete" {
            op.remove("requestBody");
        } else {
            body["required"] = json!(true);
        }
        touched.push(format!("{ptr}/requestBody"));
    });
    touched
}

/// Operations that update an existing device document and take `If-Match`.
const IF_MATCH_OPS: [&str; 6] = [
    "UpdateDeviceName",
    "UpdateDeviceTags",
    "UpdateDeviceState",
    "UpdateDeviceImage",
    "DeleteDeviceImage",
    "DeleteDevice",
];

/// The REST overview documents optimistic concurrency (UpdateDeviceName "and other updates of
/// existing resources"): send the device's version as `If-Match`, get 412 PreconditionFailedError
/// when it is stale. The document declares no such header, and progenitor can add a request header
/// only from a parameter, so each device-document update gets an optional `If-Match`.
pub fn if_match(doc: &mut Value) -> Vec<String> {
    let mut touched = Vec::new();
    for_each_op(doc, |ptr, op, _| {
        let id = op
            .get("operationId")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if !IF_MATCH_OPS.contains(&id) {
            return;
        }
        let params = op.entry("parameters").or_insert_with(|| json!([]));
        let Some(params) = params.as_array_mut() else {
            return;
        };
        if params
            .iter()
            .any(|p| p.get("name").and_then(Value::as_str) == Some("If-Match"))
        {
            return;
        }
        params.push(json!({
            "in": "header",
            "name": "If-Match",
            "required": false,
            "description": "The version last read (ETag or `$meta.version`); a stale value gets 412.",
            "schema": {"type": "string"}
        }));
        touched.push(format!("{ptr}/parameters"));
    });
    touched
}

/// Server-controlled enums that have already grown or changed (bulk-ops `endpoint` was
/// `PROVISION_DEVICES` in 2021-22 responses). typify's enums are closed, so one new value would
/// fail the decoding of the whole response. They become plain strings; the known values move
/// into the description, and the facade maps them to enums with an `Other` variant.
pub fn open_response_enums(doc: &mut Value) -> Vec<String> {
    let mut touched = Vec::new();
    for name in ["BulkOpsRequestEndpoint", "BulkOpsRequestStatus"] {
        let ptr = format!("/components/schemas/{name}");
        let Some(Value::Object(schema)) = doc.pointer_mut(&ptr) else {
            continue;
        };
        let Some(Value::Array(values)) = schema.remove("enum") else {
            continue;
        };
        let known: Vec<&str> = values.iter().filter_map(Value::as_str).collect();
        schema.insert(
            "description".into(),
            json!(format!("Known values: {}.", known.join(", "))),
        );
        touched.push(ptr);
    }
    touched
}

// ---------------------------------------------------------------------------------------------
// Lenient responses. The service sends less than its document requires (FetchAccountInfo has no
// `userId`, location-history items have `meta: {}`, the claiming guide's FetchBulkOpsRequest has no
// `endpoint`), shapes no union member matches (the ENTERPRISE `plan`), enum values it never
// declared, and numbers as strings. The live document is as strict as our reconstruction, so these
// are rules over every response-only schema, not per-field fixes: they survive a refresh.
// Request schemas (and schemas shared with requests) stay strict, so we still send only what the
// service documents.

/// Adds component schema `name` unless the document has one.
fn add_schema(doc: &mut Value, name: &str, schema: Value) {
    if let Some(Value::Object(schemas)) = doc.pointer_mut("/components/schemas") {
        schemas.entry(name).or_insert(schema);
    }
}

/// Properties the facade cannot do without, which stay required in responses: without them an
/// answer cannot be told apart from another (`ClaimedDevice.id` separates a claimed device from
/// a `BulkClaimResult` in an untagged union) or names nothing (ids the facade hands back).
const KEEP_REQUIRED: &[(&str, &str)] = &[
    // REST: a device's id (`DeviceExt::id`) and `type`, which tells the members of the `Device`
    // union apart; without it any object with an `id` (a JSONata result) would pass for a
    // generic device and lose its other fields. A device without them stays `Unrecognized`.
    ("GenericDevice", "id"),
    ("GenericDevice", "type"),
    ("BLEDevice", "id"),
    ("BLEDevice", "type"),
    ("GatewayDevice", "id"),
    ("GatewayDevice", "type"),
    // REST: the id and status of a bulk operation, which the facade polls to its end.
    ("BulkOpsRequestDetails", "bulkOpsRequestId"),
    ("BulkOpsRequestDetails", "status"),
    ("OnboardDevices202Response", "bulkOpsRequestId"),
    (
        "PickBulkOpsRequestExcludeKeyofBulkOpsRequestTenantIdOrMetadata",
        "bulkOpsRequestId",
    ),
    (
        "PickBulkOpsRequestExcludeKeyofBulkOpsRequestTenantIdOrMetadata",
        "status",
    ),
    // REST: the id CreateFOTAJob answers, which names the job created.
    ("CreateFOTAJob201Response", "jobId"),
    // Provisioning: a claimed device's id (it also tells it from a `BulkClaimResult`), a
    // command's id and status (waited on), an accepted bulk claim's operation id.
    ("ClaimedDevice", "id"),
    ("ProvisioningCommand", "id"),
    ("ProvisioningCommand", "status"),
    ("ProvisioningCommandCreated", "id"),
    ("BulkOpsRequestAccepted", "bulkOpsRequestId"),
];

/// The names of the component schemas that 2xx responses reach (through `$ref`s) but that no
/// request body or parameter reaches.
fn response_only_schemas(doc: &Value) -> BTreeSet<String> {
    fn refs(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(map) => {
                if let Some(r) = map.get("$ref").and_then(Value::as_str)
                    && let Some(name) = r.strip_prefix("#/components/schemas/")
                {
                    out.push(name.to_string());
                }
                map.values().for_each(|c| refs(c, out));
            }
            Value::Array(items) => items.iter().for_each(|c| refs(c, out)),
            _ => {}
        }
    }
    let empty = Map::new();
    let schemas = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let closure = |roots: Vec<String>| {
        let (mut seen, mut stack) = (BTreeSet::new(), roots);
        while let Some(name) = stack.pop() {
            if let Some(schema) = schemas.get(&name)
                && seen.insert(name)
            {
                refs(schema, &mut stack);
            }
        }
        seen
    };
    let (mut request_roots, mut response_roots) = (Vec::new(), Vec::new());
    if let Some(paths) = doc.get("paths").and_then(Value::as_object) {
        for item in paths.values().filter_map(Value::as_object) {
            refs(
                item.get("parameters").unwrap_or(&Value::Null),
                &mut request_roots,
            );
            for (method, op) in item {
                if !METHODS.contains(&method.as_str()) {
                    continue;
                }
                refs(
                    op.get("parameters").unwrap_or(&Value::Null),
                    &mut request_roots,
                );
                refs(
                    op.get("requestBody").unwrap_or(&Value::Null),
                    &mut request_roots,
                );
                if let Some(responses) = op.get("responses").and_then(Value::as_object) {
                    for (code, response) in responses {
                        if code.starts_with('2') {
                            refs(response, &mut response_roots);
                        }
                    }
                }
            }
        }
    }
    let requests = closure(request_roots);
    closure(response_roots)
        .into_iter()
        .filter(|name| !requests.contains(name))
        .collect()
}

/// Calls `f(pointer, schema, component)` for every schema object of every response: each
/// response-only component schema and each schema written inline in a 2xx response, with their
/// inline subschemas (properties, items, additionalProperties, allOf/anyOf/oneOf), parents
/// first. `component` names the component schema a subschema belongs to, if any. `$ref`s are
/// not followed: the schemas they name are visited as components when they are response-only.
fn for_each_response_schema(
    doc: &mut Value,
    mut f: impl FnMut(&str, &mut Map<String, Value>, Option<&str>),
) {
    fn walk(
        v: &mut Value,
        ptr: &str,
        component: Option<&str>,
        f: &mut impl FnMut(&str, &mut Map<String, Value>, Option<&str>),
    ) {
        let Value::Object(schema) = v else { return };
        f(ptr, schema, component);
        if let Some(Value::Object(props)) = schema.get_mut("properties") {
            for (name, sub) in props.iter_mut() {
                walk(
                    sub,
                    &format!("{ptr}/properties/{}", esc(name)),
                    component,
                    f,
                );
            }
        }
        for key in ["items", "additionalProperties", "not"] {
            if let Some(sub) = schema.get_mut(key) {
                walk(sub, &format!("{ptr}/{key}"), component, f);
            }
        }
        for key in ["allOf", "anyOf", "oneOf"] {
            if let Some(Value::Array(members)) = schema.get_mut(key) {
                for (i, sub) in members.iter_mut().enumerate() {
                    walk(sub, &format!("{ptr}/{key}/{i}"), component, f);
                }
            }
        }
    }
    let response_only = response_only_schemas(doc);
    if let Some(Value::Object(schemas)) = doc.pointer_mut("/components/schemas") {
        for (name, schema) in schemas.iter_mut() {
            if response_only.contains(name) {
                let ptr = format!("/components/schemas/{}", esc(name));
                walk(schema, &ptr, Some(name), &mut f);
            }
        }
    }
    for_each_op(doc, |ptr, op, _| {
        let Some(Value::Object(responses)) = op.get_mut("responses") else {
            return;
        };
        for (code, response) in responses.iter_mut() {
            if !code.starts_with('2') {
                continue;
            }
            let Some(Value::Object(content)) = response.get_mut("content") else {
                continue;
            };
            for (media, body) in content.iter_mut() {
                if let Some(schema) = body.get_mut("schema") {
                    let at = format!("{ptr}/responses/{code}/content/{}/schema", esc(media));
                    walk(schema, &at, None, &mut f);
                }
            }
        }
    });
}

/// Response-only properties stop being required (typify then generates `Option<T>`, or an empty
/// `Vec` for arrays), except the few in [`KEEP_REQUIRED`]. Without it, one property the service
/// leaves out fails the whole response: FetchAccountInfo without `userId`, location history with
/// `meta: {}`, a bulk operation without `endpoint`.
pub fn lenient_response_required(doc: &mut Value) -> Vec<String> {
    let mut touched = Vec::new();
    for_each_response_schema(doc, |ptr, schema, component| {
        let Some(Value::Array(required)) = schema.get("required") else {
            return;
        };
        let keep: Vec<Value> = required
            .iter()
            .filter(|p| {
                let (Some(component), Some(p)) = (component, p.as_str()) else {
                    return false;
                };
                // Only the component's own properties, not those of its nested objects.
                let own = ptr == format!("/components/schemas/{}", esc(component));
                own && KEEP_REQUIRED.contains(&(component, p))
            })
            .cloned()
            .collect();
        if keep.len() == required.len() {
            return;
        }
        if keep.is_empty() {
            schema.remove("required");
        } else {
            schema.insert("required".into(), Value::Array(keep));
        }
        touched.push(ptr.to_string());
    });
    touched
}

/// The component schema of the catch-all union member; typify names the variant after it.
pub const UNRECOGNIZED: &str = "Unrecognized";

/// Whether a union member already accepts anything: `{}` (or only a description), or the
/// [`UNRECOGNIZED`] schema.
fn accepts_anything(member: &Value) -> bool {
    let catch_all = format!("#/components/schemas/{UNRECOGNIZED}");
    member.as_object().is_some_and(|m| {
        m.get("$ref").and_then(Value::as_str) == Some(catch_all.as_str())
            || m.keys()
                .all(|k| matches!(k.as_str(), "description" | "title"))
    })
}

/// Every response-only union (`oneOf`/`anyOf`) gets a last, catch-all member, the schema
/// [`UNRECOGNIZED`] (`{}`), which typify renders as an `Unrecognized(serde_json::Value)`
/// variant. serde tries untagged variants in order, so the typed members still win whenever
/// they match; an answer that matches none (the live ENTERPRISE `plan`) no longer fails the
/// whole response. Unions of plain strings are left alone (their enums are opened by
/// `open-response-enum-values`).
pub fn open_response_unions(doc: &mut Value) -> Vec<String> {
    let member = json!({"$ref": format!("#/components/schemas/{UNRECOGNIZED}")});
    let mut touched = Vec::new();
    for_each_response_schema(doc, |ptr, schema, _| {
        for key in ["oneOf", "anyOf"] {
            let Some(Value::Array(members)) = schema.get_mut(key) else {
                continue;
            };
            let strings = members
                .iter()
                .all(|m| m.get("type").and_then(Value::as_str) == Some("string"));
            if strings || members.iter().any(accepts_anything) {
                continue;
            }
            members.push(member.clone());
            touched.push(ptr.to_string());
        }
    });
    if !touched.is_empty() {
        add_schema(
            doc,
            UNRECOGNIZED,
            json!({"description": "A response shape the document does not describe, kept as JSON."}),
        );
    }
    touched
}

/// Response-only string enums with two or more values become plain strings, their values kept in
/// the description: the service adds values (bulk-ops `endpoint` did), and typify's enums are
/// closed, so one new value would fail the whole response. One-value enums stay: they are the
/// tags (`type: "Generic"`, `name: "ENTERPRISE"`) that pick the member of an untagged union.
pub fn open_response_enum_values(doc: &mut Value) -> Vec<String> {
    let mut touched = Vec::new();
    for_each_response_schema(doc, |ptr, schema, _| {
        let is_string = schema.get("type").and_then(Value::as_str) == Some("string");
        let many = schema
            .get("enum")
            .and_then(Value::as_array)
            .is_some_and(|v| v.len() >= 2);
        if !(is_string && many) {
            return;
        }
        let Some(Value::Array(values)) = schema.remove("enum") else {
            return;
        };
        let known: Vec<&str> = values.iter().filter_map(Value::as_str).collect();
        let text = format!("Known values: {}.", known.join(", "));
        let description = match schema.get("description").and_then(Value::as_str) {
            Some(d) => format!("{d}\n\n{text}"),
            None => text,
        };
        schema.insert("description".into(), json!(description));
        touched.push(ptr.to_string());
    });
    touched
}

/// Response-only strings lose `pattern`, `minLength` and `maxLength`: typify checks them while
/// decoding, so one id the document's regex did not foresee fails the whole response
/// (ListMessages sends `"deviceId": "N/A"` for cloud-originated messages). Requests keep them,
/// and the facade checks the ids it sends itself.
pub fn lenient_response_strings(doc: &mut Value) -> Vec<String> {
    let mut touched = Vec::new();
    for_each_response_schema(doc, |ptr, schema, _| {
        let mut changed = false;
        for key in ["pattern", "minLength", "maxLength"] {
            changed |= schema.remove(key).is_some();
        }
        if changed {
            touched.push(ptr.to_string());
        }
    });
    touched
}

/// String enums that requests share with responses (`FirmwareTypes`, the FOTA execution
/// statuses `FotaV2JobExecutionEvents`) stay closed for requests, where they say what we may
/// send, but a response that names one gets an open string in its place: the service has
/// already grown such sets (bulk-ops `endpoint`), and one new firmware type or execution status
/// would fail a whole list. The facade maps the strings to enums with an `Other` variant.
pub fn open_shared_response_enums(doc: &mut Value) -> Vec<String> {
    let response_only = response_only_schemas(doc);
    let shared: BTreeMap<String, String> = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .filter(|(name, _)| !response_only.contains(*name))
        .filter_map(|(name, schema)| {
            let values = schema.get("enum")?.as_array()?;
            let is_string = schema.get("type").and_then(Value::as_str) == Some("string");
            (is_string && values.len() >= 2).then(|| {
                let known: Vec<&str> = values.iter().filter_map(Value::as_str).collect();
                (name.clone(), known.join(", "))
            })
        })
        .collect();
    let mut touched = Vec::new();
    for_each_response_schema(doc, |ptr, schema, _| {
        let Some(name) = schema
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.strip_prefix("#/components/schemas/"))
        else {
            return;
        };
        if let Some(known) = shared.get(name) {
            let text = format!("Known values ({name}): {known}.");
            schema.clear();
            schema.insert("type".into(), json!("string"));
            schema.insert("description".into(), json!(text));
            touched.push(ptr.to_string());
        }
    });
    touched
}

/// The name of the component schema for a point in time that may arrive as an RFC 3339 string
/// or as Unix milliseconds; `build.rs` replaces it with `nrfcloud_api::lenient::Timestamp`.
pub const LENIENT_TIMESTAMP: &str = "LenientTimestamp";

/// \[CONFLICT\] cloud-api-facts.md §6.1: a device message's `receivedAt` is an ISO-8601 string in
/// the REST document and in Nordic's test client, and "a Unix timestamp in ms" in the message
/// guide. It becomes `LenientTimestamp`, which decodes both (the string form is the default the
/// simulator sends).
pub fn lenient_timestamps(doc: &mut Value) -> Vec<String> {
    const FIELDS: &[(&str, &str)] = &[("DeviceMessage", "receivedAt")];
    let mut touched = Vec::new();
    let timestamp = json!({"$ref": format!("#/components/schemas/{LENIENT_TIMESTAMP}")});
    for (schema, field) in FIELDS {
        let ptr = format!("/components/schemas/{schema}/properties/{field}");
        if let Some(prop) = doc.pointer_mut(&ptr)
            && prop.get("$ref").is_none()
        {
            *prop = timestamp.clone();
            touched.push(ptr);
        }
    }
    if !touched.is_empty() {
        add_schema(
            doc,
            LENIENT_TIMESTAMP,
            json!({"description": "An RFC 3339 date-time, or Unix milliseconds.", "type": "string"}),
        );
    }
    touched
}

/// A stored device message's `message` is an object in the REST document, but SendDeviceMessage
/// accepts an object, an array of objects or a string (a base64 binary log on `d2c/bin`), and the
/// message store keeps what was published: `message` is any JSON value in responses.
pub fn any_json_messages(doc: &mut Value) -> Vec<String> {
    let ptr = "/components/schemas/DeviceMessage/properties/message";
    match doc.pointer_mut(ptr) {
        Some(prop) if prop.get("type").is_some() || prop.get("$ref").is_some() => {
            *prop = json!({"description": "The message as published: an object, an array or a string."});
            vec![ptr.to_string()]
        }
        _ => Vec::new(),
    }
}

/// CreateFOTAJob declares only `201 {jobId}`; Nordic's end-to-end mocks of the live service
/// answer it `200` with the same body (cloud-api-facts.md §9). An undocumented success would be
/// an `UnexpectedResponse` error after the job was created, so any 2xx is the success.
pub fn create_fota_job_any_2xx(doc: &mut Value) -> Vec<String> {
    let mut touched = Vec::new();
    for_each_op(doc, |ptr, op, _| {
        if op.get("operationId").and_then(Value::as_str) != Some("CreateFOTAJob") {
            return;
        }
        if let Some(Value::Object(responses)) = op.get_mut("responses")
            && let Some(created) = responses.remove("201")
        {
            responses.insert("2XX".into(), created);
            touched.push(format!("{ptr}/responses"));
        }
    });
    touched
}

/// The name of the component schema for a number that may arrive as a JSON string;
/// `build.rs` replaces it with `nrfcloud_api::lenient::Number`.
pub const LENIENT_NUMBER: &str = "LenientNumber";

/// Numeric fields the service is known to send as strings: location-history items
/// (`"lat": "59.92335269"`, `"uncertainty": "301"` in captured responses) and their GNSS
/// metadata. Whatever type the document gives them (strings in the reconstruction, numbers
/// elsewhere), they become `LenientNumber`, which decodes both.
pub fn lenient_numbers(doc: &mut Value) -> Vec<String> {
    const FIELDS: &[(&str, &[&str])] = &[
        ("LocationTrackerItem", &["lat", "lon", "uncertainty"]),
        ("GnssMeta", &["acc", "alt", "spd", "hdg"]),
    ];
    let mut touched = Vec::new();
    let number = json!({"$ref": format!("#/components/schemas/{LENIENT_NUMBER}")});
    for (schema, fields) in FIELDS {
        for field in *fields {
            let ptr = format!("/components/schemas/{schema}/properties/{field}");
            let Some(prop) = doc.pointer_mut(&ptr) else {
                continue;
            };
            let numeric = matches!(
                prop.get("type").and_then(Value::as_str),
                Some("number" | "integer" | "string")
            );
            if numeric && prop.get("$ref").is_none() {
                *prop = number.clone();
                touched.push(ptr);
            }
        }
    }
    if !touched.is_empty() {
        add_schema(
            doc,
            LENIENT_NUMBER,
            json!({"description": "A number the service may send as a JSON string.", "type": "string"}),
        );
    }
    touched
}

/// Location answers declare `uncertainty` an integer, but the service sends metres with
/// decimals (14.772 for a Wi-Fi fix in Nordic's location tests; "15.066" in captured history), so
/// an integer would refuse a real fix. Every `uncertainty` declared `integer` becomes `number`.
pub fn fractional_uncertainty(doc: &mut Value) -> Vec<String> {
    let mut touched = Vec::new();
    let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    else {
        return touched;
    };
    for (name, schema) in schemas.iter_mut() {
        if let Some(prop) = schema.pointer_mut("/properties/uncertainty")
            && prop.get("type").and_then(Value::as_str) == Some("integer")
        {
            prop["type"] = json!("number");
            touched.push(format!(
                "/components/schemas/{}/properties/uncertainty",
                esc(name)
            ));
        }
    }
    touched
}

/// GetLocationHistory and DeleteLocationHistory declare no `security`, so a generated client
/// sends them without credentials and the service answers 401. Nordic's own examples call them
/// with the API key (confirmed); proxies holding only a service key use a JWT, as on the other
/// location endpoints (whether the live service takes one here is \[UNCERTAIN\]). Both schemes
/// are declared; a client with an API key sends that first.
pub fn location_history_security(doc: &mut Value) -> Vec<String> {
    let mut touched = Vec::new();
    for_each_op(doc, |ptr, op, _| {
        let id = op.get("operationId").and_then(Value::as_str);
        if matches!(id, Some("GetLocationHistory" | "DeleteLocationHistory"))
            && op.get("security").is_none()
        {
            op.insert(
                "security".into(),
                json!([{"Simple Token": []}, {"JSON Web Token": []}]),
            );
            touched.push(format!("{ptr}/security"));
        }
    });
    touched
}

/// The REST document declares no error bodies (only a content-less 422 on the CSV uploads), so
/// every error would be an untyped `UnexpectedResponse`; mixing a typed and a content-less error
/// also panics progenitor (`response_types.len() <= 1`). nRF Cloud answers errors with
/// `{code, message}` (nRF codes such as 40410), so every operation gets `4XX`/`5XX` with an
/// `NrfCloudError` body in place of its declared error responses. REST only: the provisioning
/// document, which we write, declares these answers itself.
pub fn typed_errors(doc: &mut Value) -> Vec<String> {
    let schemas = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
        .expect("the document has components.schemas");
    schemas.entry("NrfCloudError").or_insert_with(|| {
        json!({
            "type": "object",
            "description": "nRF Cloud error body; `code` is the nRF error code (e.g. 40410).",
            "properties": {"code": {"type": "integer"}, "message": {"type": "string"}},
            "required": ["message"]
        })
    });
    let error = json!({
        "description": "nRF Cloud error",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/NrfCloudError"}}}
    });
    let mut touched = Vec::new();
    for_each_op(doc, |ptr, op, _| {
        let Some(Value::Object(responses)) = op.get_mut("responses") else {
            return;
        };
        let mut wanted: Map<String, Value> = responses
            .iter()
            .filter(|(code, _)| code.starts_with('2'))
            .map(|(code, r)| (code.clone(), r.clone()))
            .collect();
        wanted.insert("4XX".into(), error.clone());
        wanted.insert("5XX".into(), error.clone());
        if *responses != wanted {
            *responses = wanted;
            touched.push(format!("{ptr}/responses"));
        }
    });
    touched
}

/// ClaimDeviceOwnership takes a JSON claim and, on the same endpoint, a CSV bulk claim
/// (provisioning-api.md §2.6 variants B and C). progenitor panics on a body with two media types
/// (`more media types than expected`). The body becomes raw bytes and a required `Content-Type`
/// header parameter, listing the original media types, lets the caller say which form it sends.
pub fn multi_media_bodies(doc: &mut Value) -> Vec<String> {
    let mut touched = Vec::new();
    for_each_op(doc, |ptr, op, _| {
        let Some(Value::Object(content)) = at(op, "/requestBody/content") else {
            return;
        };
        if content.len() < 2 {
            return;
        }
        let media: Vec<Value> = content.keys().map(|k| json!(k)).collect();
        op.insert("requestBody".into(), binary_body(None));
        let params = op.entry("parameters").or_insert_with(|| json!([]));
        if let Some(params) = params.as_array_mut() {
            params.push(json!({
                "in": "header",
                "name": "Content-Type",
                "required": true,
                "description": "Media type of the raw body.",
                "schema": {"type": "string", "enum": media}
            }));
        }
        touched.push(ptr.to_string());
    });
    touched
}

/// progenitor rejects `text/csv` bodies (`unexpected content type`). A CSV-only body becomes raw
/// bytes, and the operation table tells the hooks to send it as `text/csv`.
pub fn csv_bodies(doc: &mut Value) -> Vec<String> {
    let mut touched = Vec::new();
    for_each_op(doc, |ptr, op, _| {
        let Some(Value::Object(content)) = at(op, "/requestBody/content") else {
            return;
        };
        if content.len() != 1 || !content.contains_key("text/csv") {
            return;
        }
        op.insert("requestBody".into(), binary_body(Some("text/csv")));
        touched.push(format!("{ptr}/requestBody"));
    });
    touched
}

fn json_schema(resp: &Value) -> Option<&Value> {
    resp.pointer("/content/application~1json/schema")
}

/// A claim answers 200 `{claimedIds, failed}` (CSV), or 201 with the claimed device or that same
/// result: different success schemas, which panic progenitor (`response_types.len() <= 1`,
/// progenitor#344). Every JSON success response of such an operation gets one shared component,
/// a `oneOf` of the distinct schemas, the ones with required properties first so that the
/// untagged decoder does not let an all-optional member swallow a richer object. A response
/// that is itself a union contributes its members, whether it says `oneOf` or `anyOf` (the
/// document's 201 says `anyOf`: a claimed device also matches the all-optional bulk result,
/// which JSON Schema's `oneOf` would reject as "valid under more than one").
pub fn merge_success_responses(doc: &mut Value) -> Vec<String> {
    let snapshot = doc.clone();
    let mut unions = Map::new();
    let mut touched = Vec::new();
    for_each_op(doc, |ptr, op, _| {
        let Some(Value::Object(responses)) = op.get_mut("responses") else {
            return;
        };
        let mut members: Vec<Value> = Vec::new();
        for (code, resp) in responses.iter() {
            let Some(schema) = json_schema(resp).filter(|_| code.starts_with('2')) else {
                continue;
            };
            let union = schema.get("oneOf").or_else(|| schema.get("anyOf"));
            let flat = match union.and_then(Value::as_array) {
                Some(list) => list.clone(),
                None => vec![schema.clone()],
            };
            for m in flat {
                if !members.contains(&m) {
                    members.push(m);
                }
            }
        }
        if members.len() < 2 {
            return;
        }
        let required = |m: &Value| {
            resolve(&snapshot, m)
                .get("required")
                .and_then(Value::as_array)
                .map_or(0, Vec::len)
        };
        members.sort_by_key(|m| std::cmp::Reverse(required(m)));
        let name: Vec<String> = members
            .iter()
            .map(|m| {
                let r = m.get("$ref").and_then(Value::as_str).unwrap_or("Value");
                r.rsplit('/').next().unwrap_or(r).to_string()
            })
            .collect();
        let name = name.join("Or");
        unions.insert(name.clone(), json!({ "oneOf": members }));
        let schema = json!({ "$ref": format!("#/components/schemas/{name}") });
        for (code, resp) in responses.iter_mut() {
            if code.starts_with('2') && json_schema(resp).is_some() {
                resp["content"]["application/json"]["schema"] = schema.clone();
            }
        }
        touched.push(format!("{ptr}/responses"));
    });
    if let Some(Value::Object(schemas)) = doc.pointer_mut("/components/schemas") {
        schemas.extend(unions);
    }
    touched
}

/// A dry-run claim answers 202 with no body next to the 200/201 JSON answers; a content-less
/// success beside a typed one panics progenitor (`response_types.len() <= 1`). The content-less
/// twin is dropped: the raw client then reports it as an unexpected 2xx response carrying the
/// status, which the facade turns into the dry-run verdict.
pub fn drop_empty_success_twins(doc: &mut Value) -> Vec<String> {
    let mut touched = Vec::new();
    for_each_op(doc, |ptr, op, _| {
        let Some(Value::Object(responses)) = op.get_mut("responses") else {
            return;
        };
        let success = |c: &String| c.starts_with('2');
        if !responses
            .iter()
            .any(|(c, r)| success(c) && r.get("content").is_some())
        {
            return;
        }
        let empty: Vec<String> = responses
            .iter()
            .filter(|(c, r)| success(c) && r.get("content").is_none())
            .map(|(c, _)| c.clone())
            .collect();
        for code in &empty {
            responses.remove(code);
        }
        if !empty.is_empty() {
            touched.push(format!("{ptr}/responses"));
        }
    });
    touched
}

/// Outcome of [`apply_all`]: per step, the pointers it touched.
pub struct Applied {
    /// `(patch name, expected count, touched pointers)` in application order; skipped patches
    /// are absent.
    pub steps: Vec<(&'static str, usize, Vec<String>)>,
}

/// Applies `steps` in order, skipping the names in `skip`. Returns an error message naming the
/// first patch whose count differs from its expectation.
pub fn apply_all(doc: &mut Value, steps: &[Step], skip: &[&str]) -> Result<Applied, String> {
    let mut applied = Applied { steps: Vec::new() };
    for step in steps {
        if skip.contains(&step.patch.name) {
            continue;
        }
        let touched = (step.patch.apply)(doc);
        if touched.len() != step.expect {
            return Err(format!(
                "spec patch `{}` changed {} targets, expected {}.\n\
                 The upstream document changed shape: if upstream fixed this quirk, delete the \
                 patch; otherwise update it and its expected count in build/patches.rs.\n\
                 Touched: {:?}",
                step.patch.name,
                touched.len(),
                step.expect,
                touched
            ));
        }
        applied.steps.push((step.patch.name, step.expect, touched));
    }
    Ok(applied)
}
