//! `NRFCLOUD_API_KEY=… NRFCLOUD_CLAIM_TOKEN=… NRFCLOUD_DEVICE_KEY=key.pem cargo run`

use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let client = nrfcloud::Client::from_env()?;
    let token = std::env::var("NRFCLOUD_CLAIM_TOKEN").map_err(|_| "set NRFCLOUD_CLAIM_TOKEN")?;
    let key_path = std::env::var("NRFCLOUD_DEVICE_KEY").map_err(|_| "set NRFCLOUD_DEVICE_KEY")?;
    let key = std::fs::read_to_string(&key_path).map_err(|e| format!("{key_path}: {e}"))?;
    let tour = nrfcloud_consumer::tour(&client, &token, &key).await?;
    println!("claimed {}", tour.claimed_id);
    println!("{} claimed devices", tour.claimed_devices);
    println!("signed a device JWT for {}", tour.claimed_id);
    Ok(())
}
