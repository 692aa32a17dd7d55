//! `nrfcloud sim` serves the simulator in its own process, and the other commands use it
//! through the variables it prints.

mod common;

use std::{
    io::{BufRead, BufReader},
    process::Stdio,
};

use common::{BIN, run};
use nix::{sys::signal, unistd::Pid};

#[tokio::test(flavor = "multi_thread")]
async fn the_simulator_command_serves_what_claim_uses() {
    let dir = tempfile::tempdir().unwrap();
    let tokens = dir.path().join("tokens.csv");
    let mut child = std::process::Command::new(BIN)
        .args(["sim", "--port", "0", "--tokens", "50", "--tokens-out"])
        .arg(&tokens)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut env = Vec::new();
    for _ in 0..4 {
        let line = lines.next().unwrap().unwrap();
        let (name, value) = line
            .strip_prefix("export ")
            .and_then(|l| l.split_once('='))
            .unwrap_or_else(|| panic!("not an export line: {line}"));
        env.push((name.to_owned(), value.to_owned()));
    }
    let names: Vec<&str> = env.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "NRFCLOUD_API_HOST",
            "NRFCLOUD_PROVISIONING_HOST",
            "NRFCLOUD_API_KEY",
            "NRFCLOUD_TEAM_ID"
        ]
    );
    assert!(env[0].1.starts_with("http://127.0.0.1:"), "{}", env[0].1);

    let mut cmd = common::nrfcloud(None, dir.path());
    cmd.envs(env.iter().map(|(n, v)| (n, v)));
    let ran = run(cmd, &["claim", "--csv", tokens.to_str().unwrap()]).await;
    assert_eq!(ran.code, 0, "{ran:?}");
    assert_eq!(
        ran.stdout,
        "bulk claim: 50 rows, 50 claimed, 0 already claimed, 0 failed, 0 invalid, 0 unconfirmed, 0 not submitted\n"
    );

    signal::kill(Pid::from_raw(child.id() as i32), signal::Signal::SIGINT).unwrap();
    assert!(child.wait().unwrap().success());
}
