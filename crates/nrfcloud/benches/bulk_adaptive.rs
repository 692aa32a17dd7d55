//! Bulk claiming against a slow and a rate-limited service: the adaptive concurrency
//! (`bulk::adaptive`) against nrfcloud-utils' request pattern, measured in the same run. Prints
//! figures and ratios; asserts nothing. Run: `cargo bench -p nrfcloud --bench bulk_adaptive`.
//!
//! Both cases claim the same 100,000 tokens (`NRFCLOUD_BENCH_ROWS` changes it; under
//! `cargo test`, without `--bench`, a smoke run of 2,000) of an embedded simulator, as
//! 1000-row requests:
//!
//! * **300 ms**: every request is delayed 300 ms (a WAN round trip);
//! * **rate-limited**: no delay, and a token bucket of 5 requests/s with a burst of 5.
//!
//! The peer is nrfcloud-utils' `claim_devices` request pattern (peers.md §2): 1000-row
//! `QUOTE_ALL` CSV batches sent one after the other, each on a new connection, no retries;
//! reproduced with Python's standard library (`$NRFCLOUD_PYTHON`, else `python3`) against a
//! fresh simulator of the same seed. Printed for each: wall time, the ratio, the 429s the
//! simulator answered against all the requests it received, and the most requests it had in
//! flight at once.

use std::{
    io::Write,
    process::Command,
    time::{Duration, Instant},
};

use nrfcloud::Client;
use nrfcloud_sim::{Faults, RequestCounts, Simulator};

const SEED: u64 = 7;
const BUCKET_RATE: f64 = 5.0;

/// nrfcloud-utils' `claim_devices` loop: read the CSV, POST it in 1000-row batches, one at a
/// time, a new connection each, no retry; prints the wall seconds and the batches refused.
const PEER: &str = r#"
import csv, io, sys, time, urllib.request, urllib.error
host, key, path = sys.argv[1], sys.argv[2], sys.argv[3]
rows = list(csv.reader(open(path, newline="")))
start, refused = time.perf_counter(), 0
for i in range(0, len(rows), 1000):
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_ALL)
    for r in rows[i:i + 1000]:
        w.writerow([r[0], r[1] if len(r) > 1 else ""])
    req = urllib.request.Request(host + "/v1/claimed-devices", data=out.getvalue().encode(),
        headers={"Authorization": "Bearer " + key, "Content-Type": "text/csv"}, method="POST")
    try:
        urllib.request.urlopen(req).read()
    except urllib.error.HTTPError:
        refused += 1
print(time.perf_counter() - start, refused)
"#;

async fn simulator(faults: Faults) -> Simulator {
    Simulator::builder()
        .seed(SEED)
        .faults(faults)
        .start()
        .await
        .expect("simulator")
}

fn tokens_csv(rows: u64) -> tempfile::NamedTempFile {
    let mut file = tempfile::NamedTempFile::new().expect("temp file");
    nrfcloud_sim::tokens::write_claim_csv(&mut file, SEED, rows, &["bench".into()])
        .expect("tokens");
    file.flush().expect("flush");
    file
}

/// Our run: (wall, rows claimed, the simulator's counts).
async fn ours(faults: Faults, csv: &std::path::Path) -> (Duration, u64, RequestCounts) {
    let sim = simulator(faults).await;
    let client = Client::builder()
        .api_key(sim.api_key())
        .rest_host(sim.rest_host())
        .provisioning_host(sim.provisioning_host())
        .timeout(Duration::from_secs(120))
        .build()
        .expect("client");
    let file = std::fs::File::open(csv).expect("csv");
    let start = Instant::now();
    let report = client
        .provisioning()
        .bulk_claim(file)
        .wait()
        .await
        .expect("bulk claim");
    let wall = start.elapsed();
    let counts = sim.request_counts();
    (wall, report.counts.succeeded, counts)
}

/// The peer's run: (wall, batches refused, the simulator's counts), or why it did not run.
async fn peer(
    faults: Faults,
    csv: &std::path::Path,
) -> Result<(Duration, u64, RequestCounts), String> {
    let sim = simulator(faults).await;
    let python = std::env::var("NRFCLOUD_PYTHON").unwrap_or_else(|_| "python3".into());
    let args = [
        "-c".to_owned(),
        PEER.to_owned(),
        sim.provisioning_host().to_owned(),
        sim.api_key().to_owned(),
        csv.display().to_string(),
    ];
    let out = tokio::task::spawn_blocking(move || Command::new(python).args(args).output())
        .await
        .expect("join")
        .map_err(|e| format!("cannot run Python: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    let mut fields = text.split_whitespace();
    let (Some(wall), Some(refused)) = (fields.next(), fields.next()) else {
        return Err(format!(
            "the peer printed nothing: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    };
    let wall: f64 = wall.parse().map_err(|e| format!("{e}"))?;
    let refused: u64 = refused.parse().map_err(|e| format!("{e}"))?;
    Ok((Duration::from_secs_f64(wall), refused, sim.request_counts()))
}

/// Prints one case; `goal` follows the ratio.
fn case(
    name: &str,
    goal: &str,
    rows: u64,
    (wall, claimed, c): (Duration, u64, RequestCounts),
    peer: Result<(Duration, u64, RequestCounts), String>,
) {
    println!(
        "{name}: bulk_claim {:.2} s, {claimed} of {rows} rows claimed; {} requests, {} answered 429 ({:.1}%), at most {} in flight",
        wall.as_secs_f64(),
        c.received,
        c.rate_limited,
        100.0 * c.rate_limited as f64 / c.received.max(1) as f64,
        c.peak_in_flight
    );
    match peer {
        Ok((peer_wall, refused, p)) => {
            println!(
                "  nrfcloud-utils' pattern: {:.2} s, {} requests, {} answered 429, {refused} batches refused (their rows not claimed), at most {} in flight",
                peer_wall.as_secs_f64(),
                p.received,
                p.rate_limited,
                p.peak_in_flight,
            );
            if refused == 0 {
                println!(
                    "  same run: ours {:.1}x faster{goal}",
                    peer_wall.as_secs_f64() / wall.as_secs_f64()
                );
            } else {
                println!(
                    "  no time ratio: it claimed {} of {rows} rows, we claimed {claimed}",
                    rows.saturating_sub(refused * 1000)
                );
            }
        }
        Err(why) => println!("  nrfcloud-utils' pattern: not measured ({why})"),
    }
}

#[tokio::main]
async fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let rows: u64 = std::env::var("NRFCLOUD_BENCH_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if full { 100_000 } else { 2_000 });
    let csv = tokens_csv(rows);

    let slow = Faults {
        delay: Some(Duration::from_millis(300)),
        ..Faults::default()
    };
    let run = ours(slow.clone(), csv.path()).await;
    let peer_run = peer(slow, csv.path()).await;
    case("300 ms per request", " (goal 10x)", rows, run, peer_run);

    let limited = Faults {
        rate_limit_per_sec: Some(BUCKET_RATE),
        rate_limit_burst: 5,
        ..Faults::default()
    };
    let run = ours(limited.clone(), csv.path()).await;
    let granted = (run.2.received - run.2.rate_limited) as f64 / run.0.as_secs_f64();
    let peer_run = peer(limited, csv.path()).await;
    case("token bucket of 5 requests/s", "", rows, run, peer_run);
    println!(
        "  accepted requests per second: {granted:.2} against the bucket's {BUCKET_RATE}: {:.0}% of its rate (goal 80%)",
        100.0 * granted / BUCKET_RATE
    );
}
