//! Progress on stderr: a pseudo-terminal gets the bar, a pipe and `--quiet` get none.

mod common;

use std::time::Duration;

use common::{nrfcloud, run, tokens_csv};
use nrfcloud_sim::{Faults, Simulator};

async fn slow_sim() -> Simulator {
    Simulator::builder()
        .faults(Faults {
            delay: Some(Duration::from_millis(300)),
            ..Faults::default()
        })
        .start()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_terminal_gets_the_bar() {
    let sim = slow_sim().await;
    let dir = tempfile::tempdir().unwrap();
    let csv = tokens_csv(&sim, dir.path(), "t.csv", 4000);
    let mut cmd = nrfcloud(Some(&sim), dir.path());
    cmd.args([
        "claim",
        "--csv",
        csv.to_str().unwrap(),
        "--concurrency",
        "1",
    ]);
    let seen = tokio::task::spawn_blocking(move || {
        let mut session = rexpect::session::spawn_command(cmd, Some(60_000)).unwrap();
        let bar = session.exp_regex(r"\d+/4000 rows sent").map(|(_, m)| m);
        let summary = session.exp_string("4000 claimed");
        (bar, summary.is_ok())
    })
    .await
    .unwrap();
    assert!(seen.0.is_ok(), "no progress bar: {:?}", seen.0);
    assert!(seen.1, "no summary");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_pipe_and_quiet_get_none() {
    let sim = slow_sim().await;
    let dir = tempfile::tempdir().unwrap();
    let csv = tokens_csv(&sim, dir.path(), "t.csv", 2000);
    let csv = csv.to_str().unwrap();
    let ran = run(nrfcloud(Some(&sim), dir.path()), &["claim", "--csv", csv]).await;
    assert_eq!((ran.code, ran.stderr.as_str()), (0, ""), "{ran:?}");

    let mut cmd = nrfcloud(Some(&sim), dir.path());
    cmd.args(["claim", "--csv", csv, "--quiet"]);
    let printed = tokio::task::spawn_blocking(move || {
        let mut session = rexpect::session::spawn_command(cmd, Some(60_000)).unwrap();
        session.exp_eof().unwrap()
    })
    .await
    .unwrap();
    assert_eq!(printed, "");
}
