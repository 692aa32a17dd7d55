//! Where things are printed: data on stdout (a table, JSON, or with `--quiet` only what a script
//! needs), diagnostics and progress on stderr.

use std::io::{IsTerminal, Write};

use comfy_table::{Table, presets::NOTHING};
use serde_json::Value;

/// How output is printed.
#[derive(Debug, Clone, Copy)]
pub struct Out {
    json: bool,
    quiet: bool,
}

impl Out {
    /// From the `--json` and `--quiet` flags.
    pub fn new(json: bool, quiet: bool) -> Self {
        Self { json, quiet }
    }

    /// `--json`.
    pub fn json(&self) -> bool {
        self.json
    }

    /// `--quiet`.
    pub fn quiet(&self) -> bool {
        self.quiet
    }

    /// Whether to draw progress: stderr is a terminal and `--quiet` is absent.
    pub fn progress(&self) -> bool {
        !self.quiet && std::io::stderr().is_terminal()
    }

    /// One line of data on stdout.
    pub fn line(&self, text: impl AsRef<str>) {
        let mut stdout = std::io::stdout().lock();
        // A closed pipe (`| head`) ends the output, not the program with a panic.
        let _ = writeln!(stdout, "{}", text.as_ref());
    }

    /// One JSON value on one line of stdout.
    pub fn json_line(&self, value: &Value) {
        self.line(value.to_string());
    }

    /// A JSON value, pretty, on stdout.
    pub fn json_pretty(&self, value: &Value) {
        self.line(serde_json::to_string_pretty(value).unwrap_or_default());
    }

    /// Rows under `headers`, aligned, on stdout.
    pub fn table(&self, headers: &[&str], rows: &[Vec<String>]) {
        let mut table = Table::new();
        table.load_preset(NOTHING).set_header(headers.to_vec());
        for row in rows {
            table.add_row(row.clone());
        }
        for column in table.column_iter_mut() {
            column.set_padding((0, 2));
        }
        self.line(table.trim_fmt());
    }

    /// A note for a person on stderr (not with `--quiet`).
    pub fn note(&self, text: impl AsRef<str>) {
        if !self.quiet {
            eprintln!("{}", text.as_ref());
        }
    }

    /// A warning on stderr (always).
    pub fn warn(&self, text: &str) {
        eprintln!("warning: {text}");
    }
}
