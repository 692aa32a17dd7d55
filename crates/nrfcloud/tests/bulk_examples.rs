//! The examples, run end to end against the simulator. Each example's source is compiled here
//! as a module, so the test calls its logic with a client for the simulator instead of spawning
//! `cargo run` (the examples' `main` only adds `Client::from_env()`).

mod bulk_support;

// The examples' `main` functions are not called here.
#[allow(dead_code)]
#[path = "../examples/bulk_claim.rs"]
mod bulk_claim;
#[allow(dead_code)]
#[path = "../examples/fota_rollout.rs"]
mod fota_rollout;
#[allow(dead_code)]
#[path = "../examples/quickstart.rs"]
mod quickstart;

use std::process::ExitCode;

use clap::Parser;
use nrfcloud_sim::{Faults, Simulator};

fn exit(code: ExitCode) -> String {
    format!("{code:?}")
}

#[tokio::test(flavor = "multi_thread")]
async fn bulk_claim_summarises_writes_the_report_and_exits_non_zero_on_failed_rows() {
    let sim = Simulator::builder()
        .faults(Faults {
            bulk_fail_rows: vec![2],
            ..Faults::default()
        })
        .start()
        .await
        .unwrap();
    let client = bulk_support::client(&sim);
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("tokens.csv");
    let tokens = sim.claim_tokens(1500);
    std::fs::write(
        &csv,
        format!("{}broken\n", bulk_support::token_lines(&tokens)),
    )
    .unwrap();
    let report = dir.path().join("report.json");
    let journal = dir.path().join("claim.journal");
    let args = |extra: &[&str]| {
        let mut a = vec![
            "bulk_claim",
            "--csv",
            csv.to_str().unwrap(),
            "--report",
            report.to_str().unwrap(),
            "--journal",
            journal.to_str().unwrap(),
            "--tags",
            "a,b",
        ];
        a.extend_from_slice(extra);
        bulk_claim::Args::parse_from(a)
    };

    // The invalid last row aborts the run: nothing is claimed.
    let mut out = Vec::new();
    let code = bulk_claim::run(client.clone(), args(&[]), &mut out).await;
    assert_eq!(exit(code), exit(ExitCode::from(1)));
    let line = String::from_utf8(out).unwrap();
    assert_eq!(
        line,
        "bulk claim: 1501 rows, 0 claimed, 0 already claimed, 0 failed, 1 invalid, 0 unconfirmed, 1500 not submitted\n"
    );
    assert!(bulk_support::claimed_ids(&client).await.is_empty());

    // Skipping it claims the rest, except the rows the service fails.
    let mut out = Vec::new();
    let code = bulk_claim::run(
        client.clone(),
        args(&["--skip-invalid", "--concurrency", "2"]),
        &mut out,
    )
    .await;
    assert_eq!(exit(code), exit(ExitCode::from(1)));
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "bulk claim: 1501 rows, 1498 claimed, 0 already claimed, 2 failed, 1 invalid, 0 unconfirmed, 0 not submitted\n"
    );
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    assert_eq!(json["counts"]["succeeded"], 1498);
    let lines: Vec<u64> = json["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, [3, 1003, 1501]);
    assert_eq!(json["rows"][0]["outcome"], "failed");
    let text = std::fs::read_to_string(&report).unwrap();
    assert!(
        !tokens.iter().any(|t| text.contains(t.as_str())),
        "no token in the report"
    );

    // Once the service stops failing them, a re-run with the journal sends only those two and
    // exits 0 (the invalid row is fixed in the file meanwhile).
    sim.set_faults(Faults::default());
    std::fs::write(&csv, bulk_support::token_lines(&tokens)).unwrap();
    let mut out = Vec::new();
    let code = bulk_claim::run(client.clone(), args(&["--bulk-endpoint"]), &mut out).await;
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "bulk claim: 1500 rows, 2 claimed, 1498 already claimed, 0 failed, 0 invalid, 0 unconfirmed, 0 not submitted\n"
    );
    assert_eq!(exit(code), exit(ExitCode::SUCCESS));
    assert_eq!(bulk_support::claimed_ids(&client).await.len(), 1500);
}

