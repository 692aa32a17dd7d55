//! Where the credential and the hosts come from: `--api-key-file`, `NRFCLOUD_API_KEY`, or a
//! profile of the config file (`[profiles.NAME]`, chosen with `--profile`/`NRFCLOUD_PROFILE`,
//! else `default`). The key is read here and handed to the SDK; it is never printed.

use std::{
    collections::BTreeMap,
    fmt,
    path::{Path, PathBuf},
    time::Duration,
};

use serde::Deserialize;

use crate::{cli::Global, exit::CliError, output::Out};

/// The config file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    #[serde(default)]
    profiles: BTreeMap<String, Profile>,
}

/// One `[profiles.NAME]` table.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Profile {
    /// A file whose first line is the team's API key.
    api_key_file: Option<PathBuf>,
    /// The REST API origin.
    rest_host: Option<String>,
    /// The Provisioning API origin.
    provisioning_host: Option<String>,
}

/// Where the API key came from, as `nrfcloud account` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// `--api-key-file`.
    Flag(PathBuf),
    /// `NRFCLOUD_API_KEY`.
    Env,
    /// A profile's `api_key_file`.
    Profile(String, PathBuf),
}

impl fmt::Display for KeySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Flag(path) => write!(f, "API key from --api-key-file {}", path.display()),
            Self::Env => f.write_str("API key from NRFCLOUD_API_KEY"),
            Self::Profile(name, path) => {
                write!(f, "API key of profile {name} ({})", path.display())
            }
        }
    }
}

/// The client and where its settings came from.
pub struct Connection {
    /// The SDK client.
    pub client: nrfcloud::Client,
    /// Where the key came from.
    pub key_source: KeySource,
    /// The REST origin in use.
    pub rest_host: String,
    /// The Provisioning origin in use.
    pub provisioning_host: String,
    /// The key and the request timeout, for [`Connection::client_with`].
    key: nrfcloud::auth::SecretString,
    timeout: Duration,
}

impl Connection {
    /// Another client with the same key, hosts and timeout, and what `adjust` adds (another
    /// credential, for operations that take no API key).
    pub fn client_with(
        &self,
        adjust: impl FnOnce(nrfcloud::ClientBuilder) -> nrfcloud::ClientBuilder,
    ) -> Result<nrfcloud::Client, CliError> {
        Ok(adjust(builder(
            &self.key,
            &self.rest_host,
            &self.provisioning_host,
            self.timeout,
        ))
        .build()?)
    }
}

fn builder(
    key: &nrfcloud::auth::SecretString,
    rest_host: &str,
    provisioning_host: &str,
    timeout: Duration,
) -> nrfcloud::ClientBuilder {
    nrfcloud::Client::builder()
        .api_key(key.clone())
        .rest_host(rest_host)
        .provisioning_host(provisioning_host)
        .timeout(timeout)
}

/// Builds the client for `global`, warning on `out` when a key file is readable by others.
pub fn connect(
    global: &Global,
    out: &Out,
    adjust: impl FnOnce(nrfcloud::ClientBuilder) -> nrfcloud::ClientBuilder,
) -> Result<Connection, CliError> {
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let profile = profile(global)?;
    let (key, key_source) = if let Some(path) = &global.api_key_file {
        (read_key(path, out)?, KeySource::Flag(path.clone()))
    } else if let Some(key) = env("NRFCLOUD_API_KEY") {
        (key.trim().to_owned(), KeySource::Env)
    } else if let Some((
        name,
        Profile {
            api_key_file: Some(path),
            ..
        },
    )) = &profile
    {
        let key = read_key(path, out)?;
        (key, KeySource::Profile(name.clone(), path.clone()))
    } else {
        return Err(CliError::usage(
            "no API key: set NRFCLOUD_API_KEY, pass --api-key-file FILE, or add api_key_file to a \
             profile of the config file (`nrfcloud sim` prints a key for the simulator)",
        ));
    };
    let chosen = profile.map(|(_, p)| p).unwrap_or_default();
    let rest_host = env("NRFCLOUD_API_HOST")
        .or(chosen.rest_host)
        .unwrap_or_else(|| nrfcloud::Client::DEFAULT_REST_HOST.to_owned());
    let provisioning_host = env("NRFCLOUD_PROVISIONING_HOST")
        .or(chosen.provisioning_host)
        .unwrap_or_else(|| nrfcloud::Client::DEFAULT_PROVISIONING_HOST.to_owned());
    let key = nrfcloud::auth::SecretString::from(key);
    let timeout = Duration::from_secs(global.timeout.max(1));
    let client = adjust(builder(&key, &rest_host, &provisioning_host, timeout)).build()?;
    Ok(Connection {
        client,
        key_source,
        rest_host,
        provisioning_host,
        key,
        timeout,
    })
}

/// The config file's path: `--config`, `NRFCLOUD_CONFIG`, or the user's config directory.
fn config_path(global: &Global) -> Option<PathBuf> {
    global
        .config
        .clone()
        .or_else(|| dirs::config_dir().map(|d| d.join("nrfcloud").join("config.toml")))
}

/// The profile to use, with its name: the one named, else `default` when the file has it.
fn profile(global: &Global) -> Result<Option<(String, Profile)>, CliError> {
    let path = config_path(global);
    let file = match &path {
        Some(path) if path.exists() => {
            let text = std::fs::read_to_string(path).map_err(|e| {
                CliError::usage(format!(
                    "cannot read the config file {}: {e}",
                    path.display()
                ))
            })?;
            toml::from_str::<ConfigFile>(&text)
                .map_err(|e| CliError::usage(format!("config file {}: {e}", path.display())))?
        }
        _ => ConfigFile::default(),
    };
    match &global.profile {
        Some(name) => match file.profiles.get(name) {
            Some(p) => Ok(Some((name.clone(), p.clone()))),
            None => Err(CliError::usage(format!(
                "no profile {name:?} in {}",
                path.map_or_else(|| "the config file".into(), |p| p.display().to_string())
            ))),
        },
        None => Ok(file
            .profiles
            .get("default")
            .map(|p| ("default".to_owned(), p.clone()))),
    }
}

/// The first line of `path`, warning when others can read the file.
fn read_key(path: &Path, out: &Out) -> Result<String, CliError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        CliError::usage(format!(
            "cannot read the API key file {}: {e}",
            path.display()
        ))
    })?;
    warn_if_shared(path, out);
    let key = text.lines().next().unwrap_or_default().trim();
    if key.is_empty() {
        return Err(CliError::usage(format!(
            "the API key file {} is empty",
            path.display()
        )));
    }
    Ok(key.to_owned())
}

#[cfg(unix)]
fn warn_if_shared(path: &Path, out: &Out) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(meta) = std::fs::metadata(path)
        && meta.permissions().mode() & 0o077 != 0
    {
        out.warn(&format!(
            "the API key file {} can be read by other users; run `chmod 600 {}`",
            path.display(),
            path.display()
        ));
    }
}

#[cfg(not(unix))]
fn warn_if_shared(_: &Path, _: &Out) {}
