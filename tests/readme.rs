//! The README's "Use it in your project" section is the consumer crate in `tests/consumer/`,
//! which `.ci/run` builds and tests outside the workspace: what users copy is what CI proves.

use std::path::Path;

fn read(path: &str) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(root.join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The body of the README code block that follows `after` (a line of prose).
fn block_after(readme: &str, after: &str) -> String {
    let start = readme
        .find(after)
        .unwrap_or_else(|| panic!("README has no {after:?}"));
    let rest = &readme[start + after.len()..];
    let open = rest.find("\n```").expect("a code block follows");
    let body_start = open + rest[open + 1..].find('\n').unwrap() + 2;
    let body_end = body_start + rest[body_start..].find("```\n").expect("the block ends");
    rest[body_start..body_end].to_string()
}

#[test]
fn the_readme_shows_the_consumer_crate_as_it_is() {
    let readme = read("README.md");
    assert_eq!(
        block_after(&readme, "`src/lib.rs`:"),
        read("tests/consumer/src/lib.rs")
    );
    assert_eq!(
        block_after(&readme, "Its integration test, `tests/sim.rs`"),
        read("tests/consumer/tests/sim.rs")
    );
}

#[test]
fn the_readme_dependencies_are_the_consumer_crate_s() {
    let readme = read("README.md");
    let shown = block_after(&readme, "## Use it in your project");
    let manifest = read("tests/consumer/Cargo.toml");
    // The same dependency lines, with the README's checkout path for the consumer's `../..`.
    let from_manifest: Vec<String> = manifest
        .lines()
        .skip_while(|l| *l != "[dependencies]")
        .take_while(|l| !l.starts_with("base64"))
        .map(|l| l.replace("../../crates/", "../nrfcloud-rs/crates/"))
        .collect();
    assert_eq!(shown.lines().collect::<Vec<_>>(), from_manifest);
}

#[test]
fn the_simulator_readme_example_is_a_consumer_test() {
    let readme = read("crates/nrfcloud-sim/README.md");
    assert_eq!(
        block_after(&readme, "crates/nrfcloud-sim\" }\n```"),
        read("tests/consumer/tests/claim.rs")
    );
}
