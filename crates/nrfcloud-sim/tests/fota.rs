//! Firmware bundles and FOTA jobs: upload validation, the bundle list with `modemOnly`,
//! deletes, job lifecycles one step apart, seeded outcomes, apply, cancel, the device's
//! current execution and its status updates.

mod common;

use std::time::Duration;

use base64::Engine;
use chrono::DateTime;
use common::{
    Api, app_zip, assert_error, bundle_zip, jwt, key, onboard_row, private_key_pem, public_key_pem,
    send,
};
use nrfcloud_sim::{Faults, FotaOutcome, Simulator};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// Onboards devices with `tags` (pipe-separated) and the key `key(id)`; waits for as long as
/// the bulk operation's two steps take.
async fn onboard(api: &Api, ids: &[&str], tags: &str) {
    let csv: String = ids
        .iter()
        .map(|id| onboard_row(id, "", tags, "APP", &public_key_pem(&key(id))))
        .collect();
    let (status, body) = send(
        api.req(Method::POST, format!("{}/devices", api.rest))
            .header("content-type", "text/csv")
            .body(csv),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let url = format!(
        "{}/bulk-ops-requests/{}",
        api.rest,
        body["bulkOpsRequestId"].as_str().unwrap()
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let (_, op) = api.get(url.clone()).await;
        match op["status"].as_str() {
            Some("SUCCEEDED") => return,
            Some("FAILED") => panic!("{op}"),
            _ if std::time::Instant::now() > deadline => panic!("onboarding hangs: {op}"),
            _ => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    }
}

/// Steps long enough for a test's requests to see executions that have not ended (they end
/// after three), short enough for onboarding (two).
const SLOW: Duration = Duration::from_secs(2);

async fn upload(api: &Api, content_type: &str, body: Vec<u8>) -> (StatusCode, Value) {
    send(
        api.req(Method::POST, format!("{}/firmwares", api.rest))
            .header("content-type", content_type)
            .body(body),
    )
    .await
}

/// Uploads an application bundle and returns its id (the only bundle of the team).
async fn app_bundle(api: &Api, image: &[u8]) -> String {
    let (status, body) = upload(api, "application/zip", app_zip("1.2.3", image)).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let (_, list) = api.get(format!("{}/firmwares", api.rest)).await;
    list["items"][0]["bundleId"].as_str().unwrap().to_string()
}

async fn create(api: &Api, body: Value) -> (StatusCode, Value) {
    send(
        api.req(Method::POST, format!("{}/fota-jobs", api.rest))
            .json(&body),
    )
    .await
}

async fn create_ok(api: &Api, body: Value) -> String {
    let (status, created) = create(api, body).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    created["jobId"].as_str().unwrap().to_string()
}

async fn job(api: &Api, id: &str) -> Value {
    let (status, job) = api.get(format!("{}/fota-jobs/{id}", api.rest)).await;
    assert_eq!(status, StatusCode::OK, "{job}");
    job
}

async fn wait_status(api: &Api, id: &str, want: &str) -> Value {
    for _ in 0..500 {
        let job = job(api, id).await;
        if job["status"] == want {
            return job;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("job {id} did not reach {want}");
}

fn millis(t: &Value) -> i64 {
    DateTime::parse_from_rfc3339(t.as_str().unwrap())
        .unwrap()
        .timestamp_millis()
}

#[tokio::test]
async fn a_job_runs_queued_to_succeeded_one_step_apart() {
    let sim = Simulator::builder()
        .step(Duration::from_millis(300))
        .start()
        .await
        .unwrap();
    let api = Api::new(&sim);
    onboard(&api, &["nrf-1"], "").await;
    let bundle = app_bundle(&api, b"the image").await;
    let id = create_ok(
        &api,
        json!({"bundleId": bundle, "deviceIds": ["nrf-1"], "name": "Roll-out", "description": "v1.2.3"}),
    )
    .await;
    let url = format!("{}/fota-job-executions/nrf-1/{id}", api.rest);
    let mut statuses: Vec<String> = Vec::new();
    let mut execution = Value::Null;
    for _ in 0..300 {
        let (status, e) = api.get(url.clone()).await;
        assert_eq!(status, StatusCode::OK, "{e}");
        let s = e["status"].as_str().unwrap().to_string();
        if statuses.last() != Some(&s) {
            statuses.push(s.clone());
        }
        execution = e;
        if s == "SUCCEEDED" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(
        statuses,
        ["QUEUED", "IN_PROGRESS", "DOWNLOADING", "SUCCEEDED"]
    );
    assert_eq!(
        execution["statusDetail"],
        "FOTA update completed successfully"
    );
    assert_eq!(execution["jobId"], id);
    assert_eq!(execution["deviceId"], "nrf-1");
    assert_eq!(execution["tenantId"], sim.team_id());
    assert_eq!(
        millis(&execution["lastUpdatedAt"]) - millis(&execution["createdAt"]),
        900
    );
    let host = sim.rest_host().strip_prefix("http://").unwrap();
    let document = &execution["jobDocument"];
    assert_eq!(
        *document,
        json!({
            "host": host,
            "path": format!("__sim/firmware/{}/{bundle}/app_update.bin", sim.team_id()),
            "firmwareType": "APP",
            "fileSize": 9,
            "version": "1.2.3",
            "bundleId": bundle,
        })
    );
    // The device downloads http://<host>/<path>, without auth.
    let image = common::http()
        .get(format!(
            "http://{host}/{}",
            document["path"].as_str().unwrap()
        ))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(&image[..], b"the image");

    let job = wait_status(&api, &id, "COMPLETED").await;
    assert_eq!(job["name"], "Roll-out");
    assert_eq!(job["description"], "v1.2.3");
    assert_eq!(job["target"], json!({"deviceIds": ["nrf-1"], "tags": []}));
    assert_eq!(
        job["firmware"],
        json!({
            "bundleId": bundle,
            "host": host,
            "fileSize": 9,
            "firmwareType": "APP",
            "version": "1.2.3",
            "uris": [document["path"]],
        })
    );
    assert_eq!(
        job["executionStats"],
        json!({
            "queued": 0, "inProgress": 0, "downloading": 0, "succeeded": 1, "failed": 0,
            "timedOut": 0, "rejected": 0, "cancelled": 0, "removed": 0, "executions": 1,
            "devices": 1, "completedExecutions": 1,
        })
    );
    assert_eq!(job["completedAt"], execution["lastUpdatedAt"]);
    assert_eq!(job["lastUpdatedAt"], execution["lastUpdatedAt"]);
    let (_, list) = api.get(format!("{}/fota-jobs", api.rest)).await;
    assert_eq!(list["items"], json!([job]));
    let (status, body) =
        send(api.req(Method::DELETE, format!("{}/fota-jobs/{id}", api.rest))).await;
    assert_eq!((status, body), (StatusCode::ACCEPTED, Value::Null));
    let (status, body) = api.get(format!("{}/fota-jobs/{id}", api.rest)).await;
    assert_error(status, &body, 404, 40410);
    sim.shutdown().await;
}

#[tokio::test]
async fn seeded_outcomes_give_exact_counts() {
    let outcomes = [
        ("nrf-1", FotaOutcome::Failed),
        ("nrf-2", FotaOutcome::TimedOut),
        ("nrf-3", FotaOutcome::Rejected),
    ];
    let sim = Simulator::builder()
        .step(Duration::from_millis(20))
        .faults(Faults {
            fota_outcomes: outcomes.iter().map(|(d, o)| (d.to_string(), *o)).collect(),
            ..Faults::default()
        })
        .start()
        .await
        .unwrap();
    let api = Api::new(&sim);
    onboard(&api, &["nrf-1", "nrf-2", "nrf-3", "nrf-4"], "fleet").await;
    onboard(&api, &["nrf-5"], "lab").await;
    let bundle = app_bundle(&api, b"img").await;
    let id = create_ok(
        &api,
        json!({"bundleId": bundle, "tags": ["fleet", "lab"], "deviceIds": ["nrf-4", "nrf-unknown"]}),
    )
    .await;
    // The outcomes were read when the job was applied.
    sim.set_faults(Faults::default());
    let job = wait_status(&api, &id, "COMPLETED").await;
    assert_eq!(
        job["executionStats"],
        json!({
            "queued": 0, "inProgress": 0, "downloading": 0, "succeeded": 2, "failed": 1,
            "timedOut": 1, "rejected": 1, "cancelled": 0, "removed": 0, "executions": 5,
            "devices": 5, "completedExecutions": 5,
        })
    );
    assert_eq!(
        job["target"],
        json!({"deviceIds": ["nrf-4", "nrf-unknown"], "tags": ["fleet", "lab"]})
    );
    let statuses = format!("{}/fota-job-execution-statuses/{id}", api.rest);
    let (status, page) = api.get(statuses.clone()).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let summary: Vec<(&str, &str, &str)> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["deviceId"].as_str().unwrap(),
                i["status"].as_str().unwrap(),
                i["statusDetail"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("nrf-1", "FAILED", "FOTA update failed"),
            (
                "nrf-2",
                "TIMED_OUT",
                "Download did not complete in the allotted time"
            ),
            ("nrf-3", "REJECTED", "Device rejected the update"),
            ("nrf-4", "SUCCEEDED", "FOTA update completed successfully"),
            ("nrf-5", "SUCCEEDED", "FOTA update completed successfully"),
        ]
    );
    // REJECTED comes straight from QUEUED: one step, not three.
    let rejected = &page["items"][2];
    let (_, e) = api
        .get(format!("{}/fota-job-executions/nrf-3/{id}", api.rest))
        .await;
    assert_eq!(
        millis(&rejected["lastUpdatedAt"]) - millis(&e["createdAt"]),
        20
    );
    let (_, failed) = api
        .get(format!("{statuses}?status=SUCCEEDED&pageLimit=1"))
        .await;
    assert_eq!(failed["items"][0]["deviceId"], "nrf-4");
    let token = failed["pageNextToken"].as_str().unwrap();
    let (_, rest) = api
        .get(format!(
            "{statuses}?status=SUCCEEDED&pageLimit=1&pageNextToken={token}"
        ))
        .await;
    assert_eq!(rest["items"][0]["deviceId"], "nrf-5");
    assert!(rest.get("pageNextToken").is_none(), "{rest}");
    let (status, body) = api.get(format!("{statuses}?status=CANCELED")).await;
    assert_error(status, &body, 400, 40000);
}

#[tokio::test]
async fn a_created_job_waits_for_apply() {
    let sim = Simulator::builder().step(SLOW).start().await.unwrap();
    let api = Api::new(&sim);
    onboard(&api, &["nrf-1", "nrf-2"], "").await;
    let bundle = app_bundle(&api, b"img").await;
    // nrfcloud-utils sends autoApply as a string.
    let id = create_ok(
        &api,
        json!({"bundleId": bundle, "deviceIdentifiers": ["nrf-1"], "deviceIds": ["nrf-2"], "autoApply": "false"}),
    )
    .await;
    let created = job(&api, &id).await;
    assert_eq!(created["status"], "CREATED");
    assert_eq!(created["executionStats"]["executions"], 0);
    assert_eq!(created["executionStats"]["devices"], 2);
    assert!(created.get("completedAt").is_none());
    let (_, none) = api
        .get(format!("{}/fota-job-execution-statuses/{id}", api.rest))
        .await;
    assert_eq!(none["items"], json!([]));
    let (status, body) = api
        .get(format!("{}/fota-job-executions/nrf-1/current", api.rest))
        .await;
    assert_error(status, &body, 404, 40410);

    let apply = format!("{}/fota-jobs/{id}/apply", api.rest);
    let (status, body) = send(api.req(Method::POST, apply.clone())).await;
    assert_eq!((status, body), (StatusCode::ACCEPTED, Value::Null));
    let applied = job(&api, &id).await;
    assert_eq!(applied["status"], "IN_PROGRESS");
    assert_eq!(applied["executionStats"]["executions"], 2);
    assert_eq!(applied["executionStats"]["completedExecutions"], 0);
    let (status, body) = send(api.req(Method::POST, apply)).await;
    assert_error(status, &body, 400, 40000);
    assert!(
        body["message"].as_str().unwrap().contains("IN_PROGRESS"),
        "{body}"
    );
    // autoApply false as a boolean, too.
    let id = create_ok(
        &api,
        json!({"bundleId": bundle, "deviceIds": ["nrf-1"], "autoApply": false}),
    )
    .await;
    assert_eq!(job(&api, &id).await["status"], "CREATED");
}

#[tokio::test]
async fn cancel_ends_every_pending_execution() {
    let sim = Simulator::builder().step(SLOW).start().await.unwrap();
    let api = Api::new(&sim);
    onboard(&api, &["nrf-1", "nrf-2"], "fleet").await;
    let bundle = app_bundle(&api, b"img").await;
    let id = create_ok(&api, json!({"bundleId": bundle, "tags": ["fleet"]})).await;
    // In use by a job that has not ended: the bundle stays.
    let (status, body) =
        send(api.req(Method::DELETE, format!("{}/firmwares/{bundle}", api.rest))).await;
    assert_error(status, &body, 409, 40900);
    // The device reports progress itself; the other execution is still QUEUED.
    let (status, body) = send(
        api.req(
            Method::PATCH,
            format!("{}/fota-job-executions/nrf-1/{id}", api.rest),
        )
        .json(&json!({"status": "DOWNLOADING", "details": "50%"})),
    )
    .await;
    assert_eq!((status, body), (StatusCode::ACCEPTED, Value::Null));
    let cancel = format!("{}/fota-jobs/{id}/cancel?reason=superseded", api.rest);
    let (status, body) = send(api.req(Method::PUT, cancel.clone()).json(&json!({}))).await;
    assert_eq!((status, body), (StatusCode::ACCEPTED, Value::Null));
    let cancelled = job(&api, &id).await;
    assert_eq!(cancelled["status"], "CANCELLED");
    assert_eq!(cancelled["statusDetail"], "superseded");
    assert!(cancelled["completedAt"].is_string());
    assert_eq!(cancelled["executionStats"]["cancelled"], 2);
    assert_eq!(cancelled["executionStats"]["completedExecutions"], 2);
    let (_, statuses) = api
        .get(format!(
            "{}/fota-job-execution-statuses/{id}?status=CANCELLED",
            api.rest
        ))
        .await;
    let details: Vec<&Value> = statuses["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| &i["statusDetail"])
        .collect();
    assert_eq!(details, [&json!("superseded"), &json!("superseded")]);
    let (status, body) = api
        .get(format!("{}/fota-job-executions/nrf-1/current", api.rest))
        .await;
    assert_error(status, &body, 404, 40410);
    // Cancelling again, without a body this time: it has ended.
    let (status, body) = send(api.req(Method::PUT, cancel)).await;
    assert_error(status, &body, 400, 40000);
    // A cancelled job no longer holds its bundle; the bundle id's `*` may be sent as %2A.
    let encoded = bundle.replace('*', "%2A");
    let (status, body) =
        send(api.req(Method::DELETE, format!("{}/firmwares/{encoded}", api.rest))).await;
    assert_eq!((status, body), (StatusCode::ACCEPTED, Value::Null));
    // Executions of a job whose bundle is gone stay readable.
    let (status, _) = api
        .get(format!("{}/fota-job-executions/nrf-2/{id}", api.rest))
        .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn the_current_execution_is_the_earliest_pending_one() {
    let sim = Simulator::builder().step(SLOW).start().await.unwrap();
    let api = Api::new(&sim);
    onboard(&api, &["nrf-1", "nrf-2"], "").await;
    let device = Api::with_key(
        &sim,
        &jwt(&private_key_pem(&key("nrf-1")), &json!({"sub": "nrf-1"})),
    );
    let current = format!("{}/fota-job-executions/nrf-1/current", api.rest);
    let (status, body) = device.get(current.clone()).await;
    assert_error(status, &body, 404, 40410);
    let bundle = app_bundle(&api, b"img").await;
    let first = create_ok(&api, json!({"bundleId": bundle, "deviceIds": ["nrf-1"]})).await;
    tokio::time::sleep(Duration::from_millis(5)).await;
    let second = create_ok(&api, json!({"bundleId": bundle, "deviceIds": ["nrf-1"]})).await;
    let (status, e) = device.get(current.clone()).await;
    assert_eq!(status, StatusCode::OK, "{e}");
    assert_eq!(
        (&e["jobId"], &e["status"]),
        (&json!(first), &json!("QUEUED"))
    );
    let (_, e) = device.get(format!("{current}?firmwareType=APP")).await;
    assert_eq!(e["jobId"], first);
    let (status, body) = device.get(format!("{current}?firmwareType=BOOT")).await;
    assert_error(status, &body, 404, 40410);
    let (status, body) = device.get(format!("{current}?firmwareType=FOO")).await;
    assert_error(status, &body, 400, 40000);
    // Another device's executions are not this JWT's.
    let (status, body) = device
        .get(format!("{}/fota-job-executions/nrf-2/current", api.rest))
        .await;
    assert_error(status, &body, 401, 40100);
    // API-key-only operations refuse the device JWT.
    let (status, body) = device
        .get(format!("{}/fota-job-executions/nrf-1/{first}", api.rest))
        .await;
    assert_error(status, &body, 401, 40100);

    let patch = |job: &str, body: Value| {
        device
            .req(
                Method::PATCH,
                format!("{}/fota-job-executions/nrf-1/{job}", api.rest),
            )
            .json(&body)
    };
    let (status, body) = send(patch(&first, json!({"status": "SUCCEEDED"}))).await;
    assert_eq!((status, body), (StatusCode::ACCEPTED, Value::Null));
    let (_, e) = device.get(current.clone()).await;
    assert_eq!(e["jobId"], second);
    let (status, body) = send(patch(&first, json!({"status": "FAILED"}))).await;
    assert_error(status, &body, 409, 40900);
    let (status, body) = send(patch(&second, json!({"status": "DONE"}))).await;
    assert_error(status, &body, 400, 40000);
    let (status, body) = send(patch(&second, json!({"details": "x"}))).await;
    assert_error(status, &body, 400, 40000);
    let (status, body) = send(patch(
        &second,
        json!({"status": "REJECTED", "details": "FW file does not match specified FOTA type"}),
    ))
    .await;
    assert_eq!((status, body), (StatusCode::ACCEPTED, Value::Null));
    let (status, body) = device.get(current).await;
    assert_error(status, &body, 404, 40410);
    let (_, listed) = api
        .get(format!("{}/fota-job-executions/nrf-1", api.rest))
        .await;
    let mut got: Vec<(String, String, String)> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["jobId"].as_str().unwrap().to_string(),
                e["status"].as_str().unwrap().to_string(),
                e["statusDetail"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    got.sort();
    let mut want = vec![
        (first.clone(), "SUCCEEDED".to_string(), String::new()),
        (
            second.clone(),
            "REJECTED".to_string(),
            "FW file does not match specified FOTA type".to_string(),
        ),
    ];
    want.sort();
    assert_eq!(got, want);
    let job = job(&api, &first).await;
    assert_eq!(job["status"], "COMPLETED");
    assert_eq!(job["executionStats"]["succeeded"], 1);
}

#[tokio::test]
async fn job_requests_are_checked() {
    let sim = Simulator::start().await.unwrap();
    let api = Api::new(&sim);
    onboard(&api, &["nrf-1"], "fleet").await;
    let bundle = app_bundle(&api, b"img").await;
    let cases = [
        (json!({"bundleId": bundle}), "needs a target"),
        (
            json!({"bundleId": bundle, "deviceIds": [], "tags": []}),
            "needs a target",
        ),
        (
            json!({"bundleId": bundle, "deviceIds": ["nrf-9"]}),
            "empty job target",
        ),
        (
            json!({"bundleId": bundle, "tags": ["other"]}),
            "empty job target",
        ),
        (
            json!({"bundleId": bundle, "deviceIds": (0..101).map(|i| format!("d{i}")).collect::<Vec<_>>()}),
            "more than 100",
        ),
        (
            json!({"bundleId": bundle, "tags": ["fleet"], "name": "n".repeat(65)}),
            "more than 64",
        ),
        (
            json!({"bundleId": bundle, "tags": ["fleet"], "autoApply": "yes"}),
            "autoApply",
        ),
        (json!({"bundleId": "nope", "tags": ["fleet"]}), "bundleId"),
        (json!({"tags": ["fleet"]}), "bundleId"),
        (json!([bundle]), "JSON object"),
    ];
    for (body, wanted) in cases {
        let (status, error) = create(&api, body.clone()).await;
        assert_error(status, &error, 400, 40000);
        assert!(
            error["message"].as_str().unwrap().contains(wanted),
            "{body}: {error}"
        );
    }
    let (status, error) = create(
        &api,
        json!({"bundleId": "APP*00000000*1.0", "tags": ["fleet"]}),
    )
    .await;
    assert_error(status, &error, 404, 40410);
    // A job id is a UUID, with or without dashes.
    let id = create_ok(&api, json!({"bundleId": bundle, "tags": ["fleet"]})).await;
    assert_eq!(job(&api, &id.replace('-', "")).await["jobId"], id);
    let (status, error) = api.get(format!("{}/fota-jobs/not-a-uuid", api.rest)).await;
    assert_error(status, &error, 400, 40000);
    // Jobs are the team's own.
    let other = Api::with_key(&sim, sim.other_team_api_key());
    let (status, error) = other.get(format!("{}/fota-jobs/{id}", api.rest)).await;
    assert_error(status, &error, 404, 40410);
}

#[tokio::test]
async fn uploads_are_validated() {
    let sim = Simulator::start().await.unwrap();
    let api = Api::new(&sim);
    let files: &[(&str, &[u8])] = &[("app.bin", b"x")];
    let manifest =
        |v: Value| json!({"fwversion": v, "files": [{"file": "app.bin", "type": "application"}]});
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (b"not a zip".to_vec(), "not a zip archive"),
        (
            {
                use std::io::Write;
                let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
                w.start_file("app.bin", zip::write::SimpleFileOptions::default())
                    .unwrap();
                w.write_all(b"x").unwrap();
                w.finish().unwrap().into_inner()
            },
            "the zip has no manifest.json",
        ),
        (
            bundle_zip(&manifest(json!("1.0.0 beta")), files),
            "must match ^[a-zA-Z0-9._-]{1,60}$",
        ),
        (
            bundle_zip(
                &json!({"files": [{"file": "app.bin", "type": "application"}]}),
                files,
            ),
            "no fwversion",
        ),
        (
            bundle_zip(
                &json!({"fwversion": "mfw_nrf91x1_2.0.3", "files": [{"file": "app.bin", "type": "modem"}]}),
                files,
            ),
            "modem firmware cannot be uploaded",
        ),
        (
            bundle_zip(
                &json!({"fwversion": "1", "files": [{"file": "gone.bin", "type": "application"}]}),
                files,
            ),
            "\"gone.bin\", which is not in the zip",
        ),
    ];
    for (zip, wanted) in cases {
        let (status, error) = upload(&api, "application/zip", zip).await;
        assert_error(status, &error, 400, 40000);
        assert!(
            error["message"].as_str().unwrap().contains(wanted),
            "{wanted}: {error}"
        );
    }
    let (status, error) = upload(&api, "application/zip", vec![0; 1_333_334]).await;
    assert_error(status, &error, 413, 41300);
    // base64 as text/plain, with a charset.
    let b64 = base64::engine::general_purpose::STANDARD.encode(app_zip("2.0.0", b"img"));
    let (status, body) = upload(&api, "text/plain;charset=UTF8", b64.into_bytes()).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let uri = body["uris"][0].as_str().unwrap();
    let prefix = format!("{}/__sim/firmware/{}/APP*", sim.rest_host(), sim.team_id());
    assert!(
        uri.starts_with(&prefix) && uri.ends_with("*2.0.0/app_update.bin"),
        "{uri}"
    );
    let (status, error) = upload(&api, "text/csv", b"x".to_vec()).await;
    assert_error(status, &error, 400, 40000);
}

#[tokio::test]
async fn bundles_are_listed_with_modem_bundles_apart() {
    let sim = Simulator::builder().seed(3).start().await.unwrap();
    let api = Api::new(&sim);
    let zip = app_zip("1.2.3", b"image");
    let (status, body) = upload(&api, "application/octet-stream", zip.clone()).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let uris = body["uris"].as_array().unwrap();
    assert_eq!(uris.len(), 1);
    let (status, body) = upload(&api, "application/zip", app_zip("1.2.4", b"image 2")).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let (_, list) = api.get(format!("{}/firmwares", api.rest)).await;
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{list}");
    let first = items
        .iter()
        .find(|b| b["version"] == "1.2.3")
        .unwrap()
        .clone();
    let bundle = first["bundleId"].as_str().unwrap().to_string();
    let random = &bundle["APP*".len()..bundle.len() - "*1.2.3".len()];
    assert!(
        bundle.starts_with("APP*") && bundle.ends_with("*1.2.3"),
        "{bundle}"
    );
    assert!(
        random.len() == 8
            && random
                .bytes()
                .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase()),
        "{bundle}"
    );
    assert_eq!(
        uris[0],
        format!(
            "{}/__sim/firmware/{}/{bundle}/app_update.bin",
            sim.rest_host(),
            sim.team_id()
        )
    );
    let last_modified = first["lastModified"].as_str().unwrap();
    assert!(
        last_modified.len() == 24 && last_modified.ends_with('Z'),
        "{last_modified}"
    );
    assert_eq!(
        first,
        json!({
            "bundleId": bundle, "type": "APP", "version": "1.2.3",
            "filenames": ["app_update.bin"], "size": zip.len(), "lastModified": last_modified,
            "name": "Blinky", "description": "Blinks the LED",
        })
    );
    let (_, page) = api.get(format!("{}/firmwares?pageLimit=1", api.rest)).await;
    let token = page["pageNextToken"].as_str().unwrap();
    let (_, rest) = api
        .get(format!(
            "{}/firmwares?pageLimit=1&pageNextToken={token}",
            api.rest
        ))
        .await;
    assert_ne!(page["items"][0], rest["items"][0]);
    assert!(rest.get("pageNextToken").is_none());

    let (_, modem) = api
        .get(format!("{}/firmwares?modemOnly=true", api.rest))
        .await;
    let modem: Vec<(&str, &str)> = modem["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| (b["type"].as_str().unwrap(), b["version"].as_str().unwrap()))
        .collect();
    assert_eq!(
        modem,
        [
            ("MDM_FULL", "mfw_nrf91x1_full_2.0.2"),
            ("MODEM", "mfw_nrf91x1_2.0.2")
        ]
    );
    let (_, own) = api
        .get(format!("{}/firmwares?modemOnly=false", api.rest))
        .await;
    assert_eq!(own["items"].as_array().unwrap().len(), 2);
    let (status, error) = api
        .get(format!("{}/firmwares?modemOnly=yes", api.rest))
        .await;
    assert_error(status, &error, 400, 40000);
    // The other team has its own list, and the same kind of modem bundles.
    let other = Api::with_key(&sim, sim.other_team_api_key());
    let (_, theirs) = other.get(format!("{}/firmwares", api.rest)).await;
    assert_eq!(theirs["items"], json!([]));

    let delete = |id: &str| api.req(Method::DELETE, format!("{}/firmwares/{id}", api.rest));
    let (status, body) = send(delete(&bundle)).await;
    assert_eq!((status, body), (StatusCode::ACCEPTED, Value::Null));
    let (status, body) = send(delete(&bundle)).await;
    assert_error(status, &body, 404, 40410);
    let response = common::http()
        .get(uris[0].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let (_, modem) = api
        .get(format!("{}/firmwares?modemOnly=true", api.rest))
        .await;
    let nordic = modem["items"][1]["bundleId"].as_str().unwrap();
    let (status, body) = send(delete(nordic)).await;
    assert_error(status, &body, 400, 40000);
}

#[tokio::test]
async fn bundle_files_are_served_in_ranges() {
    let sim = Simulator::start().await.unwrap();
    let api = Api::new(&sim);
    let (_, body) = upload(&api, "application/zip", app_zip("1", b"0123456789")).await;
    let uri = body["uris"][0].as_str().unwrap();
    let response = common::http()
        .get(uri)
        .header("range", "bytes=2-5")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(response.headers()["content-range"], "bytes 2-5/10");
    assert_eq!(&response.bytes().await.unwrap()[..], b"2345");
}
