//! A Location Services proxy's two calls for one device: a ground fix from its LTE cell and
//! Wi-Fi access points, and A-GNSS assistance data (sized by `HEAD`, fetched in ranges). The
//! last line on stdout is `location: <lat>,<lon> ±<meters> m (<fulfilledWith>)`.
//!
//! ```sh
//! cargo run -p nrfcloud --example location
//! cargo run -p nrfcloud --example location -- --service-key service-key.pem --team-id <team>
//! NRFCLOUD_OAT=… cargo run -p nrfcloud --example location -- --org <org> --project <project>
//! ```
//!
//! * Without a credential it starts the embedded simulator, generates the team's service key
//!   there, and signs the requests with it.
//! * `--service-key FILE --team-id T`: a service-key JWT with `sub` = the device. Without
//!   `--team-id`, the team of `NRFCLOUD_API_KEY` is read from the account.
//! * `--oat TOKEN` (or `NRFCLOUD_OAT`) with `--org` and `--project`: the organization URLs.
//!
//! `NRFCLOUD_API_HOST` overrides the REST host. The example never generates a key on nRF Cloud
//! (that would replace the team's current one).

use std::{error::Error, io::Write, path::PathBuf, process::ExitCode};

use clap::Parser;
use nrfcloud::{
    Client,
    auth::{ExposeSecret, PrivateKey, ServiceJwt},
    location::{AccessPoint, Fix, LteCell, Neighbor},
};
use nrfcloud_sim::Simulator;

type Result<T> = std::result::Result<T, Box<dyn Error>>;

/// Resolves one device's position and fetches its A-GNSS data.
#[derive(Parser, Debug)]
#[command(name = "location")]
pub struct Args {
    /// The service key (PEM) to sign per-device JWTs with.
    #[arg(long)]
    pub service_key: Option<PathBuf>,
    /// The team id (the JWTs' `aud`).
    #[arg(long)]
    pub team_id: Option<String>,
    /// An Organization Auth Token.
    #[arg(
        long,
        env = "NRFCLOUD_OAT",
        hide_env_values = true,
        conflicts_with = "service_key"
    )]
    pub oat: Option<String>,
    /// The organization of the OAT.
    #[arg(long, env = "NRFCLOUD_ORG", requires = "oat")]
    pub org: Option<String>,
    /// The project of the OAT.
    #[arg(long, env = "NRFCLOUD_PROJECT", requires = "oat")]
    pub project: Option<String>,
    /// The device the requests serve.
    #[arg(long, default_value = "nrf-352656100123456")]
    pub device: String,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let mut out = std::io::stdout();
    let result = match (&args.service_key, &args.oat) {
        (None, None) => simulated(&args.device, &mut out).await,
        _ => match real_client(&args).await {
            Ok(client) => resolve(&client, &args.device, &mut out).await,
            Err(e) => Err(e),
        },
    };
    match result {
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The client of `--service-key` or `--oat`, for nRF Cloud (or `NRFCLOUD_API_HOST`).
async fn real_client(args: &Args) -> Result<Client> {
    let host = std::env::var("NRFCLOUD_API_HOST")
        .ok()
        .filter(|h| !h.trim().is_empty())
        .unwrap_or_else(|| Client::DEFAULT_REST_HOST.to_owned());
    let builder = Client::builder().rest_host(host);
    if let Some(oat) = &args.oat {
        let (Some(org), Some(project)) = (&args.org, &args.project) else {
            return Err(
                "an OAT needs --org and --project (or NRFCLOUD_ORG, NRFCLOUD_PROJECT)".into(),
            );
        };
        return Ok(builder
            .organization_token(oat.clone())
            .organization(org, project)
            .build()?);
    }
    let path = args.service_key.as_ref().expect("a service key or an OAT");
    let team = match &args.team_id {
        Some(team) => team.clone(),
        None => match Client::from_env() {
            Ok(admin) => admin.account().team_id().await?,
            Err(_) => {
                return Err(
                    "--service-key needs --team-id (or NRFCLOUD_API_KEY to look it up)".into(),
                );
            }
        },
    };
    let jwt = ServiceJwt::new(PrivateKey::from_file(path)?, team)?;
    Ok(builder.jwt(jwt).build()?)
}

/// Both calls against a simulator started in this process, with a service key generated there.
pub async fn simulated(device: &str, out: &mut impl Write) -> Result<Fix> {
    let sim = Simulator::start().await?;
    writeln!(
        out,
        "No credential given: using the embedded simulator ({}).",
        sim.rest_host()
    )?;
    let admin = Client::builder()
        .rest_host(sim.rest_host())
        .api_key(sim.api_key())
        .build()?;
    let key = admin.account().generate_service_key().await?;
    let jwt = ServiceJwt::new(
        PrivateKey::from_pem(key.key_pem.expose_secret())?,
        sim.team_id(),
    )?;
    let client = Client::builder()
        .rest_host(sim.rest_host())
        .jwt(jwt)
        .build()?;
    let fix = resolve(&client, device, out).await?;
    sim.shutdown().await;
    Ok(fix)
}

/// The ground fix and the A-GNSS data for `device`; prints both, the fix last.
pub async fn resolve(client: &Client, device: &str, out: &mut impl Write) -> Result<Fix> {
    let location = client.location();
    let assistance = location
        .agnss()
        .for_device(device)
        .cell(242, 1, 2305, 33_703_712);
    let size = assistance.size().await?;
    let data = assistance.fragment_size(1024).send().await?;
    writeln!(
        out,
        "a-gnss: {} bytes for {device} (HEAD said {size})",
        data.len()
    )?;
    let fix = location
        .ground_fix()
        .for_device(device)
        .lte(
            LteCell::new(242, 1, 2305, 33_703_712)
                .earfcn(6300)
                .pci(113)
                .rsrp(-97.0)
                .neighbor(Neighbor::new(6400, 301).rsrp(-105.0)),
        )
        .wifi(AccessPoint::new("40:01:7a:c9:10:22").signal_strength(-58))
        .wifi(AccessPoint::new("e0:1c:41:7a:f2:9d").signal_strength(-74))
        .send()
        .await?;
    writeln!(
        out,
        "location: {},{} ±{} m ({})",
        fix.lat, fix.lon, fix.uncertainty, fix.fulfilled_with
    )?;
    Ok(fix)
}
