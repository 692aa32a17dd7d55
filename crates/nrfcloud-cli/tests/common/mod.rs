//! Runs the real `nrfcloud` binary against an in-process simulator.

#![allow(dead_code)]

use std::{
    path::{Path, PathBuf},
    process::{Command, Output},
};

use nrfcloud_sim::Simulator;

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_nrfcloud");

/// A command of the binary with a clean environment: pointed at `sim` (when given), a config
/// path that does not exist, and a fixed help width.
pub fn nrfcloud(sim: Option<&Simulator>, dir: &Path) -> Command {
    let mut cmd = Command::new(BIN);
    for var in [
        "NRFCLOUD_API_KEY",
        "NRFCLOUD_API_HOST",
        "NRFCLOUD_PROVISIONING_HOST",
        "NRFCLOUD_PROFILE",
        "NRFCLOUD_OAT",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("NRFCLOUD_CONFIG", dir.join("no-config.toml"))
        .env("COLUMNS", "100")
        .env("NO_COLOR", "1")
        .current_dir(dir);
    if let Some(sim) = sim {
        cmd.env("NRFCLOUD_API_HOST", sim.rest_host())
            .env("NRFCLOUD_PROVISIONING_HOST", sim.provisioning_host())
            .env("NRFCLOUD_API_KEY", sim.api_key());
    }
    cmd
}

/// What a run printed, and how it ended.
#[derive(Debug)]
pub struct Ran {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `cmd` with `args` off the async workers (the simulator runs on them).
pub async fn run(mut cmd: Command, args: &[&str]) -> Ran {
    cmd.args(args);
    let out: Output = tokio::task::spawn_blocking(move || cmd.output().expect("the binary runs"))
        .await
        .unwrap();
    Ran {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A file of `text` in `dir`.
pub fn file(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// A claim CSV of the simulator's first `n` tokens.
pub fn tokens_csv(sim: &Simulator, dir: &Path, name: &str, n: usize) -> PathBuf {
    let text: String = sim
        .claim_tokens(n)
        .iter()
        .map(|t| format!("{t}\n"))
        .collect();
    file(dir, name, &text)
}

/// A fixture of the SDK's key set.
pub fn key_fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../nrfcloud/tests/fixtures/keys")
        .join(name)
}
