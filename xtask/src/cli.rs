//! Command-line parsing (lexopt: one subcommand and a handful of flags need no more).

use std::{ffi::OsString, path::PathBuf, time::Duration};

use lexopt::prelude::*;

use crate::api::Api;

pub const HELP: &str = "\
Maintenance tasks for nrfcloud-rs.

Usage: cargo xtask refresh-schema [OPTIONS]

Downloads the nRF Cloud OpenAPI documents, checks that each is OpenAPI 3.0.x, writes it to
openapi/ with sorted keys (pretty-printed, trailing newline), records its provenance in
openapi/sources.json and prints what changed against the previous snapshot.

Options:
  --api rest|provisioning|all  Which document to refresh [default: all]
  --from <URL|FILE>            Read the document from this URL or file instead of the default
                               URL (needs --api rest or --api provisioning)
  --check                      Write nothing; exit 1 when a snapshot differs from its source
  --timeout <SECS>             Overall download timeout; connecting gets at most 10 s of it
                               [default: 60]
  --root <DIR>                 Project root holding openapi/ [default: this checkout]
  -h, --help                   Print this help

Default sources:
  rest          https://api.nrfcloud.com/v1/openapi.json
  provisioning  https://api.provisioning.nrfcloud.com/v1/openapi.json

Exit status: 0 up to date or updated; 1 --check found a difference; 2 invalid document,
network or file error.
";

/// What the user asked for.
pub enum Command {
    Help,
    RefreshSchema(Options),
}

/// Options of `refresh-schema`.
pub struct Options {
    pub apis: Vec<Api>,
    /// `--from` as typed: a URL or a file path.
    pub from: Option<String>,
    pub check: bool,
    pub timeout: Duration,
    pub root: PathBuf,
    /// `--root` was given (the `--check` hint repeats it).
    pub root_given: bool,
}

/// Parses the process arguments.
pub fn parse() -> Result<Command, String> {
    parse_from(std::env::args_os().skip(1))
}

fn parse_from(args: impl IntoIterator<Item = OsString>) -> Result<Command, String> {
    let mut parser = lexopt::Parser::from_args(args);
    let mut subcommand = None;
    let mut api = None;
    let mut from = None;
    let mut check = false;
    let mut timeout = Duration::from_secs(60);
    let mut root = None;
    while let Some(arg) = parser.next().map_err(|e| e.to_string())? {
        match arg {
            Short('h') | Long("help") => return Ok(Command::Help),
            Long("api") => api = Some(text(parser.value())?),
            Long("from") => from = Some(text(parser.value())?),
            Long("check") => check = true,
            Long("timeout") => {
                let secs = text(parser.value())?;
                timeout = match secs.parse::<u64>() {
                    Ok(s) if s > 0 => Duration::from_secs(s),
                    _ => {
                        return Err(format!(
                            "--timeout takes a whole number of seconds above 0, got `{secs}`"
                        ));
                    }
                };
            }
            Long("root") => root = Some(PathBuf::from(parser.value().map_err(|e| e.to_string())?)),
            Value(v) if subcommand.is_none() => subcommand = Some(text(Ok(v))?),
            other => return Err(other.unexpected().to_string()),
        }
    }
    match subcommand.as_deref() {
        Some("refresh-schema") => {}
        Some(other) => {
            return Err(format!(
                "unknown task `{other}`; the only task is `refresh-schema`"
            ));
        }
        None => return Ok(Command::Help),
    }
    let apis = match api.as_deref() {
        None | Some("all") => vec![Api::Rest, Api::Provisioning],
        Some(name) => vec![
            Api::from_name(name)
                .ok_or_else(|| format!("--api takes rest, provisioning or all, got `{name}`"))?,
        ],
    };
    if from.is_some() && apis.len() > 1 {
        return Err("--from names one document: add --api rest or --api provisioning".to_string());
    }
    Ok(Command::RefreshSchema(Options {
        apis,
        from,
        check,
        timeout,
        root_given: root.is_some(),
        root: root.unwrap_or_else(default_root),
    }))
}

fn text(value: Result<OsString, lexopt::Error>) -> Result<String, String> {
    value
        .map_err(|e| e.to_string())?
        .into_string()
        .map_err(|v| format!("argument is not valid UTF-8: {}", v.to_string_lossy()))
}

/// The checkout this binary was built from (the cargo-xtask convention).
fn default_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(PathBuf::from)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Command, String> {
        parse_from(args.iter().map(OsString::from))
    }

    fn options(args: &[&str]) -> Options {
        match parse(args) {
            Ok(Command::RefreshSchema(o)) => o,
            Ok(Command::Help) => panic!("{args:?} parsed as help"),
            Err(e) => panic!("{args:?}: {e}"),
        }
    }

    #[test]
    fn defaults_to_both_apis_and_sixty_seconds() {
        let o = options(&["refresh-schema"]);
        assert_eq!(o.apis, [Api::Rest, Api::Provisioning]);
        assert_eq!(o.timeout, Duration::from_secs(60));
        assert!(o.root.join("build/patches.rs").is_file());
        assert!(!o.check && o.from.is_none() && !o.root_given);
    }

    #[test]
    fn from_needs_a_single_api() {
        let err = parse(&["refresh-schema", "--from", "x.json"])
            .err()
            .unwrap();
        assert!(err.contains("--api rest or --api provisioning"), "{err}");
        let o = options(&[
            "refresh-schema",
            "--api",
            "provisioning",
            "--from",
            "x.json",
        ]);
        assert_eq!(o.apis, [Api::Provisioning]);
        assert_eq!(o.from.as_deref(), Some("x.json"));
    }

    #[test]
    fn rejects_bad_values() {
        for (args, needle) in [
            (&["refresh-schema", "--api", "mqtt"][..], "--api takes"),
            (&["refresh-schema", "--timeout", "0"][..], "--timeout"),
            (&["refresh-schema", "--timeout", "soon"][..], "`soon`"),
            (&["generate"][..], "unknown task `generate`"),
            (&["refresh-schema", "--force"][..], "--force"),
        ] {
            let err = parse(args).err().unwrap();
            assert!(err.contains(needle), "{args:?}: {err}");
        }
    }
}
