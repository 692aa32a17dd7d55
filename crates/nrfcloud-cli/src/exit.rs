//! The CLI's one error type, and the exit code each failure gives (documented in `--help`).

use std::process::ExitCode;

use nrfcloud::{bulk::BulkErrorKind, error::ErrorKind};

/// Why a command did not finish with everything done.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Bad flags, a missing file, an unusable config (exit 2).
    #[error("{0}")]
    Usage(String),
    /// A call of the SDK failed; the exit code follows its kind.
    #[error(transparent)]
    Sdk(#[from] nrfcloud::Error),
    /// The run finished, but some rows or devices need attention (exit 1). Already reported.
    #[error("{0}")]
    Incomplete(String),
}

impl CliError {
    /// A usage or configuration error.
    pub fn usage(message: impl Into<String>) -> Self {
        Self::Usage(message.into())
    }

    /// The process's exit code for this failure.
    pub fn code(&self) -> u8 {
        match self {
            Self::Usage(_) => 2,
            Self::Incomplete(_) => 1,
            Self::Sdk(e) => sdk_code(e),
        }
    }

    /// The message for stderr: the error and its causes on one line, and advice where there is
    /// some. The SDK's messages carry no secret (tokens, keys and pre-signed URLs are redacted).
    pub fn message(&self) -> String {
        let mut text = self.to_string();
        let mut source = std::error::Error::source(self);
        if matches!(self, Self::Sdk(_)) {
            // `transparent`: the first source is the SDK error's own.
            source = source.and_then(std::error::Error::source);
        }
        while let Some(cause) = source {
            text.push_str(": ");
            text.push_str(&cause.to_string());
            source = cause.source();
        }
        if let Self::Sdk(e) = self {
            if let Some(id) = e.request_id() {
                text.push_str(&format!(" (request id {id})"));
            }
            if sdk_code(e) == 3 {
                text.push_str(
                    "; check the API key (NRFCLOUD_API_KEY, --api-key-file or the profile)",
                );
            }
        }
        text
    }
}

fn sdk_code(e: &nrfcloud::Error) -> u8 {
    match e.kind() {
        ErrorKind::Auth(_) => 3,
        ErrorKind::Api(api) if matches!(api.status().as_u16(), 401 | 403) => 3,
        // The service refused this device or request (not found, invalid token, stale
        // version): the run finished and the device failed. 429 is the service failing.
        ErrorKind::Api(api) if api.status().is_client_error() && api.status().as_u16() != 429 => 1,
        ErrorKind::Config(_) | ErrorKind::InvalidRequest(_) => 2,
        // Like a `wait` that reaches its deadline: the run ended with work still pending.
        ErrorKind::Deadline(_) => 1,
        ErrorKind::Bulk(b) => match b.kind() {
            BulkErrorKind::Stopped => 130,
            BulkErrorKind::Input { .. } => 2,
            BulkErrorKind::Interrupted { .. } => match std::error::Error::source(b)
                .and_then(|s| s.downcast_ref::<nrfcloud::Error>())
            {
                Some(cause) => sdk_code(cause),
                None => 4,
            },
            _ => 1,
        },
        _ => 4,
    }
}

/// The exit code of a command's result.
pub fn exit_code(result: &Result<(), CliError>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => ExitCode::from(e.code()),
    }
}
