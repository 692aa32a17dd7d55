//! A Location Services proxy: one client resolves Wi-Fi ground fixes for 10,000 distinct
//! devices, cycling through them for 50,000 requests (32 in flight), each request signed with
//! a service-key JWT whose `sub` is its device, against the simulator on 127.0.0.1.
//!
//! Each case runs in a fresh process (the client only: the simulator runs in this one) with a
//! per-device token cache of 0 (the baseline: a token signed for every request), 1,000 (a
//! tenth of the fleet) and 10,000 (the whole fleet). Printed per case: requests/s and its ratio
//! to the baseline's, tokens minted and the cache's hit rate, tokens held against the capacity,
//! and the peak resident size (VmHWM) with what the cache adds over the baseline per token held,
//! against the 1 KiB `ServiceJwt::device_cache` documents. The token counts are checked (a
//! fleet the cache holds costs one token per device); times and sizes are printed only.
//!
//! `cargo bench -p nrfcloud --bench proxy`; under `cargo test` (without `--bench`) a smoke run
//! of 200 devices and 1,000 requests.

use std::time::{Duration, Instant};

use futures::{StreamExt, TryStreamExt};
use nrfcloud::{
    Client,
    auth::{ExposeSecret, PrivateKey, ServiceJwt},
    location::AccessPoint,
};
use nrfcloud_sim::Simulator;

/// How many requests are in flight at once.
const IN_FLIGHT: usize = 32;
/// The documented cost of one cached token (`ServiceJwt::device_cache`).
const DOCUMENTED_KIB_PER_TOKEN: f64 = 1.0;

fn peak_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// What a child process measured.
struct Case {
    peak_kib: u64,
    seconds: f64,
    minted: u64,
    hits: u64,
    cached: usize,
}

/// Child process: the proxy's run with a cache of `capacity`, then one line of figures.
fn child(args: &[String]) {
    let [origin, team, capacity, devices, requests] = args else {
        panic!("child arguments: origin team capacity devices requests");
    };
    let (capacity, devices, requests): (usize, usize, usize) = (
        capacity.parse().unwrap(),
        devices.parse().unwrap(),
        requests.parse().unwrap(),
    );
    let pem = std::env::var("PROXY_BENCH_SERVICE_KEY").expect("the service key");
    let jwt = ServiceJwt::new(PrivateKey::from_pem(&pem).unwrap(), team.as_str())
        .unwrap()
        .device_cache(capacity);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let (seconds, stats) = runtime.block_on(async {
        let client = Client::builder()
            .rest_host(origin.as_str())
            .jwt(jwt)
            .timeout(Duration::from_secs(60))
            .build()
            .unwrap();
        let ids: Vec<String> = (0..devices).map(|i| format!("nrf-{i:015}")).collect();
        let start = Instant::now();
        futures::stream::iter(0..requests)
            .map(|i| {
                client
                    .location()
                    .ground_fix()
                    .for_device(ids[i % devices].as_str())
                    .wifi(AccessPoint::new(format!(
                        "40:01:7a:{:02x}:{:02x}:22",
                        i % 251,
                        i % 241
                    )))
                    .wifi(AccessPoint::new("e0:1c:41:7a:f2:9d"))
                    .send()
            })
            .buffer_unordered(IN_FLIGHT)
            .try_for_each(|_| async { Ok(()) })
            .await
            .unwrap();
        let seconds = start.elapsed().as_secs_f64();
        (seconds, client.token_cache_stats().unwrap())
    });
    println!(
        "{} {seconds} {} {} {}",
        peak_kib().unwrap_or(0),
        stats.minted,
        stats.hits,
        stats.cached
    );
}

/// Runs a case in a fresh process.
fn measure(
    origin: &str,
    team: &str,
    pem: &str,
    capacity: usize,
    devices: usize,
    requests: usize,
) -> Case {
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--child", origin, team])
        .args([capacity, devices, requests].map(|n| n.to_string()))
        .env("PROXY_BENCH_SERVICE_KEY", pem)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let figures: Vec<&str> = text.split_whitespace().collect();
    let [peak, seconds, minted, hits, cached] = figures[..] else {
        panic!(
            "the cache-{capacity} case failed: {}{}",
            text,
            String::from_utf8_lossy(&out.stderr)
        );
    };
    Case {
        peak_kib: peak.parse().unwrap(),
        seconds: seconds.parse().unwrap(),
        minted: minted.parse().unwrap(),
        hits: hits.parse().unwrap(),
        cached: cached.parse().unwrap(),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--child") {
        child(&args[i + 1..]);
        return;
    }
    let full = args.iter().any(|a| a == "--bench");
    let (devices, requests) = if full { (10_000, 50_000) } else { (200, 1_000) };
    if !full {
        println!(
            "(smoke run under `cargo test`: a small fleet; use `cargo bench` for the figures)"
        );
    }

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let sim = runtime.block_on(Simulator::start()).unwrap();
    let admin = Client::builder()
        .rest_host(sim.rest_host())
        .api_key(sim.api_key())
        .build()
        .unwrap();
    let key = runtime
        .block_on(admin.account().generate_service_key())
        .unwrap();
    let pem = key.key_pem.expose_secret();
    let (origin, team) = (sim.rest_host().to_owned(), sim.team_id().to_owned());

    println!(
        "{devices} devices, {requests} ground fixes, {IN_FLIGHT} in flight, against the simulator on 127.0.0.1"
    );
    let baseline = measure(&origin, &team, pem, 0, devices, requests);
    let baseline_rate = requests as f64 / baseline.seconds;
    for capacity in [0, devices / 10, devices] {
        let case = if capacity == 0 {
            &baseline
        } else {
            &measure(&origin, &team, pem, capacity, devices, requests)
        };
        let rate = requests as f64 / case.seconds;
        let lookups = case.minted + case.hits;
        assert_eq!(lookups as usize, requests, "one token lookup per request");
        assert!(
            case.cached <= capacity,
            "the cache holds at most its capacity"
        );
        if capacity >= devices {
            assert_eq!(case.minted as usize, devices, "one token per device");
        }
        let over = case.peak_kib.saturating_sub(baseline.peak_kib) as f64;
        let per_token = if case.cached > 0 {
            format!(
                ", {:.2} KiB per cached token (documented {DOCUMENTED_KIB_PER_TOKEN}, ratio {:.2})",
                over / case.cached as f64,
                over / case.cached as f64 / DOCUMENTED_KIB_PER_TOKEN
            )
        } else {
            String::new()
        };
        println!(
            "cache {capacity:>6}: {rate:>7.0} requests/s (baseline {baseline_rate:.0}, ratio {:.2}); \
             {} tokens minted, hit rate {:.3}; {} of {capacity} held; peak {:.1} MiB{per_token}",
            rate / baseline_rate,
            case.minted,
            case.hits as f64 / lookups as f64,
            case.cached,
            case.peak_kib as f64 / 1024.0,
        );
    }
    runtime.block_on(sim.shutdown());
}
