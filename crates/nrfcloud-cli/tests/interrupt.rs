//! Ctrl-C in the middle of a bulk claim, sent to a real child process, then the same command
//! again: every row ends up claimed exactly once.

mod common;

use std::{
    process::Stdio,
    time::{Duration, Instant},
};

use common::{nrfcloud, run, tokens_csv};
use nix::{sys::signal, unistd::Pid};
use nrfcloud_sim::{Faults, Simulator};

const ROWS: usize = 20_000;

/// The `claimed`, `already claimed` and `not submitted` counts of a summary line.
fn counts(summary: &str) -> (u64, u64, u64) {
    let field = |name: &str| -> u64 {
        summary
            .split(", ")
            .find_map(|part| part.strip_suffix(name))
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or_else(|| panic!("no {name:?} in {summary:?}"))
    };
    (
        field(" claimed"),
        field(" already claimed"),
        field(" not submitted"),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn sigint_stops_the_run_and_the_same_command_resumes_it() {
    let sim = Simulator::builder()
        .faults(Faults {
            delay: Some(Duration::from_millis(150)),
            ..Faults::default()
        })
        .start()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let csv = tokens_csv(&sim, dir.path(), "tokens.csv", ROWS);
    let journal = dir.path().join("claim.journal");
    let args = [
        "claim",
        "--csv",
        csv.to_str().unwrap(),
        "--journal",
        journal.to_str().unwrap(),
        "--concurrency",
        "1",
    ];

    let mut cmd = nrfcloud(Some(&sim), dir.path());
    cmd.args(args).stdout(Stdio::piped()).stderr(Stdio::piped());
    let child = cmd.spawn().unwrap();
    // Interrupt once the journal holds confirmed rows (header + 1000).
    let started = Instant::now();
    loop {
        let lines = std::fs::read_to_string(&journal)
            .map(|t| t.lines().count())
            .unwrap_or(0);
        if lines > 1000 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "no row confirmed"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    signal::kill(Pid::from_raw(child.id() as i32), signal::Signal::SIGINT).unwrap();
    let out = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stdout}\n{stderr}");
    let (claimed, already, not_submitted) = counts(stdout.trim_end());
    assert!(claimed >= 1000 && claimed < ROWS as u64, "{stdout}");
    assert_eq!(
        (already, not_submitted),
        (0, ROWS as u64 - claimed),
        "{stdout}"
    );
    assert!(
        stderr.ends_with(&format!(
            "error: bulk claim stopped on request; 0 row(s) unconfirmed, {} not submitted\n",
            ROWS as u64 - claimed
        )),
        "{stderr}"
    );

    sim.set_faults(Faults::default());
    let again = run(nrfcloud(Some(&sim), dir.path()), &args).await;
    assert_eq!(again.code, 0, "{again:?}");
    assert_eq!(
        counts(again.stdout.trim_end()),
        (ROWS as u64 - claimed, claimed, 0),
        "the rows confirmed before the interrupt are not sent again"
    );
    let listed = run(
        nrfcloud(Some(&sim), dir.path()),
        &["claimed", "list", "--quiet"],
    )
    .await;
    let mut ids: Vec<&str> = listed.stdout.lines().collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), ROWS);
}
