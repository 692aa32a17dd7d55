//! `nrfcloud messages …`: list (streamed, filtered) and send.

use nrfcloud::messages::SortOrder;

use crate::{
    cli::{Global, Messages as Command},
    config,
    exit::CliError,
    output::Out,
    views,
};

pub async fn run(global: &Global, out: &Out, args: Command) -> Result<(), CliError> {
    let conn = config::connect(global, out, |b| b)?;
    let messages = conn.client.messages();
    match args {
        Command::List {
            device,
            app_id,
            topic,
            since,
            until,
            oldest_first,
        } => {
            let mut list = messages.list();
            if let Some(d) = device {
                list = list.device_id(d);
            }
            if let Some(a) = app_id {
                list = list.app_id(a);
            }
            if let Some(t) = topic {
                list = list.topic(t);
            }
            if let (Some(start), Some(end)) = (since, until) {
                list = list.between(start, end);
            }
            if oldest_first {
                list = list.sort(SortOrder::Ascending);
            }
            views::print_list(out, "messages", list.stream()).await?;
        }
        Command::Send {
            device_id,
            message,
            topic,
        } => {
            let message: serde_json::Value = serde_json::from_str(&message)
                .map_err(|e| CliError::usage(format!("the message is not JSON: {e}")))?;
            let mut send = messages.send(&device_id, message);
            if let Some(t) = topic {
                send = send.topic(t);
            }
            send.send().await?;
            out.note(format!("{device_id}: message sent"));
        }
    }
    Ok(())
}
