//! `nrfcloud bulk-ops …`: list, get, and wait for one to end (with a spinner).

use std::time::Duration;

use nrfcloud::bulk_ops::{BulkOpsRequest, BulkOpsStatus};

use super::follow;
use crate::{
    cli::{BulkOps, Global},
    config,
    exit::CliError,
    output::Out,
    views,
};

pub async fn run(global: &Global, out: &Out, args: BulkOps) -> Result<(), CliError> {
    let conn = config::connect(global, out, |b| b)?;
    let ops = conn.client.bulk_ops();
    match args {
        BulkOps::List { status } => {
            let mut list = ops.list();
            if let Some(status) = status {
                list = list.status(BulkOpsStatus::from(status.to_ascii_uppercase().as_str()));
            }
            views::print_list(out, "bulk operations", list.stream()).await?;
            Ok(())
        }
        BulkOps::Get { id } => {
            views::print_one(out, &ops.get(id).send().await?);
            Ok(())
        }
        BulkOps::Wait { id, deadline } => {
            let op = follow::until_ended(
                out,
                &format!("bulk operation {id}"),
                Duration::from_secs(deadline),
                || ops.get(&id).send(),
                |op: &BulkOpsRequest| op.status.to_string(),
                |op| op.status.is_terminal(),
            )
            .await?;
            views::print_one(out, &op);
            match op.status {
                BulkOpsStatus::Succeeded => Ok(()),
                status => Err(CliError::Incomplete(format!(
                    "bulk operation {id} ended as {status}"
                ))),
            }
        }
    }
}
