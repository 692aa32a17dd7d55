//! `cargo xtask`: maintenance tasks for nrfcloud-rs (the cargo-xtask convention; aliased in
//! `.cargo/config.toml`).
//!
//! `cargo xtask refresh-schema` pulls a new nRF Cloud OpenAPI document into `openapi/`: it
//! validates it, writes it with sorted keys, records its provenance in `openapi/sources.json`,
//! and summarises what changed, including the `build.rs` patches that no longer fit. Run
//! `cargo xtask --help` for the options.

/// `println!` that ignores a closed stdout (`cargo xtask refresh-schema | head` must not panic).
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

// The patch table `build.rs` applies; xtask runs its steps one by one, so `apply_all` and the
// helpers only build.rs uses are dead code here.
#[allow(dead_code)]
#[path = "../../build/patches.rs"]
mod patches;

mod api;
mod cli;
mod diff;
mod document;
mod fetch;
mod patch_check;
mod refresh;
mod snapshot;

use std::process::ExitCode;

fn main() -> ExitCode {
    match cli::parse() {
        Ok(cli::Command::Help) => {
            say!("{}", cli::HELP.trim_end());
            ExitCode::SUCCESS
        }
        Ok(cli::Command::RefreshSchema(opts)) => ExitCode::from(refresh::run(&opts)),
        Err(e) => {
            eprintln!("error: {e}\n\nRun `cargo xtask --help` for the options.");
            ExitCode::from(2)
        }
    }
}