#[tokio::test(flavor = "multi_thread")]
async fn bulk_claim_exits_2_when_it_cannot_start() {
    let sim = Simulator::start().await.unwrap();
    let args = bulk_claim::Args::parse_from(["bulk_claim", "--csv", "/nonexistent/tokens.csv"]);
    let mut out = Vec::new();
    let code = bulk_claim::run(bulk_support::client(&sim), args, &mut out).await;
    assert_eq!(exit(code), exit(ExitCode::from(2)));
    assert!(out.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn the_quickstart_runs_every_step_on_the_embedded_simulator() {
    let mut out = Vec::new();
    quickstart::simulated(&mut out).await.unwrap();
    let text = String::from_utf8(out).unwrap();
    for needle in [
        "using the embedded simulator",
        "2. Claimed one device",
        "3. Dry run of another token: Claimable",
        "bulk claim: 2500 rows, 2500 claimed, 0 already claimed, 0 failed",
        "5. Bulk operation",
        "CLAIM_DEVICE_OWNERSHIP",
        "SUCCEEDED",
        "6. Listed 2501 claimed devices",
        "7. Tagged",
        "[\"quickstart\", \"shelf-4\"]",
        "(status BLOCKED), then unblocked it (status READY)",
        "9. Unclaimed it; fetching it now: 404 Not Found",
    ] {
        assert!(text.contains(needle), "{needle:?} missing from:\n{text}");
    }
    assert_eq!(text.matches("5. Bulk operation").count(), 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_quickstart_on_a_real_service_reads_first_and_claims_only_given_tokens() {
    let sim = Simulator::start().await.unwrap();
    let client = bulk_support::client(&sim);
    let mut out = Vec::new();
    quickstart::on_nrf_cloud(&client, None, &mut out)
        .await
        .unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.contains(&format!("1. Team: {}", sim.team_id())),
        "{text}"
    );
    assert!(
        text.contains("3. Claimed devices (first page): 0"),
        "{text}"
    );
    assert!(text.contains("To claim devices, pass --csv FILE"), "{text}");
    assert!(bulk_support::claimed_ids(&client).await.is_empty());

    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("tokens.csv");
    std::fs::write(&csv, bulk_support::token_lines(&sim.claim_tokens(3))).unwrap();
    let mut out = Vec::new();
    quickstart::on_nrf_cloud(&client, Some(csv), &mut out)
        .await
        .unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("4. bulk claim: 3 rows, 3 claimed"), "{text}");
    assert_eq!(bulk_support::claimed_ids(&client).await.len(), 3);
}

/// Runs the FOTA example on its embedded simulator; its stdout and whether it would exit 0.
async fn fota_rollout(args: &[&str]) -> (String, bool) {
    let args =
        fota_rollout::Args::parse_from(std::iter::once("fota_rollout").chain(args.iter().copied()));
    let mut out = Vec::new();
    let report = fota_rollout::simulated(&args, &mut out).await.unwrap();
    (String::from_utf8(out).unwrap(), report.all_succeeded())
}

#[tokio::test(flavor = "multi_thread")]
async fn fota_rollout_counts_each_seeded_failure_and_exits_non_zero() {
    let (out, success) = fota_rollout(&["--devices", "7", "--fail", "4"]).await;
    assert_eq!(
        out.lines().collect::<Vec<_>>(),
        [
            "nrf-352656100000000: FAILED FOTA update failed",
            "nrf-352656100000001: TIMED_OUT Download did not complete in the allotted time",
            "nrf-352656100000002: REJECTED Device rejected the update",
            "nrf-352656100000003: FAILED FOTA update failed",
            "fota: 7 devices, 3 succeeded, 2 failed, 1 timed out, 1 rejected, 0 cancelled, 0 pending",
        ]
    );
    assert!(!success, "a device that did not update makes it exit 1");
}

#[tokio::test(flavor = "multi_thread")]
async fn fota_rollout_of_a_healthy_fleet_succeeds() {
    let (out, success) = fota_rollout(&[]).await;
    assert_eq!(
        out,
        "fota: 20 devices, 20 succeeded, 0 failed, 0 timed out, 0 rejected, 0 cancelled, 0 pending\n"
    );
    assert!(success);
}
