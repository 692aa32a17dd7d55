//! FOTA through the facade against the simulator: bundle upload (with the manifest's
//! `fwversion` added), jobs for tags and ids, the rollout wait with seeded per-device outcomes,
//! cancel, apply, the service's limits, and a device's own executions.

use std::{
    collections::BTreeMap,
    io::Cursor,
    sync::{Arc, Mutex},
    time::Duration,
};

use nrfcloud::{
    Client,
    error::ErrorKind,
    fota::{ExecutionStatus, FirmwareType, JobStatus},
};
use nrfcloud_sim::{Faults, FotaOutcome, Simulator};

const TAG: &str = "rollout";

fn client(sim: &Simulator) -> Client {
    Client::builder()
        .rest_host(sim.rest_host())
        .provisioning_host(sim.provisioning_host())
        .api_key(sim.api_key())
        .build()
        .unwrap()
}

/// A Zephyr-style `dfu_application.zip` (tests/fixtures): an 8-byte image and a manifest
/// without `fwversion`.
fn zephyr_zip() -> Vec<u8> {
    include_bytes!("fixtures/dfu_application.zip").to_vec()
}

/// Uploads [`zephyr_zip`] as version `version`.
async fn bundle(fota: &nrfcloud::fota::Fota, version: &str) -> nrfcloud::fota::Bundle {
    let uploaded = fota.bundles().upload(zephyr_zip()).version(version);
    uploaded.send().await.unwrap().bundle
}

/// Onboards `n` devices tagged [`TAG`] that support APP updates; their ids.
async fn fleet(client: &Client, n: usize) -> Vec<String> {
    let pem = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/keys/ec-p256-public.pem"
    ))
    .unwrap();
    let ids: Vec<String> = (0..n).map(|i| format!("nrf-3526561000{i:05}")).collect();
    let csv: String = ids
        .iter()
        .map(|id| format!("{id},nrf9151,{TAG},APP,\"{}\"\n", pem.trim_end()))
        .collect();
    let report = client
        .onboarding()
        .bulk_csv(Cursor::new(csv))
        .poll_interval(Duration::from_millis(20))
        .wait()
        .await
        .unwrap();
    assert!(report.is_success(), "{report}");
    ids
}

