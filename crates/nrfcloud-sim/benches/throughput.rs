//! Claim and list throughput of the simulator, through its HTTP API.
//!
//! `cargo bench -p nrfcloud-sim` claims 100,000 devices (100 CSV requests of 1000 rows, four
//! in flight) and lists them all with pageLimit 100, then prints the figures. Under
//! `cargo test` (no `--bench` argument) it runs the same path on 2,000 devices as a smoke test.

use std::time::{Duration, Instant};

use nrfcloud_sim::{Simulator, tokens::Minter};

const ROWS: u64 = 1000;

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let devices: u64 = if full { 100_000 } else { 2_000 };
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime")
        .block_on(run(devices));
}

async fn run(devices: u64) {
    let sim = Simulator::builder()
        .seed(1)
        .start()
        .await
        .expect("simulator starts");
    let http = reqwest::Client::new();
    let prov = format!("{}/v1", sim.provisioning_host());
    let key = sim.api_key().to_string();
    let minter = Minter::new(1);

    let started = Instant::now();
    let bodies: Vec<String> = (0..devices / ROWS)
        .map(|chunk| {
            (chunk * ROWS..(chunk + 1) * ROWS)
                .map(|i| format!("{}\n", minter.token(i)))
                .collect()
        })
        .collect();
    let minted = started.elapsed();

    let started = Instant::now();
    let mut requests = tokio::task::JoinSet::new();
    for body in bodies {
        let (http, url, key) = (http.clone(), format!("{prov}/claimed-devices"), key.clone());
        requests.spawn(async move {
            let response = http
                .post(url)
                .bearer_auth(key)
                .header("content-type", "text/csv")
                .body(body)
                .send()
                .await
                .expect("claim request");
            assert_eq!(response.status(), 200);
        });
        while requests.len() >= 4 {
            requests.join_next().await.unwrap().expect("claim task");
        }
    }
    while let Some(done) = requests.join_next().await {
        done.expect("claim task");
    }
    let claimed = started.elapsed();

    let started = Instant::now();
    let (mut listed, mut pages, mut token) = (0u64, 0u64, None::<String>);
    loop {
        let mut url = format!("{prov}/claimed-devices?pageLimit=100");
        if let Some(t) = &token {
            url.push_str("&pageNextToken=");
            url.push_str(t);
        }
        let page: serde_json::Value = http
            .get(url)
            .bearer_auth(&key)
            .send()
            .await
            .expect("list request")
            .json()
            .await
            .expect("list body");
        listed += page["items"].as_array().map_or(0, |i| i.len() as u64);
        pages += 1;
        match page["pageNextToken"].as_str() {
            Some(t) => token = Some(t.to_string()),
            None => break,
        }
    }
    let listing = started.elapsed();
    assert_eq!(listed, devices, "every claimed device is listed once");

    let rate = |n: u64, d: Duration| n as f64 / d.as_secs_f64();
    println!("nrfcloud-sim throughput, {devices} devices");
    println!(
        "  mint tokens   {:>9.0} tokens/s  ({minted:.2?})",
        rate(devices, minted)
    );
    println!(
        "  claim (CSV)   {:>9.0} devices/s ({claimed:.2?}, {} requests of {ROWS})",
        rate(devices, claimed),
        devices / ROWS
    );
    println!(
        "  list          {:>9.0} devices/s ({listing:.2?}, {pages} pages, {:.2} ms/page)",
        rate(listed, listing),
        listing.as_secs_f64() * 1000.0 / pages as f64
    );
    sim.shutdown().await;
}
