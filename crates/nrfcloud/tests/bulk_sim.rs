//! Bulk runs end to end against the simulator: both claim answers, row failures mapped back to
//! lines across chunks, the error-summary formats, onboarding and key registration, invalid
//! input, the deadline, and resuming with a journal after a network failure or a crash.

mod bulk_support;

use std::{
    collections::HashSet,
    io::Cursor,
    sync::{Arc, Mutex},
    time::Duration,
};

use bulk_support::{
    bulk_endpoint_client, claimed_ids, client, lines_with, public_key_pem, token_lines,
};
use futures::TryStreamExt;
use nrfcloud::{
    bulk::{BulkErrorKind, InvalidRows, RowOutcome},
    error::ErrorKind,
};
use nrfcloud_sim::{Faults, Simulator};

fn bulk_error(e: nrfcloud::Error) -> nrfcloud::bulk::BulkError {
    match e.into_kind() {
        ErrorKind::Bulk(b) => b,
        other => panic!("expected a bulk error, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn sync_claims_map_failed_rows_to_lines_across_chunks() {
    let sim = Simulator::builder()
        .faults(Faults {
            bulk_fail_rows: vec![0, 5],
            ..Faults::default()
        })
        .start()
        .await
        .unwrap();
    let client = client(&sim);
    let tokens = sim.claim_tokens(2500);
    // Line 1 is a header; the data rows are lines 2..=2501.
    let input = format!("token,tags\n{}", token_lines(&tokens));
    let progress = Arc::new(Mutex::new(Vec::new()));
    let seen = progress.clone();
    let report = client
        .provisioning()
        .bulk_claim(Cursor::new(input))
        .tags(["factory-line-3"])
        .invalid_rows(InvalidRows::Skip)
        .on_progress(move |p| seen.lock().unwrap().push(*p))
        .wait()
        .await
        .unwrap();

    assert_eq!(report.requests, 3);
    assert_eq!(report.counts.rows, 2501);
    assert_eq!(report.counts.invalid, 1);
    assert_eq!(report.counts.failed, 6);
    assert_eq!(report.counts.succeeded, 2494);
    assert_eq!(lines_with(&report, "invalid"), [1]);
    // Row i of chunk k is data row 1000k + i, on line 1000k + i + 2.
    assert_eq!(
        lines_with(&report, "failed"),
        [2, 7, 1002, 1007, 2002, 2007]
    );
    let failed = &report.rows[1];
    assert_eq!(
        failed.outcome,
        RowOutcome::Failed {
            reason: "simulated failure".into()
        }
    );
    // The plain CSV names no device; the id is read from the token.
    assert_eq!(failed.device_id, Some(sim.device_facts(0).id));
    assert!(!report.is_success());
    assert_eq!(
        report.to_string(),
        "bulk claim: 2501 rows, 2494 claimed, 0 already claimed, 6 failed, 1 invalid, 0 unconfirmed, 0 not submitted"
    );

    // The service agrees: exactly the rows reported claimed are claimed, with the run's tag.
    let claimed = claimed_ids(&client).await;
    let expected: HashSet<String> = (0..2500u64)
        .filter(|i| ![0, 5, 1000, 1005, 2000, 2005].contains(i))
        .map(|i| sim.device_facts(i).id)
        .collect();
    assert_eq!(claimed, expected);
    let one = client
        .provisioning()
        .claimed_devices()
        .get(sim.device_facts(1).id)
        .send()
        .await
        .unwrap();
    assert_eq!(one.tags, ["factory-line-3"]);

    let last = *progress.lock().unwrap().last().unwrap();
    assert_eq!(last.submitted, 2500);
    assert_eq!(last.counts, report.counts);
}

#[tokio::test(flavor = "multi_thread")]
async fn bulk_operations_are_polled_and_both_summary_formats_map_to_lines() {
    for legacy in [false, true] {
        let sim = Simulator::builder()
            .faults(Faults {
                bulk_fail_rows: vec![1],
                legacy_error_summary: legacy,
                ..Faults::default()
            })
            .start()
            .await
            .unwrap();
        let client = bulk_endpoint_client(&sim);
        let tokens = sim.claim_tokens(1200);
        let report = client
            .provisioning()
            .bulk_claim(Cursor::new(token_lines(&tokens)))
            .poll_interval(Duration::from_millis(20))
            .wait()
            .await
            .unwrap();
        assert_eq!(lines_with(&report, "failed"), [2, 1002], "legacy: {legacy}");
        assert_eq!(report.counts.succeeded, 1198, "legacy: {legacy}");
        assert_eq!(report.bulk_ops.len(), 2);
        for (op, (first, last)) in report.bulk_ops.iter().zip([(1, 1000), (1001, 1200)]) {
            assert_eq!(op.status, "FAILED");
            assert_eq!((op.lines.first, op.lines.last), (first, last));
            assert_eq!(op.raw_error_summary, None);
            let fetched = client.bulk_ops().get(&op.id).send().await.unwrap();
            assert_eq!(
                fetched.endpoint.as_ref().map(|e| e.as_str()),
                Some("CLAIM_DEVICE_OWNERSHIP")
            );
        }
        assert_eq!(
            report.rows[0].bulk_ops_request_id.as_deref(),
            Some(report.bulk_ops[0].id.as_str())
        );
        assert_eq!(report.rows[0].device_id, Some(sim.device_facts(1).id));
        assert_eq!(claimed_ids(&client).await.len(), 1198);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn invalid_rows_abort_before_anything_is_uploaded() {
    let sim = Simulator::start().await.unwrap();
    let client = client(&sim);
    let tokens = sim.claim_tokens(3);
    let input = format!(
        "{}\n\n{},\"ok,bad tag\"\nnot-a-token\n{}\n{}\n",
        tokens[0], tokens[1], tokens[0], tokens[2]
    );
    let e = client
        .provisioning()
        .bulk_claim(Cursor::new(input.clone()))
        .wait()
        .await
        .unwrap_err();
    let e = bulk_error(e);
    assert_eq!(e.kind(), &BulkErrorKind::InvalidRows);
    let report = e.report();
    assert_eq!(lines_with(report, "invalid"), [2, 3, 4, 5]);
    assert_eq!(report.counts.not_submitted, 2);
    assert_eq!(
        report
            .not_submitted
            .iter()
            .map(|r| (r.first, r.last))
            .collect::<Vec<_>>(),
        [(1, 1), (6, 6)]
    );
    assert_eq!(report.requests, 0);
    assert!(
        e.to_string()
            .starts_with("bulk claim: 4 invalid row(s) (first: line 2: blank line)"),
        "{e}"
    );
    assert!(claimed_ids(&client).await.is_empty(), "nothing uploaded");

    // Skipping them uploads the rest.
    let report = client
        .provisioning()
        .bulk_claim(Cursor::new(input))
        .invalid_rows(InvalidRows::Skip)
        .wait()
        .await
        .unwrap();
    assert_eq!(report.counts.succeeded, 2);
    assert_eq!(lines_with(&report, "invalid"), [2, 3, 4, 5]);
    assert_eq!(claimed_ids(&client).await.len(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_deadline_stops_the_run_with_the_report_so_far() {
    let sim = Simulator::builder()
        .step(Duration::from_secs(5))
        .start()
        .await
        .unwrap();
    let client = bulk_endpoint_client(&sim);
    let tokens = sim.claim_tokens(2500);
    let started = std::time::Instant::now();
    let e = client
        .provisioning()
        .bulk_claim(Cursor::new(token_lines(&tokens)))
        .concurrency(2)
        .poll_interval(Duration::from_millis(50))
        .deadline(Duration::from_millis(600))
        .wait()
        .await
        .unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(5));
    let e = bulk_error(e);
    assert!(matches!(e.kind(), BulkErrorKind::Deadline { .. }), "{e}");
    let report = e.report();
    assert_eq!(report.counts.unconfirmed, 2000);
    assert_eq!(report.counts.not_submitted, 500);
    assert_eq!(report.counts.succeeded, 0);
    assert_eq!(report.bulk_ops.len(), 2);
    for op in &report.bulk_ops {
        assert!(
            ["PENDING", "IN_PROGRESS"].contains(&op.status.as_str()),
            "{op:?}"
        );
    }
    match &report.rows[0].outcome {
        RowOutcome::Unconfirmed { reason } => {
            assert!(reason.contains(&report.bulk_ops[0].id), "{reason}")
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        report
            .not_submitted
            .iter()
            .map(|r| (r.first, r.last))
            .collect::<Vec<_>>(),
        [(2001, 2500)]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_journal_resumes_after_the_network_failed() {
    let sim = Arc::new(Simulator::start().await.unwrap());
    let client = client(&sim);
    let tokens = sim.claim_tokens(3500);
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("claim.journal");

    // Once two requests are confirmed, every connection is dropped.
    let faulty = sim.clone();
    let e = client
        .provisioning()
        .bulk_claim(Cursor::new(token_lines(&tokens)))
        .concurrency(1)
        .journal(&journal)
        .on_progress(move |p| {
            if p.counts.succeeded == 2000 {
                faulty.set_faults(Faults {
                    drop_rate: 1.0,
                    ..Faults::default()
                });
            }
        })
        .wait()
        .await
        .unwrap_err();
    let e = bulk_error(e);
    assert_eq!(
        e.kind(),
        &BulkErrorKind::Interrupted {
            first_line: 2001,
            last_line: 3000
        }
    );
    assert!(std::error::Error::source(&e).is_some());
    let first = e.report();
    assert_eq!(first.counts.succeeded, 2000);
    assert_eq!(first.counts.unconfirmed, 1000);
    assert_eq!(first.counts.not_submitted, 500);
    assert_eq!(first.requests, 3);

    sim.set_faults(Faults::default());
    let submitted = Arc::new(Mutex::new(0));
    let seen = submitted.clone();
    let second = client
        .provisioning()
        .bulk_claim(Cursor::new(token_lines(&tokens)))
        .concurrency(1)
        .journal(&journal)
        .on_progress(move |p| *seen.lock().unwrap() = p.submitted)
        .wait()
        .await
        .unwrap();
    assert_eq!(second.counts.already_done, 2000);
    assert_eq!(second.counts.succeeded, 1500);
    assert!(second.is_success());
    assert_eq!(
        second.requests, 2,
        "only the rows not yet confirmed are sent"
    );
    assert_eq!(*submitted.lock().unwrap(), 1500);
    assert_eq!(
        second.to_string(),
        "bulk claim: 3500 rows, 1500 claimed, 2000 already claimed, 0 failed, 0 invalid, 0 unconfirmed, 0 not submitted"
    );
    assert_eq!(claimed_ids(&client).await.len(), 3500);

    // The journal holds no token, only keys, lines and device ids.
    let text = std::fs::read_to_string(&journal).unwrap();
    assert_eq!(text.lines().count(), 1 + 3500);
    assert!(!tokens.iter().any(|t| text.contains(t.as_str())));
    assert!(text.contains(&sim.device_facts(0).id));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_run_stopped_on_request_keeps_what_it_confirmed_and_resumes() {
    let sim = Arc::new(Simulator::start().await.unwrap());
    let client = client(&sim);
    let tokens = sim.claim_tokens(3500);
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("claim.journal");

    // The stop comes once the first request is confirmed.
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let mut tx = Some(tx);
    let e = client
        .provisioning()
        .bulk_claim(Cursor::new(token_lines(&tokens)))
        .concurrency(1)
        .journal(&journal)
        .on_progress(move |p| {
            if p.counts.succeeded == 1000 {
                tx.take().map(|tx| tx.send(()));
            }
        })
        .stop_when(async {
            let _ = rx.await;
        })
        .wait()
        .await
        .unwrap_err();
    let e = bulk_error(e);
    assert_eq!(e.kind(), &BulkErrorKind::Stopped);
    let first = e.report();
    // At most the one request in flight when the stop came was still answered.
    let sent = first.counts.succeeded;
    assert!(sent == 1000 || sent == 2000, "{sent}");
    assert_eq!(first.counts.unconfirmed, 0);
    assert_eq!(first.counts.not_submitted, 3500 - sent);
    assert_eq!(
        e.to_string(),
        format!(
            "bulk claim stopped on request; 0 row(s) unconfirmed, {} not submitted",
            3500 - sent
        )
    );

    let second = client
        .provisioning()
        .bulk_claim(Cursor::new(token_lines(&tokens)))
        .journal(&journal)
        .wait()
        .await
        .unwrap();
    assert_eq!(second.counts.already_done, sent);
    assert_eq!(second.counts.succeeded, 3500 - sent);
    assert_eq!(claimed_ids(&client).await.len(), 3500);
}

/// The tokens of every bulk operation's uploaded CSV, by operation id.
async fn uploads(client: &nrfcloud::Client) -> Vec<(String, HashSet<String>)> {
    let ops: Vec<_> = client
        .bulk_ops()
        .list()
        .page_limit(100)
        .stream()
        .try_collect()
        .await
        .unwrap();
    let mut out = Vec::new();
    for op in ops {
        let csv = reqwest::get(op.uploaded_data_url.as_deref().unwrap())
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let tokens = csv
            .lines()
            .map(|l| l.split(',').next().unwrap().trim_matches('"').to_owned())
            .collect();
        out.push((op.id, tokens));
    }
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn a_journal_resumes_after_a_crash_and_sends_only_the_rest() {
    let sim = Simulator::start().await.unwrap();
    let client = client(&sim);
    let tokens = sim.claim_tokens(3000);
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("claim.journal");

    // The process "dies" as soon as the first request is confirmed: the run's future is
    // dropped mid-way, whatever it was doing.
    let (confirmed, crash) = tokio::sync::oneshot::channel();
    let mut confirmed = Some(confirmed);
    let run = bulk_endpoint_client(&sim)
        .provisioning()
        .bulk_claim(Cursor::new(token_lines(&tokens)))
        .poll_interval(Duration::from_millis(20))
        .concurrency(1)
        .journal(&journal)
        .on_progress(move |p| {
            if p.counts.succeeded >= 1000
                && let Some(tx) = confirmed.take()
            {
                let _ = tx.send(());
            }
        })
        .wait();
    tokio::select! {
        result = run => panic!("the run ended before the crash: {result:?}"),
        _ = crash => {}
    }
    let before: HashSet<String> = uploads(&client)
        .await
        .into_iter()
        .map(|(id, _)| id)
        .collect();

    let report = bulk_endpoint_client(&sim)
        .provisioning()
        .bulk_claim(Cursor::new(token_lines(&tokens)))
        .poll_interval(Duration::from_millis(20))
        .journal(&journal)
        .wait()
        .await
        .unwrap();
    assert_eq!(report.counts.already_done, 1000);
    assert_eq!(report.counts.succeeded, 2000);

    // What the service received after the crash: exactly the rows not confirmed before it.
    let resent: HashSet<String> = uploads(&client)
        .await
        .into_iter()
        .filter(|(id, _)| !before.contains(id))
        .flat_map(|(_, tokens)| tokens)
        .collect();
    let expected: HashSet<String> = tokens[1000..].iter().cloned().collect();
    assert_eq!(resent, expected);
    assert_eq!(claimed_ids(&client).await.len(), 3000);
}

#[tokio::test(flavor = "multi_thread")]
async fn onboarding_and_key_registration_map_summary_rows_to_lines() {
    let sim = Simulator::start().await.unwrap();
    let client = client(&sim);
    let key = public_key_pem();
    // The PEM without its final line break: the SDK adds it inside the quotes.
    let pem = key.trim_end();
    let row = |id: &str, tags: &str| format!("{id},nrf9151,{tags},APP|MODEM,\"{pem}\"\n");
    let first = format!("{}{}", row("dev-1", "a|b"), row("dev-2", ""));
    let report = client
        .onboarding()
        .bulk_csv(Cursor::new(first))
        .poll_interval(Duration::from_millis(20))
        .wait()
        .await
        .unwrap();
    assert!(report.is_success(), "{report}");
    assert_eq!(report.bulk_ops[0].status, "SUCCEEDED");

    // dev-2 exists already: the operation FAILED, and its summary names row 1, which starts
    // on the line after the first row's multi-line PEM.
    let second = format!(
        "{}{}{}",
        row("dev-3", ""),
        row("dev-2", ""),
        row("dev-4", "x")
    );
    let report = client
        .onboarding()
        .bulk_csv(Cursor::new(second))
        .poll_interval(Duration::from_millis(20))
        .wait()
        .await
        .unwrap();
    let rows_per_record = pem.lines().count() as u64;
    assert_eq!(lines_with(&report, "failed"), [1 + rows_per_record]);
    assert!(
        matches!(&report.rows[0].outcome, RowOutcome::Failed { reason } if reason.contains("already exists")),
        "{report:?}"
    );
    assert_eq!(report.rows[0].device_id.as_deref(), Some("dev-2"));
    assert_eq!(report.counts.succeeded, 2);
    let device = client.devices().get("dev-1").send().await.unwrap();
    assert_eq!(
        nrfcloud::devices::DeviceExt::tags(device.value()),
        ["a", "b"]
    );

    // Keys for known devices succeed; an unknown device fails on its own line.
    let keys = format!("dev-1,\"{key}\"\nnobody,\"{key}\"\n");
    let report = client
        .onboarding()
        .register_public_keys(Cursor::new(keys))
        .poll_interval(Duration::from_millis(20))
        .wait()
        .await
        .unwrap();
    assert_eq!(report.counts.succeeded, 1);
    // `key` ends with a line break inside the quotes: the first row spans one more line.
    assert_eq!(
        lines_with(&report, "failed"),
        [1 + key.lines().count() as u64 + 1]
    );
    assert_eq!(
        report.to_string(),
        "public-key registration: 2 rows, 1 registered, 0 already registered, 1 failed, 0 invalid, 0 unconfirmed, 0 not submitted"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn extreme_settings_are_clamped_not_panics() {
    let sim = Simulator::start().await.unwrap();
    let client = client(&sim);
    let tokens = sim.claim_tokens(3);
    for (endpoint, client) in [("sync", client), ("bulk", bulk_endpoint_client(&sim))] {
        let report = client
            .provisioning()
            .bulk_claim(Cursor::new(token_lines(&tokens)))
            .concurrency(usize::MAX)
            .deadline(Duration::MAX)
            .poll_interval(Duration::ZERO)
            .wait()
            .await
            .unwrap();
        assert_eq!(report.counts.succeeded, 3, "{endpoint}: {report}");
    }
    let client = bulk_endpoint_client(&sim);
    // A huge first poll interval is clamped to 60 s (no `Instant` overflow); the deadline ends
    // the run with the rows unconfirmed.
    let e = client
        .provisioning()
        .bulk_claim(Cursor::new(token_lines(&sim.claim_tokens(5)[3..])))
        .poll_interval(Duration::MAX)
        .deadline(Duration::from_millis(300))
        .wait()
        .await
        .unwrap_err();
    let report = e.bulk_report().unwrap();
    assert_eq!(report.counts.unconfirmed, 2, "{report}");
}

/// Against a service that allows 2 requests/s with no burst, the 6 uploads are paced and
/// resent after the 429s: every row is claimed exactly once, none lost or sent twice.
#[tokio::test(flavor = "multi_thread")]
async fn a_rate_limited_run_claims_every_row_once() {
    let sim = Simulator::builder()
        .faults(Faults {
            rate_limit_per_sec: Some(2.0),
            rate_limit_burst: 1,
            ..Faults::default()
        })
        .start()
        .await
        .unwrap();
    let client = client(&sim);
    let tokens = sim.claim_tokens(6000);
    let report = client
        .provisioning()
        .bulk_claim(Cursor::new(token_lines(&tokens)))
        .wait()
        .await
        .unwrap();
    assert!(report.is_success(), "{report}");
    assert_eq!(report.counts.succeeded, 6000);
    let counts = sim.request_counts();
    // Every request the service answered 429 was resent, and only those.
    assert_eq!(report.requests, 6 + counts.rate_limited);
    assert_eq!(counts.received, 6 + counts.rate_limited);
    sim.set_faults(Faults::default());
    assert_eq!(claimed_ids(&client).await.len(), 6000);
}
