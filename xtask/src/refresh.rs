//! `refresh-schema`: fetch, validate, compare, then write (or, with `--check`, only report).

use serde_json::Value;

use crate::{
    api::Api,
    cli::Options,
    diff, document, fetch,
    patch_check::{self, Mismatch},
    snapshot::{self, Project, SOURCES},
};

/// How one API's refresh ended.
#[derive(PartialEq)]
enum Outcome {
    UpToDate,
    Written,
    /// `--check` found a difference.
    Differs,
    /// The default provisioning URL has no document (it is not published).
    Skipped,
}

/// Runs the task and returns the exit status: 0 fine, 1 `--check` found a difference, 2 error.
pub fn run(opts: &Options) -> u8 {
    let project = match Project::open(&opts.root) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {e}");
            return 2;
        }
    };
    let mut outcomes = Vec::new();
    let mut failed = false;
    for &api in &opts.apis {
        match refresh(&project, api, opts) {
            Ok(outcome) => outcomes.push(outcome),
            Err(e) => {
                failed = true;
                eprintln!(
                    "error: {}: {e}\n  {} is unchanged.",
                    api.name(),
                    api.snapshot()
                );
            }
        }
    }
    if outcomes.contains(&Outcome::Written) {
        say!("{NEXT_STEPS}");
    }
    if failed {
        2
    } else if outcomes.contains(&Outcome::Differs) {
        1
    } else {
        0
    }
}

const NEXT_STEPS: &str = "\
Next steps:
  1. cargo build -p nrfcloud-api
     Fails on the first patch above that no longer fits, naming it: update or delete it in
     build/patches.rs, then build again.
  2. cargo insta review
     Review the changes in the generated code (operation inventory, per-tag snapshots).
  3. Commit openapi/ together with the patches and the accepted snapshots.";

fn refresh(project: &Project, api: Api, opts: &Options) -> Result<Outcome, String> {
    let from = opts.from.as_deref().unwrap_or(api.default_url());
    let fetched = match fetch::fetch(from, opts.timeout) {
        Ok(f) => f,
        Err(e) => {
            let Some(hint) = api.not_found_hint().filter(|_| e.status == Some(404)) else {
                return Err(e.message);
            };
            // Refreshing everything must not fail just because this document is unpublished.
            if opts.from.is_none() && opts.apis.len() > 1 {
                eprintln!("{}: skipped: {}.\n  {hint}", api.name(), e.message);
                return Ok(Outcome::Skipped);
            }
            return Err(format!("{}.\n  {hint}", e.message));
        }
    };
    let source = &*fetch::redact(from);
    let doc = document::validate(&fetched.bytes, fetched.content_type.as_deref(), source)?;

    let previous = project.read_snapshot(api)?;
    // Read before anything is written, so a broken sources.json cannot leave a new snapshot
    // without its provenance.
    let mut sources = project.read_sources()?;
    let unchanged = previous.as_deref() == Some(doc.text.as_bytes());
    if unchanged {
        say!(
            "{}: {} is up to date with {source}",
            api.name(),
            api.snapshot()
        );
        let recorded = sources
            .get(api.name())
            .and_then(|e| e.get("sha256"))
            .and_then(Value::as_str)
            == Some(doc.sha256().as_str());
        if !opts.check && !recorded {
            sources.insert(api.name().into(), snapshot::source_entry(&doc, source));
            project.write_sources(sources)?;
            say!("  recorded its provenance in {SOURCES}");
        }
        return Ok(Outcome::UpToDate);
    }

    say!("{}: {} ← {source}", api.name(), api.snapshot());
    let old: Option<Value> = match previous.as_deref().map(serde_json::from_slice) {
        Some(Ok(v)) => Some(v),
        Some(Err(e)) => {
            say!("  the previous snapshot is not valid JSON ({e}); nothing to compare with");
            None
        }
        None => None,
    };
    say!(
        "  openapi {}, info.version {}",
        doc.openapi,
        doc.info_version
    );
    if old.as_ref() == Some(&doc.value) {
        say!("  only the formatting differs (key order, whitespace): no content change");
    }
    for line in diff::summarise(old.as_ref(), &doc.value) {
        say!("{line}");
    }
    print_patches(api, &patch_check::check(&doc.value, api.steps()));

    if opts.check {
        say!(
            "{}: {} differs from {source}. To update it, run:\n  {}",
            api.name(),
            api.snapshot(),
            update_command(api, opts)
        );
        return Ok(Outcome::Differs);
    }
    project.write_snapshot(api, &doc)?;
    sources.insert(api.name().into(), snapshot::source_entry(&doc, source));
    project.write_sources(sources)?;
    say!(
        "  wrote {} (sha256 {}) and {SOURCES}",
        api.snapshot(),
        doc.sha256()
    );
    Ok(Outcome::Written)
}

fn print_patches(api: Api, mismatches: &[Mismatch]) {
    if mismatches.is_empty() {
        say!(
            "  build.rs patches: all {} still find their targets",
            api.steps().len()
        );
        return;
    }
    say!(
        "  build.rs patches that no longer find their target ({} of {}, build/patches.rs):",
        mismatches.len(),
        api.steps().len()
    );
    for m in mismatches {
        say!("    {}", m.describe());
    }
}

/// The command that performs the refresh `--check` just compared against.
fn update_command(api: Api, opts: &Options) -> String {
    let mut cmd = format!("cargo xtask refresh-schema --api {}", api.name());
    if let Some(from) = &opts.from {
        cmd.push_str(&format!(" --from {}", quote(&fetch::redact(from))));
    }
    if opts.root_given {
        cmd.push_str(&format!(" --root {}", quote(&opts.root.to_string_lossy())));
    }
    cmd
}

fn quote(arg: &str) -> String {
    if arg.contains(|c: char| c.is_whitespace() || "'\"$&;|<>*?".contains(c)) {
        format!("'{}'", arg.replace('\'', r"'\''"))
    } else {
        arg.to_string()
    }
}
