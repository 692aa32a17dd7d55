//! `nrfcloud sim`: the embedded simulator on 127.0.0.1 until Ctrl-C. It prints the variables
//! that point the other commands at it.

use std::time::Duration;

use nrfcloud_sim::{Faults, Simulator};

use crate::{cli::Sim, exit::CliError, output::Out};

pub async fn run(out: &Out, args: Sim) -> Result<(), CliError> {
    let provisioning_port = match args.port {
        0 => 0,
        p => p.checked_add(1).ok_or_else(|| {
            CliError::usage("--port 65535 leaves no room for the provisioning port")
        })?,
    };
    let faults = Faults {
        error_rate: args.error_rate,
        rate_limit_every: args.rate_limit_every,
        rate_limit_per_sec: args.rate_limit_per_sec,
        delay: args.delay_ms.map(Duration::from_millis),
        drop_rate: args.drop_rate,
        ..Faults::default()
    };
    let sim = Simulator::builder()
        .seed(args.seed)
        .rest_port(args.port)
        .provisioning_port(provisioning_port)
        .faults(faults)
        .start()
        .await
        .map_err(|e| CliError::usage(format!("cannot start the simulator: {e}")))?;
    if let (Some(n), Some(path)) = (args.tokens, &args.tokens_out) {
        let file = std::fs::File::create(path)
            .map_err(|e| CliError::usage(format!("cannot create {}: {e}", path.display())))?;
        nrfcloud_sim::tokens::write_claim_csv(file, args.seed, n, &[])
            .map_err(|e| CliError::usage(format!("cannot write {}: {e}", path.display())))?;
    }
    // The simulator's own key: printing it is the point (it opens nothing but this process).
    out.line(format!("export NRFCLOUD_API_HOST={}", sim.rest_host()));
    out.line(format!(
        "export NRFCLOUD_PROVISIONING_HOST={}",
        sim.provisioning_host()
    ));
    out.line(format!("export NRFCLOUD_API_KEY={}", sim.api_key()));
    out.line(format!("export NRFCLOUD_TEAM_ID={}", sim.team_id()));
    out.note("simulator running on 127.0.0.1; Ctrl-C stops it");
    let _ = tokio::signal::ctrl_c().await;
    sim.shutdown().await;
    Ok(())
}
