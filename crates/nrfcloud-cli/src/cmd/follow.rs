//! Following something the service works on (a bulk operation, a provisioning command) until it
//! ends: a spinner with its status, polls backing off from 0.5 s to 5 s, and a deadline.

use std::{
    future::Future,
    time::{Duration, Instant},
};

use crate::{exit::CliError, output::Out, progress};

/// Fetches `what` until `ended` says so, within `within`; its last state.
pub async fn until_ended<T, Fut>(
    out: &Out,
    what: &str,
    within: Duration,
    mut fetch: impl FnMut() -> Fut,
    status: impl Fn(&T) -> String,
    ended: impl Fn(&T) -> bool,
) -> Result<T, CliError>
where
    Fut: Future<Output = nrfcloud::Result<T>>,
{
    let deadline = Instant::now() + within;
    let spinner = progress::spinner(out, what);
    let mut wait = Duration::from_millis(500);
    let last = loop {
        let value = fetch().await?;
        spinner.set_message(format!("{what}: {}", status(&value)));
        if ended(&value) {
            break value;
        }
        if Instant::now() + wait > deadline {
            spinner.finish_and_clear();
            return Err(CliError::Incomplete(format!(
                "{what} is still {} at the deadline",
                status(&value)
            )));
        }
        tokio::time::sleep(wait).await;
        wait = (wait * 2).min(Duration::from_secs(5));
    };
    spinner.finish_and_clear();
    Ok(last)
}
