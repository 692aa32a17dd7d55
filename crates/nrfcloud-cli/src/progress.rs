//! Progress bars and spinners on stderr, drawn only when stderr is a terminal and `--quiet` is
//! absent (indicatif hides them otherwise).

use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::output::Out;

/// A spinner with `message`, or a hidden one.
pub fn spinner(out: &Out, message: impl Into<String>) -> ProgressBar {
    let bar = if out.progress() {
        ProgressBar::new_spinner()
    } else {
        ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden())
    };
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.set_message(message.into());
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

/// A bar of rows for a bulk run of `rows` rows (a spinner when the count is unknown).
pub fn rows(out: &Out, rows: Option<u64>) -> ProgressBar {
    if !out.progress() {
        return ProgressBar::hidden();
    }
    let (bar, template) = match rows {
        Some(n) => (
            ProgressBar::new(n),
            "{bar:40} {pos}/{len} rows sent ({per_sec}, {eta} left) {msg}",
        ),
        None => (
            ProgressBar::new_spinner(),
            "{spinner} {pos} rows sent ({per_sec}, {elapsed}) {msg}",
        ),
    };
    bar.set_style(
        ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}
