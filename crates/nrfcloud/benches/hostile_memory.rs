//! Peak memory on the worst hostile inputs (printed, never asserted): each case runs in a fresh
//! process against a local server on 127.0.0.1, and its peak resident size (VmHWM) is printed
//! with the input's size, the bound the client promises for it, and the ratio of the two.
//!
//! `cargo bench -p nrfcloud --bench hostile_memory` runs them at full size: 1 GB answers and a
//! 1 GiB CSV row. Under `cargo test` each runs once at a small size, to keep the paths working.
//!
//! The bound of a case is the baseline (the same process making one small call) plus what the
//! client may hold for it: 64 MiB of success body (read, then decoded), 64 KiB of error body,
//! 16 MiB of error summary (read, then parsed), 256 KiB of CSV row, and the report's rows (one
//! `RowReport` each, whose reason is shared by the rows of its request).

use std::{
    io::{self, Read},
    time::Duration,
};

use nrfcloud::bulk::InvalidRows;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
};

const API_KEY: &str = "0123456789abcdef0123456789abcdef01234567";
const OP: &str = "01G4ACS60SAEK1YNGSSJHBEET0";
const MIB: f64 = 1024.0 * 1024.0;

fn peak_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Reads one request's head and body (by Content-Length); returns its request line.
async fn read_request(socket: &mut TcpStream) -> Option<String> {
    let mut data = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    loop {
        let n = socket.read(&mut buf).await.ok().filter(|&n| n > 0)?;
        data.extend_from_slice(&buf[..n]);
        let Some(end) = data.windows(4).position(|w| w == b"\r\n\r\n") else {
            continue;
        };
        let head = String::from_utf8_lossy(&data[..end]).to_ascii_lowercase();
        let length: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0);
        while data.len() < end + 4 + length {
            let n = socket.read(&mut buf).await.ok().filter(|&n| n > 0)?;
            data.extend_from_slice(&buf[..n]);
        }
        return head.lines().next().map(str::to_owned);
    }
}

/// Writes a response head announcing `length` bytes, `start`, then `fill` until `length` bytes
/// are out or the client hangs up.
async fn stream(socket: &mut TcpStream, status: &str, length: u64, start: &[u8], fill: u8) {
    let head = format!(
        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {length}\r\n\r\n"
    );
    if socket.write_all(head.as_bytes()).await.is_err() || socket.write_all(start).await.is_err() {
        return;
    }
    let chunk = vec![fill; 1 << 20];
    let mut left = length.saturating_sub(start.len() as u64);
    while left > 0 {
        let n = left.min(chunk.len() as u64) as usize;
        if socket.write_all(&chunk[..n]).await.is_err() {
            return;
        }
        left -= n as u64;
    }
}

async fn json(socket: &mut TcpStream, status: &str, body: &str) {
    stream(socket, status, body.len() as u64, body.as_bytes(), b' ').await;
}

/// One connection of the hostile server for `case`: `size` is how large its hostile answers are.
async fn serve(mut socket: TcpStream, origin: String, case: &'static str, size: u64) {
    while let Some(line) = read_request(&mut socket).await {
        let op = format!(
            r#"{{"bulkOpsRequestId":"{OP}","endpoint":"CLAIM_DEVICE_OWNERSHIP","status":"FAILED","requestedAt":"2026-01-02T03:04:05.000Z","completedAt":"2026-01-02T03:04:09.000Z","errorSummaryUrl":"{origin}/summary"}}"#
        );
        match line.split_whitespace().take(2).collect::<Vec<_>>()[..] {
            ["get", "/v1/devices"] => {
                json(&mut socket, "200 OK", r#"{"items":[],"total":0}"#).await
            }
            ["get", p] if p.starts_with("/v1/devices?") => {
                stream(&mut socket, "200 OK", size, b"{\"items\":[", b' ').await
            }
            ["post", "/v1/claimed-devices"] if case == "error-body" => {
                stream(
                    &mut socket,
                    "503 Service Unavailable",
                    size,
                    b"<html>",
                    b'x',
                )
                .await
            }
            // Every row of every chunk: an answer that names none of them.
            ["post", "/v1/claimed-devices"] => json(&mut socket, "200 OK", "{}").await,
            ["post", "/v1/claimed-devices/bulk"] => {
                let accepted = format!(r#"{{"bulkOpsRequestId":"{OP}"}}"#);
                json(&mut socket, "202 Accepted", &accepted).await
            }
            ["get", p] if p.starts_with("/v1/bulk-ops-requests/") => {
                json(&mut socket, "200 OK", &op).await
            }
            ["get", "/summary"] => {
                stream(&mut socket, "200 OK", size, b"{\"errors\":[\"[0]: ", b'x').await
            }
            _ => {
                json(
                    &mut socket,
                    "404 Not Found",
                    r#"{"code":40400,"message":"no"}"#,
                )
                .await
            }
        }
    }
}

async fn server(case: &'static str, size: u64) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let origin = format!("http://{}", listener.local_addr().expect("address"));
    let served = origin.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            tokio::spawn(serve(socket, served.clone(), case, size));
        }
    });
    origin
}

/// A CSV of one row that never ends.
struct EndlessRow;

impl Read for EndlessRow {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        out.fill(b'A');
        Ok(out.len())
    }
}

/// `rows` opaque token rows, generated as they are read.
struct Tokens {
    next: u64,
    rows: u64,
    pending: Vec<u8>,
}

