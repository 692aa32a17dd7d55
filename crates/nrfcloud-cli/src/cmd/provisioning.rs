//! `nrfcloud provisioning …`: a device's commands (list, create, wait) and the rules (list,
//! ensure-onboarding).

use std::time::Duration;

use futures::TryStreamExt;
use nrfcloud::provisioning::{
    Command, CommandStatus, ProvisioningCommand, ProvisioningCommands, RuleSpec,
};

use super::follow;
use crate::{
    cli::{CommandKind, Commands, Global, Provisioning, Rules},
    config,
    exit::CliError,
    output::Out,
    views,
};

pub async fn run(global: &Global, out: &Out, args: Provisioning) -> Result<(), CliError> {
    let conn = config::connect(global, out, |b| b)?;
    let provisioning = conn.client.provisioning();
    match args {
        Provisioning::Commands(Commands::List { device_id }) => {
            let list = provisioning.commands(device_id).list();
            views::print_list(out, "commands", list.stream()).await?;
            Ok(())
        }
        Provisioning::Commands(Commands::Create {
            device_id,
            kind,
            sec_tag,
            certificate,
            attributes,
            description,
            wait,
        }) => {
            let command = command(kind, sec_tag, certificate, attributes)?;
            let commands = provisioning.commands(&device_id);
            let mut create = commands.create(command);
            if let Some(d) = description {
                create = create.description(d);
            }
            let id = create.send().await?;
            if !wait {
                out.line(&id);
                return Ok(());
            }
            out.note(format!("command {id} queued"));
            finished(out, &commands, &id, Duration::from_secs(600)).await
        }
        Provisioning::Commands(Commands::Wait {
            device_id,
            command_id,
            deadline,
        }) => {
            let commands = provisioning.commands(device_id);
            finished(out, &commands, &command_id, Duration::from_secs(deadline)).await
        }
        Provisioning::Rules(Rules::List) => {
            views::print_list(out, "rules", provisioning.rules().list().stream()).await?;
            Ok(())
        }
        Provisioning::Rules(Rules::EnsureOnboarding {
            server_ca,
            tag,
            sec_tag,
        }) => {
            let ca = std::fs::read_to_string(&server_ca).map_err(|e| {
                CliError::usage(format!("cannot read {}: {e}", server_ca.display()))
            })?;
            let rules = provisioning.rules();
            // Every page: nrfcloud-utils reads only the first and may create a duplicate.
            let existing: Vec<_> = rules.list().stream().try_collect().await?;
            let has_tag = |rule: &&_| {
                views::View::json(*rule)
                    .get("tags")
                    .and_then(|t| t.as_array())
                    .is_some_and(|tags| tags.iter().any(|t| t.as_str() == Some(tag.as_str())))
            };
            if let Some(rule) = existing.iter().find(has_tag) {
                out.note(format!("a rule for tag {tag} exists"));
                views::print_one(out, rule);
                return Ok(());
            }
            let spec = RuleSpec::new("nRF Cloud Onboarding", [tag.clone()])
                .description(format!("Provisions devices claimed with tag {tag}"))
                .command(Command::ClientPrivateKeyGeneration { sec_tag })
                .command(Command::CloudAccessKeyGeneration { sec_tag })
                .command(Command::ServerCertificate {
                    sec_tag,
                    content: ca,
                })
                .active(true);
            match rules.create(spec).send().await? {
                Some(rule) => views::print_one(out, &rule),
                None => out.note(format!("rule for tag {tag} created")),
            }
            Ok(())
        }
    }
}

/// The SDK command of `kind`.
fn command(
    kind: CommandKind,
    sec_tag: i64,
    certificate: Option<std::path::PathBuf>,
    attributes: Option<String>,
) -> Result<Command, CliError> {
    let pem = || -> Result<String, CliError> {
        let path = certificate
            .as_ref()
            .ok_or_else(|| CliError::usage("this kind of command needs --certificate FILE"))?;
        std::fs::read_to_string(path)
            .map_err(|e| CliError::usage(format!("cannot read {}: {e}", path.display())))
    };
    Ok(match kind {
        CommandKind::CloudAccessKey => Command::CloudAccessKeyGeneration { sec_tag },
        CommandKind::ClientKey => Command::ClientPrivateKeyGeneration { sec_tag },
        CommandKind::Csr => Command::CertificateSigningRequest {
            sec_tag,
            attributes,
            key_usage: None,
        },
        CommandKind::ServerCertificate => Command::ServerCertificate {
            sec_tag,
            content: pem()?,
        },
        CommandKind::ClientCertificate => Command::ClientCertificate {
            sec_tag,
            content: pem()?,
        },
        CommandKind::Finished => Command::Finished,
    })
}

/// Follows command `id` until the device has answered (it is no longer pending or in progress).
async fn finished(
    out: &Out,
    commands: &ProvisioningCommands,
    id: &str,
    within: Duration,
) -> Result<(), CliError> {
    let command = follow::until_ended(
        out,
        &format!("command {id}"),
        within,
        || commands.get(id).send(),
        |c: &ProvisioningCommand| c.status.to_string(),
        |c| !matches!(c.status, CommandStatus::Pending | CommandStatus::InProgress),
    )
    .await?;
    views::print_one(out, &command);
    Ok(())
}
