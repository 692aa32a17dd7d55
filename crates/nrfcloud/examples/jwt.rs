//! Mints a token and prints it (only the token) on stdout.
//!
//! ```text
//! cargo run -p nrfcloud --example jwt -- device  --key KEY.pem --device-id ID [--ttl SECS]
//! cargo run -p nrfcloud --example jwt -- service --key KEY.pem --team-id TEAM [--device-id ID] [--ttl SECS]
//! cargo run -p nrfcloud --example jwt -- app     --key RSA.pem --application-id APP [--ttl SECS]
//! ```
//!
//! Errors go to stderr, with exit code 1.

use std::{path::PathBuf, process::ExitCode, time::Duration};

use clap::{Parser, Subcommand};
use nrfcloud::auth::{ApplicationJwt, AuthError, DeviceJwt, ExposeSecret, PrivateKey, ServiceJwt};

#[derive(Parser)]
#[command(about = "Mint nRF Cloud and Vonage application JWTs")]
struct Args {
    #[command(subcommand)]
    token: Token,
}

#[derive(Subcommand)]
enum Token {
    /// ES256 device JWT (`sub` = device id).
    Device {
        /// P-256 private key, PEM or DER (SEC1 or PKCS#8).
        #[arg(long)]
        key: PathBuf,
        /// Device id: a UUID or nrf-<IMEI>.
        #[arg(long)]
        device_id: String,
        /// Lifetime in seconds (default 600).
        #[arg(long)]
        ttl: Option<u64>,
    },
    /// ES256 service-key (proxy) JWT (`aud` = team id).
    Service {
        /// The service key, PEM or DER.
        #[arg(long)]
        key: PathBuf,
        /// The team id (`team.tenantId` of the account).
        #[arg(long)]
        team_id: String,
        /// Restrict the token to one device (`sub`).
        #[arg(long)]
        device_id: Option<String>,
        /// Lifetime in seconds (default 3600).
        #[arg(long)]
        ttl: Option<u64>,
    },
    /// RS256 Vonage/Nexmo application JWT.
    App {
        /// RSA private key, PEM or DER (PKCS#1 or PKCS#8).
        #[arg(long)]
        key: PathBuf,
        /// The application id.
        #[arg(long)]
        application_id: String,
        /// Lifetime in seconds, 30 to 86400 (default 900).
        #[arg(long)]
        ttl: Option<u64>,
    },
}

fn mint(token: Token) -> Result<String, AuthError> {
    let ttl = |t: Option<u64>| t.map(Duration::from_secs);
    let secret = match token {
        Token::Device {
            key,
            device_id,
            ttl: t,
        } => {
            let mut jwt = DeviceJwt::new(PrivateKey::from_file(key)?, device_id)?;
            if let Some(t) = ttl(t) {
                jwt = jwt.ttl(t);
            }
            jwt.token()?
        }
        Token::Service {
            key,
            team_id,
            device_id,
            ttl: t,
        } => {
            let mut jwt = ServiceJwt::new(PrivateKey::from_file(key)?, team_id)?;
            if let Some(id) = device_id {
                jwt = jwt.device_id(id);
            }
            if let Some(t) = ttl(t) {
                jwt = jwt.ttl(t);
            }
            jwt.token()?
        }
        Token::App {
            key,
            application_id,
            ttl: t,
        } => {
            let mut jwt = ApplicationJwt::new(PrivateKey::from_file(key)?, application_id)?;
            if let Some(t) = ttl(t) {
                jwt = jwt.ttl(t);
            }
            jwt.token()?
        }
    };
    Ok(secret.expose_secret().to_owned())
}

fn main() -> ExitCode {
    let args = Args::parse();
    match mint(args.token) {
        Ok(token) => {
            println!("{token}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
