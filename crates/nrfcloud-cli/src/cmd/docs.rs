//! `nrfcloud completions SHELL` and `nrfcloud man`.

use clap::CommandFactory;

use crate::{cli::Cli, exit::CliError};

pub fn completions(shell: clap_complete::Shell) {
    let mut command = Cli::command();
    clap_complete::generate(shell, &mut command, "nrfcloud", &mut std::io::stdout());
}

pub fn man() -> Result<(), CliError> {
    clap_mangen::Man::new(Cli::command())
        .render(&mut std::io::stdout())
        .map_err(|e| CliError::usage(format!("cannot write the man page: {e}")))
}
