//! `nrfcloud-sim`: serve the simulator, or write claim tokens for it.

use std::{fs::File, io, path::PathBuf, process::ExitCode, time::Duration};

use clap::{Args, Parser, Subcommand};
use nrfcloud_sim::{Faults, Simulator};

#[derive(Parser)]
#[command(version, about = "A local, stateful nRF Cloud simulator")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve both APIs on 127.0.0.1 until Ctrl-C; print their hosts, the API key, the team id,
    /// and the Organization Auth Token, organization and project as NAME=value lines.
    Serve(Serve),
    /// Write a claim CSV of tokens valid for a simulator started with the same seed.
    Tokens(Tokens),
}

#[derive(Args)]
struct Serve {
    /// Port of the REST API (0: any free port).
    #[arg(long, default_value_t = 8080)]
    port: u16,
    /// Port of the provisioning API [default: PORT + 1, or any free port when PORT is 0].
    #[arg(long)]
    provisioning_port: Option<u16>,
    /// Seed of ids, keys, claim tokens and faults.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// The team's API key [default: derived from the seed].
    #[arg(long)]
    api_key: Option<String>,
    /// Duration of each bulk-operation and command step, in milliseconds.
    #[arg(long, default_value_t = 40)]
    step_ms: u64,
    #[command(flatten)]
    faults: FaultArgs,
}

#[derive(Args)]
struct FaultArgs {
    /// Fraction of requests answered 500 or 503.
    #[arg(long, default_value_t = 0.0)]
    error_rate: f64,
    /// Answer every Nth request 429.
    #[arg(long)]
    rate_limit_every: Option<u32>,
    /// Retry-After of those 429s, in seconds.
    #[arg(long, default_value_t = 1)]
    retry_after: u64,
    /// A token bucket of R requests per second: requests that find it empty get 429.
    #[arg(long, value_name = "R")]
    rate_limit_per_sec: Option<f64>,
    /// The bucket's size [default: R, rounded up].
    #[arg(
        long,
        value_name = "N",
        default_value_t = 0,
        requires = "rate_limit_per_sec"
    )]
    rate_limit_burst: u32,
    /// Delay every request by this many milliseconds.
    #[arg(long)]
    delay_ms: Option<u64>,
    /// Fraction of requests whose connection is dropped without a response.
    #[arg(long, default_value_t = 0.0)]
    drop_rate: f64,
    /// After N page requests succeed, fail the next one with 500 (once).
    #[arg(long)]
    fail_page_after: Option<u32>,
    /// 0-based rows that fail in every bulk operation, e.g. 0,5.
    #[arg(long, value_delimiter = ',')]
    bulk_fail_rows: Vec<usize>,
    /// Serve error summaries in the legacy 1-based format.
    #[arg(long)]
    legacy_error_summary: bool,
}

impl From<FaultArgs> for Faults {
    fn from(a: FaultArgs) -> Self {
        Faults {
            error_rate: a.error_rate,
            rate_limit_every: a.rate_limit_every,
            retry_after_secs: a.retry_after,
            rate_limit_per_sec: a.rate_limit_per_sec,
            rate_limit_burst: a.rate_limit_burst,
            delay: a.delay_ms.map(Duration::from_millis),
            drop_rate: a.drop_rate,
            fail_page_after: a.fail_page_after,
            bulk_fail_rows: a.bulk_fail_rows,
            legacy_error_summary: a.legacy_error_summary,
            ..Faults::default()
        }
    }
}

#[derive(Args)]
struct Tokens {
    /// Number of tokens (rows).
    #[arg(long)]
    count: u64,
    /// Seed of the simulator the tokens are for.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Tags for every row (column 2), comma-separated.
    #[arg(long, value_delimiter = ',')]
    tags: Vec<String>,
    /// Output file [default: stdout].
    #[arg(long)]
    out: Option<PathBuf>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(args) => serve(args),
        Command::Tokens(args) => tokens(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("nrfcloud-sim: {message}");
            ExitCode::FAILURE
        }
    }
}

fn serve(args: Serve) -> Result<(), String> {
    tracing_subscriber::fmt()
        .with_writer(io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "nrfcloud_sim=info".into()),
        )
        .init();
    let provisioning_port = match (args.provisioning_port, args.port) {
        (Some(p), _) => p,
        (None, 0) => 0,
        (None, p) => p.checked_add(1).ok_or(
            "--port 65535 leaves no room for the provisioning port; give --provisioning-port",
        )?,
    };
    let runtime = tokio::runtime::Runtime::new().map_err(|e| format!("cannot start tokio: {e}"))?;
    runtime.block_on(async {
        let mut builder = Simulator::builder()
            .seed(args.seed)
            .rest_port(args.port)
            .provisioning_port(provisioning_port)
            .step(Duration::from_millis(args.step_ms))
            .faults(args.faults.into());
        if let Some(key) = args.api_key {
            builder = builder.api_key(key);
        }
        let sim = builder.start().await.map_err(|e| error_chain(&e))?;
        println!("NRFCLOUD_API_HOST={}", sim.rest_host());
        println!("NRFCLOUD_PROVISIONING_HOST={}", sim.provisioning_host());
        println!("NRFCLOUD_API_KEY={}", sim.api_key());
        println!("NRFCLOUD_TEAM_ID={}", sim.team_id());
        println!("NRFCLOUD_OAT={}", sim.organization_token());
        println!("NRFCLOUD_ORG={}", sim.organization());
        println!("NRFCLOUD_PROJECT={}", sim.project());
        tokio::signal::ctrl_c()
            .await
            .map_err(|e| format!("cannot wait for Ctrl-C: {e}"))?;
        sim.shutdown().await;
        Ok(())
    })
}

fn tokens(args: Tokens) -> Result<(), String> {
    let result = match &args.out {
        Some(path) => {
            let file =
                File::create(path).map_err(|e| format!("cannot create {}: {e}", path.display()))?;
            nrfcloud_sim::tokens::write_claim_csv(file, args.seed, args.count, &args.tags)
        }
        None => nrfcloud_sim::tokens::write_claim_csv(
            io::stdout().lock(),
            args.seed,
            args.count,
            &args.tags,
        ),
    };
    result.map_err(|e| format!("cannot write the CSV: {e}"))
}

/// `error: cause: cause` for the user.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}
