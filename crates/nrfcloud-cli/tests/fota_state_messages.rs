//! `nrfcloud fota`, `nrfcloud devices state`/`update-state` and `nrfcloud messages` through the
//! real binary against the simulator: stdout, stderr and exit codes.

mod common;

use std::{collections::BTreeMap, path::Path, time::Duration};

use chrono::{TimeDelta, Utc};
use common::{file, key_fixture, nrfcloud, run};
use nrfcloud_sim::{Faults, FotaOutcome, Simulator};
use serde_json::Value;

const TAG: &str = "fleet-a";

fn id(i: usize) -> String {
    format!("nrf-3526561000{i:05}")
}

/// A simulator whose FOTA executions take a step every 20 ms, with device 2 failing and
/// device 4 rejecting every job.
async fn sim() -> Simulator {
    let faults = Faults {
        fota_outcomes: BTreeMap::from([
            (id(2), FotaOutcome::Failed),
            (id(4), FotaOutcome::Rejected),
        ]),
        ..Faults::default()
    };
    Simulator::builder()
        .seed(3)
        .step(Duration::from_millis(20))
        .faults(faults)
        .start()
        .await
        .unwrap()
}

/// Onboards devices 0..n tagged [`TAG`] that take APP updates, through `nrfcloud onboard`.
async fn onboard(sim: &Simulator, dir: &Path, n: usize) {
    let pem = std::fs::read_to_string(key_fixture("ec-p256-public.pem")).unwrap();
    let csv: String = (0..n)
        .map(|i| format!("{},nrf9151,{TAG},APP,\"{}\"\n", id(i), pem.trim_end()))
        .collect();
    let csv = file(dir, "onboard.csv", &csv);
    let ran = run(
        nrfcloud(Some(sim), dir),
        &["onboard", "--csv", csv.to_str().unwrap()],
    )
    .await;
    assert_eq!(ran.code, 0, "{ran:?}");
}

