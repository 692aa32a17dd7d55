//! The quickstart: claims a generated set of devices end to end and narrates each step.
//!
//! ```sh
//! cargo run -p nrfcloud --example quickstart
//! ```
//!
//! * Without `NRFCLOUD_API_KEY` it starts the embedded simulator (`nrfcloud-sim`) in this
//!   process and runs every step against it: single claim, dry run, bulk claim of 2,500
//!   devices, bulk-operation status, listing, tagging, blocking, unblocking, unclaiming.
//! * With `NRFCLOUD_API_KEY` (and optionally `NRFCLOUD_API_HOST`, `NRFCLOUD_PROVISIONING_HOST`)
//!   it talks to that service. Real claims need real attestation tokens: pass them with
//!   `--csv FILE` (or `NRFCLOUD_CLAIM_CSV`) to bulk-claim them; without them it runs the
//!   read-only steps. It never unclaims or blocks real devices.

use std::{
    error::Error,
    io::{Cursor, IsTerminal, Write},
    path::PathBuf,
    process::ExitCode,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use clap::Parser;
use futures::TryStreamExt;
use nrfcloud::{
    Client,
    bulk::{
        BulkReport,
        csv::{ClaimRecord, ClaimWriter},
    },
};
use nrfcloud_sim::Simulator;

type Result<T> = std::result::Result<T, Box<dyn Error>>;

/// Claims devices end to end, on the embedded simulator or on nRF Cloud.
#[derive(Parser, Debug, Default)]
#[command(name = "quickstart")]
pub struct Args {
    /// Attestation tokens to claim on the real service (claim CSV or attestation_tokens.csv).
    #[arg(long, env = "NRFCLOUD_CLAIM_CSV")]
    pub csv: Option<PathBuf>,
}

/// How many devices the simulated bulk claim generates.
pub const BULK_DEVICES: usize = 2_500;

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let mut out = std::io::stdout();
    let real = std::env::var("NRFCLOUD_API_KEY").is_ok_and(|k| !k.trim().is_empty());
    let result = if real {
        match Client::from_env() {
            Ok(client) => on_nrf_cloud(&client, args.csv, &mut out).await,
            Err(e) => Err(e.into()),
        }
    } else {
        simulated(&mut out).await
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Every step, against a simulator started in this process.
pub async fn simulated(out: &mut impl Write) -> Result<()> {
    let sim = Simulator::builder().seed(1).start().await?;
    writeln!(
        out,
        "No NRFCLOUD_API_KEY: using the embedded simulator (REST API {}, Provisioning Service {}).",
        sim.rest_host(),
        sim.provisioning_host()
    )?;
    // CSV claims go to the bulk endpoint, so step 4 shows bulk operations being followed.
    let client = Client::builder()
        .api_key(sim.api_key())
        .rest_host(sim.rest_host())
        .provisioning_host(sim.provisioning_host())
        .bulk_claim_endpoint(true)
        .build()?;
    writeln!(out, "1. Team: {}", client.account().team_id().await?)?;

    let tokens = sim.claim_tokens(BULK_DEVICES + 2);
    let p = client.provisioning();
    let device = p.claim(&tokens[0]).tags(["quickstart"]).send().await?;
    writeln!(
        out,
        "2. Claimed one device: {} ({}, IMEI {}), tags {:?}",
        device.id,
        device.device_type.as_deref().unwrap_or("?"),
        device.imei.as_deref().unwrap_or("?"),
        device.tags
    )?;
    let verdict = p.claim(&tokens[1]).dry_run().await?;
    writeln!(
        out,
        "3. Dry run of another token: {verdict:?} (nothing claimed)"
    )?;

    // A generated claim CSV, exactly as the service expects it.
    let mut csv = ClaimWriter::new(Vec::new());
    for token in &tokens[2..] {
        csv.write(&ClaimRecord::new(token.as_str()))?;
    }
    let csv = csv.into_inner()?;
    writeln!(
        out,
        "4. Bulk claim of {BULK_DEVICES} generated devices ({} kB of CSV, 1000 rows a request):",
        csv.len() / 1000
    )?;
    let lines = Arc::new(Mutex::new(Vec::new()));
    let progress = lines.clone();
    let started = Instant::now();
    let report = p
        .bulk_claim(Cursor::new(csv))
        .tags(["quickstart", "bulk"])
        .poll_interval(Duration::from_millis(50))
        .on_progress(move |p| {
            progress.lock().unwrap().push(format!(
                "   … {} rows sent, {} claimed, {} failed",
                p.submitted, p.counts.succeeded, p.counts.failed
            ))
        })
        .wait()
        .await?;
    for line in lines.lock().unwrap().iter() {
        writeln!(out, "{line}")?;
    }
    writeln!(
        out,
        "   {report} in {:.2} s",
        started.elapsed().as_secs_f64()
    )?;

    bulk_op_status(&client, &report, out, "5.").await?;

    let started = Instant::now();
    let listed: Vec<_> = p
        .claimed_devices()
        .list()
        .page_limit(100)
        .stream()
        .try_collect()
        .await?;
    writeln!(
        out,
        "6. Listed {} claimed devices, 100 a page, as one stream, in {:.2} s",
        listed.len(),
        started.elapsed().as_secs_f64()
    )?;

    let devices = p.claimed_devices();
    devices
        .set_tags(&device.id, ["quickstart", "shelf-4"])
        .send()
        .await?;
    let tagged = devices.get(&device.id).send().await?;
    writeln!(out, "7. Tagged {}: {:?}", device.id, tagged.tags)?;
    devices.block(&device.id).send().await?;
    let blocked = devices.get(&device.id).send().await?;
    devices.unblock(&device.id).send().await?;
    let unblocked = devices.get(&device.id).send().await?;
    writeln!(
        out,
        "8. Blocked it (status {}), then unblocked it (status {})",
        status(&blocked),
        status(&unblocked)
    )?;
    devices.unclaim(&device.id).send().await?;
    let gone = devices.get(&device.id).send().await;
    writeln!(
        out,
        "9. Unclaimed it; fetching it now: {}",
        match gone {
            Err(e) if e.is_not_found() => "404 Not Found".to_owned(),
            other => format!("{other:?}"),
        }
    )?;
    writeln!(
        out,
        "Done. With NRFCLOUD_API_KEY set, the same program talks to nRF Cloud."
    )?;
    sim.shutdown().await;
    Ok(())
}

fn status(device: &nrfcloud::provisioning::ClaimedDevice) -> String {
    device
        .status
        .as_ref()
        .map_or_else(|| "?".into(), ToString::to_string)
}

async fn bulk_op_status(
    client: &Client,
    report: &BulkReport,
    out: &mut impl Write,
    step: &str,
) -> Result<()> {
    for op in &report.bulk_ops {
        let fetched = client.bulk_ops().get(&op.id).send().await?;
        writeln!(
            out,
            "{step} Bulk operation {} ({}, lines {}-{}): {}, completed {}",
            fetched.id,
            fetched
                .endpoint
                .as_ref()
                .map_or_else(|| "-".to_owned(), |e| e.to_string()),
            op.lines.first,
            op.lines.last,
            fetched.status,
            fetched
                .completed_at
                .map_or_else(|| "-".to_owned(), |t| t.to_rfc3339())
        )?;
    }
    Ok(())
}

/// The steps that make sense on the real service.
pub async fn on_nrf_cloud(
    client: &Client,
    csv: Option<PathBuf>,
    out: &mut impl Write,
) -> Result<()> {
    writeln!(out, "Using nRF Cloud with NRFCLOUD_API_KEY.")?;
    writeln!(out, "1. Team: {}", client.account().team_id().await?)?;
    let page = client.devices().list().page_limit(10).send().await?;
    writeln!(
        out,
        "2. Devices (first page): {}",
        page.items()
            .iter()
            .map(|d| nrfcloud::devices::DeviceExt::id(d).to_owned())
            .collect::<Vec<_>>()
            .join(", ")
    )?;
    let p = client.provisioning();
    let claimed = p.claimed_devices().list().page_limit(10).send().await?;
    writeln!(
        out,
        "3. Claimed devices (first page): {}",
        claimed.items().len()
    )?;
    let Some(csv) = csv else {
        writeln!(
            out,
            "To claim devices, pass --csv FILE (or set NRFCLOUD_CLAIM_CSV): one attestation token \
             per row (AT%ATTESTTOKEN output, optionally followed by \"tag1,tag2\"), or the \
             attestation_tokens.csv that nrfcloud-utils' gather_attestation_tokens writes."
        )?;
        return Ok(());
    };
    let mut claim = p
        .bulk_claim(std::fs::File::open(&csv)?)
        .tags(["quickstart"]);
    let terminal = std::io::stderr().is_terminal();
    if terminal {
        claim = claim.on_progress(|p| {
            eprint!(
                "\r   {} rows sent, {} claimed",
                p.submitted, p.counts.succeeded
            )
        });
    }
    let report = claim.wait().await?;
    if terminal {
        eprintln!();
    }
    writeln!(out, "4. {report}")?;
    for row in &report.rows {
        writeln!(out, "   line {}: {}", row.line, row.outcome)?;
    }
    bulk_op_status(client, &report, out, "5.").await?;
    Ok(())
}
