//! One module per command; `run` dispatches.

mod account;
mod bulk;
mod bulk_ops;
mod claim;
mod claimed;
mod devices;
mod docs;
mod follow;
mod fota;
mod jwt;
mod location;
mod messages;
mod provisioning;
mod sim;

use crate::{
    cli::{Cli, Command, Keys},
    exit::CliError,
    output::Out,
};

/// Runs the parsed command line.
pub async fn run(cli: Cli, out: Out) -> Result<(), CliError> {
    let global = cli.global;
    match cli.command {
        Command::Account => account::run(&global, &out).await,
        Command::Claim(args) => claim::run(&global, &out, args).await,
        Command::Claimed(args) => claimed::run(&global, &out, args).await,
        Command::Onboard(args) => bulk::onboard(&global, &out, args).await,
        Command::Keys(Keys::Register {
            csv,
            certificates,
            run,
        }) => bulk::register_keys(&global, &out, csv, certificates, run).await,
        Command::Devices(args) => devices::run(&global, &out, args).await,
        Command::BulkOps(args) => bulk_ops::run(&global, &out, args).await,
        Command::Provisioning(args) => provisioning::run(&global, &out, args).await,
        Command::Fota(args) => fota::run(&global, &out, args).await,
        Command::Messages(args) => messages::run(&global, &out, args).await,
        Command::Location(args) => location::run(&global, &out, args).await,
        Command::Jwt(args) => jwt::run(&out, args),
        Command::Sim(args) => sim::run(&out, args).await,
        Command::Completions { shell } => {
            docs::completions(shell);
            Ok(())
        }
        Command::Man => docs::man(),
    }
}
