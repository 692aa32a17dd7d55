//! `nrfcloud jwt …`: mints a token; only the token goes to stdout.

use std::time::Duration;

use nrfcloud::auth::{ApplicationJwt, DeviceJwt, ExposeSecret, PrivateKey, ServiceJwt};

use crate::{cli::Jwt, exit::CliError, output::Out};

pub fn run(out: &Out, args: Jwt) -> Result<(), CliError> {
    let ttl = |t: Option<u64>| t.map(Duration::from_secs);
    let key = |path: &std::path::Path| {
        PrivateKey::from_file(path).map_err(|e| CliError::usage(format!("{}: {e}", path.display())))
    };
    let token = match args {
        Jwt::Device {
            key: path,
            device_id,
            ttl: t,
        } => {
            let mut jwt = DeviceJwt::new(key(&path)?, device_id).map_err(auth)?;
            if let Some(t) = ttl(t) {
                jwt = jwt.ttl(t);
            }
            jwt.token().map_err(auth)?
        }
        Jwt::Service {
            key: path,
            team_id,
            device_id,
            ttl: t,
        } => {
            let mut jwt = ServiceJwt::new(key(&path)?, team_id).map_err(auth)?;
            if let Some(id) = device_id {
                jwt = jwt.device_id(id);
            }
            if let Some(t) = ttl(t) {
                jwt = jwt.ttl(t);
            }
            jwt.token().map_err(auth)?
        }
        Jwt::App {
            key: path,
            application_id,
            ttl: t,
        } => {
            let mut jwt = ApplicationJwt::new(key(&path)?, application_id).map_err(auth)?;
            if let Some(t) = ttl(t) {
                jwt = jwt.ttl(t);
            }
            jwt.token().map_err(auth)?
        }
    };
    out.line(token.expose_secret());
    Ok(())
}

/// A token that cannot be made is a usage error: a wrong key, id or lifetime.
fn auth(e: nrfcloud::auth::AuthError) -> CliError {
    CliError::usage(e.to_string())
}