/// A Zephyr `dfu_application.zip` (the SDK's test fixture): a manifest without `fwversion`
/// and one image.
fn application_zip() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../nrfcloud/tests/fixtures/dfu_application.zip");
    path.to_str().unwrap().to_owned()
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rollout_from_upload_to_report_counts_each_outcome_and_exits_1() {
    let sim = sim().await;
    let dir = tempfile::tempdir().unwrap();
    onboard(&sim, dir.path(), 6).await;
    let cli = || nrfcloud(Some(&sim), dir.path());

    let zip = application_zip();
    let ran = run(cli(), &["fota", "bundles", "upload", &zip, "--quiet"]).await;
    assert_eq!(ran.code, 2, "{ran:?}");
    assert_eq!(
        ran.stderr,
        "error: invalid request to UploadFirmware: manifest.json has no fwversion (Zephyr's dfu_application.zip has none): give the upload a version\n"
    );
    let ran = run(
        cli(),
        &[
            "fota",
            "bundles",
            "upload",
            &zip,
            "--version",
            "1.4.0",
            "--quiet",
        ],
    )
    .await;
    assert_eq!(ran.code, 0, "{ran:?}");
    let bundle = ran.stdout.trim_end().to_owned();
    assert!(
        bundle.starts_with("APP*") && bundle.ends_with("*1.4.0"),
        "{bundle}"
    );
    let listed = run(cli(), &["fota", "bundles", "list", "--quiet"]).await;
    assert!(listed.stdout.lines().any(|l| l == bundle), "{listed:?}");

    let ran = run(
        cli(),
        &[
            "fota",
            "jobs",
            "create",
            "--bundle",
            &bundle,
            "--tag",
            TAG,
            "--name",
            "canary",
            "--wait",
            "--interval",
            "1",
        ],
    )
    .await;
    assert_eq!(ran.code, 1, "{ran:?}");
    let lines: Vec<&str> = ran.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{}", ran.stdout);
    assert!(
        lines[0].starts_with(&format!("{}: FAILED", id(2))),
        "{}",
        lines[0]
    );
    assert!(
        lines[1].starts_with(&format!("{}: REJECTED", id(4))),
        "{}",
        lines[1]
    );
    assert_eq!(
        lines[2],
        "fota: 6 devices, 4 succeeded, 1 failed, 0 timed out, 1 rejected, 0 cancelled, 0 pending"
    );
    assert!(
        ran.stderr.starts_with("created job ")
            && ran.stderr.ends_with(": 2 devices did not update\n"),
        "{}",
        ran.stderr
    );

    let jobs = run(cli(), &["fota", "jobs", "list", "--quiet"]).await;
    assert_eq!(jobs.code, 0, "{jobs:?}");
    let job = jobs.stdout.trim_end().to_owned();
    assert_eq!(jobs.stdout.lines().count(), 1, "{jobs:?}");
    let failed = run(
        cli(),
        &[
            "fota",
            "jobs",
            "executions",
            &job,
            "--status",
            "failed",
            "--quiet",
        ],
    )
    .await;
    assert_eq!(failed.stdout, format!("{}\n", id(2)));
    let device = run(cli(), &["fota", "device", &id(0), "--json"]).await;
    let execution = json(device.stdout.trim_end());
    assert_eq!(execution["jobId"], job.as_str());
    assert_eq!(execution["status"], "SUCCEEDED");

    let report = run(cli(), &["fota", "jobs", "wait", &job, "--json"]).await;
    assert_eq!(report.code, 1, "{report:?}");
    let report = json(&report.stdout);
    assert_eq!(report["jobId"], job.as_str());
    assert_eq!(report["deadlinePassed"], false);
    assert_eq!(
        report["counts"],
        serde_json::json!({"devices": 6, "queued": 0, "inProgress": 0, "downloading": 0,
            "succeeded": 4, "failed": 1, "timedOut": 0, "rejected": 1, "cancelled": 0,
            "other": 0, "pending": 0})
    );
    assert_eq!(report["executions"].as_array().unwrap().len(), 6);

    let shown = run(cli(), &["fota", "jobs", "get", &job, "--json"]).await;
    let shown = json(&shown.stdout);
    assert_eq!(
        (shown["bundleId"].as_str(), shown["name"].as_str()),
        (Some(bundle.as_str()), Some("canary"))
    );
    let deleted = run(cli(), &["fota", "jobs", "delete", &job]).await;
    assert_eq!(
        (deleted.code, deleted.stderr.as_str()),
        (0, format!("job {job}: deleted\n").as_str())
    );
    let deleted = run(cli(), &["fota", "bundles", "delete", &bundle]).await;
    assert_eq!(deleted.code, 0, "{deleted:?}");
    let listed = run(cli(), &["fota", "bundles", "list", "--quiet"]).await;
    assert!(!listed.stdout.lines().any(|l| l == bundle), "{listed:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_job_every_device_completes_exits_0_and_one_past_its_deadline_exits_1() {
    let sim = sim().await;
    let dir = tempfile::tempdir().unwrap();
    onboard(&sim, dir.path(), 2).await;
    let cli = || nrfcloud(Some(&sim), dir.path());
    let zip = application_zip();
    let bundle = run(
        cli(),
        &[
            "fota",
            "bundles",
            "upload",
            &zip,
            "--version",
            "2.0.0",
            "--quiet",
        ],
    )
    .await;
    let bundle = bundle.stdout.trim_end().to_owned();

    let ran = run(
        cli(),
        &[
            "fota",
            "jobs",
            "create",
            "--bundle",
            &bundle,
            "--device",
            &id(0),
            "--device",
            &id(1),
            "--wait",
            "--interval",
            "1",
        ],
    )
    .await;
    assert_eq!(ran.code, 0, "{ran:?}");
    assert_eq!(
        ran.stdout,
        "fota: 2 devices, 2 succeeded, 0 failed, 0 timed out, 0 rejected, 0 cancelled, 0 pending\n"
    );

    // Not applied: the job stays CREATED, without executions, so the wait ends at its deadline.
    let job = run(
        cli(),
        &[
            "fota",
            "jobs",
            "create",
            "--bundle",
            &bundle,
            "--device",
            &id(0),
            "--no-auto-apply",
        ],
    )
    .await;
    assert_eq!(job.code, 0, "{job:?}");
    let job = job.stdout.trim_end().to_owned();
    let ran = run(
        cli(),
        &[
            "fota",
            "jobs",
            "wait",
            &job,
            "--deadline",
            "1",
            "--interval",
            "1",
        ],
    )
    .await;
    assert_eq!(ran.code, 1, "{ran:?}");
    assert_eq!(
        ran.stderr,
        format!(
            "error: job {job} is still CREATED at the deadline: 0 devices, 0 succeeded, 0 failed, 0 timed out, 0 rejected, 0 cancelled, 0 pending\n"
        )
    );
    let cancelled = run(cli(), &["fota", "jobs", "cancel", &job, "--reason", "test"]).await;
    assert_eq!(cancelled.code, 0, "{cancelled:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn job_limits_are_checked_before_sending() {
    let sim = sim().await;
    let dir = tempfile::tempdir().unwrap();
    let mut args = vec!["fota", "jobs", "create", "--bundle", "APP*1e29dfa3*1.0.0"];
    let ids: Vec<String> = (0..101).map(id).collect();
    for d in &ids {
        args.extend(["--device", d.as_str()]);
    }
    let ran = run(nrfcloud(Some(&sim), dir.path()), &args).await;
    assert_eq!(ran.code, 2, "{ran:?}");
    assert_eq!(
        ran.stderr,
        "error: invalid request to CreateFOTAJob: 101 device ids given; a job targets at most 100 (tag the devices and target the tag)\n"
    );
    assert_eq!(sim.request_counts().received, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn device_state_is_shown_and_merged_conditionally() {
    let sim = sim().await;
    let dir = tempfile::tempdir().unwrap();
    onboard(&sim, dir.path(), 1).await;
    let cli = || nrfcloud(Some(&sim), dir.path());
    let device = id(0);

    let ran = run(
        cli(),
        &[
            "devices",
            "update-state",
            &device,
            "--desired",
            r#"{"config":{"activeMode":true,"interval":60}}"#,
        ],
    )
    .await;
    assert_eq!(
        (ran.code, ran.stderr.as_str()),
        (0, format!("{device}: state updated\n").as_str())
    );
    let ran = run(
        cli(),
        &[
            "devices",
            "update-state",
            &device,
            "--desired",
            r#"{"config":{"interval":null}}"#,
            "--retry-on-conflict",
            "3",
        ],
    )
    .await;
    assert_eq!(ran.code, 0, "{ran:?}");
    let state = json(&run(cli(), &["devices", "state", &device]).await.stdout);
    assert_eq!(
        state["desired"]["config"],
        serde_json::json!({"activeMode": true})
    );
    let version = state["version"].as_str().unwrap().to_owned();

    // A write at the version read succeeds once; the second, at the same version, is stale.
    let at = |v: &str| {
        let v = v.to_owned();
        let device = device.clone();
        let cmd = cli();
        async move {
            run(
                cmd,
                &[
                    "devices",
                    "update-state",
                    &device,
                    "--reported",
                    r#"{"app":{"v":2}}"#,
                    "--if-match",
                    &v,
                ],
            )
            .await
        }
    };
    assert_eq!(at(&version).await.code, 0);
    let stale = at(&version).await;
    assert_eq!(stale.code, 1, "{stale:?}");
    assert!(
        stale
            .stderr
            .starts_with("error: UpdateDeviceState failed with HTTP 412"),
        "{}",
        stale.stderr
    );

    let bad = run(
        cli(),
        &["devices", "update-state", &device, "--desired", "[1]"],
    )
    .await;
    assert_eq!(
        (bad.code, bad.stderr.as_str()),
        (2, "error: --desired must be a JSON object\n")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn messages_are_listed_newest_first_filtered_and_sent() {
    let sim = sim().await;
    let dir = tempfile::tempdir().unwrap();
    onboard(&sim, dir.path(), 2).await;
    let cli = || nrfcloud(Some(&sim), dir.path());
    let now = Utc::now();
    for (i, hours) in [(0, 3), (0, 2), (1, 1)] {
        let device = id(i);
        sim.add_message(
            &device,
            &format!("d/{device}/d2c"),
            serde_json::json!({"appId": "TEMP", "data": format!("{hours}")}),
            now - TimeDelta::hours(hours),
        );
    }
    let ran = run(cli(), &["messages", "list", "--device", &id(0), "--quiet"]).await;
    assert_eq!(ran.code, 0, "{ran:?}");
    assert_eq!(
        ran.stdout,
        "{\"appId\":\"TEMP\",\"data\":\"2\"}\n{\"appId\":\"TEMP\",\"data\":\"3\"}\n"
    );
    let since = (now - TimeDelta::minutes(150)).to_rfc3339();
    let until = now.to_rfc3339();
    let ran = run(
        cli(),
        &[
            "messages",
            "list",
            "--since",
            &since,
            "--until",
            &until,
            "--oldest-first",
            "--json",
        ],
    )
    .await;
    let devices: Vec<Value> = ran
        .stdout
        .lines()
        .map(|l| json(l)["deviceId"].clone())
        .collect();
    assert_eq!(devices, [Value::from(id(0)), Value::from(id(1))], "{ran:?}");

    let sent = run(
        cli(),
        &["messages", "send", &id(1), r#"{"appId":"LED","data":"on"}"#],
    )
    .await;
    assert_eq!(
        (sent.code, sent.stderr.as_str()),
        (0, format!("{}: message sent\n", id(1)).as_str())
    );
    let bad = run(cli(), &["messages", "send", &id(1), "{oops"]).await;
    assert_eq!(bad.code, 2, "{bad:?}");
    assert!(
        bad.stderr.starts_with("error: the message is not JSON: "),
        "{}",
        bad.stderr
    );
}
