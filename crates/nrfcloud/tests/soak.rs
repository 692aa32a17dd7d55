//! Fault soak against the simulator: 10% 5xx, 5% 429 and 1% dropped connections.
//!
//! * every idempotent call succeeds within the retry budget;
//! * no POST is sent twice: the simulator receives exactly one request per claim plus one per
//!   429 it answered (the only answer after which a POST is resent);
//! * a bulk claim under the same faults, run again with its journal until it ends, accounts for
//!   every row in every run and claims each device once;
//! * a claiming process killed with SIGKILL mid-run, then run again with its journal, loses no
//!   row.
//!
//! `cargo test --test soak` runs a bounded version (seconds); the full figures come from
//! `cargo test --release --test soak -- --ignored --nocapture`.

mod bulk_support;

use std::{
    collections::HashSet,
    io::Cursor,
    path::Path,
    time::{Duration, Instant},
};

use bulk_support::{claimed_ids, token_lines};
use futures::StreamExt;
use nrfcloud::{Client, retry::RetryPolicy};
use nrfcloud_sim::{Faults, Simulator};

fn faults() -> Faults {
    Faults {
        error_rate: 0.10,
        rate_limit_every: Some(20),
        retry_after_secs: 0,
        drop_rate: 0.01,
        ..Faults::default()
    }
}

fn client(sim: &Simulator) -> Client {
    Client::builder()
        .api_key(sim.api_key())
        .rest_host(sim.rest_host())
        .provisioning_host(sim.provisioning_host())
        // One attempt fails about 16% of the time here: 8 attempts leave about 4 in 10 million.
        .retry(
            RetryPolicy::default()
                .max_attempts(8)
                .base_delay(Duration::from_millis(1))
                .max_delay(Duration::from_millis(5)),
        )
        .build()
        .unwrap()
}

/// `requests` reads, 32 at a time: every one succeeds.
async fn idempotent_calls(sim: &Simulator, client: &Client, requests: usize) {
    sim.set_faults(faults());
    let failures: Vec<String> = futures::stream::iter(0..requests)
        .map(|i| {
            let client = client.clone();
            async move {
                let result = match i % 3 {
                    0 => client.devices().list().send().await.map(drop),
                    1 => client.account().team_id().await.map(drop),
                    _ => client
                        .provisioning()
                        .claimed_devices()
                        .list()
                        .send()
                        .await
                        .map(drop),
                };
                result.err().map(|e| format!("call {i}: {e}"))
            }
        })
        .buffer_unordered(32)
        .filter_map(|e| async move { e })
        .collect()
        .await;
    let counts = sim.request_counts();
    println!(
        "soak: {requests} idempotent calls, {} requests ({} 5xx, {} 429, {} dropped), {} failed",
        counts.received,
        counts.failed,
        counts.rate_limited,
        counts.dropped,
        failures.len()
    );
    assert!(failures.is_empty(), "{failures:#?}");
    assert!(counts.failed > 0 && counts.rate_limited > 0 && counts.dropped > 0);
}

/// `tokens` claims, 16 at a time: each is sent once, and again only after a 429.
async fn claims(sim: &Simulator, client: &Client, tokens: &[String]) {
    sim.set_faults(faults());
    let claimed: Vec<bool> = futures::stream::iter(tokens.to_vec())
        .map(|token| {
            let client = client.clone();
            async move { client.provisioning().claim(token).send().await.is_ok() }
        })
        .buffer_unordered(16)
        .collect()
        .await;
    let counts = sim.request_counts();
    let ok = claimed.iter().filter(|c| **c).count();
    println!(
        "soak: {} claims, {ok} claimed, {} requests ({} 429 resent)",
        tokens.len(),
        counts.received,
        counts.rate_limited
    );
    assert_eq!(
        counts.received,
        tokens.len() as u64 + counts.rate_limited,
        "a POST was sent again after something other than a 429"
    );
    // The failed ones were refused unprocessed: only the successes hold a device.
    sim.set_faults(Faults::default());
    assert_eq!(claimed_ids(client).await.len(), ok);
}

/// A bulk claim of `tokens` under faults, run again with its journal until it succeeds.
async fn bulk_until_done(sim: &Simulator, client: &Client, tokens: &[String], journal: &Path) {
    sim.set_faults(faults());
    let csv = token_lines(tokens);
    let started = Instant::now();
    let mut runs = 0;
    loop {
        runs += 1;
        assert!(runs <= 500, "no end after 500 runs");
        let result = client
            .provisioning()
            .bulk_claim(Cursor::new(csv.clone()))
            .concurrency(8)
            .journal(journal)
            .wait()
            .await;
        let report = match &result {
            Ok(report) => report,
            Err(e) => e.bulk_report().expect("a bulk error with its report"),
        };
        let c = report.counts;
        assert_eq!(c.rows, tokens.len() as u64, "run {runs}: {report}");
        assert_eq!(
            c.succeeded + c.already_done + c.failed + c.invalid + c.unconfirmed + c.not_submitted,
            c.rows,
            "run {runs}: every row accounted for: {report}"
        );
        assert_eq!(c.failed, 0, "run {runs}: no device claimed twice: {report}");
        if result.is_ok() {
            break;
        }
    }
    let counts = sim.request_counts();
    println!(
        "soak: bulk claim of {} rows under faults: {runs} runs, {:.1} s, {} requests ({} 5xx, \
         {} 429, {} dropped)",
        tokens.len(),
        started.elapsed().as_secs_f64(),
        counts.received,
        counts.failed,
        counts.rate_limited,
        counts.dropped
    );
}

