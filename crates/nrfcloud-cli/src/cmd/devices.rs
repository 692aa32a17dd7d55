//! `nrfcloud devices …`: list (streamed), get with its version, rename and re-tag with
//! `--if-match` or `--retry-on-conflict`, delete, and the device state (shadow): show and
//! update, also conditionally.

use nrfcloud::{
    device_state::StatePatch,
    devices::{DeviceChange, Devices},
    version::Etag,
};
use serde_json::{Value, json};

use crate::{
    cli::{Conditional, Devices as Command, Global},
    config,
    exit::CliError,
    output::Out,
    views::{self, View},
};

pub async fn run(global: &Global, out: &Out, args: Command) -> Result<(), CliError> {
    let conn = config::connect(global, out, |b| b)?;
    let devices = conn.client.devices();
    match args {
        Command::List(filter) => {
            let mut list = devices.list();
            if !filter.tags.is_empty() {
                list = list.tags(filter.tags);
            }
            if !filter.ids.is_empty() {
                list = list.device_ids(filter.ids);
            }
            views::print_list(out, "devices", list.stream()).await?;
        }
        Command::Get { device_id } => {
            let (device, version) = devices.get(device_id).send().await?.into_parts();
            let version = version.map(|v| v.to_string());
            if out.json() {
                out.json_pretty(&json!({ "device": device.json(), "version": version }));
            } else {
                views::print_one(out, &device);
                if let Some(v) = version.filter(|_| !out.quiet()) {
                    out.line(format!("version: {v}"));
                }
            }
        }
        Command::Rename {
            device_id,
            name,
            write,
        } => {
            let change = DeviceChange::Rename(name.clone());
            update(&devices, &device_id, change, write).await?;
            out.note(format!("{device_id}: renamed to {name:?}"));
        }
        Command::Tag {
            device_id,
            tags,
            write,
        } => {
            let shown = tags.join(",");
            update(&devices, &device_id, DeviceChange::SetTags(tags), write).await?;
            out.note(format!("{device_id}: tags set to [{shown}]"));
        }
        Command::Delete {
            device_id,
            if_match,
        } => {
            let mut delete = devices.delete(&device_id);
            if let Some(v) = if_match {
                delete = delete.if_match(Etag::new(v));
            }
            delete.send().await?;
            out.note(format!("{device_id}: deleted"));
        }
        Command::State { device_id } => {
            let (state, version) = devices.state(&device_id).await?.into_parts();
            let version = version.map(|v| v.to_string());
            let shown = json!({
                "desired": state.desired,
                "reported": state.reported,
                "delta": state.delta,
                "metadata": state.metadata,
                "$meta": state.meta,
                "version": version,
            });
            // A shadow is a tree: JSON is its one readable form, with or without --json.
            out.json_pretty(&shown);
        }
        Command::UpdateState {
            device_id,
            desired,
            reported,
            write,
        } => {
            let object = |flag: &str, text: Option<String>| -> Result<Option<Value>, CliError> {
                let Some(text) = text else { return Ok(None) };
                match serde_json::from_str::<Value>(&text) {
                    Ok(v @ Value::Object(_)) => Ok(Some(v)),
                    Ok(_) => Err(CliError::usage(format!("--{flag} must be a JSON object"))),
                    Err(e) => Err(CliError::usage(format!("--{flag} is not JSON: {e}"))),
                }
            };
            let mut patch = StatePatch::default();
            patch.desired = object("desired", desired)?;
            patch.reported = object("reported", reported)?;
            update_state(&devices, &device_id, patch, write).await?;
            out.note(format!("{device_id}: state updated"));
        }
    }
    Ok(())
}

/// One conditional write: at the given version, at the current one re-read on conflict, or
/// unconditionally.
async fn update(
    devices: &Devices,
    device_id: &str,
    change: DeviceChange,
    write: Conditional,
) -> Result<(), CliError> {
    if let Some(attempts) = write.retry_on_conflict {
        // The same change whatever the current device: only its version is read again.
        let change = Some(change);
        devices
            .update_with_retry(device_id, attempts.max(1), move |_| change.clone())
            .await?;
        return Ok(());
    }
    let mut update = match change {
        DeviceChange::Rename(name) => devices.rename(device_id, name),
        DeviceChange::SetTags(tags) => devices.set_tags(device_id, tags),
        _ => return Err(CliError::usage("an unknown change")),
    };
    if let Some(v) = write.if_match {
        update = update.if_match(Etag::new(v));
    }
    update.send().await?;
    Ok(())
}

/// One conditional state update, like [`update`].
async fn update_state(
    devices: &Devices,
    device_id: &str,
    patch: StatePatch,
    write: Conditional,
) -> Result<(), CliError> {
    if let Some(attempts) = write.retry_on_conflict {
        devices
            .update_state_with_retry(device_id, attempts.max(1), move |_| Some(patch.clone()))
            .await?;
        return Ok(());
    }
    let mut update = devices.update_state(device_id);
    if let Some(d) = patch.desired {
        update = update.desired(d);
    }
    if let Some(r) = patch.reported {
        update = update.reported(r);
    }
    if let Some(v) = write.if_match {
        update = update.if_match(Etag::new(v));
    }
    update.send().await?;
    Ok(())
}
