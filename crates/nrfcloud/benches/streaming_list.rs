//! Listing 100,000 claimed devices through `.stream()` (pages of 100, fetched and decoded as
//! they are consumed) against a Python `requests` loop over the same pages of the same
//! simulator, in the same run. Prints items/s and the ratio (goal 2x); asserts nothing. Run:
//! `cargo bench -p nrfcloud --bench streaming_list` (under `cargo test`, without `--bench`, a
//! smoke run of 2,000). The Python is `$NRFCLOUD_PYTHON` when it has `requests`, else
//! `python3`.

use std::{
    process::Command,
    time::{Duration, Instant},
};

use futures::TryStreamExt;
use nrfcloud::Client;
use nrfcloud_sim::Simulator;

/// The peer: one `requests.Session`, `pageLimit=100`, following `pageNextToken`, decoding each
/// page with `.json()` and counting its items; prints the seconds and the count.
const PEER: &str = r#"
import sys, time, requests
host, key = sys.argv[1], sys.argv[2]
session = requests.Session()
session.headers["Authorization"] = "Bearer " + key
start, count, token = time.perf_counter(), 0, None
while True:
    params = {"pageLimit": 100}
    if token:
        params["pageNextToken"] = token
    page = session.get(host + "/v1/claimed-devices", params=params, timeout=30)
    page.raise_for_status()
    body = page.json()
    count += len(body["items"])
    token = body.get("pageNextToken")
    if not token:
        break
print(time.perf_counter() - start, count)
"#;

fn python() -> String {
    let candidate = std::env::var("NRFCLOUD_PYTHON").unwrap_or_else(|_| "python3".into());
    let has_requests = Command::new(&candidate)
        .args(["-c", "import requests"])
        .status()
        .is_ok_and(|s| s.success());
    if has_requests {
        candidate
    } else {
        "python3".into()
    }
}

#[tokio::main]
async fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let devices: usize = if full { 100_000 } else { 2_000 };
    let sim = Simulator::builder()
        .seed(5)
        .start()
        .await
        .expect("simulator");
    let client = Client::builder()
        .api_key(sim.api_key())
        .rest_host(sim.rest_host())
        .provisioning_host(sim.provisioning_host())
        .build()
        .expect("client");
    let csv: String = sim
        .claim_tokens(devices)
        .iter()
        .map(|t| format!("{t}\n"))
        .collect();
    let claimed = client
        .provisioning()
        .bulk_claim(std::io::Cursor::new(csv))
        .wait()
        .await
        .expect("claim");
    assert_eq!(claimed.counts.succeeded, devices as u64, "{claimed}");

    let mut ours = Vec::new();
    for _ in 0..3 {
        let start = Instant::now();
        let listed = client
            .provisioning()
            .claimed_devices()
            .list()
            .page_limit(100)
            .stream()
            .try_fold(0usize, |n, _| async move { Ok(n + 1) })
            .await
            .expect("list");
        assert_eq!(listed, devices);
        ours.push(start.elapsed());
    }
    ours.sort();
    let ours = ours[1];
    let rate = devices as f64 / ours.as_secs_f64();
    println!(
        "stream of {devices} claimed devices, pages of 100: {:.2} s median of 3, {rate:.0} items/s",
        ours.as_secs_f64()
    );

    let args = [
        "-c".to_owned(),
        PEER.to_owned(),
        sim.provisioning_host().to_owned(),
        sim.api_key().to_owned(),
    ];
    let python = python();
    let mut theirs = Vec::new();
    for _ in 0..3 {
        let (python, args) = (python.clone(), args.clone());
        let out = tokio::task::spawn_blocking(move || Command::new(python).args(args).output())
            .await
            .expect("join");
        let Ok(out) = out else {
            println!("  Python requests loop: not measured (no Python)");
            return;
        };
        let text = String::from_utf8_lossy(&out.stdout);
        let fields: Vec<&str> = text.split_whitespace().collect();
        let (Some(secs), Some(count)) = (
            fields.first().and_then(|s| s.parse::<f64>().ok()),
            fields.get(1).and_then(|s| s.parse::<usize>().ok()),
        ) else {
            println!(
                "  Python requests loop: not measured ({})",
                String::from_utf8_lossy(&out.stderr)
                    .lines()
                    .last()
                    .unwrap_or("no output")
            );
            return;
        };
        assert_eq!(count, devices, "the peer listed every device");
        theirs.push(Duration::from_secs_f64(secs));
    }
    theirs.sort();
    let theirs = theirs[1];
    let peer_rate = devices as f64 / theirs.as_secs_f64();
    println!(
        "  Python requests loop, same pages, same run: {:.2} s, {peer_rate:.0} items/s; ours {:.2}x (goal 2x)",
        theirs.as_secs_f64(),
        rate / peer_rate
    );
}