async fn soak(requests: usize, claims_n: usize, rows: usize) {
    let sim = Simulator::builder().seed(7).start().await.unwrap();
    let client = client(&sim);
    idempotent_calls(&sim, &client, requests).await;
    let tokens = sim.claim_tokens(claims_n + rows);
    claims(&sim, &client, &tokens[..claims_n]).await;
    let dir = tempfile::tempdir().unwrap();
    let bulk = &tokens[claims_n..];
    bulk_until_done(&sim, &client, bulk, &dir.path().join("bulk.journal")).await;
    sim.set_faults(Faults::default());
    let ids = claimed_ids(&client).await;
    let want: HashSet<String> = (0..(claims_n + rows) as u64)
        .map(|i| sim.device_facts(i).id)
        .collect();
    assert!(ids.is_subset(&want));
    let bulk_ids: HashSet<String> = (claims_n as u64..(claims_n + rows) as u64)
        .map(|i| sim.device_facts(i).id)
        .collect();
    assert!(bulk_ids.is_subset(&ids), "every bulk row is claimed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn soak_bounded() {
    soak(2_000, 300, 10_000).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "the full soak: 20,000 calls and a 100,000-row bulk claim"]
async fn soak_full() {
    soak(20_000, 2_000, 100_000).await;
}

/// The child of [`a_claiming_process_killed_mid_run_loses_no_row`]: claims the CSV the
/// environment names with its journal. Does nothing when run on its own.
#[tokio::test]
#[ignore = "run by the SIGKILL test as a child process"]
async fn child_claims_from_env() {
    let Ok(host) = std::env::var("SOAK_CHILD_PROVISIONING_HOST") else {
        return;
    };
    let var = |name: &str| std::env::var(name).unwrap();
    let client = Client::builder()
        .api_key(var("SOAK_CHILD_API_KEY"))
        .provisioning_host(host)
        .build()
        .unwrap();
    let csv = std::fs::File::open(var("SOAK_CHILD_CSV")).unwrap();
    let _ = client
        .provisioning()
        .bulk_claim(csv)
        .concurrency(1)
        .journal(var("SOAK_CHILD_JOURNAL"))
        .wait()
        .await;
}

fn journal_lines(path: &Path) -> usize {
    std::fs::read(path)
        .map(|b| b.iter().filter(|c| **c == b'\n').count())
        .unwrap_or(0)
}

async fn killed_mid_run(rows: usize) {
    let sim = Simulator::builder()
        .seed(9)
        .faults(Faults {
            delay: Some(Duration::from_millis(150)),
            ..Faults::default()
        })
        .start()
        .await
        .unwrap();
    let tokens = sim.claim_tokens(rows);
    let dir = tempfile::tempdir().unwrap();
    let (csv, journal) = (
        dir.path().join("tokens.csv"),
        dir.path().join("claim.journal"),
    );
    std::fs::write(&csv, token_lines(&tokens)).unwrap();
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child_claims_from_env", "--ignored", "--quiet"])
        .env("SOAK_CHILD_PROVISIONING_HOST", sim.provisioning_host())
        .env("SOAK_CHILD_API_KEY", sim.api_key())
        .env("SOAK_CHILD_CSV", &csv)
        .env("SOAK_CHILD_JOURNAL", &journal)
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // The header and the first request's 1000 rows are in the journal: kill it.
    while journal_lines(&journal) < 1001 {
        assert!(child.try_wait().unwrap().is_none(), "the child ended early");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    child.kill().unwrap(); // SIGKILL
    let status = child.wait().unwrap();
    assert!(!status.success(), "killed, not finished: {status}");
    let journaled = journal_lines(&journal) - 1;
    assert!(
        journaled < rows,
        "{journaled} of {rows} rows journaled before the kill"
    );

    sim.set_faults(Faults::default());
    let client = client(&sim);
    let report = client
        .provisioning()
        .bulk_claim(std::fs::File::open(&csv).unwrap())
        .journal(&journal)
        .wait()
        .await
        .unwrap();
    let c = report.counts;
    println!("soak: SIGKILL after {journaled} of {rows} rows journaled; the run again: {report}");
    assert_eq!(c.already_done, journaled as u64);
    assert_eq!(c.already_done + c.succeeded, rows as u64, "{report}");
    let ids = claimed_ids(&client).await;
    let want: HashSet<String> = (0..rows as u64).map(|i| sim.device_facts(i).id).collect();
    assert_eq!(ids, want, "every row claimed, once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg(unix)]
async fn a_claiming_process_killed_mid_run_loses_no_row() {
    killed_mid_run(10_000).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg(unix)]
#[ignore = "the full soak: 100,000 rows"]
async fn a_claiming_process_killed_mid_run_loses_no_row_full() {
    killed_mid_run(100_000).await;
}
