//! `nrfcloud location …`: a device's ground fix and A-GNSS data, and the location history.
//!
//! Fixes and A-GNSS take no API key: they are signed with `--service-key` (a JWT per device,
//! `aud` = the API key's team), the Organization Auth Token of `NRFCLOUD_OAT` with
//! `--organization`, or else the team's service evaluation token, fetched with the API key.
//! History takes the API key.

use nrfcloud::{
    Client,
    auth::{ExposeSecret, PrivateKey, ServiceJwt},
    location::{AccessPoint, LteCell},
    messages::SortOrder,
};

use crate::{
    cli::{Global, Location as Command, LocationCredential},
    config::{self, Connection},
    exit::CliError,
    output::Out,
    views,
};

pub async fn run(global: &Global, out: &Out, args: Command) -> Result<(), CliError> {
    let conn = config::connect(global, out, |b| b)?;
    match args {
        Command::GroundFix {
            credential,
            cell,
            wifi,
        } => {
            let client = signed(&conn, &credential).await?;
            let mut fix = client.location().ground_fix();
            if let Some(device) = credential.device {
                fix = fix.for_device(device);
            }
            if let Some((mcc, mnc, tac, eci)) = cell {
                fix = fix.lte(LteCell::new(mcc, mnc, tac, eci));
            }
            for mac in wifi {
                fix = fix.wifi(AccessPoint::new(mac));
            }
            views::print_one(out, &fix.send().await?);
        }
        Command::Agnss {
            credential,
            cell,
            out: path,
        } => {
            let client = signed(&conn, &credential).await?;
            let mut agnss = client.location().agnss();
            if let Some(device) = credential.device {
                agnss = agnss.for_device(device);
            }
            if let Some((mcc, mnc, tac, eci)) = cell {
                agnss = agnss.cell(mcc, mnc, tac, eci);
            }
            let data = agnss.send().await?;
            std::fs::write(&path, &data)
                .map_err(|e| CliError::usage(format!("{}: {e}", path.display())))?;
            if out.quiet() {
                out.line(data.len().to_string());
            } else {
                out.note(format!(
                    "a-gnss: {} bytes written to {}",
                    data.len(),
                    path.display()
                ));
            }
        }
        Command::History {
            device,
            since,
            until,
            oldest_first,
        } => {
            let mut list = conn.client.location().history();
            if let Some(d) = device {
                list = list.device_id(d);
            }
            if let (Some(start), Some(end)) = (since, until) {
                list = list.between(start, end);
            }
            if oldest_first {
                list = list.sort(SortOrder::Ascending);
            }
            views::print_list(out, "fixes", list.stream()).await?;
        }
        Command::DeleteHistory { device_id, id } => {
            conn.client
                .location()
                .delete_history(&device_id, &id)
                .await?;
            out.note(format!("{device_id}: fix {id} deleted"));
        }
    }
    Ok(())
}

/// The client a ground fix or A-GNSS request is signed with (see the module docs).
async fn signed(conn: &Connection, credential: &LocationCredential) -> Result<Client, CliError> {
    if let Some(path) = &credential.service_key {
        let key = PrivateKey::from_file(path)
            .map_err(|e| CliError::usage(format!("{}: {e}", path.display())))?;
        let team = conn.client.account().team_id().await?;
        let jwt = ServiceJwt::new(key, team).map_err(|e| CliError::usage(e.to_string()))?;
        return conn.client_with(|b| b.jwt(jwt));
    }
    if let Some([org, project]) = credential.organization.as_deref() {
        let oat = std::env::var("NRFCLOUD_OAT")
            .ok()
            .filter(|t| !t.trim().is_empty())
            .ok_or_else(|| {
                CliError::usage("--organization needs the Organization Auth Token in NRFCLOUD_OAT")
            })?;
        return conn.client_with(|b| {
            b.organization_token(oat.trim().to_owned())
                .organization(org, project)
        });
    }
    let evaluation = match conn.client.account().evaluation_token().await {
        Err(e) if e.is_not_found() => {
            return Err(CliError::usage(
                "the team has no service evaluation token: pass --service-key FILE, or \
                 --organization ORG PROJECT with NRFCLOUD_OAT",
            ));
        }
        other => other?,
    };
    let token = evaluation.token.expose_secret().to_owned();
    conn.client_with(|b| b.service_evaluation_token(token))
}
