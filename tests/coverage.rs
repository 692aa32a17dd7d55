//! Nothing silently dropped: every operation of the patched documents has a generated method,
//! and every spec patch changed exactly what it reports, nothing else, and all of its targets.

mod common;

// The patch table is shared with build.rs and xtask; this test uses only part of its API.
#[allow(dead_code)]
#[path = "../build/patches.rs"]
mod patches;

use std::collections::BTreeSet;

use common::{PROVISIONING, REST, parse};
use nrfcloud_api::{Api, OPERATIONS, Operation, meta};
use serde_json::Value;

const REST_SPEC: &str = include_str!("../openapi/nrfcloud-rest.json");
const PROVISIONING_SPEC: &str = include_str!("../openapi/nrfcloud-provisioning.json");

fn operation_ids(doc: &Value) -> Vec<String> {
    let mut ids = Vec::new();
    for item in doc["paths"].as_object().expect("paths").values() {
        for (method, op) in item.as_object().expect("path item") {
            if ["get", "put", "post", "delete", "patch", "head"].contains(&method.as_str()) {
                ids.push(op["operationId"].as_str().expect("operationId").to_string());
            }
        }
    }
    ids
}

fn every_operation_has_a_method(api: Api, patched: &str, code: &str, expected: usize) {
    let doc: Value = serde_json::from_str(patched).unwrap();
    let ids = operation_ids(&doc);
    assert_eq!(
        ids.len(),
        expected,
        "operations in the patched {api:?} document"
    );
    let generated = parse(code);
    for id in &ids {
        let op =
            Operation::by_id(api, id).unwrap_or_else(|| panic!("{id} is missing from OPERATIONS"));
        assert!(
            generated.methods.contains_key(op.method_name),
            "{id}: no generated method {}",
            op.method_name
        );
    }
    let table = OPERATIONS.iter().filter(|op| op.api == api).count();
    assert_eq!(table, expected, "rows in the {api:?} operation table");
    let public_methods = generated
        .methods
        .keys()
        .filter(|m| !["new", "new_with_client"].contains(&m.as_str()));
    assert_eq!(
        public_methods.count(),
        expected,
        "generated {api:?} operation methods"
    );
}

#[test]
fn all_82_rest_operations_have_methods() {
    every_operation_has_a_method(Api::Rest, meta::REST_PATCHED_SPEC, REST, 82);
}

#[test]
fn all_provisioning_operations_have_methods() {
    every_operation_has_a_method(
        Api::Provisioning,
        meta::PROVISIONING_PATCHED_SPEC,
        PROVISIONING,
        25,
    );
}

/// Every leaf of `v` as `(pointer, value)`; empty objects and arrays count as leaves.
fn leaves(v: &Value, ptr: String, out: &mut BTreeSet<(String, String)>) {
    match v {
        Value::Object(m) if !m.is_empty() => {
            for (k, c) in m {
                leaves(c, format!("{ptr}/{}", patches::esc(k)), out);
            }
        }
        Value::Array(a) if !a.is_empty() => {
            for (i, c) in a.iter().enumerate() {
                leaves(c, format!("{ptr}/{i}"), out);
            }
        }
        other => {
            out.insert((ptr, other.to_string()));
        }
    }
}

/// Pointers whose leaves differ between `a` and `b`.
fn changed(a: &Value, b: &Value) -> BTreeSet<String> {
    let (mut la, mut lb) = (BTreeSet::new(), BTreeSet::new());
    leaves(a, String::new(), &mut la);
    leaves(b, String::new(), &mut lb);
    la.symmetric_difference(&lb)
        .map(|(p, _)| p.clone())
        .collect()
}

fn covers(touched: &str, pointer: &str) -> bool {
    pointer == touched || pointer.starts_with(&format!("{touched}/"))
}

