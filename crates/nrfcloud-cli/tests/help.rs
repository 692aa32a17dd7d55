//! `--help` of every command, through the binary, as insta snapshots. The commands are found
//! by walking the "Commands:" sections, so a new command gets its snapshot without a list here.

mod common;

use std::process::Command;

/// `nrfcloud <path> --help`.
fn help(path: &[String]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let out: std::process::Output = {
        let mut cmd: Command = common::nrfcloud(None, dir.path());
        cmd.args(path).arg("--help");
        cmd.output().unwrap()
    };
    assert!(out.status.success(), "{path:?}: {out:?}");
    String::from_utf8(out.stdout).unwrap()
}

/// The subcommand names of a help text.
fn subcommands(text: &str) -> Vec<String> {
    text.lines()
        .skip_while(|l| *l != "Commands:")
        .skip(1)
        .take_while(|l| !l.is_empty())
        // A name is indented by two spaces; wrapped descriptions by more.
        .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_owned)
        .collect()
}

#[test]
fn every_command_s_help() {
    let mut pending = vec![Vec::<String>::new()];
    let mut seen = 0;
    while let Some(path) = pending.pop() {
        let text = help(&path);
        let name = if path.is_empty() {
            "nrfcloud".to_owned()
        } else {
            format!("nrfcloud {}", path.join(" "))
        };
        insta::assert_snapshot!(name.replace(' ', "_"), text, &format!("{name} --help"));
        seen += 1;
        for sub in subcommands(&text) {
            let mut next = path.clone();
            next.push(sub);
            pending.push(next);
        }
    }
    // nrfcloud, its 15 commands, and the subcommands of claimed (6), keys (1), devices (7),
    // bulk-ops (3), provisioning (2), its commands (3) and rules (2), jwt (3), fota (3), its
    // bundles (3) and jobs (8), messages (2), location (4).
    assert_eq!(
        seen,
        1 + 15 + 6 + 1 + 7 + 3 + 2 + 3 + 2 + 3 + 3 + 3 + 8 + 2 + 4
    );
}
