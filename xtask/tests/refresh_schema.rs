//! `cargo xtask refresh-schema` end to end: the built binary against a scratch project and a
//! local HTTP server. Asserts on the summary text, the exit codes and the files left behind.

mod support;

use std::{fs, net::TcpListener, time::Duration};

use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use support::{Project, Reply, Server, json_reply, operation_count, rest_doc};

const REST: &str = "openapi/nrfcloud-rest.json";
const PROVISIONING: &str = "openapi/nrfcloud-provisioning.json";
const SOURCES: &str = "openapi/sources.json";
const SPEC: &str = "/v1/openapi.json";

fn sha256(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Serves `doc` and runs `refresh-schema --api rest --from <url> EXTRA`.
fn refresh_rest(project: &Project, reply: Reply, extra: &[&str]) -> (support::Run, String) {
    let server = Server::serve(vec![(SPEC, reply)]);
    let url = server.url(SPEC);
    let mut args = vec!["--api", "rest", "--from", url.as_str()];
    args.extend_from_slice(extra);
    (project.run(&args), url)
}

/// A rejected document leaves both files as they were and exits 2 with `needle` on stderr.
fn assert_rejected(extra: &[&str], reply: Reply, needle: &str) -> support::Run {
    let project = Project::new();
    let before = project.read(REST);
    let (run, _) = refresh_rest(&project, reply, extra);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains(needle), "wanted {needle:?}\n{run:?}");
    assert!(
        run.stderr
            .contains("openapi/nrfcloud-rest.json is unchanged"),
        "{run:?}"
    );
    assert_eq!(project.read(REST), before);
    assert!(!project.exists(SOURCES));
    run
}

#[test]
fn an_added_operation_is_summarised_written_and_recorded() {
    let project = Project::new();
    let provisioning = project.read(PROVISIONING);
    let mut doc = rest_doc();
    let n = operation_count(&doc);
    doc["paths"]["/widgets"] = json!({"get": {
        "operationId": "ListWidgets", "tags": ["Widgets"],
        "responses": {"200": {"description": "ok"}}}});

    let (run, url) = refresh_rest(&project, json_reply(&doc), &[]);

    assert_eq!(run.code, 0, "{run:?}");
    let out = &run.stdout;
    let added = format!(
        "operations: {n} → {} (1 added, 0 removed, 0 changed)",
        n + 1
    );
    assert!(out.contains(&added), "{run:?}");
    assert!(
        out.contains("\n    + GET /widgets  ListWidgets\n"),
        "{run:?}"
    );
    // typed-errors rewrites the responses of every operation, so one more operation is one
    // more target than build/patches.rs expects: exactly what the next build will reject.
    let typed = format!("typed-errors: {} targets, expected {n}", n + 1);
    assert!(out.contains(&typed), "{run:?}");
    assert!(out.contains("1. cargo build -p nrfcloud-api"), "{run:?}");
    assert!(out.contains("2. cargo insta review"), "{run:?}");

    let written = project.read(REST);
    assert_eq!(serde_json::from_str::<Value>(&written).unwrap(), doc);
    assert!(
        written.starts_with("{\n  \"components\": {\n"),
        "sorted, pretty-printed"
    );
    assert!(written.ends_with("}\n"));
    assert_eq!(project.read(PROVISIONING), provisioning, "--api rest only");

    let sources: Value = serde_json::from_str(&project.read(SOURCES)).unwrap();
    let rest = &sources["rest"];
    assert_eq!(rest["source"], url.as_str());
    assert_eq!(rest["sha256"], sha256(&written).as_str());
    assert_eq!(rest["info_version"], "v1");
    assert_eq!(rest["openapi"], "3.0.3");
    let at = rest["fetched_at"].as_str().unwrap();
    assert!(
        at.len() == 20 && at.as_bytes()[10] == b'T' && at.ends_with('Z'),
        "{at}"
    );
    assert!(sources.get("provisioning").is_none());
}