fn patches_change_what_they_report(spec: &str, steps: &[patches::Step]) {
    let mut doc: Value = serde_json::from_str(spec).unwrap();
    let original_schemas: BTreeSet<String> = doc["components"]["schemas"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    for step in steps {
        let before = doc.clone();
        let touched = (step.patch.apply)(&mut doc);
        let name = step.patch.name;
        assert_eq!(touched.len(), step.expect, "{name}: touched {touched:?}");
        for t in &touched {
            assert!(
                before.pointer(t) != doc.pointer(t),
                "{name} reports {t} but it did not change"
            );
        }
        for p in changed(&before, &doc) {
            let new_schema = p
                .strip_prefix("/components/schemas/")
                .and_then(|rest| rest.split('/').next())
                .is_some_and(|s| !original_schemas.contains(s));
            assert!(
                new_schema || touched.iter().any(|t| covers(t, &p)),
                "{name} changed {p}, which it does not report"
            );
        }
        let mut again = doc.clone();
        let left = (step.patch.apply)(&mut again);
        assert!(left.is_empty(), "{name} left targets unfixed: {left:?}");
    }
}

#[test]
fn rest_patches_change_exactly_what_they_report() {
    patches_change_what_they_report(REST_SPEC, patches::REST);
}

#[test]
fn provisioning_patches_change_exactly_what_they_report() {
    patches_change_what_they_report(PROVISIONING_SPEC, patches::PROVISIONING);
}

#[test]
fn a_patch_whose_target_vanished_fails_the_build_with_its_name() {
    // The patched document no longer has the quirks: the first patch must refuse to pass as a no-op.
    let mut doc: Value = serde_json::from_str(meta::REST_PATCHED_SPEC).unwrap();
    let err = patches::apply_all(&mut doc, patches::REST, &[])
        .err()
        .expect("a mismatch");
    assert!(
        err.contains("`anyof-identical` changed 0 targets, expected 1"),
        "{err}"
    );
    assert!(err.contains("delete the patch"), "{err}");
}

#[test]
fn patched_rest_document_has_none_of_the_known_quirks() {
    let doc = meta::REST_PATCHED_SPEC;
    assert!(
        !doc.contains("/^[a-z0-9:_-]{1,128}$/i"),
        "JavaScript regex literal left"
    );
    assert!(!doc.contains("\"anyOf\""), "anyOf left");
    let doc: Value = serde_json::from_str(doc).unwrap();
    for item in doc["paths"].as_object().unwrap().values() {
        for op in item.as_object().unwrap().values() {
            let id = op["operationId"].as_str().unwrap();
            let responses = op["responses"].as_object().unwrap();
            for (code, r) in responses {
                if !code.starts_with('2') {
                    assert!(["4XX", "5XX"].contains(&code.as_str()), "{id}: {code}");
                    assert_eq!(
                        r.pointer("/content/application~1json/schema/$ref"),
                        Some(&Value::from("#/components/schemas/NrfCloudError"))
                    );
                }
            }
            let content_type_param = op["parameters"].as_array().into_iter().flatten().any(|p| {
                p["name"]
                    .as_str()
                    .is_some_and(|n| n.eq_ignore_ascii_case("content-type"))
            });
            assert!(
                !content_type_param,
                "{id} still declares a content-type parameter"
            );
        }
    }
    let onboard = Operation::by_id(Api::Rest, "OnboardDevices").unwrap();
    assert_eq!(onboard.upload_content_type, Some("text/csv"));
    let firmware = Operation::by_id(Api::Rest, "UploadFirmware").unwrap();
    assert_eq!(
        firmware.upload_content_type, None,
        "zip uploads stay application/octet-stream"
    );
}

#[test]
fn models_derive_json_schema_including_the_integer_enums() {
    // BleScanType is an integer enum: its schemars impl is hand-written by typify with a `gen`
    // parameter that only compiles on edition 2024 after build.rs's `edition-2024-gen` fix.
    let scan = serde_json::to_value(schemars::schema_for!(
        nrfcloud_api::rest::types::BleScanType
    ))
    .unwrap();
    assert_eq!(scan["enum"], serde_json::json!([0, 1]));
    let device = serde_json::to_value(schemars::schema_for!(
        nrfcloud_api::rest::types::GenericDevice
    ))
    .unwrap();
    // Responses are lenient (patch `lenient-response-required`): only what tells a device
    // apart stays required.
    assert_eq!(
        device["required"],
        serde_json::json!(["id", "type"]),
        "{device}"
    );
}

/// Every component schema a request body reaches, directly or through other schemas.
fn request_schemas(doc: &Value) -> BTreeSet<String> {
    fn refs(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                if let Some(name) = m
                    .get("$ref")
                    .and_then(Value::as_str)
                    .and_then(|r| r.strip_prefix("#/components/schemas/"))
                {
                    out.push(name.to_owned());
                }
                m.values().for_each(|c| refs(c, out));
            }
            Value::Array(a) => a.iter().for_each(|c| refs(c, out)),
            _ => {}
        }
    }
    let mut stack = Vec::new();
    for item in doc["paths"].as_object().unwrap().values() {
        for op in item.as_object().unwrap().values() {
            refs(&op["requestBody"], &mut stack);
        }
    }
    let mut seen = BTreeSet::new();
    while let Some(name) = stack.pop() {
        if seen.insert(name.clone()) {
            refs(&doc["components"]["schemas"][&name], &mut stack);
        }
    }
    seen
}

fn assert_requests_stay_strict(original: &str, patched: &str) {
    let json = |s: &str| serde_json::from_str::<Value>(s).unwrap();
    let (original, patched) = (json(original), json(patched));
    let schemas = request_schemas(&original);
    assert!(!schemas.is_empty());
    for name in &schemas {
        let (before, after) = (
            &original["components"]["schemas"][name],
            &patched["components"]["schemas"][name],
        );
        assert_eq!(
            before.get("required"),
            after.get("required"),
            "{name}: required changed"
        );
        assert!(
            !after.to_string().contains("/Unrecognized")
                && !after.to_string().contains("LenientNumber"),
            "{name} got a lenient member: {after}"
        );
    }
}

#[test]
fn lenient_response_patches_leave_request_schemas_strict() {
    assert_requests_stay_strict(REST_SPEC, meta::REST_PATCHED_SPEC);
    assert_requests_stay_strict(PROVISIONING_SPEC, meta::PROVISIONING_PATCHED_SPEC);
}
