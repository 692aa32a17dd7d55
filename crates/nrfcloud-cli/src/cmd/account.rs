//! `nrfcloud account`: the team, the hosts and where the credential comes from.

use serde_json::json;

use crate::{cli::Global, config, exit::CliError, output::Out};

pub async fn run(global: &Global, out: &Out) -> Result<(), CliError> {
    let conn = config::connect(global, out, |b| b)?;
    let account = conn.client.account().get().send().await?;
    let team = account.team.as_ref();
    let team_id = team.and_then(|t| t.tenant_id.clone()).unwrap_or_default();
    let team_name = team.and_then(|t| t.name.clone()).unwrap_or_default();
    if out.json() {
        out.json_pretty(&json!({
            "teamId": team_id,
            "teamName": team_name,
            "restHost": conn.rest_host,
            "provisioningHost": conn.provisioning_host,
            "credential": conn.key_source.to_string(),
            "mqttEndpoint": account.mqtt_endpoint,
        }));
    } else if out.quiet() {
        out.line(team_id);
    } else {
        out.line(format!("team:              {team_name} ({team_id})"));
        out.line(format!("REST host:         {}", conn.rest_host));
        out.line(format!("provisioning host: {}", conn.provisioning_host));
        out.line(format!("credential:        {}", conn.key_source));
    }
    Ok(())
}
