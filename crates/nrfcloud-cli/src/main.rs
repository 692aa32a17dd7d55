//! `nrfcloud`: the nRF Cloud command line. See `nrfcloud --help`, and the crate README.

mod cli;
mod cmd;
mod config;
mod exit;
mod output;
mod progress;
mod views;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let out = output::Out::new(cli.global.json, cli.global.quiet);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    let result = runtime.block_on(cmd::run(cli, out));
    if let Err(e) = &result {
        eprintln!("error: {}", e.message());
    }
    // A bulk run's input reader may still block on a stalled stdin: do not wait for it.
    runtime.shutdown_background();
    exit::exit_code(&result)
}
