//! Bulk-claim CSV figures (printed, never asserted): build and validate speed against the
//! Python baseline of peers.md §3.2, and peak memory while streaming a large file.
//!
//! `cargo bench -p nrfcloud --bench claim_csv` runs the full set:
//!
//! * **build + validate**: 100,000 in-memory rows (a 279-character token and the tags
//!   `nrf-cloud-onboarding,factory-line-3`) checked and written as 100 request bodies of 1000
//!   rows, exactly as `claim_devices` does in Python (0.45 s there);
//! * **read + validate + build**: the same rows parsed from an `attestation_tokens.csv`
//!   (duplicates detected too), as Python's end-to-end case (0.72 s there);
//! * **peak memory** (VmHWM, each case in a fresh process) of reading, validating and chunking
//!   100,000 and 1,000,000 rows generated on the fly, and of a whole `bulk_claim().wait()`
//!   against a local endpoint that claims everything.
//!
//! Under `cargo test` (no `--bench` argument) it runs each path once on 2,000 rows.

use std::{
    io::{self, Read},
    time::{Duration, Instant},
};

use nrfcloud::bulk::csv::{ClaimReader, ClaimRecord, ClaimWriter};

const PYTHON_BUILD_S: f64 = 0.453;
const PYTHON_END_TO_END_S: f64 = 0.723;
const TAGS: [&str; 2] = ["nrf-cloud-onboarding", "factory-line-3"];

/// Token `i`: 279 base64url characters, two parts joined by '.', unique per `i`.
fn token(i: u64) -> String {
    let head = format!("2dn3hQFQ{i:012}");
    let mut t = String::with_capacity(279);
    t.push_str(&head);
    while t.len() < 200 {
        t.push_str("UDYxVDkxNGR");
    }
    t.truncate(200);
    t.push('.');
    while t.len() < 279 {
        t.push_str("0oRDoQEmoQRBIfZYQ");
    }
    t.truncate(279);
    t
}

/// An `attestation_tokens.csv` (or, `plain`, a token-per-line claim CSV) generated row by
/// row, never held whole in memory.
struct Generated {
    next: u64,
    rows: u64,
    plain: bool,
    buf: Vec<u8>,
    at: usize,
}

impl Generated {
    fn new(rows: u64) -> Self {
        Self {
            next: 0,
            rows,
            plain: false,
            buf: Vec::new(),
            at: 0,
        }
    }

    fn plain(rows: u64) -> Self {
        Self {
            plain: true,
            ..Self::new(rows)
        }
    }
}

