//! `nrfcloud claimed …`: the claimed-devices API.

use crate::{
    cli::{Claimed, Global},
    config,
    exit::CliError,
    output::Out,
    views,
};

pub async fn run(global: &Global, out: &Out, args: Claimed) -> Result<(), CliError> {
    let conn = config::connect(global, out, |b| b)?;
    let claimed = conn.client.provisioning().claimed_devices();
    match args {
        Claimed::List(filter) => {
            let list = claimed.list().tags(filter.tags).device_ids(filter.ids);
            views::print_list(out, "claimed devices", list.stream()).await?;
        }
        Claimed::Get { device_id } => views::print_one(out, &claimed.get(device_id).send().await?),
        Claimed::Block { device_id } => {
            claimed.block(&device_id).send().await?;
            out.note(format!("{device_id}: blocked"));
        }
        Claimed::Unblock { device_id } => {
            claimed.unblock(&device_id).send().await?;
            out.note(format!("{device_id}: unblocked"));
        }
        Claimed::Unclaim { device_id } => {
            claimed.unclaim(&device_id).send().await?;
            out.note(format!("{device_id}: unclaimed"));
        }
        Claimed::Tags { device_id, tags } => {
            let shown = tags.join(",");
            claimed.set_tags(&device_id, tags).send().await?;
            out.note(format!("{device_id}: tags set to [{shown}]"));
        }
    }
    Ok(())
}
