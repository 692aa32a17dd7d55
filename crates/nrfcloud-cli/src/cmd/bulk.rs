//! Bulk CSV runs (`claim --csv`, `onboard`, `keys register`): a progress bar, Ctrl-C that stops
//! sending and keeps what was confirmed, the report on stdout and in `--report`, the rows that
//! need attention on stderr, and the exit code of the outcome.

use std::{
    fs::File,
    io::Read,
    path::{Path, PathBuf},
};

use nrfcloud::bulk::BulkReport;

use crate::{
    cli::{Bulk, Global, RunArgs},
    config,
    exit::CliError,
    output::Out,
    progress,
};

/// Applies the run options shared by every kind of upload (the builder is generic over a kind
/// the SDK keeps to itself, so this is a macro rather than a function).
macro_rules! configured {
    ($upload:expr, $run:expr, $bar:expr) => {{
        let bar = $bar.clone();
        let mut upload = $upload
            .concurrency($run.concurrency)
            .deadline(std::time::Duration::from_secs($run.deadline))
            .invalid_rows(if $run.skip_invalid {
                nrfcloud::bulk::InvalidRows::Skip
            } else {
                nrfcloud::bulk::InvalidRows::Abort
            })
            .on_progress(move |p| {
                bar.set_position(p.submitted);
                bar.set_message(format!(
                    "{} done, {} failed, {} invalid",
                    p.counts.succeeded + p.counts.already_done,
                    p.counts.failed,
                    p.counts.invalid
                ));
            })
            .stop_when(async {
                let _ = tokio::signal::ctrl_c().await;
            });
        if let Some(journal) = &$run.journal {
            upload = upload.journal(journal);
        }
        upload
    }};
}
pub(crate) use configured;

/// Opens the CSV (`-` is stdin).
pub fn open(path: &Path) -> Result<Box<dyn std::io::Read + Send>, CliError> {
    if path == Path::new("-") {
        return Ok(Box::new(std::io::stdin()));
    }
    let file = File::open(path)
        .map_err(|e| CliError::usage(format!("cannot open {}: {e}", path.display())))?;
    Ok(Box::new(file))
}

/// The rows of a one-line-per-row CSV file, for the bar's length (none for stdin, or when the
/// file cannot be read: the bar is then a spinner).
pub fn rows_of(path: &Path) -> Option<u64> {
    if path == Path::new("-") {
        return None;
    }
    let mut file = File::open(path).ok()?;
    let mut buf = vec![0u8; 64 * 1024];
    let (mut lines, mut last) = (0u64, b'\n');
    loop {
        let n = file.read(&mut buf).ok()?;
        if n == 0 {
            // A last line without its line break is a row too.
            return Some(lines + u64::from(last != b'\n'));
        }
        lines += buf[..n].iter().filter(|&&b| b == b'\n').count() as u64;
        last = buf[n - 1];
    }
}

/// Reports the run's outcome; `Ok` only when every row is done.
pub fn finish(
    out: &Out,
    run: &RunArgs,
    bar: &indicatif::ProgressBar,
    result: nrfcloud::Result<BulkReport>,
) -> Result<(), CliError> {
    bar.finish_and_clear();
    let (report, error) = match result {
        Ok(report) => (report, None),
        Err(e) => match e.bulk_report().cloned() {
            Some(report) => (report, Some(e)),
            None => return Err(e.into()),
        },
    };
    if let Some(path) = &run.report {
        write_report(path, &report)?;
    }
    if out.json() {
        out.json_pretty(&serde_json::to_value(&report).unwrap_or_default());
    } else if !out.quiet() {
        out.line(report.to_string());
        attention(&report, run.report.is_some());
    }
    match error {
        Some(e) => {
            if run.journal.is_none() && report.counts.succeeded > 0 {
                out.note("note: without --journal, a second run sends every row again");
            }
            Err(e.into())
        }
        None if report.is_success() => Ok(()),
        None => Err(CliError::Incomplete(format!(
            "{} row(s) need attention{}",
            report.rows.len() as u64 + report.counts.not_submitted,
            if run.report.is_some() {
                " (see the report)"
            } else {
                " (--report FILE lists them all)"
            }
        ))),
    }
}

fn write_report(path: &Path, report: &BulkReport) -> Result<(), CliError> {
    let written = File::create(path)
        .map_err(|e| e.to_string())
        .and_then(|f| serde_json::to_writer_pretty(f, report).map_err(|e| e.to_string()));
    written.map_err(|e| {
        CliError::usage(format!(
            "cannot write the report to {}: {e}",
            path.display()
        ))
    })
}

/// The first rows that need attention, on stderr.
fn attention(report: &BulkReport, has_report: bool) {
    const SHOWN: usize = 20;
    for row in report.rows.iter().take(SHOWN) {
        eprintln!("line {}: {}", row.line, row.outcome);
    }
    if report.rows.len() > SHOWN {
        let more = report.rows.len() - SHOWN;
        let hint = if has_report {
            ""
        } else {
            "; --report FILE lists them all"
        };
        eprintln!("… and {more} more rows{hint}");
    }
    for range in report.not_submitted.iter().take(SHOWN) {
        eprintln!("lines {}-{}: not submitted", range.first, range.last);
    }
}

/// `nrfcloud onboard --csv FILE`.
pub async fn onboard(global: &Global, out: &Out, args: Bulk) -> Result<(), CliError> {
    let conn = config::connect(global, out, |b| b)?;
    let input = open(&args.csv)?;
    // Rows span several lines (their PEMs): a spinner counts them.
    let bar = progress::rows(out, None);
    let upload = configured!(conn.client.onboarding().bulk_csv(input), args.run, bar);
    finish(out, &args.run, &bar, upload.wait().await)
}

/// `nrfcloud keys register --csv FILE [--certificates]`.
pub async fn register_keys(
    global: &Global,
    out: &Out,
    csv: PathBuf,
    certificates: bool,
    run: RunArgs,
) -> Result<(), CliError> {
    let conn = config::connect(global, out, |b| b)?;
    let input = open(&csv)?;
    let bar = progress::rows(out, None);
    let onboarding = conn.client.onboarding();
    let upload = if certificates {
        onboarding.register_certificates(input)
    } else {
        onboarding.register_public_keys(input)
    };
    let upload = configured!(upload, run, bar);
    finish(out, &run, &bar, upload.wait().await)
}

#[cfg(test)]
mod tests {
    use super::rows_of;

    #[test]
    fn rows_are_counted_with_or_without_a_final_line_break() {
        let dir = tempfile::tempdir().unwrap();
        let count = |text: &str| {
            let path = dir.path().join("f.csv");
            std::fs::write(&path, text).unwrap();
            rows_of(&path)
        };
        assert_eq!(count(""), Some(0));
        assert_eq!(count("a\nb\n"), Some(2));
        assert_eq!(count("a\nb\nc"), Some(3));
        assert_eq!(rows_of(std::path::Path::new("-")), None);
        assert_eq!(rows_of(&dir.path().join("missing.csv")), None);
    }
}
