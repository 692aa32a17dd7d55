//! `nrfcloud bulk-ops …`: list, get, and wait for one to end (with a spinner).

use std::time::{Duration, Instant};

use nrfcloud::bulk_ops::{BulkOpsRequest, BulkOpsStatus};

use crate::{
    cli::{BulkOps, Global},
    config,
    exit::CliError,
    output::Out,
    progress, views,
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
            let deadline = Instant::now() + Duration::from_secs(deadline);
            let spinner = progress::spinner(out, format!("bulk operation {id}"));
            let mut wait = Duration::from_millis(500);
            let op: BulkOpsRequest = loop {
                let op = ops.get(&id).send().await?;
                spinner.set_message(format!("bulk operation {id}: {}", op.status));
                if op.status.is_terminal() {
                    break op;
                }
                if Instant::now() + wait > deadline {
                    spinner.finish_and_clear();
                    return Err(CliError::Incomplete(format!(
                        "bulk operation {id} is still {} at the deadline",
                        op.status
                    )));
                }
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(Duration::from_secs(5));
            };
            spinner.finish_and_clear();
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