impl Read for Generated {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.at == self.buf.len() {
            if self.next == self.rows {
                return Ok(0);
            }
            self.buf.clear();
            self.at = 0;
            let i = self.next;
            self.next += 1;
            let row = if self.plain {
                format!("{}\n", token(i))
            } else {
                let imei = 352_656_100_000_000 + i;
                let uuid = format!("50363154-3931-4d84-80a3-{i:012x}");
                format!(
                    "{imei},{uuid},{},2025-11-30T10:00:00.000000+00:00\n",
                    token(i)
                )
            };
            self.buf.extend_from_slice(row.as_bytes());
        }
        let n = out.len().min(self.buf.len() - self.at);
        out[..n].copy_from_slice(&self.buf[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

/// Writes `records` as 1000-row bodies; returns the bytes written.
fn build(records: &[ClaimRecord]) -> usize {
    let mut total = 0;
    for batch in records.chunks(1000) {
        let mut w = ClaimWriter::new(Vec::with_capacity(batch.len() * 330));
        for r in batch {
            w.write(r).expect("valid row");
        }
        total += w.into_inner().expect("in memory").len();
    }
    total
}

/// Reads, validates and chunks `input`; returns (rows, bytes written).
fn read_and_build(input: impl Read) -> (u64, usize) {
    let (mut rows, mut total) = (0, 0);
    let mut w = ClaimWriter::new(Vec::with_capacity(1000 * 330));
    let mut in_chunk = 0;
    for row in ClaimReader::new(input) {
        let row = row.expect("valid row");
        w.write(&ClaimRecord::new(row.record.token).tags(TAGS))
            .expect("valid row");
        rows += 1;
        in_chunk += 1;
        if in_chunk == 1000 {
            total += std::mem::replace(&mut w, ClaimWriter::new(Vec::with_capacity(1000 * 330)))
                .into_inner()
                .expect("in memory")
                .len();
            in_chunk = 0;
        }
    }
    total += w.into_inner().expect("in memory").len();
    (rows, total)
}

fn median(mut times: Vec<Duration>) -> (Duration, Duration, Duration) {
    times.sort();
    (times[0], times[times.len() / 2], times[times.len() - 1])
}

fn peak_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// A local claim endpoint that claims every row. It cannot know the device ids, so the input is
/// a plain token CSV whose rows are matched by count.
async fn sink() -> String {
    use axum::{Json, Router, routing::post};
    let app = Router::new().route(
        "/v1/claimed-devices",
        post(|body: bytes::Bytes| async move {
            let rows = body.iter().filter(|&&b| b == b'\n').count();
            let ids: Vec<String> = (0..rows).map(|i| i.to_string()).collect();
            Json(serde_json::json!({ "claimedIds": ids, "failed": [] }))
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let origin = format!("http://{}", listener.local_addr().expect("address"));
    tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
    origin
}

/// Child process: one memory case, then print `rows peak_kib`.
fn memory_child(case: &str, rows: u64) {
    let counted = match case {
        "pipeline" => read_and_build(Generated::new(rows)).0,
        "run" => tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime")
            .block_on(async {
                let origin = sink().await;
                let client = nrfcloud::Client::builder()
                    .api_key("0123456789abcdef0123456789abcdef01234567")
                    .provisioning_host(origin)
                    .build()
                    .expect("client");
                let report = client
                    .provisioning()
                    .bulk_claim(Generated::plain(rows))
                    .tags(TAGS)
                    .invalid_rows(nrfcloud::bulk::InvalidRows::Skip)
                    .wait()
                    .await
                    .expect("run");
                assert_eq!(report.counts.succeeded, rows);
                report.counts.succeeded
            }),
        other => panic!("unknown case {other}"),
    };
    println!("{counted} {}", peak_kib().unwrap_or(0));
}

fn memory(case: &str, rows: u64) -> Option<(u64, f64)> {
    let out = std::process::Command::new(std::env::current_exe().ok()?)
        .args(["--memory-child", case, &rows.to_string()])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let mut it = text.split_whitespace();
    let counted = it.next()?.parse().ok()?;
    let kib: u64 = it.next()?.parse().ok()?;
    Some((counted, kib as f64 / 1024.0))
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--memory-child") {
        memory_child(&args[i + 1], args[i + 2].parse().expect("rows"));
        return;
    }
    let full = args.iter().any(|a| a == "--bench");
    let (rows, runs) = if full { (100_000u64, 9) } else { (2_000, 1) };
    if !full {
        println!(
            "(smoke run under `cargo test`, debug build: the figures mean nothing; use `cargo bench`)"
        );
    }

    let records: Vec<ClaimRecord> = (0..rows)
        .map(|i| ClaimRecord::new(token(i)).tags(TAGS))
        .collect();
    let mut bytes = 0;
    let times: Vec<Duration> = (0..runs)
        .map(|_| {
            let started = Instant::now();
            bytes = build(&records);
            started.elapsed()
        })
        .collect();
    let (min, med, max) = median(times);
    let s = med.as_secs_f64();
    println!(
        "claim CSV, build + validate {rows} rows into 1000-row bodies ({bytes} bytes, {} B/row):",
        bytes as u64 / rows
    );
    println!(
        "  min / median / max: {:.1} / {:.1} / {:.1} ms; {:.0} rows/s; {:.0} MB/s; vs Python 453 ms per 100,000 rows: {:.1}x faster",
        min.as_secs_f64() * 1e3,
        s * 1e3,
        max.as_secs_f64() * 1e3,
        rows as f64 / s,
        bytes as f64 / s / 1e6,
        PYTHON_BUILD_S * (rows as f64 / 100_000.0) / s,
    );

    let mut input = Vec::new();
    Generated::new(rows)
        .read_to_end(&mut input)
        .expect("in memory");
    let times: Vec<Duration> = (0..runs)
        .map(|_| {
            let started = Instant::now();
            let (n, _) = read_and_build(input.as_slice());
            assert_eq!(n, rows);
            started.elapsed()
        })
        .collect();
    let (min, med, max) = median(times);
    let s = med.as_secs_f64();
    println!(
        "attestation_tokens.csv, read + validate (duplicates too) + build, {rows} rows ({} input bytes):",
        input.len()
    );
    println!(
        "  min / median / max: {:.1} / {:.1} / {:.1} ms; {:.0} rows/s; {:.0} MB/s in; vs Python 723 ms per 100,000 rows: {:.1}x faster",
        min.as_secs_f64() * 1e3,
        s * 1e3,
        max.as_secs_f64() * 1e3,
        rows as f64 / s,
        input.len() as f64 / s / 1e6,
        PYTHON_END_TO_END_S * (rows as f64 / 100_000.0) / s,
    );
    drop((records, input));

    let sizes: &[u64] = if full {
        &[100_000, 1_000_000]
    } else {
        &[2_000]
    };
    for case in ["pipeline", "run"] {
        let what = match case {
            "pipeline" => "read + validate + chunk into a sink",
            _ => "bulk_claim().wait() against a local endpoint",
        };
        for &n in sizes {
            match memory(case, n) {
                Some((counted, mib)) => {
                    assert_eq!(counted, n, "every row went through");
                    println!("peak memory (VmHWM), {what}, {n} rows: {mib:.1} MiB")
                }
                None => println!("peak memory, {what}: not measured (no /proc or no child)"),
            }
        }
    }
}
