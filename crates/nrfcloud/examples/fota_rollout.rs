//! A FOTA rollout: upload a bundle, create a job for a tag, follow it with progress, and print
//! one line per device that did not update. The last line on stdout is
//! `fota: N devices, S succeeded, F failed, T timed out, R rejected, C cancelled, P pending`;
//! the exit code is 1 when any device did not succeed.
//!
//! ```sh
//! cargo run -p nrfcloud --example fota_rollout -- --devices 20 --fail 3
//! NRFCLOUD_API_KEY=… cargo run -p nrfcloud --example fota_rollout -- --zip app.zip --version 1.4.0 --tag field-test
//! ```
//!
//! Without `NRFCLOUD_API_KEY` it runs against the embedded simulator: `--devices N` devices
//! (default 20) tagged `rollout` are onboarded, and `--fail K` of them are seeded to end FAILED,
//! TIMED_OUT and REJECTED in turn.

use std::{
    error::Error,
    io::{Cursor, Write},
    path::PathBuf,
    process::ExitCode,
    time::Duration,
};

use clap::Parser;
use nrfcloud::{Client, fota::RolloutReport};
use nrfcloud_sim::{Faults, FotaOutcome, Simulator};

type Result<T> = std::result::Result<T, Box<dyn Error>>;

/// Rolls out a firmware bundle to a tag and reports each device.
#[derive(Parser, Debug)]
pub struct Args {
    /// The bundle zip (default on the simulator: a generated one).
    #[arg(long)]
    pub zip: Option<PathBuf>,
    /// The bundle's fwversion.
    #[arg(long, default_value = "1.0.0")]
    pub version: String,
    /// The tag to roll out to.
    #[arg(long, default_value = "rollout")]
    pub tag: String,
    /// Simulator only: the fleet size.
    #[arg(long, default_value_t = 20)]
    pub devices: usize,
    /// Simulator only: devices whose update fails (FAILED, TIMED_OUT, REJECTED in turn).
    #[arg(long, default_value_t = 0)]
    pub fail: usize,
    /// Give up following the job after this many seconds.
    #[arg(long, default_value_t = 3600)]
    pub deadline: u64,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let real = std::env::var("NRFCLOUD_API_KEY").is_ok_and(|k| !k.trim().is_empty());
    let outcome = if real {
        match Client::from_env() {
            Ok(client) => rollout(&client, &args, None, &mut std::io::stdout()).await,
            Err(e) => Err(e.into()),
        }
    } else {
        simulated(&args, &mut std::io::stdout()).await
    };
    match outcome {
        Ok(report) if report.all_succeeded() => ExitCode::SUCCESS,
        Ok(_) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The rollout against a simulator started in this process; the report lines go to `out`.
pub async fn simulated(args: &Args, out: &mut impl Write) -> Result<RolloutReport> {
    let ids: Vec<String> = (0..args.devices)
        .map(|i| format!("nrf-35265610{i:07}"))
        .collect();
    let outcomes = [
        FotaOutcome::Failed,
        FotaOutcome::TimedOut,
        FotaOutcome::Rejected,
    ];
    let faults = Faults {
        fota_outcomes: ids
            .iter()
            .take(args.fail)
            .zip(outcomes.iter().cycle())
            .map(|(id, o)| (id.clone(), *o))
            .collect(),
        ..Faults::default()
    };
    let sim = Simulator::builder()
        .seed(1)
        .step(Duration::from_millis(200))
        .faults(faults)
        .start()
        .await?;
    eprintln!(
        "No NRFCLOUD_API_KEY: using the embedded simulator ({}).",
        sim.rest_host()
    );
    let client = Client::builder()
        .rest_host(sim.rest_host())
        .provisioning_host(sim.provisioning_host())
        .api_key(sim.api_key())
        .build()?;
    let pem = include_str!("../tests/fixtures/keys/ec-p256-public.pem").trim_end();
    let csv: String = ids
        .iter()
        .map(|id| format!("{id},nrf9151,{},APP,\"{pem}\"\n", args.tag))
        .collect();
    let onboarded = client
        .onboarding()
        .bulk_csv(Cursor::new(csv))
        .poll_interval(Duration::from_millis(50))
        .wait()
        .await?;
    eprintln!("onboarded {} devices tagged {:?}", args.devices, args.tag);
    if !onboarded.is_success() {
        return Err(format!("onboarding failed: {onboarded}").into());
    }
    rollout(&client, args, Some(demo_zip()?), out).await
}

/// A bundle zip in the shape Zephyr builds (`dfu_application.zip`, no `fwversion`).
fn demo_zip() -> Result<Vec<u8>> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default();
    zip.start_file("manifest.json", options)?;
    zip.write_all(br#"{"format-version": 0, "name": "demo", "files": [{"type": "application", "file": "app_update.bin", "size": 16}]}"#)?;
    zip.start_file("app_update.bin", options)?;
    zip.write_all(&[0xA5; 16])?;
    Ok(zip.finish()?.into_inner())
}

/// Uploads, creates the job for the tag, follows it (progress on stderr), and writes one line
/// per device that did not succeed and the `fota:` line to `out`.
async fn rollout(
    client: &Client,
    args: &Args,
    zip: Option<Vec<u8>>,
    out: &mut impl Write,
) -> Result<RolloutReport> {
    let zip = match (zip, &args.zip) {
        (_, Some(path)) => std::fs::read(path)?,
        (Some(zip), None) => zip,
        (None, None) => return Err("pass the bundle with --zip".into()),
    };
    let fota = client.fota();
    let bundle = fota
        .bundles()
        .upload(zip)
        .version(&args.version)
        .send()
        .await?
        .bundle;
    eprintln!("uploaded bundle {}", bundle.id);
    let job_id = fota
        .jobs()
        .create(&bundle.id)
        .tags([&args.tag])
        .send()
        .await?;
    eprintln!("created job {job_id} for tag {:?}", args.tag);
    let report = fota
        .jobs()
        .wait(&job_id)
        .poll_interval(Duration::from_secs(if args.zip.is_some() { 5 } else { 1 }))
        .deadline(Duration::from_secs(args.deadline))
        .on_progress(|p| eprintln!("{}: {}", p.job.status, p.counts))
        .send()
        .await?;
    for e in report.not_succeeded() {
        writeln!(
            out,
            "{}: {} {}",
            e.device_id,
            e.status,
            e.status_detail.as_deref().unwrap_or("")
        )?;
    }
    writeln!(out, "fota: {}", report.counts())?;
    Ok(report)
}