impl Read for Tokens {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.pending.len() < out.len() && self.next < self.rows {
            self.pending
                .extend_from_slice(format!("b3BhcXVl{:08}.c2ln\n", self.next).as_bytes());
            self.next += 1;
        }
        let n = out.len().min(self.pending.len());
        out[..n].copy_from_slice(&self.pending[..n]);
        self.pending.drain(..n);
        Ok(n)
    }
}

/// Child process: runs `case` at `size`, then prints `peak_kib outcome…`.
fn child(case: &'static str, size: u64) {
    let outcome = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(async {
            let origin = server(case, size).await;
            let client = nrfcloud::Client::builder()
                .api_key(API_KEY)
                .rest_host(&origin)
                .provisioning_host(&origin)
                .bulk_claim_endpoint(case == "summary")
                .timeout(Duration::from_secs(600))
                .build()
                .expect("client");
            let bulk = |input: Box<dyn Read + Send>| {
                client
                    .provisioning()
                    .bulk_claim(input)
                    .invalid_rows(InvalidRows::Skip)
                    .poll_interval(Duration::from_millis(10))
                    .wait()
            };
            match case {
                "baseline" => match client.devices().list().send().await {
                    Ok(page) => format!("listed {} devices", page.items().len()),
                    Err(e) => format!("error: {e}"),
                },
                "success-body" => match client.devices().list().page_limit(10).send().await {
                    Ok(_) => "decoded (not expected)".to_owned(),
                    Err(e) => format!("error: {e}"),
                },
                "error-body" => match client.provisioning().claim("AAAA.BBBB").send().await {
                    Ok(_) => "claimed (not expected)".to_owned(),
                    Err(e) => {
                        let text = e.to_string();
                        let start: String = text.chars().take(60).collect();
                        format!("error: {start}… ({} characters)", text.chars().count())
                    }
                },
                "summary" => match bulk(Box::new(Tokens {
                    next: 0,
                    rows: 3,
                    pending: Vec::new(),
                }))
                .await
                {
                    Ok(report) => format!("{} rows unconfirmed", report.counts.unconfirmed),
                    Err(e) => format!("error: {e}"),
                },
                "endless-row" => match bulk(Box::new(EndlessRow)).await {
                    Ok(report) => format!("report, {} rows", report.counts.rows),
                    Err(e) => match std::error::Error::source(&e) {
                        Some(why) => format!("error: {e}: {why}"),
                        None => format!("error: {e}"),
                    },
                },
                "unconfirmed-rows" => {
                    let rows = Tokens {
                        next: 0,
                        rows: size,
                        pending: Vec::new(),
                    };
                    match bulk(Box::new(rows)).await {
                        Ok(report) => format!(
                            "{} of {} rows unconfirmed, {} listed in the report",
                            report.counts.unconfirmed,
                            report.counts.rows,
                            report.rows.len()
                        ),
                        Err(e) => format!("error: {e}"),
                    }
                }
                other => panic!("unknown case {other}"),
            }
        });
    println!("{} {outcome}", peak_kib().unwrap_or(0));
}

/// Runs `case` in a fresh process: its peak in MiB and what it printed.
fn measure(case: &str, size: u64) -> Option<(f64, String)> {
    let out = std::process::Command::new(std::env::current_exe().ok()?)
        .args(["--child", case, &size.to_string()])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    let (kib, outcome) = text.split_once(' ')?;
    Some((kib.parse::<f64>().ok()? / 1024.0, outcome.to_owned()))
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--child") {
        let case = args[i + 1].clone().leak();
        child(case, args[i + 2].parse().expect("size"));
        return;
    }
    let full = args.iter().any(|a| a == "--bench");
    let (bytes, rows) = if full {
        (1u64 << 30, 1_000_000)
    } else {
        (4 << 20, 2_000)
    };
    if !full {
        println!("(smoke run under `cargo test`: small inputs; use `cargo bench` for the figures)");
    }
    let Some((baseline, _)) = measure("baseline", 0) else {
        println!("peak memory: not measured (no /proc or no child process)");
        return;
    };
    println!("baseline (runtime, local server, one small call): {baseline:.1} MiB");
    // MiB the client may hold for each case beyond the baseline. A listed report row is one
    // `RowReport` (its reason shared per request), in a Vec that may have grown to twice that.
    let row = 2.0 * std::mem::size_of::<nrfcloud::bulk::RowReport>() as f64;
    let cases: [(&str, &str, u64, f64); 5] = [
        ("success-body", "a 200 list page of", bytes, 2.0 * 64.0),
        ("error-body", "a 503 claim answer of", bytes, 1.0),
        ("summary", "a bulk error summary of", bytes, 2.0 * 16.0),
        ("endless-row", "a CSV row (no newline) of", bytes, 1.0),
        (
            "unconfirmed-rows",
            "unconfirmed claim rows:",
            rows,
            rows as f64 * row / MIB,
        ),
    ];
    for (case, what, size, allowed) in cases {
        let unit = if case == "unconfirmed-rows" {
            "rows"
        } else {
            "bytes"
        };
        match measure(case, size) {
            Some((peak, outcome)) => {
                let limit = baseline + allowed;
                println!(
                    "{what} {size} {unit}: peak {peak:.1} MiB, limit {limit:.1} MiB, ratio {:.2} ({outcome})",
                    peak / limit
                );
            }
            None => println!("{what} {size} {unit}: the child process failed"),
        }
    }
}