async fn sim_with(step: Duration, outcomes: &[(&str, FotaOutcome)]) -> Simulator {
    let faults = Faults {
        fota_outcomes: outcomes
            .iter()
            .map(|(id, o)| ((*id).to_owned(), *o))
            .collect::<BTreeMap<_, _>>(),
        ..Faults::default()
    };
    Simulator::builder()
        .seed(12)
        .step(step)
        .faults(faults)
        .start()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rollout_to_a_tag_reports_each_devices_own_outcome() {
    let sim = sim_with(
        Duration::from_millis(30),
        &[
            ("nrf-352656100000002", FotaOutcome::Failed),
            ("nrf-352656100000005", FotaOutcome::TimedOut),
            ("nrf-352656100000007", FotaOutcome::Rejected),
        ],
    )
    .await;
    let client = client(&sim);
    let ids = fleet(&client, 12).await;
    let fota = client.fota();

    let uploaded = fota
        .bundles()
        .upload(zephyr_zip())
        .version("1.4.0")
        .send()
        .await
        .unwrap();
    assert_eq!(uploaded.bundle.version.as_deref(), Some("1.4.0"));
    assert_eq!(uploaded.bundle.firmware_type, Some(FirmwareType::App));
    assert_eq!(uploaded.bundle.filenames, ["app_update.bin"]);
    assert_eq!(uploaded.uris.len(), 1);

    let job_id = fota
        .jobs()
        .create(&uploaded.bundle.id)
        .tags([TAG])
        .name("tracker 1.4.0")
        .send()
        .await
        .unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let report = fota
        .jobs()
        .wait(&job_id)
        .poll_interval(Duration::from_millis(25))
        .deadline(Duration::from_secs(30))
        .on_progress(move |p| log.lock().unwrap().push(p.counts))
        .send()
        .await
        .unwrap();

    assert!(!report.deadline_passed);
    assert_eq!(report.job.status, JobStatus::Completed);
    assert_eq!(report.job.tags, [TAG]);
    assert_eq!(
        report.counts().to_string(),
        "12 devices, 9 succeeded, 1 failed, 1 timed out, 1 rejected, 0 cancelled, 0 pending"
    );
    let mut failed: Vec<(String, ExecutionStatus)> = report
        .not_succeeded()
        .map(|e| (e.device_id.clone(), e.status.clone()))
        .collect();
    failed.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        failed,
        [
            (ids[2].clone(), ExecutionStatus::Failed),
            (ids[5].clone(), ExecutionStatus::TimedOut),
            (ids[7].clone(), ExecutionStatus::Rejected),
        ]
    );
    let succeeded = report
        .executions
        .iter()
        .find(|e| e.status == ExecutionStatus::Succeeded)
        .unwrap();
    assert_eq!(
        succeeded.status_detail.as_deref(),
        Some("FOTA update completed successfully")
    );
    assert!(!report.all_succeeded());
    let last = {
        let seen = seen.lock().unwrap();
        assert!(!seen.is_empty());
        *seen.last().unwrap()
    };
    assert_eq!((last.total(), last.pending(), last.succeeded), (12, 0, 9));

    // Each device's own view: no current execution once it ended, and its job in the list.
    let device = fota.device(&ids[0]);
    assert_eq!(device.current(None).await.unwrap(), None);
    let execution = device.get(&job_id).await.unwrap();
    assert_eq!(execution.status, ExecutionStatus::Succeeded);
    assert_eq!(execution.job_id.as_deref(), Some(job_id.as_str()));
    let document = execution.document.unwrap();
    assert_eq!(document.version.as_deref(), Some("1.4.0"));
    assert_eq!(
        document.bundle_id.as_deref(),
        Some(uploaded.bundle.id.as_str())
    );
    use futures::TryStreamExt;
    let mine: Vec<_> = device.list().stream().try_collect().await.unwrap();
    assert_eq!(mine.len(), 1);
    let jobs: Vec<_> = fota.jobs().list().stream().try_collect().await.unwrap();
    assert_eq!(
        jobs.iter().map(|j| j.id.as_str()).collect::<Vec<_>>(),
        [job_id.as_str()]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_staged_job_waits_for_apply_and_cancel_ends_every_execution() {
    // Steps of a second: onboarding takes a few, and the executions stay QUEUED while checked.
    let sim = sim_with(Duration::from_secs(1), &[]).await;
    let client = client(&sim);
    let ids = fleet(&client, 4).await;
    let fota = client.fota();
    let bundle = bundle(&fota, "2.0.0").await;
    let job_id = fota
        .jobs()
        .create(&bundle.id)
        .device_ids(&ids[..3])
        .auto_apply(false)
        .send()
        .await
        .unwrap();
    let job = fota.jobs().get(&job_id).await.unwrap();
    assert_eq!(job.status, JobStatus::Created);
    assert_eq!(job.device_ids, &ids[..3]);

    fota.jobs().apply(&job_id).await.unwrap();
    assert_eq!(
        fota.jobs().get(&job_id).await.unwrap().status,
        JobStatus::InProgress
    );
    let current = fota.device(&ids[0]).current(None).await.unwrap().unwrap();
    assert_eq!(current.status, ExecutionStatus::Queued);

    // The deadline passes first: every device is still pending.
    let report = fota
        .jobs()
        .wait(&job_id)
        .poll_interval(Duration::from_millis(20))
        .deadline(Duration::from_millis(150))
        .send()
        .await
        .unwrap();
    assert!(report.deadline_passed);
    assert_eq!(
        report.counts().to_string(),
        "3 devices, 0 succeeded, 0 failed, 0 timed out, 0 rejected, 0 cancelled, 3 pending"
    );

    fota.jobs()
        .cancel(&job_id, Some("bad build"))
        .await
        .unwrap();
    let report = fota
        .jobs()
        .wait(&job_id)
        .poll_interval(Duration::from_millis(20))
        .send()
        .await
        .unwrap();
    assert_eq!(report.job.status, JobStatus::Cancelled);
    assert_eq!(
        report.counts().to_string(),
        "3 devices, 0 succeeded, 0 failed, 0 timed out, 0 rejected, 3 cancelled, 0 pending"
    );
    assert_eq!(fota.device(&ids[0]).current(None).await.unwrap(), None);

    fota.jobs().delete(&job_id).await.unwrap();
    let gone = fota.jobs().get(&job_id).await.unwrap_err();
    assert!(gone.is_not_found(), "{gone:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_device_reports_its_own_execution_status() {
    // The device's own reports freeze its execution; the simulator's steps do not matter.
    let sim = sim_with(Duration::from_secs(1), &[]).await;
    let client = client(&sim);
    let ids = fleet(&client, 1).await;
    let fota = client.fota();
    let bundle = bundle(&fota, "3.0.0").await;
    let job_id = fota
        .jobs()
        .create(&bundle.id)
        .device_ids([&ids[0]])
        .send()
        .await
        .unwrap();
    let device = fota.device(&ids[0]);
    device
        .update(
            &job_id,
            ExecutionStatus::InProgress,
            Some("download started"),
        )
        .await
        .unwrap();
    device
        .update(
            &job_id,
            ExecutionStatus::Succeeded,
            Some("FOTA update completed successfully"),
        )
        .await
        .unwrap();
    let report = fota
        .jobs()
        .wait(&job_id)
        .poll_interval(Duration::from_millis(20))
        .send()
        .await
        .unwrap();
    assert!(report.all_succeeded(), "{}", report.counts());
    assert_eq!(
        report.executions[0].status_detail.as_deref(),
        Some("FOTA update completed successfully")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_services_limits_are_checked_before_sending() {
    let sim = sim_with(Duration::from_millis(30), &[]).await;
    let client = client(&sim);
    let jobs = client.fota().jobs();
    let invalid = |e: nrfcloud::Error| match e.kind() {
        ErrorKind::InvalidRequest(i) => i.message().to_owned(),
        other => panic!("{other:?}"),
    };
    let ids: Vec<String> = (0..101).map(|i| format!("nrf-{i}")).collect();
    assert_eq!(
        invalid(
            jobs.create("APP*1a2b3c4d*1.0.0")
                .device_ids(&ids)
                .send()
                .await
                .unwrap_err()
        ),
        "101 device ids given; a job targets at most 100 (tag the devices and target the tag)"
    );
    assert_eq!(
        invalid(jobs.create("APP*1a2b3c4d*1.0.0").send().await.unwrap_err()),
        "a FOTA job needs device ids or tags to target"
    );
    assert_eq!(
        invalid(
            jobs.create("APP*1a2b3c4d*1.0.0")
                .tags(["t"])
                .name("n".repeat(65))
                .send()
                .await
                .unwrap_err()
        ),
        "the name has 65 characters; at most 64"
    );
    assert_eq!(
        invalid(
            jobs.create("APP*1a2b3c4d*1.0.0")
                .device_ids(["a/b"])
                .send()
                .await
                .unwrap_err()
        ),
        "device id \"a/b\" must be 1 to 128 characters of letters, digits, `:`, `_` or `-`"
    );
    assert_eq!(sim.request_counts().received, 0, "nothing was sent");

    // Uploads: the manifest is checked before sending too.
    let e = client
        .fota()
        .bundles()
        .upload(zephyr_zip())
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        invalid(e),
        "manifest.json has no fwversion (Zephyr's dfu_application.zip has none): give the upload a version"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn bundles_list_find_and_delete() {
    let sim = sim_with(Duration::from_millis(30), &[]).await;
    let client = client(&sim);
    let bundles = client.fota().bundles();
    use futures::TryStreamExt;
    let modem: Vec<_> = bundles
        .list()
        .modem_only()
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert!(!modem.is_empty());
    assert!(modem.iter().all(|b| matches!(
        b.firmware_type,
        Some(FirmwareType::Modem | FirmwareType::MdmFull)
    )));
    let own: Vec<_> = bundles.list().stream().try_collect().await.unwrap();
    assert!(own.is_empty(), "{own:?}");

    let bundle = bundles
        .upload(zephyr_zip())
        .version("1.0.1")
        .send()
        .await
        .unwrap()
        .bundle;
    assert_eq!(bundles.get(&bundle.id).await.unwrap(), Some(bundle.clone()));
    assert_eq!(
        bundles.get(&modem[0].id).await.unwrap().map(|b| b.id),
        Some(modem[0].id.clone())
    );
    bundles.delete(&bundle.id).send().await.unwrap();
    assert_eq!(bundles.get(&bundle.id).await.unwrap(), None);
}
