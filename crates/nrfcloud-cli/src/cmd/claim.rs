//! `nrfcloud claim`: one device by its token (or the dry-run verdict), or a CSV of them.

use nrfcloud::provisioning::ClaimVerdict;
use serde_json::json;

use super::bulk::{self, configured};
use crate::{
    cli::{Claim, Global},
    config,
    exit::CliError,
    output::Out,
    progress, views,
};

pub async fn run(global: &Global, out: &Out, args: Claim) -> Result<(), CliError> {
    let endpoint = args.bulk_endpoint;
    let conn = config::connect(global, out, |b| b.bulk_claim_endpoint(endpoint))?;
    let provisioning = conn.client.provisioning();
    if let Some(csv) = &args.csv {
        let input = bulk::open(csv)?;
        let bar = progress::rows(out, bulk::rows_of(csv));
        let upload = configured!(
            provisioning.bulk_claim(input).tags(args.tags),
            args.run,
            bar
        );
        return bulk::finish(out, &args.run, &bar, upload.wait().await);
    }
    // clap requires the token when --csv is absent.
    let token = args.token.unwrap_or_default();
    let claim = provisioning.claim(token).tags(args.tags);
    if !args.dry_run {
        let device = claim.send().await?;
        views::print_one(out, &device);
        return Ok(());
    }
    match claim.dry_run().await? {
        ClaimVerdict::Claimable => {
            if out.json() {
                out.json_pretty(&json!({ "claimable": true }));
            } else {
                out.line("claimable");
            }
            Ok(())
        }
        ClaimVerdict::NotClaimable {
            status,
            nrf_code,
            reason,
        } => {
            if out.json() {
                out.json_pretty(&json!({
                    "claimable": false, "status": status, "nrfCode": nrf_code, "reason": reason,
                }));
            } else {
                out.line(format!("not claimable: {reason}"));
            }
            let code = nrf_code
                .map(|c| format!(", nRF code {c}"))
                .unwrap_or_default();
            Err(CliError::Incomplete(format!(
                "the device cannot be claimed (HTTP {status}{code})"
            )))
        }
        _ => Err(CliError::Incomplete("an unknown verdict".into())),
    }
}
