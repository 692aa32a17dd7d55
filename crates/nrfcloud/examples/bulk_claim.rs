//! Claims every device of a CSV file: validated first, sent 1000 rows a request with bounded
//! concurrency, followed to the service's answer, reported row by row.
//!
//! ```sh
//! export NRFCLOUD_API_KEY=…            # NRFCLOUD_API_HOST / NRFCLOUD_PROVISIONING_HOST for a simulator
//! cargo run -p nrfcloud --example bulk_claim -- --csv attestation_tokens.csv \
//!     --tags nrf-cloud-onboarding --report report.json --journal claim.journal
//! ```
//!
//! The input is a claim CSV (`token[,"tag1,tag2"]`) or nrfcloud-utils' `attestation_tokens.csv`.
//! Prints one summary line on stdout and the rows that need attention on stderr. Exit status: 0
//! when every row is claimed (now or by an earlier run with the same journal), 1 when any row
//! failed, was invalid, is unconfirmed or was not submitted, 2 when the run could not start.
//! Tokens are never printed.

use std::{
    error::Error,
    io::{IsTerminal, Write},
    path::PathBuf,
    process::ExitCode,
    time::Duration,
};

use clap::Parser;
use nrfcloud::{
    Client, ClientBuilder,
    bulk::{BulkReport, InvalidRows},
};

/// Claims the devices of a CSV file on nRF Cloud.
#[derive(Parser, Debug)]
#[command(name = "bulk_claim")]
pub struct Args {
    /// The claim CSV: `token[,"tag1,tag2"]` rows, or nrfcloud-utils' attestation_tokens.csv.
    #[arg(long)]
    pub csv: PathBuf,
    /// Provisioning tags added to every row, comma-separated.
    #[arg(long, value_delimiter = ',')]
    pub tags: Vec<String>,
    /// Writes the report as JSON to this file.
    #[arg(long)]
    pub report: Option<PathBuf>,
    /// Records confirmed rows here; running again with it sends only the rest.
    #[arg(long)]
    pub journal: Option<PathBuf>,
    /// Requests in flight at once.
    #[arg(long, default_value_t = 4)]
    pub concurrency: usize,
    /// Uploads the valid rows and reports the invalid ones (default: upload nothing if any row
    /// is invalid).
    #[arg(long)]
    pub skip_invalid: bool,
    /// Sends to /claimed-devices/bulk, which answers with a bulk operation to follow.
    #[arg(long)]
    pub bulk_endpoint: bool,
    /// Gives up after this many seconds.
    #[arg(long, default_value_t = 3600)]
    pub deadline: u64,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let client = match ClientBuilder::from_env()
        .bulk_claim_endpoint(args.bulk_endpoint)
        .build()
    {
        Ok(client) => client,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    run(client, args, &mut std::io::stdout()).await
}

/// The whole command, writing its summary line to `out`.
pub async fn run(client: Client, args: Args, out: &mut impl Write) -> ExitCode {
    let file = match std::fs::File::open(&args.csv) {
        Ok(file) => file,
        Err(e) => {
            eprintln!("error: cannot open {}: {e}", args.csv.display());
            return ExitCode::from(2);
        }
    };
    let mut claim = client
        .provisioning()
        .bulk_claim(file)
        .tags(args.tags)
        .concurrency(args.concurrency)
        .deadline(Duration::from_secs(args.deadline))
        .invalid_rows(if args.skip_invalid {
            InvalidRows::Skip
        } else {
            InvalidRows::Abort
        });
    if let Some(journal) = &args.journal {
        claim = claim.journal(journal);
    }
    if std::io::stderr().is_terminal() {
        claim = claim.on_progress(|p| {
            eprint!(
                "\r{} rows sent, {} claimed, {} failed, {} invalid",
                p.submitted, p.counts.succeeded, p.counts.failed, p.counts.invalid
            );
        });
    }
    let (report, error) = match claim.wait().await {
        Ok(report) => (report, None),
        Err(e) => match e.bulk_report().cloned() {
            Some(report) => (report, Some(e)),
            None => {
                eprintln!("error: {}", chain(&e));
                return ExitCode::from(2);
            }
        },
    };
    if std::io::stderr().is_terminal() {
        eprintln!();
    }
    print_rows(&report);
    if let Some(e) = &error {
        eprintln!("error: {}", chain(e));
    }
    let _ = writeln!(out, "{report}");
    if let Some(path) = &args.report {
        let written = std::fs::File::create(path)
            .map_err(|e| e.to_string())
            .and_then(|f| serde_json::to_writer_pretty(f, &report).map_err(|e| e.to_string()));
        if let Err(e) = written {
            eprintln!("error: cannot write the report to {}: {e}", path.display());
            return ExitCode::from(2);
        }
    }
    if error.is_none() && report.is_success() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// The first rows that need attention, on stderr.
fn print_rows(report: &BulkReport) {
    const SHOWN: usize = 20;
    for row in report.rows.iter().take(SHOWN) {
        eprintln!("line {}: {}", row.line, row.outcome);
    }
    if report.rows.len() > SHOWN {
        eprintln!(
            "… and {} more rows (see --report)",
            report.rows.len() - SHOWN
        );
    }
    for range in report.not_submitted.iter().take(SHOWN) {
        eprintln!("lines {}-{}: not submitted", range.first, range.last);
    }
}

/// An error and its causes, on one line.
fn chain(e: &dyn Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