#[test]
fn a_removed_schema_is_listed() {
    let project = Project::new();
    let mut doc = rest_doc();
    let schemas = doc["components"]["schemas"].as_object_mut().unwrap();
    let n = schemas.len();
    let name = schemas.keys().next_back().unwrap().clone();
    schemas.remove(&name);

    let (run, _) = refresh_rest(&project, json_reply(&doc), &[]);

    assert_eq!(run.code, 0, "{run:?}");
    let counts = format!("schemas: {n} → {} (0 added, 1 removed, 0 changed)", n - 1);
    assert!(run.stdout.contains(&counts), "{run:?}");
    assert!(run.stdout.contains(&format!("\n    - {name}\n")), "{run:?}");
    assert!(!project.read(REST).contains(&format!("\"{name}\":")));
}

#[test]
fn a_changed_operation_lists_its_parameters_and_responses() {
    let project = Project::new();
    let mut doc = rest_doc();
    let op = &mut doc["paths"]["/devices"]["get"];
    op["parameters"].as_array_mut().unwrap().push(
        json!({"in": "query", "name": "color", "required": true, "schema": {"type": "string"}}),
    );
    op["responses"]["404"] = json!({"description": "no fleet"});

    let (run, _) = refresh_rest(&project, json_reply(&doc), &[]);

    assert_eq!(run.code, 0, "{run:?}");
    let expected = "    ~ GET /devices  ListDevices\n        parameters: + query `color` (required)\n        responses: + 404\n";
    assert!(run.stdout.contains(expected), "{run:?}");
    assert!(
        run.stdout.contains("(0 added, 0 removed, 1 changed)"),
        "{run:?}"
    );
}

#[test]
fn a_patch_whose_target_vanished_is_named() {
    let project = Project::new();
    let text = project.read(REST);
    let regex = "\"/^[a-z0-9:_-]{1,128}$/i\"";
    let n = text.matches(regex).count();
    assert!(n > 0, "the snapshot still has the tsoa regex literal");
    let fixed = text.replace(regex, "\"^[a-zA-Z0-9:_-]{1,128}$\"");

    let (run, _) = refresh_rest(&project, Reply::Ok("application/json", fixed), &[]);

    assert_eq!(run.code, 0, "{run:?}");
    let line = format!("device-id-regex: 0 targets, expected {n}: its target is gone");
    assert!(run.stdout.contains(&line), "{run:?}");
    assert!(
        run.stdout.contains("no longer find their target (1 of"),
        "{run:?}"
    );
}

#[test]
fn openapi_31_is_rejected() {
    let mut doc = rest_doc();
    doc["openapi"] = json!("3.1.0");
    assert_rejected(
        &[],
        json_reply(&doc),
        "OpenAPI 3.1.0; progenitor supports OpenAPI 3.0 only",
    );
}

#[test]
fn invalid_json_is_rejected_with_its_line() {
    let body = "{\n  \"openapi\": \"3.0.3\",\n  \"paths\": {,\n}\n".to_string();
    let run = assert_rejected(
        &[],
        Reply::Ok("application/json", body),
        "is not valid JSON",
    );
    assert!(run.stderr.contains("line 3"), "{run:?}");
}

#[test]
fn an_html_page_is_rejected() {
    let page = "<!DOCTYPE html>\n<html><head><title>Captive portal</title></head></html>";
    assert_rejected(
        &[],
        Reply::Ok("text/html", page.into()),
        "is an HTML/XML page (Content-Type: text/html) titled \"Captive portal\", not a JSON document",
    );
}

#[test]
fn an_empty_download_is_rejected() {
    assert_rejected(
        &[],
        Reply::Ok("application/json", String::new()),
        "is empty (0 bytes)",
    );
}

#[test]
fn a_truncated_download_is_rejected() {
    let full = serde_json::to_string(&rest_doc()).unwrap();
    let body = full[..1000].to_string();
    let run = assert_rejected(
        &[],
        Reply::Truncated {
            body,
            declared: full.len(),
        },
        "truncated",
    );
    assert!(run.stderr.contains("after 1000 of"), "{run:?}");
}

#[test]
fn a_server_error_shows_the_status_and_the_first_line_of_the_body() {
    let body = "\nspec store unavailable\n  at SpecStore.load (store.js:12)\n".to_string();
    let run = assert_rejected(
        &[],
        Reply::Status(500, "Internal Server Error", body),
        "answered HTTP 500 Internal Server Error: spec store unavailable",
    );
    assert!(
        !run.stderr.contains("store.js"),
        "only the first line: {run:?}"
    );
}

