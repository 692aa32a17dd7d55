//! `nrfcloud fota …`: bundles (list, upload, delete), jobs (create, list, get, apply, cancel,
//! delete, executions, wait) and one device's executions.

use std::time::Duration;

use nrfcloud::fota::{ExecutionStatus, Fota, RolloutReport};

use crate::{
    cli::{Bundles, Follow, Fota as Command, Global, Jobs},
    config,
    exit::CliError,
    output::Out,
    progress, views,
};

pub async fn run(global: &Global, out: &Out, args: Command) -> Result<(), CliError> {
    let conn = config::connect(global, out, |b| b)?;
    let fota = conn.client.fota();
    match args {
        Command::Bundles(args) => bundles(&fota, out, args).await,
        Command::Jobs(args) => jobs(&fota, out, args).await,
        Command::Device { device_id } => {
            let list = fota.device(device_id).list();
            views::print_list(out, "executions", list.stream()).await?;
            Ok(())
        }
    }
}

async fn bundles(fota: &Fota, out: &Out, args: Bundles) -> Result<(), CliError> {
    let bundles = fota.bundles();
    match args {
        Bundles::List { modem } => {
            let mut list = bundles.list();
            if modem {
                list = list.modem_only();
            }
            views::print_list(out, "bundles", list.stream()).await?;
        }
        Bundles::Upload { file, version } => {
            let zip = std::fs::read(&file)
                .map_err(|e| CliError::usage(format!("cannot read {}: {e}", file.display())))?;
            let mut upload = bundles.upload(zip);
            if let Some(v) = version {
                upload = upload.version(v);
            }
            let spinner = progress::spinner(out, format!("uploading {}", file.display()));
            let uploaded = upload.send().await;
            spinner.finish_and_clear();
            views::print_one(out, &uploaded?.bundle);
        }
        Bundles::Delete { bundle_id } => {
            bundles.delete(&bundle_id).send().await?;
            out.note(format!("bundle {bundle_id}: deleted"));
        }
    }
    Ok(())
}

async fn jobs(fota: &Fota, out: &Out, args: Jobs) -> Result<(), CliError> {
    let jobs = fota.jobs();
    match args {
        Jobs::Create {
            bundle,
            devices,
            tags,
            name,
            description,
            no_auto_apply,
            wait,
            follow,
        } => {
            let mut create = jobs
                .create(bundle)
                .device_ids(devices)
                .tags(tags)
                .auto_apply(!no_auto_apply);
            if let Some(name) = name {
                create = create.name(name);
            }
            if let Some(d) = description {
                create = create.description(d);
            }
            let job_id = create.send().await?;
            if !wait {
                out.line(&job_id);
                return Ok(());
            }
            out.note(format!("created job {job_id}"));
            follow_job(fota, out, &job_id, follow).await
        }
        Jobs::List => {
            views::print_list(out, "jobs", jobs.list().stream()).await?;
            Ok(())
        }
        Jobs::Get { job_id } => {
            views::print_one(out, &jobs.get(&job_id).await?);
            Ok(())
        }
        Jobs::Apply { job_id } => {
            jobs.apply(&job_id).await?;
            out.note(format!("job {job_id}: applied"));
            Ok(())
        }
        Jobs::Cancel { job_id, reason } => {
            jobs.cancel(&job_id, reason.as_deref()).await?;
            out.note(format!("job {job_id}: cancelled"));
            Ok(())
        }
        Jobs::Delete { job_id } => {
            jobs.delete(&job_id).await?;
            out.note(format!("job {job_id}: deleted"));
            Ok(())
        }
        Jobs::Executions { job_id, status } => {
            let mut list = jobs.executions(job_id);
            if let Some(s) = status {
                list = list.status(ExecutionStatus::from(s.to_ascii_uppercase().as_str()));
            }
            views::print_list(out, "executions", list.stream()).await?;
            Ok(())
        }
        Jobs::Wait { job_id, follow } => follow_job(fota, out, &job_id, follow).await,
    }
}

/// Follows a job with a spinner showing the counts per status, then prints the devices that
/// did not succeed and the `fota:` line (or, with `--json`, one JSON report).
async fn follow_job(fota: &Fota, out: &Out, job_id: &str, follow: Follow) -> Result<(), CliError> {
    let spinner = progress::spinner(out, format!("job {job_id}"));
    let shown = spinner.clone();
    let what = job_id.to_owned();
    let report = fota
        .jobs()
        .wait(job_id)
        .deadline(Duration::from_secs(follow.deadline))
        .poll_interval(Duration::from_secs(follow.interval.max(1)))
        .on_progress(move |p| {
            shown.set_message(format!("job {what}: {}: {}", p.job.status, p.counts))
        })
        .send()
        .await;
    spinner.finish_and_clear();
    let report = report?;
    print_report(out, &report);
    if report.all_succeeded() {
        return Ok(());
    }
    if report.deadline_passed {
        return Err(CliError::Incomplete(format!(
            "job {job_id} is still {} at the deadline: {}",
            report.job.status,
            report.counts()
        )));
    }
    Err(CliError::Incomplete(format!(
        "job {job_id}: {} devices did not update",
        report.not_succeeded().count()
    )))
}

fn print_report(out: &Out, report: &RolloutReport) {
    if out.json() {
        let devices: Vec<_> = report.executions.iter().map(views::View::json).collect();
        out.json_pretty(&serde_json::json!({
            "jobId": report.job.id,
            "status": report.job.status.to_string(),
            "deadlinePassed": report.deadline_passed,
            "counts": views::counts_json(&report.counts()),
            "executions": devices,
        }));
        return;
    }
    for e in report.not_succeeded() {
        if out.quiet() {
            out.line(&e.device_id);
        } else {
            let detail = e.status_detail.as_deref().unwrap_or("");
            out.line(format!("{}: {} {detail}", e.device_id, e.status).trim_end());
        }
    }
    if !out.quiet() {
        out.line(format!("fota: {}", report.counts()));
    }
}