#[test]
fn an_html_error_page_is_summarised_by_its_title() {
    let page =
        "<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>\n<body>nginx</body>";
    assert_rejected(
        &[],
        Reply::Status(502, "Bad Gateway", page.into()),
        "answered HTTP 502 Bad Gateway: 502 Bad Gateway\n",
    );
}

#[test]
fn a_silent_server_hits_the_timeout() {
    let run = assert_rejected(&["--timeout", "1"], Reply::Hang, "timed out");
    assert!(run.stderr.contains("raise --timeout"), "{run:?}");
}

#[test]
fn a_slow_download_reports_progress() {
    let project = Project::new();
    let body = serde_json::to_string(&rest_doc()).unwrap();
    let kib = format!("of {:.1} KiB", body.len() as f64 / 1024.0);
    let slow = Reply::Slow {
        body,
        pieces: 6,
        pause: Duration::from_millis(300),
    };
    let (run, _) = refresh_rest(&project, slow, &[]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stderr.contains("  downloaded "), "{run:?}");
    assert!(run.stderr.contains(&kib), "{run:?}");
}

#[test]
fn timeout_covers_a_download_that_trickles() {
    let body = serde_json::to_string(&rest_doc()).unwrap();
    let slow = Reply::Slow {
        body,
        pieces: 20,
        pause: Duration::from_millis(500),
    };
    let project = Project::new();
    let (run, _) = refresh_rest(&project, slow, &["--timeout", "2"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("cut off after"), "{run:?}");
    assert!(run.stderr.contains("timed out"), "{run:?}");
}

#[test]
fn check_exits_0_when_current_and_1_when_different_and_writes_nothing() {
    let project = Project::new();
    let before = project.read(REST);

    let (same, _) = refresh_rest(&project, json_reply(&rest_doc()), &["--check"]);
    assert_eq!(same.code, 0, "{same:?}");
    assert!(
        same.stdout
            .contains("rest: openapi/nrfcloud-rest.json is up to date"),
        "{same:?}"
    );

    let mut doc = rest_doc();
    doc["info"]["version"] = json!("v2");
    let (differs, url) = refresh_rest(&project, json_reply(&doc), &["--check"]);
    assert_eq!(differs.code, 1, "{differs:?}");
    assert!(
        differs.stdout.contains("info.version: v1 → v2"),
        "{differs:?}"
    );
    let command = format!(
        "To update it, run:\n  cargo xtask refresh-schema --api rest --from {url} --root {}\n",
        project.root().display()
    );
    assert!(differs.stdout.contains(&command), "{differs:?}");
    assert!(!differs.stdout.contains("Next steps"), "{differs:?}");

    assert_eq!(project.read(REST), before);
    assert!(!project.exists(SOURCES));
}

#[test]
fn from_a_file_works_offline() {
    let project = Project::new();
    let mut doc = rest_doc();
    doc["info"]["version"] = json!("2026-12-01");
    let file = project.root().join("downloaded.json");
    fs::write(&file, serde_json::to_vec(&doc).unwrap()).unwrap();
    let from = file.to_str().unwrap();

    let run = project.run(&["--api", "rest", "--from", from]);

    assert_eq!(run.code, 0, "{run:?}");
    assert!(!run.stderr.contains("fetching"), "{run:?}");
    assert!(
        run.stdout
            .contains(&format!("rest: openapi/nrfcloud-rest.json ← {from}")),
        "{run:?}"
    );
    let sources: Value = serde_json::from_str(&project.read(SOURCES)).unwrap();
    assert_eq!(sources["rest"]["source"], from);
    assert_eq!(sources["rest"]["info_version"], "2026-12-01");
}

#[test]
fn credentials_in_the_url_are_never_printed_or_recorded() {
    let project = Project::new();
    let mut doc = rest_doc();
    doc["info"]["version"] = json!("v2");
    let server = Server::serve(vec![(SPEC, json_reply(&doc))]);
    let url = server.url(SPEC).replace("http://", "http://bob:hunter2@");

    let check = project.run(&["--api", "rest", "--from", &url, "--check"]);
    assert_eq!(check.code, 1, "{check:?}");
    let run = project.run(&["--api", "rest", "--from", &url]);
    assert_eq!(run.code, 0, "{run:?}");

    let redacted = server.url(SPEC).replace("http://", "http://***@");
    assert!(
        check.stdout.contains(&format!("--from '{redacted}'")),
        "{check:?}"
    );
    let sources: Value = serde_json::from_str(&project.read(SOURCES)).unwrap();
    assert_eq!(sources["rest"]["source"], redacted.as_str());
    for text in [&check.stdout, &check.stderr, &run.stdout, &run.stderr] {
        assert!(!text.contains("hunter2"), "{text}");
    }
}

#[test]
fn the_committed_snapshots_are_already_normalised() {
    let project = Project::new();
    for (api, path) in [("rest", REST), ("provisioning", PROVISIONING)] {
        let from = project.root().join(path);
        let run = project.run(&["--api", api, "--check", "--from", from.to_str().unwrap()]);
        assert_eq!(run.code, 0, "{api}: {run:?}");
        assert!(
            run.stdout.contains(&format!("{path} is up to date")),
            "{run:?}"
        );
    }
}

#[test]
fn an_unchanged_snapshot_without_provenance_gets_it_recorded() {
    let project = Project::new();
    let from = project.root().join(REST);
    let run = project.run(&["--api", "rest", "--from", from.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout
            .contains("recorded its provenance in openapi/sources.json"),
        "{run:?}"
    );
    let sources: Value = serde_json::from_str(&project.read(SOURCES)).unwrap();
    assert_eq!(
        sources["rest"]["sha256"],
        sha256(&project.read(REST)).as_str()
    );
    assert!(
        !run.stdout.contains("Next steps"),
        "nothing to rebuild: {run:?}"
    );
}

#[test]
fn a_missing_provisioning_document_explains_that_ours_is_hand_written() {
    let project = Project::new();
    let server = Server::serve(vec![]);
    let url = server.url(SPEC);
    let run = project.run(&["--api", "provisioning", "--from", &url]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.contains("answered HTTP 404 Not Found"),
        "{run:?}"
    );
    assert!(
        run.stderr
            .contains("openapi/nrfcloud-provisioning.json is written by hand"),
        "{run:?}"
    );
    assert!(
        run.stderr
            .contains("cargo xtask refresh-schema --api provisioning --from <url-or-file>"),
        "{run:?}"
    );
}

#[test]
fn a_refused_connection_is_named() {
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let project = Project::new();
    let url = format!("http://127.0.0.1:{port}{SPEC}");
    let run = project.run(&["--api", "rest", "--from", &url]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr
            .contains(&format!("connection to `127.0.0.1:{port}` refused")),
        "{run:?}"
    );
}

#[test]
fn a_failing_proxy_is_named_without_its_credentials() {
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let proxy = format!("http://alice:s3cret@127.0.0.1:{port}");
    let project = Project::new();
    // The proxy resolves the target, so example.invalid is never looked up.
    let run = project.run_with_env(
        &[
            "--api",
            "rest",
            "--from",
            "http://example.invalid/v1/openapi.json",
        ],
        &[("HTTP_PROXY", &proxy), ("ALL_PROXY", &proxy)],
    );
    assert_eq!(run.code, 2, "{run:?}");
    let named = format!("the proxy 127.0.0.1:{port} (from HTTPS_PROXY / HTTP_PROXY / ALL_PROXY)");
    assert!(run.stderr.contains(&named), "{run:?}");
    assert!(
        !run.stderr.contains("s3cret") && !run.stderr.contains("alice"),
        "{run:?}"
    );
}

#[test]
fn a_broken_sources_file_stops_before_anything_is_written() {
    let project = Project::new();
    let before = project.read(REST);
    fs::write(
        project.root().join(SOURCES),
        "{\n  \"rest\": {\n    \"source\": \n}\n",
    )
    .unwrap();
    let mut doc = rest_doc();
    doc["info"]["version"] = json!("v2");
    let (run, _) = refresh_rest(&project, json_reply(&doc), &[]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr
            .contains("openapi/sources.json is not valid JSON"),
        "{run:?}"
    );
    assert!(run.stderr.contains("line 4"), "{run:?}");
    assert_eq!(project.read(REST), before);
}

#[test]
fn usage_errors_exit_2() {
    let project = Project::new();
    let run = project.run(&["--from", "x.json"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("--from names one document"), "{run:?}");

    let empty = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["refresh-schema", "--root"])
        .arg(empty.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("has no openapi/ directory"));
}
